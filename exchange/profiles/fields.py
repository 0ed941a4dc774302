"""Where a field sits and how it is read: the field spec and the canonical fields of each kind.

Each vocabulary is a model whose attributes are the canonical fields; an unknown name is a profile
error, a required one that is missing too, and the reference in docs/profiles.md is generated from
these declarations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails

from exchange.profiles.section import Section, fail
from exchange.profiles.types import Text, TimeZoneName, one_or_many, path_problem, problem, scope_of
from exchange.profiles.vocabulary import BUILT_IN_MAPS, DATE_TYPES, DEFAULT_MAP_FOR, FieldType
from exchange.yamlcheck import LineDict


class FieldSpec(Section):
    """One canonical field: where it sits relative to its record and how it is converted.

    In YAML a field is a path, a list of paths (the first with a value wins), or this mapping.
    """

    paths: tuple[Text, ...] = Field(
        (), alias="path", description="a path relative to the record, or a list tried in order")
    format: Text | None = Field(
        None, description="dates only: a `strptime` format (ISO forms need none)")
    timezone: TimeZoneName | None = Field(
        None, description="dates only: the zone of naive dates in this field (default: `import.timezone`)")
    declared_map: Text | None = Field(
        None, alias="map", description="the value map to apply (default: the field's own, e.g. `status`)")
    default: Text | None = Field(
        None, description="a constant used when the element is missing or empty")
    declared_type: FieldType | None = Field(
        None, alias="type", description="how the text is converted (default: the field's own type)")

    _name: str = PrivateAttr("")
    _line: int = PrivateAttr(0)
    _type: FieldType = PrivateAttr(FieldType.TEXT)
    _value_map: str | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str | list):
            return {"path": data}
        if isinstance(data, (dict, FieldSpec)):
            return data
        raise problem("must be a path, a list of paths, or a mapping with path/format/map/default")

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return one_or_many(value)

    @model_validator(mode="after")
    def _fits_its_place(self, info: ValidationInfo) -> FieldSpec:
        """Paths, format and map are checked together, against the field and kind they belong to."""
        if not self.paths and self.default is None:
            fail(("path",), "required (or give a constant default)")
        context = info.context if isinstance(info.context, dict) else {}
        name, own_type = context.get("field", ("", FieldType.TEXT))
        scope = scope_of(info)
        errors: list[InitErrorDetails] = []
        for path in self.paths:
            reason = path_problem(path, scope.namespaces if scope else None)
            if reason:
                errors.append({"type": problem(reason), "loc": (), "input": path})
                break
        ftype = self.declared_type or own_type
        if (self.format is not None or self.timezone is not None) and ftype not in DATE_TYPES:
            errors.append({"type": problem("format and timezone apply only to dates"),
                           "loc": ("format",), "input": self.format})
        maps = scope.maps if scope else frozenset()
        if self.declared_map is not None and scope is not None \
                and self.declared_map not in maps | BUILT_IN_MAPS:
            errors.append({"type": problem(f"no value map named {self.declared_map!r}"),
                           "loc": ("map",), "input": self.declared_map})
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        self.bind(name, 0, ftype, self.declared_map or _default_map(name, maps))
        return self

    def bind(self, name: str, line: int, type_: FieldType, value_map: str | None) -> None:
        """Give the spec what its place in the profile decides: its name, line, type and map."""
        self._name, self._line, self._type, self._value_map = name, line, type_, value_map

    # The readers below sit on the import's hot path: they read pydantic's private-attribute dict
    # directly, since ``self._name`` goes through ``BaseModel.__getattr__`` (about 1 µs a read).
    @property
    def name(self) -> str:
        """The canonical field's name, e.g. ``billing.city``."""
        return self.__pydantic_private__["_name"]  # type: ignore[index,no-any-return]

    @property
    def path(self) -> str:
        """The first path ("" for a field that has only a default)."""
        return self.paths[0] if self.paths else ""

    @property
    def alternatives(self) -> tuple[str, ...]:
        """Further paths tried in order when ``path`` is empty."""
        return self.paths[1:]

    @property
    def type(self) -> FieldType:
        """How the text is converted."""
        return self.__pydantic_private__["_type"]  # type: ignore[index,no-any-return]

    @property
    def value_map(self) -> str | None:
        """The name of the value map applied, if any."""
        return self.__pydantic_private__["_value_map"]  # type: ignore[index,no-any-return]

    @property
    def line(self) -> int:
        """The line of the field in the profile file."""
        return self._line


def canonical(type_: FieldType, description: str, *, alias: str | None = None,
              required: bool = False) -> Any:
    """Declare one canonical field of a vocabulary."""
    return Field(... if required else None, alias=alias, description=description,
                 json_schema_extra={"canonical_type": type_.value})


def canonical_type(info: FieldInfo) -> FieldType:
    """The type a vocabulary declares for one of its fields."""
    extra = info.json_schema_extra
    return FieldType(str(extra["canonical_type"])) if isinstance(extra, dict) else FieldType.TEXT


class Vocabulary(Section):
    """Base of the canonical field vocabularies: each attribute is a field the reader knows."""

    unknown_key_word: ClassVar[str] = "field"
    _specs: dict[str, FieldSpec] = PrivateAttr(default_factory=dict)

    @field_validator("*", mode="wrap")
    @classmethod
    def _tell_the_spec_its_place(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        if isinstance(info.context, dict) and info.field_name is not None:
            finfo = cls.model_fields[info.field_name]
            info.context["field"] = (finfo.alias or info.field_name, canonical_type(finfo))
        return handler(value)

    @model_validator(mode="wrap")
    @classmethod
    def _note_lines_and_order(cls, data: Any, handler: Any) -> Any:
        result = handler(data)
        if not isinstance(result, Vocabulary):
            return result
        specs = {finfo.alias or attr: spec for attr, finfo in type(result).model_fields.items()
                 if isinstance(spec := getattr(result, attr), FieldSpec)}
        if isinstance(data, LineDict):
            for name, spec in specs.items():
                spec._line = data.key_lines.get(name, 0)
        order = {str(k): i for i, k in enumerate(data)} if isinstance(data, dict) else {}
        result._specs = dict(sorted(specs.items(), key=lambda item: order.get(item[0], len(order))))
        return result

    def specs(self) -> Mapping[str, FieldSpec]:
        """The mapped fields by canonical name, in the profile's order of declaration."""
        return self.__pydantic_private__["_specs"]  # type: ignore[index,no-any-return]


def _default_map(name: str, maps: frozenset[str]) -> str | None:
    if name.endswith("country"):
        return "country"
    if name == "vat_rate":
        return "vat_rate" if "vat_rate" in maps else None
    return DEFAULT_MAP_FOR.get(name)


_T, _D, _DT, _DAY, _B, _C = (FieldType.TEXT, FieldType.DECIMAL, FieldType.DATETIME, FieldType.DATE,
                             FieldType.BOOL, FieldType.COUNTRY)


class BuyerFields(Vocabulary):
    """The buyer of an order or invoice: the customer and the billing and delivery addresses."""

    customer_name: FieldSpec | None = canonical(_T, "the customer's name (default: the billing name)",
                                                alias="customer.name")
    customer_company: FieldSpec | None = canonical(_T, "(default: the billing company)",
                                                   alias="customer.company")
    customer_company_id: FieldSpec | None = canonical(_T, "company registration number (IČO)",
                                                      alias="customer.company_id")
    customer_vat_id: FieldSpec | None = canonical(_T, "VAT id (DIČ)", alias="customer.vat_id")
    customer_email: FieldSpec | None = canonical(_T, "", alias="customer.email")
    customer_phone: FieldSpec | None = canonical(_T, "", alias="customer.phone")
    customer_external_id: FieldSpec | None = canonical(_T, "the shop's id of the customer",
                                                       alias="customer.external_id")
    billing_name: FieldSpec | None = canonical(
        _T, "(default: first_name and last_name)", alias="billing.name")
    billing_first_name: FieldSpec | None = canonical(_T, "", alias="billing.first_name")
    billing_last_name: FieldSpec | None = canonical(_T, "", alias="billing.last_name")
    billing_company: FieldSpec | None = canonical(_T, "", alias="billing.company")
    billing_street: FieldSpec | None = canonical(_T, "", alias="billing.street")
    billing_street2: FieldSpec | None = canonical(_T, "appended to the street", alias="billing.street2")
    billing_house_number: FieldSpec | None = canonical(_T, "", alias="billing.house_number")
    billing_city: FieldSpec | None = canonical(_T, "", alias="billing.city")
    billing_postcode: FieldSpec | None = canonical(_T, "", alias="billing.postcode")
    billing_country: FieldSpec | None = canonical(_C, "", alias="billing.country")
    billing_state: FieldSpec | None = canonical(_T, "state, county or region", alias="billing.state")
    delivery_name: FieldSpec | None = canonical(
        _T, "(default: first_name and last_name)", alias="delivery.name")
    delivery_first_name: FieldSpec | None = canonical(_T, "", alias="delivery.first_name")
    delivery_last_name: FieldSpec | None = canonical(_T, "", alias="delivery.last_name")
    delivery_company: FieldSpec | None = canonical(_T, "", alias="delivery.company")
    delivery_street: FieldSpec | None = canonical(_T, "", alias="delivery.street")
    delivery_street2: FieldSpec | None = canonical(_T, "appended to the street",
                                                   alias="delivery.street2")
    delivery_house_number: FieldSpec | None = canonical(_T, "", alias="delivery.house_number")
    delivery_city: FieldSpec | None = canonical(_T, "", alias="delivery.city")
    delivery_postcode: FieldSpec | None = canonical(_T, "", alias="delivery.postcode")
    delivery_country: FieldSpec | None = canonical(_C, "", alias="delivery.country")
    delivery_state: FieldSpec | None = canonical(_T, "state, county or region",
                                                 alias="delivery.state")


class DocumentFields(BuyerFields):
    """What orders and invoices both say about their money, payment and delivery (the money model)."""

    total_net: FieldSpec | None = canonical(_D, "the total without VAT")
    total_vat: FieldSpec | None = canonical(_D, "the VAT total")
    rounding: FieldSpec | None = canonical(_D, "the rounding amount included in the total")
    exchange_rate: FieldSpec | None = canonical(_D, "home-currency units per one unit of the currency")
    home_currency_total: FieldSpec | None = canonical(
        _D, "the total in the home currency, beside the document's own (POHODA)")
    paid: FieldSpec | None = canonical(_B, "whether the document is paid")
    amount_paid: FieldSpec | None = canonical(_D, "")
    paid_at: FieldSpec | None = canonical(_DT, "")
    payment_code: FieldSpec | None = canonical(
        _T, "the shop's code of the payment method (default: the first payment line's code)")
    shipping_code: FieldSpec | None = canonical(
        _T, "the shop's code of the shipping method (default: the first shipping line's code)")
    pickup_point_id: FieldSpec | None = canonical(_T, "the pickup point (Packeta branch, …)")
    pickup_point_name: FieldSpec | None = canonical(_T, "")
    tracking_number: FieldSpec | None = canonical(_T, "the parcel's tracking number")
    document_type: FieldSpec | None = canonical(
        _T, "the document's type, through `maps.document_type`: `accept`, or why it is refused")
    is_executed: FieldSpec | None = canonical(
        _B, "POHODA `isExecuted`: without `status`, read as the shop status `executed`")
    is_delivered: FieldSpec | None = canonical(
        _B, "POHODA `isDelivered`: without `status`, read as the shop status `delivered`")


class OrderFields(DocumentFields):
    """The canonical fields of an order."""

    external_id: FieldSpec = canonical(_T, "the shop's id of the order", required=True)
    number: FieldSpec | None = canonical(_T, "the order number people quote")
    created_at: FieldSpec | None = canonical(_DT, "when the order was placed")
    currency: FieldSpec | None = canonical(_T, "(default: `import.currency`)")
    status: FieldSpec | None = canonical(_T, "the shop's status, through `maps.status`")
    payment_method: FieldSpec | None = canonical(
        _T, "through `maps.payment` (default: the first payment line's name)")
    shipping_method: FieldSpec | None = canonical(
        _T, "through `maps.shipping` (default: the first shipping line's name)")
    total: FieldSpec | None = canonical(_D, "the order total with VAT")
    prices_include_vat: FieldSpec | None = canonical(_B, "(default: the kind's `prices_include_vat`)")
    note: FieldSpec | None = canonical(_T, "")
    modified_at: FieldSpec | None = canonical(
        _DT, "when the shop last changed the order: an export older than the stored one is held")


class InvoiceFields(DocumentFields):
    """The canonical fields of an invoice or credit note."""

    external_id: FieldSpec = canonical(_T, "the shop's id of the invoice", required=True)
    number: FieldSpec | None = canonical(_T, "")
    invoice_kind: FieldSpec | None = canonical(_T, "through `maps.invoice_kind`: invoice or credit_note")
    issued_on: FieldSpec | None = canonical(_DAY, "")
    tax_date: FieldSpec | None = canonical(_DAY, "")
    due_on: FieldSpec | None = canonical(_DAY, "")
    currency: FieldSpec | None = canonical(_T, "(default: `import.currency`)")
    variable_symbol: FieldSpec | None = canonical(_T, "")
    order_number: FieldSpec | None = canonical(_T, "the number of the order invoiced")
    payment_method: FieldSpec | None = canonical(_T, "through `maps.payment`")
    total: FieldSpec | None = canonical(_D, "")
    prices_include_vat: FieldSpec | None = canonical(_B, "(default: the kind's `prices_include_vat`)")
    note: FieldSpec | None = canonical(_T, "")


class ProductFields(Vocabulary):
    """The canonical fields of a product (and of a variant, which takes what it lacks from its parent)."""

    code: FieldSpec | None = canonical(_T, "the product code (required for a product)")
    external_id: FieldSpec | None = canonical(_T, "")
    name: FieldSpec | None = canonical(_T, "")
    ean: FieldSpec | None = canonical(_T, "")
    unit: FieldSpec | None = canonical(_T, "")
    vat_rate: FieldSpec | None = canonical(_D, "percent, through `maps.vat_rate` if there is one")
    price: FieldSpec | None = canonical(_D, "with VAT")
    price_excl: FieldSpec | None = canonical(_D, "without VAT")
    currency: FieldSpec | None = canonical(_T, "(default: `import.currency`)")
    description: FieldSpec | None = canonical(_T, "")
    manufacturer: FieldSpec | None = canonical(_T, "")
    url: FieldSpec | None = canonical(_T, "")
    image_url: FieldSpec | None = canonical(_T, "")
    category: FieldSpec | None = canonical(_T, "")
    item_type: FieldSpec | None = canonical(_T, "through `maps.item_type`; `service` marks a service")
    stock: FieldSpec | None = canonical(_D, "the amount on hand, set in `import.warehouse`")
    variant_name: FieldSpec | None = canonical(_T, "(default for variants: built from parameters)")


class ProductRecordFields(ProductFields):
    """The canonical fields of a product record, whose code is required."""

    code: FieldSpec = canonical(_T, "the product code", required=True)


class StockFields(Vocabulary):
    """The canonical fields of a stock level."""

    product_code: FieldSpec = canonical(_T, "the product's code", required=True)
    on_hand: FieldSpec = canonical(_D, "the amount on hand", required=True)
    product_variant: FieldSpec | None = canonical(
        _T, "appended as CODE-VARIANT unless empty or 0 (PrestaShop combinations)")
    warehouse: FieldSpec | None = canonical(_T, "(default: `import.warehouse`)")
    reserved: FieldSpec | None = canonical(_D, "")
    external_id: FieldSpec | None = canonical(_T, "")


class LineFields(Vocabulary):
    """The canonical fields every document line has."""

    kind: FieldSpec | None = canonical(_T, "the shop's line type, through the `classify` map")
    name: FieldSpec | None = canonical(_T, "")
    code: FieldSpec | None = canonical(_T, "the product code")
    unit: FieldSpec | None = canonical(_T, "")
    quantity: FieldSpec | None = canonical(_D, "(default 1)")
    unit_price: FieldSpec | None = canonical(_D, "with VAT")
    unit_price_excl: FieldSpec | None = canonical(_D, "without VAT")
    vat_rate: FieldSpec | None = canonical(_D, "percent (default: derived from the prices)")
    discount_percent: FieldSpec | None = canonical(_D, "")
    line_total_excl: FieldSpec | None = canonical(_D, "the line's total without VAT")
    prices_include_vat: FieldSpec | None = canonical(
        _B, "when false, the one `unit_price` given is without VAT (POHODA `payVAT`)")


class OrderLineFields(LineFields):
    """The canonical fields of an order line."""

    ean: FieldSpec | None = canonical(_T, "")
    variant: FieldSpec | None = canonical(_T, "")
    line_total: FieldSpec | None = canonical(_D, "the line's total, on the basis of its prices")
    line_tax: FieldSpec | None = canonical(_D, "the line's VAT amount")
    product_id: FieldSpec | None = canonical(
        _T, "the shop's id of the product, remembered as a link (stock imports and feeds match it)")
    combination_id: FieldSpec | None = canonical(
        _T, "the shop's id of the variant (PrestaShop combination; `0`: none): linked as `ID-COMBINATION`")


class InvoiceLineFields(LineFields):
    """The canonical fields of an invoice line."""

    line_total: FieldSpec | None = canonical(_D, "the line's total, on the basis of its prices")
