"""``zkpor site serve``: a local preview of a built site on 127.0.0.1.

Only for looking at a site before publishing it: a plain static server with the MIME
types the verifier needs (``application/wasm`` for Pyodide, ``text/javascript`` for
``.mjs`` modules, which module scripts require). It binds to loopback only.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
from pathlib import Path
from typing import Any

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
