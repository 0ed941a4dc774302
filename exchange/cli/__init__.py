"""The `exchange` command line: thin click commands that call one engine function each.

Command modules are registered explicitly below (no registration by import side effect).
"""

from __future__ import annotations

import sys

import click

from exchange import __version__
from exchange.cli.alert_cmds import register as register_alerts
from exchange.cli.common import run_cli
from exchange.cli.core_cmds import register as register_core
from exchange.cli.export_cmds import register as register_export
from exchange.cli.handoff_cmds import register as register_handoff
from exchange.cli.import_cmds import register as register_import
from exchange.cli.job_cmds import register as register_jobs
from exchange.cli.profile_cmds import register as register_profiles
from exchange.cli.reconcile_cmds import register as register_reconcile
from exchange.cli.status_cmds import register as register_status
from exchange.cli.transport_cmds import register as register_transport
from exchange.cli.web_cmds import register as register_web
from exchange.cli.worker_cmds import register as register_workers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exchange")
@click.option("--db", "database_url", envvar="EXCHANGE_DATABASE_URL", metavar="URL",
              help="Store URL (default: database in exchange.yaml, else sqlite:///exchange.db).")
@click.option("--config", "config_path", envvar="EXCHANGE_CONFIG", default="exchange.yaml",
              show_default=True, type=click.Path(dir_okay=False), help="Configuration file.")
@click.option("--create", is_flag=True,
              help="Create the SQLite store the URL names if it does not exist (else refused).")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, config_path: str, create: bool) -> None:
    """Move orders, invoices, price lists and stock between e-shops and an ERP."""
    from exchange.cli.common import AppContext

    ctx.obj = app = AppContext(database_url=database_url, config_path=config_path, create=create)
    ctx.call_on_close(app.close)


register_core(cli)
register_profiles(cli)
register_import(cli)
register_export(cli)
register_transport(cli)
register_jobs(cli)
register_reconcile(cli)
register_web(cli)
register_alerts(cli)
register_workers(cli)
register_handoff(cli)
register_status(cli)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run_cli(cli))
