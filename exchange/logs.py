"""Logging: a rotating file in the logs folder and stderr; secrets are never logged."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx logs every request URL at INFO; a shop's export key can sit in such a URL, so only its warnings pass.
QUIET_LIBRARIES = ("httpx", "httpcore")


def setup_logging(folder: Path | None, *, verbose: bool = False) -> None:
    """Log to stderr and, when a folder is given, to ``folder/exchange.log`` rotated at 5 MB × 5."""
    root = logging.getLogger("exchange")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    stderr = logging.StreamHandler()
    stderr.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(stderr)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            folder / "exchange.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        rotating.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(rotating)
