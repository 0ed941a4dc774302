"""Finding, loading and copying profiles: a bundled one by name, or a YAML file by path."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from pydantic import ValidationError

from exchange.errors import ConfigError, ProfileError
from exchange.profiles.models import Profile
from exchange.resources import profiles_dir
from exchange.yamlcheck import LineDict, Problems, add_validation_problems, load_with_lines

# Profiles already validated in this process, by file and working folder (a schema path may be
# relative to it): (its text, the profile). A daemon or a worker runs every job through load_profile;
# parsing and validating again costs 15-60 ms a job. The models are frozen and copied when changed
# (review decisions, status templates), so one can be shared.
_loaded: dict[tuple[Path, str], tuple[str, Profile]] = {}
_loaded_lock = threading.Lock()


def resolve_profile(name_or_path: str | Path) -> Path:
    """The file of a profile: a path as given, else a bundled profile's by name."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file() or "/" in str(name_or_path):
        if not candidate.is_file():
            raise ConfigError(f"profile file not found: {candidate}")
        return candidate
    bundled = profiles_dir() / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    known = ", ".join(p.stem for p in sorted(profiles_dir().glob("*.yaml"))) or "none"
    raise ConfigError(f"unknown profile {str(name_or_path)!r} (bundled: {known}; or give a file path)")


def load_profile(name_or_path: str | Path) -> Profile:
    """Load and validate a profile: a bundled one by name, else a YAML file path.

    Raises:
        ConfigError: the profile cannot be found.
        ProfileError: the profile does not validate; ``problems`` lists every one with file and line.
    """
    path = resolve_profile(name_or_path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read profile {path}: {exc}") from exc
    key = (path, os.getcwd())
    with _loaded_lock:
        known = _loaded.get(key)
    if known is not None and known[0] == source:  # the same text validates to the same profile
        return known[1]
    profile = _validated(path, source)
    with _loaded_lock:
        _loaded[key] = (source, profile)
    return profile


def _validated(path: Path, source: str) -> Profile:
    """The profile that ``source`` (the text of ``path``) declares, or every problem at once."""
    probs = Problems(path)
    data = load_with_lines(source, path, probs)
    if probs.items and data is None:
        raise ProfileError(f"profile {path} is not valid YAML", probs.items)
    if not isinstance(data, LineDict):
        probs.add(1, "(top)", "a profile must be a YAML mapping")
        raise ProfileError(f"profile {path} has {len(probs.items)} problem(s)", probs.items)
    profile: Profile | None = None
    try:
        profile = Profile.model_validate(data, context={"path": path})
    except ValidationError as exc:
        add_validation_problems(exc, data, Profile, probs)
    if probs.items or profile is None:
        items = sorted(probs.items, key=_line_order)
        raise ProfileError(f"profile {path} has {len(items)} problem(s)", items)
    return profile


def _line_order(problem: str) -> int:
    match = re.search(r":(\d+): ", problem)
    return int(match.group(1)) if match else 0


def list_profiles() -> list[Profile]:
    """Every bundled profile, loaded and validated, sorted by name."""
    return [load_profile(p) for p in sorted(profiles_dir().glob("*.yaml"))]


def profile_text(name_or_path: str | Path) -> str:
    """The YAML text of a profile, after checking that it validates."""
    profile = load_profile(name_or_path)
    return profile.path.read_text(encoding="utf-8")


_NAME_LINE = re.compile(r"^name:.*$", re.MULTILINE)
_SHOP_KEY = re.compile(r"^(?P<indent>[ \t]+)shop:(?P<value>[^#\n]*)(?P<rest>#.*)?$")


def _with_shop(text: str, shop: str) -> str:
    """``text`` with its ``import:`` section's ``shop:`` set to ``shop`` (added when absent)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"^import:\s*(#.*)?$", line)), None)
    if start is None:
        return text  # no import section: the shop defaults to the profile's name
    indent = None
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line[0].isspace():
            break  # the next top-level key: the section ended
        match = _SHOP_KEY.match(line.rstrip("\n"))
        if match and (indent is None or match.group("indent") == indent):
            lines[i] = f"{match.group('indent')}shop: {shop}\n"
            return "".join(lines)
        if line.strip() and indent is None:
            indent = line[:len(line) - len(line.lstrip())]
    lines.insert(start + 1, f"{indent or '  '}shop: {shop}\n")
    return "".join(lines)


def copy_profile(name_or_path: str | Path, target: Path, *, overwrite: bool = False) -> Path:
    """Copy a profile to ``target`` (named after the file), to be adapted by the user.

    Raises:
        ConfigError: the profile is unknown, or ``target`` exists and ``overwrite`` is false.
    """
    source = profile_text(name_or_path)
    target = Path(target)
    if target.suffix not in (".yaml", ".yml"):
        target = target.with_suffix(".yaml")
    if target.exists() and not overwrite:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    source = _NAME_LINE.sub(f"name: {target.stem}", source, count=1)
    # the copy is another shop: documents it imports must not land under the original's name
    source = _with_shop(source, target.stem)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc}") from exc
    return target
