"""``snarkjs zkey verify circuit.r1cs pot.ptau final.zkey`` in Python.

The zkey is compared with the initial one recomputed from the circuit and phase 1
(``publisher.ceremony.zkey_new``), then its contributions are checked (``verifier.mpc``):

1. the circuit parameters (wires, public inputs, domain), alpha_1, beta_1, beta_2,
   gamma_2 and the circuit hash equal the initial key's;
2. sections IC, coefficients, A, B1, B2 equal the initial key's;
3. every contribution checks (transcript chain, proof of knowledge, delta chain,
   beacons recomputed), and delta_1 is the last one's ``deltaAfter``;
4. one batched pairing check of three equations, each with fresh 128-bit weights rho:
   ``e(g1, delta_2) = e(delta_1, g2)``; ``e(sum rho_i C_i, delta_2) = e(sum rho_i C0_i,
   g2)`` for the L query; the same for H. snarkjs draws 32-bit weights; 128 bits make a
   wrong point pass with probability below 2^-128.

One difference from snarkjs: a zkey without any contribution (delta = 1, so anyone can
forge proofs) is refused unless ``allow_no_contributions``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from publisher.ceremony.points import random_weights
from publisher.ceremony.ptau import Phase1
from publisher.ceremony.zkey import Zkey, ZkeyError
from publisher.ceremony.zkey_new import new_zkey
from publisher.snark.curve import G1, G1_GEN, G2_GEN, g1_neg
from publisher.snark.msm import msm_g1
from publisher.snark.pairing import FAST_OPS
from publisher.snark.r1cs import ConstraintSystem
from verifier.ceremony_crypto import MAX_BEACON_EXP, PairingCheck, failed_pairing_check
from verifier.mpc import verify_contributions

Log = Callable[[str], None]
_CHECK_BITS = 128


class ZkeyMismatch(ZkeyError):
    """The zkey is not the one the circuit, phase 1 and its contributions give."""


def _combination(points: Sequence[G1], rho: Sequence[int]) -> G1:
    return msm_g1(list(points), list(rho))


def _compare_with_initial(zkey: Zkey, init: Zkey) -> None:
    """Refuse a zkey whose circuit part differs from the recomputed initial one."""
    for what, found, expected in (
        ("number of wires (nVars)", zkey.n_vars, init.n_vars),
        ("number of public inputs", zkey.n_public, init.n_public),
        ("domain size", zkey.domain_size, init.domain_size),
    ):
        if found != expected:
            raise ZkeyMismatch(f"the zkey's {what} is {found}, the circuit's {expected}")
    for what, found_point, expected_point in (
        ("alpha_1", zkey.alpha_g1, init.alpha_g1),
        ("beta_1", zkey.beta_g1, init.beta_g1),
        ("beta_2", zkey.beta_g2, init.beta_g2),
        ("gamma_2", zkey.gamma_g2, init.gamma_g2),
    ):
        if found_point != expected_point:
            raise ZkeyMismatch(f"the zkey's {what} is not the one of phase 1 (header section 2)")
    if zkey.cs_hash != init.cs_hash:
        raise ZkeyMismatch("the zkey's circuit hash (section 10) is not this circuit's")
    for what, found_items, expected_items in (
        ("IC (section 3)", zkey.ic, init.ic),
        ("coefficients (section 4)", zkey.coefficients, init.coefficients),
        ("A (section 5)", zkey.a_g1, init.a_g1),
        ("B1 (section 6)", zkey.b_g1, init.b_g1),
        ("B2 (section 7)", zkey.b_g2, init.b_g2),
    ):
        if tuple(found_items) != tuple(expected_items):
            index = next(
                (
                    i
                    for i, (f, e) in enumerate(zip(found_items, expected_items, strict=False))
                    if f != e
                ),
                min(len(found_items), len(expected_items)),
            )
            raise ZkeyMismatch(f"the zkey's {what} differs from the circuit's at item {index}")
    for what, count, expected_count in (
        ("L (section 8)", len(zkey.c_g1), len(init.c_g1)),
        ("H (section 9)", len(zkey.h_g1), len(init.h_g1)),
    ):
        if count != expected_count:
            raise ZkeyMismatch(f"the zkey's {what} has {count} points, expected {expected_count}")


def verify_zkey(
    zkey: Zkey,
    cs: ConstraintSystem,
    phase1: Phase1,
    ptau: Path,
    log: Log | None = None,
    allow_no_contributions: bool = False,
    max_beacon_exp: int = MAX_BEACON_EXP,
) -> None:
    """Return None if ``zkey`` is the circuit's initial key after its contributions, each
    valid (see the module docstring); else raise ``ZkeyMismatch`` naming the part, or the
    ``verifier.mpc.InvalidContribution`` naming the contribution."""
    if log:
        log("recomputing the initial zkey from the circuit and phase 1")
    init = new_zkey(cs, phase1, ptau, log)
    _compare_with_initial(zkey, init)
    if not zkey.contributions and not allow_no_contributions:
        raise ZkeyMismatch(
            "the zkey has no phase-2 contribution: delta is the generator and anyone can "
            "forge proofs"
        )
    if log:
        log(f"checking {len(zkey.contributions)} contributions")
    delta = verify_contributions(
        zkey.cs_hash, zkey.contributions, FAST_OPS, max_beacon_exp=max_beacon_exp, progress=log
    )
    if zkey.delta_g1 != delta:
        raise ZkeyMismatch("the zkey's delta_1 is not the last contribution's deltaAfter")
    if zkey.delta_g2 is None or not FAST_OPS.g2_in_subgroup(zkey.delta_g2):
        raise ZkeyMismatch("the zkey's delta_2 is infinity or not in G2")
    if log:
        log("checking delta_2, L and H against the initial key (random combinations)")
    checks: list[PairingCheck] = [
        ("the zkey's delta_2 does not match its delta_1", [
            (G1_GEN, zkey.delta_g2), (g1_neg(zkey.delta_g1), G2_GEN),
        ]),
    ]  # fmt: skip
    for what, points, initial in (
        ("L (section 8)", zkey.c_g1, init.c_g1),
        ("H (section 9)", zkey.h_g1, init.h_g1),
    ):
        rho = random_weights(len(points), _CHECK_BITS)
        checks.append(
            (
                f"the zkey's {what} is not the initial one divided by its delta",
                [
                    (_combination(points, rho), zkey.delta_g2),
                    (g1_neg(_combination(initial, rho)), G2_GEN),
                ],
            )
        )
    failed = failed_pairing_check(checks, ops=FAST_OPS)
    if failed is not None:
        raise ZkeyMismatch(failed)
