"""A busy static host, in Debian's chromium (issue 17, item 6): the Verify page's worker
asks once more for a file whose download failed, and says plainly when it failed twice.

The site is the session's ceremony site (``tests/site/conftest.py``), served by
``tests.flaky_host.FlakyServer``: ``zkpor site serve``'s server, told to fail the next
requests for a path (HTTP 503, a body cut short) and counting every request per path. The
worker's requests really leave the browser and really fail, so the counts are what the
page did; no request is intercepted (Playwright's routing of Web Worker requests is not
relied on).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.flaky_host import FlakyServer, flaky
from tests.site_fixtures import (
    ShownStep,
    SmallAttestation,
    record_of,
    shown_steps,
    status_line,
    submit_code,
    visit,
)
from verifier.bundle import NO_BUNDLE
from verifier.codes import format_code

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

USER_A, USER_B = "zoë", "李雷"


@pytest.fixture(scope="module")
def host(site: Path) -> Iterator[FlakyServer]:
    with flaky(site) as server:
        yield server


def bucket_of(small: SmallAttestation, user: str) -> str:
    """The URL path of the bucket file holding ``user``'s record."""
    path, _ = record_of(small.folder, small.manifest, small.codes[user])
    return f"/attestation/bundles/{path.name}"


def record_statuses(page: Page) -> None:
    """Keep every text the status line shows from now on, in ``window.statuses``."""
    page.evaluate(
        """() => { window.statuses = []; const status = document.getElementById("zkpor-status");
        new MutationObserver(() => window.statuses.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true}); }"""
    )


def test_a_bucket_that_fails_once_is_fetched_again_and_the_check_passes(
    browser: BrowserContext, small: SmallAttestation, host: FlakyServer
) -> None:
    bucket = bucket_of(small, USER_A)
    name = bucket.removeprefix("/attestation/")
    host.fail(bucket, "503")
    with visit(browser, f"{host.origin}/verify/") as run:
        page = run.page
        page.wait_for_selector("#zkpor-form button[type=submit]:enabled")
        record_statuses(page)
        assert submit_code(page, small.codes[USER_A]) == "passed"
        assert host.counts[bucket] == 2, "one failure, one retry"
        assert [s.status for s in shown_steps(page, "zkpor-user-steps")] == ["OK"] * 7
        # Nothing alarming: a discreet note while it retried, gone with the verdict.
        assert (
            f"Checking your account… ({name}: the server answered 503; trying once more)"
            in page.evaluate("window.statuses")
        )
        text, state = status_line(page)
        assert state == "confirm" and text.startswith("Every check passed"), text
        page.click("#zkpor-confirm-yes")
        assert page.evaluate("document.body.dataset.zkporVerdict") == "ok"
        assert "download" not in page.inner_text("#zkpor-advice").replace("Download the", "")


def test_a_bucket_that_fails_twice_is_named_and_nothing_is_verified(
    browser: BrowserContext, small: SmallAttestation, host: FlakyServer
) -> None:
    bucket = bucket_of(small, USER_B)
    name = bucket.removeprefix("/attestation/")
    url = f"{host.origin}{bucket}"
    host.fail(bucket, "503", "503")
    with visit(browser, f"{host.origin}/verify/") as run:
        page = run.page
        assert submit_code(page, small.codes[USER_B]) == "failed"
        assert host.counts[bucket] == 2, "asked exactly twice"
        assert status_line(page) == (
            f"Could not download {name} from {url}: the server answered 503 twice. Try again "
            "later: your account was not verified.",
            "fail",
        )
        steps = shown_steps(page, "zkpor-user-steps")
        detail = f"could not download {name} from {url}: the server answered 503 twice"
        assert steps[0] == ShownStep("1", "FAIL", "bundle", f"{detail}; try again later")
        assert [s.status for s in steps[1:5]] == ["SKIP"] * 4
        assert page.evaluate("document.body.dataset.zkporVerdict") is None  # never green
        assert page.locator("#zkpor-account").is_hidden()  # no balances were opened
        advice = page.inner_text("#zkpor-advice")
        assert "could not be downloaded" in advice and "proves nothing" in advice
        assert "passed" not in page.inner_text("#zkpor-status").lower()
        # Try again later: the next run asks afresh, and the host answers now.
        assert submit_code(page, small.codes[USER_B]) == "passed"
        assert host.counts[bucket] == 3


def test_a_busy_host_while_the_verifier_loads_costs_one_retry_per_file(
    browser: BrowserContext, small: SmallAttestation, site: Path, host: FlakyServer
) -> None:
    """A pinned file (the verifier's wheel) answers 503 once and a common attestation file
    fetched while Pyodide starts (proofs.json) is cut short once: both are fetched again,
    and the check passes. A bucket file that is not there (404) is an answer, asked once."""
    wheel = "/" + next(site.glob("v/*/zkpor_verifier-*.whl")).relative_to(site).as_posix()
    proofs = "/attestation/proofs.json"
    host.fail(wheel, "503")
    host.fail(proofs, "truncate")
    with visit(browser, f"{host.origin}/verify/") as run:
        assert submit_code(run.page, small.codes[USER_A]) == "passed"
        assert (host.counts[wheel], host.counts[proofs]) == (2, 2)
        assert run.errors == []
        # A well-formed code whose bucket file is not there (every bucket answers 404
        # once): "not found", after one request.
        buckets = [f"/attestation/bundles/{p.name}" for p in _buckets(site)]
        for bucket in buckets:
            host.fail(bucket, "404")
        assert submit_code(run.page, format_code(bytes(16))) == "failed"
        steps = shown_steps(run.page, "zkpor-user-steps")
        assert steps[0] == ShownStep("1", "FAIL", "bundle", NO_BUNDLE)
        assert sum(host.counts[bucket] for bucket in buckets) == 1, "a 404 is not retried"
        assert "Your code was not found" in run.page.inner_text("#zkpor-advice")


def _buckets(site: Path) -> list[Path]:
    return sorted((site / "attestation" / "bundles").glob("*.bin"))
