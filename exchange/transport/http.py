"""HTTP(S) transport on httpx: conditional GETs of export URLs, PUT or POST uploads, explicit limits.

Each transport owns one ``httpx.Client`` (timeouts, redirect cap, TLS verified against the system
CAs or ``?cafile=``, ``trust_env`` off), so no state is shared between endpoints or taken from the
environment. A download is refused, and never handed on, when the server answers with a non-2xx
status, with an HTML page where XML is expected (by content type or by its first bytes), with
more than ``max_size`` bytes, or with fewer bytes than its Content-Length said.

The URL names a document (``https://shop.cz/export/orders.xml?patternId=5``) or a folder whose
documents are listed in ``?paths=a.xml,b.xml``. Query parameters that are not our options are the
server's and are sent as they are. The secret (basic auth, or ``?auth=bearer`` for a token) comes
from the environment or the keyring like every other password, and is never part of a URL.
"""

from __future__ import annotations

import base64
import http.client
import logging
import mimetypes
import os
import posixpath
import re
import ssl
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode

import httpx

from exchange.errors import (
    AuthError,
    ConfigError,
    ConnectError,
    ExchangeError,
    HostKeyError,
    RefusedContentError,
    RemoteNotFoundError,
    TransferError,
    TransportError,
)
from exchange.translate import ErrorTable, Failure
from exchange.transport.base import BlockSink, RemoteFile, Transport, check_name, confine
from exchange.transport.endpoint import Endpoint, password_env_name, resolve_password
from exchange.transport.oserrors import LOCAL_ERRORS

log = logging.getLogger(__name__)

#: Downloads larger than this are refused unless ``?max_size=`` says otherwise (256 MiB).
DEFAULT_MAX_SIZE = 256 * 1024 * 1024
DEFAULT_REDIRECTS = 5
#: GETs in flight at once: enough that the server always has a request to answer while the
#: engine writes, hashes and files the last one; few enough not to crowd a shop's server.
DEFAULT_PARALLEL = 4
CHUNK = 1024 * 1024
#: Bodies above this size (plain, with a Content-Length) are read straight into a ring of
#: buffers used in turn once their first block is in, instead of a new ``bytes`` object per block.
DIRECT_SIZE = 4 * CHUNK
#: Buffers in that ring: a sink that works on blocks in another thread (hashing) may fall this
#: many blocks less one behind before the download waits for it.
RING = 8
#: What :meth:`HTTPTransport.fetch` hands each block to: ``bytes``, or a ``memoryview`` of a
#: buffer that is filled again once ``RING - 1`` more blocks have been handed over. A sink may
#: work on blocks while the next ones are read (hash them in a thread), as long as, when its call
#: for a block returns, no more than ``RING - 1`` blocks (that one included) are left to do; a
#: sink that keeps blocks longer copies them.
ViewSink = Callable[[bytes | memoryview], object]
#: How much of a refused answer is read to say what it was.
SNIPPET = 2048
USER_AGENT = "exchange"
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
                         re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


# -- the httpx translation table ---------------------------------------------------------------
def _certificate_refused(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _connect(f: Failure) -> ExchangeError:
    cert = _certificate_refused(f.exc)
    if cert is not None:
        reason = getattr(cert, "verify_message", None) or str(cert)
        return HostKeyError(f"{f.what}: TLS certificate refused ({reason})")
    return ConnectError(f"{f.what}: cannot connect ({f.detail})")


def _timeout(f: Failure) -> ExchangeError:
    return ConnectError(f"{f.what}: the server did not answer in time ({f.detail})")


def _cut(f: Failure) -> ExchangeError:
    return TransferError(f"{f.what}: connection lost ({f.detail})")


def _malformed(f: Failure) -> ExchangeError:
    # h11 says "peer closed connection without sending complete message body (received N
    # bytes, expected M)" for a truncated body: the message names what came back.
    return TransferError(f"{f.what}: incomplete or malformed answer ({f.text})")


def _redirects(f: Failure) -> ExchangeError:
    return RefusedContentError(f"{f.what}: too many redirects ({f.text})")


def _undecodable(f: Failure) -> ExchangeError:
    return RefusedContentError(f"{f.what}: the body could not be decoded ({f.text})")


def _status(f: Failure) -> ExchangeError:
    response = getattr(f.exc, "response", None)
    if isinstance(response, httpx.Response):
        return status_error(f.what, response, b"")
    return RefusedContentError(f"{f.what}: {f.text}")


def _bad_url(f: Failure) -> ExchangeError:
    return ConfigError(f"{f.what}: {f.detail}")


def _bug(f: Failure) -> ExchangeError:
    return TransportError(f"{f.what}: {f.detail}")


HTTP_ERRORS = ErrorTable.of("httpx", [
    ((httpx.ConnectError, httpx.ProxyError), _connect),
    ((httpx.TimeoutException, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout,
      httpx.PoolTimeout), _timeout),
    ((httpx.NetworkError, httpx.ReadError, httpx.WriteError, httpx.CloseError), _cut),
    ((httpx.RemoteProtocolError,), _malformed),
    ((httpx.TooManyRedirects,), _redirects),
    ((httpx.DecodingError,), _undecodable),
    ((httpx.HTTPStatusError,), _status),
    ((httpx.UnsupportedProtocol, httpx.InvalidURL), _bad_url),
    ((httpx.HTTPError, httpx.RequestError, httpx.TransportError, httpx.ProtocolError,
      httpx.LocalProtocolError, httpx.CookieConflict, httpx.StreamError, httpx.StreamConsumed,
      httpx.StreamClosed, httpx.ResponseNotRead, httpx.RequestNotRead), _bug),
])


def _what_came_back(response: httpx.Response, head: bytes) -> str:
    """``502 Bad Gateway, text/html, 1234 bytes: "title or first words"``."""
    kind = response.headers.get("content-type", "no content type")
    length = response.headers.get("content-length")
    size = f"{length} bytes" if length is not None else f"{len(head)}+ bytes"
    text = head.decode("utf-8", "replace")
    title = _TITLE.search(text)
    words = (title.group(1) if title else re.sub(r"<[^>]*>", " ", text))
    words = " ".join(words.split())[:120]
    said = f': "{words}"' if words else ""
    return f"{response.status_code} {response.reason_phrase}, {kind}, {size}{said}"


def status_error(what: str, response: httpx.Response, head: bytes) -> ExchangeError:
    """The error for a non-2xx answer, naming what came back; 5xx, 408 and 429 are retryable."""
    code = response.status_code
    said = _what_came_back(response, head)
    if code in (401, 403):
        return AuthError(f"{what}: the server refused the credentials ({said})")
    if code in (404, 410):
        return RemoteNotFoundError(f"{what}: not found ({said})")
    retry = code >= 500 or code in (408, 429)
    return RefusedContentError(f"{what}: refused the answer {said}", status=code,
                               content_type=response.headers.get("content-type", ""),
                               retryable=retry)


@dataclass(frozen=True)
class Fetched:
    """What a conditional GET brought: nothing new (304), or a document written to disk."""

    not_modified: bool
    size: int = 0
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""

    def mtime(self) -> datetime:
        """The server's Last-Modified, else now (always timezone-aware)."""
        if self.last_modified:
            try:
                stamp = parsedate_to_datetime(self.last_modified)
            except (TypeError, ValueError):
                stamp = None
            if stamp is not None:
                return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        return datetime.now(UTC)


class HTTPTransport(Transport):
    """``https://host/path/doc.xml`` or ``https://host/folder/?paths=a.xml,b.xml`` (and loopback http)."""

    scheme = "https"

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(endpoint)
        root = endpoint.root or "/"
        self.folder = root if root.endswith("/") else posixpath.dirname(root).rstrip("/") + "/"
        self.target = "" if root.endswith("/") else posixpath.basename(root)
        self.max_size = int(endpoint.option("max_size", str(DEFAULT_MAX_SIZE)))
        self.expect_xml = endpoint.option("expect", "xml").lower() == "xml"
        self.method = endpoint.option("method", "put").upper()
        #: How many GETs a pull keeps in flight (see HTTPTransport.ask).
        self.parallel = int(endpoint.option("parallel", str(DEFAULT_PARALLEL)))
        auth = self._auth()
        tls = self._tls()
        self.client = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(endpoint.timeout),
            follow_redirects=True,
            max_redirects=int(endpoint.option("redirects", str(DEFAULT_REDIRECTS))),
            verify=tls,
            trust_env=False,  # no proxy, CA bundle or .netrc taken from the environment
            headers={"User-Agent": USER_AGENT},
        )
        # fetch's GETs: the same requests on a leaner connection pool (see _StdlibWire).
        self.wire = _StdlibWire(tls if isinstance(tls, ssl.SSLContext) else None)
        self._get_headers = dict(self.client.headers)
        self._get_headers.pop("host", None)  # http.client names the host itself
        ep = endpoint
        self._origin = (ep.scheme, ep.host, ep.port or (443 if ep.scheme == "https" else 80))
        if isinstance(auth, _Header):
            self._get_headers["Authorization"] = auth.value
        self._get_timeout = httpx.Timeout(endpoint.timeout).as_dict()

    def _auth(self) -> httpx.Auth | None:
        ep = self.endpoint
        how = ep.option("auth").lower()
        if how in ("bearer", "key"):
            holder = ep if ep.user else Endpoint(ep.scheme, ep.host, ep.port, "token", ep.root,
                                                ep.options, ep.secret, ep.query)
            token = resolve_password(holder)
            if not token:
                raise AuthError(f"{ep}: no token; set {password_env_name(holder)} or store it "
                                f"in the OS keyring (service exchange:{ep.host}, user "
                                f"{holder.user})")
            # key: the API key as the basic-auth user, no password (PrestaShop's webservice)
            return _Header(f"Bearer {token}") if how == "bearer" else _basic(token, "")
        if not ep.user:
            return None
        password = resolve_password(ep)
        if password is None:
            raise AuthError(f"{ep}: no password for {ep.user}; set {password_env_name(ep)} "
                            "or store it in the OS keyring (service exchange:<host>)")
        return _basic(ep.user, password)

    def _tls(self) -> ssl.SSLContext | bool:
        if self.endpoint.scheme != "https":
            return False
        cafile = self.endpoint.option("cafile") or None
        try:
            return ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{self.endpoint}: cannot read cafile {cafile}: {exc}") from exc

    def close(self) -> None:
        self.wire.close()
        self.client.close()

    # -- URLs ------------------------------------------------------------------------------------
    def documents(self) -> list[str]:
        """The documents pull takes, relative to the URL's folder (``?paths=``, or the URL's own)."""
        listed = [p.strip() for p in self.endpoint.option("paths").split(",") if p.strip()]
        if listed:
            return [confine(p) for p in listed]
        if self.target:
            return [self.target]
        raise ConfigError(f"{self.endpoint}: the URL names a folder; name the document in the URL "
                          "or list them with ?paths=a.xml,b.xml")

    def url_of(self, path: str) -> str:
        """The absolute URL of a document relative to the endpoint's folder (our options left out)."""
        ep = self.endpoint
        port = f":{ep.port}" if ep.port else ""
        host = f"[{ep.host}]" if ":" in ep.host else ep.host
        return f"{ep.scheme}://{host}{port}{self.target_of(path)}"

    def target_of(self, path: str) -> str:
        """The request target of a document: its path on the server and the server's query."""
        query = f"?{urlencode(self.endpoint.query)}" if self.endpoint.query else ""
        return f"{quote(self.folder + confine(path))}{query}"

    def _check_scheme(self, response: httpx.Response, what: str) -> None:
        if self.endpoint.scheme == "https" and response.url.scheme != "https":
            raise RefusedContentError(f"{what}: refused a redirect from https to {response.url.scheme}"
                                      f"://{response.url.host}")

    # -- pull --------------------------------------------------------------------------------------
    def ask(self, path: str, *, etag: str = "", last_modified: str = "") -> Asked:
        """Send the GET of a document now; ``fetch(path, …, asked=…)`` reads its answer later.

        A pull asks for the next documents while it reads one, so the server works on them
        meanwhile (``?parallel=`` requests in flight, each on its own connection).
        """
        return self.wire.ask("GET", self._origin, self.target_of(confine(path)),
                             {**self._get_headers, **_conditional(etag, last_modified)},
                             self._get_timeout)

    def drop(self, asked: Asked) -> None:
        """Forget a GET :meth:`ask` sent whose answer is not wanted."""
        self.wire.drop(asked)

    def fetch(self, path: str, local: Path, *, etag: str = "", last_modified: str = "",
              on_block: ViewSink | None = None, asked: Asked | None = None) -> Fetched:
        """GET a document into ``local``, conditionally when validators are given.

        ``on_block`` sees every block in order (see :data:`ViewSink` for how long one is valid).

        Raises:
            RefusedContentError: an error status, an HTML page where XML is expected, or a body
                over ``max_size``; nothing is left at ``local``.
            TransferError: the body is shorter than its Content-Length (retryable).
        """
        rel = confine(path)
        what = f"{self.endpoint.scheme}://{self.endpoint.host}/{(self.folder + rel).lstrip('/')}"
        headers = _conditional(etag, last_modified)
        try:
            response, direct = self._get(rel, headers, asked)
            try:
                if not direct:
                    self._check_scheme(response, what)
                if response.status_code == 304:
                    return Fetched(True, etag=etag, last_modified=last_modified)
                if not response.is_success:
                    raise status_error(what, response, _head(response))
                fetched = self._receive(response, local, what, on_block)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            local.unlink(missing_ok=True)
            raise HTTP_ERRORS.translate(exc, what) from exc
        except BaseException:
            local.unlink(missing_ok=True)
            raise
        return fetched

    def _get(self, rel: str, headers: dict[str, str],
             asked: Asked | None) -> tuple[httpx.Response, bool]:
        """GET a document for streaming: through :class:`_StdlibWire`, and through the client
        (redirects capped, https kept) only when the server redirects; True when it did not.

        The direct request is what the client would send (its headers, the secret, the
        timeouts) without its per-request machinery (URL parsing and merging, cookies, auth and
        redirect generators). An export pull keeps no cookies.
        """
        if asked is None:
            asked = self.wire.ask("GET", self._origin, self.target_of(rel),
                                  {**self._get_headers, **headers}, self._get_timeout)
        response = self.wire.answer(asked)
        if not response.has_redirect_location:
            return response, True
        response.close()
        request = self.client.build_request("GET", self.url_of(rel), headers=headers)
        return self.client.send(request, stream=True), False

    def _receive(self, response: httpx.Response, local: Path, what: str,
                 on_block: ViewSink | None) -> Fetched:
        headers = dict(response.headers.items())  # once: each httpx lookup re-encodes the keys
        kind = headers.get("content-type", "")
        if self.expect_xml and "html" in kind.lower():
            said = _what_came_back(response, _head(response))
            raise RefusedContentError(f"{what}: expected XML, the server sent an HTML page ({said})",
                                      status=response.status_code, content_type=kind)
        length = headers.get("content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        if declared is not None and declared > self.max_size:
            raise RefusedContentError(f"{what}: {declared} bytes announced, more than max_size "
                                      f"{self.max_size}", status=response.status_code,
                                      content_type=kind)
        encoded = "content-encoding" in headers
        # A plain body of known length: after the first block, the rest straight off the socket.
        direct = (not encoded and declared is not None and declared > DIRECT_SIZE
                  and "transfer-encoding" not in headers)
        written = 0
        try:
            fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise LOCAL_ERRORS.translate(exc, str(local)) from exc
        try:
            # Without a Content-Encoding the raw bytes are the document: skip the decoder.
            # Blocks as the socket gives them: a chunk size would copy each one through a
            # BytesIO to re-cut it (a fifth of the time of a 200 MiB pull).
            blocks = response.iter_bytes() if encoded else response.iter_raw()
            for block in blocks:
                if written == 0 and self.expect_xml and _HTML_START.match(block[:SNIPPET]):
                    raise RefusedContentError(
                        f"{what}: expected XML, the server sent an HTML page "
                        f"({_what_came_back(response, block[:SNIPPET])})",
                        status=response.status_code, content_type=kind)
                written += len(block)
                if written > self.max_size:
                    raise RefusedContentError(f"{what}: more than max_size {self.max_size} bytes",
                                              status=response.status_code, content_type=kind)
                _write_all(fd, block, local)
                if on_block is not None:
                    on_block(block)
                if direct and declared is not None and written < declared:
                    read_into = _reader_of(response)
                    if read_into is not None:
                        written += _read_rest(read_into, fd, declared - written, on_block, local,
                                              what)
                        break
        finally:
            os.close(fd)
        got = response.num_bytes_downloaded if encoded else written
        if declared is not None and got != declared:
            raise TransferError(f"{what}: truncated body: received {got} of the {declared} bytes "
                                "its Content-Length announced")
        return Fetched(False, written, headers.get("etag", ""), headers.get("last-modified", ""),
                       kind)

    # -- Transport primitives -----------------------------------------------------------------------
    def _list(self, folder: str) -> list[RemoteFile]:
        raise TransportError(f"{self.endpoint}: an http(s) endpoint has no listing; pull takes "
                             "the URL's document or ?paths=")

    def _download(self, path: str, local: Path, size: int | None,
                  on_block: BlockSink | None) -> int:
        if on_block is None:
            return self.fetch(path, local).size
        sink = on_block  # the base class's sinks may keep a block: give them bytes of their own

        def keep(block: bytes | memoryview) -> None:
            sink(block if isinstance(block, bytes) else bytes(block))

        return self.fetch(path, local, on_block=keep).size

    def _push_target(self, path: str) -> str:
        # A URL that names a document is where every upload goes (POST to an API, for example).
        return self.target if self.target else path

    def _upload(self, local: Path, path: str) -> int:
        rel = self._push_target(path)
        what = f"{self.endpoint.scheme}://{self.endpoint.host}/{(self.folder + rel).lstrip('/')}"
        try:
            size = local.stat().st_size
            src: BinaryIO = local.open("rb")
        except OSError as exc:
            raise LOCAL_ERRORS.translate(exc, str(local)) from exc
        kind = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
        if kind.endswith("/xml") or local.suffix.lower() == ".xml":
            kind = "application/xml"
        headers = {"Content-Length": str(size), "Content-Type": kind,
                   "Content-Disposition": f'attachment; filename="{check_name(path.rsplit("/", 1)[-1])}"'}
        try:
            with src:
                response = self.client.request(self.method, self.url_of(rel), content=src,
                                               headers=headers)
        except httpx.HTTPError as exc:
            raise HTTP_ERRORS.translate(exc, what) from exc
        self._check_scheme(response, what)
        if not response.is_success:
            raise status_error(what, response, response.content[:SNIPPET])
        return size

    def publish(self, local_path: str | os.PathLike[str], remote: str) -> int:
        """PUT or POST the file in one request: the server takes the whole body or refuses it."""
        return self._upload(Path(local_path), confine(remote))

    def _replace(self, old: str, new: str) -> None:
        raise TransportError(f"{self.endpoint}: an http(s) endpoint cannot rename")

    def _delete(self, path: str) -> None:
        raise TransportError(f"{self.endpoint}: an http(s) endpoint cannot delete")

    def _mkdir_one(self, folder: str) -> None:
        """A web server has no folders to make: the URL is where the upload goes."""

    def _size(self, path: str) -> int:
        what = self.url_of(path)
        try:
            response = self.client.head(what)
        except httpx.HTTPError as exc:
            raise HTTP_ERRORS.translate(exc, what) from exc
        if not response.is_success:
            raise status_error(what, response, b"")
        return int(response.headers.get("content-length", "0"))


class PlainHTTPTransport(HTTPTransport):
    """``http://``: allowed only to this machine unless ``?insecure=1`` (checked when parsed)."""

    scheme = "http"


class _Header(httpx.Auth):
    """``Authorization: VALUE`` (basic or bearer) on every request; the secret stays out of reprs."""

    def __init__(self, value: str) -> None:
        self.value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.value
        yield request

    def __repr__(self) -> str:
        return "<Authorization ***>"


def _basic(user: str, password: str) -> _Header:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return _Header(f"Basic {token}")


def _conditional(etag: str, last_modified: str) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _write_all(fd: int, block: bytes | memoryview, local: Path) -> None:
    try:
        while block:
            block = block[os.write(fd, block):]
    except OSError as exc:
        raise LOCAL_ERRORS.translate(exc, str(local)) from exc


def _reader_of(response: httpx.Response) -> Callable[[memoryview], int] | None:
    """Where the rest of a plain body can be read into a buffer: the wire's body (a GET that the
    server redirected came through httpx's own transport, and is read block by block)."""
    return response.stream.readinto if isinstance(response.stream, _WireBody) else None


def _read_rest(read_into: Callable[[memoryview], int], fd: int, remaining: int,
               on_block: ViewSink | None, local: Path, what: str) -> int:
    """Read ``remaining`` body bytes with ``read_into`` into ``fd``; the count read.

    The :data:`RING` buffers are filled in turn (the kernel's copy is the only one), so the sink
    may still work on earlier blocks while the next is read. Reading stops at the end of the body or when the
    server hangs up (the caller sees the shortfall). The socket keeps its read timeout.
    """
    buffers = [memoryview(bytearray(CHUNK)) for _ in range(RING)]
    got = 0
    turn = 0
    while got < remaining:
        buffer = buffers[turn][:min(CHUNK, remaining - got)]
        turn = (turn + 1) % RING
        try:
            n = read_into(buffer)
        except TimeoutError as exc:
            raise ConnectError(f"{what}: the server did not answer in time ({exc})") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise TransferError(f"{what}: connection lost ({exc})") from exc
        if n == 0:
            break
        block = buffer[:n]
        _write_all(fd, block, local)
        if on_block is not None:
            on_block(block)
        got += n
    return got


@dataclass
class Asked:
    """A request :class:`_StdlibWire` sent whose answer is still to be read."""

    method: str
    key: tuple[str, str, int]
    target: str
    headers: dict[str, str] = field(repr=False)  # the secret is one of them
    timeouts: dict[str, float | None] = field(repr=False)
    conn: http.client.HTTPConnection | None = None
    reused: bool = False
    error: httpx.HTTPError | None = None


class _StdlibWire(httpx.BaseTransport):
    """An httpx transport on ``http.client`` for fetch's GETs: a third of httpcore's CPU per request.

    A small document costs httpx's client about 0.6 ms of CPU and its own transport about
    0.4 ms (httpcore, h11, their tracing and checks), ``http.client`` about 0.25 ms with the
    kernel's share: with the server answering in about 0.45 ms, that decides whether a pull keeps
    up with it. It speaks HTTP/1.1 without proxies (the client has none: ``trust_env`` is off),
    TLS through the endpoint's verifying context, keeps idle connections for reuse (any thread
    takes one), and raises httpx's exceptions, so errors are translated in one place
    (``HTTP_ERRORS``). A body is read as ``http.client`` decodes its framing (Content-Length or
    chunked); a Content-Encoding is left to httpx's decoders (``iter_bytes``).
    """

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        self._tls = tls
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        response = self.send(request.method, key, url.raw_path.decode("ascii"),
                             dict(request.headers), request.extensions.get("timeout", {}),
                             request)
        response.request = request
        return response

    def send(self, method: str, key: tuple[str, str, int], target: str, headers: dict[str, str],
             timeouts: dict[str, float | None], request: httpx.Request | None = None
             ) -> httpx.Response:
        """``method target`` to the origin ``key`` (scheme, host, port), without building an
        ``httpx.Request`` (its URL parsing is a fifth of a small GET); the response has none."""
        return self.answer(self.ask(method, key, target, headers, timeouts), request)

    def ask(self, method: str, key: tuple[str, str, int], target: str, headers: dict[str, str],
            timeouts: dict[str, float | None]) -> Asked:
        """Send a request now and read its answer later (:meth:`answer`); what goes wrong
        sending is kept for :meth:`answer` to raise."""
        asked = Asked(method, key, target, headers, timeouts)
        try:
            asked.conn, asked.reused = self._take(key, timeouts.get("connect"))
        except httpx.HTTPError as exc:
            asked.error = exc
            return asked
        try:
            asked.conn.request(method, target, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            asked.conn.close()
            if asked.reused:  # a kept connection the server closed: answer() asks again
                asked.conn = None
            else:
                asked.error = _wire_error(exc, None, connecting=False)
        except BaseException:
            asked.conn.close()
            raise
        return asked

    def answer(self, asked: Asked, request: httpx.Request | None = None) -> httpx.Response:
        """The answer to a request :meth:`ask` sent; its body is read from the response."""
        if asked.error is not None:
            raise asked.error
        key, timeouts = asked.key, asked.timeouts
        conn = asked.conn
        try:
            try:
                if conn is None:
                    raise http.client.RemoteDisconnected("the kept connection was closed")
                response = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionError) as exc:
                if conn is not None:
                    conn.close()
                if not asked.reused:
                    raise
                log.debug("%s: a kept connection was closed by the server (%s)", key[1], exc)
                conn, _ = self._take(key, timeouts.get("connect"), fresh=True)
                asked.conn = conn
                conn.request(asked.method, asked.target, headers=asked.headers)
                response = conn.getresponse()
            if conn.sock is not None:
                conn.sock.settimeout(timeouts.get("read"))
        except (OSError, http.client.HTTPException) as exc:
            if conn is not None:
                conn.close()
            raise _wire_error(exc, request) from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        asked.conn = None  # the body owns it now
        version = b"HTTP/1.0" if response.version == 10 else b"HTTP/1.1"
        return httpx.Response(response.status, headers=response.getheaders(),
                              stream=_WireBody(self, key, conn, response, request),
                              extensions={"http_version": version,
                                          "reason_phrase": response.reason.encode("latin-1")})

    def drop(self, asked: Asked) -> None:
        """Forget a request whose answer will not be read (its connection is closed)."""
        if asked.conn is not None:
            asked.conn.close()
            asked.conn = None

    def _take(self, key: tuple[str, str, int], timeout: float | None, *,
              fresh: bool = False) -> tuple[http.client.HTTPConnection, bool]:
        if not fresh:
            with self._lock:
                idle = self._idle.get(key)
                if idle:
                    return idle.pop(), True
        scheme, host, port = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.connect()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise _wire_error(exc, None, connecting=True) from exc
        return conn, False

    def give_back(self, key: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


class _WireBody(httpx.SyncByteStream):
    """A response body from :class:`_StdlibWire`; its connection goes back when read to the end."""

    def __init__(self, wire: _StdlibWire, key: tuple[str, str, int],
                 conn: http.client.HTTPConnection, response: http.client.HTTPResponse,
                 request: httpx.Request | None) -> None:
        self._wire, self._key, self._conn = wire, key, conn
        self._response = response
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            while block := self._response.read1(CHUNK):
                yield block
        except (OSError, http.client.HTTPException) as exc:
            raise _wire_error(exc, self._request) from exc

    def readinto(self, buffer: memoryview) -> int:
        """Read body bytes straight into ``buffer``; 0 at its end or when the server hung up."""
        return self._response.readinto(buffer)

    def close(self) -> None:
        response, conn = self._response, self._conn
        # Read to its end (http.client closes a chunked body itself, not one of known length)
        # on a connection the server keeps: it can serve the next request.
        done = response.isclosed() or (not response.chunked and response.length == 0)
        response.close()
        if done and not response.will_close and conn.sock is not None:
            self._wire.give_back(self._key, conn)
        else:
            conn.close()


def _wire_error(exc: OSError | http.client.HTTPException, request: httpx.Request | None, *,
                connecting: bool = False) -> httpx.HTTPError:
    """http.client's and the socket's exceptions as httpx's."""
    text = str(exc) or type(exc).__name__
    made: httpx.HTTPError
    if isinstance(exc, TimeoutError):
        made = (httpx.ConnectTimeout if connecting else httpx.ReadTimeout)(text, request=request)
    elif connecting or isinstance(exc, ssl.SSLError):
        made = httpx.ConnectError(text, request=request)
    elif isinstance(exc, http.client.IncompleteRead):
        made = httpx.RemoteProtocolError(
            f"peer closed connection without sending complete message body ({text})",
            request=request)
    elif isinstance(exc, http.client.HTTPException):
        made = httpx.RemoteProtocolError(text, request=request)
    else:
        made = httpx.ReadError(text, request=request)
    return made


def _head(response: httpx.Response) -> bytes:
    """The first bytes of a refused answer, to say what it was."""
    head = b""
    try:
        for block in response.iter_bytes(SNIPPET):
            head += block
            if len(head) >= SNIPPET:
                break
    except httpx.HTTPError:
        pass  # what was read is enough to describe it
    return head[:SNIPPET]
