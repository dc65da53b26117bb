"""Tests of publisher.snark.iden3: the .r1cs and .wtns files we write, as snarkjs reads them.

The interop tests run snarkjs 0.7.6 from tests/js/node_modules: ``r1cs info`` and
``r1cs export json`` must read back our counts and every coefficient, and
``wtns check`` must accept a satisfying witness (exit 0, "WITNESS IS CORRECT") and
reject a violating one (exit 1, "WITNESS IS NOT CORRECT" naming the first broken
constraint). The batch circuit is checked at the smallest shape.
"""

import json
import random
import re
import struct
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

import pytest

from publisher.snark.iden3 import (
    r1cs_bytes,
    read_wtns,
    write_r1cs,
    write_wtns,
    wtns_bytes,
)
from publisher.snark.r1cs import LC, ConstraintSystem, UnsatisfiedConstraint
from tests import peers
from verifier.errors import MalformedInput
from verifier.field import R

JS_DIR = peers.JS_DIR
Snarkjs = Callable[..., peers.Run]


@pytest.fixture
def snarkjs() -> Snarkjs:
    """Return a function running the installed snarkjs CLI."""
    return peers.snarkjs


# -- a tiny hand-built circuit ------------------------------------------------------------


def tiny_circuit() -> ConstraintSystem:
    """Return ``x * y = z`` (z public), ``b`` boolean and ``d = x - y``.

    The last constraint is written with a negative and a zero coefficient, which the
    exporter must reduce mod r and drop. Wires: 0 one, 1 z, 2 x, 3 y, 4 b, 5 d.
    """
    cs = ConstraintSystem(n_public=1)
    x, y, b, d = cs.new_wires(4)
    cs.hint([], [x, y, b], lambda _, i: [cast(int, i[name]) for name in "xyb"])
    cs.label("product")
    cs.hint([{x: 1}, {y: 1}], [1], lambda v, _: [v[0] * v[1]])
    cs.constrain({x: 1}, {y: 1}, cs.public(0))
    cs.label("boolean")
    cs.constrain({b: 1}, {b: 1, 0: R - 1}, {})
    cs.label("difference")
    cs.hint([{x: 1, y: -1}], [d], lambda v, _: [v[0]])
    cs.constrain({x: 1, y: -1, b: 0}, {0: 1}, {d: 1})
    return cs


TINY_INPUTS = {"x": 3, "y": 5, "b": 1}


def export(
    cs: ConstraintSystem, witness: list[int], directory: Path, name: str = "circuit"
) -> tuple[Path, Path]:
    """Write ``cs`` and ``witness`` under ``directory``; return their paths."""
    r1cs, wtns = directory / f"{name}.r1cs", directory / f"{name}.wtns"
    write_r1cs(cs, r1cs)
    write_wtns(witness, wtns)
    return r1cs, wtns


def info_counts(output: str) -> dict[str, int]:
    """Return the ``# of X: n`` lines of ``snarkjs r1cs info`` as {X: n}."""
    return {m[1]: int(m[2]) for m in re.finditer(r"# of ([A-Za-z ]+): (\d+)", output)}


def normalized(lc: LC) -> dict[str, str]:
    """Return ``lc`` as snarkjs's ``r1cs export json`` prints it."""
    return {str(wire): str(coeff % R) for wire, coeff in sorted(lc.items()) if coeff % R}


@pytest.mark.interop
def test_snarkjs_reads_the_counts(snarkjs: Snarkjs, tmp_path: Path) -> None:
    cs = tiny_circuit()
    r1cs, _ = export(cs, cs.witness(TINY_INPUTS), tmp_path)
    run = snarkjs("r1cs", "info", r1cs)
    assert run.code == 0, run.output
    assert "Curve: bn-128" in run.output
    assert info_counts(run.output) == {
        "Wires": 6,
        "Constraints": 3,
        "Private Inputs": 0,
        "Public Inputs": 1,
        "Labels": 6,
        "Outputs": 0,
    }


@pytest.mark.interop
def test_snarkjs_reads_every_coefficient_and_value(snarkjs: Snarkjs, tmp_path: Path) -> None:
    cs = tiny_circuit()
    witness = cs.witness(TINY_INPUTS)
    r1cs, wtns = export(cs, witness, tmp_path)
    assert snarkjs("r1cs", "export", "json", r1cs, tmp_path / "r1cs.json").code == 0
    assert snarkjs("wtns", "export", "json", wtns, tmp_path / "wtns.json").code == 0
    exported = json.loads((tmp_path / "r1cs.json").read_text())
    assert exported["constraints"] == [[normalized(lc) for lc in row] for row in cs.constraints]
    assert exported["constraints"][2][0] == {"2": "1", "3": str(R - 1)}  # -1 reduced, 0 dropped
    assert exported["map"] == list(range(cs.n_wires))
    assert json.loads((tmp_path / "wtns.json").read_text()) == [str(v) for v in witness]


@pytest.mark.interop
def test_snarkjs_accepts_a_satisfying_witness(snarkjs: Snarkjs, tmp_path: Path) -> None:
    cs = tiny_circuit()
    witness = cs.witness(TINY_INPUTS)
    cs.check(witness)
    run = snarkjs("wtns", "check", *export(cs, witness, tmp_path))
    assert run.code == 0, run.output
    assert "WITNESS IS CORRECT" in run.output


@pytest.mark.interop
@pytest.mark.parametrize(
    ("inputs", "overrides", "broken"),
    [
        ({"b": 1}, {1: 16}, 0),  # public z is not x * y
        ({"b": 2}, {}, 1),  # b is not boolean
        ({"b": 0}, {5: 2}, 2),  # d is not x - y
    ],
    ids=["product", "boolean", "difference"],
)
def test_snarkjs_rejects_a_violating_witness(
    snarkjs: Snarkjs,
    tmp_path: Path,
    inputs: Mapping[str, int],
    overrides: Mapping[int, int],
    broken: int,
) -> None:
    cs = tiny_circuit()
    witness = cs.witness({**TINY_INPUTS, **inputs}, overrides)
    with pytest.raises(UnsatisfiedConstraint) as raised:
        cs.check(witness)
    assert raised.value.index == broken
    run = snarkjs("wtns", "check", *export(cs, witness, tmp_path))
    assert run.code == 1, run.output
    assert "WITNESS IS NOT CORRECT" in run.output
    assert f"aborting checking process at constraint {broken}\n" in run.output


# -- file layout and the witness reader ---------------------------------------------------


def test_r1cs_layout() -> None:
    cs = tiny_circuit()
    data = r1cs_bytes(cs)
    assert struct.unpack_from("<4sII", data) == (b"r1cs", 1, 3)
    kind, size = struct.unpack_from("<IQ", data, 12)
    assert (kind, size) == (1, 4 + 32 + 4 * 4 + 8 + 4)
    header = data[24 : 24 + size]
    assert struct.unpack_from("<I", header) == (32,)
    assert int.from_bytes(header[4:36], "little") == R
    # nWires, nPubOut, nPubIn, nPrvIn, nLabels, mConstraints
    assert struct.unpack_from("<IIIIQI", header, 36) == (6, 0, 1, 0, 6, 3)
    # constraints: 3 rows of (1, 1, 1), (1, 2, 0), (2, 1, 1) terms, then the 6-wire map
    terms = 3 + 3 + 4
    constraints_at = 24 + size
    assert struct.unpack_from("<IQ", data, constraints_at) == (2, 9 * 4 + terms * 36)
    map_at = constraints_at + 12 + 9 * 4 + terms * 36
    assert struct.unpack_from("<IQ6Q", data, map_at) == (3, 48, *range(6))
    assert len(data) == map_at + 12 + 48


def test_wtns_round_trip(tmp_path: Path) -> None:
    rng = random.Random(7)
    witness = [1, 0, R - 1, 2**64, *(rng.randrange(R) for _ in range(100))]
    path = tmp_path / "sub" / "witness.wtns"
    write_wtns(witness, path)
    assert read_wtns(path) == witness
    assert path.stat().st_size == 12 + (12 + 40) + (12 + 32 * len(witness))
    assert [p.name for p in path.parent.iterdir()] == ["witness.wtns"]  # no temp file left


@pytest.mark.interop
def test_wtns_matches_snarkjs_writer(snarkjs: Snarkjs, tmp_path: Path) -> None:
    """snarkjs's own witness writer produces the same bytes, which read_wtns reads."""
    witness = [1, 15, 3, 5, 1, R - 2]
    theirs = tmp_path / "theirs.wtns"
    script = (
        'import * as binFileUtils from "@iden3/binfileutils";'
        'import * as wtnsUtils from "./node_modules/snarkjs/src/wtns_utils.js";'
        "const [out, prime, ...values] = process.argv.slice(1);"
        'const fd = await binFileUtils.createBinFile(out, "wtns", 2, 2);'
        "await wtnsUtils.write(fd, values.map(BigInt), BigInt(prime));"
        "await fd.close();"
    )
    command = ["node", "--input-type=module", "-e", script, str(theirs), str(R)]
    done = subprocess.run(
        [*command, *map(str, witness)],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert theirs.read_bytes() == wtns_bytes(witness)
    assert read_wtns(theirs) == witness


def _replace(data: bytes, at: int, new: bytes) -> bytes:
    """Return ``data`` with the bytes from ``at`` replaced by ``new``."""
    return data[:at] + new + data[at + len(new) :]


GOOD_WTNS = wtns_bytes([1, 2, 3])
VALUES_AT = 12 + 12 + 40 + 12  # file head, header section, values section head


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"wtn", "too short"),
        (_replace(GOOD_WTNS, 0, b"r1cs"), "not a .wtns file"),
        (_replace(GOOD_WTNS, 4, struct.pack("<I", 1)), "version 1"),
        (GOOD_WTNS[:-1], "past the end"),
        (_replace(GOOD_WTNS, 12 + 12 + 4, (R - 2).to_bytes(32, "little")), "BN254"),
        (_replace(GOOD_WTNS, 12 + 12 + 36, struct.pack("<I", 4)), "declares 4 values"),
        (_replace(GOOD_WTNS, VALUES_AT + 32, R.to_bytes(32, "little")), "not reduced"),
        (_replace(GOOD_WTNS, 8, struct.pack("<I", 1)), "type 2, found 0"),
    ],
    ids=["short", "magic", "version", "truncated", "prime", "count", "unreduced", "missing"],
)
def test_read_wtns_rejects_malformed_files(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "bad.wtns"
    path.write_bytes(data)
    with pytest.raises(MalformedInput, match=reason):
        read_wtns(path)


@pytest.mark.parametrize("value", [R, -1])
def test_write_wtns_rejects_unreduced_values(tmp_path: Path, value: int) -> None:
    with pytest.raises(ValueError, match=r"not in \[0, r\)"):
        write_wtns([1, value], tmp_path / "w.wtns")
    assert not list(tmp_path.iterdir())


def test_write_r1cs_rejects_unknown_wires(tmp_path: Path) -> None:
    cs = tiny_circuit()
    cs.constrain({cs.n_wires: 1}, {0: 1}, {})
    with pytest.raises(ValueError, match="outside"):
        write_r1cs(cs, tmp_path / "c.r1cs")


# -- the batch circuit --------------------------------------------------------------------


@pytest.mark.interop
@pytest.mark.slow
def test_snarkjs_accepts_the_batch_circuit(snarkjs: Snarkjs, tmp_path: Path) -> None:
    from publisher.snark.circuit import (
        N_PUBLIC,
        PUBLIC_ROOT,
        BatchWitnessInput,
        CircuitShape,
        batch_witness,
        build_batch_circuit,
    )
    from verifier.protocol import BALANCE_BITS, TOTAL_BITS

    shape = CircuitShape(n_assets=2, arity=2, batch_depth=1)
    rng = random.Random(2024)
    balances = [
        [rng.randrange(2**BALANCE_BITS) for _ in range(shape.n_assets)]
        for _ in range(shape.batch_size)
    ]
    sums = [sum(row[a] for row in balances) for a in range(shape.n_assets)]
    data = BatchWitnessInput(
        id_commitments=[rng.randrange(R) for _ in range(shape.batch_size)],
        balances=balances,
        totals_in=[rng.randrange(2**TOTAL_BITS - total) for total in sums],
        blind_in=rng.randrange(R),
        blind_out=rng.randrange(R),
    )
    cs = build_batch_circuit(shape)
    witness = batch_witness(shape, data)
    cs.check(witness)

    r1cs, wtns = export(cs, witness, tmp_path)
    info = snarkjs("r1cs", "info", r1cs)
    assert info.code == 0, info.output
    counts = info_counts(info.output)
    assert counts["Wires"] == cs.n_wires == len(witness)
    assert counts["Constraints"] == len(cs.constraints)
    assert (counts["Public Inputs"], counts["Outputs"]) == (N_PUBLIC, 0)
    check = snarkjs("wtns", "check", r1cs, wtns)
    assert check.code == 0, check.output
    assert "WITNESS IS CORRECT" in check.output
    assert read_wtns(wtns) == witness

    root_wire = 1 + PUBLIC_ROOT
    tampered = list(witness)
    tampered[root_wire] = (tampered[root_wire] + 1) % R
    _, bad = export(cs, tampered, tmp_path, "tampered")
    check = snarkjs("wtns", "check", r1cs, bad)
    assert check.code == 1, check.output
    assert "WITNESS IS NOT CORRECT" in check.output
