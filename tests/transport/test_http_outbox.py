"""Item 1's done-when on every store: a push to an http(s) endpoint that is down waits in the
outbox and is delivered first in, first out, per endpoint; one endpoint's outage holds no other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from exchange.store import Store
from exchange.sync.outbox import OutboxStatus, deliver, list_outbox
from exchange.sync.push import push
from tests.transport.http_server import HTTPServerThread


def _port() -> int:
    with HTTPServerThread() as gone:
        return gone.port


def test_the_outbox_delivers_fifo_per_endpoint_and_an_outage_holds_no_other(
        store: Store, tmp_path: Path) -> None:
    down_a, down_b = _port(), _port()
    urls = {"a": f"http://127.0.0.1:{down_a}/in/", "b": f"http://127.0.0.1:{down_b}/in/"}
    for n in range(1, 4):
        for key, url in urls.items():
            path = tmp_path / f"{key}{n}.xml"
            path.write_text(f"<n>{key}{n}</n>")
            assert push(path, url, store, spool_dir=tmp_path / "spool").waiting
    assert [e.remote_name for e in list_outbox(store)] == ["a1.xml", "b1.xml", "a2.xml", "b2.xml",
                                                           "a3.xml", "b3.xml"]
    later = datetime.now(UTC) + timedelta(hours=2)
    with HTTPServerThread(port=down_b) as back:
        done = deliver(store, now=later)
        # b's queue leaves in its order while a stays down
        assert [e.remote_name for e in done.delivered] == ["b1.xml", "b2.xml", "b3.xml"]
        assert [r.path for r in back.state.requests] == ["/in/b1.xml", "/in/b2.xml", "/in/b3.xml"]
        assert back.state.uploads["/in/b2.xml"] == b"<n>b2</n>"
    # a push behind a waiting queue joins its end
    (tmp_path / "a4.xml").write_text("<n>a4</n>")
    assert push(tmp_path / "a4.xml", urls["a"], store, spool_dir=tmp_path / "spool").waiting
    with HTTPServerThread(port=down_a) as back:
        done = deliver(store, now=later + timedelta(hours=2))
        assert [r.path for r in back.state.requests] == ["/in/a1.xml", "/in/a2.xml", "/in/a3.xml",
                                                         "/in/a4.xml"]
    assert all(e.status == OutboxStatus.DELIVERED for e in list_outbox(store))
