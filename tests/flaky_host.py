"""A static host that fails on purpose: ``zkpor site serve``'s server, told to answer the
next requests for a path with a failure (HTTP 503, a reset connection, a body cut short,
a 404), and counting every request it gets per path.

It is the honest way to test a retry: the browser's (or urllib's) requests really leave
and really fail, Web Worker requests included, and the count says how many were made.
"""

from __future__ import annotations

import collections
import functools
import socket
import struct
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from publisher.site.serve import REVALIDATE, SiteHandler, SiteServer
from tests.site_fixtures import running

#: What a planned failure can be: an HTTP status (sent with ``send_error``), ``reset``
#: (the connection closed with a TCP RST, nothing sent), ``truncate`` (200 with the
#: file's length announced, half its bytes sent, then the connection closed).
FAILURES = ("503", "500", "429", "404", "403", "reset", "truncate")


class _FlakyHandler(SiteHandler):
    server: FlakyServer

    def cache_control(self, code: int) -> str:
        return REVALIDATE  # the browser asks again every time: every request is counted

    def do_GET(self) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        failure = self.server.next_failure(path)
        if failure is None:
            super().do_GET()
        elif failure == "reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif failure == "truncate":
            data = Path(self.translate_path(self.path)).read_bytes()
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
        else:
            self.send_error(int(failure))


class FlakyServer(SiteServer):
    """A static server of one folder on 127.0.0.1 that fails the requests it is told to."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_FlakyHandler, directory=str(root))
        super().__init__(("127.0.0.1", 0), handler)
        self._lock = threading.Lock()
        self._plan: dict[str, list[str]] = {}
        #: GET requests received, by URL path ("/attestation/bundles/01.bin")
        self.counts: collections.Counter[str] = collections.Counter()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fail(self, path: str, *failures: str) -> None:
        """Answer the next ``len(failures)`` requests for ``path`` with ``failures``, in
        order (then serve it normally); forget its count so far."""
        assert all(f in FAILURES for f in failures), failures
        with self._lock:
            self._plan[path] = list(failures)
            self.counts[path] = 0

    def next_failure(self, path: str) -> str | None:
        with self._lock:
            self.counts[path] += 1
            planned = self._plan.get(path)
            return planned.pop(0) if planned else None


@contextmanager
def flaky(root: Path) -> Iterator[FlakyServer]:
    """Serve ``root`` with a ``FlakyServer`` in a thread for the duration of the block."""
    with running(FlakyServer(root)) as server:
        yield server
