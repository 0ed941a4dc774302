"""Why a document is held: the review reason the importer wrote, read back into a cause."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from enum import StrEnum

# the importer's wording (importers/builders.py "mapped", importers/persist.py CHANGE_HELD)
_UNMAPPED = re.compile(
    r"(?P<what>[a-zA-Z][a-zA-Z ]*?) (?P<raw>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") has no mapping "
    r"and the profile has no default")
_CHANGED = "changed since the last import"
_CHANGED_FIELDS = re.compile(r"changed since the last import \((?P<fields>[^)]*)\)")

# the label in a reason → the profile value map a decision adds to
MAP_OF_LABEL = {"status": "status", "payment": "payment", "shipping": "shipping",
                "invoice type": "invoice_kind", "country": "country", "vat rate": "vat_rate"}


class CauseKind(StrEnum):
    """The groups of the review queue."""

    UNMAPPED = "unmapped"
    CHANGED = "changed"
    TOTALS = "totals"
    CUSTOMER = "customer"
    OTHER = "other"


@dataclass(frozen=True)
class Cause:
    """One reason a document waits: an unmapped value, a held change, or something else."""

    kind: CauseKind
    field: str = ""  # the value map (status, payment, …) for an unmapped value
    value: str = ""  # the shop's value
    text: str = ""  # the reason as written

    @property
    def key(self) -> str:
        """What documents waiting on the same thing share."""
        if self.kind is CauseKind.UNMAPPED:
            return f"unmapped:{self.field}:{self.value}"
        return self.kind.value


def causes_of(reason: str) -> list[Cause]:
    """Every cause in a review reason (a reason may join several with "; ")."""
    found: list[Cause] = []
    if reason.startswith(_CHANGED):
        match = _CHANGED_FIELDS.match(reason)
        fields = match.group("fields") if match else ""
        found.append(Cause(CauseKind.CHANGED, field=fields, text=reason))
        return found
    for match in _UNMAPPED.finditer(reason):
        label = match.group("what").strip().casefold()
        try:
            value = str(ast.literal_eval(match.group("raw")))
        except (ValueError, SyntaxError):
            value = match.group("raw")[1:-1]
        found.append(Cause(CauseKind.UNMAPPED, field=MAP_OF_LABEL.get(label, label), value=value,
                           text=match.group(0)))
    rest = _UNMAPPED.sub("", reason).strip("; ").strip()
    if rest:
        lowered = rest.casefold()
        if "total" in lowered:
            kind = CauseKind.TOTALS
        elif "customer" in lowered:
            kind = CauseKind.CUSTOMER
        else:
            kind = CauseKind.OTHER
        found.append(Cause(kind, text=rest))
    return found
