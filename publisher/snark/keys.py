"""The Groth16 proving key and its compact binary file.

Layout (all integers big-endian): the magic ``ZKPORPK1``; a JSON header (length-prefixed,
u32) naming the circuit, its R1CS digest and the section sizes; then the points, each
coordinate in 32 bytes, G1 as ``x || y`` and G2 as ``x.c0 || x.c1 || y.c0 || y.c1``, the
point at infinity as all zero bytes (``(0, 0)`` is on neither curve, so this is
unambiguous). A proving key is secret-free but large; it is never published.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.files import write_atomic
from publisher.snark.curve import G1, G2
from verifier.groth16 import VerifyingKey

MAGIC = b"ZKPORPK1"
#: Bumped whenever the meaning of a section changes (e.g. the coset of the H query), so
#: that a cached key of an older zkpor is refused instead of making invalid proofs.
KEY_FORMAT = 2
_COORD = 32


@dataclass(frozen=True)
class ProvingKey:
    """Groth16 proving key: the CRS elements the prover combines with the witness."""

    circuit_id: str
    #: sha256 of the R1CS the key was made for; the prover refuses any other circuit.
    r1cs_digest: str
    n_public: int
    domain_size: int
    alpha_g1: G1
    beta_g1: G1
    beta_g2: G2
    delta_g1: G1
    delta_g2: G2
    #: ``[u_j(tau)]_1`` for every wire j.
    a_g1: tuple[G1, ...]
    #: ``[v_j(tau)]_1`` for every wire j.
    b_g1: tuple[G1, ...]
    #: ``[v_j(tau)]_2`` for every wire j.
    b_g2: tuple[G2, ...]
    #: ``[(beta u_j + alpha v_j + w_j)(tau) / delta]_1`` for every private wire j.
    l_g1: tuple[G1, ...]
    #: ``[L'_i(tau) Z(tau) / delta]_1``, L' the Lagrange basis of the coset domain.
    h_g1: tuple[G1, ...]

    def save(self, path: Path) -> None:
        """Write the key to ``path`` atomically."""
        header = {
            "format": KEY_FORMAT,
            "circuit_id": self.circuit_id,
            "r1cs_digest": self.r1cs_digest,
            "n_public": self.n_public,
            "domain_size": self.domain_size,
            "n_wires": len(self.a_g1),
            "n_private": len(self.l_g1),
            "n_h": len(self.h_g1),
        }
        head = json.dumps(header, sort_keys=True).encode()
        parts = [MAGIC, len(head).to_bytes(4, "big"), head]
        parts += [_g1_bytes(p) for p in (self.alpha_g1, self.beta_g1, self.delta_g1)]
        parts += [_g2_bytes(p) for p in (self.beta_g2, self.delta_g2)]
        parts += [_g1_bytes(p) for p in self.a_g1]
        parts += [_g1_bytes(p) for p in self.b_g1]
        parts += [_g2_bytes(p) for p in self.b_g2]
        parts += [_g1_bytes(p) for p in self.l_g1]
        parts += [_g1_bytes(p) for p in self.h_g1]
        write_atomic(path, b"".join(parts))

    @classmethod
    def load(cls, path: Path) -> ProvingKey:
        """Return the key stored at ``path``."""
        header, sections = read_key_file(path)

        def g1s(name: str) -> tuple[G1, ...]:
            c = _ints(sections[name])
            return tuple(
                None if c[i] == c[i + 1] == 0 else (c[i], c[i + 1]) for i in range(0, len(c), 2)
            )

        def g2s(name: str) -> tuple[G2, ...]:
            c = _ints(sections[name])
            return tuple(
                None if not any(c[i : i + 4]) else ((c[i], c[i + 1]), (c[i + 2], c[i + 3]))
                for i in range(0, len(c), 4)
            )

        return cls(
            circuit_id=header["circuit_id"],
            r1cs_digest=header["r1cs_digest"],
            n_public=header["n_public"],
            domain_size=header["domain_size"],
            alpha_g1=g1s("alpha_g1")[0],
            beta_g1=g1s("beta_g1")[0],
            beta_g2=g2s("beta_g2")[0],
            delta_g1=g1s("delta_g1")[0],
            delta_g2=g2s("delta_g2")[0],
            a_g1=g1s("a_g1"),
            b_g1=g1s("b_g1"),
            b_g2=g2s("b_g2"),
            l_g1=g1s("l_g1"),
            h_g1=g1s("h_g1"),
        )


def read_key_file(path: Path) -> tuple[dict[str, Any], dict[str, memoryview]]:
    """Return a proving key file's header and its sections of raw big-endian coordinates.

    Shared by ``ProvingKey.load`` and the native prover's ``PackedKey.load``, which packs
    the sections without making a Python int per coordinate.
    """
    data = memoryview(path.read_bytes())
    if bytes(data[:8]) != MAGIC:
        raise ValueError(f"{path} is not a zkpor proving key")
    head_len = int.from_bytes(data[8:12], "big")
    header = json.loads(bytes(data[12 : 12 + head_len]))
    if header.get("format") != KEY_FORMAT:
        raise ValueError(f"{path} is a proving key of another zkpor version; remake it")
    n_wires = header["n_wires"]
    sizes = [
        ("alpha_g1", 2), ("beta_g1", 2), ("delta_g1", 2), ("beta_g2", 4), ("delta_g2", 4),
        ("a_g1", 2 * n_wires), ("b_g1", 2 * n_wires), ("b_g2", 4 * n_wires),
        ("l_g1", 2 * header["n_private"]), ("h_g1", 2 * header["n_h"]),
    ]  # fmt: skip
    sections: dict[str, memoryview] = {}
    offset = 12 + head_len
    for name, coords in sizes:
        end = offset + coords * _COORD
        if end > len(data):
            raise ValueError(f"{path}: proving key file is truncated")
        sections[name] = data[offset:end]
        offset = end
    if offset != len(data):
        raise ValueError(f"{path}: {len(data) - offset} trailing bytes")
    return header, sections


def _ints(chunk: memoryview) -> list[int]:
    return [int.from_bytes(chunk[i : i + _COORD], "big") for i in range(0, len(chunk), _COORD)]


def _g1_bytes(p: G1) -> bytes:
    if p is None:
        return bytes(2 * _COORD)
    return p[0].to_bytes(_COORD, "big") + p[1].to_bytes(_COORD, "big")


def _g2_bytes(p: G2) -> bytes:
    if p is None:
        return bytes(4 * _COORD)
    (x0, x1), (y0, y1) = p
    return b"".join(int(v).to_bytes(_COORD, "big") for v in (x0, x1, y0, y1))


@dataclass(frozen=True)
class Keys:
    """A circuit's keys as the pipeline uses them: the proving key's path, the verifying key,
    the trust model."""

    proving_key_path: Path
    verifying_key: VerifyingKey
    setup_kind: str
    setup_statement: str
    #: Files the attestation publishes about the setup (the ceremony transcript), by name.
    published: Mapping[str, bytes] = field(default_factory=dict)
