"""The forged-key attack of issue 11, finding 1, as a reusable kit for the security tests.

With a verifying key whose ``IC_i = k_i·delta_1`` (delta_1 is public: the transcript
records it), any public inputs x verify: with ``m = k_0 + sum x_i k_i`` the proof
``A = s·alpha_1, B = s^-1·beta_2, C = -m·G1`` satisfies
``e(A, B) = e(alpha, beta)·e(m·delta_1, G2)·e(-m·G1, delta_2)``. The kit rewrites a copy
of a genuine ceremony attestation with every liability halved: new final totals, blind and
accumulator, the last batch ending on it, every proof forged, vk.json replaced, (if asked)
the header's IC rewritten, and the manifest's file hashes updated, so that only the
binding of IC to the ceremony can catch it.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

from py_ecc.optimized_bn128 import G1, multiply, normalize

from verifier.field import R
from verifier.groth16 import Proof, VerifyingKey, verify
from verifier.manifest import MANIFEST, PROOFS, VK, Manifest
from verifier.protocol import accumulator

TRANSCRIPT = "ceremony/transcript.json"


def _g1(point: object) -> tuple[int, int]:
    x, y = normalize(point)  # type: ignore[arg-type]
    return (int(x), int(y))


def _g1_jac(p: tuple[int, int]) -> object:
    from py_ecc.optimized_bn128 import FQ

    return (FQ(p[0]), FQ(p[1]), FQ(1))


def _g2(point: object) -> tuple[tuple[int, int], tuple[int, int]]:
    x, y = normalize(point)  # type: ignore[arg-type]
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


def _g2_jac(p: tuple[tuple[int, int], tuple[int, int]]) -> object:
    from py_ecc.optimized_bn128 import FQ2

    return (FQ2(list(p[0])), FQ2(list(p[1])), FQ2([1, 0]))


def forged_vk(vk: VerifyingKey, delta_g1: tuple[int, int], ks: list[int]) -> VerifyingKey:
    """Return ``vk`` with ``IC_i = k_i·delta_1``."""
    ic = tuple(_g1(multiply(_g1_jac(delta_g1), k)) for k in ks)
    return VerifyingKey(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, vk.delta_g2, ic)  # type: ignore[arg-type]


def forged_proof(vk: VerifyingKey, ks: list[int], public: list[int], s: int) -> Proof:
    """Return a proof of ``public`` that verifies under a key from ``forged_vk``."""
    m = (ks[0] + sum(x * k for x, k in zip(public, ks[1:], strict=True))) % R
    a = _g1(multiply(_g1_jac(vk.alpha_g1), s))  # type: ignore[arg-type]
    b = _g2(multiply(_g2_jac(vk.beta_g2), pow(s, -1, R)))  # type: ignore[arg-type]
    c = _g1(multiply(G1, (-m) % R))
    return Proof(a, b, c)  # type: ignore[arg-type]


def _rehash(folder: Path, manifest: dict[str, object]) -> None:
    files = manifest["files"]
    assert isinstance(files, dict)
    for name in files:
        files[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()


def forge_halved_attestation(
    genuine: Path, out: Path, rewrite_header_ic: bool = False, seed: int = 1
) -> Path:
    """Return a copy of the ceremony attestation ``genuine`` at ``out`` with every
    liability halved and every proof forged under a key with IC = multiples of delta."""
    rng = random.Random(seed)
    shutil.copytree(genuine, out)
    vk = VerifyingKey.from_json(json.loads((out / VK).read_text()))
    transcript = json.loads((out / TRANSCRIPT).read_text())
    delta_1 = transcript["contributions"][-1]["delta_after"]
    delta_g1 = (int(delta_1[0]), int(delta_1[1]))
    ks = [rng.randrange(1, R) for _ in vk.ic]
    bad_vk = forged_vk(vk, delta_g1, ks)

    manifest = Manifest.from_json(json.loads((out / MANIFEST).read_text()))
    totals = [t // 2 for t in manifest.final_totals]
    blind = rng.randrange(R)
    final = accumulator(totals, blind)
    manifest = replace(
        manifest,
        assets=tuple(
            replace(a, liabilities=t) for a, t in zip(manifest.assets, totals, strict=True)
        ),
        final_totals=tuple(totals),
        final_blind=blind,
        final_accumulator=final,
    )

    proofs = json.loads((out / PROOFS).read_text())
    proofs[-1]["public"][2] = str(final)
    for entry in proofs:
        public = [int(v) for v in entry["public"]]
        proof = forged_proof(bad_vk, ks, public, rng.randrange(1, R))
        verify(bad_vk, public, proof)  # the forgery is real: it verifies under bad_vk
        entry["proof"] = proof.to_json()
    (out / PROOFS).write_text(json.dumps(proofs, indent=1))
    (out / VK).write_text(json.dumps(bad_vk.to_json(), indent=1))

    if rewrite_header_ic:
        transcript["key"]["IC"] = bad_vk.to_json()["IC"]
    (out / TRANSCRIPT).write_text(json.dumps(transcript, indent=1))
    doc = manifest.to_json()
    _rehash(out, doc)
    (out / MANIFEST).write_text(json.dumps(doc, indent=1))
    return out
