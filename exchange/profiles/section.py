"""The base of every profile section: unknown keys are errors and values do not change after loading."""

from __future__ import annotations

from typing import ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails

from exchange.profiles.types import problem


class Section(BaseModel):
    """A mapping of a profile file; its keys and their defaults are declared on the class."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    unknown_key_word: ClassVar[str] = "key"  # what an unknown key is called in a problem


def fail(loc: tuple[str | int, ...], reason: str) -> NoReturn:
    """Report a problem at ``loc`` below the section being validated."""
    raise ValidationError.from_exception_data(
        "profile", [{"type": problem(reason), "loc": loc, "input": None}])


def relocated(exc: ValidationError, prefix: tuple[str | int, ...]) -> list[InitErrorDetails]:
    """The errors of a nested validation, placed under ``prefix``, to be raised with others."""
    details: list[InitErrorDetails] = []
    for error in exc.errors():
        custom = error["type"] == "profile"
        detail: InitErrorDetails = {
            "type": problem(error["msg"]) if custom else error["type"],
            "loc": (*prefix, *error["loc"]), "input": error["input"]}
        if "ctx" in error and not custom:
            detail["ctx"] = error["ctx"]
        details.append(detail)
    return details
