"""Attack (issue 11, finding 5): one wallet declared twice, in two spellings, counts twice.

The custodian writes ``reserves.json``: it lists a wallet it controls, then the same wallet
again spelled another way (upper-case bech32, another EVM case), each spelling with a
valid signature of its own, and publishes reserves that include the doubled balance.
``zkpor verify`` must FAIL step 8 "reserves", naming both entries; for address types whose
other case is not an address (base58) or that cannot sign (P2WSH, Taproot) it fails too.
The publisher's ingest (``zkpor prove --reserves``) refuses the same file before proving.

The attestation has wallet roles (issue 16), so every forged wallet signs the message of
a ``customer`` wallet, as the genuine ones do: each spelling then counts as coverage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from py_ecc.secp256k1 import secp256k1
from typer.testing import CliRunner

from publisher.cli.main import app
from publisher.config import load_config
from publisher.errors import InputError
from publisher.reserves.ingest import read_reserves
from publisher.reserves.sign import (
    DemoWallet,
    demo_private_key,
    reserves_csv,
    sign_message,
    sign_test_wallets,
)
from tests.ceremony_fixtures import (  # noqa: F401  (pytest fixtures)
    ceremony,
    ceremony_attestation,
    ceremony_site,
)
from tests.security.user_check_support import browser, site_with_attestation  # noqa: F401
from tests.site_fixtures import (
    SmallAttestation,
    make_attestation,
    serving,
    shown_steps,
    status_line,
    submit_code,
    visit,
    wait_done,
)
from verifier.encodings import b58check_encode, hash160, segwit_encode
from verifier.manifest import MANIFEST
from verifier.reserves import (
    Wallet,
    bitcoin_message_hash,
    parse_reserves,
    reserve_message,
    reserves_to_json,
)
from verifier.segregation import CUSTOMER

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

AS_OF = "924000"
#: BIP-137 header bytes (compressed key) of the address types Bitcoin Core can sign for.
HEADERS = {"p2pkh": 31, "p2sh-p2wpkh": 35, "p2wpkh": 39}


@pytest.fixture(scope="module")
def attestation(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    return make_attestation(tmp_path_factory.mktemp("counted-twice"))


def bitcoin_address(kind: str, label: str) -> str:
    """Return the ``kind`` address of the test key ``label`` (lower case where it has one)."""
    point = secp256k1.privtopub(demo_private_key("bitcoin", label))
    key = bytes([2 + (int(point[1]) & 1)]) + int(point[0]).to_bytes(32, "big")
    if kind == "p2pkh":
        return b58check_encode(b"\x00" + hash160(key))
    if kind == "p2sh-p2wpkh":
        return b58check_encode(b"\x05" + hash160(b"\x00\x14" + hash160(key)))
    if kind == "p2wpkh":
        return segwit_encode("bc", 0, hash160(key))
    if kind == "p2wsh":  # a 1-of-1 witness script of the key
        return segwit_encode("bc", 0, hashlib.sha256(b"\x21" + key + b"\xac").digest())
    return segwit_encode("bc", 1, key[1:])  # p2tr (untweaked: an address, not spendable)


def bitcoin_wallet(aid: str, kind: str, address: str, label: str, balance: int) -> Wallet:
    """Return a customer BTC wallet at ``address`` (as spelled), signed by ``label``'s key
    when the type can sign, else carrying a well-formed signature of the P2WPKH type."""
    message = reserve_message(aid, "bitcoin", "BTC", address, AS_OF, role=CUSTOMER)
    v, r, s = secp256k1.ecdsa_raw_sign(
        bitcoin_message_hash(message), demo_private_key("bitcoin", label)
    )
    header = HEADERS.get(kind, 39) + v - 27
    signature = base64.b64encode(bytes([header]) + r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    return Wallet("bitcoin", "BTC", address, balance, AS_OF, signature.decode(), CUSTOMER)


def publish_reserves(att: SmallAttestation, out: Path, wallets: list[Wallet]) -> Path:
    """Return a copy of the attestation whose reserves.json lists ``wallets`` and whose
    manifest publishes their sum as reserves (hashes updated): what the adversary writes."""
    folder = out / "attestation"
    shutil.copytree(att.folder, folder)
    manifest = att.manifest
    decimals = {a.symbol: a.decimals for a in manifest.assets}
    reserves = _json(reserves_to_json(manifest.attestation_id, wallets, decimals))
    (folder / "reserves.json").write_bytes(reserves)
    held = {s: sum(w.balance for w in wallets if w.asset == s) for s in decimals}
    doctored = replace(
        manifest,
        assets=tuple(replace(a, reserves=held[a.symbol]) for a in manifest.assets),
        files={
            **manifest.files,
            "reserves.json": hashlib.sha256(reserves).hexdigest(),
        },
    )
    (folder / MANIFEST).write_bytes(_json(doctored.to_json()))
    return folder


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def verify(folder: Path) -> dict[str, dict[str, str]]:
    """Return ``zkpor verify --json``'s steps by name, once it exits 1 (a step failed)."""
    result = CliRunner().invoke(
        app, ["verify", str(folder), "--json", "--allow-insecure-dev-setup"]
    )
    report = json.loads(result.stdout)
    assert result.exit_code == (0 if report["passed"] else 1), result.output
    return {step["name"]: step for step in report["steps"]}


def usdt_wallets(att: SmallAttestation) -> list[Wallet]:
    """Return the attestation's own USDT (Solana) wallet, so USDT stays covered."""
    return [w for w in _published(att) if w.asset == "USDT"]


def _published(att: SmallAttestation) -> list[Wallet]:
    doc = json.loads((att.folder / "reserves.json").read_bytes())
    return parse_reserves(doc, {a.symbol: a.decimals for a in att.manifest.assets})[1]


def test_the_honest_attestation_passes_step_8(attestation: SmallAttestation) -> None:
    steps = verify(attestation.folder)
    assert steps["reserves"]["status"] == "OK", steps["reserves"]


@pytest.mark.parametrize("upper_first", [False, True])
def test_p2wpkh_in_both_cases_fails_step_8_naming_both(
    attestation: SmallAttestation, tmp_path: Path, upper_first: bool
) -> None:
    aid, btc = attestation.manifest.attestation_id, attestation.manifest.assets[0].liabilities
    lower = bitcoin_address("p2wpkh", "cold-1")
    spellings = [lower.upper(), lower] if upper_first else [lower, lower.upper()]
    # Each alone covers half the BTC owed; counted twice they would cover all of it.
    pair = [bitcoin_wallet(aid, "p2wpkh", a, "cold-1", -(-btc // 2)) for a in spellings]
    steps = verify(publish_reserves(attestation, tmp_path, [*pair, *usdt_wallets(attestation)]))
    step = steps["reserves"]
    assert step["status"] == "FAIL"
    assert "reserve wallet 2" in step["detail"] and "duplicated wallet" in step["detail"]
    assert "same scriptPubKey" in step["detail"]
    assert spellings[0] in step["detail"] and spellings[1] in step["detail"]
    # Nothing else is wrong with the attestation: only the reserves step fails.
    assert [s for s in steps.values() if s["status"] != "OK"] == [step]


@pytest.mark.parametrize("kind", ["p2pkh", "p2sh-p2wpkh", "p2wsh", "p2tr"])
def test_other_bitcoin_types_in_both_cases_fail_step_8(
    attestation: SmallAttestation, tmp_path: Path, kind: str
) -> None:
    aid, btc = attestation.manifest.attestation_id, attestation.manifest.assets[0].liabilities
    address = bitcoin_address(kind, "cold-1")
    # Bech32 has an upper-case spelling; base58's other case is another string.
    other = address.upper() if address.startswith("bc1") else address.swapcase()
    pair = [bitcoin_wallet(aid, kind, a, "cold-1", -(-btc // 2)) for a in (address, other)]
    steps = verify(publish_reserves(attestation, tmp_path, [*pair, *usdt_wallets(attestation)]))
    step = steps["reserves"]
    assert step["status"] == "FAIL"
    expected = {
        "p2pkh": "reserve wallet 2",  # base58 in the other case is not an address
        "p2sh-p2wpkh": "reserve wallet 2",
        "p2wsh": "BIP-322",  # cannot sign a message: refused before any duplicate
        "p2tr": "BIP-322",
    }[kind]
    assert expected in step["detail"], step["detail"]


def test_an_evm_wallet_in_two_cases_fails_step_8(
    attestation: SmallAttestation, tmp_path: Path
) -> None:
    aid = attestation.manifest.attestation_id
    usdt = attestation.manifest.assets[1].liabilities
    [checksummed] = sign_test_wallets(
        aid, [DemoWallet("ethereum", "USDT", "hot", -(-usdt // 2), "7")]
    )
    lower = checksummed.address.lower()
    message = reserve_message(aid, "ethereum", "USDT", lower, "7", role=checksummed.role)
    relisted = replace(
        checksummed, address=lower, signature=sign_message("ethereum", "hot", message)
    )
    btc = [w for w in _published(attestation) if w.asset == "BTC"]
    steps = verify(publish_reserves(attestation, tmp_path, [*btc, checksummed, relisted]))
    step = steps["reserves"]
    assert step["status"] == "FAIL"
    assert "duplicated wallet" in step["detail"] and "same 20-byte address" in step["detail"]
    assert checksummed.address in step["detail"] and lower in step["detail"]


def test_the_ingest_refuses_p2wpkh_in_both_cases(
    attestation: SmallAttestation, tmp_path: Path
) -> None:
    config = load_config(attestation.private.parent / "input" / "zkpor.toml")
    lower = bitcoin_address("p2wpkh", "cold-1")
    pair = [
        bitcoin_wallet(config.attestation_id, "p2wpkh", a, "cold-1", 1)
        for a in (lower, lower.upper())
    ]
    path = tmp_path / "reserves.csv"
    path.write_bytes(reserves_csv(pair, {a.symbol: a.decimals for a in config.assets}))
    with pytest.raises(InputError, match=":3: address: duplicated wallet, first on line 2"):
        read_reserves(path, config)


# --- the Verify page ------------------------------------------------------------------------


@pytest.mark.xdist_group("browser")
def test_verify_all_on_the_page_fails_step_8_for_p2wpkh_in_both_cases(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    ceremony_site: Path,  # noqa: F811
    browser: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The host serves the genuine site's pages with the doubled reserves.json (the site
    build itself refuses it): "Verify all" runs the ten steps and fails "reserves"."""
    att = ceremony_attestation
    aid, btc = att.manifest.attestation_id, att.manifest.assets[0].liabilities
    lower = bitcoin_address("p2wpkh", "cold-1")
    half = -(-btc // 2)
    pair = [bitcoin_wallet(aid, "p2wpkh", a, "cold-1", half) for a in (lower, lower.upper())]
    forged = publish_reserves(att, tmp_path / "forged", [*pair, *usdt_wallets(att)])
    site = site_with_attestation(ceremony_site, forged, tmp_path / "site")
    with serving(site) as running, visit(browser, f"{running.origin}/verify/") as run:
        page = run.page
        submit_code(page, att.codes["carol"])
        page.click("#zkpor-all")
        assert wait_done(page) == "failed"
        steps = {s.name: s for s in shown_steps(page, "zkpor-all-steps")}
        verdict = status_line(page)
    assert steps["reserves"].status == "FAIL", steps["reserves"]
    assert "duplicated wallet" in steps["reserves"].detail
    assert lower in steps["reserves"].detail and lower.upper() in steps["reserves"].detail
    assert [n for n, s in steps.items() if s.status != "OK"] == ["reserves"]
    assert verdict[1] == "fail", verdict
