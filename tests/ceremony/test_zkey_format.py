"""The strict .zkey reader on a file snarkjs wrote (tests/vectors/zkey): it reads and
rewrites it unchanged, and refuses every named malformation, naming the section."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from publisher.ceremony.zkey import ZkeyError, parse_zkey, zkey_bytes
from publisher.snark.pairing import FAST_OPS
from tests.paths import VECTORS as TEST_VECTORS
from verifier.ceremony_crypto import fp2_sqrt
from verifier.field import P
from verifier.mpc_primitives import _fp2_cube_plus_b, g2_lem

VECTOR = TEST_VECTORS / "zkey" / "tiny_snarkjs_beacon.zkey"
DATA = VECTOR.read_bytes()
Sections = list[tuple[int, bytearray]]


def split(data: bytes) -> Sections:
    count = struct.unpack_from("<I", data, 8)[0]
    pos, out = 12, []
    for _ in range(count):
        kind, size = struct.unpack_from("<IQ", data, pos)
        out.append((kind, bytearray(data[pos + 12 : pos + 12 + size])))
        pos += 12 + size
    return out


def join(sections: Sections, head: bytes = b"zkey\x01\x00\x00\x00") -> bytes:
    parts = [head, struct.pack("<I", len(sections))]
    for kind, body in sections:
        parts += [struct.pack("<IQ", kind, len(body)), bytes(body)]
    return b"".join(parts)


def edited(kind: int, edit: Callable[[bytearray], None]) -> bytes:
    sections = split(DATA)
    for k, body in sections:
        if k == kind:
            edit(body)
    return join(sections)


def put(offset: int, value: bytes) -> Callable[[bytearray], None]:
    def edit(body: bytearray) -> None:
        body[offset : offset + len(value)] = value

    return edit


def twist_point_outside_g2() -> tuple[tuple[int, int], tuple[int, int]]:
    for x0 in range(1, 100):
        y = fp2_sqrt(_fp2_cube_plus_b((x0, 0)))
        if y is not None and not FAST_OPS.g2_in_subgroup(((x0, 0), y)):
            return ((x0, 0), y)
    raise AssertionError("no twist point outside G2 found")


# Offsets inside the sections of the vector file.
HEADER_POINTS = 4 + 32 + 4 + 32 + 12  # section 2, where alpha_1 starts
CONTRIBUTION_TYPE = 64 + 4 + 3 * 64 + 128 + 64  # section 10, first record's u32 type
PARAMS = CONTRIBUTION_TYPE + 8  # its parameters (1: name)


def test_a_snarkjs_file_is_read_and_rewritten_unchanged() -> None:
    zkey = parse_zkey(DATA, VECTOR.name)
    assert zkey_bytes(zkey) == DATA
    assert [c.name for c in zkey.contributions] == ["alice (snarkjs)", "beacon (snarkjs)"]
    assert (zkey.n_public, zkey.domain_size) == (2, 8)


BAD: list[tuple[str, bytes, str]] = [
    ("magic", b"zkez" + DATA[4:], 'no "zkey" magic'),
    ("version", DATA[:4] + b"\x02" + DATA[5:], "version 2, expected 1"),
    ("truncated", DATA[:-1], r"section 10 \(contributions\) is truncated"),
    ("trailing", DATA + b"\x00", "1 trailing bytes"),
    ("duplicate", join([*split(DATA), split(DATA)[0]]), r"section 1 \(header\) appears twice"),
    ("missing", join(split(DATA)[:-1]), r"missing sections \[10\]"),
    ("unknown", join([*split(DATA), (11, bytearray())]), "unknown section 11"),
    ("protocol", edited(1, put(0, b"\x02")), "the protocol is not Groth16"),
    ("curve", edited(2, put(4, (P + 2).to_bytes(32, "little"))), "curve is not BN254"),
    ("domain", edited(2, put(4 + 32 + 4 + 32 + 8, struct.pack("<I", 12))), "domain size 12"),
    ("coordinate", edited(5, put(64, P.to_bytes(32, "little"))),
     r"section 5 \(A\): point 1: a coordinate is not below p"),
    ("off curve", edited(3, put(0, (1).to_bytes(32, "little"))),
     r"section 3 \(IC\): point 0: a G1 point is not on the curve"),
    ("alpha off curve", edited(2, put(HEADER_POINTS, (5).to_bytes(32, "little"))),
     r"section 2 \(Groth16 header\): point 0"),
    ("B2 outside G2", edited(7, put(128, g2_lem(twist_point_outside_g2()))),
     r"section 7 \(B2\): point 1 is not in the order-r subgroup G2"),
    ("H size", edited(9, lambda b: b.extend(bytes(64))),
     r"section 9 \(H\): has 576 bytes, expected 512"),
    ("coefficient count", edited(4, put(0, struct.pack("<I", 1000))), "says 1000 coefficients"),
    ("coefficient matrix", edited(4, put(4, struct.pack("<I", 2))),
     "coefficient 0 is out of range"),
    ("coefficient value", edited(4, put(16, (2**256 - 1).to_bytes(32, "little"))),
     "coefficient 0 is out of range"),
    ("contribution type", edited(10, put(CONTRIBUTION_TYPE, struct.pack("<I", 2))),
     r"section 10 \(contributions\): contribution 0: type 2 is neither 0 nor 1"),
    ("name not UTF-8", edited(10, put(PARAMS + 2, b"\xff")), "contribution 0: 'utf-8' codec"),
    ("unknown parameter", edited(10, put(PARAMS, b"\x07")), "unknown or truncated parameter 7"),
    ("beacon fields on a contribution", edited(10, put(CONTRIBUTION_TYPE, struct.pack("<I", 1))),
     "only a beacon, has a beacon hash"),
    ("contribution count", edited(10, put(64, struct.pack("<I", 3))),
     r"section 10 \(contributions\): has"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "reason"), [pytest.param(d, r, id=n) for n, d, r in BAD])
def test_malformed_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ZkeyError, match=reason):
        parse_zkey(data, "bad.zkey")


def test_errors_name_the_file() -> None:
    with pytest.raises(ZkeyError, match=r"^bad\.zkey: "):
        parse_zkey(DATA[:-1], "bad.zkey")
