"""Regenerate the zkpor/1 protocol vectors of this folder (see README.md and docs/protocol.md).

Run from the repository root: ``python -m tests.vectors.protocol.make_vectors``.

Everything is deterministic: every secret (salts, blinds, placement, toxic waste, the
ceremony's contribution, the prover's r and s, the code secret, the bundle seed, the reserve
keys) comes from a seeded ``random.Random`` or a fixed label, so a rerun writes the same
bytes. The output is made with the project's own code (``verifier`` for every formula,
``publisher`` for the circuit, the development setup, the prover and the bucket writer).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

from nacl.secret import SecretBox
from py_ecc.optimized_bn128.optimized_curve import G1 as ECC_G1

from publisher.attest.bundles import UserEntry, build_buckets, sibling_path, subtree_levels
from publisher.reserves.sign import DemoWallet, sign_test_wallets
from publisher.snark import poseidon_grain
from publisher.snark.circuit import (
    BatchWitnessInput,
    CircuitShape,
    batch_witness,
    build_batch_circuit,
)
from publisher.snark.dev_setup import ToxicWaste, dev_setup
from publisher.snark.prove import prove
from publisher.snark.qap import domain_size
from publisher.snark.r1cs import r1cs_digest
from verifier import poseidon, protocol
from verifier.bundle import Bundle, BundleInfo, bucket_index, bucket_name, derive
from verifier.ceremony import statement
from verifier.ceremony_crypto import PY_ECC_OPS, g1_from_ecc
from verifier.ceremony_format import (
    SETUP_CEREMONY,
    TRANSCRIPT,
    CircuitInfo,
    Header,
    KeyBase,
    PtauInfo,
    Transcript,
    header_anchor,
)
from verifier.codes import derived_code, format_code, format_code_v1, parse_code
from verifier.errors import InvalidCode
from verifier.field import P, R
from verifier.groth16 import G1Point, G2Point, Proof, VerifyingKey
from verifier.manifest import (
    BUNDLE_SUMS,
    MANIFEST,
    PROOFS,
    RESERVES,
    TREE,
    VK,
    AssetLiability,
    BatchEntry,
    Manifest,
    TreeInfo,
    tree_to_json,
)
from verifier.mpc import Contribution, beacon_key, contribution_hash, expected_transcript
from verifier.mpc_primitives import hash_to_g2
from verifier.reserves import reserves_to_json

HERE = Path(__file__).resolve().parent
ATTESTATION_DIR = HERE / "attestation"

# --- the tiny attestation -----------------------------------------------------------------

ATTESTATION_ID = "vectors-2026-01"
AS_OF = "2026-01-31T00:00:00Z"
#: Four assets: two packed balance elements per leaf (3 + 1), two packed totals (2 + 2).
ASSETS = (("BTC", 8), ("ETH", 9), ("USDC", 6), ("SOL", 9))
SHAPE = CircuitShape(n_assets=4, arity=2, batch_depth=1)
#: Five accounts on three batches of two leaves (one padding leaf), 2^2 top slots (one 0).
USERS = (
    ("alice@example.com", (150_000_000, 2_500_000_000, 1_000_000, 0)),
    ("bob", (1, 0, 0, 7_000_000_000)),
    ("carol", (0, 0, 250_000_000, 0)),
    ("dave-ü", (18_446_744_073_709_551_615, 1, 2, 3)),
    ("erin", (0, 0, 0, 0)),
)
BATCHES = 3
CODE_SECRET = hashlib.sha256(b"zkpor protocol vectors: code secret").digest()
BUNDLE_SEED = hashlib.sha256(b"zkpor protocol vectors: bundle seed").digest()
#: Stand-ins for what only a real phase-1 file and snarkjs's zkey give (see README.md).
PTAU_SHA256 = hashlib.sha256(b"zkpor protocol vectors: stand-in phase 1").hexdigest()
PTAU_BLAKE2B = hashlib.blake2b(b"zkpor protocol vectors: stand-in phase 1").hexdigest()
CS_HASH = hashlib.blake2b(b"zkpor protocol vectors: stand-in circuit hash").digest()
BEACON_HASH = bytes(range(1, 33))
BEACON_EXP = 10


def dec(values: Any) -> Any:
    """Return ``values`` with every int as a decimal string (lists and tuples recursively)."""
    if isinstance(values, bool):
        return values
    if isinstance(values, int):
        return str(values)
    if isinstance(values, (list, tuple)):
        return [dec(v) for v in values]
    return values


def json_bytes(doc: Any) -> bytes:
    """Return ``doc`` as the publisher writes public JSON files (indent 1, UTF-8)."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def write(name: str, doc: Any) -> None:
    (HERE / name).write_bytes(json_bytes(doc))


def g1_mul(point: G1Point, k: int) -> G1Point:
    return PY_ECC_OPS.g1_mul(point, k)


def g2_mul(point: G2Point, k: int) -> G2Point:
    return PY_ECC_OPS.g2_mul_unreduced(point, k)


# --- 1. primitives -------------------------------------------------------------------------


def primitives() -> dict[str, Any]:
    rng = random.Random("zkpor protocol vectors: primitives")
    users = ["alice@example.com", "", "dave-ü", "用户-42"]
    uid = [
        {
            "user_id": u,
            "utf8_hex": u.encode().hex(),
            "sha256_hex": hashlib.sha256(u.encode()).hexdigest(),
            "uid": str(protocol.user_id_to_field(u)),
        }
        for u in users
    ]
    salt = rng.getrandbits(248)
    idc = {
        "uid": uid[0]["uid"],
        "salt": str(salt),
        "idc": str(protocol.id_commitment(int(uid[0]["uid"]), salt)),
    }
    leaves = []
    for n_assets in (1, 3, 4, 7, 28):
        balances = [rng.getrandbits(rng.choice((1, 20, 64))) for _ in range(n_assets)]
        leaf_idc = rng.randrange(R)
        leaves.append(
            {
                "idc": str(leaf_idc),
                "balances": dec(balances),
                "packed": dec(protocol.pack_balances(balances)),
                "leaf": str(protocol.leaf_hash(leaf_idc, balances)),
            }
        )
    pad_salt = rng.getrandbits(248)
    padding = {
        "n_assets": 4,
        "salt": str(pad_salt),
        "idc": str(protocol.id_commitment(0, pad_salt)),
        "leaf": str(protocol.leaf_hash(protocol.id_commitment(0, pad_salt), [0, 0, 0, 0])),
    }
    nodes = []
    for arity in (2, 4, 8):
        children = [rng.randrange(R) for _ in range(arity)]
        nodes.append({"children": dec(children), "node": str(protocol.node_hash(children))})
    accumulators = []
    for n_assets in (1, 2, 3, 4, 5):
        totals = [rng.getrandbits(96) for _ in range(n_assets)]
        blind = rng.randrange(R)
        accumulators.append(
            {
                "totals": dec(totals),
                "blind": str(blind),
                "packed": dec(protocol.pack_totals(totals)),
                "acc": str(protocol.accumulator(totals, blind)),
                "initial": str(protocol.initial_accumulator(n_assets)),
            }
        )
    roots = [rng.randrange(R) for _ in range(3)]
    top = {
        "arity": 2,
        "batch_roots": dec(roots),
        "top_depth": protocol.top_depth_for(len(roots), 2),
        "levels": dec(protocol.top_levels(roots, 2, protocol.top_depth_for(len(roots), 2))),
    }
    return {
        "about": "zkpor/1 hashes of docs/protocol.md sections 3 and 5; numbers are decimal",
        "r": str(R),
        "p": str(P),
        # the fingerprint of docs/protocol.md §3.4: the constants' canonical JSON document
        "poseidon_constants_sha256": hashlib.sha256(
            poseidon_grain.render(
                poseidon_grain.document(poseidon.params(t) for t in range(2, 18))
            ).encode()
        ).hexdigest(),
        "tags": {
            "ID": protocol.TAG_ID,
            "LEAF": protocol.TAG_LEAF,
            "NODE": protocol.TAG_NODE,
            "ACC": protocol.TAG_ACC,
        },
        "blake2b": blake2b_vectors(),
        "poseidon": [
            {"inputs": ["1", "2"], "hash": str(protocol.poseidon([1, 2]))},
            {"inputs": ["1", "2", "3", "4"], "hash": str(protocol.poseidon([1, 2, 3, 4]))},
        ],
        "user_ids": uid,
        "id_commitment": idc,
        "leaves": leaves,
        "padding_leaf": padding,
        "nodes": nodes,
        "accumulators": accumulators,
        "top_of_tree": top,
        "must_fail": [
            {"what": "pack_balances", "values": dec([1 << 64]), "why": "limb >= 2^64"},
            {"what": "pack_totals", "values": dec([0, 1 << 96]), "why": "limb >= 2^96"},
            {"what": "poseidon", "values": dec([1, R]), "why": "input >= r"},
            {"what": "poseidon", "values": dec([]), "why": "no input"},
            {"what": "poseidon", "values": dec(list(range(17))), "why": "17 inputs"},
        ],
    }


def blake2b_parameter_block(digest: int, key: bytes, person: bytes) -> bytes:
    """Return BLAKE2b's 64-byte parameter block (spec 3.5): salt zero, person padded."""
    return (
        bytes([digest, len(key), 1, 1])
        + bytes(28)
        + bytes(16)  # salt
        + person.ljust(16, b"\0")
    )


def blake2b_vectors() -> list[dict[str, Any]]:
    """Bare BLAKE2b known answers with key and personalization, as every derivation of
    spec 11 uses it (libsodium.js cannot compute keyed + personalized over a message)."""
    cases = [
        (b"abc", bytes(range(32)), b"zkpor-lookup", 16),
        (b"", bytes(range(64)), b"zkpor-bundlekey", 32),
        (bytes(range(200)), bytes(range(1, 17)), b"0123456789abcdef", 64),
        (b"alice@example.com", bytes(range(16, 48)), b"zkpor-code", 16),
        (bytes(range(100)), b"", b"zkpor-codekey", 64),
        (b"vectors-2026-01", bytes(range(32)), b"", 32),
    ]
    return [
        {
            "message_hex": message.hex(),
            "key_hex": key.hex(),
            "person": person.decode("ascii"),
            "digest_size": digest,
            "parameter_block_hex": blake2b_parameter_block(digest, key, person).hex(),
            "digest_hex": hashlib.blake2b(
                message, digest_size=digest, key=key, person=person
            ).hexdigest(),
        }
        for message, key, person, digest in cases
    ]


# --- 2. a Merkle path ---------------------------------------------------------------------


def merkle() -> dict[str, Any]:
    """An arity-4 tree: batch depth 1 (4 leaves per batch), 3 batches, top depth 1."""
    rng = random.Random("zkpor protocol vectors: merkle")
    arity, batch_depth, batches = 4, 1, 3
    leaves = [rng.randrange(R) for _ in range(arity**batch_depth * batches)]
    roots = [
        protocol.subtree_root(leaves[j * arity : (j + 1) * arity], arity) for j in range(batches)
    ]
    top_depth = protocol.top_depth_for(batches, arity)
    levels = protocol.top_levels(roots, arity, top_depth)
    leaf = 9
    batch, position = divmod(leaf, arity**batch_depth)
    inside = subtree_levels(leaves[batch * arity : (batch + 1) * arity], arity)
    path = sibling_path(inside, position, arity) + sibling_path(levels, batch, arity)
    return {
        "about": "docs/protocol.md section 5.6: the path of leaf 9 up to the root",
        "arity": arity,
        "batch_depth": batch_depth,
        "top_depth": top_depth,
        "leaves": dec(leaves),
        "batch_roots": dec(roots),
        "top_levels": dec(levels),
        "root": str(levels[-1][0]),
        "leaf_index": leaf,
        "batch": batch,
        "path": dec(path),
    }


# --- 3. the tiny attestation ----------------------------------------------------------------


def ceremony_and_keys(cs_r1cs: Any) -> tuple[Transcript, Any, VerifyingKey, dict[str, Any]]:
    """Return the transcript, proving key, verifying key and the secrets of a tiny ceremony.

    Phase 1 is made of known secrets (stand-in file hashes); the header's key is the
    development setup's with gamma = 1, and phase 2 is one secret contribution (anchored to
    the header) and a public beacon, whose product is the setup's delta.
    """
    rng = random.Random("zkpor protocol vectors: ceremony")
    tau, alpha, beta = (rng.randrange(1, R) for _ in range(3))
    d1 = rng.randrange(1, R)
    d2, beacon_g1_s = beacon_key(BEACON_HASH, BEACON_EXP)
    toxic = ToxicWaste(tau=tau, alpha=alpha, beta=beta, gamma=1, delta=d1 * d2 % R)
    pk, vk = dev_setup(cs_r1cs, SHAPE.circuit_id, toxic)
    g1 = g1_from_ecc(ECC_G1)
    header = Header(
        circuit=CircuitInfo(
            circuit_id=SHAPE.circuit_id,
            r1cs_sha256=r1cs_digest(cs_r1cs),
            n_public=cs_r1cs.n_public,
            n_wires=cs_r1cs.n_wires,
            domain_size=domain_size(cs_r1cs),
            shape=(SHAPE.n_assets, SHAPE.arity, SHAPE.batch_depth),
        ),
        ptau=PtauInfo(
            sha256=PTAU_SHA256,
            blake2b=PTAU_BLAKE2B,
            power=domain_size(cs_r1cs).bit_length() - 1,
            contributors=("vectors (known secrets)",),
            alpha_g1=vk.alpha_g1,
            beta_g1=g1_mul(g1, beta),
            beta_g2=vk.beta_g2,
        ),
        key=KeyBase(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, vk.ic),
        cs_hash=CS_HASH,
    )
    contributions: list[Contribution] = []
    delta: G1Point = g1
    for kind, d, g1_s in (("contribution", d1, header_anchor(header)), ("beacon", d2, None)):
        g1_s = beacon_g1_s if g1_s is None else g1_s
        g1_sx = g1_mul(g1_s, d)
        transcript = expected_transcript(CS_HASH, contributions, g1_s, g1_sx)
        delta = g1_mul(delta, d)
        beacon = kind == "beacon"
        contributions.append(
            Contribution(
                delta_after=delta,
                g1_s=g1_s,
                g1_sx=g1_sx,
                g2_spx=g2_mul(hash_to_g2(transcript), d),
                transcript=transcript,
                kind="beacon" if beacon else "contribution",
                name="vector beacon" if beacon else "vector contributor",
                beacon_hash=BEACON_HASH if beacon else None,
                num_iterations_exp=BEACON_EXP if beacon else None,
            )
        )
    secrets_doc = {
        "tau": str(tau),
        "alpha": str(alpha),
        "beta": str(beta),
        "gamma": "1",
        "contribution_secret": str(d1),
        "beacon_secret": str(d2),
        "delta": str(d1 * d2 % R),
    }
    return Transcript(header, tuple(contributions)), pk, vk, secrets_doc


def attestation() -> dict[str, Any]:
    """Write ``attestation/`` and return what ``attestation_expected.json`` records."""
    rng = random.Random("zkpor protocol vectors: attestation")
    cs = build_batch_circuit(SHAPE)
    transcript, pk, vk, toxic = ceremony_and_keys(cs)
    size = SHAPE.batch_size
    n_leaves = BATCHES * size
    placement = list(range(len(USERS))) + [-1] * (n_leaves - len(USERS))
    rng.shuffle(placement)
    salts = [rng.getrandbits(248) for _ in range(n_leaves)]
    blinds = [0] + [rng.randrange(R) for _ in range(BATCHES)]
    zero = (0,) * SHAPE.n_assets
    balances = [USERS[a][1] if a >= 0 else zero for a in placement]
    uids = [protocol.user_id_to_field(USERS[a][0]) if a >= 0 else 0 for a in placement]
    idcs = [protocol.id_commitment(u, s) for u, s in zip(uids, salts, strict=True)]
    leaves = [protocol.leaf_hash(i, b) for i, b in zip(idcs, balances, strict=True)]

    totals = [[0] * SHAPE.n_assets]
    for j in range(BATCHES):
        running = list(totals[-1])
        for row in balances[j * size : (j + 1) * size]:
            running = [t + b for t, b in zip(running, row, strict=True)]
        totals.append(running)

    entries, chain = [], []
    for j in range(BATCHES):
        data = BatchWitnessInput(
            idcs[j * size : (j + 1) * size],
            balances[j * size : (j + 1) * size],
            totals[j],
            blinds[j],
            blinds[j + 1],
        )
        witness = batch_witness(SHAPE, data)
        public = tuple(witness[1:4])
        proof = prove(pk, cs, witness, r=rng.randrange(1, R), s=rng.randrange(1, R))
        entries.append(BatchEntry(j, public, proof.to_json()))
        chain.append(
            {
                "batch": j,
                "totals_in": dec(totals[j]),
                "blind_in": str(blinds[j]),
                "acc_in": str(public[1]),
                "totals_out": dec(totals[j + 1]),
                "blind_out": str(blinds[j + 1]),
                "acc_out": str(public[2]),
                "root": str(public[0]),
            }
        )
    top_depth = protocol.top_depth_for(BATCHES, SHAPE.arity)
    levels = protocol.top_levels([e.public[0] for e in entries], SHAPE.arity, top_depth)

    user_entries, users = [], []
    for leaf, account in enumerate(placement):
        if account < 0:
            continue
        batch, position = divmod(leaf, size)
        inside = subtree_levels(leaves[batch * size : (batch + 1) * size], SHAPE.arity)
        user_id = USERS[account][0]
        bundle = Bundle(
            attestation_id=ATTESTATION_ID,
            user_id=user_id,
            salt=salts[leaf],
            balances=balances[leaf],
            leaf=leaf,
            batch=batch,
            leaf_hash=leaves[leaf],
            path=tuple(
                sibling_path(inside, position, SHAPE.arity)
                + sibling_path(levels, batch, SHAPE.arity)
            ),
        )
        code = derived_code(CODE_SECRET, user_id)
        user_entries.append(UserEntry(code, bundle))
        users.append({"user_id": user_id, "code": format_code(code), "leaf": leaf})

    def seal(plaintext: bytes, nonce: bytes, key: bytes) -> bytes:
        return bytes(SecretBox(key).encrypt(plaintext, nonce).ciphertext)

    info, buckets = build_buckets(ATTESTATION_ID, user_entries, seal, BUNDLE_SEED)
    for user, entry in zip(users, user_entries, strict=True):
        derived = derive(entry.code, ATTESTATION_ID, info.run_salt)
        user["lookup"] = derived.lookup.hex()
        index = bucket_index(derived.lookup, info.bucket_bits)
        user["bucket"] = bucket_name(index, info.bucket_bits)
        user["plaintext_sha256"] = hashlib.sha256(
            entry.bundle.to_plaintext(info.record_size - 32)
        ).hexdigest()

    # role=None: the vectors are the attestation form made before wallet roles (no role
    # line in the signed messages, no segregation section), kept so that old attestations
    # are proven to keep verifying. tests/security/segregated_attestation.py republishes
    # them with roles.
    wallets = sign_test_wallets(
        ATTESTATION_ID,
        [
            DemoWallet(
                "bitcoin", "BTC", "vectors-btc", 18_446_744_073_859_551_616, "930000", role=None
            ),
            DemoWallet("ethereum", "ETH", "vectors-eth", 3_000_000_000, "21900000", role=None),
            DemoWallet("ethereum", "USDC", "vectors-usdc", 251_000_003, "21900000", role=None),
            DemoWallet("solana", "SOL", "vectors-sol", 7_000_000_003, AS_OF, role=None),
        ],
    )
    decimals = dict(ASSETS)
    held = dict.fromkeys(decimals, 0)
    for wallet in wallets:
        held[wallet.asset] += wallet.balance

    files: dict[str, bytes] = {
        VK: json_bytes(vk.to_json()),
        PROOFS: json_bytes([e.to_json() for e in entries]),
        TREE: json_bytes(tree_to_json(SHAPE.arity, levels)),
        BUNDLE_SUMS: "".join(
            f"{hashlib.sha256(data).hexdigest()}  {name.removeprefix('bundles/')}\n"
            for name, data in sorted(buckets.items())
        ).encode(),
        RESERVES: json_bytes(reserves_to_json(ATTESTATION_ID, wallets, decimals)),
        TRANSCRIPT: (json.dumps(transcript.to_json(), indent=1) + "\n").encode(),
    }
    manifest = Manifest(
        attestation_id=ATTESTATION_ID,
        issuer_name="Vector Custody Ltd.",
        issuer_url="https://vectors.example/por",
        as_of=AS_OF,
        assets=tuple(
            AssetLiability(symbol, d, total, held[symbol])
            for (symbol, d), total in zip(ASSETS, totals[-1], strict=True)
        ),
        tree=TreeInfo(SHAPE.arity, SHAPE.batch_depth, top_depth, BATCHES, levels[-1][0]),
        initial_accumulator=protocol.initial_accumulator(SHAPE.n_assets),
        final_accumulator=entries[-1].public[2],
        final_totals=tuple(totals[-1]),
        final_blind=blinds[-1],
        circuit_id=SHAPE.circuit_id,
        constraints=len(cs.constraints),
        setup_kind=SETUP_CEREMONY,
        setup_statement=statement(transcript),
        software_version="0.1.0",
        files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        bundles=info,
    )
    files.update(buckets)
    files[MANIFEST] = json_bytes(manifest.to_json())
    shutil.rmtree(ATTESTATION_DIR, ignore_errors=True)
    for name, data in files.items():
        (ATTESTATION_DIR / name).parent.mkdir(parents=True, exist_ok=True)
        (ATTESTATION_DIR / name).write_bytes(data)

    header = transcript.header
    return {
        "about": "the tiny attestation of attestation/ (docs/protocol.md sections 4 to 10); "
        "secrets are published here so that every value can be recomputed",
        "manifest_digest": hashlib.sha256(files[MANIFEST]).hexdigest(),
        "shape": {"assets": SHAPE.n_assets, "arity": SHAPE.arity, "batch_depth": 1},
        "placement": [USERS[a][0] if a >= 0 else None for a in placement],
        "salts": dec(salts),
        "uids": dec(uids),
        "id_commitments": dec(idcs),
        "leaves": dec(leaves),
        "chain": chain,
        "top_levels": dec(levels),
        "code_secret": CODE_SECRET.hex(),
        "bundle_seed": BUNDLE_SEED.hex(),
        "users": users,
        "ceremony": {
            "header_digest": header.digest().hex(),
            "anchor": dec(list(header_anchor(header) or ())),
            "contribution_hashes": [contribution_hash(c).hex() for c in transcript.contributions],
            "delta_g1": dec(list(transcript.delta_g1 or ())),
            "toxic_waste": toxic,
        },
    }


# --- 4. codes and one sealed record -------------------------------------------------------


def codes() -> dict[str, Any]:
    rng = random.Random("zkpor protocol vectors: codes")
    raw = [bytes(16), bytes([255] * 16), rng.randbytes(16), rng.randbytes(16)]
    shown = [format_code(c) for c in raw]
    run_salt = rng.randbytes(32)
    code = raw[2]
    derived = derive(code, ATTESTATION_ID, run_salt)
    aid = hashlib.blake2b(ATTESTATION_ID.encode(), digest_size=32, key=run_salt).digest()
    bundle = Bundle(
        attestation_id=ATTESTATION_ID,
        user_id="alice@example.com",
        salt=rng.getrandbits(248),
        balances=(5, 0, 1 << 63),
        leaf=6,
        batch=1,
        leaf_hash=rng.randrange(R),
        path=((rng.randrange(R),), (rng.randrange(R),), (rng.randrange(R),)),
    )
    plaintext = bundle.to_plaintext(768)
    box = bytes(SecretBox(derived.key).encrypt(plaintext, derived.nonce).ciphertext)
    record = derived.lookup + box
    secret_long = bytes(range(100))
    return {
        "about": "docs/protocol.md section 11: codes, derivations, one sealed record",
        "display": [{"bytes": c.hex(), "code": s} for c, s in zip(raw, shown, strict=True)],
        "display_v1": [{"bytes": c.hex(), "code": format_code_v1(c)} for c in raw],
        "parse_equivalent": [
            {"typed": shown[2].lower().replace("-", " "), "bytes": raw[2].hex()},
            {"typed": shown[2].replace("1", "I").replace("0", "O"), "bytes": raw[2].hex()},
            {"typed": " " + shown[2].replace("-", "") + "\n", "bytes": raw[2].hex()},
        ],
        "parse_rejected": [
            {"typed": shown[2][:-2], "why": "26 symbols"},
            {"typed": _typo(shown[2]), "why": "symbol 1 looks wrong"},
            {"typed": _swap(shown[2]), "why": "symbols 2 and 3 swapped"},
            {"typed": "U" + shown[2][1:], "why": "U is not a code symbol"},
            {"typed": _over_128_bits(), "why": "larger than 128 bits"},
            {"typed": format_code_v1(raw[2])[:-1], "why": "first format, 26 symbols"},
            {"typed": _typo(format_code_v1(raw[2])), "why": "first format, check symbol"},
        ],
        "derived_codes": [
            {
                "secret": CODE_SECRET.hex(),
                "user_id": "alice@example.com",
                "code": derived_code(CODE_SECRET, "alice@example.com").hex(),
            },
            {
                "secret": secret_long.hex(),
                "user_id": "dave-ü",
                "code": derived_code(secret_long, "dave-ü").hex(),
            },
        ],
        "derive": {
            "code": code.hex(),
            "attestation_id": ATTESTATION_ID,
            "run_salt": run_salt.hex(),
            "aid": aid.hex(),
            "lookup": derived.lookup.hex(),
            "key": derived.key.hex(),
            "nonce": derived.nonce.hex(),
            "bucket_index": {
                str(bits): bucket_index(derived.lookup, bits) for bits in (0, 1, 4, 9, 24)
            },
            "bucket_name": {
                str(bits): bucket_name(bucket_index(derived.lookup, bits), bits)
                for bits in (0, 1, 4, 9, 24)
            },
        },
        "sealed": {
            "bundle_json": bundle.to_json(),
            "plaintext_size": len(plaintext),
            "plaintext_hex": plaintext.hex(),
            "box_hex": box.hex(),
            "record_hex": record.hex(),
            "layout": BundleInfo(0, len(record), 1, run_salt).to_json(),
        },
    }


def _typo(code: str) -> str:
    """Return ``code`` with its first data symbol changed (the check symbol catches it)."""
    first = code[0]
    return ("1" if first != "1" else "2") + code[1:]


def _swap(code: str) -> str:
    """Return ``code`` with its second and third symbols swapped (they differ here)."""
    assert code[1] != code[2]
    return code[0] + code[2] + code[1] + code[3:]


def _over_128_bits() -> str:
    """Return a 28-symbol code whose value is 2^129 (first symbol 8 > 7), with good checks."""
    from verifier.codes import ALPHABET, normalize

    value = 1 << 129
    data = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))
    for check in (a + b for a in ALPHABET for b in ALPHABET):
        try:
            parse_code(data + check)
        except InvalidCode as error:
            if "first symbol" in str(error):
                return normalize(data + check)
    raise AssertionError("no codeword over 2^129")


# --- 5. Groth16 ---------------------------------------------------------------------------


def groth16(attested: dict[str, Any]) -> dict[str, Any]:
    """The verifying key and batch 0 of the attestation, and proofs that must fail."""
    vk = json.loads((ATTESTATION_DIR / VK).read_text())
    entries = json.loads((ATTESTATION_DIR / PROOFS).read_text())
    proof, public = entries[0]["proof"], entries[0]["public"]
    a = Proof.from_json(proof)
    off_subgroup = _twist_point_outside_g2()
    bad: list[dict[str, Any]] = [
        {
            "name": "public input plus r",
            "public": [str(int(public[0]) + R), *public[1:]],
            "proof": proof,
            "error": "PublicInputOutOfRange",
        },
        {
            "name": "acc_out of another batch",
            "public": [*public[:2], entries[1]["public"][2]],
            "proof": proof,
            "error": "PairingCheckFailed",
        },
        {
            "name": "two public inputs",
            "public": public[:2],
            "proof": proof,
            "error": "WrongNumberOfPublicInputs",
        },
        {
            "name": "pi_a negated",
            "public": public,
            "proof": {**proof, "pi_a": [str(a.a[0]), str(P - a.a[1]), "1"]} if a.a else proof,
            "error": "PairingCheckFailed",
        },
        {
            "name": "pi_a not on the curve",
            "public": public,
            "proof": {**proof, "pi_a": [str(a.a[0]), str((a.a[1] + 1) % P), "1"]} if a.a else proof,
            "error": "PointNotOnCurve",
        },
        {
            "name": "pi_a at infinity",
            "public": public,
            "proof": {**proof, "pi_a": ["0", "1", "0"]},
            "error": "PointAtInfinity",
        },
        {
            "name": "pi_b on the twist, outside G2",
            "public": public,
            "proof": {
                **proof,
                "pi_b": [
                    [str(off_subgroup[0][0]), str(off_subgroup[0][1])],
                    [str(off_subgroup[1][0]), str(off_subgroup[1][1])],
                    ["1", "0"],
                ],
            },
            "error": "PointNotInSubgroup",
        },
        {
            "name": "pi_c coordinate not below p",
            "public": public,
            "proof": {**proof, "pi_c": [str(P + 1), proof["pi_c"][1], "1"]},
            "error": "MalformedProof",
        },
        {
            "name": "pi_c z coordinate not 1",
            "public": public,
            "proof": {**proof, "pi_c": [*proof["pi_c"][:2], "2"]},
            "error": "MalformedProof",
        },
    ]
    return {
        "about": "docs/protocol.md section 7: snarkjs vk, proof and public inputs",
        "vk": vk,
        "valid": [{"public": e["public"], "proof": e["proof"]} for e in entries],
        "invalid": bad,
        "chain_of_batch_0": attested["chain"][0],
    }


def _twist_point_outside_g2() -> G2Point:
    """Return a point of the twist curve that is not in G2 (no cofactor clearing)."""
    from verifier.ceremony_crypto import TWIST_B, fp2_sqrt
    from verifier.groth16 import _g2_in_subgroup, _g2_on_curve

    for x0 in range(1, 1000):
        x = (x0, 0)
        xx = (x0 * x0 % P, 0)
        rhs = ((xx[0] * x0 + TWIST_B[0]) % P, TWIST_B[1])
        y = fp2_sqrt(rhs)
        if y is None:
            continue
        point: G2Point = (x, y)
        if _g2_on_curve(point) and not _g2_in_subgroup(point):
            return point
    raise AssertionError("no twist point found")


def main() -> None:
    write("primitives.json", primitives())
    write("merkle.json", merkle())
    attested = attestation()
    write("attestation_expected.json", attested)
    write("codes.json", codes())
    write("groth16.json", groth16(attested))
    print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir())))


if __name__ == "__main__":
    main()
