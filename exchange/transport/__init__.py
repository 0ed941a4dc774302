"""Transports: move bytes between the engine and a folder, FTP, FTPS or SFTP endpoint."""

from exchange.transport.base import RemoteFile, Transport, check_name, confine
from exchange.transport.endpoint import Endpoint, parse_endpoint, resolve_password
from exchange.transport.registry import known_schemes, open_transport, transport_class

__all__ = [
    "Endpoint",
    "RemoteFile",
    "Transport",
    "check_name",
    "confine",
    "known_schemes",
    "open_transport",
    "parse_endpoint",
    "resolve_password",
    "transport_class",
]
