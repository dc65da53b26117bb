"""Attack: a wallet's valid signature moved to another role, so that corporate funds, the
protection fund or a wrapped token's collateral count as customer coverage (or customer
funds as collateral).

Every reserve message names the wallet's role, so relabelling the row leaves a signature
over another message: step 8 fails naming the wallet. Stripping every role (and the
segregation section) to fall back to the pre-roles form fails the same way, since the
signatures named roles.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.security.segregated_attestation import publish, segregated, signed
from tests.security.vector_attestation import ALLOW, read_json, steps_of, verify, write_json
from verifier.manifest import MANIFEST, RESERVES


def _step_8(folder: Path) -> tuple[str, str]:
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1, text.output
    return steps_of(report)[8]


@pytest.mark.parametrize(
    ("role", "moved_to", "why"),
    [
        ("corporate", "customer", "the signature is by 0x"),  # EIP-191 recovers another key
        ("protection-fund", "customer", "the signature is by 0x"),
        ("wrapped:ZBTC", "customer", "the signature was made by another key"),  # BIP-137
        ("customer", "wrapped:ZBTC", "the signature was made by another key"),
    ],
)
def test_a_relabelled_wallet_fails_its_signature(
    tmp_path: Path, role: str, moved_to: str, why: str
) -> None:
    folder = segregated(tmp_path / "a")
    wallets = signed()
    index = next(
        i
        for i, w in enumerate(wallets)
        if w.role == role and (role != "customer" or w.asset == "BTC")
    )
    wallets[index] = replace(wallets[index], role=moved_to)
    publish(folder, wallets)  # the figures follow the new labels, as a forger would write them
    status, detail = _step_8(folder)
    assert status == "FAIL" and f"reserve wallet {index + 1}," in detail and why in detail, detail


def test_dropping_every_role_does_not_fall_back_to_the_old_form(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    reserves = read_json(folder, RESERVES)
    for wallet in reserves["wallets"]:
        del wallet["role"]
    write_json(folder, RESERVES, reserves)
    manifest = read_json(folder, MANIFEST)
    del manifest["segregation"]
    write_json(folder, MANIFEST, manifest)
    status, detail = _step_8(folder)
    # The first wallet, a customer one, signed a message naming its role.
    assert status == "FAIL" and detail.startswith("reserve wallet 1,"), detail


def test_roles_in_reserves_json_need_the_manifests_segregation(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    manifest = read_json(folder, MANIFEST)
    del manifest["segregation"]
    write_json(folder, MANIFEST, manifest)
    status, detail = _step_8(folder)
    assert status == "FAIL" and "no segregation section" in detail, detail
