"""Attack: a reserve address spelled with a look-alike character.

``str.lower()`` folds U+212A KELVIN SIGN into ``k``, so an upper-case bech32 address
written with it decoded to the same wallet as the real spelling: the signed message and
the published reserves then carried a second, non-ASCII spelling of one address, which
other tools (and people) read as another address. Every address format is ASCII; any
other character is refused before anything is decoded.
"""

from __future__ import annotations

import hashlib

import pytest

from verifier.encodings import segwit_encode
from verifier.reserves import canonical_address, check_address

KELVIN = "\u212a"


def _address_with_k() -> str:
    """Return an upper-case P2WPKH address that has a K in it."""
    for i in range(1000):
        program = hashlib.sha256(str(i).encode()).digest()[:20]
        address = segwit_encode("bc", 0, program).upper()
        if "K" in address[4:]:
            return address
    raise AssertionError("no address with a K")


def test_the_kelvin_sign_spelling_is_refused() -> None:
    address = _address_with_k()
    check_address("bitcoin", address)  # the real spelling is fine
    lookalike = address[:4] + address[4:].replace("K", KELVIN, 1)
    assert lookalike.lower() == address.lower()  # what made it decode to the same wallet
    with pytest.raises(ValueError, match="ASCII"):
        check_address("bitcoin", lookalike)


@pytest.mark.parametrize("chain", ["bitcoin", "ethereum", "solana"])
def test_no_chain_accepts_a_non_ascii_address(chain: str) -> None:
    examples = {
        "bitcoin": _address_with_k(),
        "ethereum": "0x" + "ab" * 20,
        "solana": "Apw2o5f5MiU2G7WKbXYoGqZTSPstg662CoavPsjvNmuf",
    }
    canonical_address(chain, examples[chain])
    with pytest.raises(ValueError, match="ASCII"):
        canonical_address(chain, examples[chain][:-1] + "\u0430")  # Cyrillic a
