"""Shared fixtures: one small batch shape and its development keys, made once per session."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.snark.circuit import BatchWitnessInput, CircuitShape, build_batch_circuit
from publisher.snark.dev_setup import ToxicWaste, dev_setup
from publisher.snark.keys import ProvingKey
from verifier.field import R
from verifier.groth16 import VerifyingKey

#: Four assets (two packed elements per leaf) in a binary batch of two leaves: every
#: gadget of the real circuit at the smallest size.
SMALL_SHAPE = CircuitShape(n_assets=4, arity=2, batch_depth=1)


def make_batch(shape: CircuitShape, seed: int = 7) -> BatchWitnessInput:
    """Return a deterministic batch; balances are odd (a soundness test relies on it)."""
    rng = random.Random(seed)
    return BatchWitnessInput(
        id_commitments=[rng.randrange(R) for _ in range(shape.batch_size)],
        balances=[
            [rng.randrange(1 << 50) | 1 for _ in range(shape.n_assets)]
            for _ in range(shape.batch_size)
        ],
        totals_in=[rng.randrange(1 << 90) for _ in range(shape.n_assets)],
        blind_in=rng.randrange(R),
        blind_out=rng.randrange(R),
    )


@pytest.fixture(scope="session")
def small_keys() -> tuple[ProvingKey, VerifyingKey]:
    """Return development keys of ``SMALL_SHAPE`` from fixed toxic waste (tests only)."""
    toxic = ToxicWaste(tau=11, alpha=12, beta=13, gamma=14, delta=15)
    return dev_setup(build_batch_circuit(SMALL_SHAPE), SMALL_SHAPE.circuit_id, toxic)


@pytest.fixture(scope="session", autouse=True)
def key_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep development keys made by tests out of the user's cache."""
    cache = tmp_path_factory.mktemp("zkpor-cache")
    previous = os.environ.get("ZKPOR_CACHE")
    os.environ["ZKPOR_CACHE"] = str(cache)
    yield cache
    if previous is None:
        del os.environ["ZKPOR_CACHE"]
    else:
        os.environ["ZKPOR_CACHE"] = previous
