"""What the account holder's checks share, whatever the format: options, path hashing.

``verifier.user`` (zkpor/1) re-exports every name; ``verifier.user2`` (zkpor/2) uses them.
Pure Python: importable in Pyodide.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from verifier.attestation_files import Difference, ProofProgress
from verifier.protocol import node_hash

#: Other batches whose proofs each check verifies besides the user's own, chosen at
#: random by the verifier (never by the publisher): together, visitors cover them all.
SAMPLES = 3
#: The manifest's list of per-asset figures (liabilities, reserves, amounts, ratios).
_PUBLISHED_FIGURES = "assets"


def _in_published_figures(difference: Difference) -> bool:
    """Whether ``difference`` lies inside one asset's published figures."""
    path = difference.path
    return len(path) >= 2 and path[0] == _PUBLISHED_FIGURES and isinstance(path[1], int)


def hash_up(node: int, index: int, path: Sequence[Sequence[int]], arity: int) -> list[int]:
    """Return the nodes above ``node`` (the ``index``-th of its level), one per level of
    ``path``, each hashed from the node below and its k-1 siblings."""
    nodes = []
    for siblings in path:
        position = index % arity
        node = node_hash([*siblings[:position], node, *siblings[position:]])
        index //= arity
        nodes.append(node)
    return nodes


def _short(value: int) -> str:
    """Return a field element shortened for a message: ``0x1234abcd…``."""
    return f"0x{value:064x}"[:10] + "…"


def _batches(numbers: Sequence[int], limit: int = 8) -> str:
    """Return ``batch 3`` / ``batches 0, 1, 5`` / ``batches 0, 1, … (40 in all)``."""
    if len(numbers) == 1:
        return f"batch {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:limit])
    return f"batches {shown}" + (f", … ({len(numbers)} in all)" if len(numbers) > limit else "")


@dataclass(frozen=True)
class UserOptions:
    """How much the check verifies beyond the user's own batch, and what it accepts.

    ``samples`` random other batches' proofs are verified (``check_all``: every batch's);
    ``allow_unknown_phase1`` accepts a ceremony on a phase-1 file that is not a pinned
    public one (the CLI's ``--allow-unknown-phase1``); ``extra_known_phase1`` lists the
    blake2b-512 (hex) of phase-1 files to accept as if pinned: empty on every shipped
    page, filled only by test-built sites. ``rng`` chooses the samples (tests fix it).
    """

    samples: int = SAMPLES
    check_all: bool = False
    allow_unknown_phase1: bool = False
    extra_known_phase1: Collection[str] = ()
    rng: random.Random | None = None
    on_proofs: ProofProgress | None = None
