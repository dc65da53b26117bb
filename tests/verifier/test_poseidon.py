"""Tests of verifier.poseidon and of the constant generator publisher.snark.poseidon_grain."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
from collections.abc import Callable
from importlib import resources
from itertools import product
from pathlib import Path

import pytest

from publisher.snark import poseidon_grain as grain
from tests import peers
from tests.paths import REPO
from tests.paths import VECTORS as TEST_VECTORS
from verifier import poseidon as poseidon_module
from verifier.field import R
from verifier.poseidon import (
    CONSTANTS_FILE,
    CONSTANTS_MAGIC,
    MAX_INPUTS,
    PoseidonParams,
    _mat_inv,
    params,
    poseidon,
    poseidon_reference,
)

HASH_SCRIPT = peers.JS_DIR / "poseidon_hash.mjs"
VECTORS = TEST_VECTORS / "poseidon" / "circomlibjs_vectors.json"
WIDTHS = range(2, MAX_INPUTS + 2)

H_1_2 = 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A
#: docs/protocol.md §3.4: the SHA-256 of the constants' canonical JSON document.
SPEC_FINGERPRINT = "61be3b698d581509f2424ebc3180cc40ba4ee75f09796cf1a9ccf17be3eaa022"


# ----------------------------------------------------------------- (a) known vector


def test_known_vector_h_1_2() -> None:
    assert poseidon([1, 2]) == H_1_2
    assert poseidon_reference([1, 2]) == H_1_2


def test_stored_circomlibjs_vectors() -> None:
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert len(vectors) == 64
    for v in vectors:
        inputs = [int(x) for x in v["inputs"]]
        assert poseidon(inputs) == int(v["hash"]), inputs


@pytest.mark.parametrize("t", WIDTHS)
def test_optimized_form_equals_reference(t: int) -> None:
    rnd = random.Random(f"opt-vs-ref-{t}")
    for inputs in [[0] * (t - 1), [R - 1] * (t - 1)] + [
        [rnd.randrange(R) for _ in range(t - 1)] for _ in range(10)
    ]:
        assert poseidon(inputs) == poseidon_reference(inputs)


def test_params_shape_and_cache() -> None:
    for t in WIDTHS:
        p = params(t)
        assert isinstance(p, PoseidonParams)
        assert p.t == t and p.full_rounds == 8
        assert p.partial_rounds == grain.PARTIAL_ROUNDS[t]
        assert len(p.round_constants) == (p.full_rounds + p.partial_rounds) * t
        assert len(p.mds) == t and all(len(row) == t for row in p.mds)
        assert all(0 <= c < R for c in p.round_constants)
    assert params(3) is params(3)
    for bad in (0, 1, 18):
        with pytest.raises(ValueError, match="width"):
            params(bad)


# ------------------------------------------------------------------- (d) rejection


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([], "1 to 16 inputs, got 0"),
        ([1] * 17, "1 to 16 inputs, got 17"),
        ([R], "input 0 is not a BN254 field element"),
        ([1, R], "input 1 is not a BN254 field element"),
        ([-1], "input 0 is not a BN254 field element"),
        ([5, 2**300], "input 1 is not a BN254 field element"),
    ],
)
def test_rejects_bad_inputs(inputs: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        poseidon(inputs)
    with pytest.raises(ValueError, match=message):
        poseidon_reference(inputs)


def test_rejects_non_integers() -> None:
    with pytest.raises(TypeError):
        poseidon([1.0])  # type: ignore[list-item]


def test_accepts_boundaries() -> None:
    assert 0 <= poseidon([0]) < R
    assert 0 <= poseidon([R - 1] * 16) < R


# -------------------------------------------------------- (b) generator reproduces


def test_generator_reproduces_the_checked_in_file(tmp_path: Path) -> None:
    out = tmp_path / "poseidon_constants.bin"
    grain.main(["--out", str(out)])
    checked_in = resources.files("verifier").joinpath(CONSTANTS_FILE).read_bytes()
    assert out.read_bytes() == checked_in, (
        "verifier/poseidon_constants.bin is stale: run python -m publisher.snark.poseidon_grain"
    )


def test_the_verifier_ships_the_binary_constants_only() -> None:
    package = resources.files("verifier")
    assert package.joinpath(CONSTANTS_FILE).is_file()
    assert not package.joinpath("poseidon_constants.json").is_file()


def test_checked_in_file_format() -> None:
    """Header (magic, widths 2..17 with their round numbers), then per width its round
    constants, x and y, 32 bytes big-endian each, below r, and nothing after."""
    data = resources.files("verifier").joinpath(CONSTANTS_FILE).read_bytes()
    assert data.startswith(CONSTANTS_MAGIC) and len(CONSTANTS_MAGIC) == 16
    at = len(CONSTANTS_MAGIC)
    assert data[at] == len(WIDTHS)
    header = data[at + 1 : at + 1 + 3 * len(WIDTHS)]
    rows = [tuple(header[k : k + 3]) for k in range(0, len(header), 3)]
    assert rows == [(t, 8, grain.PARTIAL_ROUNDS[t]) for t in WIDTHS]
    at += 1 + len(header)
    for t in WIDTHS:
        p = params(t)
        count = (8 + p.partial_rounds) * t + 2 * t
        values = [int.from_bytes(data[k : k + 32], "big") for k in range(at, at + 32 * count, 32)]
        at += 32 * count
        assert all(v < R for v in values)
        assert tuple(values[: -2 * t]) == p.round_constants
        xs, ys = values[-2 * t : -t], values[-t:]
        assert p.mds == tuple(tuple(pow(x + y, -1, R) for y in ys) for x in xs)
    assert at == len(data)


def test_the_constants_have_the_fingerprint_of_the_spec() -> None:
    """docs/protocol.md §3.4: the canonical JSON document of the constants the verifier
    loads has the SHA-256 the spec gives (the JSON file the verifier once shipped)."""
    text = grain.render(grain.document(params(t) for t in WIDTHS))
    assert hashlib.sha256(text.encode()).hexdigest() == SPEC_FINGERPRINT
    doc = json.loads(text)
    for entry in doc.values():
        for h in entry["round_constants"] + [x for row in entry["mds"] for x in row]:
            assert h == hex(int(h, 16)), h  # "0x" + lowercase, no leading zeros


def _constants_with(data: bytes) -> Callable[[], tuple[bytes, dict[int, tuple[int, int, int]]]]:
    return lambda: poseidon_module._index(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: b"zkpor-poseidon2\n" + d[16:], "not a Poseidon constants file"),
        (lambda d: d[:16], "not a Poseidon constants file"),
        (lambda d: d[:-1], "but its header says"),
        (lambda d: d + b"\0", "but its header says"),
        (lambda d: d[:16] + b"\x0f" + d[17:], "but its header says"),  # one width too few
        (lambda d: d[:17] + b"\x01" + d[18:], "out of order or range"),  # t = 1
        (lambda d: d[:20] + b"\x02" + d[21:], "out of order or range"),  # t = 2 twice
        (lambda d: d[:18] + b"\x07" + d[19:], "bad round numbers"),  # odd full rounds
    ],
)
def test_a_malformed_constants_file_is_refused(
    change: Callable[[bytes], bytes], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = resources.files("verifier").joinpath(CONSTANTS_FILE).read_bytes()
    monkeypatch.setattr(poseidon_module, "_constants_file", _constants_with(change(data)))
    params.cache_clear()
    try:
        with pytest.raises(ValueError, match=message):
            params(2)
    finally:
        params.cache_clear()


@pytest.mark.parametrize("where", ["round constant", "MDS point"])
def test_a_constant_not_below_r_is_refused(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(resources.files("verifier").joinpath(CONSTANTS_FILE).read_bytes())
    start = 16 + 1 + 3 * len(WIDTHS)  # t = 2 comes first: 64 round constants, then x, y
    at = start if where == "round constant" else start + 32 * (8 + grain.PARTIAL_ROUNDS[2]) * 2
    data[at : at + 32] = R.to_bytes(32, "big")
    monkeypatch.setattr(poseidon_module, "_constants_file", _constants_with(bytes(data)))
    params.cache_clear()
    try:
        with pytest.raises(ValueError, match=f"a t=2 {where} is not below the field modulus"):
            params(2)
    finally:
        params.cache_clear()


def test_a_cauchy_matrix_without_inverse_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(resources.files("verifier").joinpath(CONSTANTS_FILE).read_bytes())
    points = 16 + 1 + 3 * len(WIDTHS) + 32 * (8 + grain.PARTIAL_ROUNDS[2]) * 2
    x0 = int.from_bytes(data[points : points + 32], "big")
    data[points + 64 : points + 96] = ((R - x0) % R).to_bytes(32, "big")  # y_0 = -x_0
    monkeypatch.setattr(poseidon_module, "_constants_file", _constants_with(bytes(data)))
    params.cache_clear()
    try:
        with pytest.raises(ValueError, match="some x_i \\+ y_j is 0 for t=2"):
            params(2)
    finally:
        params.cache_clear()


def test_the_spec_states_the_files_size_and_hash() -> None:
    data = resources.files("verifier").joinpath(CONSTANTS_FILE).read_bytes()
    spec = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert f"sha256(verifier/poseidon_constants.bin) = {hashlib.sha256(data).hexdigest()}" in spec
    assert f"({len(data):,} bytes," in spec
    assert f"sha256(canonical JSON document) = {SPEC_FINGERPRINT}" in spec


def test_generated_json_document_is_the_spec_fingerprint(tmp_path: Path) -> None:
    out = tmp_path / "poseidon_constants.json"
    grain.main(["--json", "--out", str(out)])
    assert hashlib.sha256(out.read_bytes()).hexdigest() == SPEC_FINGERPRINT


def _naive_grain_bits(t: int, count: int) -> list[int]:
    """Literal transcription of the reference script's ``grain_sr_generator``."""
    seq = (
        [int(c) for c in f"{1:02b}{0:04b}{254:012b}{t:012b}{8:010b}"]
        + [int(c) for c in f"{grain.PARTIAL_ROUNDS[t]:010b}"]
        + [1] * 30
    )

    def clock() -> int:
        bit = seq[62] ^ seq[51] ^ seq[38] ^ seq[23] ^ seq[13] ^ seq[0]
        seq.pop(0)
        seq.append(bit)
        return bit

    for _ in range(160):
        clock()
    out: list[int] = []
    while len(out) < count:
        first = clock()
        second = clock()
        if first:
            out.append(second)
    return out


@pytest.mark.parametrize("t", [2, 3, 17])
def test_fast_lfsr_equals_bit_by_bit_lfsr(t: int) -> None:
    count = 8000  # well past the 80 * _SPEEDUP bits made by the plain recurrence
    lfsr = grain.GrainLFSR(1, 0, 254, t, 8, grain.PARTIAL_ROUNDS[t])
    fast = [lfsr.next_int(1) for _ in range(3)] + [
        int(b) for b in f"{lfsr.next_int(count - 3):0{count - 3}b}"
    ]
    assert fast == _naive_grain_bits(t, count)


# ------------------------------------------- generator: subspace-trail check parts


def _reference_algorithm_2(m: list[list[int]], p: int) -> bool:
    """The reference ``algorithm_2`` loop for s = 1, step by step."""
    t = len(m)
    v = [int(j == 0) for j in range(t)]
    span = grain._span([v], t, p)
    while True:
        delta = len(span)
        v = grain._mat_vec(m, v, p)
        span = grain._span([*span, v], t, p)
        if len(span) == t:
            return True
        if len(span) <= delta:
            return False


def _random_matrix(rnd: random.Random, t: int, p: int) -> list[list[int]]:
    kind = rnd.randrange(4)
    if kind == 0:  # diagonal, often with repeated entries
        return [[rnd.randrange(3) if i == j else 0 for j in range(t)] for i in range(t)]
    if kind == 1:  # upper triangular
        return [[rnd.randrange(p) if j >= i else 0 for j in range(t)] for i in range(t)]
    if kind == 2:  # block diagonal 1 + (t-1)
        return [
            [rnd.randrange(p) if (i == j == 0) or (i and j) else 0 for j in range(t)]
            for i in range(t)
        ]
    return [[rnd.randrange(p) for _ in range(t)] for _ in range(t)]


def test_algorithm_2_equals_reference_loop() -> None:
    rnd = random.Random(2)
    for p in (7, 11, R):
        for _ in range(150):
            m = _random_matrix(rnd, rnd.randrange(2, 5), p)
            assert grain._algorithm_2(m, p) == _reference_algorithm_2(m, p), m


def _det(a: list[list[int]], p: int) -> int:
    a = [row[:] for row in a]
    n, det = len(a), 1
    for c in range(n):
        piv = next((i for i in range(c, n) if a[i][c] % p), None)
        if piv is None:
            return 0
        if piv != c:
            a[c], a[piv] = a[piv], a[c]
            det = -det
        det = det * a[c][c] % p
        inv = pow(a[c][c], -1, p)
        for i in range(c + 1, n):
            f = a[i][c] * inv % p
            a[i] = [(x - f * y) % p for x, y in zip(a[i], a[c], strict=True)]
    return det % p


def test_charpoly_matches_determinant() -> None:
    rnd = random.Random(3)
    for p in (11, R):
        for _ in range(60):
            t = rnd.randrange(1, 7)
            a = _random_matrix(rnd, t, p) if t > 1 else [[rnd.randrange(p)]]
            f = grain._charpoly(a, p)
            assert len(f) == t + 1 and f[-1] == 1
            for x in (0, 1, rnd.randrange(p)):
                xi_minus_a = [
                    [((x if i == j else 0) - a[i][j]) % p for j in range(t)] for i in range(t)
                ]
                assert sum(c * x**k for k, c in enumerate(f)) % p == _det(xi_minus_a, p)


def test_eigenvectors_within_brute_force() -> None:
    """IS = span of the eigenvectors (eigenvalue in GF(p)) inside S, by enumeration."""
    rnd = random.Random(4)
    p, t = 11, 3
    for _ in range(250):
        a = _random_matrix(rnd, t, p)
        basis = grain._span(
            [[rnd.randrange(p) for _ in range(t)] for _ in range(rnd.randrange(1, 4))], t, p
        )
        found = []
        for coeffs in product(range(p), repeat=len(basis)):
            v = [sum(c * b[k] for c, b in zip(coeffs, basis, strict=True)) % p for k in range(t)]
            if not any(v):
                continue
            av = grain._mat_vec(a, v, p)
            k = next(i for i in range(t) if v[i])
            lam = av[k] * pow(v[k], -1, p) % p
            if all((av[i] - lam * v[i]) % p == 0 for i in range(t)):
                found.append(v)
        assert grain._eigenvectors_within(basis, a, p) == grain._span(found, t, p), (a, basis)


def test_rational_eigenvalues() -> None:
    diag = [[3, 0, 0], [0, 5, 0], [0, 0, 5]]
    assert sorted(grain._rational_eigenvalues(diag, R)) == [3, 5]
    q = [[1, 2, 0], [0, 1, 7], [4, 0, 1]]  # invertible; q diag q^-1 has the same eigenvalues
    conjugated = grain._mat_mul(grain._mat_mul(q, diag, R), _mat_inv(q), R)
    assert sorted(grain._rational_eigenvalues(conjugated, R)) == [3, 5]
    # x^2 - 7 has no root mod 11 (7 is not a square), so only the eigenvalue 2 is in GF(11)
    assert grain._rational_eigenvalues([[2, 0, 0], [0, 0, 7], [0, 1, 0]], 11) == [2]
    # six distinct rational eigenvalues: the splitting recursion is exercised
    six = [[k if i == j else 0 for j in range(6)] for i, k in enumerate([9, 1, 4, 0, 7, 2])]
    assert sorted(grain._rational_eigenvalues(six, R)) == [0, 1, 2, 4, 7, 9]


def test_insecure_matrices_are_rejected() -> None:
    p = R
    assert not grain.is_secure_mds([[2, 0, 0], [0, 2, 0], [0, 0, 2]], p)  # scalar
    assert not grain._algorithm_1([[1, 1, 0], [1, 2, 0], [0, 0, 3]], p)  # e2 eigenvector in S
    # S = span(e1, e2) is invariant and x^2 - 5 has no root mod r: no eigenvector in S
    assert not grain._algorithm_1([[1, 0, 0], [0, 0, 1], [0, 5, 0]], p)
    swap = [[0, 1], [1, 0]]  # e0 is cyclic, but swap^2 = I
    assert grain._algorithm_2(swap, p) and not grain._algorithm_3(swap, p)
    assert not grain._algorithm_2([[1, 0, 0], [0, 1, 1], [0, 1, 2]], p)  # block diagonal


@pytest.mark.parametrize("t", [2, 3, 5])
def test_generated_mds_is_cauchy_and_secure(t: int) -> None:
    m = [list(row) for row in params(t).mds]
    assert grain.is_secure_mds(m, R)
    # Cauchy: 1/M[i][j] = x_i + y_j, so 1/M[i][j] - 1/M[i][0] does not depend on i
    inv = [[pow(x, -1, R) for x in row] for row in m]
    for j in range(t):
        assert len({(inv[i][j] - inv[i][0]) % R for i in range(t)}) == 1


# ------------------------------------------------------------- (c) circomlibjs interop


def _interop_inputs(t: int, count: int = 210) -> list[list[int]]:
    n = t - 1
    rnd = random.Random(f"poseidon-interop-{t}")
    cases = [
        [0] * n,
        [R - 1] * n,
        list(range(1, n + 1)),
        [(R - 1) * (i % 2) for i in range(n)],
    ]

    def element() -> int:
        kind = rnd.randrange(6)
        if kind == 0:
            return 0
        if kind == 1:
            return R - 1 - rnd.randrange(4)
        if kind == 2:
            return rnd.randrange(1 << 16)
        if kind == 3:
            return rnd.getrandbits(rnd.randrange(1, 254)) % R
        return rnd.randrange(R)

    while len(cases) < count:
        cases.append([element() for _ in range(n)])
    return cases


def _run_circomlibjs(batch: list[list[int]]) -> list[int]:
    peers.require("circomlibjs")
    proc = subprocess.run(
        [peers.node(), str(HASH_SCRIPT)],
        input=json.dumps([[str(x) for x in inputs] for inputs in batch]),
        capture_output=True,
        text=True,
        cwd=peers.JS_DIR,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"{HASH_SCRIPT.name} failed ({proc.returncode}):\n{proc.stderr}")
    hashes = json.loads(proc.stdout)
    assert len(hashes) == len(batch)
    return [int(h) for h in hashes]


@pytest.mark.interop
@pytest.mark.parametrize("t", WIDTHS)
def test_interop_circomlibjs(t: int) -> None:
    batch = _interop_inputs(t)
    assert len(batch) >= 200
    expected = _run_circomlibjs(batch)
    mismatches = [
        (inputs, hex(want), hex(got))
        for inputs, want in zip(batch, expected, strict=True)
        if (got := poseidon(inputs)) != want
    ]
    assert not mismatches, f"{len(mismatches)} of {len(batch)} differ, first: {mismatches[0]}"


def test_missing_node_modules_fails_with_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peers, "NODE_MODULES", tmp_path / "node_modules")
    with pytest.raises(pytest.fail.Exception, match="make install-test"):
        _run_circomlibjs([[1, 2]])
