"""snarkjs Groth16 ``.zkey`` files: the data type, a strict reader and an exact writer.

Layout (iden3 binfile: ``"zkey"``, u32 version 1, u32 section count, then per section
u32 id, u64 size, data; integers little-endian, points LEM: see
``verifier.mpc_primitives``):

==  ============  ===================================================================
1   header        u32 protocol (1: Groth16)
2   Groth header  u32 n8q, q, u32 n8r, r, u32 nVars, u32 nPublic, u32 domainSize,
                  alpha_1, beta_1, beta_2, gamma_2, delta_1, delta_2
3   IC            ``[beta u_j + alpha v_j + w_j]_1`` for j <= nPublic (gamma = 1)
4   coefficients  u32 count, then (u32 matrix 0/1 = A/B, u32 constraint, u32 signal,
                  value·R^2 mod r as 32 bytes LE) per A/B term; the public rows last
5, 6, 7  A, B1, B2  ``[u_j]_1, [v_j]_1, [v_j]_2`` for every wire
8   C (L)         ``[(beta u_j + alpha v_j + w_j)/delta]_1`` for the private wires
9   H             ``[L^(2n)_(2i+1)(tau)/delta]_1``, i < domainSize
10  contributions csHash (64 bytes), u32 count, then per contribution deltaAfter,
                  g1_s, g1_sx, g2_spx, transcript (64), u32 type, u32 params length,
                  params (1: name, 2: iterations exponent, 3: beacon hash; sorted)
==  ============  ===================================================================

``snarkjs zkey new`` writes the sections in the order 1 2 4 3 9 8 5 6 7 10, and every
later step (contribute, beacon) in the order 1..10; ``zkey_bytes`` does the same, so that
files are byte-identical to snarkjs's. ``parse_zkey`` refuses anything else: unknown,
missing or repeated sections, wrong sizes, other curves, coordinates >= p, points off
their curve, B2 and delta_2 points outside G2, names that are not UTF-8.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from publisher.ceremony.memo import Memo
from publisher.ceremony.points import (
    g1s_from_lem,
    g1s_lem,
    g2_not_in_subgroup,
    g2s_from_lem,
    g2s_lem,
)
from publisher.files import write_atomic
from publisher.snark.curve import G1, G2
from verifier.errors import ZkporError
from verifier.field import P, R
from verifier.mpc import KIND_CODES, Contribution, MalformedContribution
from verifier.mpc_primitives import (
    G1_BYTES,
    G2_BYTES,
    EncodingError,
    g1_from_lem,
    g1_lem,
    g2_from_lem,
    g2_lem,
)

MAGIC = b"zkey"
VERSION = 1
GROTH16 = 1
N8 = 32
NEW_ORDER = (1, 2, 4, 3, 9, 8, 5, 6, 7, 10)
LATER_ORDER = tuple(range(1, 11))
SECTION_NAMES = {
    1: "header",
    2: "Groth16 header",
    3: "IC",
    4: "coefficients",
    5: "A",
    6: "B1",
    7: "B2",
    8: "C (L)",
    9: "H",
    10: "contributions",
}
_R2 = (1 << 256) ** 2 % R
_R2_INV = pow(_R2, -1, R)
_COEFF = struct.Struct("<III32s")
_HEADER_FIXED = 4 + N8 + 4 + N8 + 12


class ZkeyError(ZkporError):
    """A ``.zkey`` file is malformed, or is not the one its inputs give."""


#: (matrix 0 = A / 1 = B, constraint row, signal, coefficient in [0, r)).
Coefficient = tuple[int, int, int, int]


@dataclass(frozen=True)
class Zkey:
    """The content of a snarkjs Groth16 ``.zkey`` (points affine, coefficients plain)."""

    n_vars: int
    n_public: int
    domain_size: int
    alpha_g1: G1
    beta_g1: G1
    beta_g2: G2
    gamma_g2: G2
    delta_g1: G1
    delta_g2: G2
    ic: tuple[G1, ...]
    coefficients: tuple[Coefficient, ...]
    a_g1: tuple[G1, ...]
    b_g1: tuple[G1, ...]
    b_g2: tuple[G2, ...]
    #: snarkjs's "C" section: Groth16's L query, the private wires' ``K_j / delta``.
    c_g1: tuple[G1, ...]
    h_g1: tuple[G1, ...]
    cs_hash: bytes
    contributions: tuple[Contribution, ...]


# --- writing ------------------------------------------------------------------------


def _g1s(points: Sequence[G1]) -> bytes:
    return g1s_lem(points)


def _coefficient_bytes(coefficients: Sequence[Coefficient]) -> bytes:
    """Section 4's entries; a circuit has few distinct values: each is encoded once."""
    encoded: dict[int, bytes] = {}
    out = []
    pack = _COEFF.pack
    for m, c, s, v in coefficients:
        raw = encoded.get(v)
        if raw is None:
            raw = encoded[v] = (v * _R2 % R).to_bytes(N8, "little")
        out.append(pack(m, c, s, raw))
    return b"".join(out)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def contribution_bytes(c: Contribution) -> bytes:
    """Return one contribution as snarkjs's ``writeContribution`` does."""
    params = b""
    if c.name:
        name = c.name.encode()
        params += bytes([1, len(name)]) + name
    if c.kind == "beacon" and c.beacon_hash is not None and c.num_iterations_exp is not None:
        params += bytes([2, c.num_iterations_exp, 3, len(c.beacon_hash)]) + c.beacon_hash
    return b"".join(
        (
            g1_lem(c.delta_after),
            g1_lem(c.g1_s),
            g1_lem(c.g1_sx),
            g2_lem(c.g2_spx),
            c.transcript,
            _u32(KIND_CODES[c.kind]),
            _u32(len(params)),
            params,
        )
    )


def _sections(z: Zkey) -> dict[int, bytes]:
    header = b"".join(
        (
            _u32(N8),
            P.to_bytes(N8, "little"),
            _u32(N8),
            R.to_bytes(N8, "little"),
            struct.pack("<III", z.n_vars, z.n_public, z.domain_size),
            g1_lem(z.alpha_g1),
            g1_lem(z.beta_g1),
            g2_lem(z.beta_g2),
            g2_lem(z.gamma_g2),
            g1_lem(z.delta_g1),
            g2_lem(z.delta_g2),
        )
    )
    coeffs = _u32(len(z.coefficients)) + _coefficient_bytes(z.coefficients)
    mpc = z.cs_hash + _u32(len(z.contributions))
    mpc += b"".join(map(contribution_bytes, z.contributions))
    return {
        1: _u32(GROTH16),
        2: header,
        3: _g1s(z.ic),
        4: coeffs,
        5: _g1s(z.a_g1),
        6: _g1s(z.b_g1),
        7: g2s_lem(z.b_g2),
        8: _g1s(z.c_g1),
        9: _g1s(z.h_g1),
        10: mpc,
    }


def zkey_bytes(z: Zkey) -> bytes:
    """Return the file snarkjs would write for ``z`` (its section order: that of ``zkey
    new`` before any contribution, 1..10 after). A zkey is immutable: the bytes of the
    last one written are kept for it (``init`` writes the same zkey twice)."""
    known = _WRITTEN.get("zkey", (z,))
    return known if known is not None else _WRITTEN.put("zkey", _zkey_bytes(z), (z,))


_WRITTEN: Memo[bytes] = Memo(1)


def _zkey_bytes(z: Zkey) -> bytes:
    sections = _sections(z)
    order = LATER_ORDER if z.contributions else NEW_ORDER
    parts = [MAGIC, struct.pack("<II", VERSION, len(order))]
    for kind in order:
        parts += [struct.pack("<IQ", kind, len(sections[kind])), sections[kind]]
    return b"".join(parts)


def write_zkey(z: Zkey, path: Path) -> None:
    """Write ``z`` to ``path`` atomically."""
    write_atomic(path, zkey_bytes(z))


# --- reading ------------------------------------------------------------------------


def read_zkey(path: Path) -> Zkey:
    """Return the zkey stored at ``path`` (see ``parse_zkey``)."""
    return parse_zkey(path.read_bytes(), path.name)


def _split(data: bytes, name: str) -> dict[int, memoryview]:
    view = memoryview(data)
    if len(data) < 12 or data[:4] != MAGIC:
        raise ZkeyError(f'{name}: not a .zkey file (no "zkey" magic)')
    version, count = struct.unpack_from("<II", data, 4)
    if version != VERSION:
        raise ZkeyError(f"{name}: zkey format version {version}, expected {VERSION}")
    pos, sections = 12, {}
    for _ in range(count):
        if pos + 12 > len(data):
            raise ZkeyError(f"{name}: the file is truncated in the section table")
        kind, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if kind not in SECTION_NAMES:
            raise ZkeyError(f"{name}: unknown section {kind} (a Groth16 zkey has 1..10)")
        if kind in sections:
            raise ZkeyError(f"{name}: section {kind} ({SECTION_NAMES[kind]}) appears twice")
        if pos + size > len(data):
            raise ZkeyError(f"{name}: section {kind} ({SECTION_NAMES[kind]}) is truncated")
        sections[kind] = view[pos : pos + size]
        pos += size
    if pos != len(data):
        raise ZkeyError(f"{name}: {len(data) - pos} trailing bytes after the last section")
    missing = sorted(set(SECTION_NAMES) - set(sections))
    if missing:
        raise ZkeyError(f"{name}: missing sections {missing}")
    return sections


class _Cursor:
    """Reads one section, failing with its name."""

    def __init__(self, name: str, kind: int, data: memoryview) -> None:
        self.where = f"{name}: section {kind} ({SECTION_NAMES[kind]})"
        self.data = data
        self.pos = 0

    def fail(self, reason: str) -> ZkeyError:
        return ZkeyError(f"{self.where}: {reason}")

    def take(self, size: int) -> memoryview:
        if self.pos + size > len(self.data):
            raise self.fail(f"has {len(self.data)} bytes, more needed at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def g1s(self, count: int) -> list[G1]:
        chunk = self.take(count * G1_BYTES)
        fast = g1s_from_lem(chunk)  # all checked in bulk; None: find the bad one below
        if fast is not None:
            return fast
        try:
            return [g1_from_lem(chunk, k * G1_BYTES) for k in range(count)]
        except EncodingError as exc:
            raise self.fail(f"point {self._index(chunk, G1_BYTES, g1_from_lem)}: {exc}") from None

    def g2s(self, count: int) -> list[G2]:
        chunk = self.take(count * G2_BYTES)
        fast = g2s_from_lem(chunk)
        try:
            points = (
                fast
                if fast is not None
                else [g2_from_lem(chunk, k * G2_BYTES) for k in range(count)]
            )
        except EncodingError as exc:
            raise self.fail(f"point {self._index(chunk, G2_BYTES, g2_from_lem)}: {exc}") from None
        bad = g2_not_in_subgroup(points)
        if bad:
            raise self.fail(f"point {bad[0]} is not in the order-r subgroup G2")
        return points

    @staticmethod
    def _index(chunk: memoryview, width: int, decode: Callable[[memoryview, int], object]) -> int:
        for k in range(len(chunk) // width):
            try:
                decode(chunk, k * width)
            except EncodingError:
                return k
        return -1

    def end(self) -> None:
        if self.pos != len(self.data):
            raise self.fail(f"has {len(self.data)} bytes, expected {self.pos}")


def _check_header(c: _Cursor) -> tuple[int, int, int]:
    n8q = c.u32()
    q = int.from_bytes(c.take(n8q), "little") if n8q == N8 else None
    n8r = c.u32() if q is not None else 0
    r = int.from_bytes(c.take(n8r), "little") if n8r == N8 else None
    if q != P or r != R:
        raise c.fail("its curve is not BN254 (q and r are not alt_bn128's)")
    n_vars, n_public, domain = struct.unpack("<III", c.take(12))
    if domain < 1 or domain & (domain - 1) or domain > 1 << 28:
        raise c.fail(f"domain size {domain} is not a power of two up to 2^28")
    if not n_public + 1 <= n_vars:
        raise c.fail(f"{n_public} public inputs but only {n_vars} wires")
    return n_vars, n_public, domain


def _coefficients(c: _Cursor, n_vars: int, domain: int) -> list[Coefficient]:
    count = c.u32()
    if count * _COEFF.size != len(c.data) - 4:
        raise c.fail(f"says {count} coefficients but has {len(c.data) - 4} bytes for them")
    out = []
    decoded: dict[bytes, int] = {}  # few distinct values: each decoded once; -1: >= r
    for k, (matrix, row, signal, raw) in enumerate(_COEFF.iter_unpack(c.take(count * _COEFF.size))):
        value = decoded.get(raw)
        if value is None:
            plain = int.from_bytes(raw, "little")
            value = decoded[raw] = plain * _R2_INV % R if plain < R else -1
        if matrix > 1 or row >= domain or signal >= n_vars or value < 0:
            raise c.fail(f"coefficient {k} is out of range (matrix, row, signal or value)")
        out.append((matrix, row, signal, value))
    return out


def _contribution(c: _Cursor, k: int) -> Contribution:
    delta_after, g1_s, g1_sx = c.g1s(3)
    (g2_spx,) = c.g2s(1)
    transcript = bytes(c.take(64))
    kind_code = c.u32()
    params = c.take(c.u32())
    fields: dict[int, bytes] = {}
    pos = 0
    while pos < len(params):
        tag = params[pos]
        if fields and tag <= max(fields):
            raise c.fail(f"contribution {k}: parameters not sorted or repeated")
        if tag not in (1, 2, 3) or pos + 2 > len(params):
            raise c.fail(f"contribution {k}: unknown or truncated parameter {tag}")
        size = 1 if tag == 2 else params[pos + 1]
        start = pos + 1 if tag == 2 else pos + 2
        if start + size > len(params):
            raise c.fail(f"contribution {k}: parameter {tag} is truncated")
        fields[tag] = bytes(params[start : start + size])
        pos = start + size
    kinds = {code: kind for kind, code in KIND_CODES.items()}
    if kind_code not in kinds:
        raise c.fail(f"contribution {k}: type {kind_code} is neither 0 nor 1")
    try:
        name = fields.get(1, b"").decode()
        return Contribution(
            delta_after=delta_after,
            g1_s=g1_s,
            g1_sx=g1_sx,
            g2_spx=g2_spx,
            transcript=transcript,
            kind=kinds[kind_code],
            name=name,
            beacon_hash=fields.get(3),
            num_iterations_exp=fields[2][0] if 2 in fields else None,
        )
    except (UnicodeDecodeError, MalformedContribution) as exc:
        raise c.fail(f"contribution {k}: {exc}") from None


def parse_zkey(data: bytes, name: str = "zkey") -> Zkey:
    """Return the zkey of a file's bytes, refusing any malformation (``ZkeyError``
    naming the file, section and what is wrong)."""
    sections = _split(data, name)
    cur = {kind: _Cursor(name, kind, view) for kind, view in sections.items()}
    if cur[1].u32() != GROTH16:
        raise cur[1].fail("the protocol is not Groth16")
    cur[1].end()
    h = cur[2]
    n_vars, n_public, domain = _check_header(h)
    alpha_g1, beta_g1 = h.g1s(2)
    beta_g2, gamma_g2 = h.g2s(2)
    (delta_g1,) = h.g1s(1)
    (delta_g2,) = h.g2s(1)
    h.end()
    mpc = cur[10]
    cs_hash = bytes(mpc.take(64))
    contributions = tuple(_contribution(mpc, k) for k in range(mpc.u32()))
    zkey = Zkey(
        n_vars=n_vars,
        n_public=n_public,
        domain_size=domain,
        alpha_g1=alpha_g1,
        beta_g1=beta_g1,
        beta_g2=beta_g2,
        gamma_g2=gamma_g2,
        delta_g1=delta_g1,
        delta_g2=delta_g2,
        ic=tuple(cur[3].g1s(n_public + 1)),
        coefficients=tuple(_coefficients(cur[4], n_vars, domain)),
        a_g1=tuple(cur[5].g1s(n_vars)),
        b_g1=tuple(cur[6].g1s(n_vars)),
        b_g2=tuple(cur[7].g2s(n_vars)),
        c_g1=tuple(cur[8].g1s(n_vars - n_public - 1)),
        h_g1=tuple(cur[9].g1s(domain)),
        cs_hash=cs_hash,
        contributions=contributions,
    )
    for kind in (3, 4, 5, 6, 7, 8, 9, 10):
        cur[kind].end()
    return zkey
