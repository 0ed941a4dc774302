"""The console under a real uvicorn server on loopback port 0, in a thread, stopped cleanly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from exchange.web.app import create_app
from exchange.web.server import bound_socket
from exchange.web.settings import WebSettings


@contextmanager
def live_console(settings: WebSettings) -> Iterator[str]:
    """Serve the console until the block ends; yields its base URL (the port read back)."""
    sock = bound_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started or not thread.is_alive():
                break
            thread.join(0.05)
        if not server.started:
            raise RuntimeError("the console did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
