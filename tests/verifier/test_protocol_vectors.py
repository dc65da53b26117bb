"""The vectors of docs/protocol.md (tests/vectors/protocol/), recomputed from the spec.

Each test recomputes a vector from the formulas the spec states (hashlib, Poseidon over
the packed inputs, the pairing equation) and, where the verifier has a function for it,
checks that function gives the same; negative vectors must be rejected with the error the
spec names. Regenerate the vectors with ``python -m tests.vectors.protocol.make_vectors``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from nacl.exceptions import BadSignatureError
from nacl.secret import SecretBox
from nacl.signing import VerifyKey

from verifier import errors, protocol
from verifier.attestation import verify_attestation
from verifier.bundle import BundleInfo, bucket_index, bucket_name, derive, open_bundle
from verifier.ceremony import (
    BrokenChain,
    KeyMismatch,
    UnknownPhase1,
    check_phase1,
    contribution_hash,
    header_anchor,
    parse_transcript,
    verify_published,
)
from verifier.ceremony_format import canonical_json
from verifier.codes import derived_code, format_code, parse_code
from verifier.field import P, R
from verifier.groth16 import Proof, VerifyingKey, verify, verify_many
from verifier.manifest import RUN_SALT_BYTES
from verifier.mpc import InconsistentTranscript
from verifier.poseidon import params as poseidon_params
from verifier.poseidon import poseidon, poseidon_reference
from verifier.user import UserOptions, hash_up, verify_user

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "protocol"
ATTESTATION = VECTORS / "attestation"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def ints(values: Sequence[str]) -> list[int]:
    return [int(v) for v in values]


class NaclBackend:
    """The injected symmetric box and Ed25519 check of spec sections 8.4 and 9.5."""

    def secretbox_open(self, box: bytes, nonce: bytes, key: bytes) -> bytes:
        return bytes(SecretBox(key).decrypt(box, nonce))

    def ed25519_verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            VerifyKey(public_key).verify(message, signature)
        except (BadSignatureError, ValueError, TypeError):
            return False
        return True


def reader(files: dict[str, bytes]) -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(name)
        return files[name]

    return read


def attestation_files() -> dict[str, bytes]:
    return {
        p.relative_to(ATTESTATION).as_posix(): p.read_bytes()
        for p in sorted(ATTESTATION.rglob("*"))
        if p.is_file()
    }


# --- spec formulas, written out independently of verifier.protocol ----------------------


def pack(values: Sequence[int], per: int, bits: int) -> list[int]:
    """Spec 4.1: little-endian limbs, ``per`` to an element, the last one short."""
    return [
        sum(v << (bits * i) for i, v in enumerate(values[s : s + per]))
        for s in range(0, len(values), per)
    ]


def spec_uid(user_id: str) -> int:
    return int.from_bytes(hashlib.sha256(user_id.encode("utf-8")).digest(), "big") % R


def spec_leaf(idc: int, balances: Sequence[int]) -> int:
    return poseidon([2, idc, *pack(balances, 3, 64)])


def spec_node(children: Sequence[int]) -> int:
    return poseidon([3, *children])


def spec_acc(totals: Sequence[int], blind: int) -> int:
    return poseidon([4, *pack(totals, 2, 96), blind])


def spec_top_levels(roots: Sequence[int], arity: int) -> list[list[int]]:
    depth = 0
    while arity**depth < len(roots):
        depth += 1
    levels = [list(roots) + [0] * (arity**depth - len(roots))]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([spec_node(below[i : i + arity]) for i in range(0, len(below), arity)])
    return levels


def spec_hash_up(node: int, index: int, path: Sequence[Sequence[int]], arity: int) -> int:
    for siblings in path:
        position = index % arity
        node = spec_node([*siblings[:position], node, *siblings[position:]])
        index //= arity
    return node


# --- 1. primitives -----------------------------------------------------------------------


def test_constants() -> None:
    doc = load("primitives.json")
    assert int(doc["r"]) == R
    assert int(doc["p"]) == P
    assert R == 21888242871839275222246405745257275088548364400416034343698204186575808495617
    assert P == 21888242871839275222246405745257275088696311157297823662689037894645226208583
    assert doc["tags"] == {"ID": 1, "LEAF": 2, "NODE": 3, "ACC": 4}
    assert hashlib.sha256(_constants_document()).hexdigest() == doc["poseidon_constants_sha256"]
    assert protocol.MAX_ASSETS == 28


def _constants_document() -> bytes:
    """Spec 3.4: the canonical JSON document of the constants the verifier loads."""
    doc = {}
    for t in range(2, 18):
        p = poseidon_params(t)
        doc[str(t)] = {
            "full_rounds": p.full_rounds,
            "partial_rounds": p.partial_rounds,
            "round_constants": [hex(c) for c in p.round_constants],
            "mds": [[hex(x) for x in row] for row in p.mds],
        }
    return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()


def test_poseidon_constants_serialization() -> None:
    """Spec 3.4: the canonical document is json.dumps(doc, sort_keys=True, indent=1) + "\\n"
    with every constant as Python's minimal hex(x) (no zero padding)."""
    data = _constants_document()
    doc = json.loads(data)
    assert sorted(doc) == sorted(str(t) for t in range(2, 18))
    for entry in doc.values():
        assert sorted(entry) == ["full_rounds", "mds", "partial_rounds", "round_constants"]
        values = [*entry["round_constants"], *(x for row in entry["mds"] for x in row)]
        assert all(v == hex(int(v, 16)) for v in values)
    assert data == (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()
    assert hashlib.sha256(data).hexdigest() == load("primitives.json")["poseidon_constants_sha256"]


_B2_IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)  # fmt: skip
_B2_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
_M64 = (1 << 64) - 1


def spec_blake2b(message: bytes, digest: int, key: bytes, parameter_block: bytes) -> bytes:
    """Spec 3.5: RFC 7693 BLAKE2b whose initial state is IV xor the 64-byte parameter block."""

    def rotr(x: int, n: int) -> int:
        return ((x >> n) | (x << (64 - n))) & _M64

    h = [
        iv ^ int.from_bytes(parameter_block[8 * i : 8 * i + 8], "little")
        for i, iv in enumerate(_B2_IV)
    ]
    data = (key.ljust(128, b"\0") if key else b"") + message
    blocks = max(1, -(-len(data) // 128))
    for b in range(blocks):
        chunk = data[128 * b : 128 * b + 128]
        m = [
            int.from_bytes(chunk.ljust(128, b"\0")[8 * i : 8 * i + 8], "little") for i in range(16)
        ]
        t = min(len(data), 128 * (b + 1))
        v = [*h, *_B2_IV]
        v[12] ^= t & _M64
        v[13] ^= t >> 64
        if b == blocks - 1:
            v[14] ^= _M64
        for r in range(12):
            s = _B2_SIGMA[r % 10]
            for i, (a, bb, c, d) in enumerate(
                ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                 (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))
            ):  # fmt: skip
                x, y = m[s[2 * i]], m[s[2 * i + 1]]
                v[a] = (v[a] + v[bb] + x) & _M64
                v[d] = rotr(v[d] ^ v[a], 32)
                v[c] = (v[c] + v[d]) & _M64
                v[bb] = rotr(v[bb] ^ v[c], 24)
                v[a] = (v[a] + v[bb] + y) & _M64
                v[d] = rotr(v[d] ^ v[a], 16)
                v[c] = (v[c] + v[d]) & _M64
                v[bb] = rotr(v[bb] ^ v[c], 63)
        h = [h[i] ^ v[i] ^ v[i + 8] for i in range(8)]
    return b"".join(w.to_bytes(8, "little") for w in h)[:digest]


def test_blake2b_key_and_person() -> None:
    """Spec 3.5: salt at bytes 32-47 (zero), personalization at 48-63 (zero-padded)."""
    cases = load("primitives.json")["blake2b"]
    assert any(c["key_hex"] and c["person"] and c["message_hex"] for c in cases)
    for case in cases:
        message, key = bytes.fromhex(case["message_hex"]), bytes.fromhex(case["key_hex"])
        person, digest = case["person"].encode("ascii"), case["digest_size"]
        block = bytes.fromhex(case["parameter_block_hex"])
        assert len(block) == 64 and len(person) <= 16
        assert block[:4] == bytes([digest, len(key), 1, 1])
        assert block[4:48] == bytes(44)  # leaf length .. reserved, and the salt
        assert block[48:] == person + bytes(16 - len(person))
        expected = hashlib.blake2b(message, digest_size=digest, key=key, person=person).digest()
        assert expected.hex() == case["digest_hex"]
        assert spec_blake2b(message, digest, key, block) == expected


def test_poseidon() -> None:
    for case in load("primitives.json")["poseidon"]:
        inputs = ints(case["inputs"])
        assert poseidon(inputs) == poseidon_reference(inputs) == int(case["hash"])
    assert poseidon([1, 2]) == 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A


def test_user_ids_and_id_commitment() -> None:
    doc = load("primitives.json")
    for case in doc["user_ids"]:
        assert case["user_id"].encode("utf-8").hex() == case["utf8_hex"]
        assert hashlib.sha256(bytes.fromhex(case["utf8_hex"])).hexdigest() == case["sha256_hex"]
        assert spec_uid(case["user_id"]) == protocol.user_id_to_field(case["user_id"])
        assert spec_uid(case["user_id"]) == int(case["uid"])
    idc = doc["id_commitment"]
    expected = poseidon([1, int(idc["uid"]), int(idc["salt"])])
    assert expected == protocol.id_commitment(int(idc["uid"]), int(idc["salt"])) == int(idc["idc"])


def test_leaves_nodes_accumulators() -> None:
    doc = load("primitives.json")
    for case in doc["leaves"]:
        balances = ints(case["balances"])
        assert pack(balances, 3, 64) == protocol.pack_balances(balances) == ints(case["packed"])
        leaf = spec_leaf(int(case["idc"]), balances)
        assert leaf == protocol.leaf_hash(int(case["idc"]), balances) == int(case["leaf"])
    pad = doc["padding_leaf"]
    idc = poseidon([1, 0, int(pad["salt"])])
    assert idc == int(pad["idc"])
    assert spec_leaf(idc, [0] * pad["n_assets"]) == int(pad["leaf"])
    for case in doc["nodes"]:
        children = ints(case["children"])
        assert spec_node(children) == protocol.node_hash(children) == int(case["node"])
    for case in doc["accumulators"]:
        totals, blind = ints(case["totals"]), int(case["blind"])
        assert pack(totals, 2, 96) == protocol.pack_totals(totals) == ints(case["packed"])
        assert spec_acc(totals, blind) == protocol.accumulator(totals, blind) == int(case["acc"])
        initial = poseidon([4, *[0] * -(-len(totals) // 2), 0])
        assert initial == protocol.initial_accumulator(len(totals)) == int(case["initial"])
    top = doc["top_of_tree"]
    roots = ints(top["batch_roots"])
    expected = spec_top_levels(roots, top["arity"])
    assert len(expected) == top["top_depth"] + 1
    assert expected == protocol.top_levels(roots, top["arity"], top["top_depth"])
    assert expected == [ints(level) for level in top["levels"]]


def test_primitives_reject() -> None:
    functions = {
        "pack_balances": protocol.pack_balances,
        "pack_totals": protocol.pack_totals,
        "poseidon": poseidon,
    }
    for case in load("primitives.json")["must_fail"]:
        with pytest.raises(ValueError):
            functions[case["what"]](ints(case["values"]))


# --- 2. Merkle path ----------------------------------------------------------------------


def test_merkle_path() -> None:
    doc = load("merkle.json")
    arity, leaves = doc["arity"], ints(doc["leaves"])
    size = arity ** doc["batch_depth"]
    roots = [
        protocol.subtree_root(leaves[j * size : (j + 1) * size], arity)
        for j in range(len(leaves) // size)
    ]
    assert roots == ints(doc["batch_roots"])
    assert spec_top_levels(roots, arity) == [ints(level) for level in doc["top_levels"]]
    path = [ints(level) for level in doc["path"]]
    assert len(path) == doc["batch_depth"] + doc["top_depth"]
    assert all(len(level) == arity - 1 for level in path)
    index = doc["leaf_index"]
    batch_root = spec_hash_up(leaves[index], index, path[: doc["batch_depth"]], arity)
    assert batch_root == roots[doc["batch"]]
    root = spec_hash_up(leaves[index], index, path, arity)
    assert root == int(doc["root"])
    assert hash_up(leaves[index], index, path, arity)[-1] == root
    # A path for another position does not reach the root.
    assert spec_hash_up(leaves[index], index + 1, path, arity) != root


# --- 3. codes, derivations, one sealed record ---------------------------------------------


def _gf32_mul(a: int, b: int) -> int:
    """Carry-less product modulo x^5 + x^2 + 1 (protocol.md section 11.1)."""
    out = 0
    for i in range(5):
        if b >> i & 1:
            out ^= a << i
    for bit in range(8, 4, -1):
        if out >> bit & 1:
            out ^= 0b100101 << (bit - 5)
    return out


def test_code_display_and_parse() -> None:
    doc = load("codes.json")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    for case in doc["display"]:
        raw = bytes.fromhex(case["bytes"])
        assert format_code(raw) == case["code"]
        assert parse_code(case["code"]) == raw
        value = int.from_bytes(raw, "big")
        digits = [(value >> (5 * i)) & 31 for i in reversed(range(26))]
        # The two check symbols: the only pair making sum c_i and sum c_i x^i both zero.
        checks = []
        for c26 in range(32):
            for c27 in range(32):
                word, s0, s1, power = [*digits, c26, c27], 0, 0, 1
                for digit in word:
                    s0, s1, power = s0 ^ digit, s1 ^ _gf32_mul(digit, power), _gf32_mul(power, 2)
                if s0 == s1 == 0:
                    checks.append((c26, c27))
        assert len(checks) == 1
        symbols = "".join(alphabet[d] for d in [*digits, *checks[0]])
        assert "-".join(symbols[i : i + 4] for i in range(0, 28, 4)) == case["code"]
    for case in doc["display_v1"]:
        raw = bytes.fromhex(case["bytes"])
        value = int.from_bytes(raw, "big")
        symbols = "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(26)))
        symbols += (alphabet + "*~$=U")[value % 37]
        assert "-".join(symbols[i : i + 4] for i in range(0, 27, 4)) == case["code"]
        assert parse_code(case["code"]) == raw
    for case in doc["parse_equivalent"]:
        assert parse_code(case["typed"]) == bytes.fromhex(case["bytes"])
    for case in doc["parse_rejected"]:
        with pytest.raises(errors.InvalidCode):
            parse_code(case["typed"])


def test_derived_codes() -> None:
    for case in load("codes.json")["derived_codes"]:
        secret = bytes.fromhex(case["secret"])
        key = secret
        if len(key) > 64:
            key = hashlib.blake2b(key, digest_size=64, person=b"zkpor-codekey").digest()
        expected = hashlib.blake2b(
            case["user_id"].encode(), digest_size=16, key=key, person=b"zkpor-code"
        ).digest()
        assert expected == derived_code(secret, case["user_id"]) == bytes.fromhex(case["code"])
    with pytest.raises(ValueError):
        derived_code(bytes(15), "alice")


def test_derive_lookup_key_nonce() -> None:
    case = load("codes.json")["derive"]
    code, salt = bytes.fromhex(case["code"]), bytes.fromhex(case["run_salt"])
    aid = hashlib.blake2b(case["attestation_id"].encode(), digest_size=32, key=salt).digest()
    assert aid.hex() == case["aid"]
    lookup = hashlib.blake2b(code, digest_size=16, key=aid, person=b"zkpor-lookup").digest()
    key = hashlib.blake2b(code, digest_size=32, key=aid, person=b"zkpor-bundlekey").digest()
    nonce = hashlib.blake2b(key, digest_size=24, key=aid, person=b"zkpor-nonce").digest()
    assert (lookup.hex(), key.hex(), nonce.hex()) == (case["lookup"], case["key"], case["nonce"])
    derived = derive(code, case["attestation_id"], salt)
    assert (derived.lookup, derived.key, derived.nonce) == (lookup, key, nonce)
    for bits, index in case["bucket_index"].items():
        expected = int.from_bytes(lookup[:4], "big") >> (32 - int(bits))
        assert expected == bucket_index(lookup, int(bits)) == index
        width = max(1, (int(bits) + 3) // 4)
        assert f"bundles/{index:0{width}x}.bin" == case["bucket_name"][bits]
        assert bucket_name(index, int(bits)) == case["bucket_name"][bits]


def test_sealed_record_opens() -> None:
    doc = load("codes.json")
    case, sealed = doc["derive"], doc["sealed"]
    plaintext = bytes.fromhex(sealed["plaintext_hex"])
    canonical = json.dumps(
        sealed["bundle_json"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert plaintext == canonical + b" " * (sealed["plaintext_size"] - len(canonical))
    key, nonce = bytes.fromhex(case["key"]), bytes.fromhex(case["nonce"])
    box = bytes.fromhex(sealed["box_hex"])
    assert len(box) == 16 + len(plaintext)
    assert bytes(SecretBox(key).decrypt(box, nonce)) == plaintext
    assert bytes.fromhex(sealed["record_hex"]) == bytes.fromhex(case["lookup"]) + box
    layout = sealed["layout"]
    info = BundleInfo(
        layout["bucket_bits"],
        layout["record_size"],
        layout["records_per_bucket"],
        bytes.fromhex(layout["run_salt"]),
    )
    assert len(info.run_salt) == RUN_SALT_BYTES
    files = {"bundles/0.bin": bytes.fromhex(sealed["record_hex"])}
    code = bytes.fromhex(case["code"])
    bundle = open_bundle(reader(files), info, case["attestation_id"], code, NaclBackend())
    assert bundle.to_json() == sealed["bundle_json"]
    # Negative: a flipped ciphertext byte, another code, another attestation id.
    damaged = bytearray(files["bundles/0.bin"])
    damaged[-1] ^= 1
    with pytest.raises(errors.BundleUnreadable):
        open_bundle(
            reader({"bundles/0.bin": bytes(damaged)}),
            info,
            case["attestation_id"],
            code,
            NaclBackend(),
        )
    with pytest.raises(errors.NoBundle):
        open_bundle(reader(files), info, case["attestation_id"], bytes(16), NaclBackend())
    with pytest.raises(errors.NoBundle):
        open_bundle(reader(files), info, "another-id", code, NaclBackend())


# --- 4. Groth16 --------------------------------------------------------------------------


def spec_pairing_check(vk: VerifyingKey, public: Sequence[int], proof: Proof) -> bool:
    """Spec 6.3: e(-A, B)·e(alpha, beta)·e(vk_x, gamma)·e(C, delta) = 1, written out."""
    from py_ecc.optimized_bn128 import FQ as Fq
    from py_ecc.optimized_bn128 import FQ2 as Fq2
    from py_ecc.optimized_bn128 import FQ12, add, final_exponentiate, multiply, neg, pairing

    def g1(p: Any) -> Any:
        return (Fq(p[0]), Fq(p[1]), Fq.one())

    def g2(p: Any) -> Any:
        return (Fq2(list(p[0])), Fq2(list(p[1])), Fq2.one())

    vk_x = g1(vk.ic[0])
    for x, point in zip(public, vk.ic[1:], strict=True):
        vk_x = add(vk_x, multiply(g1(point), x))
    f = FQ12.one()
    for p1, q2 in (
        (neg(g1(proof.a)), g2(proof.b)),
        (g1(vk.alpha_g1), g2(vk.beta_g2)),
        (vk_x, g2(vk.gamma_g2)),
        (g1(proof.c), g2(vk.delta_g2)),
    ):
        f = f * pairing(q2, p1, final_exponentiate=False)
    return bool(final_exponentiate(f) == FQ12.one())


def test_groth16_valid() -> None:
    doc = load("groth16.json")
    vk = VerifyingKey.from_json(doc["vk"])
    assert vk.to_json() == doc["vk"]
    items = [(tuple(ints(c["public"])), Proof.from_json(c["proof"])) for c in doc["valid"]]
    public, proof = items[0]
    assert spec_pairing_check(vk, public, proof)
    verify(vk, public, proof)
    verify_many(vk, items, rng=random.Random(1))
    chain = doc["chain_of_batch_0"]
    assert list(public) == ints([chain["root"], chain["acc_in"], chain["acc_out"]])


def test_groth16_invalid() -> None:
    doc = load("groth16.json")
    vk = VerifyingKey.from_json(doc["vk"])
    for case in doc["invalid"]:
        error = getattr(errors, case["error"])
        with pytest.raises(error):
            proof = Proof.from_json(case["proof"])
            verify(vk, ints(case["public"]), proof)
        with pytest.raises(error):
            items = [(ints(c["public"]), Proof.from_json(c["proof"])) for c in doc["valid"]]
            items.append((ints(case["public"]), Proof.from_json(case["proof"])))
            verify_many(vk, items, rng=random.Random(2))


# --- 5. ceremony -------------------------------------------------------------------------


def spec_anchor(digest: bytes) -> tuple[int, int]:
    """Spec 7.3: try-and-increment on sha256(tag || digest || counter)."""
    for counter in range(256):
        h = hashlib.sha256(b"zkpor-ceremony/2 anchor\0" + digest + counter.to_bytes(2, "big"))
        x = int.from_bytes(h.digest(), "big") % P
        rhs = (x**3 + 3) % P
        y = pow(rhs, (P + 1) // 4, P)
        if y * y % P != rhs:
            continue
        if y % 2 != h.digest()[0] >> 7:
            y = P - y
        return x, y
    raise AssertionError("no anchor")


def test_ceremony_header_anchor_and_chain() -> None:
    expected = load("attestation_expected.json")["ceremony"]
    data = (ATTESTATION / "ceremony" / "transcript.json").read_bytes()
    transcript = parse_transcript(data)
    header_doc = {
        key: value
        for key, value in json.loads(data).items()
        if key not in ("contributions", "final")
    }
    digest = hashlib.sha256(b"zkpor-ceremony/2 header\0" + canonical_json(header_doc)).digest()
    assert digest == transcript.header.digest()
    assert digest.hex() == expected["header_digest"]
    anchor = spec_anchor(digest)
    assert anchor == header_anchor(transcript.header) == tuple(ints(expected["anchor"]))
    assert transcript.contributions[0].g1_s == anchor
    hashes = [contribution_hash(c).hex() for c in transcript.contributions]
    assert hashes == expected["contribution_hashes"]
    assert transcript.delta_g1 == tuple(ints(expected["delta_g1"]))
    vk = VerifyingKey.from_json(json.loads((ATTESTATION / "vk.json").read_bytes()))
    verify_published(data, vk, "zkpor1-a4-k2-d1", rng=random.Random(3))
    # The phase-1 file of the vectors is a stand-in: not pinned.
    with pytest.raises(UnknownPhase1):
        check_phase1(transcript)
    assert "ACCEPTED ONLY BECAUSE ASKED" in check_phase1(transcript, allow_unknown=True)


def test_ceremony_rejects() -> None:
    data = (ATTESTATION / "ceremony" / "transcript.json").read_bytes()
    doc = json.loads(data)
    vk_doc = json.loads((ATTESTATION / "vk.json").read_bytes())
    vk = VerifyingKey.from_json(vk_doc)

    def check(transcript: Any, key: VerifyingKey = vk) -> None:
        verify_published(json.dumps(transcript).encode(), key, rng=random.Random(4))

    # The header changed after the contributions: the anchor no longer matches.
    moved = copy.deepcopy(doc)
    moved["circuit"]["n_wires"] += 1
    with pytest.raises(BrokenChain):
        check(moved)
    # The first contribution's g1_s is not the anchor.
    unanchored = copy.deepcopy(doc)
    unanchored["contributions"][0]["g1_s"] = ["1", "2", "1"]
    with pytest.raises(BrokenChain):
        check(unanchored)
    # A transcript hash that is not the chain's.
    broken = copy.deepcopy(doc)
    broken["contributions"][1]["transcript"] = "00" * 64
    with pytest.raises(InconsistentTranscript):
        check(broken)
    # vk.json with another IC point (a key that could forge) or another delta.
    forged = copy.deepcopy(vk_doc)
    forged["IC"][1] = forged["IC"][2]
    with pytest.raises(KeyMismatch):
        check(doc, VerifyingKey.from_json(forged))
    other_delta = copy.deepcopy(vk_doc)
    other_delta["vk_delta_2"] = other_delta["vk_gamma_2"]
    with pytest.raises(KeyMismatch):
        check(doc, VerifyingKey.from_json(other_delta))
    # An unknown key anywhere in the transcript.
    extra = copy.deepcopy(doc)
    extra["ptau"]["comment"] = "x"
    with pytest.raises(errors.MalformedInput):
        check(extra)


# --- 6. the tiny attestation -------------------------------------------------------------


def test_attestation_values_from_spec() -> None:
    expected = load("attestation_expected.json")
    files = attestation_files()
    manifest = json.loads(files["attestation.json"])
    assert hashlib.sha256(files["attestation.json"]).hexdigest() == expected["manifest_digest"]
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    n_assets = len(manifest["assets"])
    shape = expected["shape"]
    size = shape["arity"] ** shape["batch_depth"]
    salts, uids = ints(expected["salts"]), ints(expected["uids"])
    for user_id, uid in zip(expected["placement"], uids, strict=True):
        assert uid == (0 if user_id is None else spec_uid(user_id))
    idcs = [poseidon([1, u, s]) for u, s in zip(uids, salts, strict=True)]
    assert idcs == ints(expected["id_commitments"])
    proofs = json.loads(files["proofs.json"])
    chain = expected["chain"]
    assert spec_acc([0] * n_assets, 0) == int(chain[0]["acc_in"])
    assert spec_acc([0] * n_assets, 0) == int(manifest["accumulator"]["initial"])
    leaves = ints(expected["leaves"])
    for j, link in enumerate(chain):
        assert proofs[j]["batch"] == j
        assert proofs[j]["public"] == [link["root"], link["acc_in"], link["acc_out"]]
        assert spec_acc(ints(link["totals_in"]), int(link["blind_in"])) == int(link["acc_in"])
        assert spec_acc(ints(link["totals_out"]), int(link["blind_out"])) == int(link["acc_out"])
        assert protocol.subtree_root(leaves[j * size : (j + 1) * size], shape["arity"]) == int(
            link["root"]
        )
        if j:
            assert link["acc_in"] == chain[j - 1]["acc_out"]
            assert link["totals_in"] == chain[j - 1]["totals_out"]
    assert chain[0]["blind_in"] == "0"
    final = chain[-1]
    assert manifest["accumulator"]["final"] == final["acc_out"]
    assert manifest["accumulator"]["final_totals"] == final["totals_out"]
    assert manifest["accumulator"]["final_blind"] == final["blind_out"]
    assert [a["liabilities"] for a in manifest["assets"]] == final["totals_out"]
    levels = spec_top_levels([int(link["root"]) for link in chain], shape["arity"])
    tree = json.loads(files["tree.json"])
    assert tree == {"arity": shape["arity"], "levels": [[str(v) for v in lv] for lv in levels]}
    assert levels[0][-1] == 0  # the empty batch slot
    assert manifest["tree"]["root"] == str(levels[-1][0])


def test_attestation_verifies() -> None:
    files = attestation_files()
    results = verify_attestation(reader(files), NaclBackend(), allow_unknown_phase1=True)
    assert [r.status for r in results] == ["OK"] * 10, results
    # Without --allow-unknown-phase1, the stand-in phase 1 fails step 9 alone (step 10,
    # co-signatures: the vectors have none and pin none).
    results = verify_attestation(reader(files), NaclBackend())
    assert [r.status for r in results] == ["OK"] * 8 + ["FAIL", "OK"], results


def rehash(files: dict[str, bytes], name: str, data: bytes) -> None:
    """Replace file ``name`` and update the manifest's sha256 of it (an attacker's edit)."""
    files[name] = data
    manifest = json.loads(files["attestation.json"])
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    files["attestation.json"] = json.dumps(manifest).encode()


def failed_steps(files: dict[str, bytes]) -> list[int]:
    results = verify_attestation(reader(files), NaclBackend(), allow_unknown_phase1=True)
    return [r.number for r in results if r.status != "OK"]


def test_attestation_rejects() -> None:
    base = attestation_files()
    manifest = json.loads(base["attestation.json"])

    files = dict(base)
    files["tree.json"] = base["tree.json"].replace(b'"0"', b'"1"')
    assert 1 in failed_steps(files)

    files = dict(base)
    unknown = {**manifest, "comment": "x"}
    files["attestation.json"] = json.dumps(unknown).encode()
    # A manifest that is not the one zkpor/1 writes is the basis of no later step: they
    # are skipped (the key, which does not need it, is still checked).
    results = verify_attestation(reader(files), NaclBackend(), allow_unknown_phase1=True)
    assert [r.status for r in results] == ["FAIL", "OK", *["SKIP"] * 8], results

    # Liabilities published lower than the proven totals: step 6 (step 1 sees the amount).
    files = dict(base)
    lower = copy.deepcopy(manifest)
    lower["assets"][1]["liabilities"] = "1"
    files["attestation.json"] = json.dumps(lower).encode()
    assert 6 in failed_steps(files)

    # Final totals that do not open the final accumulator: step 4.
    files = dict(base)
    totals = copy.deepcopy(manifest)
    totals["accumulator"]["final_totals"][1] = "1"
    files["attestation.json"] = json.dumps(totals).encode()
    assert 4 in failed_steps(files)

    # Batches swapped in proofs.json (rehashed): the chain breaks.
    files = dict(base)
    proofs = json.loads(base["proofs.json"])
    proofs[0], proofs[1] = proofs[1], proofs[0]
    proofs[0]["batch"], proofs[1]["batch"] = 0, 1
    rehash(files, "proofs.json", json.dumps(proofs).encode())
    assert 4 in failed_steps(files)

    # A public input changed (rehashed): the proof of that batch fails.
    files = dict(base)
    proofs = json.loads(base["proofs.json"])
    proofs[2]["public"][0] = str(int(proofs[2]["public"][0]) + R)
    rehash(files, "proofs.json", json.dumps(proofs).encode())
    assert 3 in failed_steps(files)

    # A reserve wallet's balance raised (rehashed): the signed totals differ.
    files = dict(base)
    reserves = json.loads(base["reserves.json"])
    reserves["wallets"][1]["signature"] = reserves["wallets"][2]["signature"]
    rehash(files, "reserves.json", json.dumps(reserves, ensure_ascii=False).encode())
    assert 8 in failed_steps(files)


def test_user_checks() -> None:
    expected = load("attestation_expected.json")
    files = attestation_files()
    salts, leaves = ints(expected["salts"]), ints(expected["leaves"])
    for number, user in enumerate(expected["users"]):
        options = UserOptions(
            check_all=number == 0, samples=1, allow_unknown_phase1=True, rng=random.Random(5)
        )
        report = verify_user(reader(files), user["code"], NaclBackend(), options)
        assert [r.status for r in report.results] == ["OK"] * 7, report.results
        assert report.totals_proven == (number == 0)
        bundle = report.bundle
        assert bundle is not None
        assert bundle.user_id == user["user_id"]
        assert bundle.leaf == user["leaf"]
        assert bundle.salt == salts[user["leaf"]]
        plaintext = bundle.to_plaintext(
            json.loads(files["attestation.json"])["bundles"]["record_size"] - 32
        )
        assert hashlib.sha256(plaintext).hexdigest() == user["plaintext_sha256"]
        leaf = spec_leaf(poseidon([1, spec_uid(bundle.user_id), bundle.salt]), bundle.balances)
        assert leaf == leaves[bundle.leaf] == bundle.leaf_hash
        manifest = json.loads(files["attestation.json"])
        root = spec_hash_up(leaf, bundle.leaf, bundle.path, manifest["tree"]["arity"])
        assert str(root) == manifest["tree"]["root"]
        derived = derive(
            parse_code(user["code"]),
            manifest["id"],
            bytes.fromhex(manifest["bundles"]["run_salt"]),
        )
        assert derived.lookup.hex() == user["lookup"]


def test_user_check_rejects() -> None:
    files = attestation_files()
    expected = load("attestation_expected.json")
    options = UserOptions(samples=0, allow_unknown_phase1=True)
    with pytest.raises(errors.InvalidCode):
        verify_user(reader(files), expected["users"][0]["code"][:-1] + "*", NaclBackend())
    report = verify_user(reader(files), format_code(bytes(16)), NaclBackend(), options)
    assert report.results[0].status == "FAIL"
    assert "no bundle for this code" in report.results[0].detail
    # Without --allow-unknown-phase1 the user's step 7 fails.
    report = verify_user(
        reader(files), expected["users"][1]["code"], NaclBackend(), UserOptions(samples=0)
    )
    assert [r.status for r in report.results] == ["OK"] * 6 + ["FAIL"]
