"""The bucket writer streams (two passes, records spilled to partition files) and still
writes exactly the buckets of the whole-in-memory construction."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from publisher.attest import bundles
from publisher.attest.bundles import (
    MAX_BUCKET_BITS,
    UserEntry,
    _choose_layout,
    _records_per_bucket,
    build_buckets,
    write_buckets,
)
from publisher.crypto import NaclBackend
from verifier.bundle import Bundle

SEAL = NaclBackend().secretbox_seal


def _entries(n: int, seed: int) -> list[UserEntry]:
    rng = random.Random(seed)
    return [
        UserEntry(
            rng.randbytes(16),
            Bundle(
                attestation_id="stream-test",
                user_id=f"user-{i}-" + "x" * rng.randrange(40),
                salt=rng.getrandbits(248),
                balances=(rng.getrandbits(64), rng.getrandbits(20)),
                leaf=i,
                batch=i // 16,
                leaf_hash=rng.getrandbits(250),
                path=((rng.getrandbits(250),) * 3, (rng.getrandbits(250),) * 3),
            ),
        )
        for i in range(n)
    ]


def test_spilled_partitions_write_the_in_memory_buckets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small buckets and partitions: 700 records of ~1 KB in 16 KiB buckets, 8 KiB partitions.
    monkeypatch.setattr(bundles, "MAX_BUCKET_BYTES", 16 * 1024)
    entries = _entries(700, seed=1)
    info, expected = build_buckets("stream-test", entries, SEAL, bytes(32))
    monkeypatch.setattr(bundles, "PARTITION_BYTES", 8 * 1024)
    passes = 0

    def source() -> list[UserEntry]:
        nonlocal passes
        passes += 1
        return entries

    written: dict[str, bytes] = {}
    streamed = write_buckets(
        "stream-test", source, SEAL, bytes(32), written.__setitem__, scratch=tmp_path
    )
    assert passes == 2
    assert streamed == info
    assert info.bucket_bits >= 3  # enough buckets for several partitions
    assert list(written) == sorted(written)  # handed over in bucket order
    assert written == expected
    assert list(tmp_path.iterdir()) == []  # the spill files are anonymous


def _brute_force_layout(prefixes: list[int], record_size: int) -> tuple[int, int]:
    """The layout by its definition: the fewest bucket bits whose fullest bucket fits."""
    for bits in range(MAX_BUCKET_BITS + 1):
        counts: dict[int, int] = {}
        for prefix in prefixes:
            counts[prefix >> (32 - bits)] = counts.get(prefix >> (32 - bits), 0) + 1
        per_bucket = _records_per_bucket(max(counts.values()))
        if per_bucket * record_size <= bundles.MAX_BUCKET_BYTES or bits == MAX_BUCKET_BITS:
            return bits, per_bucket
    raise AssertionError


@pytest.mark.parametrize(
    ("count", "record_size", "skew"),
    [(1, 500, 0), (9, 9000, 0), (300, 700, 0), (2000, 1500, 0), (500, 1200, 12), (40, 70000, 0)],
)
def test_the_layout_from_one_histogram_is_the_brute_force_one(
    count: int, record_size: int, skew: int
) -> None:
    rng = random.Random(count * 7 + skew)
    # skew > 0: many lookups share their top bits, so the fine histogram does not fit.
    prefixes = [rng.getrandbits(32) >> skew for _ in range(count)]
    assert _choose_layout(lambda: prefixes, count, record_size) == _brute_force_layout(
        prefixes, record_size
    )
