"""The content hash of a canonical document: the second half of the idempotence key.

A sha256 over the document's plain-tuple form (:mod:`exchange.importers.read.wire`): every field,
numbers by value, so ``100.0`` and ``100.00`` hash the same.
"""

from __future__ import annotations

import hashlib
from typing import Any

from exchange.importers.read.wire import encode


def content_hash_of(type_name: str, encoded: tuple[Any, ...]) -> str:
    """sha256 of an encoded document (what :func:`document_hash` computes)."""
    return hashlib.sha256(repr((type_name, encoded)).encode("utf-8")).hexdigest()


def document_hash(document: Any) -> str:
    """Stable sha256 of a canonical document's content: every field, numbers by value."""
    return content_hash_of(type(document).__name__, encode(document))
