"""Per-user bundles: find and open the one record a verification code unlocks.

From a 16-byte code, the attestation id and the run salt (docs/protocol.md §11), with
``aid = blake2b(id utf-8, digest 32, key run_salt)`` as the BLAKE2b key of every derivation:

``lookup = blake2b(code, 16, person "zkpor-lookup")``    names the record, in the clear;
``key    = blake2b(code, 32, person "zkpor-bundlekey")`` opens it;
``nonce  = blake2b(key, 24, person "zkpor-nonce")``.

``run_salt`` is 32 random bytes drawn afresh for every ``zkpor prove`` run and published in
the manifest (``bundles.run_salt``). Codes derived from a custodian's secret are the same
in every run with the same attestation id; without the salt two such runs would seal
different bundles under one key and nonce (a two-time pad, and forgeable Poly1305 tags).

A record is ``lookup || secretbox(plaintext)`` (16-byte MAC, then the ciphertext; the
nonce is derived, not stored). The records live in ``2^bucket_bits`` bucket files
``bundles/<hex>.bin``, chosen by the first bits of ``lookup``, all of the same size, so a
fetch reveals only a bucket. Within a bucket, real and dummy records alike are in strictly
increasing order of lookup (``check_bucket``): dummy lookups are as uniform as real ones,
so the order reveals nothing about which records are real, hence how many users there are.
The plaintext is the canonical JSON of a ``Bundle`` padded with spaces to one size for the
whole attestation.

This module is pure standard library (it runs in Pyodide): the box itself is injected as
a ``CryptoBackend``. It must never return part of a bundle: a record is used only once it
authenticates and parses completely, and every failure of a found record is the same
opaque ``BundleUnreadable``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from verifier.codes import CODE_BYTES
from verifier.download import DownloadFailed
from verifier.errors import (
    BundleUnreadable,
    MalformedInput,
    NoBundle,
    UnreadableFile,
    VerificationError,
)
from verifier.field import R
from verifier.manifest import BUNDLE_SUMS, RUN_SALT_BYTES, BundleInfo, _Doc
from verifier.strict_json import loads

__all__ = [
    "Bundle",
    "Bundle2",
    "BundleInfo",
    "CryptoBackend",
    "Derived",
    "bucket_index",
    "bucket_name",
    "check_bucket",
    "derive",
    "open_bundle",
    "open_bundle2",
    "parse_bundle_sums",
]

LOOKUP_BYTES = 16
KEY_BYTES = 32
NONCE_BYTES = 24
MAC_BYTES = 16
MAX_BUCKET_BITS = 24
BUNDLE_VERSION = 1
#: The plaintext version of a zkpor/2 bundle (``Bundle2``).
BUNDLE_VERSION2 = 2
BALANCE_BOUND = 1 << 64
#: Asset indexes of a zkpor/2 entry are below this (10 bits, ``verifier.book``).
ASSET_INDEX_BOUND = 1 << 10

#: A line of ``bundles/SHA256SUMS``: sha256sum's text format, bucket name without ``bundles/``.
_SUMS_LINE = re.compile("([0-9a-f]{64})  ([0-9a-f]{1,6}\\.bin)")

NO_BUNDLE = "no bundle for this code"
UNREADABLE = "this bundle could not be decrypted: it was damaged or tampered with"


class CryptoBackend(Protocol):
    """XSalsa20-Poly1305, injected: PyNaCl in CPython, libsodium.js in the browser."""

    def secretbox_open(self, box: bytes, nonce: bytes, key: bytes) -> bytes:
        """Return the plaintext of ``box`` (16-byte MAC || ciphertext), as libsodium's
        ``crypto_secretbox_open_easy``; raise any exception if it does not authenticate."""
        ...


@dataclass(frozen=True)
class Derived:
    """What a code gives in one attestation: where its record is, and how to open it."""

    lookup: bytes
    key: bytes
    nonce: bytes


def derive(code: bytes, attestation_id: str, run_salt: bytes) -> Derived:
    """Return the lookup, key and nonce of ``code`` in the run of attestation
    ``attestation_id`` whose manifest publishes ``run_salt``."""
    if len(code) != CODE_BYTES:
        raise ValueError(f"a code is {CODE_BYTES} bytes, got {len(code)}")
    if len(run_salt) != RUN_SALT_BYTES:
        raise ValueError(f"a run salt is {RUN_SALT_BYTES} bytes, got {len(run_salt)}")
    aid = hashlib.blake2b(attestation_id.encode("utf-8"), digest_size=32, key=run_salt).digest()
    lookup = hashlib.blake2b(code, digest_size=LOOKUP_BYTES, person=b"zkpor-lookup", key=aid)
    key = hashlib.blake2b(code, digest_size=KEY_BYTES, person=b"zkpor-bundlekey", key=aid)
    nonce = hashlib.blake2b(key.digest(), digest_size=NONCE_BYTES, person=b"zkpor-nonce", key=aid)
    return Derived(lookup.digest(), key.digest(), nonce.digest())


def bucket_index(lookup: bytes, bits: int) -> int:
    """Return the bucket of ``lookup``: its first ``bits`` bits, big-endian."""
    if not 0 <= bits <= MAX_BUCKET_BITS:
        raise ValueError(f"bucket_bits must be 0 to {MAX_BUCKET_BITS}, got {bits}")
    if len(lookup) < 4:
        raise ValueError(f"a lookup has at least 4 bytes, got {len(lookup)}")
    return int.from_bytes(lookup[:4], "big") >> (32 - bits)


def bucket_name(index: int, bits: int) -> str:
    """Return the file name of bucket ``index``: ``bundles/<hex>.bin``, zero-padded to
    the hex digits that ``bits`` need (at least one)."""
    if not 0 <= index < 1 << bits:
        raise ValueError(f"bucket {index} does not exist with {bits} bucket bits")
    width = max(1, (bits + 3) // 4)
    return f"bundles/{index:0{width}x}.bin"


def _padded(obj: dict[str, Any], size: int, *, pad: bool) -> bytes:
    """Return the canonical JSON of a bundle's object ``obj`` padded with spaces to ``size``
    bytes (not padded, whatever ``size``, if ``pad`` is false): both versions' plaintext."""
    data = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )
    if not pad:
        return data
    if len(data) > size:
        raise ValueError(f"the bundle is {len(data)} bytes, more than the {size} it must fit")
    return data + b" " * (size - len(data))


def _plaintext_doc(data: bytes, version: int) -> _Doc:
    """Return the JSON object of a padded plaintext, once its ``"v"`` is ``version``."""
    try:
        doc = _Doc(loads(data.rstrip(b" ")), "bundle")
    except ValueError as exc:
        raise MalformedInput(f"the bundle is not valid JSON: {exc}") from exc
    doc.choice("v", (version,))
    return doc


def _levels(path: object) -> list[list[object]]:
    """Return ``path`` once it is a list of lists (its siblings are read by ``_path``)."""
    if not isinstance(path, list) or not all(isinstance(level, list) for level in path):
        raise MalformedInput("bundle.path must be a list of lists")
    return path


def _path(doc: _Doc, path: list[list[object]]) -> tuple[tuple[int, ...], ...]:
    """Return the siblings of ``path`` (checked by ``_levels``), each below r."""
    return tuple(
        tuple(doc._decimal(f"path[{i}][{j}]", v, R) for j, v in enumerate(level))
        for i, level in enumerate(path)
    )


def _check_written_back(to_plaintext: Callable[[int], bytes], data: bytes, fmt: str) -> None:
    """Raise unless the parsed bundle, written back by ``to_plaintext``, is ``data`` again.

    Writing it back catches all the rest: unknown keys, key order, spacing, escapes,
    leading zeros, and padding that is not spaces."""
    try:
        canonical = to_plaintext(len(data))
    except ValueError as exc:  # e.g. a user id with a lone surrogate
        raise MalformedInput(f"the bundle cannot be written back: {exc}") from exc
    if canonical != data:
        raise MalformedInput(f"the bundle is not in the canonical form {fmt} writes")


@dataclass(frozen=True)
class Bundle:
    """What an account holder needs to find their leaf under the proven root."""

    attestation_id: str
    user_id: str
    #: The 248-bit salt of the id commitment ``H(ID, uid, salt)``.
    salt: int
    #: One balance per asset of the manifest, in its order, in units.
    balances: tuple[int, ...]
    #: Index of the leaf among all leaves of the tree.
    leaf: int
    batch: int
    #: The leaf value the custodian committed to, ``H(LEAF, idc, p_1..p_m)``: the user
    #: recomputes it from the fields above, then hashes it up to the proven root.
    leaf_hash: int
    #: The k-1 siblings at each level, from the leaf level up to below the root: first
    #: ``batch_depth`` levels inside the batch, then ``top_depth`` levels above it.
    path: tuple[tuple[int, ...], ...]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this bundle."""
        return {
            "v": BUNDLE_VERSION,
            "attestation": self.attestation_id,
            "user_id": self.user_id,
            "salt": str(self.salt),
            "balances": [str(b) for b in self.balances],
            "leaf": self.leaf,
            "batch": self.batch,
            "leaf_hash": str(self.leaf_hash),
            "path": [[str(v) for v in level] for level in self.path],
        }

    def to_plaintext(self, size: int, *, pad: bool = True) -> bytes:
        """Return the canonical JSON of this bundle padded with spaces to ``size`` bytes
        (not padded, whatever ``size``, if ``pad`` is false)."""
        return _padded(self.to_json(), size, pad=pad)

    @classmethod
    def from_plaintext(cls, data: bytes) -> Bundle:
        """Return the bundle of a padded plaintext; raise ``MalformedInput`` unless it is
        exactly what ``to_plaintext`` writes (canonical JSON, then only spaces)."""
        doc = _plaintext_doc(data, BUNDLE_VERSION)
        balances, path = doc._get("balances"), doc._get("path")
        if not isinstance(balances, list):
            raise MalformedInput("bundle.balances must be a list")
        levels = _levels(path)
        bundle = cls(
            attestation_id=doc.str("attestation"),
            user_id=doc.str("user_id"),
            salt=doc.field("salt"),
            balances=tuple(
                doc._decimal(f"balances[{i}]", b, BALANCE_BOUND) for i, b in enumerate(balances)
            ),
            leaf=doc.int("leaf"),
            batch=doc.int("batch"),
            leaf_hash=doc.field("leaf_hash"),
            path=_path(doc, levels),
        )
        _check_written_back(bundle.to_plaintext, data, "zkpor/1")
        return bundle


@dataclass(frozen=True)
class Bundle2:
    """A zkpor/2 account holder's bundle (plaintext ``"v": 2``, docs/protocol.md §16).

    ``entries`` are the account's ``(asset index, equity, debt)``, sorted by asset, in
    units of each asset; ``slots`` is the K of the shape whose tree holds the leaf;
    ``leaf`` is the index in that shape's tree; ``path`` has ``d_b + d_t`` levels of
    ``k - 1`` siblings.
    """

    attestation_id: str
    user_id: str
    salt: int
    entries: tuple[tuple[int, int, int], ...]
    slots: int
    leaf: int
    batch: int
    leaf_hash: int
    path: tuple[tuple[int, ...], ...]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this bundle."""
        return {
            "v": BUNDLE_VERSION2,
            "attestation": self.attestation_id,
            "user_id": self.user_id,
            "salt": str(self.salt),
            "entries": [[a, str(e), str(d)] for a, e, d in self.entries],
            "slots": self.slots,
            "leaf": self.leaf,
            "batch": self.batch,
            "leaf_hash": str(self.leaf_hash),
            "path": [[str(v) for v in level] for level in self.path],
        }

    def to_plaintext(self, size: int, *, pad: bool = True) -> bytes:
        """Return the canonical JSON of this bundle padded with spaces to ``size`` bytes
        (not padded, whatever ``size``, if ``pad`` is false), as ``Bundle`` does."""
        return _padded(self.to_json(), size, pad=pad)

    @classmethod
    def from_plaintext(cls, data: bytes) -> Bundle2:
        """Return the bundle of a padded v2 plaintext; raise ``MalformedInput`` unless it
        is exactly what ``to_plaintext`` writes. Amounts must be below 2^64 and asset
        indexes below 2^10; order and the slot count are checked by the user's step 2."""
        doc = _plaintext_doc(data, BUNDLE_VERSION2)
        entries, path = doc._get("entries"), doc._get("path")
        if not isinstance(entries, list) or not all(
            isinstance(e, list) and len(e) == 3 for e in entries
        ):
            raise MalformedInput("bundle.entries must be a list of [asset, equity, debt]")
        levels = _levels(path)
        parsed: list[tuple[int, int, int]] = []
        for i, (asset, equity, debt) in enumerate(entries):
            if type(asset) is not int or not 0 <= asset < ASSET_INDEX_BOUND:
                raise MalformedInput(f"bundle.entries[{i}][0] must be an asset index")
            parsed.append(
                (
                    asset,
                    doc._decimal(f"entries[{i}][1]", equity, BALANCE_BOUND),
                    doc._decimal(f"entries[{i}][2]", debt, BALANCE_BOUND),
                )
            )
        bundle = cls(
            attestation_id=doc.str("attestation"),
            user_id=doc.str("user_id"),
            salt=doc.field("salt"),
            entries=tuple(parsed),
            slots=doc.int("slots", ASSET_INDEX_BOUND),
            leaf=doc.int("leaf"),
            batch=doc.int("batch"),
            leaf_hash=doc.field("leaf_hash"),
            path=_path(doc, levels),
        )
        _check_written_back(bundle.to_plaintext, data, "zkpor/2")
        return bundle


def parse_bundle_sums(data: bytes) -> dict[str, str]:
    """Return bucket file (``bundles/<hex>.bin``) -> sha256 from the bytes of
    ``bundles/SHA256SUMS``; raise ``MalformedInput``, naming the file and the line, unless
    it is exactly what the publisher writes: ASCII, every line ``<sha256>  <hex>.bin`` ended
    by ``\n``, the names strictly increasing (so none twice). Both checks (the reviewer's
    step 7, the account holder's step 1) parse it here: one file, one reading.
    """
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        # The line of the first byte that is not ASCII: the lines before it are ASCII.
        line = len((data[: exc.start].decode("ascii") + "x").splitlines())
        raise MalformedInput(
            f"{BUNDLE_SUMS} line {line} is not ASCII (byte 0x{data[exc.start]:02x})"
        ) from None
    if text and not text.endswith("\n"):
        raise MalformedInput(f"{BUNDLE_SUMS} must end with a newline")
    sums: dict[str, str] = {}
    previous = ""
    for number, line_text in enumerate(text.split("\n")[:-1], 1):
        match = _SUMS_LINE.fullmatch(line_text)
        if match is None:
            raise MalformedInput(f"{BUNDLE_SUMS} line {number} is not '<sha256>  <bucket>.bin'")
        if match[2] <= previous:
            raise MalformedInput(
                f"{BUNDLE_SUMS} line {number}: {match[2]} is not after {previous}: every bucket "
                "is listed once, in order"
            )
        previous = match[2]
        sums[f"bundles/{match[2]}"] = match[1]
    return sums


def check_bucket(bucket: bytes, info: BundleInfo, index: int) -> None:
    """Raise ``VerificationError`` unless bucket file ``index`` has the layout's size and
    its records' lookups all fall in this bucket, in strictly increasing order.

    The order is what keeps the count of real records private: any other order (real
    records first, say) can be told apart from the one a set of random lookups has. A
    lookup outside its bucket is a record no code can reach, and a repeated one makes
    its owner's bundle unreadable.
    """
    name = bucket_name(index, info.bucket_bits)
    size, expected = info.record_size, info.record_size * info.records_per_bucket
    if len(bucket) != expected:
        raise VerificationError(f"{name} is {len(bucket)} bytes, every bucket must be {expected}")
    previous = b""
    for number, start in enumerate(range(0, expected, size), 1):
        lookup = bucket[start : start + LOOKUP_BYTES]
        if bucket_index(lookup, info.bucket_bits) != index:
            raise VerificationError(
                f"{name} record {number}: its lookup {lookup.hex()} belongs to "
                f"{bucket_name(bucket_index(lookup, info.bucket_bits), info.bucket_bits)}"
            )
        if lookup <= previous:
            raise VerificationError(
                f"{name} record {number}: its lookup is not greater than record {number - 1}'s: "
                "records must be in increasing lookup order, or their order can tell real "
                "records from dummies (and so the number of users)"
            )
        previous = lookup


def _find_record(bucket: bytes, lookup: bytes, info: BundleInfo, name: str) -> bytes:
    """Return the one record of ``bucket`` that starts with ``lookup``."""
    size = info.record_size
    expected = size * info.records_per_bucket
    # Every bucket has the same size: anything else is damage, not a place to look in.
    if len(bucket) != expected:
        raise BundleUnreadable(
            f"{name} is {len(bucket)} bytes, expected {expected} ({info.records_per_bucket} "
            f"records of {size} bytes): the bucket file is damaged"
        )
    found = [
        bucket[start : start + size]
        for start in range(0, expected, size)
        if bucket[start : start + LOOKUP_BYTES] == lookup
    ]
    if not found:
        raise NoBundle(NO_BUNDLE)
    if len(found) > 1:
        raise BundleUnreadable(UNREADABLE)
    return found[0]


def _open_plaintext(
    read: Callable[[str], bytes],
    info: BundleInfo,
    attestation_id: str,
    code: bytes,
    backend: CryptoBackend,
) -> bytes:
    """Return the padded plaintext of the record ``code`` unlocks (see ``open_bundle``)."""
    if info.record_size <= LOOKUP_BYTES + MAC_BYTES:
        raise MalformedInput(
            f"the manifest's bundles.record_size is {info.record_size}; a record needs more "
            f"than {LOOKUP_BYTES + MAC_BYTES} bytes (lookup and MAC)"
        )
    derived = derive(code, attestation_id, info.run_salt)
    name = bucket_name(bucket_index(derived.lookup, info.bucket_bits), info.bucket_bits)
    try:
        bucket = read(name)
    except FileNotFoundError:
        raise NoBundle(NO_BUNDLE) from None
    except DownloadFailed as exc:  # its message names the file and says why
        raise UnreadableFile(str(exc)) from exc
    except OSError as exc:
        raise UnreadableFile(f"cannot read {name}: {exc}") from exc
    record = _find_record(bucket, derived.lookup, info, name)
    try:
        plaintext = bytes(backend.secretbox_open(record[LOOKUP_BYTES:], derived.nonce, derived.key))
    except Exception:  # each backend fails its own way: PyNaCl's CryptoError, a JS error
        raise BundleUnreadable(UNREADABLE) from None
    if len(plaintext) != info.record_size - LOOKUP_BYTES - MAC_BYTES:
        raise BundleUnreadable(UNREADABLE)
    return plaintext


def open_bundle(
    read: Callable[[str], bytes],
    info: BundleInfo,
    attestation_id: str,
    code: bytes,
    backend: CryptoBackend,
) -> Bundle:
    """Return the bundle ``code`` unlocks among the bucket files ``read`` returns.

    Raises ``NoBundle`` if there is none (no such record, or no such bucket file),
    ``BundleUnreadable`` if the record found does not decrypt to a bundle of this
    attestation, and ``UnreadableFile`` if the bucket cannot be read for another reason.
    """
    plaintext = _open_plaintext(read, info, attestation_id, code, backend)
    try:
        bundle = Bundle.from_plaintext(plaintext)
    except MalformedInput as exc:
        raise BundleUnreadable(UNREADABLE) from exc
    if bundle.attestation_id != attestation_id:
        raise BundleUnreadable(UNREADABLE)
    return bundle


def open_bundle2(
    read: Callable[[str], bytes],
    info: BundleInfo,
    attestation_id: str,
    code: bytes,
    backend: CryptoBackend,
) -> Bundle2:
    """Return the zkpor/2 bundle ``code`` unlocks, failing as ``open_bundle`` does (a
    record that is not a v2 bundle of this attestation is ``BundleUnreadable``)."""
    plaintext = _open_plaintext(read, info, attestation_id, code, backend)
    try:
        bundle = Bundle2.from_plaintext(plaintext)
    except MalformedInput as exc:
        raise BundleUnreadable(UNREADABLE) from exc
    if bundle.attestation_id != attestation_id:
        raise BundleUnreadable(UNREADABLE)
    return bundle
