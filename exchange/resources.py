"""Where the bundled data lives: profiles/, schemas/ and sample files shipped with the engine."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # profiles/, schemas/ and samples/ sit at the top of the repository; exchange/_data/ holds
    # symbolic links to them, which a wheel build turns into copies (see pyproject's package-data).
    return _PACKAGE / "_data" / name


def profiles_dir() -> Path:
    """The folder of bundled platform profiles (``profiles/*.yaml``)."""
    return _data_dir("profiles")


def schemas_dir() -> Path:
    """The folder of bundled XSD schemas (``schemas/*.xsd``)."""
    return _data_dir("schemas")


def samples_dir() -> Path:
    """The folder of bundled sample files used by the demo (``samples/``)."""
    return _data_dir("samples")
