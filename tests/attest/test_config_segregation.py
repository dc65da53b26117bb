"""``zkpor.toml``'s ``[[wrapped]]`` tokens and ``[[cosigners]]`` pins, read strictly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from publisher import config as config_module
from publisher.config import load_config
from publisher.errors import InputError
from verifier.manifest import Cosigner, WrappedToken

BASE = """\
[issuer]
name = "Example Exchange"
url = "https://example.com"

[attestation]
id = "example-2026-11-21"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 2
batch_depth = 1

[[assets]]
symbol = "BTC"
decimals = 8
"""
WRAPPED = """
[[wrapped]]
symbol = "ZBTC"
origin = "BTC"
chain = "ethereum"
contract = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
decimals = 18
supply = "12.5"
block = 23850000
"""
COSIGNER = """
[[cosigners]]
name = "Example Audit LLP"
scheme = "eip191"
key = "0x437cE8019bBc7f6b5C98224946eF098A83e873Bd"
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "zkpor.toml"
    path.write_text(text)
    return load_config(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(InputError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_wrapped_tokens_and_pins_load(tmp_path: Path) -> None:
    config = load_config_text(tmp_path, BASE + WRAPPED + COSIGNER)
    assert config.wrapped == (
        WrappedToken(
            "ZBTC",
            "BTC",
            "ethereum",
            "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599",
            18,
            12_500_000_000_000_000_000,
            23_850_000,
            0,
        ),
    )
    # One spelling per key: an EVM address is pinned in lowercase.
    assert config.cosigners == (
        Cosigner("Example Audit LLP", "eip191", "0x437ce8019bbc7f6b5c98224946ef098a83e873bd"),
    )


def load_config_text(tmp_path: Path, text: str) -> config_module.Config:
    path = tmp_path / "zkpor.toml"
    path.write_text(text)
    return load_config(path)


def test_without_them_there_are_none(tmp_path: Path) -> None:
    config = load_config_text(tmp_path, BASE)
    assert config.wrapped == () and config.cosigners == ()


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = config_module.__doc__ or ""
    example = doc.split("must carry (at most\n1024 and 64 entries)::", 1)[1].split(
        "Every error", 1
    )[0]
    config = load_config_text(tmp_path, BASE + textwrap.dedent(example))
    assert [t.symbol for t in config.wrapped] == ["ZBTC"]
    assert config.cosigners[0].scheme == "ed25519"


@pytest.mark.parametrize(
    ("change", "where", "why"),
    [
        (
            ('origin = "BTC"', 'origin = "ETH"'),
            ":19: wrapped[0].origin",
            "not an [[assets]] symbol",
        ),
        (
            ('chain = "ethereum"', 'chain = "bsc"'),
            ":20: wrapped[0].chain",
            "must be one of ethereum",
        ),
        (
            (
                "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599",
                "0x2260fac5e5542a773aa44fbcfedf7c193bc2c59",
            ),
            ":21: wrapped[0].contract",
            "0x followed by 40 hex",
        ),
        (
            (
                "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599",
                "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C598",
            ),
            ":21: wrapped[0].contract",
            "bad EIP-55 checksum",
        ),
        (('supply = "12.5"', 'supply = "-1"'), ":23: wrapped[0].supply", "plain decimal number"),
        (('supply = "12.5"', "supply = 12.5"), ":23: wrapped[0].supply", "must be a string"),
        (
            ("decimals = 18", "decimals = 0"),
            ":23: wrapped[0].supply",
            "more than the token's 0 decimals",
        ),
        (("decimals = 18", "decimals = 78"), ":22: wrapped[0].decimals", "must be in 0..77"),
        (("block = 23850000", "block = -1"), ":24: wrapped[0].block", "must be a block height"),
        (('symbol = "ZBTC"', 'symbol = "zbtc"'), ":18: wrapped[0].symbol", "must match"),
        (("block = 23850000", "block = 1\nextra = 1"), ":25: wrapped[0].extra", "unknown key"),
    ],
)
def test_bad_wrapped_tokens_name_line_and_field(
    tmp_path: Path, change: tuple[str, str], where: str, why: str
) -> None:
    message = error(tmp_path, BASE + WRAPPED.replace(*change))
    assert where in message and why in message, message


def test_a_wrapped_token_listed_twice_is_refused(tmp_path: Path) -> None:
    message = error(tmp_path, BASE + WRAPPED + WRAPPED)
    assert "wrapped[1].symbol" in message and "duplicate wrapped token 'ZBTC'" in message


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        (('scheme = "eip191"', 'scheme = "rsa"'), "cosigners[0].scheme", "must be one of"),
        (
            (
                "0x437cE8019bBc7f6b5C98224946eF098A83e873Bd",
                "0x437cE8019bBc7f6b5C98224946eF098A83e873BD",
            ),
            "cosigners[0].key",
            "bad EIP-55 checksum",
        ),
        (('scheme = "eip191"', 'scheme = "ed25519"'), "cosigners[0].key", "64 lowercase hex"),
        (('name = "Example Audit LLP"', 'name = "<script>"'), "cosigners[0].name", ""),
    ],
)
def test_bad_pins_name_the_field(
    tmp_path: Path, change: tuple[str, str], field: str, why: str
) -> None:
    message = error(tmp_path, BASE + COSIGNER.replace(*change))
    assert field in message and why in message, message


def test_a_key_pinned_twice_is_refused_whatever_its_case(tmp_path: Path) -> None:
    lower = COSIGNER.replace(
        "0x437cE8019bBc7f6b5C98224946eF098A83e873Bd", "0x437ce8019bbc7f6b5c98224946ef098a83e873bd"
    )
    message = error(tmp_path, BASE + COSIGNER + lower)
    assert "cosigners[1].key" in message and "pinned twice" in message
