"""The http(s) endpoint against a real HTTP server on loopback: pull, refusals, push, TLS, secrets."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.errors import (
    AuthError,
    ConfigError,
    ConnectError,
    HostKeyError,
    RefusedContentError,
    TransferError,
)
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.processed_files import files_of
from exchange.sync.outbox import OutboxStatus, deliver, list_outbox
from exchange.sync.pull import acknowledge_all, pull_detailed
from exchange.sync.push import push
from exchange.translate import exception_classes
from exchange.transport import open_transport, parse_endpoint
from exchange.transport.http import DIRECT_SIZE, HTTP_ERRORS, HTTPTransport
from tests.transport.http_server import Doc, HTTPServerThread
from tests.transport.servers import Certs

ORDERS = b'<?xml version="1.0" encoding="utf-8"?>\n<ORDERS><ORDER><CODE>1</CODE></ORDER></ORDERS>\n'
HTML_502 = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
            b"<body><h1>Bad Gateway</h1></body></html>")


@pytest.fixture
def http() -> Iterator[HTTPServerThread]:
    with HTTPServerThread() as server:
        yield server


@pytest.fixture
def https(certs: Certs) -> Iterator[HTTPServerThread]:
    with HTTPServerThread(cert=certs.cert, key=certs.key) as server:
        yield server


def _inbox(tmp_path: Path) -> list[str]:
    inbox = tmp_path / "inbox"
    return sorted(p.name for p in inbox.iterdir()) if inbox.exists() else []


def test_a_pull_with_an_etag_takes_the_file_once(
        https: HTTPServerThread, certs: Certs, sqlite_store: Store, tmp_path: Path) -> None:
    https.put("/export/orders.xml", Doc(ORDERS))
    url = https.url("/export/orders.xml", f"patternId=5&cafile={certs.ca}")
    first = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert [f.name for f in first.pulled] == ["orders.xml"]
    assert first.pulled[0].local_path.read_bytes() == ORDERS
    acknowledge_all(first.pulled, True)
    second = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert second.pulled == []
    assert [s.reason for s in second.skipped] == ["not modified since the last pull"]
    gets = https.gets("/export/orders.xml")
    assert len(gets) == 2
    assert "if-none-match" not in gets[0].headers
    assert gets[1].headers["if-none-match"].startswith('"')
    assert gets[1].path.endswith("?patternId=5")  # the shop's own parameter, not our options


def test_without_an_etag_if_modified_since_is_sent(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path) -> None:
    http.put("/orders.xml", Doc(ORDERS, etag=False))
    url = http.url("/orders.xml")
    assert len(pull_detailed(url, tmp_path / "inbox", sqlite_store).pulled) == 1
    assert pull_detailed(url, tmp_path / "inbox", sqlite_store).pulled == []
    assert http.gets("/orders.xml")[1].headers["if-modified-since"].endswith("GMT")


def test_the_same_export_served_twice_is_taken_once(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path) -> None:
    # Generated anew each time: no ETag, a new Last-Modified, the same content.
    http.put("/orders.xml", Doc(ORDERS, etag=False, last_modified=1_700_000_000))
    url = http.url("/orders.xml")
    first = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    acknowledge_all(first.pulled, True)
    http.put("/orders.xml", Doc(ORDERS, etag=False, last_modified=1_700_000_600))
    again = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert again.pulled == []
    assert "same content already imported" in again.skipped[0].reason
    http.put("/orders.xml", Doc(ORDERS.replace(b"<CODE>1", b"<CODE>2"), etag=False,
                                last_modified=1_700_001_200))
    changed = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert [f.name for f in changed.pulled] == ["orders.xml"]
    assert changed.pulled[0].sha256 != first.pulled[0].sha256


def test_a_list_of_urls_is_pulled(http: HTTPServerThread, sqlite_store: Store,
                                  tmp_path: Path) -> None:
    http.put("/x/a.xml", Doc(ORDERS))
    http.put("/x/sub/b.xml", Doc(ORDERS.replace(b"1", b"2")))
    got = pull_detailed(http.url("/x/", "paths=a.xml,sub/b.xml"), tmp_path / "inbox", sqlite_store)
    assert sorted(f.name for f in got.pulled) == ["a.xml", "b.xml"]


@pytest.mark.parametrize("parallel", [1, 4])
def test_many_documents_are_fetched_at_once_and_recorded_in_the_listed_order(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path, parallel: int) -> None:
    names = [f"d{i:02d}.xml" for i in reversed(range(12))]  # listed order, not sorted
    for name in names:
        http.put(f"/x/{name}", Doc(ORDERS.replace(b"<CODE>1", f"<CODE>{name}".encode())))
    url = http.url("/x/", f"parallel={parallel}&paths=" + ",".join(names))
    got = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert [f.name for f in got.pulled] == names
    ids = [f.record_id for f in got.pulled]
    assert ids == sorted(ids)
    for f in got.pulled:
        assert f.local_path.read_bytes() == ORDERS.replace(b"<CODE>1", f"<CODE>{f.name}".encode())
    assert not list((tmp_path / "inbox").glob("*.part"))
    again = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert again.pulled == []
    assert [s.name for s in again.skipped] == names
    assert {s.reason for s in again.skipped} == {"not modified since the last pull"}


def test_a_long_list_of_paths_is_recorded_and_growing_it_keeps_what_was_taken(
        http: HTTPServerThread, store: Store, tmp_path: Path) -> None:
    """Two hundred documents: their names alone are longer than the store's source column, so
    the source is the URL without ?paths= (and ?parallel=); a longer list, asked with another
    parallel, takes only the new document, and the old ones are not modified (their validators
    were kept under the same source)."""
    names = [f"export-{i:03d}.xml" for i in range(200)]
    for name in [*names, "export-new.xml"]:
        http.put(f"/x/{name}", Doc(ORDERS.replace(b"<CODE>1", f"<CODE>{name}".encode())))
    url = http.url("/x/", "paths=" + ",".join(names))
    assert len(url) > 3000
    first = pull_detailed(url, tmp_path / "inbox", store)
    assert [f.name for f in first.pulled] == names
    with store.connect() as conn:
        rows = files_of(conn, first.pulled[0].source)
    assert [r["name"] for r in rows] == names
    assert "paths=" not in first.pulled[0].source
    grown = http.url("/x/", "parallel=2&paths=" + ",".join([*names, "export-new.xml"]))
    second = pull_detailed(grown, tmp_path / "inbox", store)
    assert [f.name for f in second.pulled] == ["export-new.xml"]
    assert second.pulled[0].source == first.pulled[0].source
    assert {s.reason for s in second.skipped} == {"not modified since the last pull"}
    assert len(second.skipped) == 200


def test_a_pull_with_gets_in_flight_over_tls_takes_them_in_order(
        https: HTTPServerThread, certs: Certs, sqlite_store: Store, tmp_path: Path) -> None:
    names = [f"d{i}.xml" for i in range(8)]
    for name in names:
        https.put(f"/x/{name}", Doc(ORDERS.replace(b"<CODE>1", f"<CODE>{name}".encode())))
    got = pull_detailed(https.url("/x/", f"cafile={certs.ca}&paths=" + ",".join(names)),
                        tmp_path / "inbox", sqlite_store)
    assert [f.name for f in got.pulled] == names
    assert [t.name for t in threading.enumerate() if t.name == "sha256"] == []
    assert len(https.gets("/x/d0.xml")) == 1


def test_a_server_error_midway_stops_the_pull_and_keeps_what_came_before(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path) -> None:
    names = [f"d{i:02d}.xml" for i in range(10)]
    for name in names:
        http.put(f"/x/{name}", Doc(ORDERS.replace(b"<CODE>1", f"<CODE>{name}".encode())))
    http.put("/x/d05.xml", Doc(HTML_502, content_type="text/html", status=502))
    url = http.url("/x/", "parallel=4&paths=" + ",".join(names))
    with pytest.raises(RefusedContentError, match="502 Bad Gateway"):
        pull_detailed(url, tmp_path / "inbox", sqlite_store)
    # The documents before the failed one are in the inbox and recorded; nothing after it,
    # not even a .part file of a document a worker had already fetched.
    assert _inbox(tmp_path) == names[:5]
    with sqlite_store.connect() as conn:
        recorded = [row["name"] for row in files_of(conn, parse_endpoint(url).source)]
    assert recorded == names[:5]
    http.put("/x/d05.xml", Doc(ORDERS.replace(b"<CODE>1", b"<CODE>d05.xml")))
    later = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert [f.name for f in later.pulled] == names[5:]  # the first five answer 304
    assert len(later.skipped) == 5


def test_the_same_content_under_one_name_twice_in_a_pull_is_taken_once(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path) -> None:
    http.put("/x/a/orders.xml", Doc(ORDERS))
    http.put("/x/b/orders.xml", Doc(ORDERS))
    got = pull_detailed(http.url("/x/", "paths=a/orders.xml,b/orders.xml,a/orders.xml"),
                        tmp_path / "inbox", sqlite_store)
    assert [f.name for f in got.pulled] == ["orders.xml"]
    assert [s.reason for s in got.skipped] == ["same content as a/orders.xml, taken in this pull"]
    assert len(http.gets("/x/a/orders.xml")) == 1  # a path listed twice is fetched once
    assert _inbox(tmp_path) == ["orders.xml"]


def test_a_redirect_is_followed_with_the_secret_and_an_https_to_http_one_refused(
        http: HTTPServerThread, https: HTTPServerThread, certs: Certs, sqlite_store: Store,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    http.state.basic = ("shop", "s3cret")
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_SHOP", "s3cret")
    http.put("/old/orders.xml", Doc(b"moved", status=302, location="/new/orders.xml"))
    http.put("/new/orders.xml", Doc(ORDERS))
    url = http.url("/old/orders.xml").replace("http://", "http://shop@")
    got = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert [f.local_path.read_bytes() for f in got.pulled] == [ORDERS]
    assert http.gets("/new/orders.xml")[0].headers["authorization"].startswith("Basic ")
    http.state.basic = None
    https.put("/orders.xml", Doc(b"moved", status=302, location=http.url("/new/orders.xml")))
    refused = pull_detailed(https.url("/orders.xml", f"cafile={certs.ca}"), tmp_path / "inbox2",
                            sqlite_store)
    assert refused.pulled == []
    assert "refused a redirect from https to http" in refused.skipped[0].reason
    assert list((tmp_path / "inbox2").iterdir()) == []


def test_a_kept_connection_the_server_closed_is_replaced(
        http: HTTPServerThread, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The whole body, then the server hangs up without saying "Connection: close": the client
    # keeps the connection, and the next GET finds it closed.
    caplog.set_level(logging.DEBUG, logger="exchange.transport.http")
    http.put("/a.xml", Doc(ORDERS, truncate_to=len(ORDERS)))
    http.put("/b.xml", Doc(ORDERS))
    with open_transport(http.url("/", "paths=a.xml,b.xml")) as t:
        assert isinstance(t, HTTPTransport)
        assert t.fetch("a.xml", tmp_path / "a.xml").size == len(ORDERS)
        assert t.fetch("b.xml", tmp_path / "b.xml").size == len(ORDERS)
    assert (tmp_path / "b.xml").read_bytes() == ORDERS
    assert "a kept connection was closed by the server" in caplog.text


def test_an_html_502_page_is_refused_and_retryable(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path) -> None:
    http.put("/orders.xml", Doc(HTML_502, content_type="text/html", status=502))
    with pytest.raises(RefusedContentError) as caught:
        pull_detailed(http.url("/orders.xml"), tmp_path / "inbox", sqlite_store)
    assert caught.value.retryable
    assert "502 Bad Gateway, text/html" in str(caught.value)
    assert _inbox(tmp_path) == []


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/xml"])
def test_an_html_page_where_xml_is_expected_is_refused(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path, content_type: str) -> None:
    # A login or maintenance page served with 200, announced as HTML or not.
    http.put("/orders.xml", Doc(b"\n  <!doctype html><html><title>Log in</title></html>",
                                content_type=content_type))
    out = pull_detailed(http.url("/orders.xml"), tmp_path / "inbox", sqlite_store)
    assert out.pulled == []
    assert "expected XML, the server sent an HTML page" in out.skipped[0].reason
    assert '"Log in"' in out.skipped[0].reason
    assert _inbox(tmp_path) == []
    # ?expect=any takes whatever comes (a CSV export, say).
    anything = pull_detailed(http.url("/orders.xml", "expect=any"), tmp_path / "inbox", sqlite_store)
    assert len(anything.pulled) == 1


def test_a_truncated_body_is_refused(http: HTTPServerThread, sqlite_store: Store,
                                     tmp_path: Path) -> None:
    http.put("/orders.xml", Doc(ORDERS * 100, truncate_to=1000))
    with pytest.raises(TransferError) as caught:
        pull_detailed(http.url("/orders.xml"), tmp_path / "inbox", sqlite_store)
    assert "1000" in str(caught.value) and str(len(ORDERS) * 100) in str(caught.value)
    assert _inbox(tmp_path) == []


@pytest.mark.parametrize("tls", [False, True])
def test_a_large_body_is_byte_exact_and_hashed(certs: Certs, sqlite_store: Store, tmp_path: Path,
                                               tls: bool) -> None:
    # Past DIRECT_SIZE the body is read straight off the socket after its first block.
    body = b"<a>" + os.urandom(DIRECT_SIZE + 3 * 1024 * 1024 + 17) + b"</a>"
    server = HTTPServerThread(cert=certs.cert, key=certs.key) if tls else HTTPServerThread()
    with server:
        server.put("/big.xml", Doc(body))
        query = f"cafile={certs.ca}" if tls else ""
        out = pull_detailed(server.url("/big.xml", query), tmp_path / "inbox", sqlite_store)
    [pulled] = out.pulled
    assert pulled.local_path.read_bytes() == body
    assert pulled.sha256 == hashlib.sha256(body).hexdigest()
    assert pulled.remote.size == len(body)


def test_a_large_truncated_body_is_refused(http: HTTPServerThread, sqlite_store: Store,
                                           tmp_path: Path) -> None:
    body = b"<a>" + b"x" * (DIRECT_SIZE + 2 * 1024 * 1024) + b"</a>"
    http.put("/big.xml", Doc(body, truncate_to=DIRECT_SIZE + 1024 * 1024))
    with pytest.raises(TransferError) as caught:
        pull_detailed(http.url("/big.xml"), tmp_path / "inbox", sqlite_store)
    assert f"received {DIRECT_SIZE + 1024 * 1024} of the {len(body)} bytes" in str(caught.value)
    assert caught.value.retryable
    assert _inbox(tmp_path) == []


def test_a_body_over_max_size_is_refused(http: HTTPServerThread, tmp_path: Path) -> None:
    http.put("/big.xml", Doc(b"<a>" + b"x" * 5000 + b"</a>"))
    with open_transport(http.url("/big.xml", "max_size=1000")) as t, \
            pytest.raises(RefusedContentError, match="max_size 1000"):
        t.download("big.xml", tmp_path / "big.xml")
    assert not (tmp_path / "big.xml").exists()


def test_a_missing_document_is_not_found_and_not_retried(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path) -> None:
    out = pull_detailed(http.url("/gone.xml"), tmp_path / "inbox", sqlite_store)
    assert "not found (404 Not Found, text/plain" in out.skipped[0].reason


def test_a_push_lands_byte_exact_over_tls(https: HTTPServerThread, certs: Certs,
                                          sqlite_store: Store, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    data = bytes(range(256)) * 4000
    feed.write_bytes(data)
    result = push(feed, https.url("/import/", f"cafile={certs.ca}"), sqlite_store,
                  spool_dir=tmp_path / "spool")
    assert result.delivered
    assert https.state.uploads["/import/feed.xml"] == data
    put = next(r for r in https.state.requests if r.method == "PUT")
    assert put.headers["content-type"] == "application/xml"


def test_post_to_a_url_that_names_the_target(http: HTTPServerThread, sqlite_store: Store,
                                             tmp_path: Path) -> None:
    (tmp_path / "status.xml").write_bytes(ORDERS)
    assert push(tmp_path / "status.xml", http.url("/api/order_histories", "method=post"),
                sqlite_store, spool_dir=tmp_path / "spool").delivered
    assert http.state.uploads["/api/order_histories"] == ORDERS
    assert [r.method for r in http.state.requests] == ["POST"]


def test_the_server_down_means_the_outbox_delivered_in_order(sqlite_store: Store,
                                                             tmp_path: Path) -> None:
    with HTTPServerThread() as gone:
        port = gone.port
    url = f"http://127.0.0.1:{port}/in/"
    for name in ("1.xml", "2.xml", "3.xml"):
        (tmp_path / name).write_text(f"<n>{name}</n>")
        result = push(tmp_path / name, url, sqlite_store, spool_dir=tmp_path / "spool")
        assert result.waiting
    assert [e.remote_name for e in list_outbox(sqlite_store)] == ["1.xml", "2.xml", "3.xml"]
    with HTTPServerThread(port=port) as back:
        done = deliver(sqlite_store, now=datetime.now(UTC) + timedelta(hours=2))
        assert [e.remote_name for e in done.delivered] == ["1.xml", "2.xml", "3.xml"]
        assert [r.path for r in back.state.requests] == ["/in/1.xml", "/in/2.xml", "/in/3.xml"]
    assert all(e.status == OutboxStatus.DELIVERED for e in list_outbox(sqlite_store))


def test_an_unknown_certificate_authority_is_refused(https: HTTPServerThread, certs: Certs,
                                                     tmp_path: Path) -> None:
    https.put("/o.xml", Doc(ORDERS))
    with open_transport(https.url("/o.xml", f"cafile={certs.other_ca}")) as t, \
            pytest.raises(HostKeyError, match="TLS certificate refused"):
        t.download("o.xml", tmp_path / "o.xml")
    # Without ?cafile= the system CAs are used, which do not know the test CA either.
    with open_transport(https.url("/o.xml")) as t, pytest.raises(HostKeyError):
        t.download("o.xml", tmp_path / "o.xml")


def test_basic_auth_comes_from_the_environment_and_is_never_logged(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    http.state.basic = ("shop", "s3cret-basic")
    http.put("/o.xml", Doc(ORDERS))
    url = f"http://shop@127.0.0.1:{http.port}/o.xml"
    with pytest.raises(AuthError, match="EXCHANGE_PASSWORD_127_0_0_1_SHOP"):
        pull_detailed(url, tmp_path / "inbox", sqlite_store)
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_SHOP", "wrong")
    out = pull_detailed(url, tmp_path / "inbox", sqlite_store)
    assert "refused the credentials (401 Unauthorized" in out.skipped[0].reason
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_SHOP", "s3cret-basic")
    assert len(pull_detailed(url, tmp_path / "inbox", sqlite_store).pulled) == 1
    assert "s3cret-basic" not in caplog.text


def test_the_wire_is_an_httpx_transport_and_keeps_the_secret_out_of_reprs(
        http: HTTPServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    http.state.bearer = "tok-123"
    http.put("/o.xml", Doc(ORDERS))
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_TOKEN", "tok-123")
    with open_transport(http.url("/o.xml", "auth=bearer")) as t:
        assert isinstance(t, HTTPTransport)
        asked = t.ask("o.xml")
        assert "tok-123" not in repr(asked) and "tok-123" not in repr(t.client.auth)
        t.drop(asked)
        with httpx.Client(transport=t.wire, headers={"Authorization": "Bearer tok-123"}) as c:
            answer = c.get(t.url_of("o.xml"))
        assert (answer.status_code, answer.content) == (200, ORDERS)


def test_a_bearer_token_from_the_environment(http: HTTPServerThread, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    http.state.bearer = "tok-123"
    http.put("/o.xml", Doc(ORDERS))
    url = http.url("/o.xml", "auth=bearer")
    with pytest.raises(AuthError, match="EXCHANGE_PASSWORD_127_0_0_1_TOKEN"):
        open_transport(url)
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_TOKEN", "tok-123")
    with open_transport(url) as t:
        assert t.download("o.xml", tmp_path / "o.xml") == len(ORDERS)
        assert "tok-123" not in repr(t.client.auth)


def test_plain_http_only_to_this_machine_and_no_secrets_in_urls() -> None:
    with pytest.raises(ConfigError, match="only to this machine"):
        parse_endpoint("http://shop.example/orders.xml")
    assert parse_endpoint("http://shop.example/orders.xml?insecure=1").host == "shop.example"
    assert parse_endpoint("http://localhost:8080/o.xml").port == 8080
    with pytest.raises(ConfigError, match="refused"):
        parse_endpoint("https://u:pw@shop.example/o.xml")
    with pytest.raises(ConfigError, match="after"):
        parse_endpoint("https://shop.example/o.xml?after=delete")
    with pytest.raises(ConfigError, match="method"):
        parse_endpoint("https://shop.example/o.xml?method=patch")


def test_a_server_that_is_down_is_a_retryable_connect_error(tmp_path: Path) -> None:
    with HTTPServerThread() as gone:
        url = gone.url("/o.xml")
    with open_transport(url) as t, pytest.raises(ConnectError) as caught:
        t.download("o.xml", tmp_path / "o.xml")
    assert caught.value.retryable


def test_each_httpx_exception_class_has_its_own_entry() -> None:
    classes = exception_classes(Exception, "httpx")
    assert httpx.ReadTimeout in classes and len(classes) > 20
    missing = [c.__qualname__ for c in classes if not HTTP_ERRORS.covers(c)]
    assert missing == [], f"untranslated httpx exceptions: {missing}"


def test_exchange_pull_and_import_from_https(https: HTTPServerThread, certs: Certs,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    sample = (samples_dir() / "shoptet" / "orders-export.xml").read_bytes()
    https.put("/export/orders.xml", Doc(sample))
    url = https.url("/export/orders.xml", f"cafile={certs.ca}")
    assert run_cli(cli, ["catalog", "load", str(samples_dir() / "catalog.csv")]) == 0
    # A pull on its own store: the import below must not see its 304.
    assert run_cli(cli, ["--db", "sqlite:///pulls.db", "--create", "pull", url, "--to", "pulled"]) == 0
    assert "pulled orders.xml" in capsys.readouterr().out
    assert (tmp_path / "pulled" / "orders.xml").read_bytes() == sample
    code = run_cli(cli, ["import", "--from", url, "--profile", "shoptet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "1 file(s) pulled and imported" in out.out
    assert run_cli(cli, ["import", "--from", url, "--profile", "shoptet"]) == 0
    assert "not modified since the last pull" in capsys.readouterr().out
    assert run_cli(cli, ["orders", "list", "--json"]) == 0
    assert '"number"' in capsys.readouterr().out


def test_a_shop_key_in_the_url_never_reaches_the_logs(
        http: HTTPServerThread, sqlite_store: Store, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    # Shops hand out exports as permanent links with their key in the query; a worker that logs
    # everything at INFO (as Celery's does) must still not write that key.
    from exchange.logs import setup_logging

    setup_logging(None)
    caplog.set_level(logging.INFO)
    http.put("/export/orders.xml", Doc(ORDERS))
    out = pull_detailed(http.url("/export/orders.xml", "hash=shop-key-987"), tmp_path / "inbox", sqlite_store)
    assert [f.name for f in out.pulled] == ["orders.xml"]
    assert "shop-key-987" not in caplog.text
