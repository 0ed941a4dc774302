"""Check a profile against a sample file: which paths were found, always empty, not mapped.

``check_profile`` reads the sample with the profile (nothing is written anywhere) and reports, per
document kind, every mapped path with how many records had it and had a value in it, elements the
profile does not read, status/payment/shipping/line-type values and how they were mapped, and the
records that failed — so a user can adapt a profile to their shop in minutes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from exchange.documents import LineKind
from exchange.errors import MappingError
from exchange.importers.read.builders import ALT, LINES, VARIANTS, Builder, BuildNotes, plan
from exchange.importers.read.elements import iter_elements
from exchange.importers.read.extractor import Extractor, Group, is_simple
from exchange.importers.read.records import repairs_in
from exchange.importers.read.repair import RepairLog
from exchange.profiles import DocumentKind, Profile, RecordMapping

_MAX_ERRORS = 20
UNREAD_LIMIT = 30  # unread elements with values listed by default


@dataclass
class PathStat:
    """How often one mapped path was present and filled."""

    key: str
    path: str
    found: int = 0
    filled: int = 0
    scope: str = "record"  # "record", "lines", "variants" or "totals"
    group_path: str = ""  # the path of the lines or variants element, relative to the record

    @property
    def field(self) -> str:
        """The field's name as the profile spells it (alternatives numbered)."""
        if self.scope == "totals":
            index, _, attr = self.key.removeprefix("totals.").partition(".")
            return f"totals_lines[{index}].{attr}"
        name, _, alt = self.key.partition(ALT)
        return f"{name} (alternative {alt})" if alt else name

    @property
    def label(self) -> str:
        """The field as a user finds it in the profile: ``lines.unit_price``, ``totals_lines[0].tax``."""
        return self.field if self.scope in ("record", "totals") else f"{self.scope}.{self.field}"

    @property
    def record_path(self) -> str:
        """Where the value is read, relative to the record."""
        if not self.group_path:
            return self.path
        # an XPath expression is evaluated on each line element: say so rather than glue it on
        return f"{self.group_path}/{self.path}" if is_simple(self.path) \
            else f"{self.group_path}: {self.path}"

    @property
    def state(self) -> str:
        """``ok``, ``empty`` (present but never filled) or ``missing`` (never present)."""
        if self.filled:
            return "ok"
        return "empty" if self.found else "missing"


@dataclass
class ValueStat:
    """One distinct shop value of a mapped vocabulary and what it became."""

    what: str  # "status", "payment", "shipping", "line type", "invoice type", "country"
    value: str
    count: int
    outcome: str  # "→ processing", "default → new", "no mapping: held for review", "kept as is"

    @property
    def unmapped(self) -> bool:
        """True when the value has no mapping of its own."""
        return not self.outcome.startswith("→")


XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


@dataclass
class ElementStat:
    """How often one element path occurred, had text, and was marked nil."""

    count: int = 0
    filled: int = 0
    nil: int = 0


@dataclass
class KindReport:
    """What checking one document kind found."""

    kind: DocumentKind
    records: int = 0
    documents: int = 0
    paths: list[PathStat] = field(default_factory=list)
    unknown_elements: list[tuple[str, int]] = field(default_factory=list)  # with a value at least once
    unread_nil: list[str] = field(default_factory=list)  # never a value: always xsi:nil (or nil)
    unread_empty: list[str] = field(default_factory=list)  # never a value: always empty
    values: list[ValueStat] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    held: int = 0  # documents an import would hold for review
    review_reasons: Counter[str] = field(default_factory=Counter)
    repairs: list[str] = field(default_factory=list)  # recover: true, one per repair with its line


@dataclass
class CheckReport:
    """The result of checking a profile against a sample file."""

    profile: str
    sample: str
    kinds: list[KindReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "profile": self.profile,
            "sample": self.sample,
            "kinds": [
                {
                    "kind": k.kind.value, "records": k.records, "documents": k.documents,
                    "paths": [{"field": p.field, "label": p.label, "path": p.path,
                               "record_path": p.record_path, "scope": p.scope, "found": p.found,
                               "filled": p.filled, "state": p.state} for p in k.paths],
                    "unknown_elements": [{"path": p, "count": c} for p, c in k.unknown_elements],
                    "unread_nil": k.unread_nil,
                    "unread_empty": k.unread_empty,
                    "values": [{"what": v.what, "value": v.value, "count": v.count,
                                "outcome": v.outcome, "unmapped": v.unmapped} for v in k.values],
                    "errors": k.errors,
                    "warnings": dict(k.warnings),
                    "held": k.held,
                    "review_reasons": dict(k.review_reasons),
                    "repairs": k.repairs,
                }
                for k in self.kinds
            ],
        }

    def lines(self, unread_limit: int = UNREAD_LIMIT) -> Iterator[str]:
        """The report as readable text lines (at most ``unread_limit`` unread elements; 0: all)."""
        yield f"profile {self.profile} against {self.sample}"
        if not self.kinds:
            yield "no records found for any document kind of this profile (check the record paths)"
        for k in self.kinds:
            yield ""
            yield f"{k.kind.value}: {k.records} record(s), {k.documents} document(s) read"
            width = max((len(p.label) for p in k.paths), default=0)
            for p in k.paths:
                mark = {"ok": "ok     ", "empty": "EMPTY  ", "missing": "MISSING"}[p.state]
                yield (f"  {mark} {p.label:<{width}} ← {p.record_path}  "
                       f"(found {p.found}, with a value {p.filled})")
            yield from _unread_lines(k, unread_limit)
            if k.values:
                yield "  values seen:"
                for v in k.values:
                    flag = "!" if v.unmapped else " "
                    yield f"   {flag} {v.what} {v.value!r} ({v.count}x) {v.outcome}"
            if k.held:
                yield f"  HELD  {k.held} of {k.documents} document(s) would be held for review:"
                for reason, count in k.review_reasons.most_common():
                    yield f"    {reason} ({count}x)"
            if k.repairs:
                yield f"  REPAIRED {len(k.repairs)} place(s) (recover: true):"
                for repair in k.repairs[:_MAX_ERRORS]:
                    yield f"    {repair}"
                if len(k.repairs) > _MAX_ERRORS:
                    yield f"    … and {len(k.repairs) - _MAX_ERRORS} more"
            for err in k.errors:
                yield f"  ERROR {err}"
            for warning, count in k.warnings.most_common():
                yield f"  warning ({count}x): {warning}"

    @property
    def has_problems(self) -> bool:
        """True when something would fail, be held for review, or was never found."""
        return not self.kinds or any(
            k.errors or k.held or any(v.unmapped and "review" in v.outcome for v in k.values)
            for k in self.kinds)


def _unread_lines(k: KindReport, limit: int) -> Iterator[str]:
    if k.unknown_elements:
        yield "  elements with values the profile does not read:"
        shown = k.unknown_elements if limit <= 0 else k.unknown_elements[:limit]
        for path, count in shown:
            yield f"    {path}  ({count}x)"
        if len(shown) < len(k.unknown_elements):
            yield (f"    … and {len(k.unknown_elements) - len(shown)} more "
                   "(--unread-limit 0 shows all)")
    for names, what in ((k.unread_nil, "always xsi:nil"), (k.unread_empty, "always empty")):
        if names:
            listed = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
            yield f"  {len(names)} unread element(s) {what}: {listed}"


def _local(tag: Any) -> str | None:
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1]


def _norm(path: str) -> str:
    return "/".join(step.rsplit(":", 1)[-1] for step in path.split("/"))


def _inventory(elem: etree._Element, prefix: str, into: dict[str, ElementStat]) -> None:
    """Count every leaf element path (local names) under ``elem``: present, with text, nil."""
    for child in elem:
        name = _local(child.tag)
        if name is None:
            continue
        path = f"{prefix}/{name}" if prefix else name
        if len(child):
            _inventory(child, path, into)
            continue
        stat = into.setdefault(path, ElementStat())
        stat.count += 1
        if (child.text or "").strip():
            stat.filled += 1
        elif child.get(XSI_NIL) in ("true", "1") or child.get("nil") == "true":
            stat.nil += 1


def _known_paths(mapping: RecordMapping) -> set[str]:
    """Every mapped simple path, normalised to local names, relative to the record."""
    fields, groups = plan(mapping)
    known = {_norm(p) for p in fields.values() if is_simple(p)}

    def add_groups(base: str, gs: dict[str, Group] | Any) -> None:
        for g in gs.values():
            gpath = _norm(g.path)
            full = f"{base}/{gpath}" if base else gpath
            known.update(f"{full}/{_norm(p)}" for p in g.fields.values() if is_simple(p))
            add_groups(full, g.groups)

    add_groups("", groups)
    return known


def _path_stats(mapping: RecordMapping) -> list[PathStat]:
    stats: list[PathStat] = []
    for name, spec in mapping.fields.items():
        if spec.path:
            stats.append(PathStat(name, spec.path))
        for i, alt in enumerate(spec.alternatives, start=1):
            stats.append(PathStat(f"{name}{ALT}{i}", alt))
    for i, total in enumerate(mapping.totals_lines):
        for attr in ("unit_price", "unit_price_excl", "vat_rate", "name_path", "tax"):
            path = getattr(total, attr)
            if path:
                stats.append(PathStat(f"totals.{i}.{attr}", path, scope="totals"))
    for scope, group in (("lines", mapping.lines), ("variants", mapping.variants)):
        if group is None:
            continue
        for name, fspec in group.fields.items():
            if fspec.path:
                stats.append(PathStat(name, fspec.path, scope=scope, group_path=group.path))
            for i, alt in enumerate(fspec.alternatives, start=1):
                stats.append(PathStat(f"{name}{ALT}{i}", alt, scope=scope, group_path=group.path))
    return stats


def _count(stats: list[PathStat], values: dict[str, Any]) -> None:
    for stat in stats:
        if stat.scope in ("record", "totals"):
            sources: list[dict[str, Any]] = [values]
        else:
            sources = values.get(LINES if stat.scope == "lines" else VARIANTS) or []
        for source in sources:
            if stat.key in source:
                stat.found += 1
                if source[stat.key]:
                    stat.filled += 1


def _outcome(mapping: RecordMapping, map_name: str, raw: str) -> str:
    vmap = mapping.maps.get(map_name)
    if vmap is None:
        return "kept as is (the profile has no map)"
    if vmap.has(raw):
        return f"→ {vmap.lookup(raw)}"
    if vmap.default is not None:
        return f"no mapping: the default {vmap.default} is used"
    if map_name == "line_kind" or (mapping.lines is not None and map_name == mapping.lines.classify):
        return "no mapping: read as other, with a warning"
    return "no mapping and no default: held for review"


def check_profile(profile: Profile, sample: Path, kind: DocumentKind | str | None = None,
                  *, max_records: int | None = None) -> CheckReport:
    """Check ``profile`` against ``sample`` for one kind, or for every kind it has records of.

    Raises:
        ConfigError: ``kind`` is not a kind of the profile.
        XmlSyntaxError: the sample is not well-formed, hostile or undecodable.
    """
    sample = Path(sample)
    report = CheckReport(profile=profile.name, sample=str(sample))
    kinds = [DocumentKind(kind)] if kind is not None else list(profile.kinds)
    for k in kinds:
        mapping = profile.mapping(k)
        result = _check_kind(profile, mapping, sample, max_records)
        if kind is not None or result.records:
            report.kinds.append(result)
    return report


def _check_kind(profile: Profile, mapping: RecordMapping, sample: Path,
                max_records: int | None) -> KindReport:
    fields, groups = plan(mapping)
    extractor = Extractor(fields, groups, mapping.namespaces)
    builder = Builder(mapping, profile.import_options, str(sample))
    result = KindReport(kind=mapping.kind)
    stats = _path_stats(mapping)
    inventory: dict[str, ElementStat] = {}
    raw_values: Counter[tuple[str, str, str]] = Counter()  # (what, map, value)
    repairs = RepairLog() if mapping.recover else None
    for elem in iter_elements(sample, mapping.records, encoding_fallback=mapping.encoding_fallback,
                              repairs=repairs):
        result.records += 1
        line = int(elem.sourceline or 0)  # type: ignore[call-overload]
        result.repairs.extend(repairs_in(elem, repairs))
        _inventory(elem, "", inventory)
        values = extractor.extract(elem)
        _count(stats, values)
        builder.fill_defaults(values)
        for what, key, map_name in (("status", "status", "status"),
                                    ("payment", "payment_method", "payment"),
                                    ("shipping", "shipping_method", "shipping"),
                                    ("invoice type", "invoice_kind", "invoice_kind")):
            raw = values.get(key)
            if raw:
                raw_values[(what, map_name, raw)] += 1
        if mapping.lines is not None and mapping.lines.classify:
            for item in values.get(LINES) or []:
                raw = item.get("kind") or ""
                raw_values[("line type", mapping.lines.classify, raw)] += 1
            # a method the record does not state is the first payment/shipping line's name
            for what, key, map_name, line_kind in _FROM_LINES:
                if not values.get(key):
                    raw = _first_line_name(builder, values, line_kind)
                    if raw:
                        raw_values[(f"{what} (from a line)", map_name, raw)] += 1
        out = BuildNotes()
        try:
            documents = _build(builder, mapping.kind, values, line, out)
            result.documents += documents
            if out.review_reasons:
                result.held += 1
                result.review_reasons.update(_generic(r) for r in out.review_reasons)
        except MappingError as exc:
            if len(result.errors) < _MAX_ERRORS:
                result.errors.append(str(exc))
        for warning in out.warnings:
            result.warnings[_generic(warning)] += 1
        if max_records is not None and result.records >= max_records:
            break
    result.paths = stats
    known = _known_paths(mapping)
    prefixes = {p.rsplit("/", i)[0] for p in known for i in range(1, p.count("/") + 1)}
    unread = sorted((p, s) for p, s in inventory.items() if p not in known and p not in prefixes)
    result.unknown_elements = [(p, s.count) for p, s in unread if s.filled]
    result.unread_nil = [p for p, s in unread if not s.filled and s.nil]
    result.unread_empty = [p for p, s in unread if not s.filled and not s.nil]
    result.values = [
        ValueStat(what, value, count, _outcome(mapping, map_name, value))
        for (what, map_name, value), count in sorted(raw_values.items())
    ]
    return result


_FROM_LINES = (("payment", "payment_method", "payment", LineKind.PAYMENT),
               ("shipping", "shipping_method", "shipping", LineKind.SHIPPING))


def _first_line_name(builder: Builder, values: dict[str, Any], kind: LineKind) -> str:
    """The name of the record's first line of ``kind``, as the builder would take it."""
    notes = BuildNotes()  # unmapped line types are reported by the build itself
    for item in values.get(LINES) or []:
        if builder.line_kind(item.get("kind") or "", 0, notes) is kind:
            return str(item.get("name") or "")
    return ""


def _build(builder: Builder, kind: DocumentKind, values: dict[str, Any], line: int,
           out: BuildNotes) -> int:
    if kind is DocumentKind.ORDERS:
        builder.order(values, line, out)
        return 1
    if kind is DocumentKind.INVOICES:
        builder.invoice(values, line, out)
        return 1
    if kind is DocumentKind.PRODUCTS:
        return len(builder.products(values, line, out))
    builder.stock(values, line, out)
    return 1


def _generic(warning: str) -> str:
    # "line at 113: item type …" → drop the line so equal warnings are counted together
    if warning.startswith("line at ") and ": " in warning:
        return warning.split(": ", 1)[1]
    return warning
