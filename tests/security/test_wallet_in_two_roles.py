"""Attack: one wallet backs customers and a wrapped token at once (Binance's B-token
collateral kept with customer funds), by declaring it in two roles.

The custodian holds the key, so it can sign the wallet's message once per role; each
signature is valid. What must stop it is the rule that a wallet, by its canonical identity
and whatever its spelling, appears in one role only: step 8 fails naming both entries and
both roles, and `zkpor prove`'s ingest refuses such a reserves.csv naming the line.
"""

from __future__ import annotations

from pathlib import Path

from publisher.reserves.sign import DemoWallet, demo_address, sign_message
from tests.security.segregated_attestation import (
    AID,
    ALL_WALLETS,
    ETH_BLOCK,
    VAULT,
    publish,
    segregated,
    signed,
)
from tests.security.vector_attestation import ALLOW, steps_of, verify
from verifier.reserves import Wallet, reserve_message


def _fails_step_8(folder: Path) -> str:
    text, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[8]
    assert text.exit_code == 1 and status == "FAIL", text.output
    return detail


def test_the_wrapped_tokens_vault_also_declared_as_customer_reserves(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    as_customer = DemoWallet(VAULT.chain, VAULT.asset, VAULT.label, VAULT.balance, VAULT.as_of)
    publish(folder, signed([*ALL_WALLETS, as_customer]))
    detail = _fails_step_8(folder)
    assert "declared in two roles" in detail
    assert "(wrapped:ZBTC there, customer here)" in detail, detail


def test_a_customer_wallet_reused_as_collateral_under_another_spelling(tmp_path: Path) -> None:
    """The corporate ETH key's address in lowercase, signed as protection fund: one
    20-byte address, so one wallet, whichever way it is written."""
    folder = segregated(tmp_path / "a")
    address = demo_address("ethereum", "corporate").lower()
    message = reserve_message(AID, "ethereum", "ETH", address, ETH_BLOCK, role="protection-fund")
    again = Wallet(
        "ethereum",
        "ETH",
        address,
        1,
        ETH_BLOCK,
        sign_message("ethereum", "corporate", message),
        "protection-fund",
    )
    publish(folder, [*signed(), again])
    detail = _fails_step_8(folder)
    assert "same 20-byte address" in detail and "declared in two roles" in detail, detail


def test_the_ingest_refuses_a_wallet_in_two_roles(tmp_path: Path) -> None:
    from publisher.config import load_config
    from publisher.errors import InputError
    from publisher.reserves.ingest import read_reserves
    from publisher.reserves.sign import reserves_csv

    config = tmp_path / "zkpor.toml"
    config.write_text(
        '[issuer]\nname = "Vector Custody Ltd."\nurl = "https://vectors.example/por"\n'
        f'[attestation]\nid = "{AID}"\nas_of = "2026-01-31T00:00:00Z"\n'
        "[tree]\narity = 2\nbatch_depth = 1\n"
        '[[assets]]\nsymbol = "BTC"\ndecimals = 8\n'
        '[[wrapped]]\nsymbol = "ZBTC"\norigin = "BTC"\nchain = "ethereum"\n'
        'contract = "0x00000000000000000000000000000000000b7c01"\ndecimals = 8\n'
        'supply = "5"\nblock = 21900000\n'
    )
    as_customer = DemoWallet(VAULT.chain, VAULT.asset, VAULT.label, VAULT.balance, VAULT.as_of)
    csv = tmp_path / "reserves.csv"
    csv.write_bytes(reserves_csv(signed([VAULT, as_customer]), {"BTC": 8}))
    try:
        read_reserves(csv, load_config(config))
    except InputError as exc:
        assert str(exc).startswith(
            f"{csv}:3: address: the same wallet is declared as wrapped:ZBTC on line 2"
        )
    else:
        raise AssertionError("a wallet in two roles was accepted")
