"""Readers of an attestation directory for CPython: a local folder or an http(s) URL.

``verifier.attestation`` reads files only through a ``read(name) -> bytes`` function; this
module makes them. The browser supplies its own reader over ``fetch`` and never imports
this module (nor, through it, ``urllib``). A reader raises ``FileNotFoundError`` for a
file that is not there and another ``OSError`` when it cannot read one.

Redirects: the http(s) reader follows a redirect only within the origin of the URL it was
given (same scheme, host and port; at most ``urllib``'s 10 in a row), e.g. a static host's
``/x`` to ``/x/``. A redirect to another scheme (https to http, or http to https), host or
port is refused with ``RedirectRefused``: whoever was asked for the attestation must serve
it, and an https fetch must never go on in the clear.

Failures that may not happen again (no answer, a reset, a body cut short, HTTP 5xx, 429,
408) raise ``verifier.download.DownloadError``; ``verifier.download.retrying`` asks once
more for such a file (the CLI wraps this reader with it).
"""

from __future__ import annotations

import http.client
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from verifier.download import DownloadError, status_error

#: The most a reader returns for one file, so a hostile server cannot exhaust memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Seconds to wait for an http(s) server before giving up.
TIMEOUT = 60.0
#: The only names with a folder: bucket files and their checksum list (``bundles/``), the
#: ceremony's transcript and co-signatures (``verifier.cosign``).
_BUNDLE_FILE = re.compile(
    r"bundles/(?:[0-9a-f]{1,8}\.bin|SHA256SUMS)|ceremony/transcript\.json"
    r"|signatures/[a-z0-9][a-z0-9-]{0,79}\.json"
)


def _check_name(name: str) -> None:
    """Refuse a file name that could reach outside the attestation directory.

    A name is a plain file name, or one of the fixed forms of ``_BUNDLE_FILE``. It raises
    an ``OSError`` (as for any file that cannot be read), so that a manifest listing
    ``../secret`` fails verification instead of crashing it.
    """
    if _BUNDLE_FILE.fullmatch(name):
        return
    if not name or any(bad in name for bad in ("/", "\\", "..", ":", "\0")):
        raise PermissionError(f"refusing to read {name!r}: not a plain file name")


def directory_reader(path: Path) -> Callable[[str], bytes]:
    """Return a reader of the files in the local folder ``path``."""

    def read(name: str) -> bytes:
        _check_name(name)
        file = path / name
        if file.stat().st_size > MAX_FILE_BYTES:
            raise OSError(f"{name} is larger than {MAX_FILE_BYTES} bytes")
        return file.read_bytes()

    return read


class RedirectRefused(OSError):
    """The server redirected a request to another scheme, host or port."""


def _origin(url: str) -> tuple[str, str, int | None]:
    """Return (scheme, host, port) of ``url``, the port made explicit."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no origin is equal to it
        port = -1
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects within the origin of the request; refuse every other one."""

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
    ) -> Any:
        # Checked before urllib's own scheme test, so that file: or ftp: gets this message.
        location = headers.get("location") or headers.get("uri")
        if location is not None:
            _check_redirect(req.full_url, urllib.parse.urljoin(req.full_url, location), code)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        _check_redirect(req.full_url, newurl, code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_redirect(url: str, target: str, code: int) -> None:
    """Raise ``RedirectRefused`` unless ``target`` has the origin of ``url``."""
    if _origin(target) != _origin(url):
        raise RedirectRefused(
            f"{url}: refusing a redirect (HTTP {code}) to {target}: another scheme, host or "
            "port than the attestation's URL"
        )


def _no_answer(reason: object, timeout: float) -> str:
    """Return in plain words why no (whole) answer came."""
    if isinstance(reason, ConnectionResetError):
        return "the connection was reset"
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    return f"no answer ({reason})"


def http_reader(base_url: str, timeout: float = TIMEOUT) -> Callable[[str], bytes]:
    """Return a reader of the files under ``base_url`` (http or https; 404 means absent).

    Redirects are followed only within the origin of ``base_url``; any other raises
    ``RedirectRefused`` (see the module docstring).
    """
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    base = base_url if base_url.endswith("/") else base_url + "/"
    opener = urllib.request.build_opener(_SameOriginRedirects())

    def read(name: str) -> bytes:
        _check_name(name)
        url = base + urllib.parse.quote(name)
        try:
            with opener.open(url, timeout=timeout) as response:
                data: bytes = response.read(MAX_FILE_BYTES + 1)
                announced = response.headers.get("Content-Length")
        except urllib.error.HTTPError as exc:
            raise status_error(url, exc.code) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.CertificateError):  # an answer: not retried
                raise OSError(f"{url}: {exc.reason}") from exc
            raise DownloadError(url, _no_answer(exc.reason, timeout)) from exc
        except (ConnectionError, TimeoutError) as exc:  # while reading the body
            raise DownloadError(url, _no_answer(exc, timeout)) from exc
        except http.client.HTTPException as exc:  # a garbled answer; not an OSError
            raise DownloadError(url, f"the answer could not be read ({exc!r})") from exc
        if len(data) > MAX_FILE_BYTES:
            raise OSError(f"{url} is larger than {MAX_FILE_BYTES} bytes")
        # urllib returns a body cut short without a word: compare it with its length.
        if announced is not None and announced.isdigit() and len(data) < int(announced):
            raise DownloadError(
                url, f"the connection closed after {len(data)} of {announced} bytes"
            )
        return data

    return read
