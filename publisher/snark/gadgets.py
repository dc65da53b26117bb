"""Circuit gadgets: booleans, range checks, Poseidon, arity-k subtrees, accumulators.

Each gadget adds its constraints to a ``ConstraintSystem`` and registers the hint that
computes its wires, so the witness always comes from the same description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from publisher.snark.r1cs import LC, ONE, ConstraintSystem, lc_add, lc_const
from verifier.field import R
from verifier.poseidon import PoseidonParams, params
from verifier.protocol import TAG_ACC, TAG_NODE, TOTAL_BITS, TOTALS_PER_ELEMENT

# -- booleans and range checks ---------------------------------------------------------


def boolean(cs: ConstraintSystem, bit: LC) -> None:
    """Constrain ``bit`` to 0 or 1: ``bit * (bit - 1) = 0``."""
    cs.constrain(bit, lc_add(bit, {ONE: R - 1}), {})


def _bits_lc(bits: Sequence[int]) -> LC:
    """Return ``sum(2^i * bit_i)``."""
    return {wire: pow(2, i, R) for i, wire in enumerate(bits)}


def _to_bits(value: int, n_bits: int) -> list[int]:
    """Return the ``n_bits`` little-endian bits of ``value`` (which is taken mod 2^n)."""
    return [(value >> i) & 1 for i in range(n_bits)]


def input_in_range(
    cs: ConstraintSystem, read: Callable[[Mapping[str, object]], int], n_bits: int
) -> LC:
    """Return a private input as the LC of ``n_bits`` boolean wires: ``0 <= x < 2^n``.

    ``read`` takes the value from the named inputs; an out-of-range value is refused
    here, before any proof, because its bits could not represent it.
    """

    def fill(_: list[int], inputs: Mapping[str, object]) -> list[int]:
        value = read(inputs)
        if not 0 <= value < 1 << n_bits:
            raise ValueError(f"value {value} does not fit {n_bits} bits")
        return _to_bits(value, n_bits)

    bits = cs.new_wires(n_bits)
    cs.hint([], bits, fill)
    for wire in bits:
        boolean(cs, {wire: 1})
    return _bits_lc(bits)


def range_check(cs: ConstraintSystem, value: LC, n_bits: int) -> LC:
    """Constrain ``value`` to ``[0, 2^n)`` and return it rewritten over its bit wires."""
    bits = cs.new_wires(n_bits)
    cs.hint([value], bits, lambda v, _: _to_bits(v[0], n_bits))
    for wire in bits:
        boolean(cs, {wire: 1})
    as_bits = _bits_lc(bits)
    cs.constrain(as_bits, {ONE: 1}, value)
    return as_bits


def private_value(cs: ConstraintSystem, read: Callable[[Mapping[str, object]], int]) -> LC:
    """Return an unconstrained private input wire (salts, blinds, id commitments)."""
    (wire,) = cs.new_wires(1)
    cs.hint([], [wire], lambda _, inputs: [read(inputs) % R])
    return {wire: 1}


def pack(cs: ConstraintSystem, limbs: Sequence[LC], limb_bits: int) -> LC:
    """Return one wire equal to ``sum(limb_i * 2^(limb_bits*i))``.

    The limbs must already be range-checked to ``limb_bits``: that is what makes the
    packing injective. Materialized so the long LC appears in one constraint only.
    """
    total: LC = {}
    for i, limb in enumerate(limbs):
        shift = pow(2, limb_bits * i, R)
        for wire, coeff in limb.items():
            total[wire] = (total.get(wire, 0) + coeff * shift) % R
    return cs.materialize(total)


# -- Poseidon -------------------------------------------------------------------------
#
# The permutation is linear except for its S-boxes, so each S-box input is a fixed
# linear combination of earlier S-box outputs. ``_poseidon_plan`` derives those
# combinations once per width; instantiating the gadget then only maps symbols to wires.
# Symbols: 0 is the constant 1, 1..t the outputs of the first round's S-boxes, and
# t+1.. the outputs of every later S-box in order.


@dataclass(frozen=True)
class _PoseidonPlan:
    """S-box inputs (after the first round) and the output, over symbols."""

    sbox_inputs: tuple[tuple[tuple[int, int], ...], ...]
    output: tuple[tuple[int, int], ...]


def _mix(p: PoseidonParams, state: list[dict[int, int]]) -> list[dict[int, int]]:
    """Return ``M * state`` for a symbolic state."""
    mixed = []
    for row in p.mds:
        out: dict[int, int] = {}
        for coeff, element in zip(row, state, strict=True):
            for symbol, c in element.items():
                out[symbol] = (out.get(symbol, 0) + coeff * c) % R
        mixed.append(out)
    return mixed


@cache
def _poseidon_plan(t: int) -> _PoseidonPlan:
    """Return the symbolic plan of the width-``t`` permutation."""
    p = params(t)
    half_full = p.full_rounds // 2
    state = _mix(p, [{1 + i: 1} for i in range(t)])
    next_symbol = t + 1
    sbox_inputs = []
    for rnd in range(1, p.full_rounds + p.partial_rounds):
        for i in range(t):
            state[i][0] = (state[i].get(0, 0) + p.round_constants[rnd * t + i]) % R
        full = rnd < half_full or rnd >= half_full + p.partial_rounds
        for i in range(t if full else 1):
            sbox_inputs.append(tuple(sorted((s, c) for s, c in state[i].items() if c)))
            state[i] = {next_symbol: 1}
            next_symbol += 1
        state = _mix(p, state)
    return _PoseidonPlan(tuple(sbox_inputs), tuple(sorted(state[0].items())))


def _sbox_trace(p: PoseidonParams, inputs: Sequence[int]) -> tuple[list[int], list[int]]:
    """Return (first-round S-box inputs, later S-box inputs) of the permutation."""
    t = p.t
    state = [0, *inputs]
    first: list[int] = []
    later: list[int] = []
    half_full = p.full_rounds // 2
    for rnd in range(p.full_rounds + p.partial_rounds):
        state = [(s + p.round_constants[rnd * t + i]) % R for i, s in enumerate(state)]
        full = rnd < half_full or rnd >= half_full + p.partial_rounds
        for i in range(t if full else 1):
            (first if rnd == 0 else later).append(state[i])
            state[i] = pow(state[i], 5, R)
        state = [sum(m * s for m, s in zip(row, state, strict=True)) % R for row in p.mds]
    return first, later


def _is_constant(lc: LC) -> bool:
    return all(wire == ONE for wire in lc)


def _sbox(cs: ConstraintSystem, x: LC, wires: Sequence[int]) -> int:
    """Constrain ``wires = (x^2, x^4, x^5)`` and return the x^5 wire."""
    x2, x4, x5 = wires
    cs.constrain(x, x, {x2: 1})
    cs.constrain({x2: 1}, {x2: 1}, {x4: 1})
    cs.constrain({x4: 1}, x, {x5: 1})
    return x5


def poseidon_gadget(cs: ConstraintSystem, inputs: Sequence[LC]) -> LC:
    """Return the LC of ``H(inputs)``: circomlib Poseidon over the wires ``inputs``."""
    t = len(inputs) + 1
    p = params(t)
    plan = _poseidon_plan(t)
    first_inputs = [
        lc_add(lc, lc_const(p.round_constants[i])) for i, lc in enumerate([{}, *inputs])
    ]
    # A first-round S-box over a constant (the zero capacity, a domain tag) costs nothing.
    variable = [i for i, lc in enumerate(first_inputs) if not _is_constant(lc)]
    n_sboxes = len(variable) + len(plan.sbox_inputs)
    wires = cs.new_wires(3 * n_sboxes)

    def fill(values: list[int], _: Mapping[str, object]) -> list[int]:
        first, later = _sbox_trace(p, values)
        xs = [first[i] for i in variable] + later
        out = []
        for x in xs:
            x2 = x * x % R
            x4 = x2 * x2 % R
            out += [x2, x4, x4 * x % R]
        return out

    cs.hint(list(inputs), wires, fill)
    symbols: list[LC] = [{ONE: 1}]
    for i, lc in enumerate(first_inputs):
        if i in variable:
            k = variable.index(i)
            symbols.append({_sbox(cs, lc, wires[3 * k : 3 * k + 3]): 1})
        else:
            symbols.append(lc_const(pow(lc.get(ONE, 0), 5, R)))
    for j, terms in enumerate(plan.sbox_inputs):
        x = _substitute(terms, symbols)
        k = len(variable) + j
        symbols.append({_sbox(cs, x, wires[3 * k : 3 * k + 3]): 1})
    return _substitute(plan.output, symbols)


def _substitute(terms: Sequence[tuple[int, int]], symbols: Sequence[LC]) -> LC:
    """Return ``sum(coeff * symbols[s])`` where each symbol is a wire or a constant."""
    out: LC = {}
    for symbol, coeff in terms:
        for wire, c in symbols[symbol].items():
            out[wire] = (out.get(wire, 0) + coeff * c) % R
    return {wire: c for wire, c in out.items() if c}


# -- trees and accumulators -----------------------------------------------------------


def subtree(cs: ConstraintSystem, leaves: Sequence[LC], arity: int) -> LC:
    """Return the root of the complete arity-``k`` Poseidon tree over ``leaves``."""
    level = list(leaves)
    while len(level) > 1:
        level = [
            poseidon_gadget(cs, [lc_const(TAG_NODE), *level[i : i + arity]])
            for i in range(0, len(level), arity)
        ]
    return level[0]


def accumulator_gadget(cs: ConstraintSystem, totals: Sequence[LC], blind: LC) -> LC:
    """Return ``H(ACC, q_1..q_n, blind)`` over totals already range-checked to 96 bits."""
    packed = [
        pack(cs, totals[i : i + TOTALS_PER_ELEMENT], TOTAL_BITS)
        for i in range(0, len(totals), TOTALS_PER_ELEMENT)
    ]
    return poseidon_gadget(cs, [lc_const(TAG_ACC), *packed, blind])
