"""POHODA's answers read back: a ``rsp:responsePack`` sets each handed-off document's ERP state.

Each ``rsp:responsePackItem`` names the ``dat:dataPackItem`` it answers (its ``id``) and says
``ok``, ``warning`` or ``error``; ``rdc:producedDetails`` carries POHODA's own ``id`` and
``number`` of the record it made, ``rdc:importDetails/rdc:detail`` its notes. A pack POHODA refused
as a whole (``state="error"``, e.g. a user not allowed to import XML) carries the reason in its
``note``: an item refused without a detail of its own gets that note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from exchange.errors import XmlSyntaxError
from exchange.store import Store
from exchange.store.erp import Answer, ErpState, document_keys, record_answers
from exchange.store.history import record_event

RSP = "http://www.stormware.cz/schema/version_2/response.xsd"
RDC = "http://www.stormware.cz/schema/version_2/documentresponse.xsd"
_STATES = {"ok": ErpState.BOOKED, "warning": ErpState.WARNING, "error": ErpState.ERROR}


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def is_import_response(path: Path) -> bool:
    """True for a POHODA responsePack answering an import (not one carrying a list export)."""
    try:
        with path.open("rb") as stream:
            depth = 0
            for event, element in etree.iterparse(stream, events=("start", "end"),
                                                  resolve_entities=False, no_network=True):
                depth += 1 if event == "start" else -1
                if event != "start":
                    continue
                if depth == 1 and element.tag != f"{{{RSP}}}responsePack":
                    return False
                if depth == 3:  # the first thing an item holds: a list export, or an answer
                    return not _local(element.tag).startswith("list")
    except (OSError, etree.XMLSyntaxError):
        return False
    return True


@dataclass
class ItemAnswer:
    """What POHODA said about one item, and the document it belongs to (when ours)."""

    pack_item: str
    state: ErpState
    erp_id: str = ""
    erp_number: str = ""
    note: str = ""
    document: str = ""  # the handed-off document (orders:SHOP:ID), "" when not one of ours

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {"item": self.pack_item, "state": self.state.value, "erp_id": self.erp_id or None,
                "erp_number": self.erp_number or None, "note": self.note or None,
                "document": self.document or None}


@dataclass
class ResponseReport:
    """One response pack read back."""

    file: str
    pack_id: str
    pack_state: str
    pack_note: str
    items: list[ItemAnswer] = field(default_factory=list)

    @property
    def unknown(self) -> list[ItemAnswer]:
        """Items that answer nothing we handed off."""
        return [i for i in self.items if not i.document]

    @property
    def exit_code(self) -> int:
        """0 when POHODA took everything, 4 when it refused the pack or an item."""
        refused = self.pack_state == "error" or any(i.state is ErpState.ERROR for i in self.items)
        return 4 if refused else 0

    def summary(self) -> str:
        """One line."""
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.state.value] = counts.get(item.state.value, 0) + 1
        text = f"{Path(self.file).name}: POHODA response, pack state=\"{self.pack_state}\""
        if self.pack_note:
            text += f" ({self.pack_note})"
        text += ": " + (", ".join(f"{v} {k}" for k, v in counts.items()) or "no items")
        return text + (f"; {len(self.unknown)} not ours" if self.unknown else "")

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {"file": self.file, "pack_id": self.pack_id, "pack_state": self.pack_state,
                "pack_note": self.pack_note or None, "items": [i.as_dict() for i in self.items]}


def read_response(path: Path) -> ResponseReport:
    """Parse a response pack (small: one item per document) without resolving entities.

    Raises:
        XmlSyntaxError: not well-formed, or not a POHODA responsePack.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise XmlSyntaxError(exc.msg, file=str(path), line=exc.lineno or None) from exc
    if root.tag != f"{{{RSP}}}responsePack":
        raise XmlSyntaxError(f"the root is {_local(root.tag)}, not POHODA's rsp:responsePack",
                             file=str(path), line=1)
    report = ResponseReport(str(path), root.get("id", ""), root.get("state", ""),
                            (root.get("note") or "").strip())
    for item in root.iterfind(f"{{{RSP}}}responsePackItem"):
        state = _STATES.get(item.get("state", ""), ErpState.ERROR)
        produced = item.find(f".//{{{RDC}}}producedDetails")
        notes = [(d.findtext(f"{{{RDC}}}state") or "", (d.findtext(f"{{{RDC}}}note") or "").strip())
                 for d in item.iterfind(f".//{{{RDC}}}importDetails/{{{RDC}}}detail")]
        note = "; ".join(f"{s}: {n}" if s else n for s, n in notes if n)
        if not note and state is ErpState.ERROR:
            note = report.pack_note or "refused by POHODA without a detail"
        report.items.append(ItemAnswer(
            item.get("id", ""), state,
            erp_id=(produced.findtext(f"{{{RDC}}}id") or "").strip() if produced is not None else "",
            erp_number=(produced.findtext(f"{{{RDC}}}number") or "").strip()
            if produced is not None else "", note=note))
    return report


def import_response(store: Store, path: Path, *, job: str = "",
                    run_id: int | None = None) -> ResponseReport:
    """Read a response pack and store each answer with its document; events for each.

    Raises:
        XmlSyntaxError: see :func:`read_response`.
    """
    report = read_response(path)
    answers = [Answer(i.pack_item, i.state, i.erp_id, i.erp_number, i.note) for i in report.items]
    with store.begin() as conn:
        known = record_answers(conn, "pohoda", answers)
        keys = {kind: document_keys(conn, kind, [i for k, i in known.values() if k == kind])
                for kind in ("orders", "invoices")}
        for item in report.items:
            found = known.get(item.pack_item)
            if found is None:
                continue
            item.document = keys[found[0]].get(found[1], f"{found[0]}:{found[1]}")
            level = {"booked": "info", "warning": "warning"}.get(item.state.value, "error")
            text = (f"POHODA {item.state.value}"
                    + (f" as {item.erp_number or item.erp_id}" if item.erp_id or item.erp_number
                       else "") + (f": {item.note}" if item.note else ""))
            record_event(conn, kind=f"erp_{item.state.value}", level=level, job=job, run_id=run_id,
                         document=item.document, message=text,
                         details=item.as_dict())
        record_event(conn, kind="erp_response", job=job, run_id=run_id, document=path.name,
                     level="error" if report.exit_code else "info", message=report.summary(),
                     details=report.as_dict())
    return report
