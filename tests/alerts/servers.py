"""Real servers for alert tests: aiosmtpd (with STARTTLS and a login) and an HTTP webhook, both on
loopback port 0, each in its own thread.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.transport.servers import Certs

SMTP_USER, SMTP_PASSWORD = "alerts", "smtp secret"


@dataclass
class Mailbox:
    """What the SMTP server received."""

    messages: list[Message] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.messages.append(message_from_bytes(raw))
        self.received.set()
        return "250 OK"


def _authenticator(_server: SMTP, _session: Session, _envelope: Envelope, mechanism: str,
                   data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == SMTP_USER.encode() \
        and data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok)


@contextmanager
def smtp_server(certs: Certs) -> Iterator[tuple[int, Mailbox]]:
    """aiosmtpd on 127.0.0.1:0 that requires STARTTLS (certificate signed by ``certs.ca``) and a login."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certs.cert), str(certs.key))
    mailbox = Mailbox()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)

        def factory() -> SMTP:
            return SMTP(mailbox, hostname="localhost", tls_context=context, require_starttls=True,
                        authenticator=_authenticator, auth_require_tls=True)

        holder["server"] = loop.run_until_complete(loop.create_server(factory, sock=sock))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield port, mailbox
    finally:
        async def stop() -> None:
            holder["server"].close()
            await holder["server"].wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@dataclass
class Hooks:
    """What the webhook server received."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    status: int = 204


@contextmanager
def webhook_server() -> Iterator[tuple[str, Hooks]]:
    """An HTTP server on 127.0.0.1:0 that records each JSON POST."""
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            hooks.payloads.append(json.loads(body))
            self.send_response(hooks.status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", hooks
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
