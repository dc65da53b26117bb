"""A rank-1 constraint system builder whose description also computes the witness.

A circuit is written once, as calls on a ``ConstraintSystem``: allocating wires,
adding constraints ``<A,w> * <B,w> = <C,w>`` and registering *hints*, small functions
that compute new wires from values already known. Building records both the
constraints and the hints; ``witness()`` replays the hints in order. Because the same
calls produce both, the witness can never drift from the constraints it must satisfy.

Wire 0 is the constant 1, wires ``1..n_public`` are the public inputs (the snarkjs and
iden3 convention), every later wire is private. Nothing here trusts a hint: a witness is
only accepted after ``check()`` has evaluated every constraint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from verifier.field import R

#: A linear combination of wires: wire index -> coefficient in [0, r).
LC = dict[int, int]
ONE = 0

HintFn = Callable[[list[int], Mapping[str, object]], Sequence[int]]


@dataclass(frozen=True)
class Hint:
    """Compute ``outputs`` from the values of ``inputs`` and the named private inputs."""

    inputs: tuple[LC, ...]
    outputs: tuple[int, ...]
    fn: HintFn


class UnsatisfiedConstraint(Exception):
    """A witness does not satisfy the constraint system."""

    def __init__(self, index: int, label: str) -> None:
        super().__init__(f"constraint {index} ({label}) is not satisfied")
        self.index = index
        self.label = label


@dataclass
class ConstraintSystem:
    """Constraints over BN254's scalar field and the hints that fill their witness."""

    n_public: int
    n_wires: int = 0
    constraints: list[tuple[LC, LC, LC]] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    #: (first constraint index, label) for each gadget, to name a failing constraint.
    labels: list[tuple[int, str]] = field(default_factory=list)
    #: Named groups of wires (a balance's bits, a total's bits), for tests and debugging.
    names: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.n_wires = 1 + self.n_public

    # -- building ---------------------------------------------------------------------

    def public(self, index: int) -> LC:
        """Return the LC of public input ``index`` (0-based)."""
        if not 0 <= index < self.n_public:
            raise IndexError(f"public input {index} of {self.n_public}")
        return {1 + index: 1}

    def new_wires(self, count: int) -> list[int]:
        """Allocate ``count`` private wires and return their indices."""
        first = self.n_wires
        self.n_wires += count
        return list(range(first, first + count))

    def hint(self, inputs: Sequence[LC], outputs: Sequence[int], fn: HintFn) -> None:
        """Register how the witness computes ``outputs`` (must come after their inputs)."""
        self.hints.append(Hint(tuple(inputs), tuple(outputs), fn))

    def label(self, text: str) -> None:
        """Name the constraints added from now on, for error messages."""
        self.labels.append((len(self.constraints), text))

    def constrain(self, a: LC, b: LC, c: LC) -> None:
        """Add the constraint ``a * b = c``."""
        self.constraints.append((a, b, c))

    def mul(self, a: LC, b: LC) -> LC:
        """Return a new wire constrained to ``a * b``."""
        (out,) = self.new_wires(1)
        self.hint([a, b], [out], lambda v, _: [v[0] * v[1] % R])
        self.constrain(a, b, {out: 1})
        return {out: 1}

    def materialize(self, a: LC) -> LC:
        """Return a single new wire equal to ``a`` (one constraint), to keep LCs short."""
        (out,) = self.new_wires(1)
        self.hint([a], [out], lambda v, _: [v[0]])
        self.constrain(a, {ONE: 1}, {out: 1})
        return {out: 1}

    def set_public(self, index: int, value: LC) -> None:
        """Constrain public input ``index`` to equal ``value`` and compute it from there."""
        wire = 1 + index
        self.hint([value], [wire], lambda v, _: [v[0]])
        self.constrain(value, {ONE: 1}, {wire: 1})

    # -- witness ----------------------------------------------------------------------

    def witness(
        self, inputs: Mapping[str, object], overrides: Mapping[int, int] | None = None
    ) -> list[int]:
        """Return the full witness computed by the hints from the named private inputs.

        ``overrides`` replaces chosen wires right after they are computed, so that later
        wires follow from the altered values: tests use it to build cheating witnesses.
        """
        values = [0] * self.n_wires
        values[ONE] = 1
        overrides = overrides or {}
        for hint in self.hints:
            args = [evaluate(lc, values) for lc in hint.inputs]
            results = hint.fn(args, inputs)
            if len(results) != len(hint.outputs):
                raise ValueError(f"hint produced {len(results)} values for {len(hint.outputs)}")
            for wire, value in zip(hint.outputs, results, strict=True):
                values[wire] = overrides.get(wire, value % R)
        return values

    def check(self, witness: Sequence[int]) -> None:
        """Raise ``UnsatisfiedConstraint`` naming the first constraint ``witness`` breaks."""
        if len(witness) != self.n_wires or witness[ONE] != 1:
            raise ValueError(f"witness has {len(witness)} wires, expected {self.n_wires}")
        for index, (a, b, c) in enumerate(self.constraints):
            left = evaluate(a, witness) * evaluate(b, witness) - evaluate(c, witness)
            if left % R:
                raise UnsatisfiedConstraint(index, self.label_of(index))

    def label_of(self, constraint: int) -> str:
        """Return the label of the gadget that added constraint number ``constraint``."""
        name = "unlabelled"
        for first, text in self.labels:
            if first > constraint:
                break
            name = text
        return name


def evaluate(lc: LC, values: Sequence[int]) -> int:
    """Return the value of ``lc`` under ``values``, reduced mod r."""
    return sum(coeff * values[wire] for wire, coeff in lc.items()) % R


def lc_add(*terms: LC) -> LC:
    """Return the sum of linear combinations."""
    out: LC = {}
    for lc in terms:
        for wire, coeff in lc.items():
            out[wire] = (out.get(wire, 0) + coeff) % R
    return {wire: coeff for wire, coeff in out.items() if coeff}


def lc_scale(lc: LC, factor: int) -> LC:
    """Return ``factor * lc``."""
    factor %= R
    return {wire: coeff * factor % R for wire, coeff in lc.items()} if factor else {}


def lc_const(value: int) -> LC:
    """Return the constant ``value`` as an LC on wire 0."""
    value %= R
    return {ONE: value} if value else {}


def lc_weighted(pairs: Iterable[tuple[int, LC]]) -> LC:
    """Return ``sum(weight * lc)`` over ``pairs``."""
    return lc_add(*(lc_scale(lc, weight) for weight, lc in pairs))


def r1cs_digest(cs: ConstraintSystem) -> str:
    """Return a sha256 over the wire counts and every constraint, in a canonical encoding.

    A proving key records it, so a key can never be used with a circuit it was not made for.
    Cached on ``cs``: a finished circuit is not changed.
    """
    cached = cs.__dict__.get("_digest")
    if cached is not None and cached[0] == len(cs.constraints):
        return str(cached[1])
    digest = hashlib.sha256(f"zkpor-r1cs:{cs.n_public}:{cs.n_wires}:".encode())
    for row in cs.constraints:
        for lc in row:
            digest.update(len(lc).to_bytes(4, "big"))
            for wire, coeff in sorted(lc.items()):
                digest.update(wire.to_bytes(4, "big") + coeff.to_bytes(32, "big"))
    cs.__dict__["_digest"] = (len(cs.constraints), digest.hexdigest())
    return digest.hexdigest()
