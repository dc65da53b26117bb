"""Reserves (issue #6): ownership proofs checked against independent signers (eth-account,
coincurve, PyNaCl) and published vectors (tests/vectors/reserves/), reserves.csv ingest,
and the verify step."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import base58
import coincurve
import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from eth_account import Account
from eth_account.messages import encode_defunct
from nacl.signing import SigningKey

from publisher.config import load_config
from publisher.crypto import NaclBackend
from publisher.demo import write_demo_inputs
from publisher.errors import InputError
from publisher.reserves.ingest import read_reserves
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from tests.paths import VECTORS as TEST_VECTORS
from verifier.encodings import b58check_encode, hash160, segwit_encode
from verifier.errors import MalformedInput, VerificationError
from verifier.keccak import keccak256
from verifier.manifest import AssetLiability, Manifest, Segregation, TreeInfo, batch_circuit_id
from verifier.reserves import (
    InvalidReserve,
    Wallet,
    bitcoin_message_hash,
    bitcoin_script,
    canonical_address,
    check_bitcoin_signature,
    check_reserves,
    check_wallets,
    recover_evm_signer,
    reserve_message,
    reserves_to_json,
    wallet_totals,
)
from verifier.segregation import CORPORATE, CUSTOMER, PROTECTION_FUND

VECTORS = TEST_VECTORS / "reserves"
AID = "test-reserves-2026-11-21"
ASSETS = (AssetLiability("BTC", 8, 150_000_000), AssetLiability("ETH", 9, 10_000_000_000))
BACKEND = NaclBackend()
ETH_KEY = "0x" + hashlib.sha256(b"eth test key").hexdigest()
BTC_KEY = coincurve.PrivateKey(hashlib.sha256(b"btc test key").digest())
SOL_KEY = SigningKey(hashlib.sha256(b"sol test key").digest())


# --- published vectors (tests/vectors/reserves/, sources in tests/vectors/README.md) --


def published(name: str) -> Any:
    """Return the parsed vector file ``tests/vectors/reserves/<name>.json``."""
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", published("keccak256")["vectors"], ids=lambda v: v["message"])
def test_keccak256_published_vectors(vector: dict[str, str]) -> None:
    assert keccak256(vector["message"].encode()).hex() == vector["digest"]


def test_keccak256_matches_pycryptodome() -> None:
    for size in (1, 55, 135, 136, 137, 271, 272, 1000):
        data = os.urandom(size)
        assert keccak256(data) == pycryptodome_keccak.new(digest_bits=256, data=data).digest()


@pytest.mark.parametrize("vector", published("eip191")["vectors"], ids=lambda v: v["address"])
def test_published_eip191_vectors_recover_their_address(vector: dict[str, str]) -> None:
    message = bytes.fromhex(vector["message_hex"])
    assert recover_evm_signer(message, vector["signature"]) == vector["address"]


@pytest.mark.parametrize("vector", published("bitcoin_message")["magic_hash"])
def test_published_bitcoin_message_hashes(vector: dict[str, str]) -> None:
    assert bitcoin_message_hash(vector["message"].encode()).hex() == vector["hash"]


@pytest.mark.parametrize("vector", published("bitcoin_message")["valid"], ids=lambda v: v["kind"])
def test_published_bitcoin_signatures_verify(vector: dict[str, str]) -> None:
    check_bitcoin_signature(vector["message"].encode(), vector["address"], vector["signature"])


@pytest.mark.parametrize("vector", published("bitcoin_message")["invalid"], ids=lambda v: v["why"])
def test_published_bad_bitcoin_signatures_are_rejected(vector: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="made by another key"):
        check_bitcoin_signature(vector["message"].encode(), vector["address"], vector["signature"])


# --- wallets signed by independent libraries -------------------------------------------


def evm_wallet(asset: str = "ETH", balance: int = 6_000_000_000, aid: str = AID) -> Wallet:
    address = Account.from_key(ETH_KEY).address
    message = reserve_message(aid, "ethereum", asset, address, "23850000", role=None)
    signed = Account.sign_message(encode_defunct(primitive=message), ETH_KEY)
    signature = "0x" + bytes(signed.signature).hex()
    return Wallet("ethereum", asset, address, balance, "23850000", signature)


def btc_wallet(
    kind: str = "p2pkh",
    balance: int = 200_000_000,
    aid: str = AID,
    upper: bool = False,
    role: str | None = None,
) -> Wallet:
    """Return a wallet signed by coincurve; ``upper``: its address spelled in upper case;
    ``role`` None: the message of attestations made before roles."""
    pub = BTC_KEY.public_key.format(compressed=True)
    if kind == "p2pkh":
        address, header = b58check_encode(b"\x00" + hash160(pub)), 31
    elif kind == "p2sh-p2wpkh":
        address, header = b58check_encode(b"\x05" + hash160(b"\x00\x14" + hash160(pub))), 35
    else:
        address, header = segwit_encode("bc", 0, hash160(pub)), 39
    address = address.upper() if upper else address
    message = reserve_message(aid, "bitcoin", "BTC", address, "924000", role=role)
    raw = BTC_KEY.sign_recoverable(bitcoin_message_hash(message), hasher=None)
    signature = base64.b64encode(bytes([header + raw[64]]) + raw[:64]).decode()
    return Wallet("bitcoin", "BTC", address, balance, "924000", signature, role)


def sol_wallet(asset: str = "ETH", balance: int = 5_000_000_000) -> Wallet:
    address = base58.b58encode(bytes(SOL_KEY.verify_key)).decode()
    message = reserve_message(AID, "solana", asset, address, "2026-11-21T00:00:00Z", role=None)
    signature = base58.b58encode(SOL_KEY.sign(message).signature).decode()
    return Wallet("solana", asset, address, balance, "2026-11-21T00:00:00Z", signature)


@pytest.mark.parametrize("kind", ["p2pkh", "p2sh-p2wpkh", "p2wpkh"])
def test_wallets_signed_by_independent_libraries_pass(kind: str) -> None:
    wallets = [btc_wallet(kind), evm_wallet(), sol_wallet()]
    totals = check_wallets(AID, ASSETS, wallets, BACKEND)
    assert totals == {"BTC": 200_000_000, "ETH": 11_000_000_000}


def test_test_key_signatures_verify() -> None:
    def signed(role: str | None) -> list[Wallet]:
        return sign_test_wallets(
            AID,
            [
                DemoWallet("bitcoin", "BTC", "a", 1, "1", role),
                DemoWallet("ethereum", "ETH", "b", 2, "2", role),
                DemoWallet("solana", "ETH", "c", 3, "2026-11-21T00:00:00Z", role),
            ],
        )

    # Signatures naming the role (attestations with wallet roles, no wrapped token) ...
    totals = wallet_totals(AID, ASSETS, signed(CUSTOMER), BACKEND, {})
    assert totals == {(CUSTOMER, "BTC"): 1, (CUSTOMER, "ETH"): 5}
    # ... and the legacy message of attestations made before roles.
    assert check_wallets(AID, ASSETS, signed(None), BACKEND) == {"BTC": 1, "ETH": 5}


def flip(signature: str, chain: str) -> str:
    """Return ``signature`` with one bit of its r (or R) part flipped."""
    if chain == "ethereum":
        raw = bytearray(bytes.fromhex(signature[2:]))
        raw[5] ^= 1
        return "0x" + raw.hex()
    if chain == "bitcoin":
        raw = bytearray(base64.b64decode(signature))
        raw[5] ^= 1
        return base64.b64encode(raw).decode()
    raw = bytearray(base58.b58decode(signature))
    raw[5] ^= 1
    return base58.b58encode(bytes(raw)).decode()


@pytest.mark.parametrize("make", [evm_wallet, btc_wallet, sol_wallet])
def test_a_flipped_signature_byte_is_rejected(make: object) -> None:
    wallet = make()  # type: ignore[operator]
    bad = replace(wallet, signature=flip(wallet.signature, wallet.chain))
    with pytest.raises(InvalidReserve, match="reserve wallet 1"):
        check_wallets(AID, ASSETS, [bad], BACKEND)


def test_a_wrong_address_is_rejected() -> None:
    wallet = evm_wallet()
    other = Account.from_key("0x" + "11" * 32).address
    bad = replace(wallet, address=other)
    with pytest.raises(InvalidReserve, match="not by the declared address"):
        check_wallets(AID, ASSETS, [bad], BACKEND)
    btc = btc_wallet()
    moved = replace(btc, address=b58check_encode(b"\x00" + b"\x01" * 20))
    with pytest.raises(InvalidReserve, match="another key"):
        check_wallets(AID, ASSETS, [moved], BACKEND)


@pytest.mark.parametrize("make", [evm_wallet, btc_wallet])
def test_a_signature_for_another_attestation_is_rejected(make: object) -> None:
    replayed = make(aid="test-reserves-2026-10-31")  # type: ignore[operator]
    with pytest.raises(InvalidReserve, match="reserve wallet 1"):
        check_wallets(AID, ASSETS, [replayed], BACKEND)


def test_a_duplicated_wallet_is_rejected() -> None:
    same = r"duplicated wallet: the same wallet \(same 20-byte address\) as reserve wallet 1"
    with pytest.raises(InvalidReserve, match=same):
        check_wallets(AID, ASSETS, [evm_wallet(), evm_wallet()], BACKEND)


# --- one wallet, several spellings (issue 11, finding 5) ------------------------------

#: BIP-173 / BIP-350 test vectors: address -> scriptPubKey (hex).
SEGWIT_VECTORS = {
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4": "0014751e76e8199196d454941c45d1b3a323f1433bd6",
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3": (
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
    ),
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0": (
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    ),
    "BC1SW50QGDZ25J": "6002751e",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs": "5210751e76e8199196d454941c45d1b3a323",
}


@pytest.mark.parametrize(("address", "script"), SEGWIT_VECTORS.items())
def test_bitcoin_script_of_published_segwit_vectors(address: str, script: str) -> None:
    assert bitcoin_script(address).hex() == script
    assert bitcoin_script(address.swapcase()).hex() == script  # all-upper is all-lower


def test_bitcoin_script_of_base58_addresses() -> None:
    digest = bytes(range(20))
    p2pkh = b58check_encode(b"\x00" + digest)
    assert bitcoin_script(p2pkh) == b"\x76\xa9\x14" + digest + b"\x88\xac"
    assert bitcoin_script(b58check_encode(b"\x05" + digest)) == b"\xa9\x14" + digest + b"\x87"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "mixed-case bech32"),
        # BIP-173 / BIP-350 invalid vectors: v0 program of 16 bytes, v0 in bech32m.
        ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "20 .P2WPKH. or 32 .P2WSH. bytes"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "bad bech32 checksum"),
        ("bc1" + "q" * 88, "at most 90 characters"),
        (b58check_encode(b"\x6f" + bytes(20)), "not a mainnet"),
    ],
)
def test_malformed_bitcoin_addresses_are_refused(address: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        bitcoin_script(address)


@pytest.mark.parametrize("kind", ["p2wpkh"])
def test_a_bech32_wallet_in_upper_case_is_the_same_wallet(kind: str) -> None:
    lower, upper = btc_wallet(kind), btc_wallet(kind, upper=True)
    assert lower.address != upper.address and lower.key() == upper.key()
    # Each spelling alone is a valid, signed wallet: only counting both is wrong.
    assert check_wallets(AID, ASSETS, [upper], BACKEND) == {"BTC": 200_000_000, "ETH": 0}
    with pytest.raises(InvalidReserve) as info:
        check_wallets(AID, ASSETS, [lower, upper], BACKEND)
    message = str(info.value)
    assert "reserve wallet 2" in message and "duplicated wallet" in message
    assert lower.address in message and upper.address in message  # both named in full
    assert "same scriptPubKey" in message


@pytest.mark.parametrize("kind", ["p2pkh", "p2sh-p2wpkh"])
def test_a_base58_wallet_in_upper_case_is_not_an_address(kind: str) -> None:
    # Base58 is case-sensitive: the other case is another string whose checksum fails,
    # so it cannot be a second spelling of the wallet.
    reason = r"reserve wallet 2.*(bad base58check checksum|not a base58 character)"
    with pytest.raises(InvalidReserve, match=reason):
        check_wallets(AID, ASSETS, [btc_wallet(kind), btc_wallet(kind, upper=True)], BACKEND)


def test_an_evm_wallet_in_three_spellings_is_one_wallet() -> None:
    checksummed = evm_wallet()
    body = checksummed.address[2:]
    for spelling in ("0x" + body.lower(), "0x" + body.upper()):
        assert canonical_address("ethereum", spelling) == bytes.fromhex(body)
        with pytest.raises(InvalidReserve, match="duplicated wallet: the same wallet"):
            check_wallets(
                AID, ASSETS, [checksummed, replace(checksummed, address=spelling)], BACKEND
            )
    wrong_checksum = "0x" + body.swapcase()
    with pytest.raises(ValueError, match="EIP-55"):
        canonical_address("ethereum", wrong_checksum)


def test_a_non_canonical_ed25519_key_is_refused() -> None:
    # y = p + 1 encodes the same point as y = 1: a second spelling of one key.
    p = (1 << 255) - 19
    alias = base58.b58encode((p + 1).to_bytes(32, "little")).decode()
    with pytest.raises(ValueError, match="not a canonical Ed25519"):
        canonical_address("solana", alias)
    canonical = base58.b58encode((1).to_bytes(32, "little")).decode()
    assert canonical_address("solana", canonical) == (1).to_bytes(32, "little")


def test_a_wallet_with_a_malformed_address_is_named() -> None:
    bad = replace(btc_wallet("p2wpkh"), address="bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    with pytest.raises(InvalidReserve, match=r"reserve wallet 1.*mixed-case bech32"):
        check_wallets(AID, ASSETS, [bad], BACKEND)


def test_a_wallet_counted_for_two_assets_is_rejected() -> None:
    btc_on_eth = replace(sol_wallet(), asset="BTC")
    with pytest.raises(InvalidReserve, match="counted for two assets"):
        check_wallets(AID, ASSETS, [sol_wallet(), btc_on_eth], BACKEND)


def test_uncovered_address_types_say_why() -> None:
    taproot = segwit_encode("bc", 1, b"\x02" * 32)
    bad = replace(btc_wallet(), address=taproot)
    with pytest.raises(InvalidReserve, match="BIP-322"):
        check_wallets(AID, ASSETS, [bad], BACKEND)


def test_ed25519_without_a_backend_is_not_accepted() -> None:
    with pytest.raises(InvalidReserve, match="no Ed25519 backend"):
        check_wallets(AID, ASSETS, [sol_wallet()], None)


# --- coverage and reserves.json --------------------------------------------------------


def _manifest_doc(reserves: dict[str, int]) -> dict[str, object]:
    assets = tuple(
        AssetLiability(a.symbol, a.decimals, a.liabilities, reserves[a.symbol]) for a in ASSETS
    )
    doc = json.loads(json.dumps(_BASE.to_json()))
    doc["id"] = AID
    doc["assets"] = [a.to_json() for a in assets]
    return doc  # type: ignore[no-any-return]


_BASE = Manifest(
    attestation_id=AID,
    issuer_name="x",
    issuer_url="https://x.example",
    as_of="2026-11-21T00:00:00Z",
    assets=ASSETS,
    tree=TreeInfo(2, 1, 1, 1, 0),
    initial_accumulator=0,
    final_accumulator=0,
    final_totals=(0, 0),
    final_blind=0,
    circuit_id=batch_circuit_id(len(ASSETS), 2, 1),
    constraints=0,
    setup_kind="insecure-dev",
    setup_statement="s",
    software_version="0",
    files={},
)


def test_manifest_with_reserves_round_trips_and_shows_the_ratio() -> None:
    doc = _manifest_doc({"BTC": 200_000_000, "ETH": 9_999_999_999})
    manifest = Manifest.from_json(doc)
    assert manifest.to_json() == doc
    assert doc["assets"][0]["ratio"] == "1.3333"  # type: ignore[index]
    assert doc["assets"][1]["ratio"] == "0.9999"  # type: ignore[index]  # never rounded up


def test_coverage_passes_and_under_coverage_names_the_asset_and_shortfall() -> None:
    wallets = [btc_wallet(), evm_wallet(), sol_wallet()]
    doc = reserves_to_json(AID, wallets, {"BTC": 8, "ETH": 9})
    ok = Manifest.from_json(_manifest_doc({"BTC": 200_000_000, "ETH": 11_000_000_000}))
    assert "every asset covered" in check_reserves(ok, doc, BACKEND)
    short = [btc_wallet(), evm_wallet(balance=4_000_000_000), sol_wallet()]
    doc = reserves_to_json(AID, short, {"BTC": 8, "ETH": 9})
    under = Manifest.from_json(_manifest_doc({"BTC": 200_000_000, "ETH": 9_000_000_000}))
    with pytest.raises(VerificationError, match=r"ETH is under-covered: .* short by 1 ETH"):
        check_reserves(under, doc, BACKEND)


def test_published_reserves_must_equal_the_signed_wallets() -> None:
    doc = reserves_to_json(AID, [btc_wallet(), evm_wallet()], {"BTC": 8, "ETH": 9})
    inflated = Manifest.from_json(_manifest_doc({"BTC": 300_000_000, "ETH": 6_000_000_000}))
    with pytest.raises(InvalidReserve, match="add up to 2"):
        check_reserves(inflated, doc, BACKEND)


def test_reserves_json_is_strict() -> None:
    doc = reserves_to_json(AID, [btc_wallet()], {"BTC": 8, "ETH": 9})
    doc["wallets"][0]["balance_amount"] = "3"
    manifest = Manifest.from_json(_manifest_doc({"BTC": 200_000_000, "ETH": 0}))
    with pytest.raises(MalformedInput, match="not as zkpor/1 writes it"):
        check_reserves(manifest, doc, BACKEND)
    other = reserves_to_json("another-id", [btc_wallet()], {"BTC": 8, "ETH": 9})
    with pytest.raises(InvalidReserve, match="is for attestation"):
        check_reserves(manifest, other, BACKEND)


# --- reserves.csv ----------------------------------------------------------------------


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    _, toml = write_demo_inputs(tmp_path, 10, 1)
    return toml


def write_csv(tmp_path: Path, config_path: Path, wallets: list[Wallet]) -> Path:
    config = load_config(config_path)
    path = tmp_path / "reserves.csv"
    path.write_bytes(reserves_csv(wallets, {a.symbol: a.decimals for a in config.assets}))
    return path


def demo_wallets(config_path: Path) -> list[Wallet]:
    aid = load_config(config_path).attestation_id
    return sign_test_wallets(
        aid,
        [
            DemoWallet("bitcoin", "BTC", "a", 150_000_000, "924000"),
            DemoWallet("ethereum", "ETH", "b", 2_500_000_000, "23850000"),
            DemoWallet("solana", "SOL", "c", 7, "2026-11-21T00:00:00Z"),
        ],
    )


def test_reserves_csv_round_trips(tmp_path: Path, config_path: Path) -> None:
    wallets = demo_wallets(config_path)
    read, rounded = read_reserves(
        write_csv(tmp_path, config_path, wallets), load_config(config_path)
    )
    assert read == wallets
    assert not any(rounded.values())


HEADER = "chain,asset,address,balance,as_of,signature,role\n"


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("dogecoin,BTC,x,1,1,x,customer", ":2: chain: unknown chain"),
        ("ethereum,DOGE,0x" + "00" * 20 + ",1,1,0x,customer", ":2: asset: unknown asset"),
        ("ethereum,ETH,0x1234,1,1,0x,customer", ":2: address: an EVM address is 0x"),
        ("ethereum,ETH,0x" + "00" * 20 + ",-1,1,0x,customer", ":2: balance: malformed amount"),
        ("ethereum,ETH,0x" + "00" * 20 + ",1,01,0x,customer", ":2: as_of: as_of must be"),
        ("ethereum,ETH,0x" + "00" * 20 + ",1,1,,customer", ":2: signature: missing signature"),
        (
            "ethereum,ETH,0x" + "00" * 20 + ",1,1,0x00,customer",
            ":2: signature: an EIP-191 signature",
        ),
        ("ethereum,ETH,0x" + "00" * 20 + ",1,1,0x00,", ":2: role: unknown role ''"),
        ("ethereum,ETH,1", ":2: expected 7 cells"),
        # A 6-cell row of the old format under the new header.
        ("ethereum,ETH,0x" + "00" * 20 + ",1,1,0x00", ":2: expected 7 cells"),
    ],
)
def test_bad_rows_name_file_line_and_field(
    tmp_path: Path, config_path: Path, row: str, where: str
) -> None:
    path = tmp_path / "reserves.csv"
    path.write_text(HEADER + row + "\n")
    with pytest.raises(InputError) as info:
        read_reserves(path, load_config(config_path))
    assert where in str(info.value)


def test_csv_duplicates_and_two_assets_are_rejected(tmp_path: Path, config_path: Path) -> None:
    wallets = demo_wallets(config_path)
    path = write_csv(tmp_path, config_path, [*wallets, wallets[1]])
    with pytest.raises(InputError, match=":5: address: duplicated wallet, first on line 3"):
        read_reserves(path, load_config(config_path))
    aid = load_config(config_path).attestation_id
    usdt = sign_test_wallets(aid, [DemoWallet("ethereum", "USDT", "b", 1, "23850000")])
    path = write_csv(tmp_path, config_path, [*wallets, *usdt])
    with pytest.raises(InputError, match="counted for ETH on line 3"):
        read_reserves(path, load_config(config_path))


def test_csv_refuses_one_bech32_wallet_in_two_cases(tmp_path: Path, config_path: Path) -> None:
    config = load_config(config_path)
    lower = btc_wallet("p2wpkh", aid=config.attestation_id, role=CUSTOMER)
    upper = btc_wallet("p2wpkh", aid=config.attestation_id, upper=True, role=CUSTOMER)
    path = write_csv(tmp_path, config_path, [lower, upper])
    with pytest.raises(InputError, match=":3: address: duplicated wallet, first on line 2"):
        read_reserves(path, config)


def test_csv_refuses_a_mixed_case_bech32_address_naming_the_line(
    tmp_path: Path, config_path: Path
) -> None:
    config = load_config(config_path)
    wallet = btc_wallet("p2wpkh", aid=config.attestation_id, role=CUSTOMER)
    mixed = replace(wallet, address=wallet.address[:5] + wallet.address[5:].upper())
    path = write_csv(tmp_path, config_path, [mixed])
    with pytest.raises(InputError, match=r":2: address: .*mixed-case bech32"):
        read_reserves(path, config)


def test_csv_signature_for_another_attestation_is_rejected(
    tmp_path: Path, config_path: Path
) -> None:
    other = sign_test_wallets("demo-2020-01-01", [DemoWallet("ethereum", "ETH", "b", 1, "1")])
    path = write_csv(tmp_path, config_path, other)
    with pytest.raises(InputError, match=":2: signature: the signature is by"):
        read_reserves(path, load_config(config_path))


# --- reserves.csv: wallet roles (issue 16) -----------------------------------------------

#: A wrapped token backed by BTC, appended to the demo's zkpor.toml.
WRAPPED_TOML = """
[[wrapped]]
symbol = "ZBTC"
origin = "BTC"
chain = "ethereum"
contract = "0x00000000000000000000000000000000000b7c01"
decimals = 8
supply = "1.5"
block = 23850000
"""


@pytest.fixture
def wrapped_config_path(config_path: Path) -> Path:
    with config_path.open("a", encoding="utf-8") as toml:
        toml.write(WRAPPED_TOML)
    return config_path


def role_wallets(config_path: Path, *wallets: DemoWallet) -> Path:
    """Return reserves.csv holding ``wallets`` signed (role included) by their test keys."""
    config = load_config(config_path)
    signed = sign_test_wallets(config.attestation_id, list(wallets))
    return write_csv(config_path.parent, config_path, signed)


def test_reserves_csv_round_trips_every_role(wrapped_config_path: Path) -> None:
    # The refusals below each change one thing of this accepted file.
    path = role_wallets(
        wrapped_config_path,
        DemoWallet("bitcoin", "BTC", "a", 150_000_000, "924000", CUSTOMER),
        DemoWallet("bitcoin", "BTC", "vault", 150_000_000, "924000", "wrapped:ZBTC"),
        DemoWallet("ethereum", "USDT", "fund", 1_000_000, "23850000", PROTECTION_FUND),
        DemoWallet("ethereum", "ETH", "treasury", 2_000_000_000, "23850000", CORPORATE),
    )
    read, _ = read_reserves(path, load_config(wrapped_config_path))
    assert [w.role for w in read] == [CUSTOMER, "wrapped:ZBTC", PROTECTION_FUND, CORPORATE]


def test_csv_refuses_the_six_column_header_naming_the_role_column(
    tmp_path: Path, config_path: Path
) -> None:
    legacy = sign_test_wallets(
        load_config(config_path).attestation_id, [DemoWallet("ethereum", "ETH", "b", 1, "1", None)]
    )
    (w,) = legacy
    path = tmp_path / "reserves.csv"
    old_header = "chain,asset,address,balance,as_of,signature\n"
    path.write_text(old_header + f"{w.chain},{w.asset},{w.address},1,{w.as_of},{w.signature}\n")
    with pytest.raises(InputError) as info:
        read_reserves(path, load_config(config_path))
    message = str(info.value)
    assert f"{path}:1: header: the header must be {HEADER.strip()}" in message
    assert "the role column is new" in message and "--role" in message


@pytest.mark.parametrize(
    ("wallet", "reason"),
    [
        (
            DemoWallet("ethereum", "ETH", "b", 1, "1", "treasury"),
            "role: unknown role treasury (roles: customer, protection-fund, corporate, "
            "wrapped:<TOKEN>)",
        ),
        (
            DemoWallet("bitcoin", "BTC", "a", 1, "1", "wrapped:WETH"),
            "role: role wrapped:WETH names no declared wrapped token (wrapped tokens: ZBTC)",
        ),
        (
            DemoWallet("ethereum", "ETH", "b", 1, "1", "wrapped:ZBTC"),
            "role: the collateral of ZBTC is held in its origin asset BTC, not in ETH",
        ),
    ],
    ids=["unknown", "undeclared-token", "not-the-origin-asset"],
)
def test_csv_refuses_a_role_the_wallet_cannot_have(
    wrapped_config_path: Path, wallet: DemoWallet, reason: str
) -> None:
    # Signed with that very role: the signature is valid, the role is not.
    customer = DemoWallet("solana", "SOL", "c", 7, "2026-11-21T00:00:00Z", CUSTOMER)
    path = role_wallets(wrapped_config_path, customer, wallet)
    with pytest.raises(InputError) as info:
        read_reserves(path, load_config(wrapped_config_path))
    assert str(info.value) == f"{path}:3: {reason}"


def test_csv_refuses_a_wrapped_role_when_no_token_is_declared(
    tmp_path: Path, config_path: Path
) -> None:
    path = role_wallets(config_path, DemoWallet("bitcoin", "BTC", "a", 1, "1", "wrapped:ZBTC"))
    with pytest.raises(InputError, match=r":2: role: .*none are declared"):
        read_reserves(path, load_config(config_path))


def test_csv_refuses_one_wallet_in_two_roles_naming_the_first_line(
    wrapped_config_path: Path,
) -> None:
    # The customer wallet of line 3 declared again as ZBTC collateral: both rows signed,
    # each with its own role, so only the once-per-file rule stops it backing both.
    path = role_wallets(
        wrapped_config_path,
        DemoWallet("ethereum", "ETH", "b", 1, "1", CUSTOMER),
        DemoWallet("bitcoin", "BTC", "a", 150_000_000, "924000", CUSTOMER),
        DemoWallet("bitcoin", "BTC", "vault", 100_000_000, "924000", "wrapped:ZBTC"),
        DemoWallet("bitcoin", "BTC", "a", 150_000_000, "924000", "wrapped:ZBTC"),
    )
    with pytest.raises(InputError) as info:
        read_reserves(path, load_config(wrapped_config_path))
    assert str(info.value).startswith(
        f"{path}:5: address: the same wallet is declared as customer on line 3: "
        "a wallet has exactly one role"
    )


def test_reserve_message_is_fixed() -> None:
    assert reserve_message(AID, "ethereum", "ETH", "0xab", "1", role=None) == (
        b"zkpor/1 reserves\nattestation: test-reserves-2026-11-21\nchain: ethereum\n"
        b"asset: ETH\naddress: 0xab\nas of: 1\n"
    )
    with pytest.raises(ValueError, match="printable"):
        reserve_message("a\nb", "ethereum", "ETH", "0xab", "1", role=None)


# --- the verify step over a real attestation -------------------------------------------


def with_reserves(files: dict[str, bytes], wallets: list[Wallet]) -> dict[str, bytes]:
    """Return ``files`` plus reserves.json, the manifest rewritten to declare the reserves
    (all customer wallets: with roles, an empty ``segregation`` section, as zkpor writes
    for wallets with roles and no wrapped token, fund or corporate wallet)."""
    from tests.verifier.test_verify_attestation import _json_bytes

    manifest = Manifest.from_json(json.loads(files["attestation.json"]))
    decimals = {a.symbol: a.decimals for a in manifest.assets}
    reserves = _json_bytes(reserves_to_json(manifest.attestation_id, wallets, decimals))
    held = {
        a.symbol: sum(w.balance for w in wallets if w.asset == a.symbol) for a in manifest.assets
    }
    assets = tuple(replace(a, reserves=held[a.symbol]) for a in manifest.assets)
    hashes = {**manifest.files, "reserves.json": hashlib.sha256(reserves).hexdigest()}
    has_roles = any(w.role is not None for w in wallets)
    segregation = Segregation((), (), ()) if has_roles else None
    manifest = replace(manifest, assets=assets, files=hashes, segregation=segregation)
    return {**files, "reserves.json": reserves, "attestation.json": _json_bytes(manifest.to_json())}


@pytest.mark.slow
@pytest.mark.parametrize("role", [CUSTOMER, None], ids=["roles", "before-roles"])
def test_verify_step_reserves_passes_and_fails_when_under_covered(role: str | None) -> None:
    from tests.verifier.test_verify_attestation import build_attestation, reader
    from verifier.attestation import verify_attestation

    files = build_attestation()
    manifest = Manifest.from_json(json.loads(files["attestation.json"]))
    owed = {a.symbol: a.liabilities for a in manifest.assets}

    def signed(usdt_eth: int, usdt_sol: int) -> list[Wallet]:
        return sign_test_wallets(
            manifest.attestation_id,
            [
                DemoWallet("bitcoin", "BTC", "a", owed["BTC"], "7", role),
                DemoWallet("ethereum", "USDT", "b", usdt_eth, "7", role),
                DemoWallet("solana", "USDT", "c", usdt_sol, "7", role),
            ],
        )

    covered = with_reserves(files, signed(owed["USDT"], owed["USDT"]))
    results = verify_attestation(reader(covered), BACKEND, allow_dev_setup=True)
    assert [r.status for r in results] == ["OK"] * 10, results
    step = {r.name: r for r in results}
    assert "every asset covered (BTC 1.0000, USDT 2.0000)" in step["reserves"].detail
    results = verify_attestation(reader(covered), None, allow_dev_setup=True)
    step = {r.name: r for r in results}
    assert step["reserves"].status == "FAIL" and "no Ed25519 backend" in step["reserves"].detail
    short = with_reserves(files, signed(owed["USDT"] - 1, 0))
    results = verify_attestation(reader(short), BACKEND, allow_dev_setup=True)
    # Step 8 fails alone: steps 9 (trusted setup) and 10 (co-signatures) still pass.
    assert [r.status for r in results] == ["OK"] * 7 + ["FAIL", "OK", "OK"]
    step = {r.name: r for r in results}
    assert "USDT is under-covered" in step["reserves"].detail
    assert "short by 0.000001 USDT" in step["reserves"].detail


def test_cli_reserves_sign_writes_a_file_that_ingests(tmp_path: Path, config_path: Path) -> None:
    from typer.testing import CliRunner

    from publisher.cli.main import app

    out = tmp_path / "signed.csv"
    wallets = ["ethereum:ETH:cold:1500.5:23850000", "solana:SOL:s:3:2026-11-21T00:00:00Z"]
    args = ["reserves", "sign", "--config", str(config_path), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, *(f"--wallet={w}" for w in wallets)])
    assert result.exit_code == 0, result.output
    read, _ = read_reserves(out, load_config(config_path))
    assert [(w.asset, w.balance) for w in read] == [("ETH", 1_500_500_000_000), ("SOL", 3 * 10**9)]
    message = ["reserves", "message", "--config", str(config_path), "--chain", "ethereum"]
    message += ["--asset", "ETH", "--address", read[0].address, "--as-of", "23850000"]
    result = CliRunner().invoke(app, message)
    assert result.exit_code == 0 and result.output.startswith("zkpor/1 reserves\n")
    bad = CliRunner().invoke(app, [*args, "--wallet", "dogecoin:ETH:x:1:1"])
    assert bad.exit_code == 2 and "unknown chain" in bad.output
