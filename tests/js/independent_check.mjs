// An independent zkpor/1 verifier written from docs/protocol.md alone (plus the vectors
// of tests/vectors/protocol/ and their README). It does not share code with verifier/ or
// publisher/: its purpose is to test whether the specification is complete.
//
// Usage:
//   node tests/js/independent_check.mjs --vectors
//       check every primitive against primitives.json, merkle.json, codes.json,
//       groth16.json and attestation_expected.json (every negative Groth16 vector must be
//       rejected with the error named)
//   node tests/js/independent_check.mjs [DIR] [--code CODE]... [--expected-codes FILE]
//       the reviewer's check (§12.1) of the attestation directory DIR (default:
//       tests/vectors/protocol/attestation), then the account holder's check (§12.2) for
//       every CODE (and every user code of FILE, an attestation_expected.json)
//
// Output: one line per step, "OK|FAIL|SKIPPED <check> <n> <name>: <detail>", then a JSON
// summary on the last line. Exit code 0 iff no step failed.
//
// Primitives (in tests/js/independent_common.mjs, spec-derived like this file and shared
// with the zkpor/2 checker): Poseidon is implemented from §3.4 (constants generated with
// the Grain LFSR of §3.4) and cross-checked against circomlibjs; BN254 point validation
// (§3.3) is implemented there; the pairing equation (§7.3) is delegated to snarkjs.groth16.verify
// after the checks of §7.2; BLAKE2b, XSalsa20-Poly1305 and Ed25519 come from libsodium.
//
// Not implemented: secp256k1 (EIP-191 and Bitcoin message signatures, §10.2-§10.3) and the
// ceremony's pairings (§8.5-§8.7). Step 8 then checks everything else (parsing, roles and
// the `role:` line, one wallet one role by canonical key, per-role sums, coverage, backing of
// wrapped tokens, Ed25519 wallets) and reports SKIPPED naming the wallets it did not verify;
// step 10 (co-signatures, §10.7) likewise for an eip191 co-signature. The canonical manifest
// digest is computed with canonicalJSON (sorted keys, ensure_ascii), not JSON.stringify.
import { readFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPoseidonReference } from "circomlibjs";
import sodium from "libsodium-wrappers-sumo";
import {
    B_TWIST, CUSTOMER, G2GEN, H, P, POSEIDON_CONSTANTS_SHA256, R, RE, VErr, backingRatio,
    beBytes, blake2b, bucketIndex, bucketName, bytesEq, canonicalJSON, checkCosignatures,
    checkSegregation, checkText, cmpBytes, constants, coverageRatio, decCanonical,
    decLoose, derive, derivedCode, displayCode, displayCodeV1, f2, fail, formatUnits,
    g2MulIsInfinity, g2OnCurve, hashUp, hex, idcOf, intBe, intIn, inv, isBacked, isObj,
    jsonDiff, makeReader, modpow, need, nodeOf, onlyKeys, pack, parseCode, parseCosigners,
    parseProofsJson, parseReservesJson, parseSegregation, parseStrictJSON, parseSums,
    parseTreeJson, parseVk, pyIndentJSON, reserveMessage, roleProblem, roleSums,
    segregationJson, setFormat, sha256, show, siblingPath, subtreeRoot, topDepthFor,
    topLevels, uidOf, unhex, utf8, verifyGroth16, walletKey,
} from "./independent_common.mjs";

setFormat("zkpor/1");

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = path.resolve(HERE, "..", "vectors", "protocol");

// ---------------------------------------------------------------- constants (§3.1)
const TAG = { ID: 1n, LEAF: 2n, NODE: 3n, ACC: 4n };

// ---------------------------------------------------------------- commitments (§5)
const packBalances = (b) => pack(b, 3, 64);
const packTotals = (T) => pack(T, 2, 96);
const leafOf = (idc, balances) => H(TAG.LEAF, idc, ...packBalances(balances));
const accOf = (T, blind) => H(TAG.ACC, ...packTotals(T), blind);
const acc0 = (A) => accOf(Array(A).fill(0n), 0n);

const batchCircuitId = (A, k, db) => `zkpor1-a${A}-k${k}-d${db}`;

// ---------------------------------------------------------------- the manifest (§9.2)
function parseManifest(doc) {
    const m = {};
    if (!isObj(doc)) fail("Malformed", "attestation.json: not an object");
    if (need(doc, "format", "attestation.json") !== "zkpor/1") fail("Malformed", `attestation.json: format ${show(doc.format)} is not zkpor/1`);
    m.id = checkText(need(doc, "id", "attestation.json"), "id", "id");
    const issuer = need(doc, "issuer", "attestation.json");
    m.issuer = { name: checkText(need(issuer, "name", "issuer"), "name", "issuer.name"), url: checkText(need(issuer, "url", "issuer"), "url", "issuer.url") };
    m.as_of = checkText(need(doc, "as_of", "attestation.json"), "asOf", "as_of");
    const assets = need(doc, "assets", "attestation.json");
    if (!Array.isArray(assets)) fail("Malformed", "assets: not a list");
    const hasRes = assets.map((a) => isObj(a) && "reserves" in a);
    if (hasRes.some((x) => x) && !hasRes.every((x) => x)) fail("Malformed", "assets: reserves present on some assets only");
    const seen = new Set();
    m.assets = assets.map((a, i) => {
        const w = `assets[${i}]`;
        const sym = checkText(need(a, "symbol", w), "symbol", `${w}.symbol`);
        if (seen.has(sym)) fail("Malformed", `${w}.symbol: duplicate ${sym}`);
        seen.add(sym);
        const out = {
            symbol: sym,
            decimals: intIn(need(a, "decimals", w), 0, 77, `${w}.decimals`),
            liabilities: decCanonical(need(a, "liabilities", w), 1n << 96n, `${w}.liabilities`),
        };
        if (hasRes[i]) out.reserves = decCanonical(need(a, "reserves", w), 1n << 160n, `${w}.reserves`);
        return out;
    });
    const tree = need(doc, "tree", "attestation.json");
    const arity = intIn(need(tree, "arity", "tree"), 2, 8, "tree.arity");
    if (![2n, 4n, 8n].includes(arity)) fail("Malformed", `tree.arity ${arity} not in {2, 4, 8}`);
    const bd = intIn(need(tree, "batch_depth", "tree"), 1, 18, "tree.batch_depth");
    if (arity ** bd > 1n << 18n) fail("Malformed", `tree.batch_depth ${bd}: arity^batch_depth > 2^18`);
    m.tree = {
        arity: Number(arity),
        batch_depth: Number(bd),
        top_depth: intIn(need(tree, "top_depth", "tree"), 0, null, "tree.top_depth"),
        batches: intIn(need(tree, "batches", "tree"), 0, 2 ** 32, "tree.batches"),
        root: decCanonical(need(tree, "root", "tree"), R, "tree.root"),
    };
    const acc = need(doc, "accumulator", "attestation.json");
    const ft = need(acc, "final_totals", "accumulator");
    if (!Array.isArray(ft)) fail("Malformed", "accumulator.final_totals: not a list");
    m.accumulator = {
        initial: decCanonical(need(acc, "initial", "accumulator"), R, "accumulator.initial"),
        final: decCanonical(need(acc, "final", "accumulator"), R, "accumulator.final"),
        final_totals: ft.map((v, i) => decCanonical(v, 1n << 96n, `accumulator.final_totals[${i}]`)),
        final_blind: decCanonical(need(acc, "final_blind", "accumulator"), R, "accumulator.final_blind"),
    };
    const circ = need(doc, "circuit", "attestation.json");
    m.circuit = { id: checkText(need(circ, "id", "circuit"), "circuitId", "circuit.id"), constraints: intIn(need(circ, "constraints", "circuit"), 0, null, "circuit.constraints") };
    const want = batchCircuitId(m.assets.length, m.tree.arity, m.tree.batch_depth);
    if (m.circuit.id !== want) fail("Malformed", `circuit.id ${m.circuit.id} is not the batch circuit of the tree's shape, ${want}`);
    const setup = need(doc, "setup", "attestation.json");
    m.setup = { kind: checkText(need(setup, "kind", "setup"), "setupKind", "setup.kind"), statement: checkText(need(setup, "statement", "setup"), "statement", "setup.statement") };
    const sw = need(doc, "software", "attestation.json");
    if (need(sw, "name", "software") !== "zkpor") fail("Malformed", "software.name is not zkpor");
    m.software = { version: checkText(need(sw, "version", "software"), "version", "software.version") };
    const files = need(doc, "files", "attestation.json");
    if (!isObj(files)) fail("Malformed", "files: not an object");
    m.files = {};
    for (const [name, h] of Object.entries(files)) {
        checkText(name, "fileName", "files name");
        if (typeof h !== "string" || !RE.hex64.test(h)) fail("Malformed", `files[${name}]: not 64 lowercase hex`);
        m.files[name] = h;
    }
    if ("bundles" in doc) {
        const b = doc.bundles;
        m.bundles = {
            bucket_bits: Number(intIn(need(b, "bucket_bits", "bundles"), 0, 24, "bundles.bucket_bits")),
            record_size: Number(intIn(need(b, "record_size", "bundles"), 0, 2 ** 20, "bundles.record_size")),
            records_per_bucket: Number(intIn(need(b, "records_per_bucket", "bundles"), 0, 2 ** 16, "bundles.records_per_bucket")),
            run_salt: need(b, "run_salt", "bundles"),
        };
        if (typeof m.bundles.run_salt !== "string" || !RE.hex64.test(m.bundles.run_salt)) fail("Malformed", "bundles.run_salt: not 64 lowercase hex");
    }
    if ("segregation" in doc) m.segregation = parseSegregation(doc.segregation, m.assets);
    if ("cosigners" in doc) m.cosigners = parseCosigners(doc.cosigners);
    // re-serialization (§4.1, §9.2)
    const B = BigInt(m.tree.arity) ** BigInt(m.tree.batch_depth);
    const re = {
        format: "zkpor/1",
        id: m.id,
        issuer: { name: m.issuer.name, url: m.issuer.url },
        as_of: m.as_of,
        assets: m.assets.map((a) => {
            const o = { symbol: a.symbol, decimals: a.decimals, liabilities: a.liabilities.toString(), liabilities_amount: formatUnits(a.liabilities, a.decimals) };
            if (a.reserves !== undefined) {
                o.reserves = a.reserves.toString();
                o.reserves_amount = formatUnits(a.reserves, a.decimals);
                o.ratio = coverageRatio(a.reserves, a.liabilities);
            }
            return o;
        }),
        tree: {
            arity: BigInt(m.tree.arity),
            batch_depth: BigInt(m.tree.batch_depth),
            top_depth: m.tree.top_depth,
            batch_size: B,
            batches: m.tree.batches,
            leaves: m.tree.batches * B,
            root: m.tree.root.toString(),
        },
        accumulator: {
            initial: m.accumulator.initial.toString(),
            final: m.accumulator.final.toString(),
            final_totals: m.accumulator.final_totals.map(String),
            final_blind: m.accumulator.final_blind.toString(),
        },
        circuit: { id: m.circuit.id, constraints: m.circuit.constraints },
        setup: { kind: m.setup.kind, statement: m.setup.statement },
        software: { name: "zkpor", version: m.software.version },
        files: { ...m.files },
        ...(m.bundles
            ? {
                  bundles: {
                      bucket_bits: BigInt(m.bundles.bucket_bits),
                      record_size: BigInt(m.bundles.record_size),
                      records_per_bucket: BigInt(m.bundles.records_per_bucket),
                      run_salt: m.bundles.run_salt,
                  },
              }
            : {}),
        ...(m.segregation ? { segregation: segregationJson(m.segregation, m.assets) } : {}),
        ...(m.cosigners ? { cosigners: m.cosigners.map((c) => ({ name: c.name, scheme: c.scheme, key: c.key })) } : {}),
    };
    const d = jsonDiff(re, doc);
    if (d) fail("Malformed", `attestation.json differs from its re-serialization: ${d}`);
    // §10.7: the canonical manifest digest is over the accepted manifest, which equals `re`
    m.canonicalDigest = hex(sha256(utf8(canonicalJSON(re, true))));
    m.tree.B = Number(B);
    m.tree.batches = Number(m.tree.batches);
    m.tree.top_depth = Number(m.tree.top_depth);
    return m;
}

// ---------------------------------------------------------------- codes and bundles (§11)
function parseBundle(pt, manifest) {
    // §11.5: canonical bytes of the parsed values followed by spaces only
    let end = pt.length;
    while (end > 0 && pt[end - 1] === 0x20) end--;
    const doc = parseStrictJSON(pt.slice(0, end), "bundle");
    const K = "Bundle";
    const keys = ["attestation", "balances", "batch", "leaf", "leaf_hash", "path", "salt", "user_id", "v"];
    onlyKeys(doc, keys, "bundle");
    for (const k of keys) need(doc, k, "bundle");
    if (doc.v !== 1n) fail(K, "bundle: v is not 1");
    if (typeof doc.attestation !== "string" || typeof doc.user_id !== "string") fail(K, "bundle: attestation/user_id not strings");
    if (!Array.isArray(doc.balances) || !Array.isArray(doc.path)) fail(K, "bundle: balances/path not lists");
    const b = {
        v: 1n,
        attestation: doc.attestation,
        user_id: doc.user_id,
        salt: decLoose(doc.salt, 80, "salt"),
        balances: doc.balances.map((x, i) => decLoose(x, 80, `balances[${i}]`)),
        leaf: intIn(doc.leaf, 0, null, "leaf"),
        batch: intIn(doc.batch, 0, null, "batch"),
        leaf_hash: decLoose(doc.leaf_hash, 80, "leaf_hash"),
        path: doc.path.map((l, i) => {
            if (!Array.isArray(l)) fail(K, `path[${i}]: not a list`);
            return l.map((x, j) => decLoose(x, 80, `path[${i}][${j}]`));
        }),
    };
    if (b.salt >= R || b.leaf_hash >= R || b.path.some((l) => l.some((x) => x >= R))) fail(K, "bundle: a field element is not below r");
    if (b.balances.some((x) => x >= 1n << 64n)) fail(K, "bundle: a balance is not below 2^64");
    const canon = {
        attestation: b.attestation,
        balances: b.balances.map(String),
        batch: b.batch,
        leaf: b.leaf,
        leaf_hash: b.leaf_hash.toString(),
        path: b.path.map((l) => l.map(String)),
        salt: b.salt.toString(),
        user_id: b.user_id,
        v: 1n,
    };
    const bytes = utf8(canonicalJSON(canon));
    if (!bytesEq(bytes, pt.slice(0, end))) fail(K, "bundle plaintext is not canonical");
    if (b.attestation !== manifest.id) fail(K, "bundle is for another attestation");
    b.leaf = Number(b.leaf);
    b.batch = Number(b.batch);
    return b;
}
function openBundle(read, manifest, code) {
    const info = manifest.bundles;
    if (!info) fail("NoBundles", "the attestation has no per-user bundles");
    if (info.record_size <= 32) fail("Unreadable", "malformed layout (record_size <= 32)");
    const { lookup, key, nonce } = derive(code, manifest.id, unhex(info.run_salt));
    const name = bucketName(bucketIndex(lookup, info.bucket_bits), info.bucket_bits);
    let bucket;
    try {
        bucket = read(name);
    } catch {
        fail("NoBundle", `no bundle for this code (${name} not found)`);
    }
    if (bucket.length !== info.records_per_bucket * info.record_size) fail("Unreadable", "could not be decrypted: damaged or tampered with (bucket size)");
    const found = [];
    for (let o = 0; o < bucket.length; o += info.record_size) {
        const rec = bucket.slice(o, o + info.record_size);
        if (bytesEq(rec.slice(0, 16), lookup)) found.push(rec);
    }
    if (!found.length) fail("NoBundle", "no bundle for this code");
    if (found.length > 1) fail("Unreadable", "could not be decrypted: damaged or tampered with (two records)");
    let pt;
    try {
        pt = sodium.crypto_secretbox_open_easy(found[0].slice(16), nonce, key);
    } catch {
        fail("Unreadable", "could not be decrypted: damaged or tampered with");
    }
    if (pt.length !== info.record_size - 32) fail("Unreadable", "could not be decrypted: damaged or tampered with (size)");
    let bundle;
    try {
        bundle = parseBundle(pt, manifest);
    } catch (e) {
        fail("Unreadable", `could not be decrypted: damaged or tampered with (${e.message})`);
    }
    return { bundle, bucketName: name, bucketBytes: bucket, plaintext: pt, lookup };
}

// ---------------------------------------------------------------- reserves (§9.6, §10, §10.6), secp256k1 not verified
function checkReserves(read, m) {
    // returns {status, detail}
    const declared = m.assets.some((a) => a.reserves !== undefined);
    if (!declared && !("reserves.json" in m.files)) {
        // §10.6 "and conversely": a segregation section needs wallets with roles (ambiguous in §12.1 step 8)
        if (m.segregation) fail("Reserves", "the manifest has a segregation section but declares no reserves");
        return { status: "OK", detail: "liabilities only" };
    }
    if (!m.assets.every((a) => a.reserves !== undefined)) fail("Reserves", "not every asset declares reserves");
    if (!("reserves.json" in m.files)) fail("Reserves", "reserves.json is not listed");
    const doc = parseStrictJSON(read("reserves.json"), "reserves.json");
    const bySym = new Map(m.assets.map((a) => [a.symbol, a]));
    const { wallets, roles } = parseReservesJson(doc, m, bySym);
    if (roles && !m.segregation) fail("Reserves", "reserves.json's wallets have roles but the manifest has no segregation section");
    if (!roles && m.segregation) fail("Reserves", "the manifest has a segregation section but reserves.json's wallets have no roles");
    const seen = new Map(); // canonical key -> role
    const unchecked = [];
    let verified = 0;
    for (const w of wallets) {
        const wh = `wallets[${w.index}]`;
        // §10.5: the role is checked before the address
        if (roles) {
            const problem = roleProblem(w, m);
            if (problem) fail("Reserves", `${wh} (${w.chain} ${w.address}): ${problem}`);
        }
        const msg = reserveMessage(m.id, w);
        const { key, verify } = walletKey(w, msg, unchecked);
        if (seen.has(key)) {
            const before = seen.get(key);
            if (before !== w.role) fail("Reserves", `${wh}: wallet ${w.chain} ${w.address} declared in two roles (${before}, ${w.role})`);
            fail("Reserves", `${wh}: wallet ${w.chain} ${w.address} counted twice`);
        }
        seen.set(key, w.role);
        const before = unchecked.length;
        verify();
        if (unchecked.length === before) verified++;
    }
    const sums = roleSums(wallets);
    for (const a of m.assets) {
        const got = sums.get(`${CUSTOMER} ${a.symbol}`) ?? 0n;
        if (got !== a.reserves) fail("Reserves", `${a.symbol}: ${roles ? "customer" : "signed"} wallets sum to ${got}, manifest says ${a.reserves}`);
    }
    if (roles) checkSegregation(m, wallets, sums);
    for (const a of m.assets) if (a.reserves < a.liabilities) fail("Reserves", `${a.symbol}: reserves below liabilities`);
    const under = (m.segregation?.wrapped ?? []).filter((t) => !isBacked(t.collateral, t.originDecimals, t.supply, t.decimals));
    if (under.length) {
        const say = (t) => `wrapped token ${t.symbol} is under-backed: collateral ${formatUnits(t.collateral, t.originDecimals)} ${t.origin} < issued supply ${formatUnits(t.supply, t.decimals)} ${t.symbol} (ratio ${backingRatio(t.collateral, t.originDecimals, t.supply, t.decimals)}; required 1:1)`;
        fail("Reserves", under.map(say).join("; "));
    }
    const what = roles ? `roles, per-role sums (${m.segregation.wrapped.length} wrapped token(s) backed 1:1)` : "sums";
    if (unchecked.length)
        return {
            status: "SKIPPED",
            detail: `parsing, attestation id, ${what}, per-asset coverage and ${verified} Ed25519 signature(s) OK; secp256k1 signatures NOT checked by this implementation: ${unchecked.join("; ")}`,
        };
    return { status: "OK", detail: `all ${wallets.length} wallets verified; ${what} and per-asset coverage OK` };
}

// ---------------------------------------------------------------- step runner
const steps = [];
function record(check, n, name, status, detail) {
    steps.push({ check, n, name, status, detail });
    console.log(`${status} ${check} ${n} ${name}: ${detail}`);
}
async function step(check, n, name, deps, fn) {
    const missing = deps.filter((d) => !d.ok);
    if (missing.length) {
        record(check, n, name, "SKIPPED", `depends on failed step(s): ${missing.map((d) => d.label).join(", ")}`);
        return { ok: false, label: `${check} ${n}` };
    }
    try {
        const r = await fn();
        const res = typeof r === "string" ? { status: "OK", detail: r } : r;
        record(check, n, name, res.status, res.detail);
        return { ok: res.status !== "FAIL", label: `${check} ${n}`, value: res.value };
    } catch (e) {
        record(check, n, name, "FAIL", e instanceof VErr ? `${e.kind}: ${e.message}` : `error: ${e.stack || e}`);
        return { ok: false, label: `${check} ${n}` };
    }
}

// ---------------------------------------------------------------- §12.1 the reviewer's check
async function reviewerCheck(dir) {
    const read = makeReader(dir);
    const C = "reviewer";
    const st = {};
    const s1 = await step(C, 1, "manifest and file hashes", [], () => {
        const raw = read("attestation.json");
        st.manifestDigest = hex(sha256(raw));
        st.m = parseManifest(parseStrictJSON(raw, "attestation.json"));
        for (const f of ["vk.json", "proofs.json", "tree.json"]) if (!(f in st.m.files)) fail("Malformed", `files does not list ${f}`);
        for (const [name, h] of Object.entries(st.m.files)) {
            const got = hex(sha256(read(name)));
            if (got !== h) fail("HashMismatch", `${name}: SHA-256 ${got}, listed ${h}`);
        }
        return `manifest digest ${st.manifestDigest}; ${Object.keys(st.m.files).length} listed files hashed`;
    });
    const m = () => st.m;
    const s2 = await step(C, 2, "verification key", [s1], () => {
        st.vk = parseVk(parseStrictJSON(read("vk.json"), "vk.json"));
        if (st.vk.nPublic !== 3) fail("MalformedKey", `nPublic ${st.vk.nPublic} is not 3`);
        return "snarkjs groth16 bn128 key, 3 public inputs";
    });
    // proofs.json parsing is needed by steps 3, 4, 5; it is part of step 3 in the spec.
    const proofsParsed = { ok: false, label: `${C} 3 (proofs.json)` };
    const s3 = await step(C, 3, "batch proofs", [s1, s2], async () => {
        if (m().tree.batches < 1) fail("Malformed", "tree.batches is 0");
        st.entries = parseProofsJson(parseStrictJSON(read("proofs.json"), "proofs.json"), m().tree.batches);
        proofsParsed.ok = true;
        for (const e of st.entries) await verifyGroth16(st.vk, e.publicRaw, e.proof, `proofs.json[${e.batch}]`);
        return `${st.entries.length} batch proofs verify (one by one)`;
    });
    if (!s2.ok && s1.ok) {
        // the key failed: still parse proofs.json so that steps 4 and 5 can run
        try {
            if (m().tree.batches >= 1) {
                st.entries = parseProofsJson(parseStrictJSON(read("proofs.json"), "proofs.json"), m().tree.batches);
                proofsParsed.ok = true;
            }
        } catch {
            /* reported by step 3 being skipped */
        }
    }
    await step(C, 4, "accumulator chain", [s1, proofsParsed], () => {
        const A = m().assets.length;
        if (A < 1 || A > 28) fail("Chain", `${A} assets, not in 1..28`);
        const acc = m().accumulator;
        if (acc.final_totals.length !== A) fail("Chain", `${acc.final_totals.length} final totals for ${A} assets`);
        const a0 = acc0(A);
        if (acc.initial !== a0) fail("Chain", `accumulator.initial is not acc_0 = ${a0}`);
        const e = st.entries;
        if (e[0].public[1] !== a0) fail("Chain", "acc_in of batch 0 is not acc_0");
        for (let j = 0; j + 1 < e.length; j++) if (e[j + 1].public[1] !== e[j].public[2]) fail("Chain", `acc_in of batch ${j + 1} is not acc_out of batch ${j}`);
        if (e[e.length - 1].public[2] !== acc.final) fail("Chain", "acc_out of the last batch is not accumulator.final");
        if (accOf(acc.final_totals, acc.final_blind) !== acc.final) fail("Chain", "acc(final_totals, final_blind) is not accumulator.final");
        return `acc_0 -> ${e.length} batches -> final opens to the published totals`;
    });
    await step(C, 5, "tree", [s1, proofsParsed], () => {
        const tj = parseTreeJson(parseStrictJSON(read("tree.json"), "tree.json"));
        const t = m().tree;
        if (tj.arity !== t.arity) fail("Tree", `tree.json arity ${tj.arity} is not the manifest's ${t.arity}`);
        const dt = topDepthFor(t.batches, t.arity);
        if (t.top_depth !== dt) fail("Tree", `tree.top_depth ${t.top_depth} is not top_depth_for(${t.batches}, ${t.arity}) = ${dt}`);
        const want = topLevels(st.entries.map((e) => e.public[0]), t.arity, dt);
        const d = jsonDiff(want.map((l) => l.map(String)), tj.levels.map((l) => l.map(String)), "levels");
        if (d) fail("Tree", `tree.json levels are not the top of the tree over the proven batch roots: ${d}`);
        const last = tj.levels[tj.levels.length - 1];
        if (last.length !== 1 || last[0] !== t.root) fail("Tree", "the last level is not [tree.root]");
        return `${t.batches} batch roots -> ${dt} levels -> root ${t.root}`;
    });
    await step(C, 6, "totals", [s1], () => {
        const m_ = m();
        if (m_.accumulator.final_totals.length !== m_.assets.length) fail("Totals", "final_totals has not one value per asset");
        m_.assets.forEach((a, i) => {
            if (a.liabilities !== m_.accumulator.final_totals[i]) fail("Totals", `${a.symbol}: liabilities ${a.liabilities} are not the proven total ${m_.accumulator.final_totals[i]}`);
        });
        return m_.assets.map((a) => `${a.symbol} ${formatUnits(a.liabilities, a.decimals)}`).join(", ");
    });
    await step(C, 7, "bundle files", [s1], () => {
        const b = m().bundles;
        if (!b) return { status: "OK", detail: "no bundles" };
        if (!("bundles/SHA256SUMS" in m().files)) fail("Bundles", "bundles/SHA256SUMS is not listed");
        const sums = parseSums(read("bundles/SHA256SUMS"));
        const want = [];
        for (let i = 0; i < 2 ** b.bucket_bits; i++) want.push(bucketName(i, b.bucket_bits));
        if (jsonDiff([...want].sort(), [...sums.keys()].sort())) fail("Bundles", "the listed buckets are not exactly the 2^bucket_bits bucket names");
        want.forEach((name, i) => {
            const bytes = read(name);
            if (bytes.length !== b.records_per_bucket * b.record_size) fail("Bundles", `${name}: ${bytes.length} bytes, not records_per_bucket * record_size`);
            if (hex(sha256(bytes)) !== sums.get(name)) fail("Bundles", `${name}: SHA-256 differs from SHA256SUMS`);
            let prev = null;
            for (let o = 0; o < bytes.length; o += b.record_size) {
                const lk = bytes.slice(o, o + 16);
                if (bucketIndex(lk, b.bucket_bits) !== i) fail("Bundles", `${name}: a record's lookup is in another bucket`);
                if (prev && cmpBytes(prev, lk) >= 0) fail("Bundles", `${name}: lookups not strictly increasing`);
                prev = lk;
            }
        });
        return `${want.length} bucket(s) of ${b.records_per_bucket} records of ${b.record_size} bytes`;
    });
    await step(C, 8, "reserves", [s1], () => checkReserves(read, m()));
    await step(C, 9, "trusted setup", [s1], () => {
        const listed = "ceremony/transcript.json" in m().files;
        if (m().setup.kind === "ceremony" && !listed) fail("Setup", "setup.kind is ceremony but ceremony/transcript.json is not listed");
        if (m().setup.kind === "insecure-dev" && listed) fail("Setup", "setup.kind is insecure-dev but ceremony/transcript.json is listed");
        if (m().setup.kind === "insecure-dev") fail("Setup", "development setup (not accepted)");
        if (m().setup.kind !== "ceremony") fail("Setup", `unknown setup kind ${m().setup.kind}`);
        return { status: "SKIPPED", detail: "listing rule OK; ceremony transcript (§8.5-§8.7) not verified by this implementation" };
    });
    await step(C, 10, "co-signatures", [s1], () => checkCosignatures(read, m()));
    return { read, st };
}

// ---------------------------------------------------------------- §12.2 the account holder's check
async function userCheck(dir, typed) {
    const C = `user[${typed}]`;
    let code;
    const s0 = await step(C, 0, "code", [], () => {
        code = parseCode(typed);
        return "well formed";
    });
    if (!s0.ok) {
        for (const [n, name] of [[1, "bundle"], [2, "leaf"], [3, "path to batch root"], [4, "batch root in the published tree"], [5, "batch proofs"], [6, "accumulator chain"], [7, "trusted setup"]]) {
            record(C, n, name, "SKIPPED", "malformed code");
        }
        return;
    }
    const read = makeReader(dir);
    const st = {};
    const s1 = await step(C, 1, "bundle", [], () => {
        st.m = parseManifest(parseStrictJSON(read("attestation.json"), "attestation.json"));
        const m = st.m;
        if (!m.bundles) fail("NoBundles", "the manifest has no bundles");
        const before = read.reads.length;
        const o = openBundle(read, m, code);
        if (read.reads.length - before !== 1) fail("Bundle", "not exactly one bucket file was read");
        if (!("bundles/SHA256SUMS" in m.files)) fail("Bundle", "bundles/SHA256SUMS is not listed");
        const sumsBytes = read("bundles/SHA256SUMS");
        if (hex(sha256(sumsBytes)) !== m.files["bundles/SHA256SUMS"]) fail("Bundle", "bundles/SHA256SUMS does not have its listed hash");
        const sums = parseSums(sumsBytes);
        if (sums.get(o.bucketName) !== hex(sha256(o.bucketBytes))) fail("Bundle", `${o.bucketName} is not listed in SHA256SUMS with the hash of the bytes read`);
        const b = o.bundle;
        const t = m.tree;
        if (b.balances.length !== m.assets.length) fail("Bundle", `${b.balances.length} balances for ${m.assets.length} assets`);
        if (!(b.batch < t.batches)) fail("Bundle", `batch ${b.batch} >= batches`);
        if (!(b.batch * t.B <= b.leaf && b.leaf < (b.batch + 1) * t.B)) fail("Bundle", `leaf ${b.leaf} is not in batch ${b.batch}`);
        if (b.path.length !== t.batch_depth + t.top_depth) fail("Bundle", `path has ${b.path.length} levels, not d_b + d_t`);
        if (b.path.some((l) => l.length !== t.arity - 1)) fail("Bundle", "a path level does not have k - 1 siblings");
        st.b = b;
        return `user ${JSON.stringify(b.user_id)}, leaf ${b.leaf} in batch ${b.batch} (${o.bucketName})`;
    });
    const s2 = await step(C, 2, "leaf", [s1], () => {
        const A = st.m.assets.length;
        if (A < 1 || A > 28) fail("Leaf", `${A} assets`);
        const leaf = leafOf(idcOf(uidOf(st.b.user_id), st.b.salt), st.b.balances);
        if (leaf !== st.b.leaf_hash) fail("Leaf", "the recomputed leaf is not the bundle's leaf_hash");
        return "H(2, H(1, uid, salt), balances) = leaf_hash";
    });
    const proofsOk = { ok: false, label: `${C} 3 (proofs.json)` };
    const s3 = await step(C, 3, "path to batch root", [s1, s2], () => {
        const m = st.m;
        if (!("proofs.json" in m.files)) fail("Path", "proofs.json is not listed");
        const raw = read("proofs.json");
        if (hex(sha256(raw)) !== m.files["proofs.json"]) fail("Path", "proofs.json does not have its listed hash");
        st.entries = parseProofsJson(parseStrictJSON(raw, "proofs.json"), m.tree.batches);
        proofsOk.ok = true;
        const root = hashUp(st.b.leaf_hash, st.b.leaf, st.b.path.slice(0, m.tree.batch_depth), m.tree.arity);
        if (root !== st.entries[st.b.batch].public[0]) fail("Path", "the path does not lead to the root of the proven batch");
        st.batchRoot = root;
        return `leaf -> batch root ${root}`;
    });
    await step(C, 4, "batch root in the published tree", [s3], () => {
        const m = st.m;
        const t = m.tree;
        if (!("tree.json" in m.files)) fail("Tree", "tree.json is not listed");
        const raw = read("tree.json");
        if (hex(sha256(raw)) !== m.files["tree.json"]) fail("Tree", "tree.json does not have its listed hash");
        const tj = parseTreeJson(parseStrictJSON(raw, "tree.json"));
        if (tj.arity !== t.arity) fail("Tree", "tree.json arity differs");
        if (t.top_depth !== topDepthFor(t.batches, t.arity)) fail("Tree", "top_depth is not top_depth_for(batches, arity)");
        if (tj.levels.length !== t.top_depth + 1) fail("Tree", "tree.json does not have d_t + 1 levels");
        tj.levels.forEach((l, i) => {
            if (l.length !== t.arity ** (t.top_depth - i)) fail("Tree", `tree.json level ${i} does not have k^(d_t - ${i}) nodes`);
        });
        if (tj.levels[0][st.b.batch] !== st.entries[st.b.batch].public[0]) fail("Tree", "levels[0][batch] is not the proven batch root");
        let lvl = 0;
        const top = hashUp(st.batchRoot, st.b.batch, st.b.path.slice(t.batch_depth), t.arity, (node, idx) => {
            lvl++;
            if (tj.levels[lvl][Number(idx)] !== node) fail("Tree", `node at level ${lvl} differs from tree.json`);
        });
        if (top !== t.root) fail("Tree", "the path does not lead to tree.root");
        return `batch ${st.b.batch} -> root ${t.root}`;
    });
    const s5 = await step(C, 5, "batch proofs", [s1, proofsOk], async () => {
        const m = st.m;
        if (!("vk.json" in m.files)) fail("Proofs", "vk.json is not listed");
        const raw = read("vk.json");
        if (hex(sha256(raw)) !== m.files["vk.json"]) fail("Proofs", "vk.json does not have its listed hash");
        const vk = parseVk(parseStrictJSON(raw, "vk.json"));
        if (vk.nPublic !== 3) fail("Proofs", "nPublic is not 3");
        const N = m.tree.batches;
        const others = [...Array(N).keys()].filter((j) => j !== st.b.batch);
        const samples = 3;
        let chosen = others;
        if (others.length > samples) {
            chosen = [];
            const pool = [...others];
            while (chosen.length < samples) chosen.push(pool.splice(randomInt(pool.length), 1)[0]);
        }
        for (const j of [st.b.batch, ...chosen]) await verifyGroth16(vk, st.entries[j].publicRaw, st.entries[j].proof, `proofs.json[${j}]`);
        st.allVerified = chosen.length === others.length;
        return `the user's batch and ${chosen.length} other(s) verify${st.allVerified ? " (all batches)" : ""}`;
    });
    await step(C, 6, "accumulator chain", [s1, proofsOk], () => {
        const m = st.m;
        const A = m.assets.length;
        const acc = m.accumulator;
        if (A < 1 || A > 28 || acc.final_totals.length !== A) fail("Chain", "asset count");
        const a0 = acc0(A);
        if (acc.initial !== a0) fail("Chain", "accumulator.initial is not acc_0");
        const e = st.entries;
        if (e[0].public[1] !== a0) fail("Chain", "acc_in of batch 0 is not acc_0");
        for (let j = 0; j + 1 < e.length; j++) if (e[j + 1].public[1] !== e[j].public[2]) fail("Chain", `acc_in of batch ${j + 1} is not acc_out of batch ${j}`);
        if (e[e.length - 1].public[2] !== acc.final) fail("Chain", "last acc_out is not accumulator.final");
        if (accOf(acc.final_totals, acc.final_blind) !== acc.final) fail("Chain", "final does not open to final_totals");
        m.assets.forEach((a, i) => {
            if (a.liabilities !== acc.final_totals[i]) fail("Chain", `${a.symbol}: liabilities are not the proven total`);
        });
        const proven = s5.ok && st.allVerified;
        return `chain OK; liabilities ${proven ? "proven (every batch proof verified in this run)" : "NOT proven: not every batch proof was verified in this run"}`;
    });
    await step(C, 7, "trusted setup", [s1], () => {
        const listed = "ceremony/transcript.json" in st.m.files;
        if (st.m.setup.kind === "ceremony" && !listed) fail("Setup", "setup.kind is ceremony but ceremony/transcript.json is not listed");
        if (st.m.setup.kind === "insecure-dev" && listed) fail("Setup", "setup.kind is insecure-dev but ceremony/transcript.json is listed");
        if (st.m.setup.kind !== "ceremony") fail("Setup", `setup kind ${st.m.setup.kind} fails`);
        return { status: "SKIPPED", detail: "listing rule OK; ceremony transcript not verified by this implementation" };
    });
    if (st.b && steps.filter((s) => s.check === C).every((s) => s.status !== "FAIL")) {
        console.log(
            `# ${C}: user ${JSON.stringify(st.b.user_id)}: ` +
                st.m.assets.map((a, i) => `${a.symbol} ${st.b.balances[i]} units = ${formatUnits(st.b.balances[i], a.decimals)}`).join(", ") +
                " -- compare with your own records",
        );
    }
}

// ---------------------------------------------------------------- --vectors
async function vectorsMode() {
    const load = (f) => JSON.parse(readFileSync(path.join(VECTORS, f), "utf8"));
    const C = "vectors";
    let n = 0;
    const check = async (name, fn) => step(C, ++n, name, [], fn);
    const big = (s) => BigInt(s);
    const eq = (got, want, what) => {
        if (String(got) !== String(want)) fail("Mismatch", `${what}: got ${got}, want ${want}`);
    };
    const prim = load("primitives.json");
    const circ = await buildPoseidonReference();

    await check("constants r, p, tags (§3.1, §3.6)", () => {
        eq(R, prim.r, "r");
        eq(P, prim.p, "p");
        for (const [k, v] of Object.entries(prim.tags)) eq(TAG[k], v, `tag ${k}`);
        // b' = 3 / (9 + u)
        const b = f2.mul([3n, 0n], f2.inv([9n, 1n]));
        eq(b.join(","), B_TWIST.join(","), "b' = 3/(9+u)");
        if (!g2OnCurve({ ...G2GEN, inf: false }) || !g2MulIsInfinity(G2GEN, R)) fail("Mismatch", "G2 generator not in G2");
        return "r, p, tags, b' and the G2 generator agree";
    });
    await check("Poseidon constants from the Grain LFSR (§3.4) and their SHA-256", () => {
        const doc = {};
        for (let t = 2; t <= 17; t++) {
            const { C: Cc, M, RP } = constants(t);
            const hx = (v) => "0x" + v.toString(16);
            doc[String(t)] = { full_rounds: 8n, partial_rounds: BigInt(RP), round_constants: Cc.map(hx), mds: M.map((r) => r.map(hx)) };
        }
        const variants = {};
        for (const [nm, pad] of [["minimal hex", (v) => v], ["64-digit hex", (v) => "0x" + v.slice(2).padStart(64, "0")]]) {
            const d2 = {};
            for (const [t, o] of Object.entries(doc)) d2[t] = { ...o, round_constants: o.round_constants.map(pad), mds: o.mds.map((r) => r.map(pad)) };
            const txt = pyIndentJSON(d2);
            variants[`${nm}, no newline`] = hex(sha256(utf8(txt)));
            variants[`${nm}, trailing newline`] = hex(sha256(utf8(txt + "\n")));
        }
        const hit = Object.entries(variants).find(([, h]) => h === POSEIDON_CONSTANTS_SHA256);
        eq(prim.poseidon_constants_sha256, POSEIDON_CONSTANTS_SHA256, "poseidon_constants_sha256 in primitives.json vs §3.4");
        if (!hit) fail("Mismatch", `no serialization of the generated constants has SHA-256 ${POSEIDON_CONSTANTS_SHA256}: ${JSON.stringify(variants)}`);
        return `generated constants for t = 2..17 hash to the published SHA-256 (serialized as ${hit[0]}, sort_keys, indent=1)`;
    });
    await check("Poseidon known answers and circomlibjs cross-check (§3.4)", () => {
        eq(H(1n, 2n), big("0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"), "H(1, 2) known answer of §3.4");
        for (const v of prim.poseidon) eq(H(...v.inputs.map(big)), v.hash, `H(${v.inputs})`);
        for (let n = 1; n <= 16; n++) {
            const xs = Array.from({ length: n }, (_, i) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n * BigInt(n)) % R);
            eq(H(...xs), circ.F.toObject(circ(xs)), `H of ${n} inputs vs circomlibjs`);
        }
        return `${prim.poseidon.length} vectors; 1..16 inputs agree with circomlibjs poseidon_reference`;
    });
    await check("uid, idc, packing, leaves, padding leaf (§5.1-§5.3)", () => {
        for (const u of prim.user_ids) {
            eq(hex(utf8(u.user_id)), u.utf8_hex, "utf8");
            eq(hex(sha256(utf8(u.user_id))), u.sha256_hex, "sha256");
            eq(uidOf(u.user_id), u.uid, `uid(${u.user_id})`);
        }
        const ic = prim.id_commitment;
        eq(idcOf(big(ic.uid), big(ic.salt)), ic.idc, "idc");
        for (const l of prim.leaves) {
            const bs = l.balances.map(big);
            eq(packBalances(bs).join(","), l.packed.join(","), "packed");
            eq(leafOf(big(l.idc), bs), l.leaf, "leaf");
        }
        const pl = prim.padding_leaf;
        const pidc = idcOf(0n, big(pl.salt));
        eq(pidc, pl.idc, "padding idc");
        eq(leafOf(pidc, Array(pl.n_assets).fill(0n)), pl.leaf, "padding leaf");
        return `${prim.user_ids.length} uids, ${prim.leaves.length} leaves (1..28 assets), padding leaf`;
    });
    await check("nodes, accumulators, top of the tree (§5.4, §5.5, §5.7)", () => {
        for (const nd of prim.nodes) eq(nodeOf(nd.children.map(big)), nd.node, `node of ${nd.children.length}`);
        for (const a of prim.accumulators) {
            const T = a.totals.map(big);
            eq(packTotals(T).join(","), a.packed.join(","), "packed totals");
            eq(accOf(T, big(a.blind)), a.acc, "acc");
            eq(acc0(T.length), a.initial, "acc_0");
        }
        const tt = prim.top_of_tree;
        eq(topDepthFor(tt.batch_roots.length, tt.arity), tt.top_depth, "top_depth");
        const lv = topLevels(tt.batch_roots.map(big), tt.arity, tt.top_depth);
        eq(JSON.stringify(lv.map((l) => l.map(String))), JSON.stringify(tt.levels), "levels");
        return `${prim.nodes.length} nodes, ${prim.accumulators.length} accumulators, a top with an empty slot`;
    });
    await check("inputs that must fail (§3.4, §5.1)", () => {
        for (const mf of prim.must_fail) {
            const vals = mf.values.map(big);
            const fn = { pack_balances: () => packBalances(vals), pack_totals: () => packTotals(vals), poseidon: () => H(...vals) }[mf.what];
            let threw = false;
            try {
                fn();
            } catch (e) {
                if (!(e instanceof VErr)) throw e;
                threw = true;
            }
            if (!threw) fail("Mismatch", `${mf.what}(${mf.why}) was accepted`);
        }
        return `${prim.must_fail.length} rejected`;
    });
    await check("merkle.json: batch roots, top levels, the path of a leaf (§5.4-§5.6)", () => {
        const mk = load("merkle.json");
        const k = mk.arity;
        const B = k ** mk.batch_depth;
        const leaves = mk.leaves.map(big);
        const roots = [];
        for (let j = 0; j < leaves.length; j += B) roots.push(subtreeRoot(leaves.slice(j, j + B), k));
        eq(roots.join(","), mk.batch_roots.join(","), "batch roots");
        eq(topDepthFor(roots.length, k), mk.top_depth, "top_depth");
        const lv = topLevels(roots, k, mk.top_depth);
        eq(JSON.stringify(lv.map((l) => l.map(String))), JSON.stringify(mk.top_levels), "top levels");
        eq(lv[mk.top_depth][0], mk.root, "root");
        const padded = [...leaves, ...Array(B * k ** mk.top_depth - leaves.length).fill(null)];
        // path: inside the batch from the leaves, above it from the top levels
        const inBatch = siblingPath(leaves.slice(mk.batch * B, mk.batch * B + B), mk.leaf_index % B, k);
        const above = siblingPath(lv[0], mk.batch, k);
        eq(JSON.stringify([...inBatch, ...above].map((l) => l.map(String))), JSON.stringify(mk.path), "path");
        void padded;
        const pth = mk.path.map((l) => l.map(big));
        const br = hashUp(leaves[mk.leaf_index], mk.leaf_index, pth.slice(0, mk.batch_depth), k);
        eq(br, mk.batch_roots[mk.batch], "hash_up to the batch root");
        eq(hashUp(br, mk.batch, pth.slice(mk.batch_depth), k), mk.root, "hash_up to the root");
        return `arity ${k}, ${roots.length} batches, path of leaf ${mk.leaf_index}`;
    });
    const cd = load("codes.json");
    await check("codes: display and parsing (§11.1)", () => {
        for (const d of cd.display) {
            eq(displayCode(unhex(d.bytes)), d.code, "display");
            eq(hex(parseCode(d.code)), d.bytes, "parse");
        }
        for (const d of cd.display_v1) {
            eq(displayCodeV1(unhex(d.bytes)), d.code, "display (first format)");
            eq(hex(parseCode(d.code)), d.bytes, "parse (first format)");
        }
        for (const d of cd.parse_equivalent) eq(hex(parseCode(d.typed)), d.bytes, `parse ${JSON.stringify(d.typed)}`);
        for (const d of cd.parse_rejected) {
            let threw = false;
            try {
                parseCode(d.typed);
            } catch (e) {
                if (!(e instanceof VErr)) throw e;
                threw = true;
            }
            if (!threw) fail("Mismatch", `code ${d.typed} (${d.why}) accepted`);
        }
        return `${cd.display.length} displayed, ${cd.parse_equivalent.length} spellings, ${cd.parse_rejected.length} rejected`;
    });
    await check("BLAKE2b (RFC 7693) cross-checked against libsodium (§3.5)", () => {
        for (const len of [0, 3, 127, 128, 129, 300]) {
            const msg = Uint8Array.from({ length: len }, (_, k) => (k * 7 + 1) & 255);
            for (const klen of [0, 16, 32, 64]) {
                const key = Uint8Array.from({ length: klen }, (_, k) => (k * 13 + 5) & 255);
                for (const d of [16, 24, 32, 64]) eq(hex(blake2b(msg, d, key)), hex(sodium.crypto_generichash(d, msg, klen ? key : null)), `blake2b len=${len} key=${klen} d=${d}`);
            }
        }
        const key = unhex("00112233445566778899aabbccddeeff");
        const saltB = unhex("0f0e0d0c0b0a09080706050403020100");
        const pers = new Uint8Array(16);
        pers.set(new TextEncoder().encode("zkpor-lookup"));
        eq(hex(blake2b(new Uint8Array(0), 32, key, "zkpor-lookup", saltB)), hex(sodium.crypto_generichash_blake2b_salt_personal(32, key, saltB, pers)), "salt+personal");
        return "keyed, personalized BLAKE2b agrees with libsodium";
    });
    await check("codes: derived codes, aid, lookup, key, nonce, buckets (§11.2-§11.4)", () => {
        for (const d of cd.derived_codes) eq(hex(derivedCode(unhex(d.secret), d.user_id)), d.code, `derived code of ${d.user_id}`);
        const dv = cd.derive;
        const got = derive(unhex(dv.code), dv.attestation_id, unhex(dv.run_salt));
        for (const k of ["aid", "lookup", "key", "nonce"]) eq(hex(got[k]), dv[k], k);
        for (const [bits, idx] of Object.entries(dv.bucket_index)) eq(bucketIndex(got.lookup, Number(bits)), idx, `bucket_index bits=${bits}`);
        for (const [bits, name] of Object.entries(dv.bucket_name)) eq(bucketName(bucketIndex(got.lookup, Number(bits)), Number(bits)), name, `bucket_name bits=${bits}`);
        return "all derivations agree";
    });
    await check("codes: the sealed record (§11.4-§11.6)", () => {
        const s = cd.sealed;
        const dv = cd.derive;
        const bj = s.bundle_json;
        const canon = canonicalJSON({ ...bj, v: BigInt(bj.v), leaf: BigInt(bj.leaf), batch: BigInt(bj.batch) });
        const pt = new Uint8Array(s.plaintext_size).fill(0x20);
        pt.set(utf8(canon));
        eq(hex(pt), s.plaintext_hex, "plaintext");
        const { lookup, key, nonce } = derive(unhex(dv.code), dv.attestation_id, unhex(s.layout.run_salt));
        const box = sodium.crypto_secretbox_easy(pt, nonce, key);
        eq(hex(box), s.box_hex, "box");
        eq(hex(lookup) + hex(box), s.record_hex, "record");
        const manifest = { id: bj.attestation, bundles: s.layout };
        const o = openBundle((name) => {
            if (name !== "bundles/0.bin") fail("NoBundle", name);
            return unhex(s.record_hex);
        }, manifest, unhex(dv.code));
        eq(o.bundle.user_id, bj.user_id, "opened user_id");
        return "canonical plaintext, box and record reproduced; the record opens";
    });
    const g = load("groth16.json");
    await check("groth16: valid proofs verify (§7)", async () => {
        const vk = parseVk(parseStrictJSON(utf8(JSON.stringify(g.vk)), "groth16.json vk"));
        for (const [i, v] of g.valid.entries()) await verifyGroth16(vk, v.public, v.proof, `valid[${i}]`);
        const c0 = g.chain_of_batch_0;
        eq(accOf(c0.totals_in.map(big), big(c0.blind_in)), c0.acc_in, "acc_in");
        eq(accOf(c0.totals_out.map(big), big(c0.blind_out)), c0.acc_out, "acc_out");
        eq([c0.root, c0.acc_in, c0.acc_out].join(","), g.valid[0].public.join(","), "public inputs of batch 0");
        return `${g.valid.length} valid proofs verify; batch 0's public inputs recomputed`;
    });
    await check("groth16: every negative vector is rejected with the error named (§7.2, §7.3)", async () => {
        const vk = parseVk(parseStrictJSON(utf8(JSON.stringify(g.vk)), "groth16.json vk"));
        const out = [];
        for (const v of g.invalid) {
            let kind = null;
            try {
                await verifyGroth16(vk, v.public, v.proof, v.name);
            } catch (e) {
                if (!(e instanceof VErr)) throw e;
                kind = e.kind;
            }
            if (kind === null) fail("Mismatch", `negative vector "${v.name}" was ACCEPTED`);
            if (kind !== v.error) fail("Mismatch", `negative vector "${v.name}": rejected as ${kind}, the vector names ${v.error}`);
            out.push(v.name);
        }
        return `${out.length} rejected: ${out.join("; ")}`;
    });
    const ex = load("attestation_expected.json");
    const adir = path.join(VECTORS, "attestation");
    await check("attestation_expected: digest, uids, id commitments, leaves, chain, top (§5, §9.2)", () => {
        eq(hex(sha256(readFileSync(path.join(adir, "attestation.json")))), ex.manifest_digest, "manifest digest");
        const uids = ex.placement.map((u) => (u === null ? 0n : uidOf(u)));
        eq(uids.join(","), ex.uids.join(","), "uids");
        const idcs = uids.map((u, i) => idcOf(u, big(ex.salts[i])));
        eq(idcs.join(","), ex.id_commitments.join(","), "id commitments");
        const k = ex.shape.arity;
        const B = k ** ex.shape.batch_depth;
        for (const c of ex.chain) {
            eq(subtreeRoot(ex.leaves.slice(c.batch * B, c.batch * B + B).map(big), k), c.root, `root of batch ${c.batch}`);
            eq(accOf(c.totals_in.map(big), big(c.blind_in)), c.acc_in, `acc_in ${c.batch}`);
            eq(accOf(c.totals_out.map(big), big(c.blind_out)), c.acc_out, `acc_out ${c.batch}`);
        }
        const lv = topLevels(ex.chain.map((c) => big(c.root)), k, topDepthFor(ex.chain.length, k));
        eq(JSON.stringify(lv.map((l) => l.map(String))), JSON.stringify(ex.top_levels), "top levels");
        return `${uids.length} leaves, ${ex.chain.length} batches`;
    });
    await check("attestation_expected: users' codes, lookups and bundles (§11)", () => {
        const man = parseManifest(parseStrictJSON(new Uint8Array(readFileSync(path.join(adir, "attestation.json"))), "attestation.json"));
        const read = makeReader(adir);
        for (const u of ex.users) {
            const code = derivedCode(unhex(ex.code_secret), u.user_id);
            eq(displayCode(code), u.code, `code of ${u.user_id}`);
            const o = openBundle(read, man, parseCode(u.code));
            eq(hex(o.lookup), u.lookup, "lookup");
            eq(o.bucketName, u.bucket, "bucket");
            eq(hex(sha256(o.plaintext)), u.plaintext_sha256, "plaintext sha256");
            eq(o.bundle.leaf, u.leaf, "leaf");
            eq(o.bundle.leaf_hash, ex.leaves[u.leaf], "leaf hash");
            eq(leafOf(big(ex.id_commitments[u.leaf]), o.bundle.balances), ex.leaves[u.leaf], "leaf from bundle balances");
        }
        return `${ex.users.length} users: derived codes, lookups, buckets and plaintexts agree`;
    });
    await check("attestation_expected: ceremony header digest, anchor, contribution hashes (§8.2, §8.3)", () => {
        const tr = parseStrictJSON(new Uint8Array(readFileSync(path.join(adir, "ceremony", "transcript.json"))), "transcript");
        const header = {};
        for (const k of ["format", "circuit", "ptau", "key", "cs_hash"]) header[k] = tr[k];
        const d = sha256(new Uint8Array([...utf8("zkpor-ceremony/2 header\0"), ...utf8(canonicalJSON(header, true))]));
        eq(hex(d), ex.ceremony.header_digest, "header digest");
        let anchor = null;
        for (let counter = 0; counter < 256 && !anchor; counter++) {
            const h = sha256(new Uint8Array([...utf8("zkpor-ceremony/2 anchor\0"), ...d, ...beBytes(BigInt(counter), 2)]));
            const x = intBe(h) % P;
            const rhs = (x ** 3n + 3n) % P;
            let y = modpow(rhs, (P + 1n) / 4n, P);
            if ((y * y) % P !== rhs) continue;
            if (Number(y % 2n) !== h[0] >> 7) y = P - y;
            anchor = [x, y];
        }
        eq(anchor.join(","), ex.ceremony.anchor.join(","), "anchor");
        eq(tr.contributions[0].g1_s.slice(0, 2).join(","), anchor.join(","), "first g1_s is the anchor");
        const g1b = (p) => (p[2] === "0" ? new Uint8Array(64) : new Uint8Array([...beBytes(BigInt(p[0]), 32), ...beBytes(BigInt(p[1]), 32)]));
        const g2b = (q) =>
            q[2][0] === "0" ? new Uint8Array(128) : new Uint8Array([...beBytes(BigInt(q[0][1]), 32), ...beBytes(BigInt(q[0][0]), 32), ...beBytes(BigInt(q[1][1]), 32), ...beBytes(BigInt(q[1][0]), 32)]);
        const pkb = (c) => new Uint8Array([...g1b(c.delta_after), ...g1b(c.g1_s), ...g1b(c.g1_sx), ...g2b(c.g2_spx), ...unhex(c.transcript)]);
        const hashes = tr.contributions.map((c) => hex(blake2b(pkb(c), 64)));
        eq(hashes.join(","), ex.ceremony.contribution_hashes.join(","), "contribution hashes");
        tr.contributions.forEach((c, i) => {
            const t = blake2b(new Uint8Array([...unhex(tr.cs_hash), ...tr.contributions.slice(0, i).flatMap((e) => [...pkb(e)]), ...g1b(c.g1_s), ...g1b(c.g1_sx)]), 64);
            eq(hex(t), c.transcript, `transcript of record ${i}`);
        });
        eq(tr.contributions[tr.contributions.length - 1].delta_after.slice(0, 2).join(","), ex.ceremony.delta_g1.join(","), "final delta");
        return "header digest, anchor, contribution hashes and transcripts recomputed (no pairings)";
    });
}

// ---------------------------------------------------------------- main
async function main() {
    await sodium.ready;
    const args = process.argv.slice(2);
    let dir = path.join(VECTORS, "attestation");
    const codes = [];
    let vectors = false;
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--vectors") vectors = true;
        else if (a === "--code") codes.push(args[++i]);
        else if (a === "--expected-codes") {
            const ex = JSON.parse(readFileSync(args[++i], "utf8"));
            for (const u of ex.users) codes.push(u.code);
        } else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
        else dir = path.resolve(a);
    }
    if (vectors) await vectorsMode();
    else {
        await reviewerCheck(dir);
        for (const c of codes) await userCheck(dir, c);
    }
    const count = (s) => steps.filter((x) => x.status === s).length;
    const summary = { ok: count("FAIL") === 0, mode: vectors ? "vectors" : "attestation", dir: vectors ? null : dir, ok_steps: count("OK"), failed: count("FAIL"), skipped: count("SKIPPED"), steps };
    console.log(JSON.stringify(summary));
    process.exit(summary.ok ? 0 : 1);
}
main().catch((e) => {
    console.log(`FAIL internal 0 crash: ${e.stack || e}`);
    console.log(JSON.stringify({ ok: false, error: String(e), steps }));
    process.exit(1);
});
