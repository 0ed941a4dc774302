"""Console commands: `exchange web`, its users, and the review queue from the command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from exchange.cli.common import AppContext, echo_json, echo_table

PASSWORD_ENV = "EXCHANGE_WEB_PASSWORD"  # noqa: S105 (a variable name) — for `users add` in scripts


def _config(app: AppContext) -> Any:
    from exchange.config import load_config

    path = Path(app.config_path)
    return load_config(path) if path.is_file() else None


def _settings(app: AppContext, host: str, behind_tls: bool = False) -> Any:
    from exchange.web.settings import WebSettings

    config = _config(app)
    quarantine = config.folders.quarantine if config is not None else Path("quarantine")
    return WebSettings(store=app.store(), config=config, host=host, behind_tls=behind_tls,
                       quarantine=quarantine)


def say_now(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()  # a script waiting for the address reads it at once


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any other than loopback needs users (exchange users add).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--behind-tls", is_flag=True,
              help="A TLS proxy fronts the console: session cookies are marked Secure.")
@click.pass_obj
def web(app: AppContext, host: str, port: int, behind_tls: bool) -> None:
    """Serve the web console: dashboard, orders, review queue, quarantine, history, feeds."""
    from exchange.web.server import serve

    serve(_settings(app, host, behind_tls), port, say_now)


@click.group()
def users() -> None:
    """Console users (argon2 password hashes in the store)."""


@users.command("add")
@click.argument("name")
@click.pass_obj
def users_add(app: AppContext, name: str) -> None:
    """Add a user; the password is asked for (or read from EXCHANGE_WEB_PASSWORD)."""
    from exchange.errors import ConfigError
    from exchange.web.auth import create_user

    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise ConfigError("the password must have at least 8 characters")
    if not create_user(app.store(), name, password):
        raise ConfigError(f"user {name!r} already exists")
    click.echo(f"user {name} added")


@users.command("list")
@click.pass_obj
def users_list(app: AppContext) -> None:
    """The console's users."""
    from exchange.store.reviews import user_names

    with app.store().connect() as conn:
        for name in user_names(conn):
            click.echo(name)


@users.command("remove")
@click.argument("name")
@click.pass_obj
def users_remove(app: AppContext, name: str) -> None:
    """Remove a user."""
    from exchange.errors import ConfigError
    from exchange.store.reviews import remove_user

    with app.store().begin() as conn:
        if not remove_user(conn, name):
            raise ConfigError(f"no user {name!r}")
    click.echo(f"user {name} removed")


@click.group()
def review() -> None:
    """The review queue: held documents by cause, and the decisions that release them."""


def _who() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _resolver(app: AppContext) -> Any:
    from exchange.web.pages.review import resolver

    return resolver(_config(app))


@review.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@click.pass_obj
def review_list(app: AppContext, as_json: bool) -> None:
    """Every held document, grouped by cause."""
    from exchange.review.queue import review_queue

    groups = review_queue(app.store())
    if as_json:
        echo_json([g.as_dict() for g in groups])
        return
    rows = [{"cause": g.cause.kind.value, "shop": g.shop, "field": g.cause.field,
             "value": g.cause.value, "count": g.count,
             "documents": ", ".join(d["number"] for d in g.documents[:5])
             + (" …" if g.count > 5 else "")} for g in groups]
    echo_table(rows, [("cause", "CAUSE"), ("shop", "SHOP"), ("field", "MAP"), ("value", "VALUE"),
                      ("count", "WAITING"), ("documents", "DOCUMENTS")], empty="nothing is held")


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.summary())
        for line in report.failed:
            click.echo(f"  {line}", err=True)
    if report.failed:
        raise click.exceptions.Exit(1)


@review.command("map")
@click.argument("field_name", metavar="FIELD")
@click.argument("value")
@click.option("--to", "target", required=True, help="The canonical value it means.")
@click.option("--shop", required=True, help="The shop the decision is for.")
@click.option("--profile", default=None, help="Remember it for this profile (default: the profile "
              "the waiting documents were read with).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_map(app: AppContext, field_name: str, value: str, target: str, shop: str,
               profile: str | None, as_json: bool) -> None:
    """Remember that VALUE of FIELD (status, payment, …) means --to for a shop; release what waits."""
    from exchange.review.release import map_value

    _report(map_value(app.store(), shop=shop, field_name=field_name, value=value, target=target,
                      who=_who(), profile=profile, resolve=_resolver(app)), as_json)


def _document(app: AppContext, number: str, kind: str, shop: str | None) -> int:
    from exchange.errors import ConfigError
    from exchange.store.console import document_id_by_number

    with app.store().connect() as conn:
        found = document_id_by_number(conn, kind, number, shop)
    if found is None:
        raise ConfigError(f"no {kind[:-1]} {number!r}" + (f" in shop {shop}" if shop else ""))
    return found


_KIND = click.option("--kind", type=click.Choice(["orders", "invoices"]), default="orders",
                     show_default=True)


@review.command("accept")
@click.argument("number")
@_KIND
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_accept(app: AppContext, number: str, kind: str, shop: str | None, as_json: bool) -> None:
    """Accept what the file says for a held document: re-process it from its original."""
    from exchange.review.release import accept

    doc_id = _document(app, number, kind, shop)
    _report(accept(app.store(), kind, doc_id, who=_who(), resolve=_resolver(app)), as_json)


@review.command("merge")
@click.argument("number")
@_KIND
@click.option("--shop", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def review_merge(app: AppContext, number: str, kind: str, shop: str | None, as_json: bool) -> None:
    """A customer-conflict hold: merge the new customer into the one sharing the e-mail, and
    remember it (``review accept`` keeps them apart)."""
    from exchange.review.release import merge_customer

    doc_id = _document(app, number, kind, shop)
    _report(merge_customer(app.store(), kind, doc_id, who=_who(), resolve=_resolver(app)), as_json)


@review.command("reject")
@click.argument("number")
@_KIND
@click.option("--shop", default=None)
@click.pass_obj
def review_reject(app: AppContext, number: str, kind: str, shop: str | None) -> None:
    """Reject a held change: the stored version stands."""
    from exchange.review.release import reject

    reject(app.store(), kind, _document(app, number, kind, shop), who=_who())
    click.echo(f"{kind[:-1]} {number}: the change is rejected; the stored version stands")


@review.command("export")
@click.option("--shop", default=None)
@click.option("--profile", default=None)
@click.pass_obj
def review_export(app: AppContext, shop: str | None, profile: str | None) -> None:
    """Print the remembered decisions as profile YAML (``maps:`` entries), for profiles kept in git."""
    from exchange.review.export import decisions_yaml
    from exchange.store.reviews import list_decisions

    with app.store().connect() as conn:
        found = list_decisions(conn, shop=shop, profile=profile)
    click.echo(decisions_yaml(found), nl=False)


def register(cli: click.Group) -> None:
    """Add the console commands to the CLI."""
    cli.add_command(web)
    cli.add_command(users)
    cli.add_command(review)
