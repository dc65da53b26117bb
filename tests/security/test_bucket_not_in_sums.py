"""Attack (issue 11): a bucket file that is not the one bundles/SHA256SUMS lists.

The host serves one visitor a bucket made for them (here: their record resealed with a
higher balance and a leaf hash to match, under their own key), while reviewers, whose
``zkpor verify`` step 7 checks every bucket against bundles/SHA256SUMS, see the published
one. The per-user check now hashes the very bytes it opens the bundle from and requires
them to be the bucket bundles/SHA256SUMS lists (that file being the one the manifest
hashes): step 1, "bundle", fails otherwise, naming the file and both hashes.
"""

from __future__ import annotations

import hashlib
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
    verify_user,
)
from tests.site_fixtures import SmallAttestation, copy_site, record_of, rehash_in_manifest
from verifier.bundle import LOOKUP_BYTES, Bundle, derive
from verifier.codes import parse_code
from verifier.manifest import BUNDLE_SUMS
from verifier.protocol import id_commitment, leaf_hash, user_id_to_field

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.xdist_group("browser")

NACL = NaclBackend()
USER = "erin"


def forge_bucket(folder: Path, good: SmallAttestation, user: str) -> Path:
    """Reseal ``user``'s record with 1000 BTC more (and the leaf hash of that), in place;
    return the bucket file. SHA256SUMS is left as published."""
    info = good.manifest.bundles
    assert info is not None
    keys = derive(parse_code(good.codes[user]), good.manifest.attestation_id, info.run_salt)
    path, offset = record_of(folder, good.manifest, good.codes[user])
    record = path.read_bytes()[offset : offset + info.record_size]
    plaintext = NACL.secretbox_open(record[LOOKUP_BYTES:], keys.nonce, keys.key)
    bundle = Bundle.from_plaintext(plaintext)
    balances = (bundle.balances[0] + 1000 * 10**8, *bundle.balances[1:])
    idc = id_commitment(user_id_to_field(bundle.user_id), bundle.salt)
    richer = Bundle(**{**bundle.__dict__, "balances": balances})
    richer = Bundle(**{**richer.__dict__, "leaf_hash": leaf_hash(idc, balances)})
    sealed = keys.lookup + NACL.secretbox_seal(
        richer.to_plaintext(len(plaintext)), keys.nonce, keys.key
    )
    data = path.read_bytes()
    path.write_bytes(data[:offset] + sealed + data[offset + info.record_size :])
    return path


@pytest.fixture(scope="module")
def forged(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path]:
    good = ceremony_attestation
    folder = copy_attestation(good.folder, tmp_path_factory.mktemp("bucket") / "attestation")
    return folder, forge_bucket(folder, good, USER)


def test_a_bucket_other_than_the_listed_one_fails_the_bundle_step(
    forged: tuple[Path, Path],
    ceremony_attestation: SmallAttestation,  # noqa: F811
) -> None:
    folder, bucket = forged
    name = f"bundles/{bucket.name}"
    listed = next(
        line.split("  ")[0]
        for line in (folder / BUNDLE_SUMS).read_text().splitlines()
        if line.endswith(bucket.name)
    )
    text, report = verify_user(folder, ceremony_attestation.codes[USER], "--allow-unknown-phase1")
    assert text.exit_code == 1
    first = report["steps"][0]
    assert (first["name"], first["status"]) == ("bundle", "FAIL")
    actual = hashlib.sha256(bucket.read_bytes()).hexdigest()
    assert first["detail"] == (
        f"{name} has sha256 {actual}, but {BUNDLE_SUMS} lists {listed}: it is not the bucket "
        "file the attestation published"
    )
    # Nothing of the forged bundle is shown, and nothing that needs it is judged.
    assert report["user"] is None
    assert [s["status"] for s in report["steps"][1:5]] == ["SKIP"] * 4


def test_a_bucket_missing_from_the_sums_fails_and_so_does_an_unlisted_sums_file(
    forged: tuple[Path, Path],
    ceremony_attestation: SmallAttestation,  # noqa: F811
    tmp_path: Path,
) -> None:
    forged_folder, bucket = forged
    code = ceremony_attestation.codes[USER]
    # The bucket's line deleted from SHA256SUMS, which the manifest then lists anew.
    dropped = copy_attestation(forged_folder, tmp_path / "dropped")
    sums = dropped / BUNDLE_SUMS
    before = sums.read_bytes()
    sums.write_text(
        "".join(line + "\n" for line in before.decode().splitlines() if bucket.name not in line)
    )
    rehash_in_manifest(dropped, BUNDLE_SUMS, before)
    text, report = verify_user(dropped, code, "--allow-unknown-phase1")
    assert text.exit_code == 1
    assert report["steps"][0]["detail"] == f"{BUNDLE_SUMS} does not list bundles/{bucket.name}"
    # SHA256SUMS changed to list the forged bucket, the manifest not updated.
    relisted = copy_attestation(forged_folder, tmp_path / "relisted")
    sums = relisted / BUNDLE_SUMS
    sums.write_text(
        sums.read_text().replace(
            next(line for line in sums.read_text().splitlines() if bucket.name in line),
            f"{hashlib.sha256(bucket.read_bytes()).hexdigest()}  {bucket.name}",
        )
    )
    text, report = verify_user(relisted, code, "--allow-unknown-phase1")
    assert text.exit_code == 1
    detail = report["steps"][0]["detail"]
    assert detail.startswith(f"{BUNDLE_SUMS} has sha256 ") and "but the manifest lists" in detail
    # The untouched attestation passes step 1 for the same code.
    text, report = verify_user(ceremony_attestation.folder, code, "--allow-unknown-phase1")
    assert report["steps"][0]["status"] == "OK" and "as listed in" in report["steps"][0]["detail"]


def test_the_verify_page_fails_the_bundle_step(
    forged: tuple[Path, Path],
    ceremony_attestation: SmallAttestation,  # noqa: F811
    ceremony_site: Path,  # noqa: F811
    browser: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    _, bucket = forged
    site = copy_site(ceremony_site, tmp_path / "site")
    (site / "attestation" / "bundles" / bucket.name).write_bytes(bucket.read_bytes())
    shown = check_on_page(browser, site, ceremony_attestation.codes[USER], answer=True)
    assert shown.done == "failed"
    assert shown.steps[0].status == "FAIL" and shown.steps[0].name == "bundle"
    assert f"but {BUNDLE_SUMS} lists" in shown.steps[0].detail
    assert shown.account_id is None and shown.status[1] == "fail"
