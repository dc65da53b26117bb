"""Attack (issue 11, finding 9): one attestation id proven twice with ``--code-secret``.

Codes derived from the custodian's secret are the same in both runs (users keep their
code), and the bundle key and nonce used to be derived from the code and the id alone:
two different bundles (fresh leaf salts, another placement) under one XSalsa20 key and
nonce, so ``c1 xor c2 = p1 xor p2`` (a two-time pad) and Poly1305 keys reused. Now each
run publishes a fresh ``bundles.run_salt`` mixed into the derivation. Here both runs are
really proven; an observer holding both attestations finds no shared lookup and no
keystream relation, and the user's one code opens their bundle in each.
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.attest.ingest import read_liabilities
from publisher.attest.pipeline import CODES, inputs_digest, prove_attestation
from publisher.cli.main import app
from publisher.config import load_config
from publisher.crypto import NaclBackend
from tests.snapshots import ACCOUNTS, dev_keys_for, write_inputs
from verifier.bundle import LOOKUP_BYTES, Derived, bucket_index, bucket_name, derive
from verifier.codes import parse_code
from verifier.manifest import Manifest

SECRET = b"the custodian's code secret, 32+ bytes long"
Run = tuple[Path, Manifest, dict[str, str]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """Prove the same inputs (one attestation id) twice with one code secret."""
    root = tmp_path_factory.mktemp("code-secret")
    csv_path, toml_path = write_inputs(root / "input", ACCOUNTS, pad_to=16)
    config = load_config(toml_path)
    out = []
    with ProcessPoolExecutor(2) as pool:
        for run in ("first", "second"):
            folder, private = root / run / "attestation", root / run / "private"
            manifest = prove_attestation(
                read_liabilities(csv_path, config),
                config,
                inputs_digest(csv_path, toml_path),
                folder,
                private,
                dev_keys_for,
                pool,
                in_flight=2,
                code_secret=SECRET,
            )
            with (private / CODES).open(encoding="utf-8", newline="") as f:
                codes = {row["user_id"]: row["code"] for row in csv.DictReader(f)}
            out.append((folder, manifest, codes))
    return out[0], out[1]


def record(run: Run, derived: Derived) -> bytes:
    """Return the published record holding ``derived.lookup`` in ``run``."""
    folder, manifest, _ = run
    info = manifest.bundles
    assert info is not None
    name = bucket_name(bucket_index(derived.lookup, info.bucket_bits), info.bucket_bits)
    data = (folder / name).read_bytes()
    for start in range(0, len(data), info.record_size):
        if data[start : start + LOOKUP_BYTES] == derived.lookup:
            return data[start : start + info.record_size]
    raise AssertionError(f"no record for this code in {name}")


def test_the_two_runs_keep_codes_but_share_no_key_nonce_or_keystream(runs: tuple[Run, Run]) -> None:
    first, second = runs
    assert first[1].attestation_id == second[1].attestation_id
    assert first[2] == second[2]  # every user keeps their code
    infos = [run[1].bundles for run in runs]
    assert infos[0] is not None and infos[1] is not None
    assert infos[0].run_salt != infos[1].run_salt  # published, fresh per run
    backend = NaclBackend()
    aid = first[1].attestation_id
    for user, text in first[2].items():
        code = parse_code(text)
        a, b = derive(code, aid, infos[0].run_salt), derive(code, aid, infos[1].run_salt)
        assert (a.key, a.nonce, a.lookup) != (b.key, b.nonce, b.lookup)
        assert a.key != b.key and a.nonce != b.nonce
        box_a, box_b = record(first, a)[LOOKUP_BYTES:], record(second, b)[LOOKUP_BYTES:]
        plain_a = backend.secretbox_open(box_a, a.nonce, a.key)
        plain_b = backend.secretbox_open(box_b, b.nonce, b.key)
        assert plain_a != plain_b and json.loads(plain_a)["user_id"] == user
        # Under one key and nonce, c1 xor c2 would equal p1 xor p2: no longer.
        xor_c = bytes(x ^ y for x, y in zip(box_a[16:], box_b[16:], strict=True))
        xor_p = bytes(x ^ y for x, y in zip(plain_a, plain_b, strict=True))
        assert xor_c != xor_p
        # Nothing links the runs: the second run's lookup is not among the first's.
        with pytest.raises(AssertionError, match="no record"):
            record(first, b)


@pytest.mark.parametrize("which", [0, 1])
def test_both_runs_verify_and_the_one_code_opens_each(runs: tuple[Run, Run], which: int) -> None:
    folder, _, codes = runs[which]
    result = CliRunner().invoke(app, ["verify", str(folder), "--allow-insecure-dev-setup"])
    assert result.exit_code == 0, result.output
    code = codes["carol"]
    user = CliRunner().invoke(app, ["verify-user", str(folder), "--code", code])
    for step in ("1. OK: bundle", "2. OK: leaf", "3. OK: path to batch root"):
        assert step in user.output, user.output
    assert "account id: carol" in user.output
