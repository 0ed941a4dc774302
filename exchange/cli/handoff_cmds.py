"""ERP handoff commands: ``orders realise``, ``handoff`` (POHODA, ISDOC) and the ERP's answers."""

from __future__ import annotations

from datetime import date
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
    group.add_command(handoff)


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-01",
                                 param_hint="--since") from None


@click.group("handoff", invoke_without_command=True)
@click.option("--failed", is_flag=True, help="List the documents the ERP refused, with its note.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def handoff(ctx: click.Context, failed: bool, as_json: bool) -> None:
    """Hand orders and invoices to the ERP: POHODA dataPack or ISDOC; list what it refused."""
    if ctx.invoked_subcommand is not None:
        return
    if not failed:
        click.echo(ctx.get_help())
        return
    from exchange.store.erp import ErpState, handoff_rows

    app: AppContext = ctx.obj
    with app.store().connect() as conn:
        rows = handoff_rows(conn, state=ErpState.ERROR.value)
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, [("kind", "KIND"), ("shop", "SHOP"), ("number", "NUMBER"),
                      ("format", "FORMAT"), ("sent_at", "SENT (UTC)"), ("erp_note", "ERP NOTE")],
               empty="nothing refused by the ERP")


def _handoff_command(kind: str) -> click.Command:
    @click.command(kind)
    @click.option("--format", "fmt", type=click.Choice(["pohoda", "isdoc"]), default="pohoda",
                  show_default=True)
    @click.option("--shop", help="Only this shop's documents.")
    @click.option("--since", help="Only documents dated on or after this day (2026-03-01).")
    @click.option("-o", "--output", type=click.Path(path_type=Path),
                  help="The pack file (pohoda) or the folder (isdoc).")
    @click.option("--to", "endpoint", metavar="ENDPOINT",
                  help="Publish to this endpoint (file://, ftp://, sftp://) atomically instead.")
    @click.option("--retry-failed", is_flag=True, help="Send the refused ones again too.")
    @click.option("--encoding", type=click.Choice(["utf-8", "windows-1250"]),
                  help="Of a POHODA pack (default: handoff.encoding, else utf-8).")
    @click.option("--xsd", metavar="DIR", help="The folder of the official XSDs.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.pass_obj
    def command(app: AppContext, fmt: str, shop: str | None, since: str | None,
                output: Path | None, endpoint: str | None, retry_failed: bool,
                encoding: str | None, xsd: str | None, as_json: bool) -> None:
        from exchange.handoff.run import hand_off, request_from
        from exchange.jobs.manual import manual_run

        request = request_from(_config(app), kind, fmt, output=output, endpoint=endpoint,
                               shop=shop, since=_since(since), retry_failed=retry_failed,
                               xsd=xsd, encoding=encoding)
        store = app.store()
        with manual_run(store, f"handoff-{kind}") as run:
            result = hand_off(store, request, job=run.job, run_id=run.run_id)
            run.add("handed_off", result.documents)
            run.add("left_out", len(result.left_out))
        if as_json:
            echo_json(result.as_dict())
        else:
            click.echo(result.summary())
            for name, reason in result.left_out:
                click.echo(f"  left out {name}: {reason}", err=True)
        if result.push_status == "failed":
            raise click.exceptions.Exit(5)

    command.__doc__ = (f"Hand {kind} to the ERP: new and changed ones, validated against the "
                       f"official XSDs before they are written.")
    command.help = command.__doc__
    return command


handoff.add_command(_handoff_command("orders"))
handoff.add_command(_handoff_command("invoices"))
