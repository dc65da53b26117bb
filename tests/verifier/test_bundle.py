"""Per-user bundles (``verifier.bundle``): derivation, buckets, sealing and opening.

The derivation vectors are computed here with ``hashlib`` from docs/protocol.md §11 (and one is
pinned as hex, so that the module and this test cannot drift together). Buckets are
built by hand here, not by the publisher, so every damaged variant starts from a known
layout: records ``lookup || MAC || ciphertext`` sorted by lookup, then random dummies (the
reader does not depend on the order; ``check_bucket`` and the writer's tests hold the
published order to lookup order, dummies included).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from publisher.attest.bundles import UserEntry, build_buckets, run_salt
from publisher.crypto import NaclBackend
from tests.verifier.test_verify_attestation import reader
from verifier.bundle import (
    Bundle,
    BundleInfo,
    bucket_index,
    bucket_name,
    check_bucket,
    derive,
    open_bundle,
)
from verifier.errors import (
    BundleUnreadable,
    MalformedInput,
    NoBundle,
    UnreadableFile,
    VerificationError,
)
from verifier.fetch import directory_reader
from verifier.field import R

ATTESTATION = "test-2026-11-21"
PLAINTEXT_SIZE = 1280
RECORD_SIZE = 16 + 16 + PLAINTEXT_SIZE
UNREADABLE = "this bundle could not be decrypted: it was damaged or tampered with"
BACKEND = NaclBackend()
RUN_SALT = hashlib.sha256(b"test run salt").digest()

Files = dict[str, bytes]


def make_bundle(user_id: str, leaf: int, attestation_id: str = ATTESTATION) -> Bundle:
    rng = random.Random(user_id)
    return Bundle(
        attestation_id=attestation_id,
        user_id=user_id,
        salt=rng.randrange(1 << 248),
        balances=(rng.randrange(1 << 64), 0, (1 << 64) - 1),
        leaf=leaf,
        batch=leaf // 4,
        leaf_hash=rng.randrange(R),
        path=tuple(tuple(rng.randrange(R) for _ in range(3)) for _ in range(3)),
    )


def seal(code: bytes, plaintext: bytes, attestation_id: str = ATTESTATION) -> bytes:
    derived = derive(code, attestation_id, RUN_SALT)
    return derived.lookup + BACKEND.secretbox_seal(plaintext, derived.nonce, derived.key)


def record(code: bytes, bundle: Bundle, attestation_id: str = ATTESTATION) -> bytes:
    return seal(code, bundle.to_plaintext(PLAINTEXT_SIZE), attestation_id)


def buckets(
    records: list[bytes], bits: int, per_bucket: int, record_size: int = RECORD_SIZE
) -> Files:
    """Return the bucket files of ``records``: sorted real records, then random dummies."""
    rng = random.Random(0)
    files = {}
    for index in range(1 << bits):
        real = sorted(r for r in records if bucket_index(r[:16], bits) == index)
        assert len(real) <= per_bucket
        dummies = [rng.randbytes(record_size) for _ in range(per_bucket - len(real))]
        files[bucket_name(index, bits)] = b"".join(real + dummies)
    return files


CODES = {f"user-{i}": hashlib.sha256(f"code {i}".encode()).digest()[:16] for i in range(12)}
BUNDLES = {user: make_bundle(user, leaf) for leaf, user in enumerate(CODES)}
INFO = BundleInfo(bucket_bits=2, record_size=RECORD_SIZE, records_per_bucket=8, run_salt=RUN_SALT)


@pytest.fixture
def files() -> Files:
    return buckets([record(CODES[u], BUNDLES[u]) for u in CODES], 2, 8)


def open_code(files: Files, code: bytes, info: BundleInfo = INFO) -> Bundle:
    return open_bundle(reader(files), info, ATTESTATION, code, BACKEND)


def code_bucket(code: bytes, bits: int = 2) -> str:
    return bucket_name(bucket_index(derive(code, ATTESTATION, RUN_SALT).lookup, bits), bits)


# --- derivation -------------------------------------------------------------------------------


def test_derivation_follows_the_design() -> None:
    code = bytes(range(16))
    aid = hashlib.blake2b(ATTESTATION.encode(), digest_size=32, key=RUN_SALT).digest()
    lookup = hashlib.blake2b(code, digest_size=16, person=b"zkpor-lookup", key=aid).digest()
    key = hashlib.blake2b(code, digest_size=32, person=b"zkpor-bundlekey", key=aid).digest()
    nonce = hashlib.blake2b(key, digest_size=24, person=b"zkpor-nonce", key=aid).digest()
    derived = derive(code, ATTESTATION, RUN_SALT)
    assert (derived.lookup, derived.key, derived.nonce) == (lookup, key, nonce)


def test_derivation_pinned_vector() -> None:
    derived = derive(bytes(range(16)), "example-2026-11-21", bytes(range(32)))
    assert derived.lookup.hex() == "4bf8856820a6c11d0e4867249c31c3fb"
    assert derived.key.hex() == "a51167433f6b59ca7604a8354fad3d7db1871c9cb51dd9b6378567716836ee69"
    assert derived.nonce.hex() == "ce86a936f23a9dced4de30b85608635dc94ece40f0631b1c"


def test_derivation_depends_on_code_attestation_and_run_salt() -> None:
    a, b = bytes(16), bytes(15) + b"\x01"
    assert derive(a, ATTESTATION, RUN_SALT).lookup != derive(b, ATTESTATION, RUN_SALT).lookup
    assert derive(a, ATTESTATION, RUN_SALT).key != derive(a, ATTESTATION + "x", RUN_SALT).key
    # Another run of the same attestation, with the same code: nothing is shared.
    other_run = derive(a, ATTESTATION, bytes(32))
    this_run = derive(a, ATTESTATION, RUN_SALT)
    assert other_run.lookup != this_run.lookup
    assert other_run.key != this_run.key and other_run.nonce != this_run.nonce
    with pytest.raises(ValueError, match="16 bytes"):
        derive(bytes(17), ATTESTATION, RUN_SALT)
    for salt in (b"", bytes(31), bytes(33)):
        with pytest.raises(ValueError, match="a run salt is 32 bytes"):
            derive(a, ATTESTATION, salt)


# --- bucket math ------------------------------------------------------------------------------


def test_bucket_index_is_the_first_bits_of_the_lookup() -> None:
    lookup = bytes.fromhex("abcdef12") + bytes(12)
    assert bucket_index(lookup, 0) == 0
    assert bucket_index(lookup, 1) == 1
    assert bucket_index(lookup, 4) == 0xA
    assert bucket_index(lookup, 6) == 0xAB >> 2
    assert bucket_index(lookup, 24) == 0xABCDEF
    for bits in (-1, 25):
        with pytest.raises(ValueError, match="bucket_bits"):
            bucket_index(lookup, bits)


@pytest.mark.parametrize(
    ("index", "bits", "name"),
    [
        (0, 0, "bundles/0.bin"),
        (1, 1, "bundles/1.bin"),
        (15, 4, "bundles/f.bin"),
        (1, 5, "bundles/01.bin"),
        (0xAB, 8, "bundles/ab.bin"),
        (0x1FF, 9, "bundles/1ff.bin"),
        (1, 24, "bundles/000001.bin"),
    ],
)
def test_bucket_names(index: int, bits: int, name: str) -> None:
    assert bucket_name(index, bits) == name


def test_bucket_names_refuse_a_bucket_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="does not exist"):
        bucket_name(4, 2)
    with pytest.raises(ValueError, match="does not exist"):
        bucket_name(1, 0)


def test_the_directory_reader_reads_bucket_files_and_nothing_else_below(tmp_path: Path) -> None:
    (tmp_path / "bundles").mkdir()
    (tmp_path / "bundles" / "0a.bin").write_bytes(b"x")
    (tmp_path / "bundles" / "SHA256SUMS").write_bytes(b"y")
    read = directory_reader(tmp_path)
    assert read("bundles/0a.bin") == b"x"
    assert read("bundles/SHA256SUMS") == b"y"
    with pytest.raises(FileNotFoundError):
        read("bundles/0b.bin")
    for bad in ("bundles/../x", "bundles/0A.bin", "bundles/a/b.bin", "bundles/x.txt", "x/0.bin"):
        with pytest.raises(PermissionError, match="not a plain file name"):
            read(bad)


# --- sealing and opening ----------------------------------------------------------------------


def test_every_user_opens_their_own_bundle(files: Files) -> None:
    for user, code in CODES.items():
        assert open_code(files, code) == BUNDLES[user]


def test_all_buckets_have_one_size(files: Files) -> None:
    assert len(files) == 4
    assert {len(data) for data in files.values()} == {8 * RECORD_SIZE}


def test_the_box_is_mac_then_ciphertext_without_the_nonce() -> None:
    box = BACKEND.secretbox_seal(b"hello", bytes(24), bytes(32))
    assert len(box) == 16 + 5
    assert BACKEND.secretbox_open(box, bytes(24), bytes(32)) == b"hello"


def test_one_bucket_holds_everything_with_zero_bits() -> None:
    files = buckets([record(CODES[u], BUNDLES[u]) for u in CODES], 0, 12)
    assert list(files) == ["bundles/0.bin"]
    info = BundleInfo(0, RECORD_SIZE, 12, RUN_SALT)
    assert open_code(files, CODES["user-3"], info) == BUNDLES["user-3"]


def test_a_wrong_code_has_no_bundle(files: Files) -> None:
    with pytest.raises(NoBundle, match=r"^no bundle for this code$"):
        open_code(files, bytes(16))


def test_a_missing_bucket_file_means_no_bundle(files: Files) -> None:
    code = CODES["user-0"]
    del files[code_bucket(code)]
    with pytest.raises(NoBundle, match=r"^no bundle for this code$"):
        open_code(files, code)


def test_a_bucket_that_cannot_be_read_is_not_reported_as_no_bundle() -> None:
    def read(name: str) -> bytes:
        raise OSError("connection reset")

    with pytest.raises(UnreadableFile, match=r"cannot read bundles/.*connection reset"):
        open_bundle(read, INFO, ATTESTATION, CODES["user-0"], BACKEND)


def flip(files: Files, code: bytes, offset: int) -> None:
    """Flip one bit at ``offset`` of the record of ``code``."""
    name = code_bucket(code)
    data = bytearray(files[name])
    start = data.find(derive(code, ATTESTATION, RUN_SALT).lookup)
    data[start + offset] ^= 1
    files[name] = bytes(data)


@pytest.mark.parametrize("offset", [16, 31, 32, 100, RECORD_SIZE - 1])
def test_a_flipped_bit_in_mac_or_ciphertext_is_unreadable(files: Files, offset: int) -> None:
    code = CODES["user-5"]
    flip(files, code, offset)
    with pytest.raises(BundleUnreadable) as error:
        open_code(files, code)
    assert str(error.value) == UNREADABLE


def test_a_flipped_bit_in_the_lookup_loses_the_record(files: Files) -> None:
    code = CODES["user-5"]
    flip(files, code, 15)
    with pytest.raises(NoBundle):
        open_code(files, code)


@pytest.mark.parametrize("cut", [1, RECORD_SIZE, 8 * RECORD_SIZE - 1, 8 * RECORD_SIZE])
def test_a_truncated_bucket_is_damaged_not_a_crash(files: Files, cut: int) -> None:
    code = CODES["user-7"]
    name = code_bucket(code)
    files[name] = files[name][:-cut]
    with pytest.raises(BundleUnreadable, match=f"{name} is .* bytes, expected {8 * RECORD_SIZE}"):
        open_code(files, code)


def test_a_bucket_with_extra_bytes_is_damaged(files: Files) -> None:
    code = CODES["user-7"]
    files[code_bucket(code)] += b"\0"
    with pytest.raises(BundleUnreadable, match="the bucket file is damaged"):
        open_code(files, code)


def test_two_records_with_one_lookup_are_unreadable() -> None:
    code = CODES["user-1"]
    twice = [record(code, BUNDLES["user-1"]), record(code, BUNDLES["user-2"])]
    files = buckets(twice, 2, 8)
    with pytest.raises(BundleUnreadable, match=f"^{UNREADABLE}$"):
        open_code(files, code)


def test_a_bundle_sealed_for_another_attestation_is_unreadable() -> None:
    code = CODES["user-4"]
    other = make_bundle("user-4", 4, attestation_id="other-attestation")
    files = buckets([record(code, other)], 2, 8)  # sealed with this attestation's keys
    with pytest.raises(BundleUnreadable, match=f"^{UNREADABLE}$"):
        open_code(files, code)


def test_a_record_of_another_attestation_is_not_found_here() -> None:
    code = CODES["user-4"]
    files = buckets([record(code, BUNDLES["user-4"], "other-attestation")], 0, 8)
    with pytest.raises(NoBundle):
        open_bundle(
            reader(files), BundleInfo(0, RECORD_SIZE, 8, RUN_SALT), ATTESTATION, code, BACKEND
        )


@pytest.mark.parametrize(
    "plaintext",
    [
        b"not json",
        b"{}",
        b"[" * 100_000 + b"]" * 100_000,  # must not overflow the C stack
        b'{"v":1}',
        BUNDLES["user-0"].to_plaintext(0, pad=False) + b"\n",
        json.dumps(BUNDLES["user-0"].to_json()).encode(),  # not canonical: spaces
    ],
)
def test_a_record_that_decrypts_to_anything_but_a_bundle_is_unreadable(plaintext: bytes) -> None:
    code = CODES["user-0"]
    size = max(PLAINTEXT_SIZE, len(plaintext))
    info = BundleInfo(2, 32 + size, 8, RUN_SALT)
    padded = plaintext + b" " * (size - len(plaintext))
    files = buckets([seal(code, padded)], 2, 8, info.record_size)
    with pytest.raises(BundleUnreadable, match=f"^{UNREADABLE}$"):
        open_code(files, code, info)


class BrokenBackend:
    """A backend failing the way a foreign one would (libsodium.js throws a JS error)."""

    def __init__(self, result: bytes | None = None) -> None:
        self.result = result

    def secretbox_open(self, box: bytes, nonce: bytes, key: bytes) -> bytes:
        if self.result is None:
            raise RuntimeError("JsException: incorrect key pair for the given ciphertext")
        return self.result


@pytest.mark.parametrize("result", [None, b"", BUNDLES["user-0"].to_plaintext(PLAINTEXT_SIZE - 1)])
def test_any_backend_failure_or_wrong_size_is_unreadable(
    files: Files, result: bytes | None
) -> None:
    with pytest.raises(BundleUnreadable, match=f"^{UNREADABLE}$"):
        open_bundle(reader(files), INFO, ATTESTATION, CODES["user-0"], BrokenBackend(result))


def test_a_record_size_without_room_for_a_plaintext_is_malformed(files: Files) -> None:
    with pytest.raises(MalformedInput, match="record_size is 32"):
        open_code(files, CODES["user-0"], BundleInfo(2, 32, 8, RUN_SALT))


def test_no_bundle_in_buckets_of_zero_records() -> None:
    files = {bucket_name(i, 2): b"" for i in range(4)}
    with pytest.raises(NoBundle):
        open_code(files, CODES["user-0"], BundleInfo(2, RECORD_SIZE, 0, RUN_SALT))


# --- the plaintext ----------------------------------------------------------------------------


def test_plaintext_is_canonical_json_padded_with_spaces() -> None:
    bundle = replace(BUNDLES["user-0"], user_id="zoë 李雷")
    plaintext = bundle.to_plaintext(PLAINTEXT_SIZE)
    assert len(plaintext) == PLAINTEXT_SIZE
    text = plaintext.rstrip(b" ")
    obj = json.loads(text)
    expected = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert text == expected.encode()
    assert obj["v"] == 1 and obj["user_id"] == "zoë 李雷" and obj["leaf"] == 0
    assert obj["salt"] == str(bundle.salt) and obj["balances"][2] == str((1 << 64) - 1)
    assert obj["path"] == [[str(v) for v in level] for level in bundle.path]
    assert Bundle.from_plaintext(plaintext) == bundle


def test_plaintext_must_fit_its_size() -> None:
    bundle = BUNDLES["user-0"]
    exact = len(bundle.to_plaintext(0, pad=False))
    assert bundle.to_plaintext(exact) == bundle.to_plaintext(0, pad=False)
    assert Bundle.from_plaintext(bundle.to_plaintext(exact)) == bundle
    with pytest.raises(ValueError, match=f"the bundle is {exact} bytes, more than the {exact - 1}"):
        bundle.to_plaintext(exact - 1)


def mutated(change: Callable[[dict[str, object]], object]) -> bytes:
    obj = BUNDLES["user-0"].to_json()
    change(obj)
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return text + b" " * (PLAINTEXT_SIZE - len(text))


def _set(key: str, value: object) -> Callable[[dict[str, object]], object]:
    return lambda obj: obj.__setitem__(key, value)


BAD_PLAINTEXTS = {
    "version 2": mutated(_set("v", 2)),
    "version true": mutated(_set("v", True)),
    "extra key": mutated(_set("extra", 1)),
    "missing key": mutated(lambda obj: obj.pop("salt")),
    "salt = r": mutated(_set("salt", str(R))),
    "salt as a number": mutated(_set("salt", 5)),
    "salt with a leading zero": mutated(_set("salt", "05")),
    "salt negative": mutated(_set("salt", "-5")),
    "balance = 2^64": mutated(_set("balances", ["1", "0", str(1 << 64)])),
    "balances not a list": mutated(_set("balances", "1")),
    "sibling = r": mutated(_set("path", [["1", "2", str(R)]])),
    "path level not a list": mutated(_set("path", ["1"])),
    "leaf negative": mutated(_set("leaf", -1)),
    "leaf a string": mutated(_set("leaf", "3")),
    "leaf a float": mutated(_set("leaf", 3.0)),
    "batch true": mutated(_set("batch", True)),
    "user id a number": mutated(_set("user_id", 7)),
    "padding with NUL": BUNDLES["user-0"].to_plaintext(PLAINTEXT_SIZE)[:-1] + b"\0",
    "padding before": b" " + BUNDLES["user-0"].to_plaintext(PLAINTEXT_SIZE)[:-1],
    "keys unsorted": json.dumps(
        dict(reversed(list(BUNDLES["user-0"].to_json().items()))), separators=(",", ":")
    ).encode(),
    "duplicate key": b'{"v":1,"v":1}',
    "not UTF-8": b'{"user_id":"\xff"}',
    "NaN": b'{"v":NaN}',
}


@pytest.mark.parametrize("name", list(BAD_PLAINTEXTS))
def test_from_plaintext_is_strict(name: str) -> None:
    with pytest.raises(MalformedInput):
        Bundle.from_plaintext(BAD_PLAINTEXTS[name])


# --- the writer: one order for real and dummy records, a fresh salt per run --------------------


def entries(n: int, attestation_id: str = ATTESTATION) -> list[UserEntry]:
    return [
        UserEntry(hashlib.sha256(f"entry code {i}".encode()).digest()[:16], make_bundle(f"u{i}", i))
        for i in range(n)
    ]


def written(n: int, seed: bytes = b"seed" * 8) -> tuple[BundleInfo, Files]:
    return build_buckets(ATTESTATION, entries(n), BACKEND.secretbox_seal, seed)


def test_the_writer_sorts_every_bucket_dummies_included_and_check_bucket_accepts_it() -> None:
    info, files = written(500)  # several buckets of up to 256 KiB
    assert info.buckets > 1 and info.records_per_bucket * info.buckets > 500  # dummies exist
    for index in range(info.buckets):
        data = files[bucket_name(index, info.bucket_bits)]
        records = [data[i : i + info.record_size] for i in range(0, len(data), info.record_size)]
        assert records == sorted(records)
        check_bucket(data, info, index)
    for entry in entries(500):
        assert open_bundle(reader(files), info, ATTESTATION, entry.code, BACKEND) == entry.bundle


def test_the_run_salt_comes_from_the_run_seed() -> None:
    info, files = written(5, seed=b"a" * 32)
    again, same = written(5, seed=b"a" * 32)
    other, different = written(5, seed=b"b" * 32)
    assert info.run_salt == run_salt(b"a" * 32) and len(info.run_salt) == 32
    assert (again, same) == (info, files)  # a resumed run writes the same bytes
    assert other.run_salt != info.run_salt
    lookups = {r[:16] for i in range(info.buckets) for r in _bucket_records(files, info, i)}
    others = {r[:16] for i in range(other.buckets) for r in _bucket_records(different, other, i)}
    assert not lookups & others  # no record, real or dummy, is shared between the runs


def _bucket_records(files: Files, info: BundleInfo, index: int) -> list[bytes]:
    data = files[bucket_name(index, info.bucket_bits)]
    return [data[i : i + info.record_size] for i in range(0, len(data), info.record_size)]


def test_check_bucket_refuses_records_out_of_lookup_order() -> None:
    info, files = written(120)
    records = _bucket_records(files, info, 0)
    swapped = [records[1], records[0], *records[2:]]
    with pytest.raises(VerificationError, match=r"bundles/0.bin record 2: .* increasing lookup"):
        check_bucket(b"".join(swapped), info, 0)


def test_check_bucket_refuses_a_repeated_lookup() -> None:
    info, files = written(120)
    records = _bucket_records(files, info, 0)
    repeated = [records[0], records[0][:16] + records[1][16:], *records[2:]]
    with pytest.raises(VerificationError, match="record 2: its lookup is not greater"):
        check_bucket(b"".join(repeated), info, 0)


def test_check_bucket_refuses_a_record_of_another_bucket() -> None:
    info, files = written(500)
    moved = _bucket_records(files, info, 1)[-1]
    records = [*_bucket_records(files, info, 0)[:-1], moved]
    with pytest.raises(VerificationError, match=r"record \d+: its lookup .* belongs to bundles/1"):
        check_bucket(b"".join(records), info, 0)


def test_check_bucket_refuses_a_bucket_of_another_size() -> None:
    info, files = written(120)
    with pytest.raises(VerificationError, match="every bucket must be"):
        check_bucket(files[bucket_name(0, info.bucket_bits)][:-1], info, 0)


# --- bundles.run_salt in the manifest ----------------------------------------------------------


def _manifest_doc(run_salt: object) -> dict[str, object]:
    from tests.reserves.test_reserves import _BASE

    doc = replace(_BASE, bundles=INFO).to_json()
    doc["bundles"]["run_salt"] = run_salt
    return doc  # type: ignore[no-any-return]


def test_the_manifest_carries_the_run_salt() -> None:
    from verifier.manifest import Manifest

    doc = _manifest_doc(RUN_SALT.hex())
    manifest = Manifest.from_json(doc)
    assert manifest.bundles == INFO and manifest.to_json() == doc


@pytest.mark.parametrize(
    "bad", ["", RUN_SALT.hex()[:-2], RUN_SALT.hex() + "00", RUN_SALT.hex().upper(), "zz" * 32, 5]
)
def test_a_run_salt_that_is_not_32_bytes_of_lowercase_hex_is_malformed(bad: object) -> None:
    from verifier.manifest import Manifest

    with pytest.raises(MalformedInput, match=r"bundles.*run_salt"):
        Manifest.from_json(_manifest_doc(bad))


def test_a_manifest_without_a_run_salt_is_malformed() -> None:
    from verifier.manifest import Manifest

    doc = _manifest_doc(RUN_SALT.hex())
    del doc["bundles"]["run_salt"]  # type: ignore[attr-defined]
    with pytest.raises(MalformedInput, match="run_salt"):
        Manifest.from_json(doc)
