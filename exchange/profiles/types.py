"""The scalar types of a profile — text, XML paths, time zones, currencies — each checked where declared.

Paths are checked against the namespaces and maps of the kind they sit in: a kind's mapping puts
them in the validation context (:class:`Scope`) before its keys are validated, so every problem
of a profile is found in one pass.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from exchange.resources import schemas_dir

_PREFIX_RE = re.compile(r"([A-Za-z_][\w.-]*):[A-Za-z_]")
_SIMPLE_PATH_RE = re.compile(r"^(?:[A-Za-z_][\w.:-]*/)*(?:[A-Za-z_][\w.:-]*|@[A-Za-z_][\w.:-]*)$")
_RECORD_RE = re.compile(r"(/[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?)+")
_XPATH_NAMES = frozenset({"xml", "local-name", "text", "string"})


@dataclass(frozen=True)
class Scope:
    """What the kind being validated declares: namespace prefixes, value maps, the classify map."""

    namespaces: frozenset[str] = frozenset()
    maps: frozenset[str] = frozenset()
    classify: str | None = None


def scope_of(info: ValidationInfo) -> Scope | None:
    """The scope of the kind being validated (None outside a profile, e.g. built in code)."""
    context = info.context
    found = context.get("scope") if isinstance(context, dict) else None
    return found if isinstance(found, Scope) else None


def profile_path_of(info: ValidationInfo) -> Path | None:
    """The profile file being validated, when it is known."""
    context = info.context
    found = context.get("path") if isinstance(context, dict) else None
    return found if isinstance(found, Path) else None


def problem(reason: str) -> PydanticCustomError:
    """A profile problem whose message is the reason users read."""
    return PydanticCustomError("profile", reason.replace("{", "{{").replace("}", "}}"))


def _number_as_text(value: Any) -> Any:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_number_as_text)]
"""Text; numbers are taken as their text (``warehouse: 1``)."""


def _any_scalar_as_text(value: Any) -> Any:
    if value is None or isinstance(value, dict | list):
        raise problem("must map to a single value")
    return str(value)


MapKey = Annotated[str, BeforeValidator(lambda v: str(v))]
"""A shop value in a map: whatever YAML made of it (``1``, ``yes``), as text."""
MapTarget = Annotated[str, BeforeValidator(_any_scalar_as_text)]
"""A canonical value a map gives: one scalar, as text."""


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f"unknown time zone {value!r}") from None
    return value


TimeZoneName = Annotated[Text, AfterValidator(_zone)]
"""An IANA time zone name such as Europe/Prague."""


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise problem("must be an ISO 4217 code like CZK")
    return value


CurrencyCode = Annotated[Text, AfterValidator(_currency)]
"""An ISO 4217 currency code such as CZK."""


def _encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise problem(f"unknown encoding {value!r}") from None
    return value


EncodingName = Annotated[Text, AfterValidator(_encoding)]
"""A Python codec name such as windows-1250."""


def _uri(value: str) -> str:
    if not value:
        raise problem("must be a URI")
    return value


NamespaceUri = Annotated[Text, AfterValidator(_uri)]
"""A namespace URI."""


def path_problem(path: str, namespaces: frozenset[str] | None) -> str | None:
    """Why a field path relative to its record is wrong, or None when it is fine."""
    if not path.strip():
        return "empty path"
    if path.startswith("/") and not path.startswith("//"):
        return "field paths are relative to the record; remove the leading '/'"
    if namespaces is not None:
        for prefix in _PREFIX_RE.findall(path):
            if prefix not in namespaces and prefix not in _XPATH_NAMES:
                return f"namespace prefix {prefix!r} is not declared in namespaces"
    if not _SIMPLE_PATH_RE.match(path):
        from lxml import etree

        try:
            etree.XPath(path, namespaces=dict.fromkeys(namespaces or (), "urn:x"))
        except etree.XPathError as exc:
            return f"invalid XPath: {exc}"
    return None


def _field_path(value: str, info: ValidationInfo) -> str:
    scope = scope_of(info)
    reason = path_problem(value, scope.namespaces if scope else None)
    if reason:
        raise problem(reason)
    return value


XmlPath = Annotated[Text, AfterValidator(_field_path)]
"""A path relative to the record: a plain child path (``CUSTOMER/NAME``, ``@id``) or XPath 1.0."""


def _record_path(value: str, info: ValidationInfo) -> str:
    if not _RECORD_RE.fullmatch(value):
        raise problem(f"{value!r} must be a plain absolute path like /ORDERS/ORDER (no predicates)")
    scope = scope_of(info)
    for prefix in _PREFIX_RE.findall(value):
        if scope is not None and prefix not in scope.namespaces:
            raise problem(f"namespace prefix {prefix!r} is not declared in namespaces")
    return value


RecordPath = Annotated[Text, AfterValidator(_record_path)]
"""The absolute path of one document's element, such as /ORDERS/ORDER."""


def _schema_file(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str) or not value:
        return value
    profile = profile_path_of(info)
    candidates = [Path(value), *([profile.parent / value] if profile else []), schemas_dir() / value]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise problem(f"schema file not found: {value}")


SchemaFile = Annotated[Path, BeforeValidator(_schema_file)]
"""An XSD file: a path, relative to the profile, or one of ours in schemas/."""


def _beside_profile(value: Any, info: ValidationInfo) -> Any:
    profile = profile_path_of(info)
    if isinstance(value, str) and value and profile is not None:
        return profile.parent / value
    return value


FolderBesideProfile = Annotated[Path, BeforeValidator(_beside_profile)]
"""A folder, relative to the profile file."""


def one_or_many(value: Any) -> Any:
    """A single value where a list is expected becomes a one-item list."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    return value
