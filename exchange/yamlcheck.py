"""YAML that remembers lines, and a problem collector, so config errors name file, line and key.

A pydantic validation error is turned into the problems users read: :func:`add_validation_problems`
finds the YAML line of each error's location and words its reason (``unknown key (known: …)``,
``required``, ``'x' is not one of a, b``), so a file's problems are all reported at once as
``file:line: key.path: reason``.
"""

from __future__ import annotations

import collections.abc
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping from YAML that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class LineLoader(yaml.SafeLoader):
    """SafeLoader that builds :class:`LineDict` from composed nodes and notes duplicate keys."""

    duplicates: list[tuple[int, str]]


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.duplicates.append((line, str(key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Problems:
    """Collects every problem of one file as ``file:line: key: reason``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int, key: str, reason: str) -> None:
        """Note one problem."""
        self.items.append(f"{self.path}:{line}: {key}: {reason}")

    def __bool__(self) -> bool:
        return bool(self.items)


def load_with_lines(text: str, path: Path, problems: Problems) -> Any:
    """Parse YAML text into LineDicts; syntax errors and duplicate keys become problems."""
    loader = LineLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(mark.line + 1 if mark else 0, "(file)",
                     f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        problems.add(line, key, "duplicate key")
    return data

Loc = tuple[int | str, ...]


def key_path(loc: Loc) -> str:
    """A pydantic location as the key path users read: ``kinds.orders.totals_lines[0].kind``."""
    text_ = ""
    for item in loc:
        text_ += f"[{item}]" if isinstance(item, int) else (f".{item}" if text_ else str(item))
    return text_ or "(top)"


def line_at(data: Any, loc: Loc) -> int:
    """The YAML line of ``loc``: its key's line; for a missing key, where its mapping starts."""
    line = data.line if isinstance(data, LineDict) else 1
    current = data
    for item in loc:
        if isinstance(current, LineDict):
            key = next((k for k in current if k == item or str(k) == str(item)), _MISSING)
            if key is _MISSING:
                return current.line
            line = current.key_lines.get(key, line)
            current = current[key]
        elif isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current):
            current = current[item]
            if isinstance(current, LineDict):
                line = current.line
        else:
            return line
    return line


_MISSING = object()


def _unwrap(annotation: Any) -> Any:
    """The model, dict or sequence type inside Optional/Annotated wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (None when it is not a model)."""
    current: Any = root
    for item in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            found = next((f for n, f in current.model_fields.items()
                          if (f.alias or n) == item), None)
            if found is None:
                return None
            current = found.annotation
        elif origin in (dict, collections.abc.Mapping):
            current = typing.get_args(current)[1]
        elif origin in (list, tuple):
            current = typing.get_args(current)[0]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def known_keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as YAML spells them."""
    return [f.alias or n for n, f in model.model_fields.items()]


_TYPE_NAMES = {"dict": "a mapping", "list": "a list", "str": "text", "int": "a number",
               "float": "a number", "bool": "true or false", "NoneType": "empty"}


def reason_for(error: ErrorDetails, root: type[BaseModel]) -> str:
    """The reason a user reads for one pydantic error."""
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    got = _TYPE_NAMES.get(type(value).__name__, type(value).__name__)
    if kind == "extra_forbidden":
        model = model_at(root, error["loc"][:-1])
        if model is None:
            return "unknown key"
        word = getattr(model, "unknown_key_word", "key")
        return f"unknown {word} (known: {', '.join(sorted(known_keys(model)))})"
    if kind == "missing":
        return "required"
    if kind in ("enum", "literal_error"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{value!r} is not one of {', '.join(allowed)}"
    if kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        return f"must be a mapping, got {got}"
    if kind in ("list_type", "tuple_type", "iterable_type", "set_type"):
        return f"must be a list, got {got}"
    if kind in ("string_type", "string_sub_type"):
        return "must be text"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type", "int_parsing",
                "int_type", "int_from_float", "finite_number"):
        return f"{value!r} is not a number"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        return f"must be {error['msg'].removeprefix('Input should be ')}"
    return error["msg"].removeprefix("Value error, ")


def add_validation_problems(exc: ValidationError, data: Any, root: type[BaseModel],
                            problems: Problems) -> None:
    """Add every error of ``exc`` (from validating ``data`` with ``root``), with its YAML line."""
    for error in exc.errors():
        loc = error["loc"]
        problems.add(line_at(data, loc), key_path(loc), reason_for(error, root))
