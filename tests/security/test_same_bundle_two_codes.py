"""Attack (issue 11): the same bundle served under two codes.

The custodian hands Bob a code whose record is Alice's bundle, sealed under Bob's key. It
publishes the bucket consistently (bundles/SHA256SUMS and the manifest list it), so every
cryptographic check passes for Bob: leaf, paths, proofs, chain. One account now answers
for two people, and Bob's own balance need not be in the tree at all. Only Bob can tell:
the account id in the bundle is not his. So ``zkpor verify-user`` shows the id prominently
and asks, and the Verify page asks him to confirm it is his before its verdict turns
green (and turns red if he says it is not).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from publisher.crypto import NaclBackend
from tests.ceremony_fixtures import (  # noqa: F401
    ceremony,
    ceremony_attestation,
    ceremony_site,
)
from tests.security.user_check_support import (
    browser,  # noqa: F401
    check_on_page,
    copy_attestation,
    republish_bucket,
    verify_user,
)
from tests.site_fixtures import SmallAttestation, copy_site, record_of
from verifier.bundle import LOOKUP_BYTES, derive
from verifier.codes import parse_code

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.xdist_group("browser")

NACL = NaclBackend()
HOLDER, VICTIM = "alice", "bob"


def serve_bundle_under_code(folder: Path, good: SmallAttestation, holder: str, victim: str) -> None:
    """Replace ``victim``'s record by ``holder``'s bundle sealed under ``victim``'s code."""
    info = good.manifest.bundles
    assert info is not None
    keys = {
        user: derive(parse_code(good.codes[user]), good.manifest.attestation_id, info.run_salt)
        for user in (holder, victim)
    }
    path, offset = record_of(folder, good.manifest, good.codes[holder])
    record = path.read_bytes()[offset : offset + info.record_size]
    plaintext = NACL.secretbox_open(record[LOOKUP_BYTES:], keys[holder].nonce, keys[holder].key)
    forged = keys[victim].lookup + NACL.secretbox_seal(
        plaintext, keys[victim].nonce, keys[victim].key
    )
    path, offset = record_of(folder, good.manifest, good.codes[victim])
    data = path.read_bytes()
    path.write_bytes(data[:offset] + forged + data[offset + info.record_size :])
    republish_bucket(folder, path)


@pytest.fixture(scope="module")
def forged(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    good = ceremony_attestation
    folder = copy_attestation(good.folder, tmp_path_factory.mktemp("two-codes") / "attestation")
    serve_bundle_under_code(folder, good, HOLDER, VICTIM)
    return folder


def test_verify_user_shows_the_bundles_account_id_and_asks(
    forged: Path,
    ceremony_attestation: SmallAttestation,  # noqa: F811
) -> None:
    code = ceremony_attestation.codes[VICTIM]
    text, report = verify_user(forged, code, "--allow-unknown-phase1")
    # Every cryptographic check passes: the account id is all that gives it away.
    assert text.exit_code == 0, text.output
    assert report["user"]["user_id"] == HOLDER
    assert f"account id: {HOLDER}" in text.output
    assert "Is this YOUR account id? If not, this code does not show your account" in text.output
    # The question comes with the id, before the steps' verdict.
    assert text.output.index("account id:") < text.output.index("1. OK: bundle")
    # The holder's own code shows the very same account: one bundle, two codes.
    _, own = verify_user(forged, ceremony_attestation.codes[HOLDER], "--allow-unknown-phase1")
    assert own["user"] == report["user"]


def test_the_verify_page_is_not_green_until_the_id_is_confirmed(
    forged: Path,
    ceremony_attestation: SmallAttestation,  # noqa: F811
    ceremony_site: Path,  # noqa: F811
    browser: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = copy_site(ceremony_site, tmp_path / "site")
    for path in forged.rglob("*"):
        if path.is_file():
            (site / "attestation" / path.relative_to(forged)).write_bytes(path.read_bytes())
    code = ceremony_attestation.codes[VICTIM]
    # Bob sees Alice's id and says it is not his: red.
    said_no = check_on_page(browser, site, code, answer=False)
    assert said_no.done == "passed" and all(s.status == "OK" for s in said_no.steps)
    assert said_no.account_id == HOLDER
    assert said_no.status_before_answer[1] == "confirm"
    assert "Is the account id below yours?" in said_no.status_before_answer[0]
    assert said_no.status[1] == "fail" and "does not show your account" in said_no.status[0]
    # Unanswered: never green.
    unanswered = check_on_page(browser, site, code)
    assert unanswered.status[1] == "confirm" and unanswered.account_id == HOLDER
    # Only an explicit "yes" (the genuine holder's answer) turns it green.
    said_yes = check_on_page(browser, site, ceremony_attestation.codes[HOLDER], answer=True)
    assert said_yes.status_before_answer[1] == "confirm"
    assert said_yes.status[1] == "ok", said_yes.status
