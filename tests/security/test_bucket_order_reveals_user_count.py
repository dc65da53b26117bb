"""Attack (issue 11, finding 8): the order of records in the bucket files counts the users.

The old writer put a bucket's real records first, sorted by lookup, and its dummies after,
in random order; an observer summing, over the buckets, the length of the sorted prefix
got 1,006 for 1,000 users. Now every record of a bucket, dummy or real, is in lookup order,
and dummy lookups are as uniform as real ones, so the order is a function of a set of
random values. Here:

* the estimators (sorted prefix, and counting ascents) find on a fresh attestation and on
  writer output for many user counts nothing but the bucket capacity, which the layout
  publishes anyway: no better than a uniform guess within the padding;
* as a control, the same estimators on the old layout (rebuilt from the same records)
  recover the user count, so they would catch a regression;
* a custodian that publishes the leaky order anyway fails ``zkpor verify`` step 7,
  "bundle files".
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.attest import bundles
from publisher.attest.bundles import UserEntry, build_buckets
from publisher.attest.pipeline import bundle_sums
from publisher.cli.main import app
from publisher.crypto import NaclBackend
from tests.site_fixtures import SmallAttestation, make_attestation
from tests.verifier.test_bundle import make_bundle
from verifier.bundle import LOOKUP_BYTES, BundleInfo, bucket_name, derive
from verifier.codes import parse_code
from verifier.manifest import BUNDLE_SUMS, MANIFEST

Files = dict[str, bytes]


def records_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def sorted_prefix(records: list[bytes]) -> int:
    """Return the length of the longest prefix of ``records`` in increasing lookup order."""
    n = 1 if records else 0
    while n < len(records) and records[n - 1][:LOOKUP_BYTES] < records[n][:LOOKUP_BYTES]:
        n += 1
    return n


def ascents(records: list[bytes]) -> int:
    """Return how many neighbours are in increasing lookup order."""
    return sum(a[:LOOKUP_BYTES] < b[:LOOKUP_BYTES] for a, b in itertools.pairwise(records))


def estimates(files: Files, info: BundleInfo) -> tuple[int, int]:
    """Return the user count the two estimators read from the bucket files.

    Prefix: the sum of the sorted prefixes (the finding's). Ascents: k real records sorted
    give k - 1, then m dummies in random order about m / 2 more, so
    ``k ~ 2 * (ascents + 1) - per_bucket`` per bucket.
    """
    prefix = ascent = 0
    for data in files.values():
        records = records_of(data, info.record_size)
        prefix += sorted_prefix(records)
        ascent += max(0, 2 * (ascents(records) + 1) - info.records_per_bucket)
    return prefix, ascent


def leaky_layout(files: Files, info: BundleInfo, real: set[bytes]) -> Files:
    """Return the same records in the old order: real ones sorted, then the dummies in
    an order unrelated to their lookups (by their MAC bytes)."""
    out = {}
    for name, data in files.items():
        records = records_of(data, info.record_size)
        first = sorted(r for r in records if r[:LOOKUP_BYTES] in real)
        dummies = sorted((r for r in records if r[:LOOKUP_BYTES] not in real), key=lambda r: r[16:])
        out[name] = b"".join(first + dummies)
    return out


def entries(n: int) -> list[UserEntry]:
    return [
        UserEntry(hashlib.sha256(f"order {n} {i}".encode()).digest()[:16], make_bundle(f"u{i}", i))
        for i in range(n)
    ]


# --- writer output over many user counts ------------------------------------------------------


def test_estimators_read_only_the_capacity_from_the_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Buckets of at most 64 KiB: these 70-200 users then spread over several buckets,
    # where the order of records could leak (in one 256 KiB bucket they would not).
    monkeypatch.setattr(bundles, "MAX_BUCKET_BYTES", 64 * 1024)
    backend = NaclBackend()
    for n in range(70, 200, 13):
        users = entries(n)
        info, files = build_buckets("order-test", users, backend.secretbox_seal, bytes(32))
        capacity = info.buckets * info.records_per_bucket
        assert capacity > n  # there are dummies to hide among
        # No signal: both estimators say "full", whatever the number of users.
        assert estimates(files, info) == (capacity, capacity)
        # Control: the same records in the old order give the count away.
        real = {derive(u.code, "order-test", info.run_salt).lookup for u in users}
        prefix, ascent = estimates(leaky_layout(files, info, real), info)
        assert abs(prefix - n) <= 2 * info.buckets, (n, prefix)
        assert abs(ascent - n) <= 5 * info.buckets, (n, ascent)


# --- a fresh attestation -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def attestation(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    return make_attestation(tmp_path_factory.mktemp("bucket-order"))


def bucket_files(folder: Path, info: BundleInfo) -> Files:
    names = [bucket_name(i, info.bucket_bits) for i in range(info.buckets)]
    return {name: (folder / name).read_bytes() for name in names}


def verify(folder: Path) -> dict[str, dict[str, str]]:
    result = CliRunner().invoke(
        app, ["verify", str(folder), "--json", "--allow-insecure-dev-setup"]
    )
    report = json.loads(result.stdout)
    assert result.exit_code == (0 if report["passed"] else 1), result.output
    return {step["name"]: step for step in report["steps"]}


def test_a_fresh_attestation_shows_no_user_count(attestation: SmallAttestation) -> None:
    info = attestation.manifest.bundles
    assert info is not None
    files = bucket_files(attestation.folder, info)
    capacity = info.buckets * info.records_per_bucket
    assert len(attestation.codes) < capacity
    assert estimates(files, info) == (capacity, capacity)
    assert verify(attestation.folder)["bundle files"]["status"] == "OK"


def test_publishing_the_leaky_order_fails_step_7(
    attestation: SmallAttestation, tmp_path: Path
) -> None:
    info = attestation.manifest.bundles
    assert info is not None
    aid = attestation.manifest.attestation_id
    real = {derive(parse_code(c), aid, info.run_salt).lookup for c in attestation.codes.values()}
    folder = tmp_path / "attestation"
    shutil.copytree(attestation.folder, folder)
    leaky = leaky_layout(bucket_files(folder, info), info, real)
    n = len(attestation.codes)
    assert abs(estimates(leaky, info)[0] - n) <= 2 * info.buckets  # the leak is real
    # The custodian publishes it consistently: buckets, their sums, the manifest's hash.
    for name, data in leaky.items():
        (folder / name).write_bytes(data)
    sums = bundle_sums(leaky)
    (folder / BUNDLE_SUMS).write_bytes(sums)
    manifest = json.loads((folder / MANIFEST).read_bytes())
    manifest["files"][BUNDLE_SUMS] = hashlib.sha256(sums).hexdigest()
    (folder / MANIFEST).write_bytes(
        (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode()
    )
    steps = verify(folder)
    step = steps["bundle files"]
    assert step["status"] == "FAIL"
    assert "increasing lookup order" in step["detail"] and "number of users" in step["detail"]
    assert [s for s in steps.values() if s["status"] != "OK"] == [step]
