"""Helpers for the in-browser tests of the static site: a small attestation with reserves,
a recording static server, Debian's chromium under Playwright, and the Verify page's
results read back from the DOM.

Nothing here mocks the crypto or the browser: the attestation is really proven, the site
really built, and the checks run in Pyodide inside chromium.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import http.server
import shutil
import socketserver
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from publisher.attest.ingest import read_liabilities
from publisher.attest.pipeline import CODES, inputs_digest, prove_attestation
from publisher.config import load_config
from publisher.reserves.ingest import read_reserves
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from publisher.site.build import BuildOptions, build_site
from publisher.site.serve import REVALIDATE, SiteHandler
from publisher.snark.circuit import CircuitShape
from publisher.snark.keys import Keys
from tests.snapshots import ACCOUNTS, dev_keys_for, write_inputs
from verifier.bundle import bucket_index, bucket_name, derive
from verifier.codes import parse_code
from verifier.manifest import Manifest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
#: The flags the site's browser tests and bench/browser.py launch chromium with.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The Verify page's time to load Pyodide and run a check, with room for a busy machine.
TIMEOUT_MS = 180_000


# --- the attestation -----------------------------------------------------------------


@dataclass(frozen=True)
class SmallAttestation:
    """A proven attestation of ``tests.attest.test_pipeline.ACCOUNTS``, with signed reserves."""

    folder: Path
    private: Path
    manifest: Manifest
    codes: dict[str, str]


def test_reserves(liabilities: Path, config: Path) -> list[DemoWallet]:
    """Return reserve wallets covering each asset at 110%: BTC in two Bitcoin wallets,
    USDT in one Solana wallet (so the browser checks an Ed25519 signature too)."""
    cfg = load_config(config)
    totals = dict(
        zip((a.symbol for a in cfg.assets), read_liabilities(liabilities, cfg).totals, strict=True)
    )
    btc = -(-totals["BTC"] * 110 // 100)
    return [
        DemoWallet("bitcoin", "BTC", "cold-1", btc - btc // 3, "924000"),
        DemoWallet("bitcoin", "BTC", "cold-2", btc // 3, "924000"),
        DemoWallet("solana", "USDT", "sol-usdt", -(-totals["USDT"] * 110 // 100), cfg.as_of),
    ]


test_reserves.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def make_attestation(
    root: Path, keys_for: Callable[[CircuitShape], Keys] = dev_keys_for
) -> SmallAttestation:
    """Prove ``ACCOUNTS`` (4 batches of 4 leaves, development setup unless ``keys_for``
    serves other keys, e.g. ``tests.ceremony_fixtures``) with signed reserves, the way
    ``zkpor prove --reserves`` does: the CSV is written, then read and checked."""
    csv_path, toml_path = write_inputs(root / "input", ACCOUNTS, pad_to=16)
    config = load_config(toml_path)
    wallets = sign_test_wallets(config.attestation_id, test_reserves(csv_path, toml_path))
    reserves_path = root / "input" / "reserves.csv"
    decimals = {a.symbol: a.decimals for a in config.assets}
    reserves_path.write_bytes(reserves_csv(wallets, decimals))
    reserves, _ = read_reserves(reserves_path, config)
    folder, private = root / "attestation", root / "private"
    with ProcessPoolExecutor(2) as pool:
        manifest = prove_attestation(
            read_liabilities(csv_path, config),
            config,
            inputs_digest(csv_path, toml_path),
            folder,
            private,
            keys_for,
            pool,
            in_flight=2,
            reserves=reserves,
        )
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        codes = {row["user_id"]: row["code"] for row in csv.DictReader(f)}
    return SmallAttestation(folder, private, manifest, codes)


def make_site(attestation: SmallAttestation, out: Path) -> Path:
    """Build the static site of a development-setup attestation at ``out``."""
    return build_site(attestation.folder, out, BuildOptions(allow_insecure_dev_setup=True))


# --- tampering with a copy of a site ---------------------------------------------------


def copy_site(site: Path, out: Path) -> Path:
    """Return a fresh copy of ``site`` at ``out``, to tamper with."""
    shutil.copytree(site, out)
    return out


def flip_byte(path: Path, offset: int) -> None:
    """Flip the lowest bit of the byte at ``offset`` (negative: from the end) of ``path``."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 1
    path.write_bytes(bytes(data))


def record_of(attestation_dir: Path, manifest: Manifest, code: str) -> tuple[Path, int]:
    """Return the bucket file holding ``code``'s record, and the record's offset in it."""
    info = manifest.bundles
    assert info is not None
    lookup = derive(parse_code(code), manifest.attestation_id, info.run_salt).lookup
    path = attestation_dir / bucket_name(bucket_index(lookup, info.bucket_bits), info.bucket_bits)
    data = path.read_bytes()
    for offset in range(0, len(data), info.record_size):
        if data[offset : offset + len(lookup)] == lookup:
            return path, offset
    raise AssertionError(f"no record of the code in {path}")


def rehash_in_manifest(attestation_dir: Path, name: str, old: bytes) -> None:
    """Replace the sha256 of ``old`` (the former bytes of ``name``) in attestation.json by
    that of the file's current bytes, leaving the manifest otherwise byte for byte."""
    manifest = attestation_dir / "attestation.json"
    text = manifest.read_text(encoding="utf-8")
    before, after = (
        hashlib.sha256(old).hexdigest(),
        hashlib.sha256((attestation_dir / name).read_bytes()).hexdigest(),
    )
    assert text.count(before) == 1, f"attestation.json lists the sha256 of {name} once"
    manifest.write_text(text.replace(before, after), encoding="utf-8")


# --- serving a site --------------------------------------------------------------------


class _RecordingHandler(SiteHandler):
    """``zkpor site serve``'s handler, also keeping every request line and its headers.

    Responses say ``Cache-Control: no-cache``, even for the content-addressed files
    ``zkpor site serve`` lets a browser keep for a year: the browser may keep them but
    asks again (a conditional GET) before each use, so every request it makes reaches the
    record.
    """

    server: RecordingServer

    def cache_control(self, code: int) -> str:
        return REVALIDATE

    def parse_request(self) -> bool:
        ok = super().parse_request()
        headers = "".join(f"{k}: {v}\n" for k, v in (self.headers or {}).items())
        self.server.seen.append(f"{self.raw_requestline.decode('latin-1')}{headers}")
        return ok


class RecordingServer(http.server.ThreadingHTTPServer):
    """A static server of one site on 127.0.0.1 that records what it was sent."""

    daemon_threads = True

    def __init__(self, site: Path) -> None:
        handler = functools.partial(_RecordingHandler, directory=str(site))
        super().__init__(("127.0.0.1", 0), handler)
        #: every request received: the request line, then its headers, as text
        self.seen: list[str] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


S = TypeVar("S", bound=socketserver.BaseServer)


@contextmanager
def running(server: S) -> Iterator[S]:
    """Run ``server`` in a thread for the duration of the block, then close it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serving(site: Path) -> Iterator[RecordingServer]:
    """Serve ``site`` in a thread for the duration of the block."""
    with running(RecordingServer(site)) as server:
        yield server


# --- the browser -----------------------------------------------------------------------


def require_browser() -> Playwright:
    """Return a started Playwright, or FAIL (not skip) if Playwright or chromium is
    missing: the browser tests are part of the suite."""
    hint = "run `make test`, which installs Playwright and Debian's chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"the Python package playwright is not installed: {hint}", pytrace=False)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (Debian package chromium): {hint}", pytrace=False)
    return sync_playwright().start()


def launch(playwright: Playwright, profile: Path) -> BrowserContext:
    """Launch Debian's chromium, headless, with a persistent profile in ``profile``."""
    context = playwright.chromium.launch_persistent_context(
        user_data_dir=str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """Debian's chromium on the fresh profile ``profile`` (``launch``), closed at the end:
    the body of every module's ``browser`` fixture."""
    playwright = require_browser()
    context = launch(playwright, profile)
    try:
        yield context
    finally:
        context.close()
        playwright.stop()


@dataclass
class PageRun:
    """One visit of the Verify page: the page, and what the browser asked for meanwhile."""

    page: Page
    #: (method, url, post data, headers) of every request the context saw, worker included
    requests: list[tuple[str, str, str | None, dict[str, str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def visit(context: BrowserContext, url: str) -> Iterator[PageRun]:
    """Open ``url`` in a new page, recording every request of the context until the block
    ends (the worker's too: Playwright reports them on the context), then close the page."""
    page = context.new_page()
    run = PageRun(page)

    def on_request(request: Any) -> None:
        run.requests.append((request.method, request.url, request.post_data, request.headers))

    context.on("request", on_request)
    page.on("pageerror", lambda error: run.errors.append(str(error)))
    try:
        page.goto(url)
        yield run
    finally:
        context.remove_listener("request", on_request)
        page.close()


def submit_code(page: Page, code: str) -> str:
    """Type ``code`` into the Verify page, submit it once the verifier is ready, and
    return how the run ended: ``passed``, ``failed`` or ``error``."""
    # Wait for the verifier first: a code already in the field when it becomes ready is
    # checked at once, and a click after that would start a second run.
    page.wait_for_selector("#zkpor-form button[type=submit]:enabled")
    page.fill("#zkpor-code", code)
    page.click("#zkpor-form button[type=submit]")
    return wait_done(page)


def wait_done(page: Page) -> str:
    """Wait for the current run to end; return ``document.body.dataset.zkporDone``."""
    page.wait_for_selector("body[data-zkpor-done]", state="attached")
    return str(page.evaluate("document.body.dataset.zkporDone"))


@dataclass(frozen=True)
class ShownStep:
    """One check as the page shows it."""

    step: str
    status: str
    name: str
    detail: str


def shown_steps(page: Page, list_id: str) -> list[ShownStep]:
    """Return the items of the step list ``#list_id``, in page order."""
    items = page.evaluate(
        """(id) => [...document.querySelectorAll(`#${id} > li`)].map((li) => ({
            step: li.dataset.step, status: li.dataset.status,
            name: li.querySelector("strong")?.textContent ?? "",
            detail: li.querySelector("span:last-child")?.textContent ?? "",
        }))""",
        list_id,
    )
    return [ShownStep(**item) for item in items]


def status_line(page: Page) -> tuple[str, str]:
    """Return the status line's text and its ``data-state``."""
    status = page.locator("#zkpor-status")
    return status.inner_text(), status.get_attribute("data-state") or ""
