"""`exchange.yaml`: where the store and folders are; shops and jobs are added by the automation layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from exchange.errors import ConfigError

TEMPLATE = """\
# exchange.yaml - configuration of the exchange engine.
# Secrets (FTP/SFTP passwords) never go here: they come from the environment or the OS keyring.

# Where the ERP store lives. SQLite file by default; PostgreSQL by URL, e.g.
#   database: postgresql://user@db.example.com/erp
database: sqlite:///exchange.db

# Local folders used by imports and transports.
folders:
  inbox: inbox            # pulled files land here
  quarantine: quarantine  # files that failed, with a .error report beside each
  feeds: feeds            # exported feeds before they are pushed

# Shops and the profiles that read their files, e.g.
# shops:
#   myshop:
#     profile: shoptet
#     orders_from: ftp://orders@ftp.example.com/export/
#     feed_to: sftp://feeds@shop.example.com/import/

# Jobs run by `exchange run`, e.g.
# jobs:
#   pull-orders:
#     every: 10 minutes
#     do: import
#     shop: myshop
"""


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; a syntax error names the file and line."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def read_database_url(path: Path) -> str | None:
    """The ``database:`` entry of a configuration file, if any."""
    value = load_yaml(path).get("database")
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: 'database' must be a URL string")
    return value


def write_template(path: Path, *, force: bool = False) -> None:
    """Write the commented starter configuration."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists (use --force to overwrite)")
    path.write_text(TEMPLATE, encoding="utf-8")
