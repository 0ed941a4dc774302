"""Shared CLI plumbing: the app context, error-to-exit-code mapping, table and JSON output."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from exchange.errors import ConfigError, DocumentError, ExchangeError, TransportError
from exchange.store import Store

EXIT_OK = 0
EXIT_CONFIG = 3
EXIT_DOCUMENT = 4
EXIT_TRANSPORT = 5
EXIT_FAILED = 1


@dataclass
class AppContext:
    """What every command may need: where the store and the configuration are."""

    database_url: str | None = None
    config_path: str = "exchange.yaml"
    create: bool = False  # --create: a SQLite store named but not there yet is made
    _store: Store | None = field(default=None, repr=False)

    def resolved_database_url(self) -> str | None:
        """--db / EXCHANGE_DATABASE_URL, else ``database:`` in exchange.yaml, else the default."""
        if self.database_url:
            return self.database_url
        path = Path(self.config_path)
        if path.is_file():
            from exchange.config import read_database_url

            return read_database_url(path)
        return None

    def store(self, *, create: bool = False) -> Store:
        """The store, opened (and migrated) on first use.

        A SQLite file named by --db (or EXCHANGE_DATABASE_URL) that does not exist is refused (a
        typo would start an empty store) unless ``create`` (`exchange init`) or --create.
        """
        if self._store is None:
            url = self.resolved_database_url()
            if self.database_url and not (create or self.create):
                _refuse_a_missing_sqlite_file(self.database_url)
            self._store = Store(url)
        return self._store

    def close(self) -> None:
        """Release the store's connections once the command is done."""
        store, self._store = self._store, None
        if store is not None:
            store.close()


def _refuse_a_missing_sqlite_file(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # Store says what is wrong with it
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or \
            database.startswith("file:"):
        return
    if not Path(database).exists():
        raise ConfigError(f"no store at {database}: check the name, or pass --create to start a new "
                          "one there (`exchange init` creates the first one)")


def exit_code_for(exc: ExchangeError) -> int:
    """Map an error class to a documented exit code."""
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if isinstance(exc, DocumentError):
        return EXIT_DOCUMENT
    if isinstance(exc, TransportError):
        return EXIT_TRANSPORT
    return EXIT_FAILED


def run_cli(group: click.Group, args: list[str] | None = None) -> int:
    """Run the CLI; an ExchangeError becomes one line on stderr and a non-zero exit code."""
    try:
        result = group.main(args=args, prog_name="exchange", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_FAILED
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except ExchangeError as exc:
        first, *rest = str(exc).splitlines() or [exc.__class__.__name__]
        click.echo(f"error: {first}", err=True)
        for line in rest:
            click.echo(line, err=True)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except OSError as exc:
        if os.environ.get("EXCHANGE_DEBUG"):
            raise
        click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        return EXIT_FAILED
    return result if isinstance(result, int) else EXIT_OK


def jsonable(value: Any) -> Any:
    """Make store rows printable as JSON (Decimal as string, datetimes in ISO 8601)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def echo_json(data: Any) -> None:
    """Print data as indented JSON."""
    click.echo(json.dumps(jsonable(data), ensure_ascii=False, indent=2))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def echo_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]],
               empty: str = "nothing to show") -> None:
    """Print rows as an aligned text table; columns are (key, heading)."""
    if not rows:
        click.echo(empty)
        return
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(head), *(len(r[i]) for r in cells)) for i, (_, head) in enumerate(columns)]
    click.echo("  ".join(head.ljust(w) for (_, head), w in zip(columns, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for r in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
