"""Core commands: init, catalog load, and listings of orders, invoices and products."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from exchange.cli.common import AppContext, echo_json, echo_table


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing exchange.yaml.")
@click.pass_obj
def init(app: AppContext, force: bool) -> None:
    """Write a commented exchange.yaml and create the database."""
    from exchange.config import write_template

    path = Path(app.config_path)
    write_template(path, force=force)
    store = app.store(create=True)
    click.echo(f"wrote {path}")
    click.echo(f"database ready: {store!r}")


@click.group()
def catalog() -> None:
    """The ERP's product catalogue."""


@catalog.command("load")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--currency", default="CZK", show_default=True, help="Currency of the prices.")
@click.option("--encoding", default=None, metavar="CODEC",
              help="The file's encoding (default: detected: UTF-8 with or without BOM, UTF-16, "
                   "else windows-1250).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def catalog_load(app: AppContext, csv_file: Path, currency: str, encoding: str | None,
                 as_json: bool) -> None:
    """Load products, prices and stock from a CSV file.

    Columns: code, ean, name, unit, vat_rate, labels, price:<list> (one per price list),
    stock:<warehouse> (one per warehouse). Bad rows are reported with their row number.
    """
    from exchange.catalog import load_catalog_csv
    from exchange.jobs.manual import manual_run

    store = app.store()
    with manual_run(store, "catalog-load") as run:
        report = load_catalog_csv(store, csv_file, currency=currency, encoding=encoding)
        for key in ("created", "updated", "unchanged"):
            run.add(key, getattr(report, key))
        run.add("rejected", len(report.errors))
        run.event("catalog_loaded", report.summary(), document=csv_file.name,
                  level="warning" if report.errors else "info")
        for err in report.errors:
            run.event("rejected", err, level="warning", document=csv_file.name)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.summary())
        for err in report.errors:
            click.echo(f"  {err}", err=True)
    if report.errors:
        raise click.exceptions.Exit(4)


@catalog.command("link")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", "-p", "profile_name", required=True,
              type=click.Choice(["prestashop"]), help="The platform of the export.")
@click.option("--shop", default="prestashop", show_default=True,
              help="The shop name the links are kept under.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def catalog_link(app: AppContext, export_file: Path, profile_name: str, shop: str,
                 as_json: bool) -> None:
    """Link the catalogue to a shop's product ids from its product export (by code, else EAN).

    For PrestaShop: the XML of GET /api/products?display=full and /api/combinations?display=full.
    """
    from exchange.catalog_links import link_catalogue
    from exchange.jobs.manual import manual_run

    store = app.store()
    with manual_run(store, "catalog-link") as run:
        report = link_catalogue(store, export_file, shop=shop)
        run.add("linked", report.linked)
        run.add("unmatched", len(report.unmatched))
        run.event("catalog_linked", report.summary(), document=export_file.name,
                  level="info" if report.ok else "warning")
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.summary())
        for line in report.unmatched:
            click.echo(f"  {line}", err=True)
    if not report.ok:
        raise click.exceptions.Exit(4)


@click.group()
def orders() -> None:
    """Received orders (the book of received orders)."""


@orders.command("list")
@click.option("--shop", help="Only this shop.")
@click.option("--status", help="Only this status.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def orders_list(app: AppContext, shop: str | None, status: str | None, limit: int,
                as_json: bool) -> None:
    """List received orders, newest first."""
    from exchange.store.documents import list_orders

    with app.store().connect() as conn:
        rows = list_orders(conn, shop=shop, status=status, limit=limit)
    if as_json:
        echo_json(rows)
        return
    _mark_held(rows)
    echo_table(rows, [("number", "NUMBER"), ("shop", "SHOP"), ("ordered_at", "DATE (UTC)"),
                      ("customer_name", "CUSTOMER"), ("status", "STATUS"),
                      ("line_count", "LINES"), ("total", "TOTAL"), ("currency", "CUR"),
                      ("held", "HELD")],
               empty="no orders yet")


def _mark_held(rows: list[dict[str, Any]]) -> None:
    """A ``HELD: reason`` column for documents waiting for review (the reason cut to fit)."""
    for row in rows:
        reason = row.get("review_reason") or ""
        row["held"] = f"HELD: {reason[:70]}{'…' if len(reason) > 70 else ''}" if reason else ""


def _show(app: AppContext, kind: str, number: str, shop: str | None, as_json: bool) -> None:
    from exchange.store.document_view import document_view, find_document_id

    with app.store().connect() as conn:
        doc_id = find_document_id(conn, kind, number, shop)
        if doc_id is None:
            what = "order" if kind == "orders" else "invoice"
            raise click.ClickException(f"no {what} {number!r}" + (f" in shop {shop}" if shop else ""))
        view = document_view(conn, kind, doc_id)
    if as_json:
        echo_json(view)
        return
    echo_document(view)


def echo_document(view: dict[str, Any]) -> None:
    """A document's view as text: header fields, lines, then its history."""
    for key, value in view.items():
        if key in ("lines", "events") or value is None or value == []:
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items() if v)
        elif isinstance(value, list):
            value = "; ".join(", ".join(f"{k} {v}" for k, v in item.items()) for item in value)
        click.echo(f"{key + ':':<21}{value}")
    click.echo("")
    echo_table(view["lines"], [("kind", "KIND"), ("code", "CODE"), ("name", "NAME"),
                               ("quantity", "QTY"), ("unit", "UNIT"), ("unit_price", "PRICE"),
                               ("unit_price_net", "NET"), ("vat_rate", "VAT %"),
                               ("discount_percent", "DISC %"), ("total", "TOTAL"),
                               ("total_net", "TOTAL NET")], empty="no lines")
    if view["events"]:
        click.echo("")
        echo_table(view["events"], [("at", "AT (UTC)"), ("level", "LEVEL"), ("kind", "EVENT"),
                                    ("message", "MESSAGE")])


@orders.command("show")
@click.argument("number")
@click.option("--shop", help="The shop, when several have an order of that number.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def orders_show(app: AppContext, number: str, shop: str | None, as_json: bool) -> None:
    """Everything stored about one order: header, money, lines, customer, addresses, history."""
    _show(app, "orders", number, shop, as_json)


@click.group()
def invoices() -> None:
    """Issued invoices, credit notes and receipts."""


@invoices.command("list")
@click.option("--shop", help="Only this shop.")
@click.option("--kind", type=click.Choice(["invoice", "credit_note", "receipt"]),
              help="Only this kind of document.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def invoices_list(app: AppContext, shop: str | None, kind: str | None, limit: int,
                  as_json: bool) -> None:
    """List issued invoices, credit notes and receipts with their kind, newest first."""
    from exchange.store.documents import list_invoices

    with app.store().connect() as conn:
        rows = list_invoices(conn, shop=shop, kind=kind, limit=limit)
    if as_json:
        echo_json(rows)
        return
    _mark_held(rows)
    echo_table(rows, [("number", "NUMBER"), ("kind", "KIND"), ("shop", "SHOP"),
                      ("issued_on", "ISSUED"), ("customer_name", "CUSTOMER"),
                      ("line_count", "LINES"), ("total", "TOTAL"), ("currency", "CUR"),
                      ("held", "HELD")],
               empty="no invoices yet")


@invoices.command("show")
@click.argument("number")
@click.option("--shop", help="The shop, when several have an invoice of that number.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def invoices_show(app: AppContext, number: str, shop: str | None, as_json: bool) -> None:
    """Everything stored about one invoice: header, money, lines, customer, addresses, history."""
    _show(app, "invoices", number, shop, as_json)


@click.group()
def products() -> None:
    """The catalogue's products."""


@products.command("list")
@click.option("--label", help="Only products carrying this label.")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def products_list(app: AppContext, label: str | None, limit: int, as_json: bool) -> None:
    """List products with prices and available stock."""
    from exchange.store.catalog import list_products

    with app.store().connect() as conn:
        rows = list_products(conn, label=label, limit=limit)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        row["price_text"] = ", ".join(f"{k} {v:.2f}" for k, v in sorted(row["prices"].items()))
    echo_table(rows, [("code", "CODE"), ("name", "NAME"), ("ean", "EAN"), ("unit", "UNIT"),
                      ("vat_rate", "VAT %"), ("available", "AVAILABLE"), ("price_text", "PRICES")],
               empty="no products yet (load some with: exchange catalog load FILE.csv)")


@click.command()
@click.option("--dir", "workdir", default="demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Working folder of the demo.")
@click.option("--web", is_flag=True, help="Then serve the web console on the demo's store.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="The console's port with --web (0 picks a free one).")
def demo(workdir: Path, web: bool, port: int) -> None:
    """Run the whole loop on the embedded default: SQLite file, local folders, bundled samples."""
    from exchange.demo import run_demo
    from exchange.jobs.status import job_statuses, outbox_length
    from exchange.store.documents import list_orders

    store, config = run_demo(workdir, say=click.echo)
    with store.connect() as conn:
        rows = list_orders(conn)
    click.echo("")
    echo_table(rows, [("number", "ORDER"), ("ordered_at", "DATE (UTC)"),
                      ("customer_name", "CUSTOMER"), ("status", "STATUS"),
                      ("line_count", "LINES"), ("total", "TOTAL"), ("currency", "CUR")],
               empty="no orders")
    click.echo("")
    from datetime import datetime

    statuses = job_statuses(store, config, datetime.now().astimezone())
    echo_table([s.as_dict() for s in statuses],
               [("job", "JOB"), ("action", "DOES"), ("last_started", "LAST RUN (UTC)"),
                ("last_status", "RESULT"), ("next_run", "NEXT RUN")])
    click.echo(f"outbox: {outbox_length(store)} push(es) waiting")
    if web:
        from exchange.cli.web_cmds import say_now
        from exchange.web.server import serve
        from exchange.web.settings import WebSettings

        settings = WebSettings(store=store, config=config, quarantine=config.folders.quarantine)
        try:
            serve(settings, port, say_now)
        finally:
            store.close()
        return
    click.echo(f"console: exchange --db sqlite:///{config.path.parent / 'exchange.db'} "
               f"--config {config.path} web   (or: make demo-web)")
    store.close()


def register(group: click.Group) -> None:
    """Attach the core commands to the top-level group."""
    for command in (init, catalog, orders, invoices, products, demo):
        group.add_command(command)
