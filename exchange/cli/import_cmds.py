"""`exchange import`: read shop XML files into the store with a profile, and report per document."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from exchange.cli.common import AppContext, echo_json
from exchange.importers.report import ImportReport
from exchange.profiles import DocumentKind
from exchange.store.processed_files import FileOrigin

PROGRESS_MIN_BYTES = 4 * 1024 * 1024  # a progress bar for files over a few MB
RESPONSE = "pohoda-response"  # POHODA's answer to a handed-off pack (docs/erp.md)


@contextmanager
def _progress(path: Path, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A click progress bar on stderr, advanced by the bytes the import has got through."""
    size = path.stat().st_size
    if not enabled or size < PROGRESS_MIN_BYTES:
        yield None
        return
    with click.progressbar(length=size, label=path.name, file=sys.stderr) as bar:
        done = 0

        def advance(now: int, _total: int) -> None:
            nonlocal done
            if now > done:
                bar.update(now - done)
                done = now

        yield advance


@click.command("import")
@click.argument("files", nargs=-1, required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", "-p", "profile", default=None, metavar="NAME|FILE",
              help="Bundled profile name (shoptet, prestashop, pohoda, …) or a profile file "
                   "(not needed for POHODA's import responses).")
@click.option("--as", "kind", type=click.Choice([*(k.value for k in DocumentKind), RESPONSE]),
              default=None,
              help="What the files hold (default: told by each file's root and the profile's "
                   "record paths; a POHODA rsp:responsePack answering an import is "
                   f"{RESPONSE}).")
@click.option("--shop", help="Shop name the documents belong to (default: the profile's).")
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              help="Only orders placed (invoices issued) since then, in the shop's time zone.")
@click.option("--status", "statuses", multiple=True, metavar="S",
              help="Only orders in this status (ERP status or the shop's own name); repeatable.")
@click.option("--warehouse", metavar="CODE", help="Warehouse for new orders and stock.")
@click.option("--pos", "point_of_sale", metavar="NAME", help="Point of sale for new orders.")
@click.option("--quarantine", type=click.Path(file_okay=False, path_type=Path),
              default=Path("quarantine"), show_default=True,
              help="Where a copy of a file with failed documents goes, with NAME.error.txt.")
@click.option("--from", "source", metavar="ENDPOINT",
              help="Pull new files from this endpoint first (ftp://, ftps://, sftp://, file://, "
                   "https://), import them, then move the remote copies to processed/.")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=Path("inbox"),
              show_default=True, help="Where --from puts the pulled files.")
@click.option("--force", is_flag=True,
              help="Import a file even though the same bytes were imported under another shop.")
@click.pass_obj
def import_(app: AppContext, files: tuple[Path, ...], profile: str, kind: str | None,
            shop: str | None,
            dry_run: bool, as_json: bool, since: datetime | None, statuses: tuple[str, ...],
            warehouse: str | None, point_of_sale: str | None, quarantine: Path,
            source: str | None, inbox: Path, force: bool) -> None:
    """Import orders, invoices, products or stock from shop XML FILES (or pulled --from an endpoint).

    Every document is imported, updated, skipped (already imported, unchanged), held for review or
    failed, with the reason and its XML line. Exit code 0 when all went well, 4 when a document
    failed or was held (files with failures are copied to the quarantine folder with a report).
    """
    from exchange.importers.run import ImportRequest, run_import
    from exchange.profiles import load_profile

    if not files and not source:
        raise click.UsageError("give FILES to import, or --from ENDPOINT to pull them first")
    responses, files = _responses(files, kind)
    if responses:
        _import_responses(app, responses, as_json, done=not files and not source)
    if profile is None:
        raise click.UsageError("give --profile for shop and POHODA document files")
    _start_reader_early(files)
    loaded = load_profile(profile)
    store = app.store()
    reports = []

    def import_one(path: Path, origin: FileOrigin | None = None) -> ImportReport:
        with _progress(path, enabled=not as_json) as progress:
            report = run_import(store, ImportRequest(
                path, loaded, kind, shop=shop, dry_run=dry_run, since=since,
                statuses=list(statuses) or None, warehouse=warehouse,
                point_of_sale=point_of_sale, progress=progress, quarantine=quarantine,
                origin=origin, force=force))
        reports.append(report)
        _show(report, as_json)
        return report

    for path in files:
        import_one(path)
    if source:
        from exchange.pipeline import pull_and_import
        from exchange.sync.prestashop_refs import resolver_for

        def warn(name: str, message: str) -> None:
            click.echo(f"warning: {name}: {message}", err=True)

        result = pull_and_import(store, source, inbox, import_one, acknowledge_remote=not dry_run,
                                 prepare=resolver_for(loaded, kind or DocumentKind.ORDERS.value,
                                                      source, warn))
        if not as_json:
            click.echo(f"{source}: {len(result.imported)} file(s) pulled and imported")
            for skipped in result.skipped:
                click.echo(f"  not taken: {skipped.name}: {skipped.reason}")
    _finish(reports, dry_run, as_json)


def _responses(files: tuple[Path, ...], kind: str | None) -> tuple[list[Path], tuple[Path, ...]]:
    """POHODA import responses (by --as, or by their root) apart from the other files."""
    from exchange.handoff.responses import is_import_response

    if kind == RESPONSE:
        return list(files), ()
    if kind is not None:
        return [], files
    found = [p for p in files if is_import_response(p)]
    return found, tuple(p for p in files if p not in found)


def _import_responses(app: AppContext, paths: list[Path], as_json: bool, *, done: bool) -> None:
    """Store POHODA's answers with the documents; exit 4 when it refused any (when nothing else)."""
    from exchange.handoff.responses import import_response
    from exchange.jobs.manual import manual_run

    store = app.store()
    code = 0
    reports = []
    with manual_run(store, "pohoda-response") as run:
        for path in paths:
            report = import_response(store, path, job=run.job, run_id=run.run_id)
            reports.append(report)
            run.add("items", len(report.items))
            code = max(code, report.exit_code)
            if not as_json:
                click.echo(report.summary())
                for item in report.items:
                    if item.note or item.state.value != "booked":
                        click.echo(f"  {item.pack_item} {item.state.value}"
                                   + (f": {item.note}" if item.note else ""))
    if as_json:
        echo_json({"responses": [r.as_dict() for r in reports], "exit_code": code})
    if done and code:
        raise click.exceptions.Exit(code)
    if done:
        raise click.exceptions.Exit(0)


def _start_reader_early(files: tuple[Path, ...]) -> None:
    """A big file is read by a reader process: start it now, so it loads while we open the store."""
    from exchange.importers.read import process
    from exchange.importers.run import PARALLEL_MIN_BYTES

    if any(p.is_file() and p.stat().st_size >= PARALLEL_MIN_BYTES for p in files):
        process.prestart()


def _show(report: ImportReport, as_json: bool) -> None:
    """Print one file's report for people (nothing with --json: the summary comes at the end)."""
    if as_json:
        return
    click.echo(report.summary())
    for line in report.details():
        click.echo(f"  {line}")
    if report.quarantined:
        click.echo(f"  quarantined: {report.quarantined} (report: {report.error_report})")


def _finish(reports: list[ImportReport], dry_run: bool, as_json: bool) -> None:
    """The JSON summary, and the exit code: 4 when any document failed or was held."""
    code = max((r.exit_code for r in reports), default=0)
    if as_json:
        totals: dict[str, Any] = {}
        for r in reports:
            for outcome, count in r.counts.items():
                totals[outcome.value] = totals.get(outcome.value, 0) + count
        echo_json({"files": [r.as_dict() for r in reports], "summary": totals,
                   "dry_run": dry_run, "exit_code": code})
    if code:
        raise click.exceptions.Exit(code)


def register(group: click.Group) -> None:
    """Add the import command to the CLI."""
    group.add_command(import_)
