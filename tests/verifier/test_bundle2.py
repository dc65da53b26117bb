"""zkpor/2 bundle plaintext v2: canonical JSON, strict reading, the versions kept apart."""

from __future__ import annotations

import json

import pytest

from verifier.bundle import Bundle, Bundle2
from verifier.errors import MalformedInput

BUNDLE = Bundle2(
    attestation_id="book-1",
    user_id="bob",
    salt=12345,
    entries=((0, 50_000_000, 0), (2, 0, 100_000)),
    slots=4,
    leaf=5,
    batch=1,
    leaf_hash=678,
    path=((1,), (2,), (3,)),
)


def test_canonical_plaintext() -> None:
    data = BUNDLE.to_plaintext(0, pad=False)
    assert data == (
        b'{"attestation":"book-1","batch":1,"entries":[[0,"50000000","0"],[2,"0","100000"]],'
        b'"leaf":5,"leaf_hash":"678","path":[["1"],["2"],["3"]],"salt":"12345","slots":4,'
        b'"user_id":"bob","v":2}'
    )
    assert Bundle2.from_plaintext(BUNDLE.to_plaintext(400)) == BUNDLE


def spoiled(change: dict[str, object]) -> bytes:
    doc = {**BUNDLE.to_json(), **change}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode().ljust(400)


@pytest.mark.parametrize(
    "change",
    [
        {"v": 1},
        {"entries": [[0, "1"]]},
        {"entries": [[1024, "1", "0"]]},
        {"entries": [["0", "1", "0"]]},
        {"entries": [[0, str(1 << 64), "0"]]},
        {"entries": [[0, "01", "0"]]},
        {"extra": 1},
        {"slots": 2000},
    ],
)
def test_malformed_plaintext_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(MalformedInput):
        Bundle2.from_plaintext(spoiled(change))


def test_versions_are_kept_apart() -> None:
    with pytest.raises(MalformedInput):
        Bundle.from_plaintext(BUNDLE.to_plaintext(400))
    v1 = Bundle("a", "u", 1, (1, 2), 0, 0, 3, ((4,),))
    with pytest.raises(MalformedInput):
        Bundle2.from_plaintext(v1.to_plaintext(300))


def test_padding_must_be_spaces() -> None:
    data = BUNDLE.to_plaintext(400)
    with pytest.raises(MalformedInput):
        Bundle2.from_plaintext(data[:-1] + b"\n")
