"""The ERP store (SQLAlchemy 2 Core): SQLite file by default, PostgreSQL by URL."""

from exchange.store.database import DEFAULT_URL, Store

__all__ = ["DEFAULT_URL", "Store"]
