"""`exchange.yaml`: store, folders, shops and jobs — validated on load, every problem at once.

The file's keys, defaults and rules are declared once, as pydantic models (``ConfigFile`` and its
sections); the engine reads the plain dataclasses built from them (``Config``). Secrets never come
from this file: a password in an endpoint or database URL is a problem (they come from the
environment or the OS keyring, see docs/transport.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from exchange.errors import ConfigError
from exchange.yamlcheck import LineDict, Problems, add_validation_problems, load_with_lines

TEMPLATE = """\
# exchange.yaml - configuration of the exchange engine.
# Secrets (FTP/SFTP passwords) never go here: they come from the environment or the OS keyring
# (see docs/transport.md).

# Where the ERP store lives. SQLite file by default; PostgreSQL by URL, e.g.
#   database: postgresql://user@db.example.com/erp
database: sqlite:///exchange.db

# Local folders (relative to this file).
folders:
  inbox: inbox            # pulled files land here
  quarantine: quarantine  # files that failed, with a .error.txt report beside each
  feeds: feeds            # exported feeds before they are pushed
  logs: logs              # rotating log file exchange.log

# Shops: which profile reads their files and where files come from and go to, e.g.
# shops:
#   myshop:
#     profile: shoptet                    # bundled name or a path to your own profile
#     orders_from: ftp://orders@ftp.example.com/export/
#     import_as: orders                   # orders | invoices | products | stock
#     feed_to: sftp://feeds@shop.example.com/import/
#     warehouse: MAIN                     # for new orders (default: the profile's)
#     point_of_sale: eshop
#     statuses: []                        # only orders in these shop statuses (empty = all)
#     since: 2026-01-01                   # orders before this are never imported (a watermark)
#     status_to: https://shop.example.com/api/order_histories?method=post  # do: status jobs

# Jobs run by `exchange run` (all) or `exchange run --once NAME`, e.g.
# jobs:
#   pull-orders:
#     do: import              # import | export | watch | reconcile | handoff | realise | status
#     shop: myshop
#     every: 10 minutes       # or: at: ["06:00", "18:30"]
#     window: {hours: "06:00-22:00", weekdays: [mon, tue, wed, thu, fri]}
#   push-feed:
#     do: export
#     shop: myshop
#     feed: pricelist
#     every: 1 hour
#     options: {images: false}  # feed options over the profile's (descriptions, content: stock, ...)
#   drift-report:
#     do: reconcile           # compares the shop's product export with the feed; counts in history
#     shop: myshop
#     shop_export: https://shop.example.com/export/productsComplete.xml
#     at: "07:30"
#   hand-to-pohoda:
#     do: handoff             # new and changed documents to the ERP (docs/erp.md)
#     shop: myshop
#     documents: invoices     # orders | invoices
#     format: pohoda          # pohoda | isdoc
#     to: file:///srv/pohoda/xml-in
#     every: 15 minutes
#   realise-paid:
#     do: realise             # orders realise --auto for the shop (paid, in stock, no note, not held)
#     shop: myshop
#     every: 10 minutes
#   drop-folder:
#     do: watch
#     shop: myshop
#     folder: dropbox         # files landing here are imported once complete
"""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EVERY_RE = re.compile(r"^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_PASSWORD_RE = re.compile(r"://[^/@]*:[^/@]*@")


class JobAction(StrEnum):
    """What a job does."""

    IMPORT = "import"
    EXPORT = "export"
    WATCH = "watch"
    RECONCILE = "reconcile"
    HANDOFF = "handoff"
    REALISE = "realise"
    STATUS = "status"


class DocumentType(StrEnum):
    """Which document realising an order issues (``shops.NAME.document_type``)."""

    INVOICE = "invoice"
    RECEIPT = "receipt"
    BY_CUSTOMER = "by_customer"  # an invoice for a company (company id or VAT id), else a receipt


class ImportAs(StrEnum):
    """What an import job's files hold."""

    ORDERS = "orders"
    INVOICES = "invoices"
    PRODUCTS = "products"
    STOCK = "stock"


def parse_every(value: str) -> int:
    """'10 minutes' → 600 seconds; ValueError on anything else."""
    match = _EVERY_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an interval like '30 seconds', '10 minutes', '2 hours'")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0]]
    if seconds <= 0:
        raise ValueError("the interval must be positive")
    return seconds


def _parse_time(value: str) -> time:
    match = _TIME_RE.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a time like 06:30")
    return time(int(match.group(1)), int(match.group(2)))


# --- the declaration: every key exchange.yaml accepts, its default and its rules -----------------


def _problem(reason: str) -> PydanticCustomError:
    return PydanticCustomError("config", reason.replace("{", "{{").replace("}", "}}"))


def _number_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_number_as_text)]


def _endpoint(value: str) -> str:
    if "://" not in value:
        raise _problem(f"{value!r} is not an endpoint URL (ftp://, ftps://, sftp://, file://)")
    if _PASSWORD_RE.search(value):
        raise _problem("a password in the URL is not allowed: use the environment or the keyring")
    from exchange.transport.endpoint import parse_endpoint

    try:
        parse_endpoint(value)  # scheme, host, port range and every option, now rather than at run time
    except ConfigError as exc:
        raise _problem(str(exc)) from None
    return value


EndpointUrl = Annotated[Text, AfterValidator(_endpoint)]


def _database(value: str) -> str:
    if _PASSWORD_RE.search(value):
        raise _problem("a password in the URL is not allowed: set EXCHANGE_DATABASE_URL, "
                       "PGPASSWORD or ~/.pgpass instead")
    return value


DatabaseUrl = Annotated[Text, AfterValidator(_database)]


def _broker(value: str) -> str:
    if not value.startswith(("amqp://", "amqps://")):
        raise _problem("a broker is an AMQP URL: amqp://user@host:5672/vhost (RabbitMQ)")
    if _PASSWORD_RE.search(value):
        raise _problem("a password in the URL is not allowed: set EXCHANGE_BROKER_PASSWORD or keep "
                       "it in the OS keyring (service exchange:broker)")
    return value


BrokerUrl = Annotated[Text, AfterValidator(_broker)]


def _interval(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return parse_every(value)
    except ValueError as exc:
        raise _problem(str(exc)) from None


def _time_of_day(value: Any) -> Any:
    try:
        _parse_time(str(value))
    except ValueError as exc:
        raise _problem(str(exc)) from None
    return str(value)


TimeOfDay = Annotated[str, BeforeValidator(_time_of_day)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    unknown_key_word: ClassVar[str] = "key"


class FoldersSection(_Section):
    """``folders:`` — local working folders, relative to exchange.yaml."""

    inbox: Text = Field("inbox", description="pulled files land here")
    quarantine: Text = Field("quarantine", description="files that failed, with a report beside each")
    feeds: Text = Field("feeds", description="exported feeds before they are pushed")
    logs: Text = Field("logs", description="the rotating log file exchange.log")


class AutoRealiseSection(_Section):
    """``shops.NAME.auto_realise:`` — which criteria ``orders realise --auto`` applies (Optima's rule)."""

    paid: bool = Field(True, description="the order is paid")
    in_stock: bool = Field(True, description="every product line is in stock")
    no_note: bool = Field(True, description="the customer left no note")
    not_held: bool = Field(True, description="the order is not held for review or on hold")


class ShopSection(_Section):
    """``shops.NAME:`` — which profile reads a shop's files, where they come from and go to."""

    profile: Text = Field(description="a bundled profile's name or the path of your own")
    orders_from: EndpointUrl | None = Field(None, description="the endpoint files are pulled from")
    import_as: ImportAs = Field(ImportAs.ORDERS, description="what the pulled files hold")
    feed_to: EndpointUrl | None = Field(None, description="the endpoint feeds are pushed to")
    warehouse: Text | None = Field(None, description="for new orders (default: the profile's)")
    point_of_sale: Text | None = Field(None, description="")
    anonymous_customer: Text | None = Field(
        None, description="the one-off retail customer of orders that name no customer "
                          "(default: the profile's import.anonymous_customer)")
    statuses: tuple[Text, ...] = Field((), description="only orders in these shop statuses (empty: all)")
    document_type: DocumentType = Field(
        DocumentType.BY_CUSTOMER, description="what realising an order issues: invoice, receipt, "
                                               "or by_customer (invoice for a company, else receipt)")
    payment_terms_days: int = Field(14, ge=0, le=3650,
                                    description="days from issue to the due date of realised documents")
    auto_realise: AutoRealiseSection = Field(
        default_factory=lambda: AutoRealiseSection.model_validate({}),
        description="the criteria of `orders realise --auto`")
    since: datetime | date | None = Field(
        None, description="the first watermark: unknown orders and invoices older than this are "
                          "skipped (a date, or a time; naive in the profile's time zone)")
    watermark_overlap: Annotated[int, BeforeValidator(_interval)] = Field(
        600, description="how far before the watermark documents are still taken (an interval)")
    status_to: EndpointUrl | None = Field(
        None, description="status jobs: the endpoint order status goes to (none: a file in feeds)")

    @field_validator("statuses", mode="before")
    @classmethod
    def _none_is_all(cls, value: Any) -> Any:
        return () if value is None else value


def _weekdays(value: Any) -> Any:
    if value is None:
        return value
    if not isinstance(value, list) or not all(str(d).lower()[:3] in WEEKDAYS for d in value):
        raise _problem(f"expected a list of {', '.join(WEEKDAYS)}")
    return [str(d).lower()[:3] for d in value]


def _hours(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        first, last = value.split("-", 1)
        _parse_time(first)
        _parse_time(last)
    except ValueError as exc:
        raise _problem(f"expected 'HH:MM-HH:MM' ({exc})") from None
    return value


class WindowSection(_Section):
    """``jobs.NAME.window:`` — when a job may run."""

    hours: Annotated[str, BeforeValidator(_hours)] | None = Field(
        None, description="a span like 06:00-22:00 (across midnight: 22:00-06:00)")
    weekdays: Annotated[tuple[str, ...], BeforeValidator(_weekdays)] | None = Field(
        None, description="mon … sun (default: every day)")


def _handoff_format(value: str) -> str:
    if value not in ("pohoda", "isdoc"):
        raise _problem(f"{value!r} is not a handoff format (pohoda, isdoc)")
    return value


def _handoff_documents(value: str) -> str:
    if value not in ("orders", "invoices"):
        raise _problem(f"{value!r} is not what a handoff sends (orders, invoices)")
    return value


def _shops_in(info: ValidationInfo) -> dict[str, bool] | None:
    context = info.context
    found = context.get("shops") if isinstance(context, dict) else None
    return found if isinstance(found, dict) else None


class JobSection(_Section):
    """``jobs.NAME:`` — what a job does, for which shop, and when (neither every nor at: by hand)."""

    do: JobAction = Field(JobAction.IMPORT, description="what the job does")
    shop: Text = Field(description="a shop under `shops:`")
    every: Annotated[int, BeforeValidator(_interval)] | None = Field(
        None, description="an interval like 30 seconds, 10 minutes, 2 hours")
    at: tuple[TimeOfDay, ...] = Field((), description="times of day like 06:00, or a list of them")
    window: WindowSection | None = Field(None, description="when the job may run")
    feed: Text = Field("pricelist", description="export jobs: the profile's feed")
    folder: Text | None = Field(
        None, description="watch jobs: the folder watched (relative to exchange.yaml)")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="export jobs: feed options over the profile's (images, descriptions, content, "
                    "safety_stock, max_stock)")
    shop_export: Text | None = Field(
        None, description="reconcile jobs: the shop's product export, a file or an endpoint URL naming it")
    format: Annotated[str, AfterValidator(_handoff_format)] = Field(
        "pohoda", description="handoff jobs: pohoda (dataPack) or isdoc (one file per invoice)")
    documents: Annotated[str, AfterValidator(_handoff_documents)] = Field(
        "invoices", description="handoff jobs: orders or invoices")
    to: EndpointUrl | None = Field(
        None, description="handoff jobs: the endpoint, e.g. the folder POHODA's XML import watches "
                          "(file:///srv/pohoda/in)")

    @field_validator("at", mode="before")
    @classmethod
    def _one_time(cls, value: Any) -> Any:
        if value is None:
            return ()
        return [value] if isinstance(value, str) else value

    @field_validator("shop")
    @classmethod
    def _known_shop(cls, value: str, info: ValidationInfo) -> str:
        shops = _shops_in(info)
        if shops is not None and value not in shops:
            raise _problem(f"no shop {value!r} under shops: (known: {', '.join(sorted(shops)) or 'none'})")
        return value

    @model_validator(mode="after")
    def _fits_its_action(self, info: ValidationInfo) -> JobSection:
        if self.do is JobAction.WATCH and not self.folder:
            _fail(("folder",), "required for a watch job")
        if self.do is JobAction.RECONCILE and not self.shop_export:
            _fail(("shop_export",), "required for a reconcile job")
        if self.do is JobAction.HANDOFF and not self.to:
            _fail(("to",), "required for a handoff job: the endpoint the documents go to")
        if self.do is JobAction.HANDOFF and self.format == "isdoc" and self.documents != "invoices":
            _fail(("documents",), "ISDOC carries invoices only")
        shops = _shops_in(info)
        if self.do is JobAction.IMPORT and shops is not None and shops.get(self.shop) is False:
            raise _problem(f"shop {self.shop!r} has no orders_from endpoint to import from")
        if self.do in (JobAction.EXPORT, JobAction.RECONCILE):
            offered = _feeds_of(info, self.shop)
            if offered is not None and self.feed not in offered:
                _fail(("feed",), f"the profile of shop {self.shop!r} has no feed {self.feed!r}; "
                                 f"it offers: {', '.join(sorted(offered)) or 'none'}")
        if self.do is JobAction.STATUS and _sends_status(info, self.shop) is False:
            _fail(("do",), f"the profile of shop {self.shop!r} has no order_status: section "
                           "(see docs/shop-return.md)")
        return self


def _sends_status(info: ValidationInfo, shop: str) -> bool | None:
    """Whether the shop's profile has ``order_status:``; None when it does not load."""
    context = info.context
    if not isinstance(context, dict):
        return None
    profile = context.get("profiles", {}).get(shop)
    if not isinstance(profile, str):
        return None
    cache: dict[str, bool | None] = context.setdefault("status", {})
    if profile not in cache:
        from exchange.errors import ExchangeError
        from exchange.profiles import load_profile

        try:
            cache[profile] = load_profile(profile).order_status is not None
        except ExchangeError:
            cache[profile] = None
    return cache[profile]


def _feeds_of(info: ValidationInfo, shop: str) -> set[str] | None:
    """The feeds the shop's profile offers; None when the profile does not load (told at run time)."""
    context = info.context
    if not isinstance(context, dict):
        return None
    profile = context.get("profiles", {}).get(shop)
    if not isinstance(profile, str):
        return None
    cache: dict[str, set[str] | None] = context.setdefault("feeds", {})
    if profile not in cache:
        from exchange.errors import ExchangeError
        from exchange.profiles import load_profile

        try:
            cache[profile] = set(load_profile(profile).exports)
        except ExchangeError:
            cache[profile] = None
    return cache[profile]


def _fail(loc: tuple[str | int, ...], reason: str) -> None:
    raise ValidationError.from_exception_data(
        "config", [{"type": _problem(reason), "loc": loc, "input": None}])


DEFAULT_NUMBERING = {"invoice": "FV{year}/{number:05d}", "credit_note": "DD{year}/{number:05d}",
                     "receipt": "PD{year}/{number:05d}"}


def _numbering(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for kind, pattern in value.items():
        if kind not in DEFAULT_NUMBERING:
            raise _problem(f"unknown document kind {kind!r} (known: {', '.join(DEFAULT_NUMBERING)})")
        try:
            str(pattern).format(year=2026, number=1)
        except (KeyError, ValueError, IndexError) as exc:
            raise _problem(f"{kind}: {pattern!r} is not a pattern with {{year}} and {{number}} "
                           f"({exc})") from None
        if "{number" not in str(pattern):
            raise _problem(f"{kind}: {pattern!r} has no {{number}}")
    return {**DEFAULT_NUMBERING, **{str(k): str(v) for k, v in value.items()}}


class CompanySection(_Section):
    """``company:`` — the merchant as a supplier on issued documents (ISDOC, POHODA dataPack ico)."""

    name: Text = Field(description="the company's registered name")
    ico: Text = Field("", description="company id (IČO)")
    dic: Text = Field("", description="VAT id (DIČ), empty when not a VAT payer")
    street: Text = Field("", description="street and house number")
    city: Text = Field("", description="")
    postcode: Text = Field("", description="")
    country: Text = Field("CZ", description="ISO 3166-1 alpha-2")
    bank_account: Text = Field("", description="account number, e.g. 123456789")
    bank_code: Text = Field("", description="bank code, e.g. 0100")
    iban: Text = Field("", description="")
    currency: Text = Field("CZK", description="the home currency of the books")


class PackEncoding(StrEnum):
    """The encoding of a POHODA dataPack (declared in its prolog)."""

    UTF8 = "utf-8"
    WINDOWS_1250 = "windows-1250"


class PohodaReceipts(StrEnum):
    """What a receipt becomes in a POHODA dataPack."""

    INVOICE = "invoice"  # an issued invoice (inv:invoice, issuedInvoice): POHODA's invoice book
    SALES_RECEIPT = "sales_receipt"  # a sales receipt (pro:prodejka): POHODA's cash-register book


class HandoffSection(_Section):
    """``handoff:`` — how documents are handed to the ERP (docs/erp.md)."""

    pohoda_xsd: Text | None = Field(
        None, description="the folder of POHODA's XSDs (data.xsd …; POHODA installs them in "
                          "Info/Schéma), relative to exchange.yaml")
    isdoc_xsd: Text | None = Field(
        None, description="the folder of the ISDOC 6.0.2 XSDs, relative to exchange.yaml")
    encoding: PackEncoding = Field(PackEncoding.UTF8, description="of POHODA dataPacks")
    link_stock: bool = Field(False, description="link product lines to POHODA's stock cards by code")
    pohoda_receipts: PohodaReceipts = Field(
        PohodaReceipts.INVOICE,
        description="receipts as POHODA issued invoices (invoice) or sales receipts "
                    "(sales_receipt: pro:prodejka, in the home currency only)")


def _empty_as_none(value: Any) -> Any:
    return {} if value is None else value


class ConfigFile(_Section):
    """exchange.yaml."""

    database: DatabaseUrl | None = Field(
        None, description="the store: sqlite:///FILE or postgresql://user@host/db (no password)")
    folders: FoldersSection = Field(default_factory=lambda: FoldersSection.model_validate({}),
                                    description="local working folders")
    shops: dict[Text, ShopSection] = Field(default_factory=dict, description="the shops")
    jobs: dict[Text, JobSection] = Field(default_factory=dict, description="what `exchange run` runs")
    alerts: dict[str, Any] | None = Field(
        None, description="where alerts go and when (docs/console.md); checked by exchange.alerts")
    broker: BrokerUrl | None = Field(
        None, description="RabbitMQ for `exchange worker` and `exchange run --engine celery`: "
                          "amqp://user@host:5672/vhost (no password; docs/scale-out.md)")
    company: CompanySection | None = Field(
        None, description="the merchant as supplier on issued documents (docs/erp.md)")
    handoff: HandoffSection = Field(default_factory=lambda: HandoffSection.model_validate({}),
                                    description="handing documents to the ERP (POHODA, ISDOC)")
    numbering: Annotated[dict[str, str], BeforeValidator(_numbering)] = Field(
        default_factory=lambda: dict(DEFAULT_NUMBERING),
        description="number patterns of issued documents per kind, with {year} and {number}")

    @field_validator("alerts")
    @classmethod
    def _alerts_are_valid(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        from exchange.alerts.settings import parse_alerts

        try:
            parse_alerts(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _note_the_shops(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(info.context, dict) and isinstance(data, dict):
            shops = data.get("shops")
            info.context["shops"] = {
                str(name): isinstance(body, dict) and bool(body.get("orders_from"))
                for name, body in shops.items()} if isinstance(shops, dict) else {}
            info.context["profiles"] = {
                str(name): body.get("profile") for name, body in shops.items()
                if isinstance(body, dict)} if isinstance(shops, dict) else {}
        return data

    @field_validator("folders", "shops", "jobs", mode="before")
    @classmethod
    def _empty_sections(cls, value: Any) -> Any:
        return _empty_as_none(value)


# --- what the engine reads --------------------------------------------------------------------------


@dataclass(frozen=True)
class Folders:
    """Local working folders."""

    inbox: Path
    quarantine: Path
    feeds: Path
    logs: Path


@dataclass(frozen=True)
class ShopConfig:
    """One shop: its profile, where its files come from and where its feeds go."""

    name: str
    profile: str
    orders_from: str | None = None
    import_as: str = ShopSection.model_fields["import_as"].default
    feed_to: str | None = None
    warehouse: str | None = None
    point_of_sale: str | None = None
    anonymous_customer: str | None = None
    statuses: tuple[str, ...] = ()
    document_type: str = DocumentType.BY_CUSTOMER.value
    payment_terms_days: int = 14
    auto_realise: AutoRealiseSection = field(
        default_factory=lambda: AutoRealiseSection.model_validate({}))
    since: datetime | date | None = None
    watermark_overlap: int = 600
    status_to: str | None = None


@dataclass(frozen=True)
class Window:
    """When a job may run: a span of hours and a set of weekdays (0 = Monday)."""

    start: time | None = None
    end: time | None = None
    weekdays: frozenset[int] = frozenset(range(7))

    def allows(self, weekday: int, at: time) -> bool:
        """True when a run at this weekday and local time is allowed."""
        if weekday not in self.weekdays:
            return False
        if self.start is None or self.end is None:
            return True
        if self.start <= self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end  # a window across midnight

    @classmethod
    def from_section(cls, section: WindowSection | None) -> Window:
        """The window a validated ``window:`` section describes."""
        if section is None:
            return cls()
        start = end = None
        if section.hours:
            first, last = section.hours.split("-", 1)
            start, end = _parse_time(first), _parse_time(last)
        weekdays = (frozenset(WEEKDAYS.index(d) for d in section.weekdays)
                    if section.weekdays is not None else frozenset(range(7)))
        return cls(start, end, weekdays)


@dataclass(frozen=True)
class JobConfig:
    """One job: what it does, for which shop, and when."""

    name: str
    action: str
    shop: str
    every_seconds: int | None = None
    at: tuple[str, ...] = ()
    window: Window = field(default_factory=Window)
    feed: str = JobSection.model_fields["feed"].default
    folder: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    shop_export: str | None = None
    format: str = "pohoda"  # handoff jobs
    documents: str = "invoices"
    to: str | None = None


@dataclass(frozen=True)
class Config:
    """A validated exchange.yaml."""

    path: Path
    database: str | None
    folders: Folders
    shops: dict[str, ShopConfig]
    jobs: dict[str, JobConfig]
    broker: str | None = None  # scale-out: the AMQP URL of RabbitMQ, without its password
    company: CompanySection | None = None  # the merchant as supplier (ERP handoff)
    numbering: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_NUMBERING))
    handoff: HandoffSection = field(default_factory=lambda: HandoffSection.model_validate({}))

    def job(self, name: str) -> JobConfig:
        """A job by name; a clear error listing the known ones."""
        if name not in self.jobs:
            known = ", ".join(sorted(self.jobs)) or "none configured"
            raise ConfigError(f"no job {name!r} in {self.path} (known: {known})")
        return self.jobs[name]


def _built(model: ConfigFile, path: Path) -> Config:
    base = path.parent
    f = model.folders
    return Config(
        path=path,
        database=model.database,
        folders=Folders(base / f.inbox, base / f.quarantine, base / f.feeds, base / f.logs),
        shops={name: ShopConfig(name=name, profile=s.profile, orders_from=s.orders_from,
                                import_as=s.import_as, feed_to=s.feed_to, warehouse=s.warehouse,
                                point_of_sale=s.point_of_sale,
                                anonymous_customer=s.anonymous_customer, statuses=s.statuses,
                                document_type=s.document_type.value,
                                payment_terms_days=s.payment_terms_days,
                                auto_realise=s.auto_realise, since=s.since,
                                watermark_overlap=s.watermark_overlap, status_to=s.status_to)
               for name, s in model.shops.items()},
        jobs={name: JobConfig(name=name, action=j.do, shop=j.shop, every_seconds=j.every, at=j.at,
                              window=Window.from_section(j.window), feed=j.feed,
                              folder=(base / j.folder) if j.folder else None,
                              options=dict(j.options), shop_export=j.shop_export,
                              format=j.format, documents=j.documents, to=j.to)
              for name, j in model.jobs.items()},
        broker=model.broker,
        company=model.company,
        numbering=dict(model.numbering),
        handoff=model.handoff.model_copy(update={
            key: str(base / value) for key in ("pohoda_xsd", "isdoc_xsd")
            if (value := getattr(model.handoff, key))}),
    )


def load_config(path: Path) -> Config:
    """Read and validate exchange.yaml; ConfigError lists every problem with its line."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    problems = Problems(path)
    data = load_with_lines(raw, path, problems)
    if data is None and not problems:
        raise ConfigError(f"{path}: nothing configured (the file is empty or holds only comments); "
                          "`exchange init --force` writes a commented starter")
    if not problems and not isinstance(data, LineDict):
        problems.add(1, "(file)", "expected a mapping at the top level")
    if problems:
        raise ConfigError(_render(path, problems))
    try:
        model = ConfigFile.model_validate(data, context={})
    except ValidationError as exc:
        add_validation_problems(exc, data, ConfigFile, problems)
        problems.items.sort(key=lambda p: int(m.group(1)) if (m := re.search(r":(\d+): ", p)) else 0)
        raise ConfigError(_render(path, problems)) from None
    return _built(model, path)


def _render(path: Path, problems: Problems) -> str:
    count = len(problems.items)
    return f"{path}: {count} problem{'s' if count != 1 else ''}\n" + "\n".join(
        f"  {p}" for p in problems.items)


def read_database_url(path: Path) -> str | None:
    """The ``database:`` entry of a configuration file, if any."""
    return load_config(path).database


def write_template(path: Path, *, force: bool = False) -> None:
    """Write the commented starter configuration."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists (use --force to overwrite)")
    path.write_text(TEMPLATE, encoding="utf-8")
