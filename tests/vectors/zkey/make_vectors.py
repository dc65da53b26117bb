"""Regenerate the phase-2 vectors of this folder with snarkjs (see README.md).

Run from the repository root: ``python -m tests.vectors.zkey.make_vectors``.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from publisher.ceremony.zkey import read_zkey
from publisher.snark.iden3 import write_r1cs
from tests import peers, ptau_files
from tests.tiny_circuit import tiny_circuit

HERE = Path(__file__).resolve().parent
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
_HASH = re.compile(r"contribution #(\d+) [^\n]*:\n((?:\s*[0-9a-f]{8}(?: [0-9a-f]{8}){3}\n){4})")


def main() -> None:
    work = Path(tempfile.mkdtemp())
    ptau = ptau_files.make_ptau(work / "cache", 5)
    write_r1cs(tiny_circuit(), work / "c.r1cs")

    def run(*args: str | Path) -> str:
        done = peers.snarkjs(*args, cwd=work)
        if done.code != 0:
            raise SystemExit(done.output)
        return done.output

    run("zkey", "new", "c.r1cs", ptau, "0.zkey")
    run("zkey", "contribute", "0.zkey", "1.zkey", "--name=alice (snarkjs)", "-e=vector entropy")
    run("zkey", "beacon", "1.zkey", "2.zkey", BEACON, "10", "--name=beacon (snarkjs)")
    printed = run("zkey", "verify", "c.r1cs", ptau, "2.zkey")
    hashes = {int(m[1]): "".join(m[2].split()) for m in _HASH.finditer(printed)}
    zkey = read_zkey(work / "2.zkey")
    vectors = {
        "source": "snarkjs 0.7.6: zkey new (tests.tiny_circuit, a power-5 ptau), zkey "
        "contribute, zkey beacon; hashes as printed by zkey verify",
        "cs_hash": zkey.cs_hash.hex(),
        "contributions": [c.to_json() for c in zkey.contributions],
        "contribution_hashes": [hashes[i + 1] for i in range(len(zkey.contributions))],
        "delta_g1": [str(v) for v in zkey.delta_g1 or ()],
    }
    (HERE / "snarkjs_contributions.json").write_text(json.dumps(vectors, indent=1) + "\n")
    (HERE / "tiny_snarkjs_beacon.zkey").write_bytes((work / "2.zkey").read_bytes())


if __name__ == "__main__":
    main()
