"""Extracted record values → canonical documents (orders, invoices, products, stock levels).

Conversion problems raise :class:`~exchange.errors.MappingError` naming the field; unmapped status,
payment or shipping values without a default become review reasons; everything else the reader had
to guess becomes a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from exchange.documents import (
    Address,
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Price,
    Product,
    StockLevel,
    VatBand,
)
from exchange.errors import MappingError
from exchange.importers.read.converters import country_code, to_bool, to_date, to_datetime, to_decimal
from exchange.importers.read.extractor import LINE_KEY, Group
from exchange.profiles import FieldSpec, FieldType, ImportOptions, RecordMapping, ValueMap

LINES = "lines"
VARIANTS = "variants"
PARAMETERS = "parameters"
ALT = "\x01"
SKIP = "\x02skip"  # a line's lines.skip_when value
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_ONE = Decimal(1)
_ZERO = Decimal(0)


def maps_get(maps: Mapping[str, ValueMap], name: str | None) -> ValueMap | None:
    """The value map called ``name``, if any."""
    return maps.get(name) if name else None


def plan(mapping: RecordMapping) -> tuple[dict[str, str], dict[str, Group]]:
    """The key → path table and repeated groups the extractor must read for ``mapping``."""
    fields = _paths(mapping.fields)
    for i, total in enumerate(mapping.totals_lines):
        for attr in ("unit_price", "unit_price_excl", "vat_rate", "name_path", "tax"):
            path = getattr(total, attr)
            if path:
                fields[f"totals.{i}.{attr}"] = path
    groups: dict[str, Group] = {}
    if mapping.lines is not None:
        line_paths = _paths(mapping.lines.fields)
        if mapping.lines.skip_path:
            line_paths[SKIP] = mapping.lines.skip_path
        groups[LINES] = Group(mapping.lines.path, line_paths)
    if mapping.variants is not None:
        sub: dict[str, Group] = {}
        if mapping.variants.parameters is not None:
            ppath, pname, pvalue = mapping.variants.parameters
            sub[PARAMETERS] = Group(ppath, {"name": pname, "value": pvalue})
        groups[VARIANTS] = Group(mapping.variants.path, _paths(mapping.variants.fields), sub)
    return fields, groups


def _paths(fields: Mapping[str, FieldSpec]) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, spec in fields.items():
        if spec.path:
            result[name] = spec.path
        for i, alt in enumerate(spec.alternatives, start=1):
            result[f"{name}{ALT}{i}"] = alt
    return result


def _fill(values: dict[str, Any], defaults: Mapping[str, str],
          alternatives: Mapping[str, int]) -> None:
    for key, count in alternatives.items():
        if not values.get(key):
            for i in range(1, count + 1):
                alt = values.get(f"{key}{ALT}{i}")
                if alt:
                    values[key] = alt
                    break
    for key, default in defaults.items():
        if not values.get(key):
            values[key] = default


_T = TypeVar("_T")


@dataclass
class BuildNotes:
    """What building one document produced besides the document."""

    review_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Builder:
    """Builds documents of one mapping; one instance per file read."""

    def __init__(self, mapping: RecordMapping, options: ImportOptions, file: str) -> None:
        self.mapping = mapping
        self.options = options
        self.file = file
        self.zone = ZoneInfo(options.timezone)
        self.maps: Mapping[str, ValueMap] = mapping.maps
        self.fields: Mapping[str, FieldSpec] = mapping.fields  # read once: a property per record
        self._country_cache: dict[str, str] = {}
        self._vat_rates = frozenset(mapping.vat_rates)
        self._round_prices = bool(getattr(mapping, "round_unit_prices", False))
        self._kind_cache: dict[str, LineKind] = {}
        self._defaults = {n: s.default for n, s in mapping.fields.items() if s.default}
        line_fields = mapping.lines.fields if mapping.lines is not None else {}
        self.line_fields: Mapping[str, FieldSpec] = line_fields
        self._line_defaults = {n: s.default for n, s in line_fields.items() if s.default}
        self._alts = {n: len(s.alternatives) for n, s in mapping.fields.items() if s.alternatives}
        self._line_alts = {n: len(s.alternatives) for n, s in line_fields.items() if s.alternatives}
        self._zones = {n: ZoneInfo(s.timezone) for n, s in mapping.fields.items() if s.timezone}
        rate_spec = line_fields.get("vat_rate")
        self._line_rate_map = (maps_get(mapping.maps, rate_spec.value_map)
                               if rate_spec is not None else None)
        self._money_fields = any(name in mapping.fields for name in _MONEY_FIELDS)
        self._addr_keys = {
            prefix: tuple(f"{prefix}.{k}" for k in ("name", "first_name", "last_name", "company",
                                                   "street", "street2", "house_number", "city",
                                                   "postcode", "country", "state"))
            for prefix in ("billing", "delivery")
        }

    def fill_defaults(self, values: dict[str, Any]) -> None:
        """Put each field's constant default where the file left it empty or missing."""
        if self._defaults or self._alts:
            _fill(values, self._defaults, self._alts)
        items = values.get(LINES)
        if items and any(item.get(SKIP) for item in items):  # lines.skip_when: not read
            values[LINES] = items = [item for item in items if not item.get(SKIP)]
        if self._line_defaults or self._line_alts:
            for item in values.get(LINES, ()):
                _fill(item, self._line_defaults, self._line_alts)

    def _dec(self, raw: str | None, line: int, label: str) -> Decimal | None:
        if not raw:
            return None
        try:
            return to_decimal(raw)
        except ValueError as exc:
            raise self._fail(line, label, str(exc)) from None

    # --- field access -------------------------------------------------------------------------

    def _fail(self, line: int, name: str, reason: str) -> MappingError:
        return MappingError(reason, file=self.file, line=line, field=name)

    def text(self, values: Mapping[str, Any], spec: FieldSpec | None) -> str:
        if spec is None:
            return ""
        raw = values.get(spec.name)
        if not raw:
            return spec.default or ""
        return raw  # type: ignore[no-any-return]

    def decimal(self, values: Mapping[str, Any], spec: FieldSpec | None, line: int,
                label: str | None = None) -> Decimal | None:
        raw = self.text(values, spec)
        if not raw or spec is None:
            return None
        if spec.value_map is not None and spec.value_map in self.maps:
            mapped = self.maps[spec.value_map].lookup(raw)
            if mapped is not None:
                raw = mapped
        try:
            return to_decimal(raw)
        except ValueError as exc:
            raise self._fail(line, label or spec.name, str(exc)) from None

    def raw_decimal(self, raw: str | None, line: int, label: str) -> Decimal | None:
        if not raw:
            return None
        try:
            return to_decimal(raw)
        except ValueError as exc:
            raise self._fail(line, label, str(exc)) from None

    def _convert(self, values: Mapping[str, Any], spec: FieldSpec | None, line: int,
                 convert: Callable[[str, FieldSpec], _T]) -> _T | None:
        """A field's text through ``convert``; a ValueError becomes a MappingError at ``line``."""
        raw = self.text(values, spec)
        if not raw or spec is None:
            return None
        try:
            return convert(raw, spec)
        except ValueError as exc:
            raise self._fail(line, spec.name, str(exc)) from None

    def _zone_of(self, spec: FieldSpec) -> tzinfo:
        return self._zones.get(spec.name, self.zone)

    def _to_moment(self, raw: str, spec: FieldSpec) -> datetime | None:
        return to_datetime(raw, spec.format, self._zone_of(spec))

    def _to_day(self, raw: str, spec: FieldSpec) -> date | None:
        if spec.type is FieldType.DATETIME:
            moment = self._to_moment(raw, spec)
            return moment.date() if moment else None
        return to_date(raw, spec.format)

    def boolean(self, values: Mapping[str, Any], spec: FieldSpec | None, line: int) -> bool | None:
        return self._convert(values, spec, line, lambda raw, _spec: to_bool(raw))

    def moment(self, values: Mapping[str, Any], spec: FieldSpec | None, line: int) -> datetime | None:
        return self._convert(values, spec, line, self._to_moment)

    def day(self, values: Mapping[str, Any], spec: FieldSpec | None, line: int) -> date | None:
        return self._convert(values, spec, line, self._to_day)

    def country(self, raw: str, label: str, out: BuildNotes) -> str:
        found = self._country_cache.get(raw)
        if found is not None:
            return found
        cmap = self.maps.get("country")
        if raw and cmap is not None and cmap.has(raw):
            found = cmap.lookup(raw) or ""
        elif raw:
            found = country_code(raw)
            if found is None:
                if cmap is not None and cmap.default:
                    out.warnings.append(f"{label}: country {raw!r} is not known; "
                                        f"the default {cmap.default} was used")
                    return cmap.default
                out.warnings.append(f"{label}: country {raw!r} is not known; left empty")
                return ""
        else:
            found = cmap.default if cmap is not None and cmap.default else ""
        self._country_cache[raw] = found
        return found

    def mapped(self, raw: str, map_name: str, what: str, out: BuildNotes) -> str | None:
        """Apply value map ``map_name``: the mapped value, the default, or None + a review reason."""
        vmap = self.maps.get(map_name)
        if vmap is None:
            return raw
        if vmap.has(raw):
            return vmap.lookup(raw)
        if vmap.default is not None:
            if raw:
                out.warnings.append(f"{what} {raw!r} has no mapping; the default {vmap.default!r} "
                                    "was used")
            return vmap.default
        if raw:
            out.review_reasons.append(f"{what} {raw!r} has no mapping and the profile has no default")
        return None

    # --- shared parts -------------------------------------------------------------------------

    def _address(self, values: Mapping[str, Any], prefix: str, out: BuildNotes,
                 vat_country: str = "") -> Address:
        g = values.get
        (k_name, k_first, k_last, k_company, k_street, k_street2, k_house, k_city, k_postcode,
         k_country, k_state) = self._addr_keys[prefix]
        name = g(k_name) or " ".join(p for p in (g(k_first), g(k_last)) if p)
        street = g(k_street) or ""
        street2 = g(k_street2)
        if street2:
            street = f"{street}, {street2}" if street else street2
        address = Address(name, g(k_company) or "", street, g(k_house) or "", g(k_city) or "",
                          g(k_postcode) or "", state=g(k_state) or "")
        raw_country = g(k_country) or ""
        if not raw_country and vat_country and not address.is_empty():
            # no country in the address: the VAT id's prefix tells it before the profile default
            address.country = vat_country
        elif raw_country or not address.is_empty():
            # an empty address stays empty: the country default is for domestic customers only
            address.country = self.country(raw_country, f"{prefix}.country", out)
        return address

    def customer(self, values: Mapping[str, Any], out: BuildNotes) -> Customer:
        g = values.get
        vat_country = vat_id_country(g("customer.vat_id") or "")
        billing = self._address(values, "billing", out, vat_country)
        delivery = self._address(values, "delivery", out)
        return Customer(
            name=g("customer.name") or billing.name,
            company=g("customer.company") or billing.company,
            company_id=g("customer.company_id") or "", vat_id=g("customer.vat_id") or "",
            email=g("customer.email") or "", phone=g("customer.phone") or "",
            billing=billing, delivery=delivery, external_id=g("customer.external_id") or "",
        )

    def currency(self, values: Mapping[str, Any], line: int) -> str:
        code = self.text(values, self.fields.get("currency")) or self.options.currency
        code = code.upper()
        if len(code) != 3 or not code.isalpha():
            raise self._fail(line, "currency", f"{code!r} is not an ISO 4217 currency code")
        return code

    def vat_from_prices(self, incl: Decimal | None, excl: Decimal | None) -> Decimal | None:
        """VAT percent derived from a price with and without VAT, snapped to a standard rate."""
        if incl is None or excl is None or excl == 0:
            return None
        rate = (incl / excl - 1) * _HUNDRED
        best = min(self.mapping.vat_rates, key=lambda r: abs(r - rate), default=None)
        if best is not None and abs(best - rate) <= Decimal("0.6"):
            return best
        return rate.quantize(_CENT)

    def vat_from_tax(self, tax: Decimal | None, amount: Decimal | None,
                     amount_includes_vat: bool) -> Decimal | None:
        """VAT percent derived from a VAT amount and the amount it belongs to."""
        if tax is None or amount is None:
            return None
        base = amount - tax if amount_includes_vat else amount
        if base == 0:
            return None
        return self.vat_from_prices(base + tax, base)

    def line_kind(self, raw: str, line: int, out: BuildNotes) -> LineKind:
        found = self._kind_cache.get(raw)
        if found is not None:
            return found
        spec = self.mapping.lines
        if spec is None or spec.classify is None:
            return LineKind.PRODUCT
        vmap = self.maps[spec.classify]
        if vmap.has(raw):
            found = LineKind(str(vmap.lookup(raw)))
            self._kind_cache[raw] = found
            return found
        if vmap.default is not None:
            if raw:
                out.warnings.append(f"line at {line}: item type {raw!r} is not mapped; read as "
                                    f"{vmap.default}")
            return LineKind(vmap.default)
        out.warnings.append(f"line at {line}: item type {raw!r} is not mapped; read as other")
        return LineKind.OTHER

    def _line_values(self, item: Mapping[str, Any], out: BuildNotes) -> dict[str, Any]:
        g = item.get
        line = g(LINE_KEY) or 0
        dec = self._dec
        kind = self.line_kind(g("kind") or "", line, out)
        incl = dec(g("unit_price"), line, "lines.unit_price")
        excl = dec(g("unit_price_excl"), line, "lines.unit_price_excl")
        raw_rate = g("vat_rate")
        if raw_rate and self._line_rate_map is not None:
            raw_rate = self._line_rate_map.lookup(raw_rate) or raw_rate
        rate = dec(raw_rate, line, "lines.vat_rate")
        raw_include = g("prices_include_vat")
        include: bool | None = None
        if raw_include:
            try:
                include = to_bool(raw_include)
            except ValueError as exc:
                raise self._fail(line, "lines.prices_include_vat", str(exc)) from None
        if include is False and excl is None:
            # POHODA's payVAT=false: the one unit price given is without VAT
            incl, excl = None, incl
        total = dec(g("line_total"), line, "lines.line_total")
        if rate is None:
            rate = self.vat_from_prices(incl, excl)
        quantity = dec(g("quantity"), line, "lines.quantity")
        return {
            "kind": kind, "line": line, "incl": incl, "excl": excl, "rate": rate,
            "quantity": _ONE if quantity is None else quantity,
            "name": g("name") or "", "code": g("code") or "", "ean": g("ean") or "",
            "unit": g("unit") or "", "variant": g("variant") or "",
            "discount": dec(g("discount_percent"), line, "lines.discount_percent") or _ZERO,
            "total": total,
            "total_excl": dec(g("line_total_excl"), line, "lines.line_total_excl"),
            "include": include,
            "tax": dec(g("line_tax"), line, "lines.line_tax"),
            "link": product_link(g("product_id"), g("combination_id")),
        }

    def _fast_order_line(self, item: Mapping[str, Any], include_vat: bool, out: BuildNotes) -> OrderLine:
        """One order line without value maps on prices: the hot path of big imports."""
        g = item.get
        try:
            raw = g("unit_price")
            incl = to_decimal(raw) if raw else None
            raw = g("unit_price_excl")
            excl = to_decimal(raw) if raw else None
            raw = g("vat_rate")
            rate = to_decimal(raw) if raw else None
            raw = g("quantity")
            quantity = to_decimal(raw) if raw else _ONE
            raw = g("discount_percent")
            discount = to_decimal(raw) if raw else _ZERO
            raw = g("line_total")
            total = to_decimal(raw) if raw else None
            raw = g("line_total_excl")
            total_excl = to_decimal(raw) if raw else None
        except ValueError:
            self._line_values(item, out)  # raises the MappingError that names the field
            raise
        line = g(LINE_KEY) or 0
        raw_kind = g("kind") or ""
        kind = self._kind_cache.get(raw_kind) or self.line_kind(raw_kind, line, out)
        if rate is None:
            rate = self.vat_from_prices(incl, excl)
        if include_vat and incl is not None:
            price = incl
        elif not include_vat and excl is not None:
            price = excl
        else:
            price = self._unit_price(incl, excl, rate, include_vat, f"line at {line}", out)
        result = OrderLine(kind, g("name") or "", quantity, price, rate, g("code") or "",
                           g("ean") or "", g("unit") or "", g("variant") or "", discount, total,
                           product_link=product_link(g("product_id"), g("combination_id")))
        both_bases(result, include_vat, incl, excl, total_excl)
        return result

    def _unit_price(self, incl: Decimal | None, excl: Decimal | None, rate: Decimal | None,
                    include_vat: bool, where: str, out: BuildNotes) -> Decimal:
        if include_vat:
            if incl is not None:
                return incl
            if excl is not None and rate is not None:
                return (excl * (1 + rate / _HUNDRED)).quantize(_CENT)
            if excl is not None:
                out.warnings.append(f"{where}: only a price without VAT and no VAT rate; used as is")
                return excl
        else:
            if excl is not None:
                return excl
            if incl is not None and rate is not None:
                return (incl / (1 + rate / _HUNDRED)).quantize(_CENT)
            if incl is not None:
                out.warnings.append(f"{where}: only a price with VAT and no VAT rate; used as is")
                return incl
        out.warnings.append(f"{where}: no unit price; 0 used")
        return Decimal(0)

    def _include_vat(self, values: Mapping[str, Any], line: int, first_line: bool | None) -> bool:
        value = self.boolean(values, self.fields.get("prices_include_vat"), line)
        if value is not None:
            return value
        if first_line is not None:
            return first_line
        return self.mapping.prices_include_vat

    def money(self, values: Mapping[str, Any], line: int,
              lines: Sequence[OrderLine] | Sequence[InvoiceLine], out: BuildNotes) -> Money:
        """The document's money beyond its total: what the file states, and the VAT bands of its
        lines."""
        f = self.fields
        if not self._money_fields:
            return Money(vat_breakdown=vat_breakdown(lines))
        dec = self.decimal
        text = self.text
        return Money(
            total_net=dec(values, f.get("total_net"), line),
            total_vat=dec(values, f.get("total_vat"), line),
            rounding=dec(values, f.get("rounding"), line),
            vat_breakdown=vat_breakdown(lines),
            exchange_rate=dec(values, f.get("exchange_rate"), line),
            home_currency_total=dec(values, f.get("home_currency_total"), line),
            paid=self.boolean(values, f.get("paid"), line),
            amount_paid=dec(values, f.get("amount_paid"), line),
            paid_at=self.moment(values, f.get("paid_at"), line),
            payment_code=text(values, f.get("payment_code"))
            or _first_code(lines, LineKind.PAYMENT),
            shipping_code=text(values, f.get("shipping_code"))
            or _first_code(lines, LineKind.SHIPPING),
            pickup_point_id=text(values, f.get("pickup_point_id")),
            pickup_point_name=text(values, f.get("pickup_point_name")),
            tracking_number=text(values, f.get("tracking_number")),
        )

    def refuse_document_type(self, values: Mapping[str, Any], line: int, out: BuildNotes) -> None:
        """A document type the profile's ``document_type`` map does not accept is refused: e.g. a
        POHODA issuedOrder is a purchase order sent to a supplier, not an order received."""
        spec = self.fields.get("document_type")
        raw = self.text(values, spec)
        if not raw:
            return
        verdict = self.mapped(raw, "document_type", "document type", out)
        if verdict is not None and verdict != "accept":
            raise self._fail(line, "document_type", f"{raw}: {verdict}; it is not imported")

    def progress_status(self, values: Mapping[str, Any], line: int) -> str:
        """A shop status told by flags instead of a status field (POHODA isExecuted/isDelivered):
        ``delivered``, ``executed`` or ``open``; empty when the profile maps neither."""
        f = self.fields
        if "is_executed" not in f and "is_delivered" not in f:
            return ""
        if self.boolean(values, f.get("is_delivered"), line):
            return "delivered"
        if self.boolean(values, f.get("is_executed"), line):
            return "executed"
        return "open"

    # --- documents ----------------------------------------------------------------------------

    def order(self, values: Mapping[str, Any], line: int, out: BuildNotes) -> Order:
        f = self.fields
        external_id = self.text(values, f.get("external_id"))
        if not external_id:
            raise self._fail(line, "external_id", "the order has no external id")
        created = self.moment(values, f.get("created_at"), line)
        if created is None:
            raise self._fail(line, "created_at", "the order has no date")
        items = values.get(LINES, ())
        line_fields = self.line_fields
        if (self._line_rate_map is None and "prices_include_vat" not in line_fields
                and "line_tax" not in line_fields):
            include_vat = self._include_vat(values, line, None)
            fast = self._fast_order_line
            lines = [fast(item, include_vat, out) for item in items]
        else:
            raw_lines = [self._line_values(item, out) for item in items]
            first_incl = next((r["include"] for r in raw_lines if r["include"] is not None), None)
            include_vat = self._include_vat(values, line, first_incl)
            for r in raw_lines:
                if r["rate"] is None and r["tax"] is not None:
                    r["rate"] = self.vat_from_tax(r["tax"], r["total"], include_vat)
            lines = []
            for r in raw_lines:
                order_line = OrderLine(
                    kind=r["kind"], name=r["name"], quantity=r["quantity"],
                    unit_price=self._unit_price(r["incl"], r["excl"], r["rate"], include_vat,
                                                f"line at {r['line']}", out),
                    vat_rate=r["rate"], code=r["code"], ean=r["ean"], unit=r["unit"],
                    variant=r["variant"], discount_percent=r["discount"], line_total=r["total"],
                    product_link=r["link"])
                both_bases(order_line, include_vat, r["incl"], r["excl"], r["total_excl"])
                lines.append(order_line)
        lines.extend(self._totals_lines(values, line, include_vat, out))
        self.refuse_document_type(values, line, out)
        shop_status = self.text(values, f.get("status")) or self.progress_status(values, line)
        status = OrderStatus.NEW
        if "status" in f or shop_status:
            mapped = self.mapped(shop_status, "status", "status", out)
            if mapped is not None:
                status = OrderStatus(mapped)
        payment = self.text(values, f.get("payment_method")) or _first_name(lines, LineKind.PAYMENT)
        shipping = self.text(values, f.get("shipping_method")) or _first_name(lines, LineKind.SHIPPING)
        order = Order(
            external_id=external_id,
            number=self.text(values, f.get("number")) or external_id,
            created_at=created,
            currency=self.currency(values, line),
            customer=self.customer(values, out),
            lines=lines,
            status=status,
            shop_status=shop_status,
            payment_method=(self.mapped(payment, "payment", "payment", out) or payment)
            if payment else "",
            shipping_method=(self.mapped(shipping, "shipping", "shipping", out) or shipping)
            if shipping else "",
            total=self.decimal(values, f.get("total"), line),
            prices_include_vat=include_vat,
            note=self.text(values, f.get("note")),
            money=self.money(values, line, lines, out),
            modified_at=self.moment(values, f.get("modified_at"), line),
        )
        if self._round_prices:
            round_unit_prices(order.lines, order.currency)
        self.reconcile(order.total, order.money.rounding, order.lines, order.currency, out,
                       external_id)
        hold_bad_line_values(order.lines, self._vat_rates,
                             order.status is OrderStatus.RETURNED, out)
        return order

    def reconcile(self, total: Decimal | None, rounding: Decimal | None,
                  lines: Sequence[OrderLine] | Sequence[InvoiceLine], currency: str,
                  out: BuildNotes, external_id: str = "") -> None:
        """:func:`reconcile` with the profile's tolerance and rule for documents without lines.

        A total accepted in the review queue (the ``accepted_totals`` decisions: external id →
        total) is not held again while the file states that same total; a warning says so.
        """
        mapping = self.mapping
        tolerance = getattr(mapping, "totals_tolerance", None)
        held = len(out.review_reasons)
        reconcile(total, rounding, lines, out,
                  tolerance=tolerance if tolerance is not None else smallest_unit(currency),
                  hold_without_lines=getattr(mapping, "without_lines", "warn") == "hold")
        if len(out.review_reasons) == held:
            return
        accepted = self.maps.get(ACCEPTED_TOTALS)
        if (accepted is not None and total is not None and external_id
                and accepted.lookup(external_id) == total_text(total)):
            out.warnings += [f"{reason}; accepted in review" for reason in out.review_reasons[held:]]
            del out.review_reasons[held:]

    def _totals_lines(self, values: Mapping[str, Any], line: int, include_vat: bool,
                      out: BuildNotes) -> list[OrderLine]:
        result: list[OrderLine] = []
        for i, spec in enumerate(self.mapping.totals_lines):
            key = f"totals.{i}."
            incl = self.raw_decimal(values.get(key + "unit_price"), line, spec.unit_price or "")
            excl = self.raw_decimal(values.get(key + "unit_price_excl"), line,
                                    spec.unit_price_excl or "")
            amount = incl if incl is not None else excl
            if amount is None or amount == 0:
                continue
            rate = self.raw_decimal(values.get(key + "vat_rate"), line, spec.vat_rate or "")
            tax = self.raw_decimal(values.get(key + "tax"), line, spec.tax or "")
            if incl is None and excl is not None and tax is not None:
                incl = excl + tax
            if rate is None:
                rate = self.vat_from_prices(incl, excl)
            price = self._unit_price(incl, excl, rate, include_vat, spec.kind.value, out)
            if spec.negate:
                price = -abs(price)
            name = values.get(key + "name_path") or spec.name
            total_line = OrderLine(kind=spec.kind, name=name, quantity=Decimal(1), unit_price=price,
                                   vat_rate=rate)
            both_bases(total_line, include_vat, None, None, None)
            result.append(total_line)
        return result

    def invoice(self, values: Mapping[str, Any], line: int, out: BuildNotes) -> Invoice:
        f = self.fields
        external_id = self.text(values, f.get("external_id"))
        if not external_id:
            raise self._fail(line, "external_id", "the invoice has no external id")
        issued = self.day(values, f.get("issued_on"), line)
        if issued is None:
            raise self._fail(line, "issued_on", "the invoice has no date of issue")
        raw_kind = self.text(values, f.get("invoice_kind"))
        kind = InvoiceKind.INVOICE
        if raw_kind:
            mapped = self.mapped(raw_kind, "invoice_kind", "invoice type", out)
            if mapped is not None:
                kind = InvoiceKind(mapped)
        raw_lines = [self._line_values(item, out) for item in values.get(LINES, ())]
        first_incl = next((r["include"] for r in raw_lines if r["include"] is not None), None)
        include_vat = self._include_vat(values, line, first_incl)
        lines = []
        for r in raw_lines:
            invoice_line = InvoiceLine(
                kind=r["kind"], name=r["name"], quantity=r["quantity"],
                unit_price=self._unit_price(r["incl"], r["excl"], r["rate"], include_vat,
                                            f"line at {r['line']}", out),
                vat_rate=r["rate"], code=r["code"], unit=r["unit"], discount_percent=r["discount"],
                line_total=r["total"])
            both_bases(invoice_line, include_vat, r["incl"], r["excl"], r["total_excl"])
            lines.append(invoice_line)
        # record-level amounts as lines of their own (POHODA advance deductions)
        lines += [InvoiceLine(kind=t.kind, name=t.name, quantity=t.quantity, unit_price=t.unit_price,
                              vat_rate=t.vat_rate, unit_price_gross=t.unit_price_gross,
                              unit_price_net=t.unit_price_net, total_gross=t.total_gross,
                              total_net=t.total_net)
                  for t in self._totals_lines(values, line, include_vat, out)]
        payment = self.text(values, f.get("payment_method"))
        invoice = Invoice(
            external_id=external_id,
            number=self.text(values, f.get("number")) or external_id,
            issued_on=issued,
            currency=self.currency(values, line),
            customer=self.customer(values, out),
            kind=kind,
            lines=lines,
            tax_date=self.day(values, f.get("tax_date"), line),
            due_on=self.day(values, f.get("due_on"), line),
            variable_symbol=self.text(values, f.get("variable_symbol")),
            order_number=self.text(values, f.get("order_number")),
            payment_method=(self.mapped(payment, "payment", "payment", out) or payment)
            if payment else "",
            total=self.decimal(values, f.get("total"), line),
            prices_include_vat=include_vat,
            note=self.text(values, f.get("note")),
            money=self.money(values, line, lines, out),
        )
        if self._round_prices:
            round_unit_prices(invoice.lines, invoice.currency)
        self.reconcile(invoice.total, invoice.money.rounding, invoice.lines, invoice.currency,
                       out, invoice.external_id)
        hold_bad_line_values(invoice.lines, self._vat_rates,
                             invoice.kind is InvoiceKind.CREDIT_NOTE, out)
        return invoice

    def products(self, values: Mapping[str, Any], line: int,
                 out: BuildNotes) -> list[tuple[Product, Decimal | None, int]]:
        """The product and its variants (flattened, parent first) with stock and source line."""
        fields = self.fields
        parent, stock = self._product(values, fields, line, None)
        variants = values.get(VARIANTS) or []
        result: list[tuple[Product, Decimal | None, int]] = []
        if parent.code:
            result.append((parent, stock, line))
        elif not variants:
            raise self._fail(line, "code", "the product has no code")
        vfields = self.mapping.variants.fields if self.mapping.variants else {}
        for item in variants:
            vline = item.get(LINE_KEY) or line
            variant, vstock = self._product(item, vfields, vline, parent)
            if not variant.code:
                raise self._fail(vline, "variants.code", "a variant has no code")
            result.append((variant, vstock, vline))
        return result

    def _product(self, values: Mapping[str, Any], f: Mapping[str, FieldSpec], line: int,
                 parent: Product | None) -> tuple[Product, Decimal | None]:
        def get(key: str) -> str:
            return self.text(values, f.get(key))

        currency = (get("currency") or self.options.currency).upper()
        price = self.decimal(values, f.get("price"), line)
        price_excl = self.decimal(values, f.get("price_excl"), line)
        prices: list[Price] = []
        if price is not None:
            prices.append(Price(self.options.price_list, price, currency, includes_vat=True))
        elif price_excl is not None:
            prices.append(Price(self.options.price_list, price_excl, currency, includes_vat=False))
        elif parent is not None:
            prices = list(parent.prices)
        vat = self.decimal(values, f.get("vat_rate"), line)
        params = values.get(PARAMETERS) or []
        variant_name = get("variant_name") or ", ".join(
            f"{p.get('name', '')}: {p.get('value', '')}" for p in params if p.get("name"))
        item_type = get("item_type")
        type_map = self.maps.get("item_type")
        if item_type and type_map is not None:
            item_type = type_map.lookup(item_type) or item_type
        product = Product(
            code=get("code"),
            name=get("name") or (parent.name if parent else ""),
            ean=get("ean"),
            unit=get("unit") or (parent.unit if parent else "ks"),
            vat_rate=vat if vat is not None else (parent.vat_rate if parent else Decimal(21)),
            prices=prices,
            parent_code=parent.code if parent else "",
            variant_name=variant_name,
            is_service=(item_type.casefold() == "service") if item_type else
            (parent.is_service if parent else False),
            description=get("description") or (parent.description if parent else ""),
            manufacturer=get("manufacturer") or (parent.manufacturer if parent else ""),
            url=get("url") or (parent.url if parent else ""),
            image_url=get("image_url") or (parent.image_url if parent else ""),
            category=get("category") or (parent.category if parent else ""),
        )
        return product, self.decimal(values, f.get("stock"), line)

    def stock(self, values: Mapping[str, Any], line: int, out: BuildNotes) -> StockLevel:
        f = self.fields
        code = self.text(values, f.get("product_code"))
        if not code:
            raise self._fail(line, "product_code", "the stock record has no product code")
        variant = self.text(values, f.get("product_variant"))
        if variant and variant != "0":
            code = f"{code}-{variant}"
        on_hand = self.decimal(values, f.get("on_hand"), line)
        if on_hand is None:
            raise self._fail(line, "on_hand", "the stock record has no quantity")
        return StockLevel(
            product_code=code,
            warehouse=self.text(values, f.get("warehouse")) or self.options.warehouse,
            on_hand=on_hand,
            reserved=self.decimal(values, f.get("reserved"), line) or Decimal(0),
        )


# VAT ids begin with their country's ISO code, except Greece's (EL) and Northern Ireland's (XI)
_VAT_PREFIXES = {"EL": "GR", "XI": "GB"}


def vat_id_country(vat_id: str) -> str:
    """The ISO country a VAT id's prefix names (``DE256874545`` → DE), or ''."""
    prefix = vat_id.strip()[:2].upper()
    if len(prefix) != 2 or not prefix.isalpha():
        return ""
    prefix = _VAT_PREFIXES.get(prefix, prefix)
    return prefix if country_code(prefix) == prefix else ""


def _first_name(lines: list[OrderLine], kind: LineKind) -> str:
    return next((ln.name for ln in lines if ln.kind is kind and ln.name), "")


def _first_code(lines: Sequence[OrderLine] | Sequence[InvoiceLine], kind: LineKind) -> str:
    return next((ln.code for ln in lines if ln.kind is kind and ln.code), "")


_MONEY_FIELDS = ("total_net", "total_vat", "rounding", "exchange_rate", "home_currency_total",
                 "paid", "amount_paid", "paid_at", "payment_code", "shipping_code",
                 "pickup_point_id", "pickup_point_name", "tracking_number")


def product_link(product_id: str | None, combination_id: str | None) -> str:
    """The shop's id of a line's product: ``10``, or ``10-3`` for a combination (``0``: none)."""
    if not product_id:
        return ""
    if combination_id and combination_id.strip("0"):
        return f"{product_id}-{combination_id}"
    return product_id


def both_bases(line: OrderLine | InvoiceLine, include_vat: bool, incl: Decimal | None,
               excl: Decimal | None, total_excl: Decimal | None) -> None:
    """Set a line's unit price and total with and without VAT: as stated, else derived (to cents)
    through its VAT rate; left None when neither the file nor the rate tells."""
    rate = line.vat_rate
    factor = (1 + rate / _HUNDRED) if rate is not None else None
    price = line.unit_price
    gross = incl if incl is not None else (price if include_vat else None)
    net = excl if excl is not None else (None if include_vat else price)
    if gross is None and net is not None and factor is not None:
        gross = (net * factor).quantize(_CENT)
    if net is None and gross is not None and factor is not None:
        net = (gross / factor).quantize(_CENT)
    line.unit_price_gross, line.unit_price_net = gross, net
    stated = line.line_total
    total_gross = stated if include_vat else None
    total_net = total_excl if total_excl is not None else (None if include_vat else stated)
    share = line.quantity * (1 - line.discount_percent / _HUNDRED) if (
        total_gross is None or total_net is None) else _ONE
    if total_gross is None:
        if total_net is not None and factor is not None:
            total_gross = (total_net * factor).quantize(_CENT)
        elif gross is not None:
            total_gross = (gross * share).quantize(_CENT)
    if total_net is None:
        if total_gross is not None and factor is not None and stated is not None:
            total_net = (total_gross / factor).quantize(_CENT)
        elif net is not None:
            total_net = (net * share).quantize(_CENT)
    line.total_gross, line.total_net = total_gross, total_net


# ISO 4217 currencies whose smallest unit is not the hundredth
_MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                     "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), Decimal(1)),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), Decimal("0.001")),
}


def round_unit_prices(lines: Sequence[OrderLine | InvoiceLine], currency: str) -> None:
    """Unit prices to the currency's smallest unit, half up (their line totals stay as computed
    from the exact prices)."""
    unit = smallest_unit(currency)
    for ln in lines:
        ln.unit_price = ln.unit_price.quantize(unit, ROUND_HALF_UP)
        if ln.unit_price_gross is not None:
            ln.unit_price_gross = ln.unit_price_gross.quantize(unit, ROUND_HALF_UP)
        if ln.unit_price_net is not None:
            ln.unit_price_net = ln.unit_price_net.quantize(unit, ROUND_HALF_UP)


def smallest_unit(currency: str) -> Decimal:
    """The currency's smallest unit (ISO 4217 minor unit): 0.01, 1 for JPY, 0.001 for KWD."""
    return _MINOR_UNITS.get(currency.upper(), _CENT)


ACCEPTED_TOTALS = "accepted_totals"  # the review decisions "this document's total stands"


def total_text(total: Decimal) -> str:
    """A total as an accepted-totals decision keeps it (plain, normalized)."""
    return format(total.normalize(), "f")


def reconcile(total: Decimal | None, rounding: Decimal | None,
              lines: Sequence[OrderLine] | Sequence[InvoiceLine], out: BuildNotes, *,
              tolerance: Decimal = _CENT, hold_without_lines: bool = False) -> None:
    """Hold a document whose total is not its lines plus rounding (``tolerance`` per line); warn
    about (or, with ``hold_without_lines``, hold) a total without lines."""
    if total is None:
        return
    if not lines:
        if total:
            text = f"the total is {total} but the document has no lines"
            (out.review_reasons if hold_without_lines else out.warnings).append(text)
        return
    if any(ln.total_gross is None for ln in lines):
        return  # a line without both VAT bases: nothing sound to compare with
    # an advance deducted is a payment already made: the document's total is before it
    summed = sum((ln.total_gross for ln in lines
                  if ln.total_gross is not None and ln.kind is not LineKind.ADVANCE), _ZERO)
    summed += rounding or _ZERO
    allowed = tolerance * len(lines)
    if abs(summed - total) > allowed:
        out.review_reasons.append(f"the total {total} does not match the lines: they add up to "
                                  f"{summed} (rounding included)")


# lines that stand for money taken off: negative by nature
_NEGATIVE_KINDS = frozenset({LineKind.DISCOUNT, LineKind.ADVANCE})


def hold_bad_line_values(lines: Sequence[OrderLine | InvoiceLine],
                         vat_rates: frozenset[Decimal], negative_allowed: bool,
                         out: BuildNotes) -> None:
    """Hold a document with a negative quantity where its kind allows none, or a VAT rate outside
    the profile's ``vat_rates`` (when it lists them).

    Credit notes and returned orders (``negative_allowed``) and discount and advance lines may be
    negative; anything else would lower the stock reserved and the money booked without a word.
    """
    rates = vat_rates
    for n, ln in enumerate(lines, start=1):
        if ln.quantity < 0 and not negative_allowed and ln.kind not in _NEGATIVE_KINDS:
            what = f"line {n} ({ln.code or ln.name or ln.kind.value})"
            out.review_reasons.append(
                f"{what}: negative quantity {ln.quantity} on a {ln.kind.value} line (only "
                "discounts, advances, credit notes and returns may be negative)")
        if rates and ln.vat_rate is not None and ln.vat_rate not in rates:
            what = f"line {n} ({ln.code or ln.name or ln.kind.value})"
            listed = ", ".join(format(r.normalize(), "f") for r in sorted(rates))
            out.review_reasons.append(
                f"{what}: VAT rate {format(ln.vat_rate.normalize(), 'f')} % is not one of the "
                f"profile's rates ({listed})")


def vat_breakdown(lines: Sequence[OrderLine] | Sequence[InvoiceLine]) -> list[VatBand]:
    """The lines' net and VAT per rate; empty when a line with money has no rate."""
    bands: dict[Decimal, list[Decimal]] = {}
    for ln in lines:
        if ln.kind is LineKind.ADVANCE:
            continue  # taxed on its own advance invoice, not in this document's bands
        if ln.total_gross is None or ln.total_net is None:
            if ln.unit_price:
                return []
            continue
        if ln.vat_rate is None:
            if ln.total_gross:
                return []
            continue
        band = bands.setdefault(ln.vat_rate, [_ZERO, _ZERO])
        band[0] += ln.total_net
        band[1] += ln.total_gross - ln.total_net
    return [VatBand(rate, net, vat) for rate, (net, vat) in sorted(bands.items())]
