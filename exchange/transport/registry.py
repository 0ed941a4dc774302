"""Explicit, lazy registry of transports: scheme -> "module:Class", imported on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from exchange.errors import ConfigError

if TYPE_CHECKING:
    from exchange.transport.base import Transport
    from exchange.transport.endpoint import Endpoint

_REGISTRY: dict[str, str] = {
    "file": "exchange.transport.local:LocalTransport",
    "memory": "exchange.transport.memory:MemoryTransport",
    "ftp": "exchange.transport.ftp:FTPTransport",
    "ftps": "exchange.transport.ftp:FTPSTransport",
    "sftp": "exchange.transport.sftp:SFTPTransport",
    "http": "exchange.transport.http:PlainHTTPTransport",
    "https": "exchange.transport.http:HTTPTransport",
}


def known_schemes() -> list[str]:
    """The registered schemes, sorted."""
    return sorted(_REGISTRY)


def register(scheme: str, target: str) -> None:
    """Register a transport class as ``"module:Class"``; a duplicate scheme is an error."""
    if scheme in _REGISTRY:
        raise ConfigError(f"transport scheme {scheme!r} is already registered")
    _REGISTRY[scheme] = target


def transport_class(scheme: str) -> type[Transport]:
    """The class for ``scheme``; an unknown scheme is a ConfigError listing the known ones."""
    try:
        target = _REGISTRY[scheme]
    except KeyError:
        raise ConfigError(
            f"unknown transport scheme {scheme!r}; known: {', '.join(known_schemes())}"
        ) from None
    module_name, _, class_name = target.partition(":")
    cls: type[Transport] = getattr(importlib.import_module(module_name), class_name)
    return cls


def open_transport(endpoint: str | Endpoint) -> Transport:
    """Parse ``endpoint`` if needed and return a connected transport (a context manager)."""
    from exchange.transport.endpoint import parse_endpoint

    ep = parse_endpoint(endpoint)
    return transport_class(ep.scheme)(ep)
