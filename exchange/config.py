"""`exchange.yaml`: store, folders, shops and jobs — validated on load, every problem at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from pathlib import Path

from exchange.errors import ConfigError
from exchange.yamlcheck import (
    LineDict,
    Problems,
    as_map,
    check_keys,
    choice,
    joined,
    line_of,
    load_with_lines,
    text,
)

TEMPLATE = """\
# exchange.yaml - configuration of the exchange engine.
# Secrets (FTP/SFTP passwords) never go here: they come from the environment or the OS keyring
# (see docs/transport.md).

# Where the ERP store lives. SQLite file by default; PostgreSQL by URL, e.g.
#   database: postgresql://user@db.example.com/erp
database: sqlite:///exchange.db

# Local folders (relative to this file).
folders:
  inbox: inbox            # pulled files land here
  quarantine: quarantine  # files that failed, with a .error.txt report beside each
  feeds: feeds            # exported feeds before they are pushed
  logs: logs              # rotating log file exchange.log

# Shops: which profile reads their files and where files come from and go to, e.g.
# shops:
#   myshop:
#     profile: shoptet                    # bundled name or a path to your own profile
#     orders_from: ftp://orders@ftp.example.com/export/
#     import_as: orders                   # orders | invoices | products | stock
#     feed_to: sftp://feeds@shop.example.com/import/
#     warehouse: MAIN                     # for new orders (default: the profile's)
#     point_of_sale: eshop
#     statuses: []                        # only orders in these shop statuses (empty = all)

# Jobs run by `exchange run` (all) or `exchange run --once NAME`, e.g.
# jobs:
#   pull-orders:
#     do: import              # import | export | watch
#     shop: myshop
#     every: 10 minutes       # or: at: ["06:00", "18:30"]
#     window: {hours: "06:00-22:00", weekdays: [mon, tue, wed, thu, fri]}
#   push-feed:
#     do: export
#     shop: myshop
#     feed: pricelist
#     every: 1 hour
#   drop-folder:
#     do: watch
#     shop: myshop
#     folder: dropbox         # files landing here are imported once complete
"""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EVERY_RE = re.compile(r"^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class JobAction(StrEnum):
    """What a job does."""

    IMPORT = "import"
    EXPORT = "export"
    WATCH = "watch"


class ImportAs(StrEnum):
    """What an import job's files hold."""

    ORDERS = "orders"
    INVOICES = "invoices"
    PRODUCTS = "products"
    STOCK = "stock"


@dataclass(frozen=True)
class Folders:
    """Local working folders."""

    inbox: Path
    quarantine: Path
    feeds: Path
    logs: Path


@dataclass(frozen=True)
class ShopConfig:
    """One shop: its profile, where its files come from and where its feeds go."""

    name: str
    profile: str
    orders_from: str | None = None
    import_as: str = ImportAs.ORDERS.value
    feed_to: str | None = None
    warehouse: str | None = None
    point_of_sale: str | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    """When a job may run: a span of hours and a set of weekdays (0 = Monday)."""

    start: time | None = None
    end: time | None = None
    weekdays: frozenset[int] = frozenset(range(7))

    def allows(self, weekday: int, at: time) -> bool:
        """True when a run at this weekday and local time is allowed."""
        if weekday not in self.weekdays:
            return False
        if self.start is None or self.end is None:
            return True
        if self.start <= self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end  # a window across midnight


@dataclass(frozen=True)
class JobConfig:
    """One job: what it does, for which shop, and when."""

    name: str
    action: str
    shop: str
    every_seconds: int | None = None
    at: tuple[str, ...] = ()
    window: Window = field(default_factory=Window)
    feed: str = "pricelist"
    folder: Path | None = None


@dataclass(frozen=True)
class Config:
    """A validated exchange.yaml."""

    path: Path
    database: str | None
    folders: Folders
    shops: dict[str, ShopConfig]
    jobs: dict[str, JobConfig]

    def job(self, name: str) -> JobConfig:
        """A job by name; a clear error listing the known ones."""
        if name not in self.jobs:
            known = ", ".join(sorted(self.jobs)) or "none configured"
            raise ConfigError(f"no job {name!r} in {self.path} (known: {known})")
        return self.jobs[name]


def parse_every(value: str) -> int:
    """'10 minutes' → 600 seconds; ValueError on anything else."""
    match = _EVERY_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an interval like '30 seconds', '10 minutes', '2 hours'")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0]]
    if seconds <= 0:
        raise ValueError("the interval must be positive")
    return seconds


def _parse_time(value: str) -> time:
    match = _TIME_RE.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a time like 06:30")
    return time(int(match.group(1)), int(match.group(2)))


def _folders(data: LineDict, base: Path, problems: Problems) -> Folders:
    section = as_map(data.get("folders"), line_of(data, "folders"), "folders", problems) or LineDict()
    if isinstance(section, LineDict) and section:
        check_keys(section, {"inbox", "quarantine", "feeds", "logs"}, "folders", problems)

    def one(key: str) -> Path:
        value = text(section, key, "folders", problems, default=key) if section else key
        return base / (value or key)

    return Folders(one("inbox"), one("quarantine"), one("feeds"), one("logs"))


def _shops(data: LineDict, problems: Problems) -> dict[str, ShopConfig]:
    section = as_map(data.get("shops"), line_of(data, "shops"), "shops", problems)
    shops: dict[str, ShopConfig] = {}
    for name, body in (section or {}).items():
        where = f"shops.{name}"
        shop = as_map(body, line_of(section, name), where, problems)
        if shop is None:
            if body is None:
                problems.add(line_of(section, name), where, "must be a mapping")
            continue
        check_keys(shop, {"profile", "orders_from", "import_as", "feed_to", "warehouse",
                          "point_of_sale", "statuses"}, where, problems)
        statuses = shop.get("statuses") or []
        if not isinstance(statuses, list):
            problems.add(line_of(shop, "statuses"), joined(where, "statuses"), "must be a list")
            statuses = []
        for key in ("orders_from", "feed_to"):
            url = text(shop, key, where, problems)
            if url and "://" not in url:
                problems.add(line_of(shop, key), joined(where, key),
                             f"{url!r} is not an endpoint URL (ftp://, ftps://, sftp://, file://)")
            if url and re.search(r"://[^/@]*:[^/@]*@", url):
                problems.add(line_of(shop, key), joined(where, key),
                             "a password in the URL is not allowed: use the environment or the keyring")
        shops[str(name)] = ShopConfig(
            name=str(name),
            profile=text(shop, "profile", where, problems, required=True) or "",
            orders_from=text(shop, "orders_from", where, problems),
            import_as=choice(shop, "import_as", where, problems, ImportAs, ImportAs.ORDERS.value),
            feed_to=text(shop, "feed_to", where, problems),
            warehouse=text(shop, "warehouse", where, problems),
            point_of_sale=text(shop, "point_of_sale", where, problems),
            statuses=tuple(str(s) for s in statuses),
        )
    return shops


def _window(job: LineDict, where: str, problems: Problems) -> Window:
    body = as_map(job.get("window"), line_of(job, "window"), joined(where, "window"), problems)
    if not body:
        return Window()
    wwhere = joined(where, "window")
    check_keys(body, {"hours", "weekdays"}, wwhere, problems)
    start = end = None
    hours = text(body, "hours", wwhere, problems)
    if hours:
        try:
            first, last = hours.split("-", 1)
            start, end = _parse_time(first), _parse_time(last)
        except ValueError as exc:
            problems.add(line_of(body, "hours"), joined(wwhere, "hours"),
                         f"expected 'HH:MM-HH:MM' ({exc})")
    days = body.get("weekdays")
    weekdays = frozenset(range(7))
    if days is not None:
        if not isinstance(days, list) or not all(str(d).lower()[:3] in WEEKDAYS for d in days):
            problems.add(line_of(body, "weekdays"), joined(wwhere, "weekdays"),
                         f"expected a list of {', '.join(WEEKDAYS)}")
        else:
            weekdays = frozenset(WEEKDAYS.index(str(d).lower()[:3]) for d in days)
    return Window(start, end, weekdays)


def _jobs(data: LineDict, base: Path, shops: dict[str, ShopConfig],
          problems: Problems) -> dict[str, JobConfig]:
    section = as_map(data.get("jobs"), line_of(data, "jobs"), "jobs", problems)
    jobs: dict[str, JobConfig] = {}
    for name, body in (section or {}).items():
        where = f"jobs.{name}"
        job = as_map(body, line_of(section, name), where, problems)
        if job is None:
            continue
        check_keys(job, {"do", "shop", "every", "at", "window", "feed", "folder"}, where, problems)
        action = choice(job, "do", where, problems, JobAction, JobAction.IMPORT.value)
        shop = text(job, "shop", where, problems, required=True) or ""
        if shop and shop not in shops:
            problems.add(line_of(job, "shop"), joined(where, "shop"),
                         f"no shop {shop!r} under shops: (known: {', '.join(sorted(shops)) or 'none'})")
        every = None
        if (raw_every := text(job, "every", where, problems)) is not None:
            try:
                every = parse_every(raw_every)
            except ValueError as exc:
                problems.add(line_of(job, "every"), joined(where, "every"), str(exc))
        at_raw = job.get("at") or []
        at = [at_raw] if isinstance(at_raw, str) else at_raw
        if not isinstance(at, list):
            problems.add(line_of(job, "at"), joined(where, "at"), "must be a time or a list of times")
            at = []
        for value in at:
            try:
                _parse_time(str(value))
            except ValueError as exc:
                problems.add(line_of(job, "at"), joined(where, "at"), str(exc))
        folder = text(job, "folder", where, problems)
        if action == JobAction.WATCH and not folder:
            problems.add(job.line, joined(where, "folder"), "required for a watch job")
        # a job with neither 'every' nor 'at' runs only by hand (exchange run --once NAME)
        if shop in shops and action == JobAction.IMPORT and not shops[shop].orders_from:
            problems.add(job.line, where, f"shop {shop!r} has no orders_from endpoint to import from")
        jobs[str(name)] = JobConfig(
            name=str(name), action=action, shop=shop, every_seconds=every,
            at=tuple(str(v) for v in at), window=_window(job, where, problems),
            feed=text(job, "feed", where, problems, default="pricelist") or "pricelist",
            folder=(base / folder) if folder else None,
        )
    return jobs


def load_config(path: Path) -> Config:
    """Read and validate exchange.yaml; ConfigError lists every problem with its line."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    problems = Problems(path)
    data = load_with_lines(raw, path, problems)
    if data is None and not problems:
        data = LineDict()
    if not problems and not isinstance(data, LineDict):
        problems.add(1, "(file)", "expected a mapping at the top level")
    if problems:
        raise ConfigError(_render(path, problems))
    check_keys(data, {"database", "folders", "shops", "jobs"}, "", problems)
    base = path.parent
    config = Config(
        path=path,
        database=text(data, "database", "", problems),
        folders=_folders(data, base, problems),
        shops=(shops := _shops(data, problems)),
        jobs=_jobs(data, base, shops, problems),
    )
    if problems:
        raise ConfigError(_render(path, problems))
    return config


def _render(path: Path, problems: Problems) -> str:
    count = len(problems.items)
    return f"{path}: {count} problem{'s' if count != 1 else ''}\n" + "\n".join(
        f"  {p}" for p in problems.items)


def read_database_url(path: Path) -> str | None:
    """The ``database:`` entry of a configuration file, if any."""
    return load_config(path).database


def write_template(path: Path, *, force: bool = False) -> None:
    """Write the commented starter configuration."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists (use --force to overwrite)")
    path.write_text(TEMPLATE, encoding="utf-8")


