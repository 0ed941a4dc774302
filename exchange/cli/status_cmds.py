"""Shop return commands: ``orders set-status``, ``export order-status`` (through ``export``), ``shops``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from exchange.cli.common import EXIT_FAILED, EXIT_TRANSPORT, AppContext, echo_json, echo_table

ORDER_STATUS = "order-status"


@click.command("set-status")
@click.argument("args", nargs=-1, metavar="NUMBER... STATUS")
@click.option("--from", "from_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A list, number[,status[,tracking[,carrier]]] a line (STATUS is the default).")
@click.option("--tracking", metavar="N", default="", help="The parcel's tracking number (one order).")
@click.option("--carrier", metavar="C", default="", help="Who carries the parcel.")
@click.option("--shop", help="The order's shop (when the number exists in several).")
@click.option("--paid-at", type=click.DateTime(), help="With STATUS paid: when (default: now).")
@click.option("--amount", type=Decimal, help="With STATUS paid: the amount received.")
@click.option("--json", "as_json", is_flag=True, help="Print the change as JSON.")
@click.pass_obj
def orders_set_status(app: AppContext, args: tuple[str, ...], from_file: Path | None,
                      tracking: str, carrier: str, shop: str | None, paid_at: datetime | None,
                      amount: Decimal | None, as_json: bool) -> None:
    """Set orders' STATUS the ERP's way (shipped, cancelled, …, or paid); their shop hears it.

    Each change is recorded as an outgoing event: the next `exchange export order-status` sends
    it. Cancelling gives the order's reservation back; a realised order cannot be cancelled.

    Several NUMBERs, or `--from FILE` (then STATUS is optional: the status of a line that gives
    none), change each order in its own transaction: a line that fails is reported with its file
    and line and the rest go on; the exit code is then 1.
    """
    if from_file is None and len(args) == 2:
        _set_one(app, args[0], args[1], tracking=tracking, carrier=carrier, shop=shop,
                 paid_at=paid_at, amount=amount, as_json=as_json)
        return
    if from_file is None and len(args) < 2:
        raise click.UsageError("give NUMBER... STATUS, or --from FILE [STATUS]")
    if from_file is not None and len(args) > 1:
        raise click.UsageError("with --from FILE, only STATUS (the default) is an argument")
    if tracking or paid_at or amount is not None:
        raise click.UsageError("--tracking, --paid-at and --amount go with one order; "
                               "give tracking numbers a line each with --from FILE")
    _set_many(app, args, from_file, carrier=carrier, shop=shop, as_json=as_json)


def _set_one(app: AppContext, number: str, status: str, *, tracking: str, carrier: str,
             shop: str | None, paid_at: datetime | None, amount: Decimal | None,
             as_json: bool) -> None:
    from exchange.jobs.manual import manual_run
    from exchange.shopreturn.events import set_status

    store = app.store()
    when = paid_at.astimezone() if paid_at is not None else None
    with manual_run(store, "set-status") as run:
        change = set_status(store, number, status, tracking=tracking, carrier=carrier, shop=shop,
                            paid_at=when, amount=amount, job=run.job, run_id=run.run_id)
        run.add("events", len(change.events))
    if as_json:
        echo_json(change.as_dict())
    else:
        click.echo(change.summary())


def _set_many(app: AppContext, args: tuple[str, ...], from_file: Path | None, *, carrier: str,
              shop: str | None, as_json: bool) -> None:
    from exchange.jobs.manual import manual_run
    from exchange.shopreturn.bulk import argument_lines, read_status_file, set_statuses

    if from_file is not None:
        lines, refused = read_status_file(from_file, status=args[0] if args else "",
                                          carrier=carrier)
    else:
        lines, refused = argument_lines(args[:-1], args[-1], carrier=carrier), []
    store = app.store()
    with manual_run(store, "set-status") as run:
        result = set_statuses(store, lines, shop=shop, job=run.job, run_id=run.run_id,
                              failures=refused)
        run.add("orders", len(result.changes))
        run.add("events", sum(len(c.events) for c in result.changes))
        run.add("failed", len(result.failures))
        if result.failures:
            run.event("set_status_lines_failed", result.summary(), level="warning",
                      details=result.as_dict())
    if as_json:
        echo_json(result.as_dict())
    else:
        for change in result.changes:
            click.echo(change.summary())
        for failure in result.failures:
            click.echo(f"failed {failure}", err=True)
        click.echo(result.summary())
    if not result.ok:
        raise click.exceptions.Exit(EXIT_FAILED)


def export_order_status(app: AppContext, profile_name: str, *, output: Path | None,
                        endpoint: str | None, staging: Path, shop: str | None,
                        template: str | None, dry_run: bool, as_json: bool) -> None:
    """``exchange export order-status``: the orders changed since the destination confirmed."""
    from exchange.jobs.manual import manual_run
    from exchange.profiles import load_profile
    from exchange.shopreturn.publish import export_order_status as run_export
    from exchange.shopreturn.publish import with_template

    profile = with_template(load_profile(profile_name), template)
    store = app.store()
    options: dict[str, Any] = {"endpoint": endpoint, "output": output, "staging": staging,
                               "shop": shop, "dry_run": dry_run}
    if dry_run:
        result = run_export(store, profile, **options)
    else:
        with manual_run(store, "order-status") as run:
            result = run_export(store, profile, **options)
            run.add("orders", len(result.orders))
            run.event(f"order_status_{result.status.value}", result.summary(),
                      level="info" if result.ok else "warning", document=result.destination,
                      details=result.as_dict())
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(result.summary())
        for number, why in result.skipped:
            click.echo(f"  skipped {number}: {why}", err=True)
    if not result.ok:
        raise click.exceptions.Exit(EXIT_TRANSPORT)


@click.group()
def shops() -> None:
    """Shops: their import watermarks."""


@shops.command("reset")
@click.argument("name")
@click.option("--since", "since", required=True, type=click.DateTime(),
              help="The new watermark (local time unless it has an offset).")
@click.option("--kind", type=click.Choice(["orders", "invoices"]), default=None,
              help="Only this kind (default: orders and invoices).")
@click.pass_obj
def shops_reset(app: AppContext, name: str, since: datetime, kind: str | None) -> None:
    """Set shop NAME's watermark to SINCE: older documents it has not seen are skipped again.

    A SINCE without an offset is in the time zone of the shop's profile (from exchange.yaml),
    else this machine's.
    """
    from exchange.shopreturn.watermarks import reset_watermark

    when = since if since.tzinfo else _shop_time(app, name, since)
    for done in reset_watermark(app.store(), name, when, kinds=(kind,) if kind else None):
        click.echo(f"{name} {done.kind}: watermark {done.watermark:%Y-%m-%d %H:%M:%S} UTC")


def _shop_time(app: AppContext, shop: str, naive: datetime) -> datetime:
    """A naive time in the shop's profile's time zone (the machine's when the shop is unknown)."""
    from zoneinfo import ZoneInfo

    from exchange.config import load_config
    from exchange.profiles import load_profile

    path = Path(app.config_path)
    if path.is_file():
        found = load_config(path).shops.get(shop)
        if found is not None:
            zone = load_profile(found.profile).import_options.timezone
            return naive.replace(tzinfo=ZoneInfo(zone))
    return naive.astimezone()


@shops.command("watermarks")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def shops_watermarks(app: AppContext, as_json: bool) -> None:
    """Each shop's stored watermark per document kind (UTC)."""
    from exchange.shopreturn.watermarks import watermark_rows

    rows = watermark_rows(app.store())
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, [("shop", "SHOP"), ("kind", "KIND"), ("watermark", "WATERMARK (UTC)"),
                      ("set_by", "SET BY")], empty="no watermarks stored")


def register(group: click.Group) -> None:
    """Attach ``orders set-status`` and the ``shops`` group."""
    from exchange.cli.core_cmds import orders

    orders.add_command(orders_set_status)
    group.add_command(shops)
