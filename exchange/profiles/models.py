"""The profile, declared once: every key a profile file accepts, its default and its rules.

The models are also what the importers and exporters read (``profile.mapping("orders").fields``);
``docs/profiles.md`` has its reference section generated from them (``python -m exchange.profiles.docs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    StrictBool,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from exchange.documents import LineKind
from exchange.errors import ConfigError
from exchange.profiles.fields import (
    FieldSpec,
    InvoiceFields,
    InvoiceLineFields,
    OrderFields,
    OrderLineFields,
    ProductFields,
    ProductRecordFields,
    StockFields,
    Vocabulary,
)
from exchange.profiles.section import Section, fail, relocated
from exchange.profiles.types import (
    CurrencyCode,
    EncodingName,
    FolderBesideProfile,
    MapKey,
    MapTarget,
    NamespaceUri,
    RecordPath,
    SchemaFile,
    Scope,
    Text,
    TimeZoneName,
    XmlPath,
    one_or_many,
    problem,
    profile_path_of,
    scope_of,
)
from exchange.profiles.vocabulary import (
    LINE_KINDS,
    MAP_TARGETS,
    OUTGOING_ONLY_STATUSES,
    Direction,
    DocumentKind,
    OnChanged,
    PaymentSync,
    Resolver,
    StatusSplit,
    UnknownProduct,
    UnmappedPayment,
    WithoutLines,
)


class ValueMap(Section):
    """Shop values → canonical values (keys matched case-insensitively, ``PREFIX*`` by prefix), with
    an optional default."""

    entries: dict[MapKey, MapTarget] = Field(
        default_factory=dict, alias="values", description="shop value: canonical value")
    default: Text | None = Field(
        None, description="for a value without a mapping (none: the document is held for review)")
    direction: dict[MapKey, Direction] = Field(
        default_factory=dict,
        description="shop value: in (only read), out (only sent back to the shop) or both "
                    "(the default); status maps only (see docs/shop-return.md)")

    _name: str = PrivateAttr("")
    _folded: dict[str, str] = PrivateAttr(default_factory=dict)
    # keys ending in * match every value they begin (``SHIPPING*``), the longest first
    _prefixes: tuple[tuple[str, str], ...] = PrivateAttr(())
    # canonical value → the shop value sent back for it (the first out/both entry in file order)
    _outgoing: dict[str, str] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        """Fold the shop values once, so a lookup is one dict access."""
        outward = {k.strip().casefold(): d for k, d in self.direction.items()}
        self._folded = {raw.strip().casefold(): target for raw, target in self.entries.items()
                        if outward.get(raw.strip().casefold()) is not Direction.OUT}
        self._prefixes = tuple(sorted(((k[:-1], v) for k, v in self._folded.items()
                                       if k.endswith("*")), key=lambda kv: -len(kv[0])))
        self._outgoing = {}
        for raw, target in self.entries.items():
            if outward.get(raw.strip().casefold(), Direction.BOTH) is not Direction.IN \
                    and not raw.endswith("*"):
                self._outgoing.setdefault(target, raw)

    def outgoing(self, canonical: str) -> str | None:
        """The shop value sent back for ``canonical`` (entries of direction out or both)."""
        return self._outgoing.get(canonical)

    def _prefixed(self, key: str) -> str | None:
        return next((target for prefix, target in self._prefixes if key.startswith(prefix)), None)

    @property
    def name(self) -> str:
        """The map's name in the profile."""
        return self._name

    @property
    def values(self) -> Mapping[str, str]:
        """Folded shop value → canonical value."""
        return self._folded

    @classmethod
    def of(cls, name: str, values: Mapping[str, str], default: str | None = None) -> ValueMap:
        """A map built in code (e.g. from decisions remembered in the console)."""
        vmap = cls.model_validate({"values": dict(values), "default": default})
        vmap._name = name
        return vmap

    def merged(self, values: Mapping[str, str]) -> ValueMap:
        """This map with ``values`` added; its own entries stand."""
        vmap = self.model_copy(update={"entries": {**values, **self.entries}})
        vmap._folded = {**{k.strip().casefold(): v for k, v in values.items()}, **self._folded}
        vmap._prefixes = self._prefixes
        vmap._outgoing = self._outgoing
        return vmap

    def lookup(self, raw: str) -> str | None:
        """The canonical value for ``raw``, the default when unmapped, else None."""
        key = raw.strip().casefold()
        private = self.__pydantic_private__  # not self._folded: see FieldSpec.name
        found = private["_folded"].get(key)  # type: ignore[index]
        if found is None and private["_prefixes"]:  # type: ignore[index]
            found = self._prefixed(key)
        return found if found is not None else self.default

    def has(self, raw: str) -> bool:
        """True when ``raw`` has its own mapping (not only the default)."""
        key = raw.strip().casefold()
        private = self.__pydantic_private__  # not self._folded: see FieldSpec.name
        return key in private["_folded"] or (  # type: ignore[index]
            bool(private["_prefixes"]) and self._prefixed(key) is not None)  # type: ignore[index]


_VALUE_MAP = TypeAdapter(ValueMap)


def _targets_of(name: str, scope: Scope | None) -> frozenset[str] | None:
    if scope is not None and name == scope.classify:
        return LINE_KINDS
    return MAP_TARGETS.get(name)


def _target_problems(name: str, vmap: ValueMap, raw_keys: list[Any],
                     scope: Scope | None) -> list[InitErrorDetails]:
    allowed = _targets_of(name, scope)
    errors: list[InitErrorDetails] = []

    def check(target: str, loc: tuple[str | int, ...]) -> None:
        if allowed is not None and target not in allowed:
            errors.append({"type": problem(f"{target!r} is not one of {', '.join(sorted(allowed))}"),
                           "loc": loc, "input": target})
        elif name == "vat_rate":
            try:
                Decimal(target)
            except ArithmeticError:
                errors.append({"type": problem("must be a number (percent)"), "loc": loc,
                               "input": target})

    outward = {k.strip().casefold(): d for k, d in vmap.direction.items()}
    for raw, target in zip(raw_keys, vmap.entries.values(), strict=True):
        if name == "status" and target in OUTGOING_ONLY_STATUSES:
            if outward.get(str(raw).strip().casefold()) is not Direction.OUT:
                errors.append({"type": problem(f"{target!r} is only sent back to the shop: give "
                                               f"this value direction: out"),
                               "loc": (name, "values", str(raw)), "input": target})
            continue
        check(target, (name, "values", str(raw)))
    known = {str(k).strip().casefold() for k in raw_keys}
    for key in vmap.direction:
        if key.strip().casefold() not in known:
            errors.append({"type": problem(f"{key!r} is not one of this map's values"),
                           "loc": (name, "direction", key), "input": key})
    if vmap.direction and name != "status":
        errors.append({"type": problem("only the status map has directions"),
                       "loc": (name, "direction"), "input": None})
    if vmap.default is not None:
        check(vmap.default, (name, "default"))
    return errors


class Parameters(Section):
    """Where a variant's parameters sit (Shoptet ``PARAMETERS/PARAMETER`` with NAME and VALUE)."""

    path: XmlPath = Field(description="the repeated parameter element, relative to the variant")
    name: Text = Field("NAME", description="the parameter's name, relative to the parameter")
    value: Text = Field("VALUE", description="the parameter's value, relative to the parameter")


class LinesSpec(Section):
    """A repeated child of a record: order lines, invoice lines, product variants."""

    path: XmlPath = Field(description="the repeated element, relative to the record (a plain path)")
    field_specs: Vocabulary = Field(default_factory=Vocabulary, alias="fields",
                                    description="canonical field: path (see the fields below)")

    @property
    def fields(self) -> Mapping[str, FieldSpec]:
        """The mapped fields by canonical name."""
        return self.field_specs.specs()

    @property
    def classify(self) -> str | None:
        """The name of the value map that gives the line kind (None: every line is a product)."""
        return None

    @property
    def skip_path(self) -> str | None:
        """A path whose value marks a line that is not read (orders and invoices)."""
        return None

    @property
    def parameters(self) -> tuple[str, str, str] | None:
        """(path, name, value) of variant parameters."""
        return None


class _ClassifiedLines(LinesSpec):
    classify_map: Text | None = Field(
        None, alias="classify",
        description="the value map that turns `fields.kind` into a line kind (its values must be "
                    "product, shipping, payment, discount or other)")

    skip_when: XmlPath | None = Field(
        None, description="a path relative to the line: a line where it has a value is not read "
                          "(Magento 2's child rows of configurable products: `parent_item_id`)")

    @property
    def skip_path(self) -> str | None:
        """A path whose value marks a line that is not read."""
        return self.skip_when

    @field_validator("classify_map")
    @classmethod
    def _map_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        scope = scope_of(info)
        if value is not None and scope is not None and value not in scope.maps:
            raise problem(f"no value map named {value!r}")
        return value

    @property
    def classify(self) -> str | None:
        """The name of the value map that gives the line kind (None: every line is a product)."""
        return self.classify_map


class OrderLines(_ClassifiedLines):
    """Order lines."""

    field_specs: OrderLineFields = Field(default_factory=OrderLineFields, alias="fields",
                                         description="canonical line field: path")


class InvoiceLines(_ClassifiedLines):
    """Invoice lines."""

    field_specs: InvoiceLineFields = Field(default_factory=InvoiceLineFields, alias="fields",
                                           description="canonical line field: path")


class Variants(LinesSpec):
    """Product variants: each becomes a product of its own, taking what it lacks from its parent."""

    field_specs: ProductFields = Field(default_factory=ProductFields, alias="fields",
                                       description="canonical product field: path")
    parameter_spec: Parameters | None = Field(None, alias="parameters",
                                              description="where the variant's parameters sit")

    @property
    def parameters(self) -> tuple[str, str, str] | None:
        """(path, name, value) of variant parameters."""
        p = self.parameter_spec
        return (p.path, p.name, p.value) if p is not None else None


class TotalsLine(Section):
    """A line built from record-level amounts (PrestaShop shipping and discounts); added when not zero."""

    kind: LineKind = Field(description="the line's kind")
    name: Text = Field("", description="a constant name (default: the kind)")
    name_path: XmlPath | None = Field(None, description="a path to read the name from")
    unit_price: XmlPath | None = Field(None, description="path of the amount with VAT")
    unit_price_excl: XmlPath | None = Field(None, description="path of the amount without VAT")
    vat_rate: XmlPath | None = Field(
        None, description="path of the VAT rate (default: derived from the amounts or from `tax`)")
    tax: XmlPath | None = Field(None, description="path of the VAT amount")
    negate: StrictBool = Field(False, description="a negative line (a discount)")

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("name") is None and isinstance(data.get("kind"), str):
            return {**data, "name": data["kind"]}
        return data

    @model_validator(mode="after")
    def _has_amount(self) -> TotalsLine:
        if not self.unit_price and not self.unit_price_excl:
            fail(("unit_price",), "required: unit_price or unit_price_excl")
        return self


def _declared(data: Any, key: str) -> frozenset[str]:
    value = data.get(key) if isinstance(data, dict) else None
    return frozenset(str(k) for k in value) if isinstance(value, dict) else frozenset()


class RecordMapping(Section):
    """How one kind of document is read from a file."""

    kind: ClassVar[DocumentKind]
    has_lines: ClassVar[bool] = False
    has_variants: ClassVar[bool] = False

    records: tuple[RecordPath, ...] = Field(
        alias="record", description="the absolute path of one document, e.g. /ORDERS/ORDER; "
                                    "a list for several envelopes")
    namespaces: dict[Text, NamespaceUri] = Field(
        default_factory=dict, description="prefix: URI, for prefixed paths")
    encoding_fallback: EncodingName | None = Field(
        None, description="the encoding of a file that declares none and is not valid UTF-8")
    recover: StrictBool = Field(
        False, description="repair raw `&` (and an undeclared `xsi:` prefix), each reported as a "
                           "warning with its line; off: such a file is refused with the line")
    schema_file: SchemaFile | None = Field(
        None, alias="schema", description="an XSD the file is validated against: ours in schemas/, "
                                          "or a path relative to the profile")
    vat_rates: tuple[Decimal, ...] = Field((), description="the standard rates derived VAT rates snap to")
    prices_include_vat: StrictBool = Field(
        True, description="whether prices include VAT when the file does not say")
    dedupe_key: tuple[Text, ...] = Field(
        ("external_id",), description="the fields whose values identify a document across imports")
    field_specs: Vocabulary = Field(alias="fields", description="canonical field: path")
    lines: LinesSpec | None = Field(None, description="the document's lines")
    variants: Variants | None = Field(None, description="products only: the product's variants")
    totals_lines: tuple[TotalsLine, ...] = Field(
        (), description="lines built from record-level amounts")
    maps: dict[Text, ValueMap] = Field(
        default_factory=dict, description="value maps: shop values → canonical values")

    @model_validator(mode="before")
    @classmethod
    def _enter_scope(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(info.context, dict) and isinstance(data, dict):
            lines = data.get("lines")
            classify = lines.get("classify") if isinstance(lines, dict) else None
            info.context["scope"] = Scope(
                namespaces=_declared(data, "namespaces"), maps=_declared(data, "maps"),
                classify=classify if isinstance(classify, str) else None)
        return data

    @field_validator("records", "dedupe_key", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return one_or_many(value)

    @field_validator("vat_rates", mode="before")
    @classmethod
    def _rates_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                    for v in value]
        return value

    @field_validator("dedupe_key")
    @classmethod
    def _known_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        vocabulary = cls.model_fields["field_specs"].annotation
        known = {f.alias or n for n, f in vocabulary.model_fields.items()} if isinstance(
            vocabulary, type) and issubclass(vocabulary, Vocabulary) else set()
        for key in value:
            if key not in known:
                raise problem(f"unknown field {key!r}")
        return value

    @field_validator("lines", "variants", mode="before")
    @classmethod
    def _only_where_they_exist(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        if info.field_name == "lines" and not cls.has_lines:
            raise problem(f"{cls.kind.value} have no lines")
        if info.field_name == "variants" and not cls.has_variants:
            raise problem("only products have variants")
        return value

    @field_validator("maps", mode="wrap")
    @classmethod
    def _maps_give_canonical_values(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        """Each map is checked on its own, its targets against what its name (or classify) allows."""
        if not isinstance(value, dict):
            return handler(value)
        scope = scope_of(info)
        errors: list[InitErrorDetails] = []
        maps: dict[str, ValueMap] = {}
        for name, body in value.items():
            try:
                vmap = _VALUE_MAP.validate_python(body, context=info.context)
            except ValidationError as exc:
                errors.extend(relocated(exc, (str(name),)))
                continue
            raw_values = body.get("values") if isinstance(body, dict) else None
            errors.extend(_target_problems(str(name), vmap, list(raw_values or ()), scope))
            vmap._name = str(name)
            maps[str(name)] = vmap
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return maps

    @property
    def fields(self) -> Mapping[str, FieldSpec]:
        """The mapped fields by canonical name."""
        return self.field_specs.specs()

    @model_validator(mode="after")
    def _recover_reads_unvalidated(self) -> RecordMapping:
        # a schema is checked on the file's own bytes, which recover would have to repair first
        if self.recover and self.schema_file is not None:
            fail(("recover",), "recover cannot be combined with schema: a file that needs "
                               "repairs would fail its schema anyway")
        return self

    @property
    def schema(self) -> Path | None:  # type: ignore[override]
        """The XSD file documents are validated against, if any."""
        return self.schema_file


class DocumentMapping(RecordMapping):
    """What orders and invoices share: how their totals are compared with their lines."""

    totals_tolerance: Decimal | None = Field(
        None, description="how far the lines plus rounding may be from the total, per line "
                          "(default: the currency's smallest unit: 0.01, 1 for JPY, 0.001 for KWD)")
    without_lines: WithoutLines = Field(
        WithoutLines.WARN, description="a document with a total but no lines")
    round_unit_prices: StrictBool = Field(
        False, description="round unit prices to the currency's smallest unit (PrestaShop keeps "
                           "10.00 as 9.999999); line totals are taken from the exact prices")

    @field_validator("totals_tolerance", mode="before")
    @classmethod
    def _tolerance_as_text(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("totals_tolerance")
    @classmethod
    def _not_negative(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and (not value.is_finite() or value < 0):
            raise problem("must be a number of 0 or more")
        return value


class OrdersMapping(DocumentMapping):
    """How orders are read."""

    kind: ClassVar[DocumentKind] = DocumentKind.ORDERS
    has_lines: ClassVar[bool] = True
    field_specs: OrderFields = Field(alias="fields", description="canonical order field: path")
    lines: OrderLines | None = Field(None, description="the order's lines")
    resolve: Resolver | None = Field(
        None, description="fetch what an order names only by id before a job imports it, over "
                          "the shop's http(s) orders endpoint (prestashop: the customer, its "
                          "addresses with their country, the currency, written into each order "
                          "as exchange_resolved/…)")


class InvoicesMapping(DocumentMapping):
    """How invoices and credit notes are read."""

    kind: ClassVar[DocumentKind] = DocumentKind.INVOICES
    has_lines: ClassVar[bool] = True
    field_specs: InvoiceFields = Field(alias="fields", description="canonical invoice field: path")
    lines: InvoiceLines | None = Field(None, description="the invoice's lines")


class ProductsMapping(RecordMapping):
    """How products (and their variants) are read."""

    kind: ClassVar[DocumentKind] = DocumentKind.PRODUCTS
    has_variants: ClassVar[bool] = True
    field_specs: ProductRecordFields = Field(alias="fields",
                                             description="canonical product field: path")
    dedupe_key: tuple[Text, ...] = Field(
        ("code",), description="the fields whose values identify a product across imports")


class StockMapping(RecordMapping):
    """How stock levels are read."""

    kind: ClassVar[DocumentKind] = DocumentKind.STOCK
    field_specs: StockFields = Field(alias="fields", description="canonical stock field: path")
    dedupe_key: tuple[Text, ...] = Field(
        ("product_code",), description="the fields whose values identify a stock level across imports")


class Kinds(Section):
    """The document kinds a profile can read."""

    unknown_key_word: ClassVar[str] = "kind"
    orders: OrdersMapping | None = Field(None, description="orders")
    invoices: InvoicesMapping | None = Field(None, description="invoices and credit notes")
    products: ProductsMapping | None = Field(None, description="products and their variants")
    stock: StockMapping | None = Field(None, description="stock levels")

    _order: tuple[str, ...] = PrivateAttr(())

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, data: Any, handler: Any) -> Any:
        result = handler(data)
        if isinstance(result, Kinds) and isinstance(data, dict):
            result._order = tuple(str(k) for k in data)
        return result

    def by_kind(self) -> dict[DocumentKind, RecordMapping]:
        """The declared kinds, in the profile's order."""
        names = [*self._order, *(k for k in type(self).model_fields if k not in self._order)]
        found = {DocumentKind(k): getattr(self, k) for k in names if k in type(self).model_fields}
        return {k: v for k, v in found.items() if v is not None}


class ImportOptions(Section):
    """Profile-level import behaviour (YAML section ``import:``)."""

    shop: Text = Field("", description="the shop name documents are recorded under "
                                       "(default: the profile's name)")
    platform: Text = Field("", description="(default: the profile's name)")
    timezone: TimeZoneName = Field(
        "Europe/Prague", description="naive dates in the file are local time in this zone; stored in UTC")
    unknown_product: UnknownProduct = Field(
        UnknownProduct.CREATE, description="an order line whose product is not in the catalogue")
    on_changed: OnChanged = Field(
        OnChanged.UPDATE, description="an order imported before comes again with new content")
    anonymous_customer: Text = Field(
        "", description="the one-off retail customer of orders that name no customer "
                        "(default: none, such orders have no customer)")
    update_customers: StrictBool = Field(
        False, description="update a known customer's data from a newer order "
                           "(default: the ERP's data stands)")
    price_list: Text = Field("retail", description="products import: the price list prices go to")
    warehouse: Text = Field("MAIN", description="products/stock import: the warehouse stock goes to")
    currency: CurrencyCode = Field("CZK", description="when the file states none")


def _gate(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise problem("must be a number between 0 and 1")
    return float(value)


class ExportSpec(Section):
    """One feed a profile offers (YAML ``exports: {NAME: {...}}``; see docs/export.md)."""

    name: Text = Field("", description="the feed's name: its key under `exports:`",
                       json_schema_extra={"from_key": True})
    template: Text = Field(description="the Jinja2 template, e.g. shoptet/pricelist.xml.j2")
    description: Text = Field("", description="")
    price_list: Text = Field("retail", description="the price list the feed shows")
    vat_included: StrictBool = Field(True, description="prices with VAT")
    warehouses: tuple[Text, ...] = Field(
        (), description="the warehouses whose stock is summed (default: all)")
    label: Text | None = Field(None, description="products with this label only")
    gate_max_drop: Annotated[float, AfterValidator(_gate)] = Field(
        0.2, description="the share of items a full feed may lose before it is held")
    template_dir: FolderBesideProfile | None = Field(
        None, description="your own templates, relative to the profile")
    options: dict[str, Any] = Field(default_factory=dict, description="values for the template")

    @field_validator("warehouses", "gate_max_drop", mode="before")
    @classmethod
    def _before(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == "warehouses":
            return one_or_many(value) if value is not None else ()
        return _gate(value)



_EXPORT_SPEC = TypeAdapter(ExportSpec)


class StatusExport(Section):
    """How the ERP's order changes go back to the shop (YAML ``order_status:``; docs/shop-return.md)."""

    template: Text = Field(description="the Jinja2 template, e.g. prestashop/order_histories.xml.j2")
    split: StatusSplit = Field(
        StatusSplit.ALL, description="all: one document of every changed order; order: one document "
                                     "per order (an API taking one resource a request); columns: "
                                     "one document per set of filled columns, so that no cell is "
                                     "ever empty (a CSV import that clears what an empty cell has)")
    name: Text = Field("order-status-{stamp}.xml",
                       description="the remote name; {stamp} the export's time, {number} the order's "
                                   "(split: order), {columns} the filled columns (split: columns)")
    columns: tuple[Text, ...] = Field(
        ("status", "paid", "paid_at", "tracking_number"),
        description="split: columns — the order fields whose presence decides the document")
    template_dir: FolderBesideProfile | None = Field(
        None, description="your own templates, relative to the profile")
    options: dict[str, Any] = Field(default_factory=dict, description="values for the template")

    @field_validator("columns", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return one_or_many(value) if value is not None else ()


def _empty_as_missing(value: Any) -> Any:
    return {} if value is None else value


class PaymentKind(Section):
    """The ERP payment kind of a payment, and where it is settled."""

    kind: Text = Field(description="the ERP's payment kind, e.g. draft (transfer), cash, delivery "
                                   "(cash on delivery), creditcard, advance")
    sync: PaymentSync = Field(description="shop: the shop's paid flag and amount mark the document "
                                          "paid; erp: the shop's paid flag is ignored and the "
                                          "ERP's payment is sent back as paid")


class PaymentEntry(PaymentKind):
    """One shop payment (optionally with one delivery) → ERP payment kind and sync mode."""

    payment: Text = Field(description="the shop's payment name or code (case-insensitive; "
                                      "PREFIX* by prefix)")
    shipping: Text | None = Field(None, description="only with this delivery name or code")

    def matches(self, names: tuple[str, ...], shippings: tuple[str, ...]) -> int:
        """0 for no match; 2 for a match with its shipping, 1 without one (the more specific wins)."""
        if not _any_matches(self.payment, names):
            return 0
        if self.shipping is None:
            return 1
        return 2 if _any_matches(self.shipping, shippings) else 0


def _any_matches(pattern: str, values: tuple[str, ...]) -> bool:
    key = pattern.strip().casefold()
    if key.endswith("*"):
        return any(v.startswith(key[:-1]) for v in values)
    return key in values


class Payments(Section):
    """The payment map (YAML ``payments:``; see docs/shop-return.md)."""

    methods: tuple[PaymentEntry, ...] = Field((), description="shop payment (and delivery) → kind, sync")
    default: PaymentKind | None = Field(None, description="for a payment that is not listed")
    unmapped: UnmappedPayment = Field(
        UnmappedPayment.HOLD, description="a payment not listed: default (with a warning) or hold "
                                          "the order for review")

    @model_validator(mode="after")
    def _default_when_taken(self) -> Payments:
        if self.unmapped is UnmappedPayment.DEFAULT and self.default is None:
            fail(("default",), "required when unmapped: default")
        return self

    def lookup(self, payment: tuple[str, ...], shipping: tuple[str, ...]) -> PaymentEntry | None:
        """The most specific entry for the order's payment (names/codes) and shipping, if any."""
        names = tuple(v.strip().casefold() for v in payment if v)
        ships = tuple(v.strip().casefold() for v in shipping if v)
        best, score = None, 0
        for entry in self.methods:
            found = entry.matches(names, ships)
            if found > score:
                best, score = entry, found
        return best


class Profile(Section):
    """A validated platform profile."""

    name: Text = Field("", description="(default: the file name)")
    description: Text = Field("", description="")
    import_options: ImportOptions = Field(
        default_factory=lambda: ImportOptions.model_validate({}), alias="import",
        description="how the engine imports")
    kind_specs: Kinds | None = Field(
        None, alias="kinds", description="what the profile can read: orders, invoices, products, stock")
    exports: dict[Text, ExportSpec] = Field(
        default_factory=dict, description="feeds the profile offers (see docs/export.md)")
    order_status: StatusExport | None = Field(
        None, description="how order status, payment and tracking go back to the shop "
                          "(see docs/shop-return.md)")
    payments: Payments | None = Field(
        None, description="shop payments → ERP payment kind and where each is settled "
                          "(see docs/shop-return.md)")

    _path: Path = PrivateAttr(Path())
    _kinds: dict[DocumentKind, RecordMapping] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _names_default_to_the_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        path = profile_path_of(info)
        name = data.get("name")
        if not isinstance(name, str) or not name:
            name = path.stem if path is not None else ""
            data = {**data, "name": name}
        section = data.get("import")
        if section is None or isinstance(section, dict):
            data = {**data, "import": {"shop": name, "platform": name, **(section or {})}}
        return data

    @field_validator("exports", mode="wrap")
    @classmethod
    def _named_by_their_keys(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        """Each feed is named by its key; a ``name`` of its own is an unknown key."""
        value = _empty_as_missing(value)
        if not isinstance(value, dict):
            return handler(value)
        errors: list[InitErrorDetails] = []
        exports: dict[str, ExportSpec] = {}
        for key, body in value.items():
            if isinstance(body, dict) and "name" in body:
                errors.append({"type": "extra_forbidden", "loc": (str(key), "name"),
                               "input": body["name"]})
                body = {k: v for k, v in body.items() if k != "name"}
            try:
                exports[str(key)] = _EXPORT_SPEC.validate_python(
                    {**body, "name": str(key)} if isinstance(body, dict) else body,
                    context=info.context)
            except ValidationError as exc:
                errors.extend(relocated(exc, (str(key),)))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return exports

    @model_validator(mode="after")
    def _reads_or_offers_something(self, info: ValidationInfo) -> Profile:
        kinds = self.kind_specs.by_kind() if self.kind_specs is not None else {}
        if not kinds and not self.exports:
            fail(("kinds",), "required: at least one document kind or one export")
        self._kinds = kinds
        self._path = profile_path_of(info) or Path(f"{self.name}.yaml")
        return self

    @property
    def path(self) -> Path:
        """The profile file."""
        return self._path

    @property
    def kinds(self) -> dict[DocumentKind, RecordMapping]:
        """The mapping of each kind the profile reads."""
        return self._kinds

    def with_kinds(self, kinds: Mapping[DocumentKind, RecordMapping]) -> Profile:
        """This profile reading its kinds with other mappings (e.g. with remembered decisions)."""
        profile = self.model_copy()
        profile._kinds = dict(kinds)
        return profile

    def mapping(self, kind: DocumentKind | str) -> RecordMapping:
        """The mapping for ``kind``; ConfigError naming the kinds this profile can read."""
        try:
            return self._kinds[DocumentKind(kind)]
        except (KeyError, ValueError):
            known = ", ".join(k.value for k in self._kinds) or "none"
            raise ConfigError(
                f"profile {self.name!r} cannot read {kind!s}; it reads: {known}"
            ) from None
