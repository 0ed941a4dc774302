"""Library exceptions translated into the error tree: one table per boundary, looked up by class.

A boundary (ftplib, ssl, paramiko, OSError, SQLAlchemy, lxml) declares one :class:`ErrorTable`
that maps *each* exception class of its library to a function building our error. The lookup walks
the raised exception's MRO, so the most specific entry wins; a test walks every exception class
of each library and fails on one that has no entry of its own, so a library upgrade that adds a
class is noticed instead of falling silently to a generic branch.

A boundary translates with ``raise TABLE.translate(exc, what) from exc``. Tables combine with
``|`` (the most specific class still wins, whatever table it comes from)::

    FTP_ERRORS = ErrorTable("ftplib", {ftplib.error_perm: _refused, ...})
    raise (FTP_ERRORS | TLS_ERRORS | OS_ERRORS).translate(exc, "orders.xml") from exc
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from exchange.errors import ExchangeError


@dataclass(frozen=True)
class Failure:
    """A library exception being translated, with what was being done when it was raised."""

    exc: BaseException
    what: str
    connecting: bool = False

    @property
    def text(self) -> str:
        """The exception's message, or its class name when it has none (or cannot render one)."""
        try:
            text = str(self.exc).strip()
        except Exception:  # a library __str__ that fails must not hide the original error
            text = ""
        return text or type(self.exc).__name__

    @property
    def detail(self) -> str:
        """``ClassName: message``, for messages that name the library's error."""
        return f"{type(self.exc).__name__}: {self.text}"


#: Builds our error from a library failure.
Translator = Callable[[Failure], ExchangeError]


@dataclass(frozen=True)
class ErrorTable:
    """One boundary's mapping from library exception classes to our errors."""

    name: str
    rules: Mapping[type[BaseException], Translator] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str,
           groups: Iterable[tuple[tuple[type[BaseException], ...], Translator]]) -> ErrorTable:
        """A table from ``(classes, translator)`` groups; a class listed twice is a bug."""
        rules: dict[type[BaseException], Translator] = {}
        for classes, translator in groups:
            for cls_ in classes:
                if cls_ in rules:
                    raise ValueError(f"{name}: {cls_.__qualname__} is mapped twice")
                rules[cls_] = translator
        return cls(name, rules)

    def __or__(self, other: ErrorTable) -> ErrorTable:
        return ErrorTable(f"{self.name}|{other.name}", {**self.rules, **other.rules})

    def covers(self, cls_: type[BaseException]) -> bool:
        """True when ``cls_`` has an entry of its own (not only through a base class)."""
        return cls_ in self.rules

    def handles(self, exc: BaseException) -> bool:
        """True when some entry applies to ``exc``."""
        return self._rule(type(exc)) is not None

    def translate(self, exc: BaseException, what: str, *, connecting: bool = False) -> ExchangeError:
        """Our error for ``exc``; one of ours passes through unchanged.

        Raises:
            TypeError: ``exc`` belongs to no class of this table (a bug at the boundary).
        """
        if isinstance(exc, ExchangeError):
            return exc
        rule = self._rule(type(exc))
        if rule is None:
            raise TypeError(f"{self.name}: no translation for {type(exc).__qualname__}") from exc
        return rule(Failure(exc, what, connecting))

    def _rule(self, cls_: type[BaseException]) -> Translator | None:
        for klass in cls_.__mro__:
            rule = self.rules.get(klass)
            if rule is not None:
                return rule
        return None


def exception_classes(root: type[BaseException], *packages: str) -> list[type[BaseException]]:
    """``root`` and all its subclasses defined in ``packages`` (top-level names), sorted by name.

    The completeness tests use this to walk a library's exception classes.
    """
    seen: set[type[BaseException]] = set()
    stack = [root]
    while stack:
        cls_ = stack.pop()
        if cls_ in seen:
            continue
        seen.add(cls_)
        stack.extend(cls_.__subclasses__())
    found = [c for c in seen if c.__module__.split(".")[0] in packages]
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")
