"""Quarantine: failed files wait beside a readable NAME.error.txt until `exchange retry` takes them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from exchange.errors import ConfigError
from exchange.store import Store

if TYPE_CHECKING:
    from exchange.importers.report import ImportReport

RESOLVED = "resolved"


@dataclass(frozen=True)
class QuarantinedFile:
    """A quarantined copy and what its report says about how it was read."""

    path: Path
    report: Path | None
    profile: str | None
    kind: str | None
    shop: str | None


def error_report_of(path: Path) -> Path:
    """Where the readable report of a quarantined file lives."""
    return path.with_name(path.name + ".error.txt")


def inspect(path: Path) -> QuarantinedFile:
    """Read the header of a quarantined file's report (profile, kind, shop)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    report = error_report_of(path)
    found: dict[str, str] = {}
    if report.is_file():
        for line in report.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            found[key.strip()] = value.strip()
    return QuarantinedFile(path, report if report.is_file() else None, found.get("profile"),
                           found.get("kind"), found.get("shop"))


def retry(store: Store, path: Path, *, profile: str | None = None, kind: str | None = None,
          shop: str | None = None) -> ImportReport:
    """Import a quarantined file again; when it now goes through, move it and its report to resolved/.

    Returns the import report.
    """
    from exchange.importers.run import import_file

    found = inspect(path)
    chosen_profile = profile or found.profile
    if not chosen_profile:
        raise ConfigError(f"{path}: no report names its profile; pass --profile")
    quarantine = path.parent / "retry-failed"
    report = import_file(store, path, chosen_profile, kind or found.kind or "orders",
                         shop=shop or found.shop, quarantine=quarantine)
    if report.ok:
        resolved = path.parent / RESOLVED
        resolved.mkdir(exist_ok=True)
        shutil.move(str(path), str(resolved / path.name))
        if found.report is not None:
            shutil.move(str(found.report), str(resolved / found.report.name))
    else:
        # the new report replaces the old one beside the file; the copy made for it is not needed
        new_report = quarantine / error_report_of(path).name
        if new_report.is_file():
            shutil.move(str(new_report), str(error_report_of(path)))
        shutil.rmtree(quarantine, ignore_errors=True)
    return report
