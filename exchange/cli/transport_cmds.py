"""Transport commands: pull, push and outbox (thin: parse, call exchange.sync, report)."""

from __future__ import annotations

from pathlib import Path

import click

from exchange.cli.common import EXIT_TRANSPORT, AppContext, echo_json, echo_table


@click.command()
@click.argument("endpoint")
@click.option("--to", "inbox", default="inbox", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Local inbox folder.")
@click.option("--keep-remote", is_flag=True,
              help="Do not move or delete the remote files after the download.")
@click.pass_obj
def pull(app: AppContext, endpoint: str, inbox: Path, keep_remote: bool) -> None:
    """Download complete, not yet seen files from ENDPOINT into the inbox.

    ENDPOINT is a URL such as sftp://user@host/orders/?known_hosts=PATH or a local folder.
    Passwords come from EXCHANGE_PASSWORD_<HOST>_<USER> or the OS keyring (exchange:<host>).
    """
    from exchange.jobs.manual import manual_run
    from exchange.sync.pull import acknowledge_all, pull_detailed
    from exchange.transport import open_transport, parse_endpoint

    ep = parse_endpoint(endpoint)
    store = app.store()
    with manual_run(store, "pull") as run, open_transport(ep) as transport:
        outcome = pull_detailed(ep, inbox, store, transport=transport)
        if not keep_remote:
            # A plain pull's processing is the download itself.
            acknowledge_all(outcome.pulled, True, transport=transport)
        run.add("pulled", len(outcome.pulled))
        run.add("skipped", len(outcome.skipped))
        for f in outcome.pulled:
            run.event("pulled", f"from {ep} to {f.local_path}", document=f.name)
        for s in outcome.skipped:
            run.event("not_taken", s.reason, document=s.name)
    for f in outcome.pulled:
        click.echo(f"pulled {f.name} -> {f.local_path}")
    for s in outcome.skipped:
        click.echo(f"skipped {s.name}: {s.reason}", err=True)
    click.echo(f"{len(outcome.pulled)} pulled, {len(outcome.skipped)} skipped")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("endpoint")
@click.option("--as", "remote_name", metavar="NAME", help="Remote file name (default: FILE's).")
@click.option("--spool", default="outbox", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder where files wait for delivery.")
@click.pass_obj
def push(app: AppContext, file: Path, endpoint: str, remote_name: str | None,
         spool: Path) -> None:
    """Publish FILE at ENDPOINT atomically (temporary name, size check, rename).

    If the server cannot be reached, the file waits in the outbox (exit code 5) and is
    delivered in order by `exchange outbox --deliver` once the server is back.
    """
    from exchange.jobs.manual import manual_run
    from exchange.sync import push as do_push

    store = app.store()
    with manual_run(store, "push") as run:
        result = do_push(file, endpoint, store, remote_name=remote_name, spool_dir=spool)
        entry = result.entry
        if result.delivered:
            run.add("pushed")
            run.event("pushed", f"to {entry.endpoint}", document=entry.remote_name)
        elif result.waiting:
            run.add("queued")
            run.event("queued", entry.last_error or "waiting in the outbox", level="warning",
                      document=entry.remote_name)
        else:
            run.add("failed")
            run.event("push_failed", entry.last_error, level="error", document=entry.remote_name)
    if result.delivered:
        click.echo(f"published {entry.remote_name} at {entry.endpoint}")
        return
    if result.waiting:
        click.echo(f"queued {entry.remote_name} (outbox #{entry.id}), will retry from "
                   f"{entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC: {entry.last_error}", err=True)
    else:
        click.echo(f"error: {entry.last_error} (outbox #{entry.id} failed)", err=True)
    raise click.exceptions.Exit(EXIT_TRANSPORT)


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include delivered entries.")
@click.option("--deliver", "do_deliver", is_flag=True,
              help="Deliver what is due first (waiting entries whose backoff has passed).")
@click.option("--force", is_flag=True, help="With --deliver: ignore the backoff.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def outbox(app: AppContext, show_all: bool, do_deliver: bool, force: bool,
           as_json: bool) -> None:
    """List the pushes waiting in the outbox, oldest first."""
    from dataclasses import asdict

    from exchange.jobs.manual import manual_run
    from exchange.sync import deliver, list_outbox

    store = app.store()
    if do_deliver:
        with manual_run(store, "outbox") as run:
            result = deliver(store, force=force)
            for kind, entries, level in (("delivered", result.delivered, "info"),
                                         ("waiting", result.waiting, "warning"),
                                         ("failed", result.failed, "error")):
                run.add(kind, len(entries))
                for done in entries:
                    run.event(kind, done.last_error or f"to {done.endpoint}", level=level,
                              document=done.remote_name)
        click.echo(f"{len(result.delivered)} delivered, {len(result.waiting)} waiting, "
                   f"{len(result.failed)} failed", err=True)
    rows = [asdict(e) for e in list_outbox(store, include_delivered=show_all)]
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, [("id", "ID"), ("status", "STATUS"), ("attempts", "TRIES"),
                         ("next_attempt_at", "NEXT TRY (UTC)"), ("remote_name", "NAME"),
                         ("endpoint", "ENDPOINT"), ("last_error", "LAST ERROR")],
               empty="the outbox is empty")


def register(group: click.Group) -> None:
    """Attach the transport commands to the top-level group."""
    for command in (pull, push, outbox):
        group.add_command(command)
