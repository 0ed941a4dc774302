"""A pyftpdlib server for the benchmark, in its own process: prints its port, serves until killed."""

from __future__ import annotations

import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main() -> None:
    root, user, password = sys.argv[1:4]
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    auth = DummyAuthorizer()
    auth.add_user(user, password, root, perm="elradfmwMT")
    handler = type("Handler", (FTPHandler,), {"authorizer": auth, "use_sendfile": True,
                                             "banner": "bench"})
    server = FTPServer(("127.0.0.1", 0), handler)
    print(server.socket.getsockname()[1], flush=True)  # readiness: the port, once listening
    server.serve_forever(timeout=0.5)


if __name__ == "__main__":
    main()
