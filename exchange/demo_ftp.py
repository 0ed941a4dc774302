"""A throw-away FTP server on loopback for the demo: the "shop" that holds orders and takes feeds."""

from __future__ import annotations

import logging
import secrets
import threading
from pathlib import Path

from exchange.errors import ConfigError


class DemoFtpServer:
    """pyftpdlib on 127.0.0.1 (free port) in a background thread, one user with a random password."""

    user = "demo"

    def __init__(self, root: Path) -> None:
        try:
            from pyftpdlib.authorizers import DummyAuthorizer
            from pyftpdlib.handlers import FTPHandler
            from pyftpdlib.servers import FTPServer
        except ImportError as exc:
            raise ConfigError("the demo needs pyftpdlib: pip install -e '.[demo]'") from exc
        ftpd_log = logging.getLogger("pyftpdlib")
        ftpd_log.setLevel(logging.WARNING)
        if not ftpd_log.handlers:  # else pyftpdlib configures root logging on every serve turn
            ftpd_log.addHandler(logging.NullHandler())
        self.root = root
        self.password = secrets.token_urlsafe(12)
        auth = DummyAuthorizer()
        auth.add_user(self.user, self.password, str(root), perm="elradfmwMT")
        handler = type("DemoHandler", (FTPHandler,), {"authorizer": auth, "banner": "exchange demo",
                                                      "log_prefix": ""})
        self._server = FTPServer(("127.0.0.1", 0), handler)
        self.port: int = self._server.socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="demo-ftpd", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            self._server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        self._server.close_all()

    def url(self, folder: str) -> str:
        """The endpoint URL of a folder on this server (no password: it comes from the environment)."""
        return f"ftp://{self.user}@127.0.0.1:{self.port}/{folder.strip('/')}/"

    @property
    def password_variable(self) -> str:
        """The environment variable the transports read this server's password from."""
        return f"EXCHANGE_PASSWORD_127_0_0_1_{self.user.upper()}"

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self._stop.set()
        self._thread.join(10)

    def __enter__(self) -> DemoFtpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
