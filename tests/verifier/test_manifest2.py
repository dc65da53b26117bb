"""zkpor/2's manifest: the registry section, derived fields, round trip (no proofs needed)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.zkpor2_fixture import registry
from verifier.attestation import _json_difference
from verifier.book import registry_public_inputs
from verifier.errors import MalformedInput
from verifier.manifest import _Doc
from verifier.manifest2 import Asset2, Manifest2, Registry2, parse_registry, signed_units


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return registry(tmp_path_factory.mktemp("registry"))


def parse(doc: object) -> Registry2:
    return parse_registry(_Doc(doc, "attestation.json.registry"))


def test_registry_round_trips_with_the_publishers_digest_and_tables(published: Any) -> None:
    section = published.to_json()
    parsed = parse(section)
    assert parsed.to_json() == section
    assert parsed.canonical_json() == published.canonical_json()
    assert parsed.digest.hex() == published.digest()
    assert parsed.tier_tables == [a.tiers for a in published.assets]
    assert parsed.tiers == 2
    assert parsed.public_inputs == registry_public_inputs(parsed.tier_tables, 2)
    assert parsed.value_decimals == published.value_decimals


def changed(section: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(section)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("format",), "zkpor/1 registry", "format must be"),
        (("quote", "decimals"), 31, "at most 30"),
        (("quote", "symbol"), "usd", "quote.symbol"),
        (("price_source",), "http://prices.example", "https:// URL"),
        (("tables", 0, "bounds", 0), "1", "bounds[0] must be 0"),
        (("tables", 0, "bounds", 1), "0", "strictly increase"),
        (("tables", 0, "ratios", 1), 101, "whole percent"),
        (("tables", 1, "ratios"), [80, 90], "must not increase"),
        (("tables", 0, "bounds"), ["0"], "one bound and one ratio"),
        (("tables", 0, "bounds", 1), "18446744073709551616", "is not below"),
        (("tables", 0, "bounds", 1), "10000.001", "decimals"),
        (("tables", 0, "bounds", 1), "-1", "plain decimal"),
        (("assets", 1, "symbol"), "BTC", "listed twice"),
        (("assets", 1, "table"), 7, "not a table"),
        (("assets", 2, "table"), 0, "order of first use"),
        (("assets", 0, "price"), "5e4", "plain decimal"),
        (("assets", 0, "price"), 50000, "decimal string"),
        (("assets",), [], "1 to 1024 assets"),
        (("tables",), [], "1 to 64 tables"),
    ],
)
def test_bad_registry_is_refused_with_the_reason(
    published: Any, path: tuple[Any, ...], value: Any, reason: str
) -> None:
    with pytest.raises(MalformedInput, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse(changed(published.to_json(), path, value))


def test_same_table_twice_is_refused(published: Any) -> None:
    section = published.to_json()
    section["tables"][2] = copy.deepcopy(section["tables"][0])
    with pytest.raises(MalformedInput, match="same table twice"):
        parse(section)


def test_unit_price_beyond_64_bits_is_refused(published: Any) -> None:
    """BTC priced in whole units at 2^64 of the value unit: the circuit cannot take it."""
    section = changed(published.to_json(), ("assets", 0, "price"), "999999999999999999999999")
    with pytest.raises(MalformedInput, match="not a registry zkpor/2 can prove"):
        parse(section)


def test_non_canonical_decimal_differs_from_the_rewrite(published: Any) -> None:
    section = changed(published.to_json(), ("assets", 0, "price"), "50000.0")
    parsed = parse(section)  # the value is exact ...
    difference = _json_difference(section, parsed.to_json(), writer="zkpor/2")
    assert difference is not None and difference.path == ("assets", 0, "price")


def test_asset_figures() -> None:
    asset = Asset2("USDT", 2, 60_001, 100_000, 0)
    doc = asset.to_json()
    assert doc["net"] == "-39999" and doc["net_amount"] == "-399.99"
    assert doc["ratio_net"] is None and doc["ratio_gross"] == "0.0000"
    assert Asset2("BTC", 8, 100, 100, 5).to_json()["ratio_net"] is None  # net 0
    assert Asset2("BTC", 8, 0, 0, 5).to_json()["ratio_gross"] is None
    assert Asset2("BTC", 8, 200, 100, 105).to_json()["ratio_net"] == "1.0500"
    assert "reserves" not in Asset2("BTC", 8, 1, 0).to_json()
    assert signed_units(-1, 8) == "-0.00000001" and signed_units(0, 0) == "0"


def test_manifest_round_trip_and_reserves_view(tmp_path: Path, published: Any) -> None:
    from tests.verifier.zkpor2_fixture import asset_json

    doc = {
        "format": "zkpor/2",
        "id": "book-1",
        "issuer": {"name": "X", "url": "https://x.example"},
        "as_of": "2026-12-01T00:00:00Z",
        "registry": published.to_json(),
        "assets": [
            asset_json("BTC", 8, 10, 0, 20),
            asset_json("ETH", 8, 10, 20, 0),
            asset_json("USDT", 2, 0, 0, 0),
        ],
        "tree": {"arity": 4},
        "shapes": [
            {
                "slots": 4,
                "batch_depth": 2,
                "batch_size": 16,
                "batches": 5,
                "leaves": 80,
                "top_depth": 2,
                "root": "7",
                "circuit": {"id": "zkpor2-a3-t2-s4-k4-d2", "constraints": 1},
            },
            {
                "slots": 16,
                "batch_depth": 0,
                "batch_size": 1,
                "batches": 1,
                "leaves": 1,
                "top_depth": 0,
                "root": "8",
                "circuit": {"id": "zkpor2-a3-t2-s16-k4-d0", "constraints": 1},
            },
        ],
        "totals": {"mask_sum": "1", "beta": "2", "gamma": "3"},
        "setup": {"kind": "insecure-dev", "statement": "dev"},
        "software": {"name": "zkpor", "version": "1"},
        "files": {"vk-s4.json": "0" * 64},
    }
    manifest = Manifest2.from_json(json.loads(json.dumps(doc)))
    assert manifest.to_json() == doc
    assert manifest.n_public == 5 + 3 * 5
    view = manifest.reserves_view()
    assert [a.liabilities for a in view.assets] == [10, 0, 0]
    bad = copy.deepcopy(doc)
    bad["shapes"][1]["slots"] = 4
    with pytest.raises(MalformedInput, match="strictly increase"):
        Manifest2.from_json(bad)
    bad = copy.deepcopy(doc)
    bad["assets"].pop()
    with pytest.raises(MalformedInput, match="lists 2 assets, the registry 3"):
        Manifest2.from_json(bad)
    bad = copy.deepcopy(doc)
    bad["shapes"][0]["batch_depth"] = 10
    with pytest.raises(MalformedInput, match="more than zkpor/2 proves"):
        Manifest2.from_json(bad)
    bad = copy.deepcopy(doc)
    bad["assets"][0]["equity"] = str(1 << 96)
    with pytest.raises(MalformedInput, match="equity must be below"):
        Manifest2.from_json(bad)
