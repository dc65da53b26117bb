"""``zkpor site serve``: a local preview of a built site on 127.0.0.1.

Only for looking at a site before publishing it: a plain static server with the MIME
types the verifier needs (``application/wasm`` for Pyodide, ``text/javascript`` for
``.mjs`` modules, which module scripts require). It binds to loopback only.

It sends the caching headers a host should (docs/site.md): ``IMMUTABLE`` for the
content-addressed files under ``v/`` (``publisher.site.addressed``), whose names change
with their content, and ``REVALIDATE`` for everything else (the pages, ``attestation/``,
``SHA256SUMS``), which a browser may keep but must check again before each use.

It compresses what compresses (``COMPRESSIBLE``: Pyodide's WebAssembly and standard
library, scripts, the uncompressed wheels, JSON, pages) with gzip when the browser accepts
it, as GitHub Pages does: a first visit then moves about a third of the bytes. The
compressed bytes are made once per file version and are deterministic (no timestamp);
subresource integrity covers the decoded bytes, so the pins are unchanged.

Many browsers fetch at once (bench/load.py): each connection has its own thread, is kept
alive between requests (HTTP/1.1, as static hosts do; closed after ``IDLE_SECONDS``
without a request) and sends without Nagle's delay, and up to ``BACKLOG`` connections may
wait to be accepted. With the standard library's defaults (HTTP/1.0: a new connection
per request; a backlog of 5), 32 clients asking at once lost connections the kernel
dropped and waited from 1 s to a minute for TCP to send them again.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import functools
import gzip
import http.server
import io
import os
import threading
import urllib.parse
from http import HTTPStatus
from pathlib import Path
from typing import Any

from publisher.site.addressed import is_content_addressed

#: Cache-Control of a content-addressed file: a year, and never revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Cache-Control of every other response.
REVALIDATE = "no-cache"

MIME_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".whl": "application/zip",
    ".svg": "image/svg+xml",
}


#: Files sent gzip-compressed to a browser that accepts it.
COMPRESSIBLE = frozenset(
    {".wasm", ".zip", ".whl", ".js", ".mjs", ".json", ".html", ".css", ".txt", ".svg", ".xml"}
)
_GZIP_CACHE_FILES = 64
#: Connections waiting to be accepted (socketserver's default is 5; the kernel caps it at
#: net.core.somaxconn).
BACKLOG = 1024
#: Seconds a kept-alive connection may stay idle (or a request take to arrive) before
#: its thread closes it.
IDLE_SECONDS = 60.0


@functools.lru_cache(maxsize=_GZIP_CACHE_FILES)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    """Return the gzip of the file at ``path`` (keyed by its version: mtime and size)."""
    with open(path, "rb") as f:
        data = f.read()
    return gzip.compress(data, compresslevel=6, mtime=0)


_GZIP_LOCK = threading.Lock()


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the verifier's MIME types; quiet unless asked."""

    extensions_map = {  # noqa: RUF012 - the stdlib declares it as a plain class attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }
    quiet = True
    #: Keep connections alive between requests: every response says how long it is.
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    #: TCP_NODELAY: on a kept-alive connection the headers and the body are two writes,
    #: and Nagle's algorithm held the body back until the browser's delayed ACK (40 ms).
    disable_nagle_algorithm = True
    _code = 0  # the status of the response being sent

    def send_response(self, code: int, message: str | None = None) -> None:
        self._code = code
        super().send_response(code, message)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", self.cache_control(self._code))
        super().end_headers()

    def cache_control(self, code: int) -> str:
        """Return the Cache-Control of the response (status ``code``) to this request."""
        if code in (HTTPStatus.OK, HTTPStatus.NOT_MODIFIED):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            if is_content_addressed(path.removeprefix("/")):
                return IMMUTABLE
        return REVALIDATE

    def send_head(self) -> Any:
        """Send the headers of a GET or HEAD; a compressible file goes gzip-compressed to
        a browser that accepts it (``Vary: Accept-Encoding``), everything else as the
        standard library sends it."""
        path = self.translate_path(self.path)
        if os.path.isdir(path) and urllib.parse.urlsplit(self.path).path.endswith("/"):
            path = os.path.join(path, "index.html")  # a page (a folder's index)
        accepts = self.headers.get("Accept-Encoding", "")
        if (
            "gzip" not in [part.split(";")[0].strip() for part in accepts.split(",")]
            or os.path.splitext(path)[1] not in COMPRESSIBLE
            or not os.path.isfile(path)
        ):
            return super().send_head()
        stat = os.stat(path)
        if self._not_modified(stat.st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            return None
        with _GZIP_LOCK:
            body = _gzipped(path, stat.st_mtime_ns, stat.st_size)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)

    def _not_modified(self, mtime: float) -> bool:
        """Return whether the request's If-Modified-Since covers ``mtime`` (as the
        standard library decides it; If-None-Match is not used: no ETags are sent)."""
        since = self.headers.get("If-Modified-Since")
        if since is None or "If-None-Match" in self.headers:
            return False
        try:
            when = email.utils.parsedate_to_datetime(since)
        except (TypeError, IndexError, OverflowError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        return int(mtime) <= when.timestamp()

    def handle(self) -> None:
        # A browser may drop a connection it no longer needs (a cancelled fetch).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def log_error(self, format: str, *args: Any) -> None:
        # An idle kept-alive connection timing out is routine, not an error.
        if not format.startswith("Request timed out"):
            super().log_error(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    """A thread per connection, and room for ``BACKLOG`` connections to wait."""

    daemon_threads = True
    request_queue_size = BACKLOG


def make_server(site: Path, port: int = 8000, quiet: bool = True) -> SiteServer:
    """Return a server of ``site`` on 127.0.0.1:``port`` (0 picks a free port)."""
    handler_class = type("Handler", (SiteHandler,), {"quiet": quiet})
    handler = functools.partial(handler_class, directory=str(site))
    return SiteServer(("127.0.0.1", port), handler)
