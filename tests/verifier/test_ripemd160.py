"""The pure-Python RIPEMD-160 (``verifier.ripemd160``) and hash160's fallback to it.

Checked against the authors' test vectors (tests/vectors/ripemd160.json) and against two
independent implementations, OpenSSL through ``hashlib`` and pycryptodome, on random
inputs of every length around the 64-byte block and the 56-byte padding boundary.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import pytest
from Crypto.Hash import RIPEMD160

from tests.paths import VECTORS as TEST_VECTORS
from verifier.encodings import hash160
from verifier.ripemd160 import ripemd160

VECTORS = TEST_VECTORS / "ripemd160.json"
#: Every length up to three blocks, then some that cross a block boundary by a byte.
LENGTHS = [*range(0, 193), 255, 256, 257, 1000, 4095, 4096, 4097]


def vectors() -> list[dict[str, Any]]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("vector", vectors(), ids=lambda v: f"{v['message'][:12]}x{v['repeat']}")
def test_published_vectors(vector: dict[str, Any]) -> None:
    data = (vector["message"] * vector["repeat"]).encode("ascii")
    assert ripemd160(data).hex() == vector["digest"]


def test_vectors_file_is_complete() -> None:
    assert len(vectors()) == 9  # the nine messages of the RIPEMD-160 page


def _has_hashlib_ripemd() -> bool:
    try:
        hashlib.new("ripemd160")
    except ValueError:
        return False
    return True


def test_matches_pycryptodome_and_hashlib_on_random_inputs() -> None:
    rng = random.Random(160)
    openssl = _has_hashlib_ripemd()
    for length in LENGTHS:
        data = rng.randbytes(length)
        digest = ripemd160(data)
        assert digest == RIPEMD160.new(data).digest(), length
        if openssl:
            assert digest == hashlib.new("ripemd160", data).digest(), length


def test_hash160_is_the_same_with_the_fallback_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(33)
    keys = [b"\x02" + rng.randbytes(32), b"\x04" + rng.randbytes(64), b"\x00\x14" + bytes(20)]
    expected = [RIPEMD160.new(hashlib.sha256(key).digest()).digest() for key in keys]
    assert [hash160(key) for key in keys] == expected
    real_new = hashlib.new

    def new_without_ripemd(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.lower() == "ripemd160":
            raise ValueError(f"unsupported hash type {name}")  # as OpenSSL 3 / Pyodide say
        return real_new(name, *args, **kwargs)

    monkeypatch.setattr(hashlib, "new", new_without_ripemd)  # the module encodings uses
    with pytest.raises(ValueError, match="unsupported hash type"):
        hashlib.new("ripemd160")  # the patch is in force: only the fallback can answer
    assert [hash160(key) for key in keys] == expected
