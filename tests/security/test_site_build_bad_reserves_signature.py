"""Attack: publish a site with green coverage from reserves that do not verify.

Finding 10 of issue 11: ``zkpor site build`` showed any failure of the reserves step as
"under-covered" and built the site. The custodian swaps the signatures of two reserve
wallets (each still well formed, neither by its wallet's key), or publishes reserves that
the signed wallets do not add up to, and rehashes reserves.json / the manifest so every
other step passes. ``zkpor verify`` must FAIL step 8 (reserves) with the reason, and the
site must not be built: only a genuine under-coverage is shown, with its banner (tested
in tests/site/test_site_build.py::test_an_under_covered_asset_is_shown_plainly).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from publisher.site.build import BuildOptions, SiteError, build_site
from tests.site_fixtures import SmallAttestation, make_attestation, rehash_in_manifest
from verifier.manifest import MANIFEST, RESERVES, coverage_ratio, format_units

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


def _refused(folder: Path, tmp_path: Path, reason: str) -> None:
    out = tmp_path / "sites" / "site"
    with pytest.raises(SiteError, match=r"8\. reserves: ") as refused:
        build_site(folder, out, DEV)
    assert reason in str(refused.value)
    assert "only an under-covered asset or an under-backed wrapped token may be published" in str(
        refused.value
    )
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
