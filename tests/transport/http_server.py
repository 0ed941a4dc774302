"""A real HTTP(S) server on loopback port 0 for the http transport tests (threaded http.server).

It serves documents with an ETag and Last-Modified and answers conditional requests with 304;
it stores PUT and POST bodies; it can be told to answer with an HTML 502 page, to cut a body
short of its Content-Length, or to demand basic auth or a bearer token. Every request is kept.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Doc:
    """A document the server serves."""

    body: bytes
    content_type: str = "application/xml"
    etag: bool = True
    last_modified: float = 1_700_000_000.0
    status: int = 200
    truncate_to: int | None = None  # send only this many bytes of the body, then hang up
    location: str | None = None  # answer with this Location (give a 3xx status)


@dataclass
class HTTPState:
    """What the server serves and what it received."""

    docs: dict[str, Doc] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    basic: tuple[str, str] | None = None
    bearer: str | None = None
    refuse_uploads: int | None = None  # answer every PUT/POST with this status (an outage)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read ``requests`` instead."""

    def _seen(self, body: bytes = b"") -> None:
        with self.server.state.lock:
            self.server.state.requests.append(
                Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))

    def _authorised(self) -> bool:
        state = self.server.state
        given = self.headers.get("Authorization", "")
        if state.basic is not None:
            user, password = state.basic
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return given == f"Basic {token}"
        if state.bearer is not None:
            return given == f"Bearer {state.bearer}"
        return True

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._seen()
        if not self._authorised():
            self._send(401, b"<html><title>401 Unauthorized</title></html>",
                       {"Content-Type": "text/html", "WWW-Authenticate": 'Basic realm="x"'})
            return
        doc = self.server.state.docs.get(self.path.split("?")[0])
        if doc is None:
            self._send(404, b"no such export", {"Content-Type": "text/plain"})
            return
        etag = f'"{hashlib.sha256(doc.body).hexdigest()[:16]}"'
        stamp = formatdate(doc.last_modified, usegmt=True)
        headers = {"Content-Type": doc.content_type, "Last-Modified": stamp}
        if doc.location is not None:
            headers["Location"] = doc.location
        if doc.etag:
            headers["ETag"] = etag
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", headers)
                return
        elif self.headers.get("If-Modified-Since") == stamp:
            self._send(304, b"", headers)
            return
        if doc.truncate_to is not None:
            self.send_response(doc.status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(doc.body)))
            self.end_headers()
            self.wfile.write(doc.body[:doc.truncate_to])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(doc.status, doc.body, headers)

    def do_HEAD(self) -> None:
        self.do_GET()

    def _store(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self._seen(body)
        if not self._authorised():
            self._send(401, b"unauthorised", {"Content-Type": "text/plain"})
            return
        refused = self.server.state.refuse_uploads
        if refused is not None:
            self._send(refused, b"<html><body>Service Unavailable</body></html>",
                       {"Content-Type": "text/html"})
            return
        with self.server.state.lock:
            self.server.state.uploads[self.path.split("?")[0]] = body
        self._send(201, b"stored", {"Content-Type": "text/plain"})

    def do_PUT(self) -> None:
        self._store()

    def do_POST(self) -> None:
        self._store()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True

    def __init__(self, state: HTTPState, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state


class HTTPServerThread:
    """``http.server`` on 127.0.0.1:0 in a thread; TLS when given a certificate and key."""

    def __init__(self, *, cert: Path | None = None, key: Path | None = None, port: int = 0) -> None:
        self.state = HTTPState()
        self._server = _Server(self.state, port)
        self.tls = cert is not None
        if cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="http-test-server")
        self._thread.start()

    def url(self, path: str = "/", query: str = "") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def put(self, path: str, doc: Doc) -> None:
        with self.state.lock:
            self.state.docs[path] = doc

    def gets(self, path: str) -> list[Seen]:
        return [r for r in self.state.requests if r.method == "GET" and r.path.split("?")[0] == path]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> HTTPServerThread:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
