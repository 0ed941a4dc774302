"""Automation commands: run, status, history, unlock, retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from exchange.cli.common import AppContext, echo_json, echo_table
from exchange.config import Config, load_config
from exchange.errors import ConfigError, ConnectError


def _load(app: AppContext) -> Config:
    """The validated exchange.yaml named by --config."""
    path = Path(app.config_path)
    if not path.is_file():
        raise ConfigError(f"{path} not found: run `exchange init` first (or pass --config)")
    return load_config(path)


@click.command()
@click.option("--once", "once", metavar="JOB", help="Run this one job now and exit.")
@click.option("--verbose", "-v", is_flag=True, help="Log debug detail.")
@click.option("--engine", type=click.Choice(["embedded", "celery"]), default="embedded", show_default=True,
              help="embedded: run the jobs in this process; celery: enqueue them for `exchange worker`.")
@click.option("--force", is_flag=True,
              help="With --once: an export job publishes even a feed its gate holds.")
@click.pass_obj
def run(app: AppContext, once: str | None, verbose: bool, engine: str, force: bool) -> None:
    """Run every job on its schedule until stopped (SIGTERM/SIGINT finish the file in hand)."""
    from exchange.jobs.actions import ACTIONS
    from exchange.jobs.daemon import Daemon
    from exchange.jobs.runner import run_job
    from exchange.logs import setup_logging

    config = _load(app)
    setup_logging(config.folders.logs, verbose=verbose)
    store = app.store()
    if force and not once:
        raise click.UsageError("--force applies to one job: give --once JOB")
    if once:
        outcome = run_job(store, config, config.job(once), actions=ACTIONS, force=force)
        if outcome.took_over:
            click.echo(f"{outcome.job}: the lease left by {outcome.took_over} (no longer running) "
                       "was taken over", err=True)
        click.echo(f"{outcome.job}: run {outcome.run_id} {outcome.status} "
                   + ", ".join(f"{k} {v}" for k, v in sorted(outcome.counts.items())))
        if outcome.message:
            click.echo(f"  {outcome.message}", err=True)
        if outcome.status == "failed":
            raise click.exceptions.Exit(1)
        return
    if not config.jobs:
        raise ConfigError(f"{config.path} defines no jobs")
    if engine == "celery":
        from exchange.scale.app import make_app
        from exchange.scale.broker import broker_url, reachable, safe_url
        from exchange.scale.dispatch import CeleryDispatch

        url = broker_url(config)
        if not reachable(url):
            raise ConnectError(f"the broker {safe_url(url)} does not answer")
        click.echo(f"scheduling {len(config.jobs)} job(s) for the workers on {safe_url(url)}; "
                   "stop with Ctrl+C or SIGTERM", err=True)
        Daemon(store, config, ACTIONS, dispatch=CeleryDispatch(make_app(url), store)).serve()
        return
    click.echo(f"running {len(config.jobs)} job(s); stop with Ctrl+C or SIGTERM", err=True)
    from exchange.config import JobAction
    from exchange.importers.read import process

    if any(job.action in (JobAction.IMPORT, JobAction.WATCH) for job in config.jobs.values()):
        process.prestart()  # a warm reader process for the first big file a job imports
    Daemon(store, config, ACTIONS).serve()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def status(app: AppContext, as_json: bool) -> None:
    """Per job: last run, result, next run; pushes waiting in the outbox; each shop's watermark."""
    from exchange.jobs.status import job_statuses, outbox_length, scheduler_status

    config = _load(app)
    store = app.store()
    from exchange.shopreturn.publish import destination_rows
    from exchange.shopreturn.watermarks import watermark_rows

    rows = job_statuses(store, config, datetime.now().astimezone())
    waiting = outbox_length(store)
    scheduler = scheduler_status(store)
    watermarks = watermark_rows(store)
    destinations = destination_rows(store)
    if as_json:
        echo_json({"jobs": [r.as_dict() for r in rows], "outbox": waiting, "scheduler": scheduler,
                   "watermarks": watermarks, "status_destinations": destinations})
        return
    if scheduler is None:
        click.echo("scheduler: none running (`exchange run` starts one)")
    else:
        click.echo(f"scheduler: {scheduler['holder']}{' (stale)' if scheduler['stale'] else ''}, "
                   f"since {scheduler['since']:%Y-%m-%d %H:%M:%S} UTC")
    echo_table([r.as_dict() for r in rows],
               [("job", "JOB"), ("action", "DOES"), ("last_started", "LAST RUN (UTC)"),
                ("last_status", "RESULT"), ("next_run", "NEXT RUN"), ("running_by", "RUNNING NOW")],
               empty="no jobs configured")
    click.echo(f"outbox: {waiting} push(es) waiting")
    for mark in watermarks:
        click.echo(f"watermark {mark['shop']} {mark['kind']}: {mark['watermark']:%Y-%m-%d %H:%M:%S} "
                   f"UTC ({mark['set_by']})")
    for dest in destinations:
        click.echo(f"order status {dest['destination']}: confirmed up to event "
                   f"{dest['confirmed_event']}, {dest['waiting']} document(s) in the outbox")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    units = {"m": 60, "h": 3600, "d": 86400}
    if value[:-1].isdigit() and value[-1] in units:
        return datetime.now(UTC) - timedelta(seconds=int(value[:-1]) * units[value[-1]])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use an ISO date/time or 30m, 12h, 7d") from None
    return parsed if parsed.tzinfo else parsed.astimezone()


@click.command()
@click.option("--job", help="Only this job.")
@click.option("--since", help="ISO date/time, or a span like 30m, 12h, 7d.")
@click.option("--failed", is_flag=True, help="Only errors.")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def history(app: AppContext, job: str | None, since: str | None, failed: bool, limit: int,
            as_json: bool) -> None:
    """Events of past runs, newest first."""
    from exchange.store.history import list_events

    with app.store().connect() as conn:
        rows = list_events(conn, job=job, since=_since(since), failed_only=failed, limit=limit)
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, [("at", "WHEN (UTC)"), ("job", "JOB"), ("level", "LEVEL"), ("kind", "WHAT"),
                      ("document", "DOCUMENT"), ("message", "MESSAGE")], empty="no events")


@click.command()
@click.argument("job")
@click.pass_obj
def unlock(app: AppContext, job: str) -> None:
    """Clear a job's lock by hand (after a crash, when you are sure it is not running)."""
    from exchange.jobs.locks import force_unlock

    cleared = force_unlock(app.store(), job)
    if cleared is None:
        click.echo(f"{job}: was not locked")
    else:
        click.echo(f"{job}: lock of {cleared.holder} cleared")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", help="Profile to read it with (default: the one in its report).")
@click.option("--as", "kind", type=click.Choice(["orders", "invoices", "products", "stock"]),
              help="What the file holds (default: as in its report).")
@click.option("--shop", help="Shop name (default: as in its report).")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_obj
def retry(app: AppContext, file: Path, profile: str | None, kind: str | None, shop: str | None,
          as_json: bool) -> None:
    """Import a quarantined file again, after the profile or the data was fixed."""
    from exchange.jobs.quarantine import retry as retry_file

    report = retry_file(app.store(), file, profile=profile, kind=kind, shop=shop)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.summary())
        for line in report.details():
            click.echo(f"  {line}")
        click.echo("resolved: moved to resolved/" if report.ok
                   else f"still failing: see {file.name}.error.txt")
    if not report.ok:
        raise click.exceptions.Exit(report.exit_code)


def register(group: click.Group) -> None:
    """Attach the automation commands."""
    for command in (run, status, history, unlock, retry):
        group.add_command(command)
