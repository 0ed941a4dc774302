"""Rendering feeds: the Jinja environment, per-field number and date filters, streamed atomic writing.

Templates stream through ``Template.generate()`` into a temporary file beside the output; only a complete
file is renamed into place (``os.replace``), so a reader never sees half a feed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from exchange.errors import ConfigError, DocumentError

WRITE_BUFFER = 1 << 20  # 1 MiB
CHUNKS_PER_WRITE = 4096
_QUANTS = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}


def dec(value: Any, places: int = 2, comma: bool = False) -> str:
    """A number with exactly ``places`` decimals (half-up), with a decimal comma when asked; '' for None."""
    if value is None or value == "":
        return ""
    if value.__class__ is not Decimal:
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = str(value.quantize(_QUANTS[places], ROUND_HALF_UP))
    return text.replace(".", ",") if comma else text


def money(value: Any, currency: str | None = None, places: int = 2, comma: bool = False) -> str:
    """A price with 2 decimals, followed by the currency code when given (``15.00 CZK``)."""
    text = dec(value, places, comma)
    return f"{text} {currency}" if currency and text else text


def qty(value: Any, comma: bool = False) -> str:
    """A quantity without trailing zeros (``5``, ``2.5``); '' for None."""
    if value is None or value == "":
        return ""
    if value.__class__ is int:
        return str(value)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = format(number.normalize(), "f") if number != number.to_integral_value() else str(int(number))
    return text.replace(".", ",") if comma else text


def datefmt(value: datetime | date | None, fmt: str = "%Y-%m-%d") -> str:
    """A date or datetime formatted with strftime; '' for None."""
    return "" if value is None else value.strftime(fmt)


def rfc822(value: datetime) -> str:
    """A datetime as RFC 822 (RSS ``lastBuildDate``)."""
    return value.strftime("%a, %d %b %Y %H:%M:%S %z")


def isodatetime(value: datetime) -> str:
    """A datetime in ISO 8601 with its offset."""
    return value.isoformat(timespec="seconds")


FILTERS = {"dec": dec, "money": money, "qty": qty, "date": datefmt, "rfc822": rfc822,
           "isodatetime": isodatetime}


def build_environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The feed environment: a profile's own folder first, then the bundled templates; autoescaped."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        if not Path(template_dir).is_dir():
            raise ConfigError(f"template folder {template_dir} does not exist")
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.PackageLoader("exchange.exporters", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def load_template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """A compiled template; ConfigError naming the file and line of a syntax error."""
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"feed template {name!r} not found") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename or name}:{exc.lineno}: template syntax error: {exc.message}") \
            from exc


def attributes_used(env: jinja2.Environment, template: jinja2.Template) -> set[str] | None:
    """The attribute names a template reads (``item.labels`` → ``labels``); None when it pulls in others."""
    if env.loader is None or template.name is None:
        return None
    source, _, _ = env.loader.get_source(env, template.name)
    tree = env.parse(source)
    if any(True for _ in tree.find_all((jinja2.nodes.Include, jinja2.nodes.Extends,
                                        jinja2.nodes.Import, jinja2.nodes.FromImport))):
        return None
    return {node.attr for node in tree.find_all(jinja2.nodes.Getattr)}


def _template_line(tb: TracebackType | None, filename: str | None) -> int | None:
    """The template line of a render error (Jinja rewrites tracebacks to template lines)."""
    line = None
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _write_chunks(chunks: Iterable[str], handle: Any) -> None:
    # list(islice(...)) and str.join run in C: no Python-level work per template chunk
    it = iter(chunks)
    write = handle.write
    while batch := list(islice(it, CHUNKS_PER_WRITE)):
        write("".join(batch))


def render_to_temp(template: jinja2.Template, context: Mapping[str, Any], target: Path) -> Path:
    """Stream the template into a temporary file beside ``target`` (flushed and fsynced); its path.

    Raises:
        ConfigError: the target's folder is missing, or the template refers to something undefined.
        DocumentError: the template raised while rendering.
    """
    folder = target.parent
    if not folder.is_dir():
        raise ConfigError(f"output folder {folder} does not exist")
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    temp = Path(temp_name)
    os.fchmod(fd, 0o644)  # mkstemp makes 0600; a feed is read by a web server or an FTP upload
    try:
        with open(fd, "w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER) as handle:
            _write_chunks(template.generate(**context), handle)
            handle.flush()
            os.fsync(handle.fileno())
    except jinja2.UndefinedError as exc:
        temp.unlink(missing_ok=True)
        line = _template_line(exc.__traceback__, template.filename)
        where = f"{template.filename or template.name}:{line}" if line else template.name
        raise ConfigError(f"{where}: template error: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        temp.unlink(missing_ok=True)
        line = _template_line(exc.__traceback__, template.filename)
        raise DocumentError(str(exc), file=template.filename or template.name, line=line) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def publish(temp: Path, target: Path) -> None:
    """Rename a complete temporary file into place atomically and make the rename durable."""
    os.replace(temp, target)
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - some platforms cannot open folders
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)
