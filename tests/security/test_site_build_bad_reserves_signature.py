"""Attack: publish a site with green coverage from reserves that do not verify.

Finding 10 of issue 11: ``zkpor site build`` showed any failure of the reserves step as
"under-covered" and built the site. The custodian swaps the signatures of two reserve
wallets (each still well formed, neither by its wallet's key), or publishes reserves that
the signed wallets do not add up to, and rehashes reserves.json / the manifest so every
other step passes. ``zkpor verify`` must FAIL step 8 (reserves) with the reason, and the
site must not be built: only a genuine under-coverage is shown, with its banner (tested
in tests/site/test_site_build.py::test_an_under_covered_asset_is_shown_plainly).

Issue 16 adds wallet roles: the build runs the role-aware reserves check, so a wallet
declared in two roles, a signature moved to another role, or collateral the signed vault
does not hold refuses the build too (an under-backed wrapped token, a shortfall like
under-coverage, builds: tests/site/test_site_segregation.py); and so does a co-signature
that does not verify, or one the index lists but the folder lacks (step 10).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.attest.cosign import signature_file
from publisher.cli.main import app
from publisher.site.build import BuildOptions, SiteError, build_site
from tests.segregation_fixtures import AUDITOR, AUDITOR_NAME, make_segregated_attestation
from tests.site_fixtures import SmallAttestation, make_attestation, rehash_in_manifest
from verifier.cosign import SIGNATURES_INDEX
from verifier.manifest import (
    MANIFEST,
    RESERVES,
    backing_ratio,
    coverage_ratio,
    format_units,
)

DEV = BuildOptions(allow_insecure_dev_setup=True)
runner = CliRunner()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    return make_attestation(tmp_path_factory.mktemp("bad-reserves"))


def _copy(small: SmallAttestation, tmp_path: Path) -> Path:
    return Path(shutil.copytree(small.folder, tmp_path / "attestation"))


def _verify(folder: Path) -> str:
    result = runner.invoke(app, ["verify", "--allow-insecure-dev-setup", str(folder)])
    assert result.exit_code == 1, result.output
    return result.output


def _refused(folder: Path, tmp_path: Path, reason: str, step: str = "8. reserves") -> None:
    out = tmp_path / "sites" / "site"
    with pytest.raises(SiteError, match=re.escape(f"{step}: ")) as refused:
        build_site(folder, out, DEV)
    assert reason in str(refused.value)
    if step.startswith("8."):
        shortfalls_only = "only an under-covered asset or an under-backed wrapped token"
        assert f"{shortfalls_only} may be published" in str(refused.value)
    # Nothing half-written: no site, no temporary build folder left beside it.
    assert not out.exists()
    assert list(out.parent.iterdir()) == []


def test_the_untampered_attestation_builds(small: SmallAttestation, tmp_path: Path) -> None:
    # The control: the same attestation, untouched, verifies and builds.
    built = build_site(small.folder, tmp_path / "site", DEV)
    assert "Under-covered" not in (built / "index.html").read_text(encoding="utf-8")


def test_swapped_wallet_signatures_fail_verify_and_refuse_the_build(
    small: SmallAttestation, tmp_path: Path
) -> None:
    folder = _copy(small, tmp_path)
    old = (folder / RESERVES).read_bytes()
    doc = json.loads(old)
    first, second = doc["wallets"][0], doc["wallets"][1]
    assert first["chain"] == second["chain"] == "bitcoin"
    first["signature"], second["signature"] = second["signature"], first["signature"]
    (folder / RESERVES).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    rehash_in_manifest(folder, RESERVES, old)

    output = _verify(folder)
    assert "1. OK: manifest and file hashes" in output
    assert "8. FAIL: reserves — reserve wallet 1, 'bitcoin " in output
    assert "the signature was made by another key than the address's" in output
    _refused(folder, tmp_path, "the signature was made by another key than the address's")


def test_published_reserves_the_wallets_do_not_add_up_to_refuse_the_build(
    small: SmallAttestation, tmp_path: Path
) -> None:
    # An under-coverage the signed wallets do not show: the manifest states less BTC than
    # the wallets hold. The failure reads like a shortfall on the page, but it is not one.
    folder = _copy(small, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    btc = next(a for a in manifest["assets"] if a["symbol"] == "BTC")
    reserves = int(btc["liabilities"]) // 2
    btc["reserves"] = str(reserves)
    btc["reserves_amount"] = format_units(reserves, btc["decimals"])
    btc["ratio"] = coverage_ratio(reserves, int(btc["liabilities"]))
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")

    output = _verify(folder)
    assert "1. OK: manifest and file hashes" in output
    assert "8. FAIL: reserves — asset BTC: the manifest publishes reserves of" in output
    _refused(folder, tmp_path, "the signed customer wallets of reserves.json add up to")


# --- wallet roles and co-signatures (issue 16) ------------------------------------------


@pytest.fixture(scope="module")
def segregated(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    """A segregated attestation that pins no co-signer and has none (step 10 passes
    whatever the manifest becomes): only the reserves step judges each change."""
    return make_segregated_attestation(tmp_path_factory.mktemp("segregated"), pins=(), signers=())


def _edit_reserves(small: SmallAttestation, tmp_path: Path, edit: Callable[[dict], None]) -> Path:
    folder = _copy(small, tmp_path)
    old = (folder / RESERVES).read_bytes()
    doc = json.loads(old)
    edit(doc)
    (folder / RESERVES).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    rehash_in_manifest(folder, RESERVES, old)
    return folder


def test_the_untampered_segregated_attestation_builds(
    segregated: SmallAttestation, tmp_path: Path
) -> None:
    build_site(segregated.folder, tmp_path / "site", DEV)


def test_a_wallet_in_two_roles_refuses_the_build(
    segregated: SmallAttestation, tmp_path: Path
) -> None:
    # The customer BTC wallet, declared again as the ZBTC vault: its coins would back
    # customers and the wrapped token at once.
    def twice(doc: dict) -> None:
        doc["wallets"].append(dict(doc["wallets"][0], role="wrapped:ZBTC"))

    folder = _edit_reserves(segregated, tmp_path, twice)
    assert "8. FAIL: reserves — reserve wallet 6, " in _verify(folder)
    _refused(folder, tmp_path, "declared in two roles")


def test_a_signature_moved_to_another_role_refuses_the_build(
    segregated: SmallAttestation, tmp_path: Path
) -> None:
    # The protection fund's wallet, signed as protection-fund, shown as a customer wallet.
    def moved(doc: dict) -> None:
        [fund] = [w for w in doc["wallets"] if w["role"] == "protection-fund"]
        fund["role"] = "customer"

    folder = _edit_reserves(segregated, tmp_path, moved)
    assert "not by the declared address" in _verify(folder)
    _refused(folder, tmp_path, "not by the declared address")


def test_collateral_the_vault_does_not_hold_refuses_the_build(
    segregated: SmallAttestation, tmp_path: Path
) -> None:
    # The manifest publishes 6 BTC of ZBTC collateral; the signed vault holds 5.1.
    folder = _copy(segregated, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    [token] = manifest["segregation"]["wrapped"]
    token["collateral"] = str(600_000_000)
    token["collateral_amount"] = "6"
    token["ratio"] = backing_ratio(600_000_000, 8, int(token["supply"]), token["decimals"])
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    output = _verify(folder)
    assert "1. OK: manifest and file hashes" in output
    _refused(folder, tmp_path, "but its signed wrapped:ZBTC wallets hold 5.1")


@pytest.fixture(scope="module")
def cosigned(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    return make_segregated_attestation(tmp_path_factory.mktemp("cosigned"))


def test_a_co_signature_over_a_changed_manifest_refuses_the_build(
    cosigned: SmallAttestation, tmp_path: Path
) -> None:
    folder = _copy(cosigned, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["issuer"]["url"] = "https://example.org/changed"
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    _refused(folder, tmp_path, "made for another version of the manifest", "10. co-signatures")


def test_a_co_signature_the_index_lists_but_the_folder_lacks_refuses_the_build(
    cosigned: SmallAttestation, tmp_path: Path
) -> None:
    folder = _copy(cosigned, tmp_path)
    (folder / signature_file(AUDITOR_NAME, AUDITOR.public_key())).unlink()
    _refused(folder, tmp_path, "is missing from the attestation", "10. co-signatures")


def test_a_malformed_signature_index_refuses_the_build(
    cosigned: SmallAttestation, tmp_path: Path
) -> None:
    folder = _copy(cosigned, tmp_path)
    (folder / SIGNATURES_INDEX).write_text('{"format": "zkpor/1", "signatures": ["../x"]}')
    _refused(folder, tmp_path, "which is not a co-signature file name", "10. co-signatures")
