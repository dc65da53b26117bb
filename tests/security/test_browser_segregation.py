"""Attack: a host serving a segregated, co-signed attestation changes what the browser reads.

Issue 16. The site of an attestation with wallet roles (customer wallets, a ZBTC vault,
a protection fund, corporate funds) and two pinned co-signers (Ed25519 through
libsodium.js, EIP-191 through py_ecc) is built once and served; the host is the adversary:
between visits it swaps files of the served ``attestation/`` folder, as any host can, and
rehashes the manifest where that helps it. The Verify page's *Verify all* (Pyodide in
Debian's chromium) must reject each change with a clear reason, at the step that catches
it, and never turn green:

- a wallet declared in two roles, a signature moved to another role, wrapped supply
  above its collateral (step 8, reserves);
- a co-signature over another attestation's manifest, over a modified manifest, by a key
  the manifest does not pin, and a pinned co-signer left out of the index (step 10).

The untouched site passes all ten steps and shows "co-signed by" on the Summary and under
Verify all. One site, one server and one chromium serve every case; each case is one visit.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from publisher.attest.cosign import SigningKeyFile, cosign, signature_file
from tests.ceremony_fixtures import (  # noqa: F401  (pytest fixtures)
    TestCeremony,
    ceremony,
    make_ceremony_site,
)
from tests.segregation_fixtures import (
    AUDITOR,
    AUDITOR_NAME,
    SECOND,
    SECOND_NAME,
    STRANGER,
    STRANGER_NAME,
    WRAPPED,
    make_segregated_attestation,
)
from tests.site_fixtures import (
    RecordingServer,
    ShownStep,
    SmallAttestation,
    chromium,
    serving,
    shown_steps,
    status_line,
    visit,
    wait_done,
)
from verifier.attestation import STEP_NAMES
from verifier.cosign import SIGNATURES_INDEX, index_to_json
from verifier.manifest import MANIFEST, RESERVES, backing_ratio, coverage_ratio, format_units

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RESERVES_STEP, COSIGN_STEP = 8, 10


@pytest.fixture(scope="module")
def segregated(
    ceremony: TestCeremony,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> SmallAttestation:
    """``tests.segregation_fixtures``' attestation, proven with the test ceremony's keys."""
    return make_segregated_attestation(tmp_path_factory.mktemp("segregated"), ceremony.keys_for())


@pytest.fixture(scope="module")
def site(
    segregated: SmallAttestation,
    ceremony: TestCeremony,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    return make_ceremony_site(segregated, ceremony, tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[RecordingServer]:
    with serving(site) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


# --- the host swaps files of the served attestation ------------------------------------

#: Each swap gets later modification times than the one before, so that the browser's
#: conditional requests (If-Modified-Since, one-second resolution) fetch the new bytes.
_LATER = itertools.count(1)


def _touch(path: Path) -> None:
    when = time.time() + 60 * next(_LATER)
    os.utime(path, (when, when))


@contextmanager
def hosted(site: Path, changes: dict[str, bytes | None]) -> Iterator[None]:
    """Serve ``site`` with the attestation files ``changes`` names replaced (None:
    removed) for the duration of the block, then put the originals back."""
    folder = site / "attestation"
    saved = {name: (folder / name).read_bytes() for name in changes if (folder / name).exists()}
    try:
        for name, data in changes.items():
            if data is None:
                (folder / name).unlink(missing_ok=True)
            else:
                (folder / name).write_bytes(data)
                _touch(folder / name)
        yield
    finally:
        for name in changes:
            (folder / name).unlink(missing_ok=True)
        for name, data in saved.items():
            (folder / name).write_bytes(data)
            _touch(folder / name)


def _json(doc: object) -> bytes:
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def _rehashed(files: dict[str, bytes], manifest: dict[str, object]) -> dict[str, bytes]:
    """Return ``files`` and the manifest listing their new sha256 (the host rewrites both)."""
    listed = manifest["files"]
    assert isinstance(listed, dict)
    for name, data in files.items():
        listed[name] = hashlib.sha256(data).hexdigest()
    return {**files, MANIFEST: _json(manifest)}


@dataclass(frozen=True)
class VerifyAll:
    """What one visit's Verify all showed."""

    done: str
    status: tuple[str, str]
    steps: list[ShownStep]
    cosign: str
    cosign_status: str


def verify_all(browser: BrowserContext, server: RecordingServer) -> VerifyAll:
    """Visit the Verify page, press Verify all, and return what the page showed."""
    with visit(browser, f"{server.origin}/verify/") as run:
        page = run.page
        page.wait_for_selector("#zkpor-all:enabled")
        page.click("#zkpor-all")
        done = wait_done(page)
        line = page.locator("#zkpor-cosign")
        return VerifyAll(
            done,
            status_line(page),
            shown_steps(page, "zkpor-all-steps"),
            line.inner_text() if line.is_visible() else "",
            line.get_attribute("data-status") or "",
        )


# --- the untouched site ----------------------------------------------------------------


def test_the_summary_shows_the_co_signers_funds_not_counted_and_the_wrapped_backing(
    browser: BrowserContext, server: RecordingServer
) -> None:
    with visit(browser, f"{server.origin}/") as run:
        summary = run.page.inner_text("article")
    assert f"Co-signed by {AUDITOR_NAME} (ed25519 key {AUDITOR.public_key()})" in summary
    assert f"Co-signed by {SECOND_NAME} (eip191 key {SECOND.public_key()})" in summary
    assert summary.count("key pinned by the manifest; OK: the signature matched") == 2
    assert "never counted as coverage" in summary
    assert "User protection fund" in summary and "Corporate funds" in summary
    assert "102.00% (backed 1:1)" in summary
    with visit(browser, f"{server.origin}/wrapped/") as run:
        wrapped = run.page.inner_text("article")
    assert f"5 {WRAPPED} at block" in wrapped and "5.1 BTC" in wrapped
    assert "FAIL" not in wrapped


def test_verify_all_passes_the_ten_steps_and_shows_the_co_signers(
    browser: BrowserContext, server: RecordingServer
) -> None:
    shown = verify_all(browser, server)
    assert shown.done == "passed", shown.steps
    assert [s.name for s in shown.steps] == list(STEP_NAMES)
    assert [s.status for s in shown.steps] == ["OK"] * 10
    assert shown.status[1] == "ok" and "the 10 checks of zkpor verify passed" in shown.status[0]
    reserves = shown.steps[RESERVES_STEP - 1].detail
    assert "every wrapped token backed 1:1 (ZBTC 1.0200)" in reserves
    assert "protection fund 1000 USDT (not counted as coverage)" in reserves
    # Step 10: the Ed25519 signature checked by libsodium.js, the EIP-191 one by py_ecc.
    cosigned = (
        f"co-signed by {AUDITOR_NAME} (ed25519 key {AUDITOR.public_key()}), pinned; "
        f"{SECOND_NAME} (eip191 key {SECOND.public_key()}), pinned"
    )
    assert shown.steps[COSIGN_STEP - 1].detail == cosigned
    assert shown.cosign == f"Co-signatures: OK ({cosigned})"
    assert shown.cosign_status == "OK"


# --- what the host changes -------------------------------------------------------------

Change = Callable[[Path, Path], dict[str, bytes | None]]


def two_roles(attestation: Path, _: Path) -> dict[str, bytes | None]:
    """The customer BTC wallet is declared again as the ZBTC vault's collateral."""
    doc = json.loads((attestation / RESERVES).read_bytes())
    again = dict(doc["wallets"][0], role=f"wrapped:{WRAPPED}")
    doc["wallets"].append(again)
    manifest = json.loads((attestation / MANIFEST).read_bytes())
    return dict(_rehashed({RESERVES: _json(doc)}, manifest))


def moved_signature(attestation: Path, _: Path) -> dict[str, bytes | None]:
    """The protection fund's wallet (signed as protection-fund) is shown as a customer
    wallet, and the manifest's USDT reserves and protection fund follow."""
    doc = json.loads((attestation / RESERVES).read_bytes())
    [fund] = [w for w in doc["wallets"] if w["role"] == "protection-fund"]
    fund["role"] = "customer"
    manifest = json.loads((attestation / MANIFEST).read_bytes())
    [usdt] = [a for a in manifest["assets"] if a["symbol"] == "USDT"]
    reserves = int(usdt["reserves"]) + int(fund["balance"])
    usdt["reserves"] = str(reserves)
    usdt["reserves_amount"] = format_units(reserves, usdt["decimals"])
    usdt["ratio"] = coverage_ratio(reserves, int(usdt["liabilities"]))
    manifest["segregation"]["protection_fund"] = []
    return dict(_rehashed({RESERVES: _json(doc)}, manifest))


def supply_above_collateral(attestation: Path, _: Path) -> dict[str, bytes | None]:
    """The manifest declares 5.25 ZBTC issued against the vault's 5.1 BTC."""
    manifest = json.loads((attestation / MANIFEST).read_bytes())
    [token] = manifest["segregation"]["wrapped"]
    token["supply"] = str(525_000_000)
    token["supply_amount"] = "5.25"
    token["ratio"] = backing_ratio(int(token["collateral"]), 8, 525_000_000, token["decimals"])
    return {MANIFEST: _json(manifest)}


def _signed_copy(
    attestation: Path,
    work: Path,
    edit: Callable[[dict[str, object]], None],
    key: SigningKeyFile,
    name: str,
) -> bytes:
    """Return the co-signature ``key`` makes as ``name`` over the manifest ``edit`` makes."""
    copy = Path(shutil.copytree(attestation, work / "copy", dirs_exist_ok=True))
    manifest = json.loads((copy / MANIFEST).read_bytes())
    edit(manifest)
    (copy / MANIFEST).write_bytes(_json(manifest))
    written, _ = cosign(copy, key, name)
    return (copy / written).read_bytes()


def other_attestation(attestation: Path, work: Path) -> dict[str, bytes | None]:
    """The auditor's signature file holds its signature of another attestation."""
    signed = _signed_copy(
        attestation, work, lambda m: m.update(id="other-2026-11-21"), AUDITOR, AUDITOR_NAME
    )
    return {signature_file(AUDITOR_NAME, AUDITOR.public_key()): signed}


def modified_manifest(attestation: Path, _: Path) -> dict[str, bytes | None]:
    """The host changes the issuer's address in the manifest after it was co-signed."""
    manifest = json.loads((attestation / MANIFEST).read_bytes())
    manifest["issuer"]["url"] = "https://example.org/changed"
    return {MANIFEST: _json(manifest)}


def unpinned_key(attestation: Path, work: Path) -> dict[str, bytes | None]:
    """A third signature, by a key the manifest does not pin, is added to the index."""
    signed = _signed_copy(attestation, work, lambda m: None, STRANGER, STRANGER_NAME)
    name = signature_file(STRANGER_NAME, STRANGER.public_key())
    index = json.loads((attestation / SIGNATURES_INDEX).read_bytes())
    return {name: signed, SIGNATURES_INDEX: _json(index_to_json([*index["signatures"], name]))}


def missing_pinned(attestation: Path, _: Path) -> dict[str, bytes | None]:
    """The host leaves the second pinned co-signer out of the index."""
    kept = [signature_file(AUDITOR_NAME, AUDITOR.public_key())]
    return {SIGNATURES_INDEX: _json(index_to_json(kept))}


#: (change, the step that must FAIL, words its reason must hold)
CASES: dict[str, tuple[Change, int, list[str]]] = {
    "a wallet in two roles": (
        two_roles,
        RESERVES_STEP,
        ["reserve wallet 6", "declared in two roles", "customer there, wrapped:ZBTC here"],
    ),
    "a signature moved to another role": (
        moved_signature,
        RESERVES_STEP,
        ["reserve wallet 4", "not by the declared address", "role"],
    ),
    "wrapped supply above collateral": (
        supply_above_collateral,
        RESERVES_STEP,
        [
            "wrapped token ZBTC is under-backed: collateral 5.1 BTC < issued supply 5.25 ZBTC "
            "(ratio 0.9714; required 1:1)"
        ],
    ),
    "a co-signature over another manifest": (
        other_attestation,
        COSIGN_STEP,
        [f"co-signed by {AUDITOR_NAME}", "it signs attestation", "other-2026-11-21", "not test-"],
    ),
    "a co-signature over a modified manifest": (
        modified_manifest,
        COSIGN_STEP,
        [f"co-signed by {AUDITOR_NAME}", "made for another version of the manifest"],
    ),
    "a co-signature by an unpinned key": (
        unpinned_key,
        COSIGN_STEP,
        [f"co-signed by {STRANGER_NAME}", "by a key the manifest does not pin"],
    ),
    "a missing pinned co-signer": (
        missing_pinned,
        COSIGN_STEP,
        [
            f"no valid co-signature by {SECOND_NAME} (eip191 key {SECOND.public_key()}), "
            "whom the manifest pins as co-signer",
            f"(co-signed by {AUDITOR_NAME}",
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_verify_all_rejects_what_the_host_changed_with_the_reason(
    browser: BrowserContext,
    server: RecordingServer,
    segregated: SmallAttestation,
    site: Path,
    tmp_path: Path,
    case: str,
) -> None:
    change, step, words = CASES[case]
    with hosted(site, change(segregated.folder, tmp_path)):
        shown = verify_all(browser, server)
    assert shown.done == "failed"
    assert shown.status[1] == "fail" and shown.status[0].startswith("Some checks FAILED")
    failing = shown.steps[step - 1]
    assert (failing.name, failing.status) == (STEP_NAMES[step - 1], "FAIL"), shown.steps
    for word in words:
        assert word in failing.detail, (word, failing.detail)
    # Nothing before the step that catches it fails: each change is caught where it belongs.
    assert [s.status for s in shown.steps[: step - 1]] == ["OK"] * (step - 1), shown.steps
    if step == COSIGN_STEP:
        assert shown.cosign == f"Co-signatures: FAIL ({failing.detail})"
        assert shown.cosign_status == "FAIL"
