"""Export a ``ConstraintSystem`` and its witness in iden3's binary formats, for snarkjs.

Both formats are iden3 "binfiles": a 4-byte magic, a u32 version, a u32 section count,
then sections, each a u32 type, a u64 byte length and the content. Every integer is
little-endian; field elements take ``n8 = 32`` bytes and are plain little-endian
integers in ``[0, r)`` (not Montgomery form: snarkjs converts on reading, through
``Fr.fromRprLE``). Readers must accept sections in any order; we write them in type order.

``.r1cs`` (magic ``r1cs``, version 1)::

    section 1, header:      u32 n8 | n8 prime r | u32 nWires | u32 nPubOut | u32 nPubIn
                            | u32 nPrvIn | u64 nLabels | u32 mConstraints
    section 2, constraints: per constraint the LCs A, B, C, each
                            u32 nTerms | nTerms * (u32 wire | n8 coefficient),
                            wires ascending, no zero coefficient
    section 3, wire2label:  nWires * u64 label id

``.wtns`` (magic ``wtns``, version 2)::

    section 1, header:      u32 n8 | n8 prime r | u32 nWitness
    section 2, values:      nWitness * n8 value

Our conventions. Wire 0 is the constant 1 and wires ``1..n_public`` the public inputs,
which is already the iden3 layout, so wires are written unrenumbered. The public wires
are declared public *inputs* (``nPubOut = 0``, ``nPubIn = n_public``): snarkjs only
uses ``nPubOut + nPubIn``. ``nPrvIn = 0``: in circom it counts the private *input*
signals, which must be wires ``1 + n_public ..``; our free private values (balances,
blinds, ...) are hint outputs spread among intermediate wires, so every private wire
is declared an intermediate signal. There is one label per wire and the map is the
identity (``nLabels = nWires``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

from publisher.files import write_atomic
from publisher.snark.r1cs import LC, ConstraintSystem
from verifier.errors import MalformedInput
from verifier.field import R

N8 = 32
R1CS_MAGIC, R1CS_VERSION = b"r1cs", 1
WTNS_MAGIC, WTNS_VERSION = b"wtns", 2
SECTION_R1CS_HEADER, SECTION_R1CS_CONSTRAINTS, SECTION_R1CS_WIRE2LABEL = 1, 2, 3
SECTION_WTNS_HEADER, SECTION_WTNS_VALUES = 1, 2

_PRIME = R.to_bytes(N8, "little")
_U32 = struct.Struct("<I")
_SECTION = struct.Struct("<IQ")
_FILE_HEAD = struct.Struct("<4sII")
_MAX_U32 = 2**32 - 1
_MAX_CACHED = 1 << 16  # distinct coefficient encodings kept while writing constraints


# -- writing ----------------------------------------------------------------------------


def write_r1cs(cs: ConstraintSystem, path: Path) -> None:
    """Write ``cs`` to ``path`` as an iden3 ``.r1cs`` file, atomically."""
    write_atomic(path, r1cs_bytes(cs))


def write_wtns(witness: Sequence[int], path: Path) -> None:
    """Write the full witness (wire 0 first) to ``path`` as a ``.wtns`` file, atomically."""
    write_atomic(path, wtns_bytes(witness))


def r1cs_bytes(cs: ConstraintSystem) -> bytes:
    """Return the ``.r1cs`` encoding of ``cs``.

    Coefficients are reduced mod r (as ``evaluate`` does) and zero terms dropped.
    Raises ``ValueError`` if a constraint names a wire outside ``[0, n_wires)``.
    """
    if cs.n_wires > _MAX_U32 or len(cs.constraints) > _MAX_U32:
        raise ValueError("the .r1cs format holds at most 2^32 - 1 wires and constraints")
    return _binfile(
        R1CS_MAGIC,
        R1CS_VERSION,
        [
            (SECTION_R1CS_HEADER, _r1cs_header(cs)),
            (SECTION_R1CS_CONSTRAINTS, _r1cs_constraints(cs)),
            (SECTION_R1CS_WIRE2LABEL, _identity_map(cs.n_wires)),
        ],
    )


def wtns_bytes(witness: Sequence[int]) -> bytes:
    """Return the ``.wtns`` encoding of ``witness``; ``ValueError`` if a value is not in [0, r)."""
    if len(witness) > _MAX_U32:
        raise ValueError("the .wtns format holds at most 2^32 - 1 values")
    header = _field_header(len(witness))
    return _binfile(
        WTNS_MAGIC,
        WTNS_VERSION,
        [(SECTION_WTNS_HEADER, header), (SECTION_WTNS_VALUES, _field_elements(witness))],
    )


def _field_header(count: int) -> bytes:
    """Return ``u32 n8 | prime | u32 count``, how both formats' headers begin."""
    return _U32.pack(N8) + _PRIME + _U32.pack(count)


def _binfile(
    magic: bytes, version: int, sections: Sequence[tuple[int, bytes | bytearray]]
) -> bytes:
    """Return an iden3 binfile: magic, version, section count, then the sections."""
    parts: list[bytes | bytearray] = [_FILE_HEAD.pack(magic, version, len(sections))]
    for kind, body in sections:
        parts += [_SECTION.pack(kind, len(body)), body]
    return b"".join(parts)


def _r1cs_header(cs: ConstraintSystem) -> bytes:
    """Return the content of the ``.r1cs`` header section (see the module docstring)."""
    n_pub_out, n_pub_in, n_prv_in = 0, cs.n_public, 0
    return (
        _field_header(cs.n_wires)
        + struct.pack("<IIIQ", n_pub_out, n_pub_in, n_prv_in, cs.n_wires)
        + _U32.pack(len(cs.constraints))
    )


def _r1cs_constraints(cs: ConstraintSystem) -> bytearray:
    """Return the content of the constraints section: A, B, C of every constraint."""
    out = bytearray()
    encoded: dict[int, bytes] = {}
    for row in cs.constraints:
        for lc in row:
            _append_lc(out, lc, cs.n_wires, encoded)
    return out


def _append_lc(out: bytearray, lc: LC, n_wires: int, encoded: dict[int, bytes]) -> None:
    """Append ``u32 nTerms`` then each non-zero term ``u32 wire | coefficient``, wires ascending.

    ``encoded`` caches coefficient encodings: most repeat (1, -1, powers of 2, constants).
    """
    terms = sorted(lc.items()) if len(lc) > 1 else lc.items()
    start = len(out)
    out += _U32.pack(0)
    count = 0
    for wire, coeff in terms:
        if not 0 <= wire < n_wires:
            raise ValueError(f"a constraint names wire {wire}, outside [0, {n_wires})")
        term = encoded.get(coeff)
        if term is None:
            reduced = coeff % R
            if not reduced:
                continue
            term = reduced.to_bytes(N8, "little")
            if len(encoded) < _MAX_CACHED:
                encoded[coeff] = term
        out += _U32.pack(wire)
        out += term
        count += 1
    _U32.pack_into(out, start, count)


def _identity_map(n_wires: int) -> bytes:
    """Return the wire2label section: label ``i`` for wire ``i``."""
    return struct.pack(f"<{n_wires}Q", *range(n_wires))


def _field_elements(values: Sequence[int]) -> bytearray:
    """Return ``values`` as consecutive ``n8``-byte little-endian field elements."""
    out = bytearray()
    for index, value in enumerate(values):
        if not 0 <= value < R:
            raise ValueError(f"witness value {index} is not in [0, r)")
        out += value.to_bytes(N8, "little")
    return out


# -- reading ----------------------------------------------------------------------------


def read_wtns(path: Path) -> list[int]:
    """Return the witness stored in the ``.wtns`` file at ``path``."""
    return parse_wtns(path.read_bytes())


def parse_wtns(data: bytes) -> list[int]:
    """Return the witness encoded in ``data``; raises ``MalformedInput`` if it is not one.

    Accepts what snarkjs and circom write: version 2, sections in any order, BN254's r.
    """
    sections = _sections(data, WTNS_MAGIC, WTNS_VERSION)
    header = _unique(sections, SECTION_WTNS_HEADER)
    values = _unique(sections, SECTION_WTNS_VALUES)
    if len(header) != 4 + N8 + 4 or _U32.unpack_from(header)[0] != N8:
        raise MalformedInput(f"wtns header is not for {N8}-byte field elements")
    if header[4 : 4 + N8] != _PRIME:
        raise MalformedInput("wtns file is not over BN254's scalar field")
    (count,) = _U32.unpack_from(header, 4 + N8)
    if len(values) != count * N8:
        raise MalformedInput(f"wtns declares {count} values but holds {len(values)} bytes")
    witness = [int.from_bytes(values[i : i + N8], "little") for i in range(0, len(values), N8)]
    if any(value >= R for value in witness):
        raise MalformedInput("wtns value is not reduced mod r")
    return witness


def _sections(data: bytes, magic: bytes, version: int) -> dict[int, list[bytes]]:
    """Split an iden3 binfile into its sections, by type; checks magic and version."""
    if len(data) < _FILE_HEAD.size:
        raise MalformedInput("file is too short to be an iden3 binary file")
    found_magic, found_version, count = _FILE_HEAD.unpack_from(data)
    if found_magic != magic:
        raise MalformedInput(f"not a .{magic.decode()} file (magic {found_magic!r})")
    if found_version != version:
        raise MalformedInput(f".{magic.decode()} version {found_version} is not {version}")
    sections: dict[int, list[bytes]] = {}
    pos = _FILE_HEAD.size
    for _ in range(count):
        if pos + _SECTION.size > len(data):
            raise MalformedInput("file ends inside a section header")
        kind, size = _SECTION.unpack_from(data, pos)
        pos += _SECTION.size
        if pos + size > len(data):
            raise MalformedInput(f"section {kind} runs past the end of the file")
        sections.setdefault(kind, []).append(data[pos : pos + size])
        pos += size
    return sections


def _unique(sections: dict[int, list[bytes]], kind: int) -> bytes:
    """Return the one section of type ``kind``."""
    found = sections.get(kind, [])
    if len(found) != 1:
        raise MalformedInput(f"expected one section of type {kind}, found {len(found)}")
    return found[0]
