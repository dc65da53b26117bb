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
import io
import operator
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

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

#: A user fetches one bucket. 256 KiB rather than 64: the fullest bucket sets every
#: bucket's size, and with few records per bucket the fullest is far above the mean; at
#: 10^5 accounts 64 KiB buckets are 25% real records (876 MiB of buckets), 256 KiB ones
#: 61% (365 MiB), at 10^6 32% and 64% (bench/README.md, "A million accounts").
MAX_BUCKET_BYTES = 256 * 1024
#: Records per bucket are a multiple of this, so the fullest bucket's size (and for a
#: small attestation with one bucket, the user count) is only known to this precision.
RECORDS_GRANULE = 8
MAX_BUCKET_BITS = 24
PLAINTEXT_ALIGN = 256

Seal = Callable[[bytes, bytes, bytes], bytes]


class Sealable(Protocol):
    """A bundle as the writer seals it: zkpor/1's ``Bundle`` or a zkpor/2 one
    (``publisher.attest.bundles2``); only the plaintext differs."""

    @property
    def user_id(self) -> str: ...

    def to_plaintext(self, size: int, *, pad: bool = True) -> bytes: ...


@dataclass(frozen=True)
class UserEntry:
    """What the writer needs of one account holder."""

    code: bytes
    bundle: Bundle | Sealable


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


#: A fresh pass over the entries, in one fixed order (the writer makes two).
EntrySource = Callable[[], Iterable[UserEntry]]
#: Receives each bucket file: (name, bytes), in increasing bucket order.
BucketSink = Callable[[str, bytes], None]
#: Records of one partition held in memory at once while buckets are assembled.
PARTITION_BYTES = 32 << 20
#: At most 2^8 partition files open at once.
MAX_PARTITION_BITS = 8


def _plaintext_size(longest: int) -> int:
    """Return one plaintext size that fits every bundle, rounded up so it reveals little."""
    return -(-longest // PLAINTEXT_ALIGN) * PLAINTEXT_ALIGN


def _records_per_bucket(fullest: int) -> int:
    return max(1, -(-fullest // RECORDS_GRANULE)) * RECORDS_GRANULE


def _histogram(prefixes: Iterable[int], bits: int) -> array[int]:
    """Return how many 32-bit lookup prefixes fall into each of the 2^bits buckets."""
    counts = array("I", bytes(4 << bits))
    shift = 32 - bits
    for prefix in prefixes:
        counts[prefix >> shift] += 1
    return counts


def _choose_layout(
    prefixes: Callable[[], Iterable[int]], count: int, record_size: int
) -> tuple[int, int]:
    """Return (bucket_bits, records_per_bucket): the fewest buckets whose fullest one fits.

    Counting every candidate width would take 25 passes; instead the lookups are counted
    once, at a width with about 16 times as many buckets as the records fill, and each
    narrower width's counts are sums of neighbours. Only if nothing that narrow fits are
    they counted again at the widest (2^24 counters, 64 MiB).
    """
    needed = max(1, count * record_size // MAX_BUCKET_BYTES)
    fine = min(MAX_BUCKET_BITS, needed.bit_length() + 4)
    for bits in (fine, MAX_BUCKET_BITS) if fine < MAX_BUCKET_BITS else (fine,):
        counts = _histogram(prefixes(), bits)
        fullest = [0] * (bits + 1)
        for width in range(bits, -1, -1):
            fullest[width] = max(counts)
            if width:
                counts = array("I", map(operator.add, counts[0::2], counts[1::2]))
        for width in range(bits + 1):
            per_bucket = _records_per_bucket(fullest[width])
            if per_bucket * record_size <= MAX_BUCKET_BYTES:
                return width, per_bucket
    return MAX_BUCKET_BITS, _records_per_bucket(fullest[MAX_BUCKET_BITS])


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


def write_buckets(
    attestation_id: str,
    entries: EntrySource,
    seal: Seal,
    seed: bytes,
    sink: BucketSink,
    scratch: Path | None = None,
) -> BundleInfo:
    """Seal every entry into its bucket and hand each bucket file to ``sink``; return the
    layout. Memory stays flat: two passes over ``entries``, the records in between in
    anonymous temporary files in ``scratch`` (in memory if None), one partition of at
    most ``PARTITION_BYTES`` assembled at a time.

    Pass 1 finds the plaintext size (the longest bundle) and the lookups' 32-bit
    prefixes, which choose the layout; pass 2 seals, and sorts the records into
    partitions of consecutive buckets, which are then padded and written in bucket order.
    The bytes are those of the whole-in-memory construction (``build_buckets``).
    """
    salt = run_salt(seed)
    longest, count = 0, 0
    with _scratch_file(scratch) as prefixes:
        for entry in entries():
            longest = max(longest, len(entry.bundle.to_plaintext(0, pad=False)))
            lookup = derive(entry.code, attestation_id, salt).lookup
            prefixes.write(lookup[:4])
            count += 1
        size = _plaintext_size(longest)
        record_size = LOOKUP_BYTES + MAC_BYTES + size
        bits, per_bucket = _choose_layout(lambda: _read_prefixes(prefixes), count, record_size)
    part_bits = min(bits, MAX_PARTITION_BITS, (count * record_size // PARTITION_BYTES).bit_length())
    with ExitStack() as stack:
        parts = [stack.enter_context(_scratch_file(scratch)) for _ in range(1 << part_bits)]
        for entry in entries():
            derived = derive(entry.code, attestation_id, salt)
            box = seal(entry.bundle.to_plaintext(size), derived.nonce, derived.key)
            parts[bucket_index(derived.lookup, part_bits)].write(derived.lookup + box)
        stream = _dummy_stream(seed)
        per_part = 1 << (bits - part_bits)
        for number, part in enumerate(parts):
            part.seek(0)
            data = part.read()
            part.truncate(0)
            first = number * per_part
            by_bucket: dict[int, list[bytes]] = {first + i: [] for i in range(per_part)}
            for start in range(0, len(data), record_size):
                record = data[start : start + record_size]
                by_bucket[bucket_index(record, bits)].append(record)
            del data
            for index in range(first, first + per_part):
                # Popped: a written bucket's records and dummies are freed at once.
                bucket = _filled(by_bucket.pop(index), index, bits, per_bucket, record_size, stream)
                sink(bucket_name(index, bits), bucket)
    return BundleInfo(bits, record_size, per_bucket, salt)


def _filled(
    bucket: list[bytes],
    index: int,
    bits: int,
    per_bucket: int,
    record_size: int,
    stream: Iterator[bytes],
) -> bytes:
    """Return bucket ``index``: its records and dummies up to ``per_bucket``, by lookup."""
    used = {record[:LOOKUP_BYTES] for record in bucket}
    while len(bucket) < per_bucket:
        dummy = _dummy_record(index, bits, record_size, stream)
        # A repeated lookup would make a real record unreadable (2^-96: never, but cheap).
        if dummy[:LOOKUP_BYTES] not in used:
            used.add(dummy[:LOOKUP_BYTES])
            bucket.append(dummy)
    # One order for real and dummy records alike: by lookup (see the module docstring).
    return b"".join(sorted(bucket))


def _scratch_file(folder: Path | None) -> IO[bytes]:
    """Return an anonymous read-write file: deleted by the OS even if the run is killed."""
    if folder is None:
        return io.BytesIO()
    return tempfile.TemporaryFile(dir=folder, buffering=1 << 16)


def _read_prefixes(prefixes: IO[bytes]) -> Iterator[int]:
    prefixes.seek(0)
    while chunk := prefixes.read(1 << 20):
        yield from array_from_bytes(chunk)


def array_from_bytes(chunk: bytes) -> array[int]:
    """Return big-endian 32-bit values as an array of ints."""
    values = array("I", chunk)
    if sys.byteorder == "little":
        values.byteswap()
    return values


def build_buckets(
    attestation_id: str, entries: Sequence[UserEntry], seal: Seal, seed: bytes
) -> tuple[BundleInfo, dict[str, bytes]]:
    """Return the bucket layout and the bucket files (name -> bytes) for ``entries``, in
    memory (for small sets: the test vectors)."""
    files: dict[str, bytes] = {}
    info = write_buckets(attestation_id, lambda: entries, seal, seed, files.__setitem__)
    return info, files
