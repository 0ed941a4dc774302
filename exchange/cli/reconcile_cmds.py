"""The reconcile command: drift between what the ERP would publish and what the shop shows."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import click

from exchange.cli.common import EXIT_DOCUMENT, AppContext, echo_json


@click.command()
@click.option("--profile", "-p", "profile_name", required=True, metavar="PROFILE",
              help="The profile whose feed the shop is compared with.")
@click.option("--feed", default="pricelist", show_default=True, help="The feed to compare.")
@click.option("--shop-export", "shop_export", required=True, metavar="FILE|URL",
              help="The shop's product export: a file, or an endpoint URL naming the file.")
@click.option("--label", help="Only products carrying this label (default: the feed's).")
@click.option("--price-tolerance", type=Decimal, default=Decimal("0.01"), show_default=True,
              help="A price difference up to this much is not drift.")
@click.option("--first", type=int, default=5, show_default=True,
              help="How many items of each kind to print.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.pass_obj
def reconcile(app: AppContext, profile_name: str, feed: str, shop_export: str, label: str | None,
              price_tolerance: Decimal, first: int, as_json: bool) -> None:
    """Compare the shop's product export with what the ERP would publish; exit 4 on drift.

    Reports codes missing in the shop, codes only the shop has, and price, stock and visibility
    drift, each with both values.
    """
    from exchange.exporters.reconcile import reconcile as run_reconcile
    from exchange.jobs.manual import manual_run
    from exchange.profiles import load_profile

    store = app.store()
    profile = load_profile(profile_name)
    with manual_run(store, "reconcile") as run, tempfile.TemporaryDirectory() as tmp:
        if "://" in shop_export:
            from exchange.sync.fetch import fetch_file

            path = fetch_file(shop_export, Path(tmp))
        else:
            path = Path(shop_export)
            if not path.is_file():
                raise click.BadParameter(f"{shop_export}: no such file", param_hint="--shop-export")
        report = run_reconcile(store, profile, path, feed_name=feed, price_tolerance=price_tolerance,
                               label=label, shop_export_name=shop_export)
        for kind, count in report.counts.items():
            run.add(kind, count)
        run.event("reconciled", "; ".join(f"{k} {v}" for k, v in report.counts.items()),
                  level="warning" if report.drifted else "info", document=shop_export,
                  details=report.counts)
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report.lines(first):
            click.echo(line)
    if report.drifted:
        raise click.exceptions.Exit(EXIT_DOCUMENT)


def register(group: click.Group) -> None:
    """Attach the reconcile command."""
    group.add_command(reconcile)
