"""Export commands: render a profile's feed (price list, stock) to a file or publish it to an endpoint."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from exchange.cli.common import EXIT_DOCUMENT, EXIT_TRANSPORT, AppContext, echo_json, echo_table
from exchange.cli.status_cmds import ORDER_STATUS, export_order_status


def _list_feeds(profile_name: str | None, as_json: bool) -> None:
    from exchange.exporters.engine import differential_of
    from exchange.profiles import list_profiles, load_profile

    profiles = [load_profile(profile_name)] if profile_name else list_profiles()
    rows = [{"profile": p.name, "feed": spec.name, "template": spec.template,
             "price_list": spec.price_list, "vat": "with" if spec.vat_included else "without",
             "differential": differential_of(spec.options or {}).value,
             "description": spec.description}
            for p in profiles for spec in p.exports.values()]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, [("profile", "PROFILE"), ("feed", "FEED"), ("price_list", "PRICES"),
                          ("vat", "VAT"), ("differential", "DIFFERENTIAL"),
                          ("description", "DESCRIPTION")],
                   empty="no profile offers a feed")


def feed_overrides(images: bool | None, descriptions: bool | None, stock_only: bool,
                   prices_only: bool, safety_stock: Decimal | None,
                   max_stock: Decimal | None) -> dict[str, Any]:
    """Feed options given on the command line (they win over the profile's)."""
    if stock_only and prices_only:
        raise click.UsageError("--stock-only and --prices-only exclude each other")
    overrides: dict[str, Any] = {}
    if images is not None:
        overrides["images"] = images
    if descriptions is not None:
        overrides["descriptions"] = descriptions
    if stock_only:
        overrides["content"] = "stock"
    if prices_only:
        overrides["content"] = "prices"
    if safety_stock is not None:
        overrides["safety_stock"] = safety_stock
    if max_stock is not None:
        overrides["max_stock"] = max_stock
    return overrides


@click.command("export")
@click.argument("feed", required=False, default="pricelist")
@click.option("--profile", "-p", "profile_name", metavar="PROFILE",
              help="Bundled profile name or a profile YAML file.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a full feed to this file (replaced atomically); no state changes.")
@click.option("--to", "endpoint", metavar="ENDPOINT",
              help="Publish the feed at this endpoint (a destination that remembers what it got).")
@click.option("--as", "remote_name", metavar="NAME",
              help="With --to: the remote file name (default: PROFILE-FEED.xml).")
@click.option("--changes", is_flag=True,
              help="With --to: only what changed since the destination's last publication.")
@click.option("--staging", default="feeds", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="With --to: folder for the rendered feed, held feeds and the outbox spool.")
@click.option("--price-list", help="Price list to export (default: the feed's, usually retail).")
@click.option("--vat/--no-vat", "vat_included", default=None,
              help="Prices with or without VAT (default: as the feed says).")
@click.option("--warehouse", "warehouses", multiple=True, metavar="CODE",
              help="Count stock only in this warehouse; repeat for several (default: all).")
@click.option("--label", help="Only products carrying this label (or whose parent carries it).")
@click.option("--images/--no-images", default=None, help="Carry image links (default: as the feed says).")
@click.option("--descriptions/--no-descriptions", default=None,
              help="Carry descriptions (default: as the feed says).")
@click.option("--stock-only", is_flag=True, help="Only stock, no prices.")
@click.option("--prices-only", is_flag=True, help="Only prices, no stock.")
@click.option("--safety-stock", type=Decimal, metavar="N",
              help="Keep N back: available = on hand - reserved - N (never below 0).")
@click.option("--max-stock", type=Decimal, metavar="N", help="Show at most N as available.")
@click.option("--force", is_flag=True, help="Publish even when the feed gate would hold the feed.")
@click.option("--dry-run", is_flag=True,
              help="Print the item count, the first items and the gate's verdict; change nothing.")
@click.option("--list", "list_feeds", is_flag=True, help="List the feeds each profile offers.")
@click.option("--shop", help="order-status: the shop whose orders (default: the profile's).")
@click.option("--template", metavar="NAME",
              help="order-status: another status template, e.g. native/order-status.xml.j2.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def export(app: AppContext, feed: str, profile_name: str | None, output: Path | None,
           endpoint: str | None, remote_name: str | None, changes: bool, staging: Path,
           price_list: str | None, vat_included: bool | None, warehouses: tuple[str, ...],
           label: str | None, images: bool | None, descriptions: bool | None, stock_only: bool,
           prices_only: bool, safety_stock: Decimal | None, max_stock: Decimal | None,
           force: bool, dry_run: bool, list_feeds: bool, shop: str | None, template: str | None,
           as_json: bool) -> None:
    """Write FEED (default: pricelist) of a profile to a file (-o) or publish it (--to ENDPOINT).

    FEED order-status sends the orders whose status, payment or tracking the ERP changed since
    the destination last confirmed (see docs/shop-return.md).

    An empty feed, or a full feed whose item count drops more than the feed allows, is kept aside
    as FILE.held with a report (exit code 4) unless --force. A push that cannot be delivered
    leaves the changes for the next run (exit code 5).
    """
    if list_feeds:
        _list_feeds(profile_name, as_json)
        return
    if not profile_name:
        raise click.UsageError("--profile is required (see `exchange export --list`)")
    if (output is None) == (endpoint is None):
        raise click.UsageError("give either --output/-o FILE or --to ENDPOINT")
    if feed == ORDER_STATUS:
        export_order_status(app, profile_name, output=output, endpoint=endpoint, staging=staging,
                            shop=shop, template=template, dry_run=dry_run, as_json=as_json)
        return
    if shop or template:
        raise click.UsageError("--shop and --template go with FEED order-status")
    if endpoint is None and (changes or remote_name):
        raise click.UsageError("--changes and --as go with --to ENDPOINT; -o always writes a full feed")
    from exchange.jobs.manual import manual_run
    from exchange.profiles import load_profile

    overrides = feed_overrides(images, descriptions, stock_only, prices_only, safety_stock,
                               max_stock)
    store = app.store()
    profile = load_profile(profile_name)
    common: dict[str, Any] = {"price_list": price_list, "vat_included": vat_included,
                                  "warehouses": warehouses or None, "label": label, "force": force,
                                  "overrides": overrides, "dry_run": dry_run}
    if dry_run:
        result = _export(store, profile, feed, output, endpoint, remote_name, changes, staging,
                         common)
    else:
        with manual_run(store, "export") as run:
            result = _export(store, profile, feed, output, endpoint, remote_name, changes,
                             staging, common)
            run.add("items", result.item_count)
            run.event(f"feed_{result.status.value}", result.summary(),
                      level="info" if result.ok else "warning", document=result.feed_key,
                      details=result.as_dict())
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(result.summary())
        for item in result.sample:
            hidden = " (hidden)" if item["hidden"] else ""
            click.echo(f"  {item['code']}  {item['name']}  price {item['price']}  "
                       f"available {item['available']}{hidden}")
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
    if not result.ok:
        if result.held_report and not as_json:
            click.echo(f"report: {result.held_report}", err=True)
        if dry_run or result.held_report:
            raise click.exceptions.Exit(EXIT_DOCUMENT)
        raise click.exceptions.Exit(EXIT_TRANSPORT)


def _export(store: Any, profile: Any, feed: str, output: Path | None, endpoint: str | None,
            remote_name: str | None, changes: bool, staging: Path, common: dict[str, Any]) -> Any:
    if endpoint is not None:
        from exchange.feed_publish import publish_feed

        return publish_feed(store, profile, feed, endpoint=endpoint, staging=staging,
                            remote_name=remote_name, changes=changes, **common)
    from exchange.exporters.engine import export_feed

    return export_feed(store, profile, feed, output or Path(), **common)


def register(cli: click.Group) -> None:
    """Add the export command to the CLI."""
    cli.add_command(export)
