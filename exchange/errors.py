"""The one error tree of `exchange`.

Every error the engine raises on purpose derives from :class:`ExchangeError`. Library exceptions
(ftplib, paramiko, lxml, sqlalchemy, OSError) are translated at the boundary with ``raise … from exc``.
Each error says whether a retry can help (``retryable``); the scheduler reads only that.

    ExchangeError
    ├── ConfigError                 bad exchange.yaml, profile, option or URL (user must fix)
    │   └── ProfileError            a profile that does not validate (file, line, key)
    ├── StoreError                  the ERP store failed (retryable: locked database, lost connection)
    │   ├── NotFoundError           a referenced record does not exist
    │   └── LockHeldError           a job lock is held by another runner
    ├── TransportError              moving bytes failed
    │   ├── ConnectError            server down / refused / timed out           (retryable)
    │   ├── AuthError               wrong user or password, missing secret
    │   ├── HostKeyError            unknown or changed SSH host key, TLS certificate refused
    │   ├── RemoteNotFoundError     remote file or folder missing
    │   ├── PermissionDeniedError   the server refused the operation
    │   ├── TransferError           connection cut mid-transfer, size mismatch  (retryable)
    │   └── UnsafePathError         a path that escapes the endpoint's root
    └── DocumentError               an input or output document is wrong
        ├── XmlSyntaxError          not well-formed, or hostile (DTD, entities)
        ├── SchemaError             fails its XSD
        ├── MappingError            a field cannot be mapped/converted
        └── FeedGateError           a feed shrank too much to be published
"""

from __future__ import annotations


class ExchangeError(Exception):
    """Base of every error the engine raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0]) if self.args else self.__class__.__name__


class ConfigError(ExchangeError):
    """A configuration, option or URL the user must fix."""


class ProfileError(ConfigError):
    """A profile that does not validate; carries every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        full = message if not self.problems else message + "\n" + "\n".join(
            f"  - {p}" for p in self.problems
        )
        super().__init__(full)


class StoreError(ExchangeError):
    """The ERP store failed."""


class NotFoundError(StoreError):
    """A referenced record does not exist."""


class LockHeldError(StoreError):
    """A job lock is held by another runner."""

    retryable = True


class TransportError(ExchangeError):
    """Moving bytes to or from an endpoint failed."""


class ConnectError(TransportError):
    """The server is down, refused the connection or timed out."""

    retryable = True


class AuthError(TransportError):
    """Authentication failed or a secret is missing."""


class HostKeyError(TransportError):
    """An SSH host key or TLS certificate could not be trusted."""


class RemoteNotFoundError(TransportError):
    """A remote file or folder does not exist."""


class PermissionDeniedError(TransportError):
    """The server refused the operation."""


class TransferError(TransportError):
    """A transfer was cut or arrived incomplete."""

    retryable = True


class UnsafePathError(TransportError):
    """A path escapes the endpoint's root or carries forbidden parts."""


class DocumentError(ExchangeError):
    """An input or output document is wrong.

    ``file``, ``line`` and ``field`` locate the problem for the report.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self._render())

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with the keyword arguments (the reader process sends its errors this way)."""
        return (_rebuild_document_error, (type(self), self.reason, self.file, self.line,
                                          self.field, self.__dict__))

    def _render(self) -> str:
        where = ":".join(str(x) for x in (self.file, self.line) if x is not None)
        parts = [p for p in (where, f"field {self.field}" if self.field else "") if p]
        prefix = ", ".join(parts)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class XmlSyntaxError(DocumentError):
    """The XML is not well-formed or is hostile (DTD, entity declarations)."""


class SchemaError(DocumentError):
    """The document does not validate against its XSD."""


class MappingError(DocumentError):
    """A field could not be read, converted or mapped."""


class FeedGateError(DocumentError):
    """A feed shrank too much against the last published one."""


def _rebuild_document_error(cls: type[DocumentError], reason: str, file: str | None,
                            line: int | None, field: str | None,
                            state: dict[str, object]) -> DocumentError:
    error = cls(reason, file=file, line=line, field=field)
    error.__dict__.update(state)
    return error
