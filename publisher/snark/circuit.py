"""The zkpor/1 batch circuit (docs/protocol.md §6) and its witness.

One circuit per shape (A assets, arity k, batch depth d_b). Public inputs, in order:
``[root, acc_in, acc_out]``. It proves that every balance limb is in [0, 2^64), every
total limb in [0, 2^96), that the ``k^d_b`` leaves hash to ``root``, and that
``acc_out`` opens to the totals of ``acc_in`` plus the batch's balances.

The id commitment ``idc = H(ID, uid, salt)`` is a free private input: only the account
holder can check it (they know uid and salt), so hashing it in-circuit would add
constraints and no guarantee.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from publisher.snark.gadgets import (
    accumulator_gadget,
    input_in_range,
    pack,
    poseidon_gadget,
    private_value,
    range_check,
    subtree,
)
from publisher.snark.r1cs import LC, ConstraintSystem, lc_add, lc_const
from verifier.protocol import (
    BALANCE_BITS,
    BALANCES_PER_ELEMENT,
    MAX_ASSETS,
    TAG_LEAF,
    TOTAL_BITS,
)

PUBLIC_ROOT, PUBLIC_ACC_IN, PUBLIC_ACC_OUT = 0, 1, 2
N_PUBLIC = 3


@dataclass(frozen=True)
class CircuitShape:
    """What fixes one batch circuit: assets, tree arity and batch depth."""

    n_assets: int
    arity: int
    batch_depth: int

    def __post_init__(self) -> None:
        if not 1 <= self.n_assets <= MAX_ASSETS:
            raise ValueError(f"zkpor/1 supports 1..{MAX_ASSETS} assets, got {self.n_assets}")
        if self.arity not in (2, 4, 8):
            raise ValueError(f"tree arity must be 2, 4 or 8, got {self.arity}")
        if self.batch_depth < 1:
            raise ValueError(f"batch depth must be at least 1, got {self.batch_depth}")

    @property
    def batch_size(self) -> int:
        """Return ``B = k^d_b``, the number of leaves one proof covers."""
        return int(self.arity**self.batch_depth)

    @property
    def circuit_id(self) -> str:
        """Return a stable name for this shape, used to cache keys."""
        return f"zkpor1-a{self.n_assets}-k{self.arity}-d{self.batch_depth}"


@dataclass(frozen=True)
class BatchWitnessInput:
    """Private inputs of one batch: what the prover knows and the verifier never sees."""

    id_commitments: Sequence[int]
    balances: Sequence[Sequence[int]]
    totals_in: Sequence[int]
    blind_in: int
    blind_out: int

    def as_inputs(self) -> dict[str, object]:
        """Return the named inputs the circuit's hints read."""
        return {
            "idc": self.id_commitments,
            "balances": self.balances,
            "totals_in": self.totals_in,
            "blind_in": self.blind_in,
            "blind_out": self.blind_out,
        }


def _entry(inputs: Mapping[str, object], name: str, *index: int) -> int:
    """Return ``inputs[name][i][j]...`` as an int."""
    value: object = inputs[name]
    for i in index:
        value = cast(Sequence[object], value)[i]
    return int(cast(int, value))


def _reader(name: str, *index: int) -> Callable[[Mapping[str, object]], int]:
    """Return a function reading ``inputs[name][index...]``."""
    return lambda inputs: _entry(inputs, name, *index)


@lru_cache(maxsize=4)
def build_batch_circuit(shape: CircuitShape) -> ConstraintSystem:
    """Return the constraint system of one batch of ``shape``."""
    cs = ConstraintSystem(n_public=N_PUBLIC)
    assets = range(shape.n_assets)

    cs.label("accumulator in: totals range check")
    totals_in = [input_in_range(cs, _reader("totals_in", a), TOTAL_BITS) for a in assets]
    _name(cs, "totals_in", totals_in)
    blind_in = private_value(cs, _reader("blind_in"))
    blind_out = private_value(cs, _reader("blind_out"))
    cs.label("accumulator in: opening")
    cs.set_public(PUBLIC_ACC_IN, accumulator_gadget(cs, totals_in, blind_in))

    leaves: list[LC] = []
    balances: list[list[LC]] = []
    for slot in range(shape.batch_size):
        cs.label(f"leaf {slot}: balance range check")
        row = [input_in_range(cs, _reader("balances", slot, a), BALANCE_BITS) for a in assets]
        balances.append(row)
        _name(cs, f"balances[{slot}]", row)
        idc = private_value(cs, _reader("idc", slot))
        cs.label(f"leaf {slot}: hash")
        packed = [
            pack(cs, row[j : j + BALANCES_PER_ELEMENT], BALANCE_BITS)
            for j in range(0, len(row), BALANCES_PER_ELEMENT)
        ]
        leaves.append(poseidon_gadget(cs, [lc_const(TAG_LEAF), idc, *packed]))

    cs.label("batch subtree")
    first_node_wire = cs.n_wires
    cs.set_public(PUBLIC_ROOT, subtree(cs, leaves, shape.arity))
    cs.names["subtree"] = tuple(range(first_node_wire, cs.n_wires))

    cs.label("accumulator out: totals = totals in + batch sum, range check")
    totals_out = [
        range_check(cs, lc_add(totals_in[a], *(row[a] for row in balances)), TOTAL_BITS)
        for a in assets
    ]
    _name(cs, "totals_out", totals_out)
    cs.label("accumulator out: opening")
    cs.set_public(PUBLIC_ACC_OUT, accumulator_gadget(cs, totals_out, blind_out))
    return cs


def _name(cs: ConstraintSystem, name: str, values: Sequence[LC]) -> None:
    """Record the bit wires of each range-checked value as ``name[i]``."""
    for i, lc in enumerate(values):
        cs.names[f"{name}[{i}]"] = tuple(lc)


def batch_witness(shape: CircuitShape, data: BatchWitnessInput) -> list[int]:
    """Return the witness of one batch; raises ``ValueError`` on malformed inputs."""
    if len(data.id_commitments) != shape.batch_size or len(data.balances) != shape.batch_size:
        raise ValueError(f"a batch holds exactly {shape.batch_size} leaves")
    if any(len(row) != shape.n_assets for row in data.balances):
        raise ValueError(f"every leaf needs {shape.n_assets} balances")
    if len(data.totals_in) != shape.n_assets:
        raise ValueError(f"totals_in needs {shape.n_assets} values")
    return build_batch_circuit(shape).witness(data.as_inputs())


def constraint_counts(shape: CircuitShape) -> tuple[int, float]:
    """Return (constraints per batch, constraints per user) for ``shape``."""
    n = len(build_batch_circuit(shape).constraints)
    return n, n / shape.batch_size
