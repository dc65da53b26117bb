"""Attack: a host serving a zkpor/2 site (a book of equity and debt) changes what the
browser reads; the Verify page (Pyodide in Debian's chromium) must catch it.

Issue 13. The site of ``tests.book_fixtures``' attestation (three assets, two shapes, a
margin account, signed reserves, one real ceremony per shape) is built once and served on
127.0.0.1. The untouched site passes *Verify all*'s nine zkpor/2 steps, with its progress
line, and a margin account's code shows, per asset held, its equity and debt, its
collateral and debt values and its margin ratio, then the statement the proofs back (only
once every step passed). Then the host tampers with a copy:

- a manifest total swapped (USDT equity one unit higher, every derived field rewritten
  to match) passes the manifest, the keys and the proofs, and fails at the totals step:
  the masked totals of the batches no longer open to it;
- a flipped byte in the account's encrypted record fails the account's check at its first
  step, as ``zkpor verify-user`` says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from publisher.crypto import NaclBackend
from tests.book_fixtures import (  # noqa: F401  (pytest fixtures)
    MARGIN_ACCOUNT,
    BookAttestation,
    book_attestation,
    book_ceremony,
    book_site,
)
from tests.site_fixtures import (
    RecordingServer,
    ShownStep,
    chromium,
    copy_site,
    flip_byte,
    record_of,
    serving,
    shown_steps,
    status_line,
    submit_code,
    visit,
    wait_done,
)
from verifier.attestation2 import STEP_NAMES2
from verifier.fetch import directory_reader
from verifier.manifest import MANIFEST
from verifier.manifest2 import Manifest2
from verifier.user import UserOptions, verify_user
from verifier.user2 import STATEMENT, USER_STEP_NAMES2

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TOTALS_STEP = 4


@pytest.fixture(scope="module")
def server(book_site: Path) -> Iterator[RecordingServer]:  # noqa: F811
    with serving(book_site) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def verify_all(page: Page) -> str:
    page.wait_for_selector("#zkpor-all:enabled")
    page.click("#zkpor-all")
    return wait_done(page)


def test_verify_all_passes_the_nine_book_steps_with_a_progress_line(
    browser: BrowserContext, server: RecordingServer
) -> None:
    with visit(browser, f"{server.origin}/verify/") as run:
        assert verify_all(run.page) == "passed"
        steps = shown_steps(run.page, "zkpor-all-steps")
        assert [s.name for s in steps] == list(STEP_NAMES2)
        assert [s.status for s in steps] == ["OK"] * 9, steps
        assert steps[TOTALS_STEP - 1].name == "totals"
        text, state = status_line(run.page)
        assert state == "ok", text
        assert "all 4 batch proofs and the 9 checks of zkpor verify passed" in text
        assert "equity and debt of every asset are proven" in text
        assert run.page.inner_text("#zkpor-all-count") == "4 of 4 batch proofs checked"
        assert run.page.evaluate("document.getElementById('zkpor-all-progress').value") == 4
        assert not run.errors


def test_a_margin_account_shows_its_equity_debt_values_and_margin(
    browser: BrowserContext,
    server: RecordingServer,
    book_attestation: BookAttestation,  # noqa: F811
) -> None:
    code = book_attestation.codes[MARGIN_ACCOUNT]
    with visit(browser, f"{server.origin}/verify/") as run:
        page = run.page
        assert submit_code(page, code) == "passed"
        steps = shown_steps(page, "zkpor-user-steps")
        assert [s.name for s in steps] == list(USER_STEP_NAMES2)
        assert [s.status for s in steps] == ["OK"] * 7, steps
        account = page.inner_text("#zkpor-account")
        assert f"Account id: {MARGIN_ACCOUNT}" in account
        # bob: 0.5 BTC held (50,000,000 units), 15,000 USDT owed (15,000,000,000 units).
        rows = page.evaluate(
            """() => [...document.querySelectorAll('#zkpor-account tbody tr')].map(
                (tr) => [...tr.children].map((c) => c.textContent))"""
        )
        assert rows == [
            ["BTC", "0.5 (50,000,000 units)", "0 (0 units)"],
            ["USDT", "0 (0 units)", "15,000 (15,000,000,000 units)"],
        ]
        # Collateral: 10,000 USD at 100% and 15,000 USD at 90%; margin 23,500 / 15,000.
        assert "Collateral value: 23,500 USD" in account
        assert "Debt value: 15,000 USD" in account
        assert "Margin ratio: 1.5666 (collateral value / debt value)" in account
        # Every step passed: the statement the proofs back is shown (the id still to confirm).
        statement = page.locator("#zkpor-book-statement")
        assert statement.inner_text() == STATEMENT[0].upper() + STATEMENT[1:] + "."
        assert status_line(page)[1] == "confirm"
        page.click("#zkpor-confirm-yes")
        assert status_line(page)[1] == "ok"
        assert page.evaluate("document.body.dataset.zkporVerdict") == "ok"
        # The receipt records the entries, the values and the statement; never the code.
        with page.expect_download() as download:
            page.click("#zkpor-receipt")
        text = Path(download.value.path()).read_text(encoding="utf-8")
        assert code not in text and code.replace("-", "") not in text
        receipt = json.loads(text)["account"]
        assert receipt["user_id"] == MARGIN_ACCOUNT and receipt["confirmed_as_mine"] is True
        assert [(e["asset"], e["equity"], e["debt"]) for e in receipt["entries"]] == [
            ("BTC", "50000000", "0"),
            ("USDT", "0", "15000000000"),
        ]
        assert (receipt["collateral_value"], receipt["debt_value"], receipt["margin"]) == (
            "23500",
            "15000",
            "1.5666",
        )
        assert receipt["statement"] == statement.inner_text()
        assert not run.errors


def test_an_account_without_debt_says_so(
    browser: BrowserContext,
    server: RecordingServer,
    book_attestation: BookAttestation,  # noqa: F811
) -> None:
    with visit(browser, f"{server.origin}/verify/") as run:
        assert submit_code(run.page, book_attestation.codes["dave"]) == "passed"
        account = run.page.inner_text("#zkpor-account")
        assert "Margin ratio: no debt" in account and "Debt value: 0 USD" in account
        held = run.page.evaluate(
            "() => [...document.querySelectorAll('#zkpor-account tbody th')].map((th) => "
            "th.textContent)"
        )
        assert held == ["BTC", "ETH", "USDT"]


def swapped_total(attestation: Path) -> None:
    """Raise USDT's published equity by one unit, every derived field rewritten to match
    (the manifest is what zkpor/2 writes from its fields), the challenges left as they are."""
    path = attestation / MANIFEST
    manifest = Manifest2.from_json(json.loads(path.read_text(encoding="utf-8")))
    assets = list(manifest.assets)
    assets[2] = replace(assets[2], equity=assets[2].equity + 1)
    doc = replace(manifest, assets=tuple(assets)).to_json()
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def test_a_swapped_manifest_total_fails_at_the_totals_step(
    browser: BrowserContext,
    book_site: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    copy = copy_site(book_site, tmp_path / "site")
    swapped_total(copy / "attestation")
    with serving(copy) as running, visit(browser, f"{running.origin}/verify/") as run:
        assert verify_all(run.page) == "failed"
        steps = shown_steps(run.page, "zkpor-all-steps")
        text, state = status_line(run.page)
    assert state == "fail" and text.startswith("Some checks FAILED"), text
    assert [s.status for s in steps[: TOTALS_STEP - 1]] == ["OK"] * 3, steps
    failing = steps[TOTALS_STEP - 1]
    assert (failing.name, failing.status) == ("totals", "FAIL"), steps
    assert "Some checks FAILED" in text and "step 4, totals (FAIL)" in text


def test_a_tampered_bundle_fails_the_accounts_check(
    browser: BrowserContext,
    book_site: Path,  # noqa: F811
    book_attestation: BookAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    copy = copy_site(book_site, tmp_path / "site")
    code = book_attestation.codes[MARGIN_ACCOUNT]
    bucket, offset = record_of(copy / "attestation", book_attestation.manifest, code)  # type: ignore[arg-type]
    flip_byte(bucket, offset + 40)  # inside the encrypted record, past its lookup key
    with serving(copy) as running, visit(browser, f"{running.origin}/verify/") as run:
        assert submit_code(run.page, code) == "failed"
        steps = shown_steps(run.page, "zkpor-user-steps")
        assert run.page.locator("#zkpor-book-statement").count() == 0
        assert status_line(run.page)[1] == "fail"
    assert steps[0].name == "bundle" and steps[0].status == "FAIL", steps
    assert all(s.status != "OK" for s in steps[1:5]), steps
    cli = verify_user(
        directory_reader(copy / "attestation"),
        code,
        NaclBackend(),
        UserOptions(allow_unknown_phase1=True),
    )
    assert steps == [ShownStep(str(r.number), r.status, r.name, r.detail) for r in cli.results]
