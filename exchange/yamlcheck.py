"""YAML that remembers lines, and a problem collector, so config errors name file, line and key."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml


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


def line_of(parent: Any, key: Any) -> int:
    """The line of ``key`` in a LineDict (or of the mapping itself)."""
    if isinstance(parent, LineDict):
        return parent.key_lines.get(key, parent.line)
    return 0


def joined(where: str, key: str) -> str:
    """A dotted key path."""
    return f"{where}.{key}" if where else key


def check_keys(d: LineDict, allowed: set[str], where: str, problems: Problems) -> None:
    """Report keys that are not in ``allowed``."""
    for key in d:
        if key not in allowed:
            problems.add(line_of(d, key), joined(where, str(key)),
                         f"unknown key (known: {', '.join(sorted(allowed))})")


def as_map(value: Any, line: int, where: str, problems: Problems) -> LineDict | None:
    """``value`` when it is a mapping, else a problem and None."""
    if value is None:
        return None
    if not isinstance(value, LineDict):
        problems.add(line, where, f"must be a mapping, got {type(value).__name__}")
        return None
    return value


def text(d: LineDict, key: str, where: str, problems: Problems, *, default: str | None = None,
         required: bool = False) -> str | None:
    """A text value (numbers accepted as text); a problem when missing and required."""
    if key not in d or d[key] is None:
        if required:
            problems.add(d.line, joined(where, key), "required")
        return default
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(line_of(d, key), joined(where, key), "must be text")
        return default
    return str(value)


def choice(d: LineDict, key: str, where: str, problems: Problems, enum: type[StrEnum],
           default: str) -> str:
    """A value that must be one of an enum's values."""
    value = text(d, key, where, problems, default=default) or default
    allowed = [e.value for e in enum]
    if value not in allowed:
        problems.add(line_of(d, key), joined(where, key),
                     f"{value!r} is not one of {', '.join(allowed)}")
        return default
    return value
