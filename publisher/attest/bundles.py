"""Per-user encrypted proof bundles, sorted into equal-size buckets
(docs/protocol.md §11).

Each account holder gets a verification code; from it alone they find and open their
bundle (user id, salt, balances, leaf and batch index, sibling path) on a static host.
Buckets are chosen so that one fetch stays small (at most ``MAX_BUCKET_BYTES``) and are
all padded with dummy records to one size, so the files reveal neither which bucket a
user is in nor the exact number of users. A dummy's lookup is uniformly random within its
bucket, like a real one, and every bucket lists all its records, real and dummy, in
increasing lookup order: the order is then a function of a set of random values and says
nothing about which records are real (``verifier.bundle.check_bucket`` holds every
attestation to it).

Every run draws a fresh ``bundle_seed`` (``publisher.attest.pipeline.make_plan``); the public run
salt (``bundles.run_salt``) is derived from it, so no two runs share keys and nonces even
when the codes are the same (``--code-secret``), while a resumed run (same plan) writes
the same bytes: the output is a deterministic function of the private inputs (codes,
salts, placement and ``bundle_seed``). Codes go only to the private ``codes.csv``; the
attestation directory holds ciphertext.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from verifier import protocol
from verifier.bundle import (
    LOOKUP_BYTES,
    MAC_BYTES,
    Bundle,
    BundleInfo,
    bucket_index,
    bucket_name,
    derive,
)
from verifier.manifest import RUN_SALT_BYTES

MAX_BUCKET_BYTES = 64 * 1024
#: Records per bucket are a multiple of this, so the fullest bucket's size (and for a
#: small attestation with one bucket, the user count) is only known to this precision.
RECORDS_GRANULE = 8
MAX_BUCKET_BITS = 24
PLAINTEXT_ALIGN = 256

Seal = Callable[[bytes, bytes, bytes], bytes]


@dataclass(frozen=True)
class UserEntry:
    """What the writer needs of one account holder."""

    code: bytes
    bundle: Bundle


def subtree_levels(leaves: Sequence[int], arity: int) -> list[list[int]]:
    """Return every level of a batch subtree, from the leaves up to ``[root]``."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(
            [protocol.node_hash(below[i : i + arity]) for i in range(0, len(below), arity)]
        )
    return levels


def sibling_path(levels: Sequence[Sequence[int]], index: int, arity: int) -> list[tuple[int, ...]]:
    """Return the siblings of node ``index`` at each level below the top of ``levels``."""
    path = []
    for level in levels[:-1]:
        first = index - index % arity
        path.append(
            tuple(v for i, v in enumerate(level[first : first + arity]) if first + i != index)
        )
        index //= arity
    return path


def _plaintext_size(entries: Sequence[UserEntry]) -> int:
    """Return one plaintext size that fits every bundle, rounded up so it reveals little."""
    longest = max(len(e.bundle.to_plaintext(0, pad=False)) for e in entries)
    return -(-longest // PLAINTEXT_ALIGN) * PLAINTEXT_ALIGN


def _choose_layout(lookups: Sequence[bytes], record_size: int) -> tuple[int, int]:
    """Return (bucket_bits, records_per_bucket): the fewest buckets whose fullest one fits."""
    for bits in range(MAX_BUCKET_BITS + 1):
        counts: dict[int, int] = {}
        for lookup in lookups:
            index = bucket_index(lookup, bits)
            counts[index] = counts.get(index, 0) + 1
        fullest = max(counts.values(), default=0)
        per_bucket = max(1, -(-fullest // RECORDS_GRANULE)) * RECORDS_GRANULE
        if per_bucket * record_size <= MAX_BUCKET_BYTES or bits == MAX_BUCKET_BITS:
            return bits, per_bucket
    raise AssertionError("unreachable")


def _dummy_stream(seed: bytes) -> Iterator[bytes]:
    """Yield an endless deterministic stream of pseudo-random 64-byte blocks."""
    counter = 0
    while True:
        yield hashlib.blake2b(counter.to_bytes(8, "big"), key=seed, person=b"zkpor-dummy").digest()
        counter += 1


def _dummy_record(bucket: int, bits: int, size: int, stream: Iterator[bytes]) -> bytes:
    """Return a random-looking record whose lookup falls into ``bucket``."""
    raw = b"".join(next(stream) for _ in range(-(-size // 64)))[:size]
    top = int.from_bytes(raw[:4], "big")
    if bits:
        top = (bucket << (32 - bits)) | (top & ((1 << (32 - bits)) - 1))
    return top.to_bytes(4, "big") + raw[4:]


def run_salt(seed: bytes) -> bytes:
    """Return the public run salt of the run whose private ``bundle_seed`` is ``seed``:
    as fresh as the seed, and independent of the dummies drawn from it."""
    return hashlib.blake2b(
        b"", digest_size=RUN_SALT_BYTES, key=seed, person=b"zkpor-runsalt"
    ).digest()


def build_buckets(
    attestation_id: str, entries: Sequence[UserEntry], seal: Seal, seed: bytes
) -> tuple[BundleInfo, dict[str, bytes]]:
    """Return the bucket layout and the bucket files (name -> bytes) for ``entries``."""
    salt = run_salt(seed)
    size = _plaintext_size(entries)
    record_size = LOOKUP_BYTES + MAC_BYTES + size
    records = []
    for entry in entries:
        derived = derive(entry.code, attestation_id, salt)
        box = seal(entry.bundle.to_plaintext(size), derived.nonce, derived.key)
        records.append(derived.lookup + box)
    bits, per_bucket = _choose_layout([r[:LOOKUP_BYTES] for r in records], record_size)
    by_bucket: dict[int, list[bytes]] = {i: [] for i in range(1 << bits)}
    for record in records:
        by_bucket[bucket_index(record[:LOOKUP_BYTES], bits)].append(record)
    stream = _dummy_stream(seed)
    files = {}
    for index, bucket in by_bucket.items():
        used = {record[:LOOKUP_BYTES] for record in bucket}
        while len(bucket) < per_bucket:
            dummy = _dummy_record(index, bits, record_size, stream)
            # A repeated lookup would make a real record unreadable (2^-96: never, but cheap).
            if dummy[:LOOKUP_BYTES] not in used:
                used.add(dummy[:LOOKUP_BYTES])
                bucket.append(dummy)
        # One order for real and dummy records alike: by lookup (see the module docstring).
        files[bucket_name(index, bits)] = b"".join(sorted(bucket))
    return BundleInfo(bits, record_size, per_bucket, salt), files
