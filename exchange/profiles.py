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

import yaml

from exchange.documents import InvoiceKind, LineKind, OrderStatus
from exchange.errors import ConfigError, ProfileError
from exchange.resources import profiles_dir, schemas_dir


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


# --- YAML with lines -------------------------------------------------------------------------------


class _LineDict(dict):  # type: ignore[type-arg]
    """A mapping from YAML that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds :class:`_LineDict` from composed nodes and notes duplicate keys."""

    duplicates: list[tuple[int, str]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.duplicates.append((line, str(key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Problems:
    """Collects every problem of one profile file as ``file:line: key: reason``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int, key: str, reason: str) -> None:
        self.items.append(f"{self.path}:{line}: {key}: {reason}")


def _line_of(parent: Any, key: Any) -> int:
    if isinstance(parent, _LineDict):
        return parent.key_lines.get(key, parent.line)
    return 0


def _check_keys(d: _LineDict, allowed: set[str], where: str, probs: _Problems) -> None:
    for key in d:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            probs.add(_line_of(d, key), f"{where}.{key}" if where else str(key),
                      f"unknown key (known: {known})")


def _as_map(value: Any, line: int, where: str, probs: _Problems) -> _LineDict | None:
    if value is None:
        return None
    if not isinstance(value, _LineDict):
        probs.add(line, where, f"must be a mapping, got {type(value).__name__}")
        return None
    return value


def _str(d: _LineDict, key: str, where: str, probs: _Problems, *, default: str | None = None,
         required: bool = False) -> str | None:
    if key not in d or d[key] is None:
        if required:
            probs.add(d.line, f"{where}.{key}" if where else key, "required")
        return default
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        probs.add(_line_of(d, key), f"{where}.{key}" if where else key, "must be text")
        return default
    return str(value)


def _choice(d: _LineDict, key: str, where: str, probs: _Problems, enum: type[StrEnum],
            default: str) -> str:
    value = _str(d, key, where, probs, default=default) or default
    allowed = [e.value for e in enum]
    if value not in allowed:
        probs.add(_line_of(d, key), f"{where}.{key}", f"{value!r} is not one of {', '.join(allowed)}")
        return default
    return value


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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read profile {path}: {exc}") from exc
    loader = _LineLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"profile {path} is not valid YAML",
                           [f"{path}:{line}: {problem}"]) from exc
    finally:
        loader.dispose()
    probs = _Problems(path)
    for line, key in loader.duplicates:
        probs.add(line, key, "duplicate key")
    profile = _build_profile(data, path, probs)
    if probs.items or profile is None:
        raise ProfileError(f"profile {path} has {len(probs.items)} problem(s)", probs.items)
    return profile


def list_profiles() -> list[Profile]:
    """Every bundled profile, loaded and validated, sorted by name."""
    return [load_profile(p) for p in sorted(profiles_dir().glob("*.yaml"))]


def _build_profile(data: Any, path: Path, probs: _Problems) -> Profile | None:
    if not isinstance(data, _LineDict):
        probs.add(1, "(top)", "a profile must be a YAML mapping")
        return None
    _check_keys(data, {"name", "description", "import", "kinds", "exports"}, "", probs)
    name = _str(data, "name", "", probs, default=path.stem) or path.stem
    description = _str(data, "description", "", probs, default="") or ""
    options = _build_options(data, name, probs)
    kinds: dict[DocumentKind, RecordMapping] = {}
    kinds_map = _as_map(data.get("kinds"), _line_of(data, "kinds"), "kinds", probs)
    if kinds_map is None:
        if not data.get("exports"):  # an export-only profile (heureka, google, native) reads nothing
            probs.add(data.line, "kinds", "required: at least one document kind or one export")
    else:
        for kind_name, body in kinds_map.items():
            where = f"kinds.{kind_name}"
            try:
                kind = DocumentKind(kind_name)
            except ValueError:
                probs.add(_line_of(kinds_map, kind_name), where,
                          f"unknown kind (known: {', '.join(k.value for k in DocumentKind)})")
                continue
            body_map = _as_map(body, _line_of(kinds_map, kind_name), where, probs)
            if body_map is None:
                probs.add(_line_of(kinds_map, kind_name), where, "must be a mapping")
                continue
            mapping = _build_mapping(kind, body_map, where, path, probs)
            if mapping is not None:
                kinds[kind] = mapping
    exports = _build_exports(data, path, probs)
    return Profile(name=name, path=path, description=description, import_options=options,
                   kinds=kinds, exports=exports)


def _build_options(data: _LineDict, name: str, probs: _Problems) -> ImportOptions:
    section = _as_map(data.get("import"), _line_of(data, "import"), "import", probs) or _LineDict()
    if not hasattr(section, "key_lines"):
        section.key_lines = {}
    w = "import"
    _check_keys(section, {"shop", "platform", "timezone", "unknown_product", "on_changed",
                          "price_list", "warehouse", "currency"}, w, probs)
    timezone = _str(section, "timezone", w, probs, default="Europe/Prague") or "Europe/Prague"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        probs.add(_line_of(section, "timezone"), f"{w}.timezone", f"unknown time zone {timezone!r}")
    currency = _str(section, "currency", w, probs, default="CZK") or "CZK"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        probs.add(_line_of(section, "currency"), f"{w}.currency", "must be an ISO 4217 code like CZK")
    return ImportOptions(
        shop=_str(section, "shop", w, probs, default=name) or name,
        platform=_str(section, "platform", w, probs, default=name) or name,
        timezone=timezone,
        unknown_product=_choice(section, "unknown_product", w, probs, UnknownProduct, "create"),
        on_changed=_choice(section, "on_changed", w, probs, OnChanged, "update"),
        price_list=_str(section, "price_list", w, probs, default="retail") or "retail",
        warehouse=_str(section, "warehouse", w, probs, default="MAIN") or "MAIN",
        currency=currency,
    )


def _check_path(path: str, line: int, where: str, namespaces: Mapping[str, str],
                probs: _Problems) -> None:
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
                  probs: _Problems) -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {}
    body = _as_map(section, line, where, probs)
    if body is None:
        return fields
    for fname, spec in body.items():
        fwhere = f"{where}.{fname}"
        fline = _line_of(body, fname)
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
        elif isinstance(spec, _LineDict):
            _check_keys(spec, {"path", "format", "map", "default", "type", "timezone"}, fwhere, probs)
            raw_path = spec.get("path")
            if not raw_path and "default" not in spec:
                probs.add(fline, f"{fwhere}.path", "required (or give a constant default)")
            fmt = _str(spec, "format", fwhere, probs)
            value_map = _str(spec, "map", fwhere, probs, default=value_map)
            default = _str(spec, "default", fwhere, probs)
            tz = _str(spec, "timezone", fwhere, probs)
            if tz is not None:
                try:
                    ZoneInfo(tz)
                except (ZoneInfoNotFoundError, ValueError):
                    probs.add(_line_of(spec, "timezone"), f"{fwhere}.timezone",
                              f"unknown time zone {tz!r}")
            if "type" in spec:
                tname = _str(spec, "type", fwhere, probs, default=ftype.value)
                try:
                    ftype = FieldType(tname)
                except ValueError:
                    probs.add(_line_of(spec, "type"), f"{fwhere}.type",
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
            "country", "vat_rate") and isinstance(spec, _LineDict) and "map" in spec:
            probs.add(_line_of(spec, "map"), f"{fwhere}.map", f"no value map named {value_map!r}")
        if (fmt is not None or tz is not None) and ftype not in (FieldType.DATETIME, FieldType.DATE):
            probs.add(fline, f"{fwhere}.format", "format and timezone apply only to dates")
        fields[fname] = FieldSpec(name=fname, path=paths[0] if paths else "", type=ftype, format=fmt,
                                  value_map=value_map, default=default, line=fline,
                                  alternatives=tuple(paths[1:]), timezone=tz)
    return fields


def _build_maps(section: Any, line: int, where: str, probs: _Problems) -> dict[str, ValueMap]:
    maps: dict[str, ValueMap] = {}
    body = _as_map(section, line, where, probs)
    if body is None:
        return maps
    for mname, spec in body.items():
        mwhere = f"{where}.{mname}"
        mline = _line_of(body, mname)
        spec_map = _as_map(spec, mline, mwhere, probs)
        if spec_map is None:
            continue
        _check_keys(spec_map, {"values", "default"}, mwhere, probs)
        allowed = MAP_TARGETS.get(mname)
        values_raw = _as_map(spec_map.get("values"), _line_of(spec_map, "values"), f"{mwhere}.values",
                             probs) or {}
        values: dict[str, str] = {}
        for raw, target in values_raw.items():
            vline = _line_of(values_raw, raw)
            if target is None or isinstance(target, dict | list):
                probs.add(vline, f"{mwhere}.values.{raw}", "must map to a single value")
                continue
            target_s = str(target)
            if allowed is not None and target_s not in allowed:
                probs.add(vline, f"{mwhere}.values.{raw}",
                          f"{target_s!r} is not one of {', '.join(sorted(allowed))}")
            values[str(raw).strip().casefold()] = target_s
        default = _str(spec_map, "default", mwhere, probs)
        if default is not None and allowed is not None and default not in allowed:
            probs.add(_line_of(spec_map, "default"), f"{mwhere}.default",
                      f"{default!r} is not one of {', '.join(sorted(allowed))}")
        if mname == "vat_rate":
            for raw, target in values.items():
                try:
                    Decimal(target)
                except InvalidOperation:
                    probs.add(_line_of(values_raw, raw), f"{mwhere}.values.{raw}",
                              "must be a number (percent)")
        maps[mname] = ValueMap(name=mname, values=values, default=default)
    return maps


def _build_lines(section: Any, line: int, where: str, vocabulary: Mapping[str, FieldType],
                 namespaces: Mapping[str, str], maps: Mapping[str, ValueMap],
                 probs: _Problems, *, variants: bool = False) -> LinesSpec | None:
    body = _as_map(section, line, where, probs)
    if body is None:
        return None
    allowed = {"path", "fields", "classify"} | ({"parameters"} if variants else set())
    _check_keys(body, allowed, where, probs)
    path = _str(body, "path", where, probs, required=True) or ""
    if path:
        _check_path(path, _line_of(body, "path"), f"{where}.path", namespaces, probs)
    fields = _build_fields(body.get("fields"), _line_of(body, "fields"), f"{where}.fields", vocabulary,
                           namespaces, maps, probs)
    classify = _str(body, "classify", where, probs)
    if classify is not None and classify not in maps:
        probs.add(_line_of(body, "classify"), f"{where}.classify", f"no value map named {classify!r}")
    parameters: tuple[str, str, str] | None = None
    if variants and "parameters" in body:
        pmap = _as_map(body["parameters"], _line_of(body, "parameters"), f"{where}.parameters", probs)
        if pmap is not None:
            _check_keys(pmap, {"path", "name", "value"}, f"{where}.parameters", probs)
            parameters = (
                _str(pmap, "path", f"{where}.parameters", probs, required=True) or "",
                _str(pmap, "name", f"{where}.parameters", probs, default="NAME") or "NAME",
                _str(pmap, "value", f"{where}.parameters", probs, default="VALUE") or "VALUE",
            )
    return LinesSpec(path=path, fields=fields, classify=classify, parameters=parameters)


def _build_totals_lines(section: Any, line: int, where: str, namespaces: Mapping[str, str],
                        probs: _Problems) -> tuple[TotalsLine, ...]:
    if section is None:
        return ()
    if not isinstance(section, list):
        probs.add(line, where, "must be a list")
        return ()
    result: list[TotalsLine] = []
    for i, item in enumerate(section):
        iwhere = f"{where}[{i}]"
        body = _as_map(item, line, iwhere, probs)
        if body is None:
            continue
        _check_keys(body, {"kind", "name", "name_path", "unit_price", "unit_price_excl", "vat_rate",
                           "negate", "tax"}, iwhere, probs)
        kind_s = _str(body, "kind", iwhere, probs, required=True) or "other"
        try:
            kind = LineKind(kind_s)
        except ValueError:
            probs.add(_line_of(body, "kind"), f"{iwhere}.kind",
                      f"{kind_s!r} is not one of {', '.join(k.value for k in LineKind)}")
            kind = LineKind.OTHER
        paths = {}
        for key in ("unit_price", "unit_price_excl", "vat_rate", "name_path", "tax"):
            value = _str(body, key, iwhere, probs)
            if value:
                _check_path(value, _line_of(body, key), f"{iwhere}.{key}", namespaces, probs)
            paths[key] = value
        negate = body.get("negate", False)
        if not isinstance(negate, bool):
            probs.add(_line_of(body, "negate"), f"{iwhere}.negate", "must be true or false")
            negate = False
        result.append(TotalsLine(kind=kind, name=_str(body, "name", iwhere, probs, default=kind.value)
                                 or kind.value, unit_price=paths["unit_price"],
                                 unit_price_excl=paths["unit_price_excl"], vat_rate=paths["vat_rate"],
                                 name_path=paths["name_path"], negate=negate, tax=paths["tax"]))
        if not paths["unit_price"] and not paths["unit_price_excl"]:
            probs.add(body.line, f"{iwhere}.unit_price", "required: unit_price or unit_price_excl")
    return tuple(result)


def _build_mapping(kind: DocumentKind, body: _LineDict, where: str, profile_path: Path,
                   probs: _Problems) -> RecordMapping | None:
    _check_keys(body, {"record", "namespaces", "fields", "lines", "variants", "totals_lines", "maps",
                       "dedupe_key", "encoding_fallback", "schema", "vat_rates",
                       "prices_include_vat"}, where, probs)
    namespaces: dict[str, str] = {}
    ns_body = _as_map(body.get("namespaces"), _line_of(body, "namespaces"), f"{where}.namespaces", probs)
    for prefix, uri in (ns_body or {}).items():
        if not isinstance(uri, str) or not uri:
            probs.add(_line_of(ns_body, prefix), f"{where}.namespaces.{prefix}", "must be a URI")
        else:
            namespaces[str(prefix)] = uri
    records_raw = body.get("record")
    records: list[str] = []
    if isinstance(records_raw, str):
        records = [records_raw]
    elif isinstance(records_raw, list) and all(isinstance(r, str) for r in records_raw):
        records = list(records_raw)
    else:
        probs.add(_line_of(body, "record"), f"{where}.record",
                  "required: an absolute path like /ORDERS/ORDER, or a list of them")
    for rec in records:
        if not re.fullmatch(r"(/[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?)+", rec):
            probs.add(_line_of(body, "record"), f"{where}.record",
                      f"{rec!r} must be a plain absolute path like /ORDERS/ORDER (no predicates)")
        for prefix in _PREFIX_RE.findall(rec):
            if prefix not in namespaces:
                probs.add(_line_of(body, "record"), f"{where}.record",
                          f"namespace prefix {prefix!r} is not declared in namespaces")
    maps = _build_maps(body.get("maps"), _line_of(body, "maps"), f"{where}.maps", probs)
    fields = _build_fields(body.get("fields"), _line_of(body, "fields"), f"{where}.fields",
                           RECORD_FIELDS[kind], namespaces, maps, probs)
    for req in REQUIRED_FIELDS[kind]:
        if req not in fields and "fields" in body:
            probs.add(_line_of(body, "fields"), f"{where}.fields.{req}", "required")
    lines = None
    if "lines" in body:
        if kind not in LINE_FIELDS:
            probs.add(_line_of(body, "lines"), f"{where}.lines", f"{kind.value} have no lines")
        else:
            lines = _build_lines(body["lines"], _line_of(body, "lines"), f"{where}.lines",
                                 LINE_FIELDS[kind], namespaces, maps, probs)
    variants = None
    if "variants" in body:
        if kind is not DocumentKind.PRODUCTS:
            probs.add(_line_of(body, "variants"), f"{where}.variants", "only products have variants")
        else:
            variants = _build_lines(body["variants"], _line_of(body, "variants"), f"{where}.variants",
                                    RECORD_FIELDS[kind], namespaces, maps, probs, variants=True)
    totals = _build_totals_lines(body.get("totals_lines"), _line_of(body, "totals_lines"),
                                 f"{where}.totals_lines", namespaces, probs)
    default_key = {DocumentKind.PRODUCTS: "code", DocumentKind.STOCK: "product_code"}.get(
        kind, "external_id")
    dedupe_raw = body.get("dedupe_key", [default_key])
    dedupe = tuple(dedupe_raw) if isinstance(dedupe_raw, list) else (str(dedupe_raw),)
    for key in dedupe:
        if key not in RECORD_FIELDS[kind]:
            probs.add(_line_of(body, "dedupe_key"), f"{where}.dedupe_key", f"unknown field {key!r}")
    fallback = _str(body, "encoding_fallback", where, probs)
    if fallback is not None:
        try:
            codecs.lookup(fallback)
        except LookupError:
            probs.add(_line_of(body, "encoding_fallback"), f"{where}.encoding_fallback",
                      f"unknown encoding {fallback!r}")
    schema: Path | None = None
    schema_s = _str(body, "schema", where, probs)
    if schema_s:
        schema = _resolve_schema(schema_s, profile_path)
        if schema is None:
            probs.add(_line_of(body, "schema"), f"{where}.schema", f"schema file not found: {schema_s}")
    vat_rates: list[Decimal] = []
    for rate in body.get("vat_rates") or []:
        try:
            vat_rates.append(Decimal(str(rate)))
        except InvalidOperation:
            probs.add(_line_of(body, "vat_rates"), f"{where}.vat_rates", f"{rate!r} is not a number")
    include = body.get("prices_include_vat", True)
    if not isinstance(include, bool):
        probs.add(_line_of(body, "prices_include_vat"), f"{where}.prices_include_vat",
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


def _build_exports(data: _LineDict, path: Path, probs: _Problems) -> dict[str, ExportSpec]:
    section = _as_map(data.get("exports"), _line_of(data, "exports"), "exports", probs)
    exports: dict[str, ExportSpec] = {}
    for name, spec in (section or {}).items():
        where = f"exports.{name}"
        body = _as_map(spec, _line_of(section, name), where, probs)
        if body is None:
            continue
        _check_keys(body, {"template", "description", "price_list", "vat_included", "warehouses",
                           "label", "gate_max_drop", "template_dir", "options"}, where, probs)
        template = _str(body, "template", where, probs, required=True) or ""
        warehouses_raw = body.get("warehouses") or []
        if isinstance(warehouses_raw, str):
            warehouses_raw = [warehouses_raw]
        gate = body.get("gate_max_drop", 0.2)
        if isinstance(gate, bool) or not isinstance(gate, int | float) or not 0 <= gate <= 1:
            probs.add(_line_of(body, "gate_max_drop"), f"{where}.gate_max_drop",
                      "must be a number between 0 and 1")
            gate = 0.2
        vat_included = body.get("vat_included", True)
        if not isinstance(vat_included, bool):
            probs.add(_line_of(body, "vat_included"), f"{where}.vat_included", "must be true or false")
            vat_included = True
        template_dir_s = _str(body, "template_dir", where, probs)
        options = body.get("options") or {}
        if not isinstance(options, dict):
            probs.add(_line_of(body, "options"), f"{where}.options", "must be a mapping")
            options = {}
        exports[str(name)] = ExportSpec(
            name=str(name), template=template,
            description=_str(body, "description", where, probs, default="") or "",
            price_list=_str(body, "price_list", where, probs, default="retail") or "retail",
            vat_included=vat_included, warehouses=tuple(str(w) for w in warehouses_raw),
            label=_str(body, "label", where, probs), gate_max_drop=float(gate),
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
    text = profile_text(name_or_path)
    target = Path(target)
    if target.suffix not in (".yaml", ".yml"):
        target = target.with_suffix(".yaml")
    if target.exists() and not overwrite:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    text = _NAME_LINE.sub(f"name: {target.stem}", text, count=1)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc}") from exc
    return target
