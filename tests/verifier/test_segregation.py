"""The manifest's ``segregation`` and ``cosigners`` sections, ``reserves.json`` roles and
the co-signature files, parsed strictly (``verifier.manifest``, ``verifier.cosign``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.security.segregated_attestation import AUDITOR, cosigned, pin, segregated
from tests.security.vector_attestation import read_json
from verifier.attestation import AttestationFiles, read_manifest
from verifier.cosign import SIGNATURES_INDEX, parse_cosignature, parse_index
from verifier.errors import MalformedInput
from verifier.fetch import directory_reader
from verifier.manifest import MANIFEST, RESERVES, Manifest, backed, backing_ratio
from verifier.reserves import parse_reserves


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cosigned(tmp_path_factory.mktemp("s") / "a", [pin(AUDITOR, "A")], (AUDITOR, "A"))


def test_the_sections_round_trip(folder: Path) -> None:
    manifest, difference = read_manifest(AttestationFiles(directory_reader(folder)))
    assert difference is None
    assert manifest.segregation is not None and manifest.cosigners
    assert [w.symbol for w in manifest.segregation.wrapped] == ["ZBTC"]
    assert [h.asset for h in manifest.segregation.protection_fund] == ["USDC"]
    assert [h.asset for h in manifest.segregation.corporate] == ["ETH"]


def _manifest_with(folder: Path, change: Any) -> Any:
    doc = read_json(folder, MANIFEST)
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d["segregation"]["wrapped"][0].update(origin="DOGE"), "is not an asset here"),
        (lambda d: d["segregation"]["wrapped"][0].update(chain="bsc"), "chain must be one of"),
        (lambda d: d["segregation"]["wrapped"][0].update(contract="0x12"), "40 hex digits"),
        (
            lambda d: d["segregation"]["wrapped"].append(d["segregation"]["wrapped"][0]),
            "listed twice",
        ),
        (
            lambda d: d["segregation"]["corporate"].append(
                {"asset": "BTC", "balance": "1", "amount": "0.00000001"}
            ),
            "out of order",
        ),
        (
            lambda d: d["segregation"]["corporate"].append(d["segregation"]["corporate"][0]),
            "listed twice",
        ),
        (
            lambda d: d["cosigners"][0].update(key=d["cosigners"][0]["key"].upper()),
            "64 lowercase hex",
        ),
        (lambda d: d["cosigners"][0].update(scheme="rsa"), "scheme must be one of"),
        (lambda d: d.update(cosigners=[]), "1 to 64 co-signers"),
        (lambda d: d["cosigners"].append(d["cosigners"][0]), "pinned twice"),
    ],
)
def test_malformed_sections_are_refused(folder: Path, change: Any, why: str) -> None:
    with pytest.raises(MalformedInput, match=why):
        Manifest.from_json(_manifest_with(folder, change))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["segregation"]["wrapped"][0].update(ratio="9.9999"), "ratio"),
        (lambda d: d["segregation"]["wrapped"][0].update(supply_amount="5.5"), "supply_amount"),
        (lambda d: d["segregation"]["protection_fund"][0].update(amount="1"), "amount"),
        (lambda d: d["segregation"].update(note="x"), "note"),
        (lambda d: d["cosigners"][0].update(url="https://x"), "url"),
    ],
)
def test_derived_or_unknown_fields_differ_from_the_rewritten_manifest(
    folder: Path, change: Any, path: str
) -> None:
    data = json.dumps(_manifest_with(folder, change)).encode()
    _, difference = read_manifest(AttestationFiles(lambda name: data))
    assert difference is not None and difference.path[-1] == path, difference


def test_backing_is_exact_across_decimals() -> None:
    assert backed(1, 0, 10**18, 18) and not backed(1, 0, 10**18 + 1, 18)
    assert backing_ratio(97, 2, 100, 2) == "0.9700" and backing_ratio(1, 8, 0, 8) is None


def test_reserves_json_is_all_roles_or_none(folder: Path) -> None:
    doc = read_json(folder, RESERVES)
    del doc["wallets"][0]["role"]
    with pytest.raises(MalformedInput, match="either every wallet has a role or none"):
        parse_reserves(doc, {"BTC": 8, "ETH": 9, "USDC": 6, "SOL": 9})
    doc["wallets"][1]["role"] = "x" * 33
    with pytest.raises(MalformedInput, match="role must be 1 to 32 printable"):
        parse_reserves(doc, {"BTC": 8, "ETH": 9, "USDC": 6, "SOL": 9})


@pytest.mark.parametrize(
    ("names", "why"),
    [
        (["../attestation.json"], "not a co-signature file name"),
        (["signatures/index.json"], "not a co-signature file name"),
        (["signatures/A.json"], "not a co-signature file name"),
        (["signatures/a/b.json"], "not a co-signature file name"),
        (["signatures/a.json", "signatures/a.json"], "lists a file twice"),
        ([f"signatures/a{i}.json" for i in range(65)], "more than 64"),
    ],
)
def test_the_index_names_only_co_signature_files(names: list[str], why: str) -> None:
    with pytest.raises(MalformedInput, match=why):
        parse_index({"format": "zkpor/1", "signatures": names})


def test_a_co_signature_file_is_strict(folder: Path) -> None:
    name = read_json(folder, SIGNATURES_INDEX)["signatures"][0]
    doc = read_json(folder, name)
    assert parse_cosignature(doc, name).key == AUDITOR.public_key()
    for change, why in [
        ({"extra": 1}, "does not define"),
        ({"manifest_sha256": "AB" * 32}, "64 lowercase hex"),
        ({"scheme": "rsa"}, "scheme must be one of"),
        ({"key": "0x" + "00" * 20}, "64 lowercase hex"),
        ({"format": "zkpor/2"}, "format must be"),
    ]:
        with pytest.raises(MalformedInput, match=why):
            parse_cosignature({**doc, **change}, name)


def test_an_old_attestation_without_sections_still_parses(tmp_path: Path) -> None:
    from tests.security.vector_attestation import copy_vectors

    old = copy_vectors(tmp_path / "old")
    manifest, difference = read_manifest(AttestationFiles(directory_reader(old)))
    assert difference is None and manifest.segregation is None and manifest.cosigners == ()
    assert "segregation" not in manifest.to_json() and "cosigners" not in manifest.to_json()
    assert segregated  # the module's other fixture builder stays importable
