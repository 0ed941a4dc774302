"""Platform profiles: YAML files that tell the reader where each field sits; validated on load.

A profile is found by name among the bundled ones (``profiles/NAME.yaml``) or given as a file path.
Every problem is collected and reported at once as ``file:line: key.path: reason``; see
``docs/profiles.md`` for the format.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exchange.documents import InvoiceKind, LineKind, OrderStatus
from exchange.errors import ConfigError, ProfileError
from exchange.resources import profiles_dir, schemas_dir
from exchange.yamlcheck import (
    LineDict,
    Problems,
    as_map,
    check_keys,
    choice,
    line_of,
    load_with_lines,
    text,
)


class DocumentKind(StrEnum):
    """What a file holds: the kinds of documents a profile can read."""

    ORDERS = "orders"
    INVOICES = "invoices"
    PRODUCTS = "products"
    STOCK = "stock"


class FieldType(StrEnum):
    """How a field's text is converted."""

    TEXT = "text"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    DATE = "date"
    BOOL = "bool"
    COUNTRY = "country"


class UnknownProduct(StrEnum):
    """What the engine does with an order line whose product is not in the catalogue."""

    CREATE = "create"
    TEXT = "text"


class OnChanged(StrEnum):
    """What the engine does when an already imported document comes again with new content."""

    UPDATE = "update"
    REVIEW = "review"


@dataclass(frozen=True)
class ImportOptions:
    """Profile-level import behaviour (YAML section ``import:``)."""

    shop: str
    platform: str
    timezone: str = "Europe/Prague"
    unknown_product: str = UnknownProduct.CREATE.value
    on_changed: str = OnChanged.UPDATE.value
    price_list: str = "retail"
    warehouse: str = "MAIN"
    currency: str = "CZK"


@dataclass(frozen=True)
class ExportSpec:
    """One feed a profile offers (YAML ``exports: {NAME: {...}}``)."""

    name: str
    template: str
    description: str = ""
    price_list: str = "retail"
    vat_included: bool = True
    warehouses: tuple[str, ...] = ()
    label: str | None = None
    gate_max_drop: float = 0.2
    template_dir: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field: where it sits relative to its record and how it is converted."""

    name: str
    path: str
    type: FieldType = FieldType.TEXT
    format: str | None = None
    value_map: str | None = None
    default: str | None = None
    line: int = 0
    alternatives: tuple[str, ...] = ()  # further paths tried in order when ``path`` is empty
    timezone: str | None = None  # overrides the profile's time zone for this date field


@dataclass(frozen=True)
class ValueMap:
    """Shop values → canonical values (keys matched case-insensitively), with an optional default."""

    name: str
    values: Mapping[str, str]
    default: str | None = None

    def lookup(self, raw: str) -> str | None:
        """The canonical value for ``raw``, the default when unmapped, else None."""
        found = self.values.get(raw.strip().casefold())
        return found if found is not None else self.default

    def has(self, raw: str) -> bool:
        """True when ``raw`` has its own mapping (not only the default)."""
        return raw.strip().casefold() in self.values


@dataclass(frozen=True)
class LinesSpec:
    """A repeated child of a record (order lines, invoice lines, product variants)."""

    path: str
    fields: Mapping[str, FieldSpec]
    classify: str | None = None  # name of the value map that gives the LineKind
    parameters: tuple[str, str, str] | None = None  # (path, name, value) for variant parameters


@dataclass(frozen=True)
class TotalsLine:
    """A line built from record-level totals (PrestaShop shipping and discounts)."""

    kind: LineKind
    name: str
    unit_price: str | None  # path of the amount incl. VAT
    unit_price_excl: str | None = None
    vat_rate: str | None = None
    name_path: str | None = None
    negate: bool = False
    tax: str | None = None  # path of the VAT amount (rate derived from it and the excl. amount)


@dataclass(frozen=True)
class RecordMapping:
    """How one kind of document is read from a file."""

    kind: DocumentKind
    records: tuple[str, ...]
    fields: Mapping[str, FieldSpec]
    namespaces: Mapping[str, str] = field(default_factory=dict)
    lines: LinesSpec | None = None
    variants: LinesSpec | None = None
    totals_lines: tuple[TotalsLine, ...] = ()
    maps: Mapping[str, ValueMap] = field(default_factory=dict)
    dedupe_key: tuple[str, ...] = ("external_id",)
    encoding_fallback: str | None = None
    schema: Path | None = None
    vat_rates: tuple[Decimal, ...] = ()
    prices_include_vat: bool = True


@dataclass
class Profile:
    """A validated platform profile."""

    name: str
    path: Path
    description: str
    import_options: ImportOptions
    kinds: dict[DocumentKind, RecordMapping]
    exports: dict[str, ExportSpec] = field(default_factory=dict)

    def mapping(self, kind: DocumentKind | str) -> RecordMapping:
        """The mapping for ``kind``; ConfigError naming the kinds this profile can read."""
        try:
            return self.kinds[DocumentKind(kind)]
        except (KeyError, ValueError):
            known = ", ".join(k.value for k in self.kinds) or "none"
            raise ConfigError(
                f"profile {self.name!r} cannot read {kind!s}; it reads: {known}"
            ) from None


# --- canonical field vocabulary --------------------------------------------------------------------

_ADDRESS = {
    "name": FieldType.TEXT, "first_name": FieldType.TEXT, "last_name": FieldType.TEXT,
    "company": FieldType.TEXT, "street": FieldType.TEXT, "street2": FieldType.TEXT,
    "house_number": FieldType.TEXT, "city": FieldType.TEXT, "postcode": FieldType.TEXT,
    "country": FieldType.COUNTRY,
}
_CUSTOMER = {
    "customer.name": FieldType.TEXT, "customer.company": FieldType.TEXT,
    "customer.company_id": FieldType.TEXT, "customer.vat_id": FieldType.TEXT,
    "customer.email": FieldType.TEXT, "customer.phone": FieldType.TEXT,
    "customer.external_id": FieldType.TEXT,
    **{f"billing.{k}": t for k, t in _ADDRESS.items()},
    **{f"delivery.{k}": t for k, t in _ADDRESS.items()},
}
RECORD_FIELDS: dict[DocumentKind, dict[str, FieldType]] = {
    DocumentKind.ORDERS: {
        "external_id": FieldType.TEXT, "number": FieldType.TEXT, "created_at": FieldType.DATETIME,
        "currency": FieldType.TEXT, "status": FieldType.TEXT, "payment_method": FieldType.TEXT,
        "shipping_method": FieldType.TEXT, "total": FieldType.DECIMAL,
        "prices_include_vat": FieldType.BOOL, "note": FieldType.TEXT, **_CUSTOMER,
    },
    DocumentKind.INVOICES: {
        "external_id": FieldType.TEXT, "number": FieldType.TEXT, "issued_on": FieldType.DATE,
        "tax_date": FieldType.DATE, "due_on": FieldType.DATE, "currency": FieldType.TEXT,
        "invoice_kind": FieldType.TEXT, "variable_symbol": FieldType.TEXT,
        "order_number": FieldType.TEXT, "payment_method": FieldType.TEXT, "total": FieldType.DECIMAL,
        "prices_include_vat": FieldType.BOOL, "note": FieldType.TEXT, **_CUSTOMER,
    },
    DocumentKind.PRODUCTS: {
        "external_id": FieldType.TEXT, "code": FieldType.TEXT, "name": FieldType.TEXT,
        "ean": FieldType.TEXT, "unit": FieldType.TEXT, "vat_rate": FieldType.DECIMAL,
        "price": FieldType.DECIMAL, "price_excl": FieldType.DECIMAL, "currency": FieldType.TEXT,
        "description": FieldType.TEXT, "manufacturer": FieldType.TEXT, "url": FieldType.TEXT,
        "image_url": FieldType.TEXT, "category": FieldType.TEXT, "item_type": FieldType.TEXT,
        "stock": FieldType.DECIMAL, "variant_name": FieldType.TEXT,
    },
    DocumentKind.STOCK: {
        "external_id": FieldType.TEXT, "product_code": FieldType.TEXT,
        "product_variant": FieldType.TEXT, "warehouse": FieldType.TEXT,
        "on_hand": FieldType.DECIMAL, "reserved": FieldType.DECIMAL,
    },
}
LINE_FIELDS: dict[DocumentKind, dict[str, FieldType]] = {
    DocumentKind.ORDERS: {
        "kind": FieldType.TEXT, "name": FieldType.TEXT, "quantity": FieldType.DECIMAL,
        "unit_price": FieldType.DECIMAL, "unit_price_excl": FieldType.DECIMAL,
        "vat_rate": FieldType.DECIMAL, "code": FieldType.TEXT, "ean": FieldType.TEXT,
        "unit": FieldType.TEXT, "variant": FieldType.TEXT, "discount_percent": FieldType.DECIMAL,
        "line_total": FieldType.DECIMAL, "line_tax": FieldType.DECIMAL,
        "prices_include_vat": FieldType.BOOL,
    },
    DocumentKind.INVOICES: {
        "kind": FieldType.TEXT, "name": FieldType.TEXT, "quantity": FieldType.DECIMAL,
        "unit_price": FieldType.DECIMAL, "unit_price_excl": FieldType.DECIMAL,
        "vat_rate": FieldType.DECIMAL, "code": FieldType.TEXT, "unit": FieldType.TEXT,
        "discount_percent": FieldType.DECIMAL, "prices_include_vat": FieldType.BOOL,
    },
}
REQUIRED_FIELDS: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.ORDERS: ("external_id",),
    DocumentKind.INVOICES: ("external_id",),
    DocumentKind.PRODUCTS: ("code",),
    DocumentKind.STOCK: ("product_code", "on_hand"),
}
# Value maps the reader applies, and the canonical values each may produce.
MAP_TARGETS: dict[str, frozenset[str] | None] = {
    "status": frozenset(s.value for s in OrderStatus),
    "line_kind": frozenset(k.value for k in LineKind),
    "invoice_kind": frozenset(k.value for k in InvoiceKind),
    "payment": None,
    "shipping": None,
    "country": None,
    "vat_rate": None,
    "item_type": None,
}
_DEFAULT_MAP_FOR = {
    "status": "status", "payment_method": "payment", "shipping_method": "shipping",
    "invoice_kind": "invoice_kind", "item_type": "item_type",
}
_PREFIX_RE = re.compile(r"([A-Za-z_][\w.-]*):[A-Za-z_]")
_SIMPLE_PATH_RE = re.compile(r"^(?:[A-Za-z_][\w.:-]*/)*(?:[A-Za-z_][\w.:-]*|@[A-Za-z_][\w.:-]*)$")


# --- loading ---------------------------------------------------------------------------------------


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file() or "/" in str(name_or_path):
        if not candidate.is_file():
            raise ConfigError(f"profile file not found: {candidate}")
        return candidate
    bundled = profiles_dir() / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    known = ", ".join(p.stem for p in sorted(profiles_dir().glob("*.yaml"))) or "none"
    raise ConfigError(f"unknown profile {str(name_or_path)!r} (bundled: {known}; or give a file path)")


def load_profile(name_or_path: str | Path) -> Profile:
    """Load and validate a profile: a bundled one by name, else a YAML file path.

    Raises:
        ConfigError: the profile cannot be found.
        ProfileError: the profile does not validate; ``problems`` lists every one with file and line.
    """
    path = _resolve(name_or_path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read profile {path}: {exc}") from exc
    probs = Problems(path)
    data = load_with_lines(source, path, probs)
    if probs.items and data is None:
        raise ProfileError(f"profile {path} is not valid YAML", probs.items)
    profile = _build_profile(data, path, probs)
    if probs.items or profile is None:
        raise ProfileError(f"profile {path} has {len(probs.items)} problem(s)", probs.items)
    return profile


def list_profiles() -> list[Profile]:
    """Every bundled profile, loaded and validated, sorted by name."""
    return [load_profile(p) for p in sorted(profiles_dir().glob("*.yaml"))]


def _build_profile(data: Any, path: Path, probs: Problems) -> Profile | None:
    if not isinstance(data, LineDict):
        probs.add(1, "(top)", "a profile must be a YAML mapping")
        return None
    check_keys(data, {"name", "description", "import", "kinds", "exports"}, "", probs)
    name = text(data, "name", "", probs, default=path.stem) or path.stem
    description = text(data, "description", "", probs, default="") or ""
    options = _build_options(data, name, probs)
    kinds: dict[DocumentKind, RecordMapping] = {}
    kinds_map = as_map(data.get("kinds"), line_of(data, "kinds"), "kinds", probs)
    if kinds_map is None:
        if not data.get("exports"):  # an export-only profile (heureka, google, native) reads nothing
            probs.add(data.line, "kinds", "required: at least one document kind or one export")
    else:
        for kind_name, body in kinds_map.items():
            where = f"kinds.{kind_name}"
            try:
                kind = DocumentKind(kind_name)
            except ValueError:
                probs.add(line_of(kinds_map, kind_name), where,
                          f"unknown kind (known: {', '.join(k.value for k in DocumentKind)})")
                continue
            body_map = as_map(body, line_of(kinds_map, kind_name), where, probs)
            if body_map is None:
                probs.add(line_of(kinds_map, kind_name), where, "must be a mapping")
                continue
            mapping = _build_mapping(kind, body_map, where, path, probs)
            if mapping is not None:
                kinds[kind] = mapping
    exports = _build_exports(data, path, probs)
    return Profile(name=name, path=path, description=description, import_options=options,
                   kinds=kinds, exports=exports)


def _build_options(data: LineDict, name: str, probs: Problems) -> ImportOptions:
    section = as_map(data.get("import"), line_of(data, "import"), "import", probs) or LineDict()
    if not hasattr(section, "key_lines"):
        section.key_lines = {}
    w = "import"
    check_keys(section, {"shop", "platform", "timezone", "unknown_product", "on_changed",
                          "price_list", "warehouse", "currency"}, w, probs)
    timezone = text(section, "timezone", w, probs, default="Europe/Prague") or "Europe/Prague"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        probs.add(line_of(section, "timezone"), f"{w}.timezone", f"unknown time zone {timezone!r}")
    currency = text(section, "currency", w, probs, default="CZK") or "CZK"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        probs.add(line_of(section, "currency"), f"{w}.currency", "must be an ISO 4217 code like CZK")
    return ImportOptions(
        shop=text(section, "shop", w, probs, default=name) or name,
        platform=text(section, "platform", w, probs, default=name) or name,
        timezone=timezone,
        unknown_product=choice(section, "unknown_product", w, probs, UnknownProduct, "create"),
        on_changed=choice(section, "on_changed", w, probs, OnChanged, "update"),
        price_list=text(section, "price_list", w, probs, default="retail") or "retail",
        warehouse=text(section, "warehouse", w, probs, default="MAIN") or "MAIN",
        currency=currency,
    )


def _check_path(path: str, line: int, where: str, namespaces: Mapping[str, str],
                probs: Problems) -> None:
    if not path.strip():
        probs.add(line, where, "empty path")
        return
    if path.startswith("/") and not path.startswith("//"):
        probs.add(line, where, "field paths are relative to the record; remove the leading '/'")
        return
    for prefix in _PREFIX_RE.findall(path):
        if prefix not in namespaces and prefix not in ("xml", "local-name", "text", "string"):
            probs.add(line, where, f"namespace prefix {prefix!r} is not declared in namespaces")
            return
    if not _SIMPLE_PATH_RE.match(path):
        from lxml import etree

        try:
            etree.XPath(path, namespaces=dict(namespaces))
        except etree.XPathError as exc:
            probs.add(line, where, f"invalid XPath: {exc}")


def _build_fields(section: Any, line: int, where: str, vocabulary: Mapping[str, FieldType],
                  namespaces: Mapping[str, str], maps: Mapping[str, Any],
                  probs: Problems) -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {}
    body = as_map(section, line, where, probs)
    if body is None:
        return fields
    for fname, spec in body.items():
        fwhere = f"{where}.{fname}"
        fline = line_of(body, fname)
        if fname not in vocabulary:
            probs.add(fline, fwhere, f"unknown field (known: {', '.join(sorted(vocabulary))})")
            continue
        ftype = vocabulary[fname]
        fmt: str | None = None
        value_map = _DEFAULT_MAP_FOR.get(fname)
        if fname.endswith("country"):
            value_map = "country"
        elif fname == "vat_rate" and "vat_rate" in maps:
            value_map = "vat_rate"
        default: str | None = None
        tz: str | None = None
        raw_path: Any = None
        if isinstance(spec, str | list):
            raw_path = spec
        elif isinstance(spec, LineDict):
            check_keys(spec, {"path", "format", "map", "default", "type", "timezone"}, fwhere, probs)
            raw_path = spec.get("path")
            if not raw_path and "default" not in spec:
                probs.add(fline, f"{fwhere}.path", "required (or give a constant default)")
            fmt = text(spec, "format", fwhere, probs)
            value_map = text(spec, "map", fwhere, probs, default=value_map)
            default = text(spec, "default", fwhere, probs)
            tz = text(spec, "timezone", fwhere, probs)
            if tz is not None:
                try:
                    ZoneInfo(tz)
                except (ZoneInfoNotFoundError, ValueError):
                    probs.add(line_of(spec, "timezone"), f"{fwhere}.timezone",
                              f"unknown time zone {tz!r}")
            if "type" in spec:
                tname = text(spec, "type", fwhere, probs, default=ftype.value)
                try:
                    ftype = FieldType(tname)
                except ValueError:
                    probs.add(line_of(spec, "type"), f"{fwhere}.type",
                              f"unknown type (known: {', '.join(t.value for t in FieldType)})")
        else:
            probs.add(fline, fwhere, "must be a path, a list of paths, or a mapping with "
                                     "path/format/map/default")
            continue
        paths: list[str] = []
        if isinstance(raw_path, list):
            for p in raw_path:
                if isinstance(p, str):
                    paths.append(p)
                else:
                    probs.add(fline, fwhere, f"path {p!r} must be text")
        elif isinstance(raw_path, str):
            paths.append(raw_path)
        elif raw_path is not None:
            probs.add(fline, f"{fwhere}.path", "must be a path or a list of paths")
        for fpath in paths:
            _check_path(fpath, fline, fwhere, namespaces, probs)
        if value_map is not None and value_map not in maps and value_map not in (
            "country", "vat_rate") and isinstance(spec, LineDict) and "map" in spec:
            probs.add(line_of(spec, "map"), f"{fwhere}.map", f"no value map named {value_map!r}")
        if (fmt is not None or tz is not None) and ftype not in (FieldType.DATETIME, FieldType.DATE):
            probs.add(fline, f"{fwhere}.format", "format and timezone apply only to dates")
        fields[fname] = FieldSpec(name=fname, path=paths[0] if paths else "", type=ftype, format=fmt,
                                  value_map=value_map, default=default, line=fline,
                                  alternatives=tuple(paths[1:]), timezone=tz)
    return fields


def _build_maps(section: Any, line: int, where: str, probs: Problems) -> dict[str, ValueMap]:
    maps: dict[str, ValueMap] = {}
    body = as_map(section, line, where, probs)
    if body is None:
        return maps
    for mname, spec in body.items():
        mwhere = f"{where}.{mname}"
        mline = line_of(body, mname)
        spec_map = as_map(spec, mline, mwhere, probs)
        if spec_map is None:
            continue
        check_keys(spec_map, {"values", "default"}, mwhere, probs)
        allowed = MAP_TARGETS.get(mname)
        values_raw = as_map(spec_map.get("values"), line_of(spec_map, "values"), f"{mwhere}.values",
                             probs) or {}
        values: dict[str, str] = {}
        for raw, target in values_raw.items():
            vline = line_of(values_raw, raw)
            if target is None or isinstance(target, dict | list):
                probs.add(vline, f"{mwhere}.values.{raw}", "must map to a single value")
                continue
            target_s = str(target)
            if allowed is not None and target_s not in allowed:
                probs.add(vline, f"{mwhere}.values.{raw}",
                          f"{target_s!r} is not one of {', '.join(sorted(allowed))}")
            values[str(raw).strip().casefold()] = target_s
        default = text(spec_map, "default", mwhere, probs)
        if default is not None and allowed is not None and default not in allowed:
            probs.add(line_of(spec_map, "default"), f"{mwhere}.default",
                      f"{default!r} is not one of {', '.join(sorted(allowed))}")
        if mname == "vat_rate":
            for raw, target in values.items():
                try:
                    Decimal(target)
                except InvalidOperation:
                    probs.add(line_of(values_raw, raw), f"{mwhere}.values.{raw}",
                              "must be a number (percent)")
        maps[mname] = ValueMap(name=mname, values=values, default=default)
    return maps


def _build_lines(section: Any, line: int, where: str, vocabulary: Mapping[str, FieldType],
                 namespaces: Mapping[str, str], maps: Mapping[str, ValueMap],
                 probs: Problems, *, variants: bool = False) -> LinesSpec | None:
    body = as_map(section, line, where, probs)
    if body is None:
        return None
    allowed = {"path", "fields", "classify"} | ({"parameters"} if variants else set())
    check_keys(body, allowed, where, probs)
    path = text(body, "path", where, probs, required=True) or ""
    if path:
        _check_path(path, line_of(body, "path"), f"{where}.path", namespaces, probs)
    fields = _build_fields(body.get("fields"), line_of(body, "fields"), f"{where}.fields", vocabulary,
                           namespaces, maps, probs)
    classify = text(body, "classify", where, probs)
    if classify is not None and classify not in maps:
        probs.add(line_of(body, "classify"), f"{where}.classify", f"no value map named {classify!r}")
    parameters: tuple[str, str, str] | None = None
    if variants and "parameters" in body:
        pmap = as_map(body["parameters"], line_of(body, "parameters"), f"{where}.parameters", probs)
        if pmap is not None:
            check_keys(pmap, {"path", "name", "value"}, f"{where}.parameters", probs)
            parameters = (
                text(pmap, "path", f"{where}.parameters", probs, required=True) or "",
                text(pmap, "name", f"{where}.parameters", probs, default="NAME") or "NAME",
                text(pmap, "value", f"{where}.parameters", probs, default="VALUE") or "VALUE",
            )
    return LinesSpec(path=path, fields=fields, classify=classify, parameters=parameters)


def _build_totals_lines(section: Any, line: int, where: str, namespaces: Mapping[str, str],
                        probs: Problems) -> tuple[TotalsLine, ...]:
    if section is None:
        return ()
    if not isinstance(section, list):
        probs.add(line, where, "must be a list")
        return ()
    result: list[TotalsLine] = []
    for i, item in enumerate(section):
        iwhere = f"{where}[{i}]"
        body = as_map(item, line, iwhere, probs)
        if body is None:
            continue
        check_keys(body, {"kind", "name", "name_path", "unit_price", "unit_price_excl", "vat_rate",
                           "negate", "tax"}, iwhere, probs)
        kind_s = text(body, "kind", iwhere, probs, required=True) or "other"
        try:
            kind = LineKind(kind_s)
        except ValueError:
            probs.add(line_of(body, "kind"), f"{iwhere}.kind",
                      f"{kind_s!r} is not one of {', '.join(k.value for k in LineKind)}")
            kind = LineKind.OTHER
        paths = {}
        for key in ("unit_price", "unit_price_excl", "vat_rate", "name_path", "tax"):
            value = text(body, key, iwhere, probs)
            if value:
                _check_path(value, line_of(body, key), f"{iwhere}.{key}", namespaces, probs)
            paths[key] = value
        negate = body.get("negate", False)
        if not isinstance(negate, bool):
            probs.add(line_of(body, "negate"), f"{iwhere}.negate", "must be true or false")
            negate = False
        result.append(TotalsLine(kind=kind, name=text(body, "name", iwhere, probs, default=kind.value)
                                 or kind.value, unit_price=paths["unit_price"],
                                 unit_price_excl=paths["unit_price_excl"], vat_rate=paths["vat_rate"],
                                 name_path=paths["name_path"], negate=negate, tax=paths["tax"]))
        if not paths["unit_price"] and not paths["unit_price_excl"]:
            probs.add(body.line, f"{iwhere}.unit_price", "required: unit_price or unit_price_excl")
    return tuple(result)


def _build_mapping(kind: DocumentKind, body: LineDict, where: str, profile_path: Path,
                   probs: Problems) -> RecordMapping | None:
    check_keys(body, {"record", "namespaces", "fields", "lines", "variants", "totals_lines", "maps",
                       "dedupe_key", "encoding_fallback", "schema", "vat_rates",
                       "prices_include_vat"}, where, probs)
    namespaces: dict[str, str] = {}
    ns_body = as_map(body.get("namespaces"), line_of(body, "namespaces"), f"{where}.namespaces", probs)
    for prefix, uri in (ns_body or {}).items():
        if not isinstance(uri, str) or not uri:
            probs.add(line_of(ns_body, prefix), f"{where}.namespaces.{prefix}", "must be a URI")
        else:
            namespaces[str(prefix)] = uri
    records_raw = body.get("record")
    records: list[str] = []
    if isinstance(records_raw, str):
        records = [records_raw]
    elif isinstance(records_raw, list) and all(isinstance(r, str) for r in records_raw):
        records = list(records_raw)
    else:
        probs.add(line_of(body, "record"), f"{where}.record",
                  "required: an absolute path like /ORDERS/ORDER, or a list of them")
    for rec in records:
        if not re.fullmatch(r"(/[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?)+", rec):
            probs.add(line_of(body, "record"), f"{where}.record",
                      f"{rec!r} must be a plain absolute path like /ORDERS/ORDER (no predicates)")
        for prefix in _PREFIX_RE.findall(rec):
            if prefix not in namespaces:
                probs.add(line_of(body, "record"), f"{where}.record",
                          f"namespace prefix {prefix!r} is not declared in namespaces")
    maps = _build_maps(body.get("maps"), line_of(body, "maps"), f"{where}.maps", probs)
    fields = _build_fields(body.get("fields"), line_of(body, "fields"), f"{where}.fields",
                           RECORD_FIELDS[kind], namespaces, maps, probs)
    for req in REQUIRED_FIELDS[kind]:
        if req not in fields and "fields" in body:
            probs.add(line_of(body, "fields"), f"{where}.fields.{req}", "required")
    lines = None
    if "lines" in body:
        if kind not in LINE_FIELDS:
            probs.add(line_of(body, "lines"), f"{where}.lines", f"{kind.value} have no lines")
        else:
            lines = _build_lines(body["lines"], line_of(body, "lines"), f"{where}.lines",
                                 LINE_FIELDS[kind], namespaces, maps, probs)
    variants = None
    if "variants" in body:
        if kind is not DocumentKind.PRODUCTS:
            probs.add(line_of(body, "variants"), f"{where}.variants", "only products have variants")
        else:
            variants = _build_lines(body["variants"], line_of(body, "variants"), f"{where}.variants",
                                    RECORD_FIELDS[kind], namespaces, maps, probs, variants=True)
    totals = _build_totals_lines(body.get("totals_lines"), line_of(body, "totals_lines"),
                                 f"{where}.totals_lines", namespaces, probs)
    default_key = {DocumentKind.PRODUCTS: "code", DocumentKind.STOCK: "product_code"}.get(
        kind, "external_id")
    dedupe_raw = body.get("dedupe_key", [default_key])
    dedupe = tuple(dedupe_raw) if isinstance(dedupe_raw, list) else (str(dedupe_raw),)
    for key in dedupe:
        if key not in RECORD_FIELDS[kind]:
            probs.add(line_of(body, "dedupe_key"), f"{where}.dedupe_key", f"unknown field {key!r}")
    fallback = text(body, "encoding_fallback", where, probs)
    if fallback is not None:
        try:
            codecs.lookup(fallback)
        except LookupError:
            probs.add(line_of(body, "encoding_fallback"), f"{where}.encoding_fallback",
                      f"unknown encoding {fallback!r}")
    schema: Path | None = None
    schema_s = text(body, "schema", where, probs)
    if schema_s:
        schema = _resolve_schema(schema_s, profile_path)
        if schema is None:
            probs.add(line_of(body, "schema"), f"{where}.schema", f"schema file not found: {schema_s}")
    vat_rates: list[Decimal] = []
    for rate in body.get("vat_rates") or []:
        try:
            vat_rates.append(Decimal(str(rate)))
        except InvalidOperation:
            probs.add(line_of(body, "vat_rates"), f"{where}.vat_rates", f"{rate!r} is not a number")
    include = body.get("prices_include_vat", True)
    if not isinstance(include, bool):
        probs.add(line_of(body, "prices_include_vat"), f"{where}.prices_include_vat",
                  "must be true or false")
        include = True
    if not records:
        return None
    return RecordMapping(kind=kind, records=tuple(records), fields=fields, namespaces=namespaces,
                         lines=lines, variants=variants, totals_lines=totals, maps=maps,
                         dedupe_key=dedupe, encoding_fallback=fallback, schema=schema,
                         vat_rates=tuple(vat_rates), prices_include_vat=include)


def _resolve_schema(value: str, profile_path: Path) -> Path | None:
    for candidate in (Path(value), profile_path.parent / value, schemas_dir() / value):
        if candidate.is_file():
            return candidate
    return None


def _build_exports(data: LineDict, path: Path, probs: Problems) -> dict[str, ExportSpec]:
    section = as_map(data.get("exports"), line_of(data, "exports"), "exports", probs)
    exports: dict[str, ExportSpec] = {}
    for name, spec in (section or {}).items():
        where = f"exports.{name}"
        body = as_map(spec, line_of(section, name), where, probs)
        if body is None:
            continue
        check_keys(body, {"template", "description", "price_list", "vat_included", "warehouses",
                           "label", "gate_max_drop", "template_dir", "options"}, where, probs)
        template = text(body, "template", where, probs, required=True) or ""
        warehouses_raw = body.get("warehouses") or []
        if isinstance(warehouses_raw, str):
            warehouses_raw = [warehouses_raw]
        gate = body.get("gate_max_drop", 0.2)
        if isinstance(gate, bool) or not isinstance(gate, int | float) or not 0 <= gate <= 1:
            probs.add(line_of(body, "gate_max_drop"), f"{where}.gate_max_drop",
                      "must be a number between 0 and 1")
            gate = 0.2
        vat_included = body.get("vat_included", True)
        if not isinstance(vat_included, bool):
            probs.add(line_of(body, "vat_included"), f"{where}.vat_included", "must be true or false")
            vat_included = True
        template_dir_s = text(body, "template_dir", where, probs)
        options = body.get("options") or {}
        if not isinstance(options, dict):
            probs.add(line_of(body, "options"), f"{where}.options", "must be a mapping")
            options = {}
        exports[str(name)] = ExportSpec(
            name=str(name), template=template,
            description=text(body, "description", where, probs, default="") or "",
            price_list=text(body, "price_list", where, probs, default="retail") or "retail",
            vat_included=vat_included, warehouses=tuple(str(w) for w in warehouses_raw),
            label=text(body, "label", where, probs), gate_max_drop=float(gate),
            template_dir=(path.parent / template_dir_s) if template_dir_s else None,
            options=dict(options),
        )
    return exports


def iter_profile_paths() -> Iterator[Path]:
    """The bundled profile files."""
    yield from sorted(profiles_dir().glob("*.yaml"))


def profile_text(name_or_path: str | Path) -> str:
    """The YAML text of a profile, after checking that it validates."""
    profile = load_profile(name_or_path)
    return profile.path.read_text(encoding="utf-8")


_NAME_LINE = re.compile(r"^name:.*$", re.MULTILINE)


def copy_profile(name_or_path: str | Path, target: Path, *, overwrite: bool = False) -> Path:
    """Copy a profile to ``target`` (named after the file), to be adapted by the user.

    Raises:
        ConfigError: the profile is unknown, or ``target`` exists and ``overwrite`` is false.
    """
    source = profile_text(name_or_path)
    target = Path(target)
    if target.suffix not in (".yaml", ".yml"):
        target = target.with_suffix(".yaml")
    if target.exists() and not overwrite:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    source = _NAME_LINE.sub(f"name: {target.stem}", source, count=1)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc}") from exc
    return target
