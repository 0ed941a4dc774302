"""ERP handoff commands: ``orders realise``, ``handoff`` (POHODA, ISDOC) and the ERP's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from exchange.cli.common import AppContext, echo_json, echo_table


def _config(app: AppContext) -> Any:
    """exchange.yaml when there is one (realising and handing off work on defaults without it)."""
    from exchange.config import load_config

    path = Path(app.config_path)
    return load_config(path) if path.is_file() else None


@click.command("realise")
@click.argument("numbers", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every order not realised yet.")
@click.option("--auto", is_flag=True,
              help="Orders that meet the shop's auto rule: paid, in stock, no note, not held.")
@click.option("--shop", help="Only this shop's orders.")
@click.option("--dry-run", is_flag=True, help="Decide and report, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON.")
@click.pass_obj
def orders_realise(app: AppContext, numbers: tuple[str, ...], all_: bool, auto: bool,
                   shop: str | None, dry_run: bool, as_json: bool) -> None:
    """Turn received orders into issued invoices or receipts, numbered, with their stock issued.

    An invoice for a customer with a company id or VAT id, else a receipt (the shop's
    document_type: invoice | receipt | by_customer). Cancelled and held orders are never realised.
    """
    from exchange.handoff.realise import Selection, realise_orders, settings_from_config
    from exchange.jobs.manual import manual_run

    picked = [bool(numbers), all_, auto]
    if sum(picked) != 1:
        raise click.UsageError("give order NUMBERs, --all or --auto (one of them)")
    selection = Selection.NUMBERS if numbers else Selection.ALL if all_ else Selection.AUTO
    settings = settings_from_config(_config(app))
    store = app.store()
    with manual_run(store, "realise") as run:
        report = realise_orders(store, selection, numbers=numbers, shop=shop, settings=settings,
                                dry_run=dry_run, job=run.job, run_id=run.run_id)
        run.add("realised", len(report.realised))
        run.add("not_realised", len(report.decisions) - len(report.realised))
    if as_json:
        echo_json(report.as_dict())
    else:
        echo_table([d.as_dict() | {"why": "; ".join(d.reasons)} for d in report.decisions],
                   [("shop", "SHOP"), ("order", "ORDER"), ("document", "DOCUMENT"),
                    ("kind", "KIND"), ("why", "WHY / CRITERIA")], empty="no orders to realise")
        click.echo(report.summary())
        for number in report.missing:
            click.echo(f"  no order {number!r}", err=True)
    if report.missing or (selection is Selection.NUMBERS and
                          len(report.realised) < len(report.decisions)):
        raise click.exceptions.Exit(4)


def register(group: click.Group) -> None:
    """Attach the handoff commands (``orders realise`` joins the ``orders`` group)."""
    from exchange.cli.core_cmds import orders

    orders.add_command(orders_realise)
