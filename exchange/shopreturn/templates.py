"""Status templates: the Jinja environment (XML escaped, CSV quoted), and each order as a template sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from exchange.errors import ConfigError, DocumentError
from exchange.exporters.render import FILTERS

_CSV_SPECIAL = (";", ",", '"', "\n", "\r")



def csv_cell(value: Any) -> str:
    """A CSV cell: quoted (quotes doubled) when it holds a separator, a quote or a line break."""
    text = "" if value is None else str(value)
    if any(ch in text for ch in _CSV_SPECIAL):
        return '"' + text.replace('"', '""') + '"'
    return text


def build_environment(template_dir: Path | None = None) -> jinja2.Environment:
    """A profile's own folder first, then the bundled templates (``exchange/exporters/templates``)."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        if not Path(template_dir).is_dir():
            raise ConfigError(f"template folder {template_dir} does not exist")
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.PackageLoader("exchange.exporters", "templates"))
    # XML is escaped; a CSV template quotes its cells with |csv instead
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders),
                             autoescape=jinja2.select_autoescape(
                                 enabled_extensions=("xml", "html", "xml.j2", "html.j2"),
                                 disabled_extensions=("csv.j2", "txt.j2"),
                                 default_for_string=True, default=True),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    env.filters["csv"] = csv_cell
    return env


def render_plain(template: jinja2.Template, context: dict[str, Any], target: Path) -> None:
    """Render a small document into ``target`` in one write (no temporary file, no fsync).

    Raises:
        ConfigError: the template refers to something undefined.
        DocumentError: the template raised while rendering.
    """
    try:
        text = template.render(**context)
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"{template.filename or template.name}: template error: {exc.message}") \
            from exc
    except jinja2.TemplateError as exc:
        raise DocumentError(str(exc), file=template.filename or template.name) from exc
    target.write_text(text, encoding="utf-8", newline="\n")


@dataclass(frozen=True)
class OrderView:
    """One changed order as a status template sees it: what the ERP says its shop should show."""

    number: str
    external_id: str
    status: str  # the ERP's status
    shop_status: str  # the shop's own value for it ('' when the status map sends none back)
    tracking_number: str
    carrier: str
    paid: bool | None  # True only when the ERP recorded the payment
    paid_at: datetime | None
    paid_on: date | None  # paid_at as a date in the shop's time zone
    amount_paid: Decimal | None
    changes: tuple[str, ...]  # status, tracking, paid, realised, cancelled — in order
    changed_at: datetime
    payment_method: str
    shipping_method: str
    currency: str
    payment_kind: str = ""  # the ERP's payment kind the payment map gave the order
    payment_sync: str = ""  # shop | erp ('' without a payment map)

    def filled(self, column: str) -> bool:
        """True when the order has a value for ``column`` (an empty cell must never be written)."""
        if column == "status":
            return bool(self.shop_status)
        if column == "paid":
            return self.paid is True
        value = getattr(self, column, None)
        return value is not None and value != ""

    def __getitem__(self, key: str) -> Any:
        """``o['tracking_number']`` in a template, as ``o.tracking_number``."""
        return getattr(self, key)


def order_view(row: dict[str, Any], shop_status: str, timezone: str) -> OrderView:
    """The view of one row of ``store.order_status.changed_orders``."""
    paid_at = row.get("paid_at")
    return OrderView(
        number=str(row["number"]), external_id=str(row["external_id"]), status=str(row["status"]),
        shop_status=shop_status, tracking_number=str(row.get("tracking_number") or ""),
        carrier=str(row.get("carrier") or ""), paid=row.get("paid"), paid_at=paid_at,
        paid_on=paid_at.astimezone(ZoneInfo(timezone)).date() if paid_at else None,
        amount_paid=row.get("amount_paid"), changes=tuple(row.get("changes") or ()),
        changed_at=row["created_at"], payment_method=str(row.get("payment_method") or ""),
        shipping_method=str(row.get("shipping_method") or ""),
        currency=str(row.get("currency") or ""),
        payment_kind=str(row.get("payment_kind") or ""),
        payment_sync=str(row.get("payment_sync") or ""))
