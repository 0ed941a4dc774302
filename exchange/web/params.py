"""Reading query parameters: a bad one is a 400 that names it."""

from __future__ import annotations

from datetime import date

from starlette.exceptions import HTTPException


def query_day(text: str | None, name: str) -> date | None:
    """A YYYY-MM-DD parameter, None when absent."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def query_int(text: str | None, name: str, default: int) -> int:
    """A non-negative whole-number parameter, ``default`` when absent."""
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise HTTPException(400, f"{name}: {text!r} is not a number") from None
    if value < 0:
        raise HTTPException(400, f"{name}: must not be negative")
    return value
