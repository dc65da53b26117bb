"""``zkpor site serve``: a local preview of a built site on 127.0.0.1.

Only for looking at a site before publishing it: a plain static server with the MIME
types the verifier needs (``application/wasm`` for Pyodide, ``text/javascript`` for
``.mjs`` modules, which module scripts require). It binds to loopback only.

It sends the caching headers a host should (docs/site.md): ``IMMUTABLE`` for the
content-addressed files under ``v/`` (``publisher.site.addressed``), whose names change
with their content, and ``REVALIDATE`` for everything else (the pages, ``attestation/``,
``SHA256SUMS``), which a browser may keep but must check again before each use.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
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


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the verifier's MIME types; quiet unless asked."""

    extensions_map = {  # noqa: RUF012 - the stdlib declares it as a plain class attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }
    quiet = True
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

    def handle(self) -> None:
        # A browser may drop a connection it no longer needs (a cancelled fetch).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def make_server(
    site: Path, port: int = 8000, quiet: bool = True
) -> http.server.ThreadingHTTPServer:
    """Return a server of ``site`` on 127.0.0.1:``port`` (0 picks a free port)."""
    handler_class = type("Handler", (SiteHandler,), {"quiet": quiet})
    handler = functools.partial(handler_class, directory=str(site))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
