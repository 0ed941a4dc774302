"""The one error tree of `exchange`.

Every error the engine raises on purpose derives from :class:`ExchangeError`. Each says whether a
retry can help (``retryable``); the scheduler reads only that. Library exceptions are translated
at the boundary with ``raise TABLE.translate(exc, what) from exc``, one table per boundary (see
:mod:`exchange.translate`), and a test walks each library's exception classes and fails on any
that has no entry:

    ftplib            exchange/transport/ftp.py       FTP_ERRORS
    ssl, OSError      exchange/transport/oserrors.py  TLS_ERRORS, OS_ERRORS, LOCAL_ERRORS
    paramiko          exchange/transport/sftp.py      SSH_ERRORS
    httpx             exchange/transport/http.py      HTTP_ERRORS
    SQLAlchemy        exchange/store/errors.py        STORE_ERRORS
    lxml              exchange/importers/             (the importer's table)

    ExchangeError
    ├── ConfigError                 bad exchange.yaml, profile, option or URL (user must fix)
    │   └── ProfileError            a profile that does not validate (file, line, key)
    ├── StoreError                  the ERP store failed; retryable for a locked database or a
    │   │                           lost connection, not for "no such table" or a constraint
    │   └── LockHeldError           a job lock is held by another runner            (retryable)
    ├── TransportError              moving bytes failed
    │   ├── ConnectError            server down / refused / timed out               (retryable)
    │   ├── AuthError               wrong user or password, missing secret
    │   ├── HostKeyError            unknown or changed SSH host key, TLS certificate refused
    │   ├── RemoteNotFoundError     remote file or folder missing
    │   ├── PermissionDeniedError   the server refused the operation
    │   ├── TransferError           connection cut mid-transfer, size mismatch      (retryable)
    │   ├── RefusedContentError     the server answered, but not with what was asked for
    │   │                           (an error status, an HTML page, a truncated body)
    │   └── UnsafePathError         a path that escapes the endpoint's root
    └── DocumentError               an input or output document is wrong
        ├── XmlSyntaxError          not well-formed, or hostile (DTD, entities)
        ├── SchemaError             fails its XSD
        │   └── FileKindError       holds no documents of the kind asked: another kind (named),
        │                           an error answer (POHODA state="error"), a web page, empty
        └── MappingError            a field cannot be mapped/converted
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


class LockHeldError(StoreError):
    """A job lock is held by another runner."""

    retryable = True


class ProcessLostError(ExchangeError):
    """A helper process of this one (the import's reader) ended without a word: killed, out of
    memory. Not the file's fault: nothing of it is booked, it stays where it is, and a later run
    takes it again."""

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


class RefusedContentError(TransportError):
    """The server answered, but not with the document asked for; it is never imported.

    ``status`` is the HTTP status (or None), ``content_type`` what the server said it sent.
    """

    def __init__(self, message: str, *, status: int | None = None, content_type: str = "",
                 retryable: bool | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.content_type = content_type


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


class FileKindError(SchemaError):
    """The file holds no documents of the kind asked for; the message says what it holds instead."""


class MappingError(DocumentError):
    """A field could not be read, converted or mapped."""


def _rebuild_document_error(cls: type[DocumentError], reason: str, file: str | None,
                            line: int | None, field: str | None,
                            state: dict[str, object]) -> DocumentError:
    error = cls(reason, file=file, line=line, field=field)
    error.__dict__.update(state)
    return error
