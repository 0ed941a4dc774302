"""Serving the console with uvicorn: refuse an open address without users, then run until stopped."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from exchange.errors import ConfigError
from exchange.web.app import create_app
from exchange.web.auth import has_users
from exchange.web.settings import WebSettings


def check_exposure(settings: WebSettings) -> None:
    """Binding an address other than loopback needs at least one user (``exchange users add``)."""
    if not settings.loopback and not has_users(settings.store):
        raise ConfigError(f"the console would listen on {settings.host} with no users: add one with "
                          "`exchange users add NAME`, or bind 127.0.0.1")


def server(settings: WebSettings, port: int) -> uvicorn.Server:
    """A uvicorn server for the console (not started)."""
    check_exposure(settings)
    config = uvicorn.Config(create_app(settings), host=settings.host, port=port, log_level="warning",
                            proxy_headers=settings.behind_tls, server_header=False, lifespan="off")
    return uvicorn.Server(config)


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one; its real port is read back by the caller)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def serve(settings: WebSettings, port: int, say: Callable[[str], None]) -> None:
    """Serve the console until Ctrl+C or SIGTERM; ``say`` gets its address first."""
    srv = server(settings, port)
    sock = bound_socket(settings.host, port)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    say(f"exchange console on http://{shown}:{sock.getsockname()[1]}/ (Ctrl+C stops it)")
    try:
        srv.run(sockets=[sock])
    finally:
        sock.close()
