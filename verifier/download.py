"""A published file whose download failed is fetched once more, then reported plainly.

Both readers of a served attestation use this: the CLI's (``verifier.fetch.http_reader``,
urllib) and the browser's (``verifier.web.js_reader``, the worker's synchronous requests).
They raise ``DownloadError`` for a failure that may not happen again:

- no answer: the connection was refused, reset or timed out, or a network error;
- a body cut short: fewer bytes than the response's Content-Length;
- HTTP 5xx (the server or a proxy failed), 429 (too many requests) or 408 (timeout).

``retrying`` wraps such a reader: after a ``DownloadError`` it waits ``RETRY_DELAY``
seconds and asks once more; a second ``DownloadError`` becomes ``DownloadFailed``, whose
message names the file, its URL and both reasons and says to try again later, e.g.
"could not download bundles/3f.bin from https://…/attestation/bundles/3f.bin: the server
answered 503 twice; try again later". The steps report it as the reason they could not
check what they needed (a FAIL, never an OK), and the run does not pass. A file that
failed twice is not asked for again in the same run: a later step that needs it gets
the same ``DownloadFailed`` at once.

Not retried, because they are answers, not failures to answer: HTTP 404 and 410
(``FileNotFoundError``: a bucket file that is not there means "no bundle for this code",
any other file is missing from the attestation), any other 4xx, a redirect refused, a file
over the size limit. Nor is a complete file whose hash is wrong: TCP checksums and TLS
authenticates what arrives, so a body of the announced length with other bytes is what
the server sent, not line noise; asking again would only let the server choose which of
two answers the verifier judges (each file is judged as first read, see
``verifier.user``), so a hash mismatch is reported at once as a failed check.

Pure standard library: the browser runs it (``time.sleep`` busy-waits under Pyodide, so
the worker passes its own ``sleep``, ``verifier.web``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: Seconds between a failed download and the one retry.
RETRY_DELAY = 0.75

Reader = Callable[[str], bytes]


class DownloadError(OSError):
    """One download of ``url`` failed in a way that may not happen again (``reason``,
    in plain words: "the server answered 503", "the connection was reset")."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class DownloadFailed(OSError):
    """File ``name`` could not be downloaded: it failed, then failed again."""

    def __init__(self, name: str, first: DownloadError, second: DownloadError) -> None:
        self.name = name
        self.url = second.url
        if first.reason == second.reason:
            self.reason = f"{first.reason} twice"
        else:
            self.reason = f"{first.reason}, then {second.reason}"
        super().__init__(
            f"could not download {name} from {self.url}: {self.reason}; try again later"
        )


def is_transient_status(status: int) -> bool:
    """Return whether an HTTP ``status`` says "not now" rather than "no": worth one more
    request."""
    return status >= 500 or status in (408, 429)


def status_error(url: str, status: int) -> OSError:
    """Return the error of an HTTP answer ``status`` (not 200) for ``url``:
    ``FileNotFoundError`` for 404 and 410, ``DownloadError`` for a transient status,
    a plain ``OSError`` for any other."""
    if status in (404, 410):
        return FileNotFoundError(f"{url}: HTTP {status}")
    if is_transient_status(status):
        return DownloadError(url, f"the server answered {status}")
    return OSError(f"{url}: the server answered {status}")


def retrying(
    read: Reader,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[str, DownloadError], None] | None = None,
    delay: float = RETRY_DELAY,
) -> Reader:
    """Return ``read`` asking once more, ``delay`` seconds later, for a file whose read
    raised ``DownloadError``; a second ``DownloadError`` raises ``DownloadFailed`` (and
    so does every later read of that file, without asking again). ``on_retry(name,
    error)`` is called before the wait."""
    failed: dict[str, tuple[DownloadError, DownloadError]] = {}

    def reader(name: str) -> bytes:
        if name in failed:
            raise DownloadFailed(name, *failed[name])
        try:
            return read(name)
        except DownloadError as first:
            if on_retry is not None:
                on_retry(name, first)
            sleep(delay)
            try:
                return read(name)
            except DownloadError as second:
                failed[name] = (first, second)
                raise DownloadFailed(name, first, second) from second

    return reader
