"""Fetch one named remote file (a shop's product export) into a local folder, leaving the remote alone."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from exchange.errors import ConfigError
from exchange.transport import open_transport


def split_file_url(url: str) -> tuple[str, str]:
    """``ftp://host/export/products.xml?opt=1`` → (``ftp://host/export/?opt=1``, ``products.xml``)."""
    parts = urlsplit(url)
    folder, _, name = parts.path.rpartition("/")
    if not name:
        raise ConfigError(f"{url}: name the file, e.g. {url.rstrip('/')}/products.xml")
    return urlunsplit((parts.scheme, parts.netloc, folder + "/", parts.query, "")), name


def fetch_file(url: str, folder: Path) -> Path:
    """Download the file ``url`` names into ``folder``; its local path."""
    endpoint, name = split_file_url(url)
    folder.mkdir(parents=True, exist_ok=True)
    local = folder / name
    with open_transport(endpoint) as transport:
        transport.download(name, local)
    return local
