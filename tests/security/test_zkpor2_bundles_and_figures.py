"""zkpor/2: bundles that do not describe the proven account, published figures that lie,
reserves below the net. End to end on a real attestation (tests.verifier.zkpor2_fixture)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from publisher.attest.bundles import UserEntry, build_buckets
from publisher.crypto import NaclBackend
from publisher.reserves.sign import DemoWallet
from tests.verifier.zkpor2_fixture import (
    AID,
    Built,
    build,
    check,
    check_user,
    copy_of,
    outcome,
    read_json,
    reseal,
    write_json,
)
from verifier.book import leaf2_hash
from verifier.bundle import Bundle2, open_bundle2
from verifier.codes import parse_code
from verifier.fetch import directory_reader
from verifier.manifest2 import Manifest2
from verifier.protocol import id_commitment, user_id_to_field


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("zkpor2") / "attestation")


@pytest.fixture
def folder(built: Built, tmp_path: Path) -> Path:
    return copy_of(built, tmp_path / "attestation")


def failing(results: dict[str, tuple[str, str]]) -> list[str]:
    return [name for name, (status, _) in results.items() if status != "OK"]


def user_steps(folder: Path, code: str) -> dict[str, tuple[str, str]]:
    return {r.name: (r.status, r.detail) for r in check_user(folder, code).results}


def reseal_bundles(folder: Path, built: Built, change: dict[str, Bundle2]) -> None:
    """Re-seal every bundle (``change`` replacing some) with the run's seed, as the
    custodian can: the buckets, SHA256SUMS and the manifest stay consistent."""
    manifest = Manifest2.from_json(read_json(folder, "attestation.json"))
    assert manifest.bundles is not None
    read, box = directory_reader(folder), NaclBackend()
    entries = []
    for uid, code in built.codes.items():
        raw = parse_code(code)
        bundle = change.get(uid) or open_bundle2(read, manifest.bundles, AID, raw, box)
        entries.append(UserEntry(raw, bundle))
    info, buckets = build_buckets(AID, entries, box.secretbox_seal, bytes(32))
    for name in (folder / "bundles").glob("*.bin"):
        name.unlink()
    sums = []
    for name, data in sorted(buckets.items()):
        (folder / name).write_bytes(data)
        sums.append(f"{hashlib.sha256(data).hexdigest()}  {name.removeprefix('bundles/')}\n")
    (folder / "bundles/SHA256SUMS").write_text("".join(sums))
    doc = read_json(folder, "attestation.json")
    doc["bundles"] = info.to_json()
    write_json(folder, "attestation.json", doc)
    reseal(folder)


def bob(folder: Path, built: Built) -> Bundle2:
    manifest = Manifest2.from_json(read_json(folder, "attestation.json"))
    assert manifest.bundles is not None
    return open_bundle2(
        directory_reader(folder),
        manifest.bundles,
        AID,
        parse_code(built.codes["bob"]),
        NaclBackend(),
    )


def test_tampered_bucket(folder: Path, built: Built) -> None:
    bucket = folder / "bundles/0.bin"
    data = bytearray(bucket.read_bytes())
    data[-1] ^= 1
    bucket.write_bytes(bytes(data))
    results = outcome(check(folder))
    assert failing(results) == ["bundle files"]
    assert (
        "bundles/0.bin does not match its sha256 in bundles/SHA256SUMS"
        in results["bundle files"][1]
    )
    status, _ = user_steps(folder, built.codes["bob"])["bundle"]
    assert status == "FAIL"


def test_bundle_entries_not_matching_its_leaf(folder: Path, built: Built) -> None:
    """Bob's bundle shows 0.9 BTC where the proven leaf holds 0.5: every reviewer step
    passes (only Bob can open his bundle), Bob's leaf step fails."""
    forged = replace(bob(folder, built), entries=((0, 90_000_000, 0), (2, 0, 100_000)))
    reseal_bundles(folder, built, {"bob": forged})
    assert failing(outcome(check(folder))) == []
    steps = user_steps(folder, built.codes["bob"])
    assert steps["bundle"][0] == "OK"
    assert steps["leaf"][0] == "FAIL"
    assert "the bundle does not describe the account that was proven" in steps["leaf"][1]
    assert steps["path to batch root"][0] == "SKIP"


def test_bundle_entries_and_leaf_hash_both_forged(folder: Path, built: Built) -> None:
    """The leaf hash recomputed for the forged entries: the leaf is not under the proven
    batch root."""
    honest = bob(folder, built)
    entries = ((0, 90_000_000, 0), (2, 0, 100_000))
    idc = id_commitment(user_id_to_field(honest.user_id), honest.salt)
    forged = replace(honest, entries=entries, leaf_hash=leaf2_hash(idc, entries, 2))
    reseal_bundles(folder, built, {"bob": forged})
    steps = user_steps(folder, built.codes["bob"])
    assert steps["leaf"][0] == "OK"
    assert steps["path to batch root"][0] == "FAIL"
    assert "your account is not in the batch that was proven" in steps["path to batch root"][1]


def test_bundle_entries_unsorted(folder: Path, built: Built) -> None:
    honest = bob(folder, built)
    forged = replace(honest, entries=tuple(reversed(honest.entries)))
    reseal_bundles(folder, built, {"bob": forged})
    status, detail = user_steps(folder, built.codes["bob"])["leaf"]
    assert status == "FAIL" and "sorted by asset index" in detail


def test_bundle_for_a_shape_the_attestation_lacks(folder: Path, built: Built) -> None:
    reseal_bundles(folder, built, {"bob": replace(bob(folder, built), slots=4)})
    status, detail = user_steps(folder, built.codes["bob"])["bundle"]
    assert status == "FAIL" and "no such shape" in detail


@pytest.mark.parametrize(
    ("index", "key", "value"),
    [
        (2, "net", "0"),
        (2, "net_amount", "399.99"),
        (1, "ratio_net", "1.1000"),
        (1, "ratio_gross", "1.0000"),
        (0, "debt_amount", "0.5"),
    ],
)
def test_published_figure_that_lies(
    folder: Path, built: Built, index: int, key: str, value: str
) -> None:
    manifest = read_json(folder, "attestation.json")
    manifest["assets"][index][key] = value
    write_json(folder, "attestation.json", manifest)
    results = outcome(check(folder))
    assert results["manifest and file hashes"][0] == "FAIL"
    detail = results["manifest and file hashes"][1]
    assert f"attestation.json.assets[{index}].{key} is" in detail
    assert "as zkpor/2 writes it from the other fields" in detail
    assert all(
        status == "SKIP"
        for name, (status, _) in results.items()
        if name != "manifest and file hashes"
    )
    steps = user_steps(folder, built.codes["alice"])
    assert steps["bundle"][0] == "OK"
    assert steps["totals"][0] == "FAIL"
    assert "the published totals are not consistent" in steps["totals"][1]


def test_reserves_below_net(tmp_path: Path) -> None:
    """1.5 BTC held against a BTC net of 1.60000001: the reserves step fails, naming it."""
    wallets = (
        DemoWallet("bitcoin", "BTC", "book-btc", 150_000_000, "930000", None),
        DemoWallet("ethereum", "ETH", "book-eth", 200_000_000, "21900000", None),
    )
    build(tmp_path / "attestation", wallets=wallets)
    results = outcome(check(tmp_path / "attestation"))
    assert failing(results) == ["reserves"]
    detail = results["reserves"][1]
    assert "BTC" in detail and "short by 0.10000001 BTC" in detail
    assert "< net (equity - debt) 1.60000001" in detail


def test_negative_net_needs_no_reserves(built: Built) -> None:
    """USDT's net is -399.99 and no USDT is held: that passes (nothing to cover)."""
    status, detail = outcome(check(built.folder))["reserves"]
    assert status == "OK" and "USDT net n/a (net <= 0)" in detail
