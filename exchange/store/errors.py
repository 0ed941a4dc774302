"""SQLAlchemy's exceptions translated into StoreError: one table, and whether a retry can help.

Retryable: a locked or busy database, a lost or invalidated connection, a pool timeout. Not
retryable: a missing table or column (``no such table``: the store is not migrated, or the URL
names the wrong database), a constraint or data error, and every programming error. A bad URL or
a missing driver is a ConfigError. The ORM's exceptions are not listed: the store uses Core only.
"""

from __future__ import annotations

import re

from sqlalchemy import exc as sa

from exchange.errors import ConfigError, ExchangeError, StoreError
from exchange.translate import ErrorTable, Failure

#: Messages of an OperationalError that waiting will not fix.
_SCHEMA = re.compile(
    r"no such (table|column)|has no column|syntax error|unable to open database|"
    r"does not exist|readonly database|file is not a database",
    re.IGNORECASE,
)


def _reason(f: Failure) -> str:
    """The driver's own message (without SQLAlchemy's statement and parameters)."""
    orig = getattr(f.exc, "orig", None)
    return str(orig).strip() if orig is not None else f.text


def _message(f: Failure) -> str:
    return f"{f.what}: {_reason(f)}" if f.what else f"database error: {_reason(f)}"


def _invalidated(f: Failure) -> bool:
    return bool(getattr(f.exc, "connection_invalidated", False))


def _operational(f: Failure) -> ExchangeError:
    """Locks and lost connections pass; a schema that does not fit does not."""
    retry = _invalidated(f) or not _SCHEMA.search(_reason(f))
    return StoreError(_message(f), retryable=retry)


def _connection(f: Failure) -> ExchangeError:
    return StoreError(_message(f), retryable=True)


def _maybe_connection(f: Failure) -> ExchangeError:
    """A driver error: retryable only when SQLAlchemy saw the connection drop."""
    return StoreError(_message(f), retryable=_invalidated(f))


def _permanent(f: Failure) -> ExchangeError:
    return StoreError(_message(f), retryable=False)


def _config(f: Failure) -> ExchangeError:
    return ConfigError(_message(f))


STORE_ERRORS = ErrorTable.of("sqlalchemy", [
    ((sa.OperationalError,), _operational),
    ((sa.DisconnectionError, sa.InvalidatePoolError, sa.TimeoutError, sa.InterfaceError),
     _connection),
    ((sa.DBAPIError, sa.DatabaseError, sa.InternalError, sa.IntegrityError, sa.DataError,
      sa.ProgrammingError, sa.NotSupportedError), _maybe_connection),
    ((sa.ArgumentError, sa.NoSuchModuleError, sa.NoDBAPILoaded), _config),
    # Programming errors: a retry runs the same bug again.
    ((sa.SQLAlchemyError, sa.StatementError, sa.CompileError, sa.UnsupportedCompilationError,
      sa.IdentifierError, sa.InvalidRequestError, sa.PendingRollbackError,
      sa.ResourceClosedError, sa.NoResultFound, sa.MultipleResultsFound, sa.NoSuchColumnError,
      sa.NoSuchTableError, sa.UnreflectableTableError, sa.NoForeignKeysError,
      sa.AmbiguousForeignKeysError, sa.AmbiguousColumnError, sa.NoReferenceError,
      sa.NoReferencedTableError, sa.NoReferencedColumnError, sa.ConstraintColumnNotFoundError,
      sa.DuplicateColumnError, sa.CircularDependencyError, sa.ObjectNotExecutableError,
      sa.NoInspectionAvailable, sa.UnboundExecutionError, sa.AwaitRequired, sa.MissingGreenlet,
      sa.IllegalStateChangeError), _permanent),
])


def store_error(exc: BaseException, what: str = "") -> ExchangeError:
    """Our error for a SQLAlchemy exception (``raise store_error(exc) from exc``)."""
    return STORE_ERRORS.translate(exc, what)
