// An independent zkpor/2 verifier written from docs/protocol.md §16 alone (plus the
// vectors of tests/vectors/protocol2/ and their README). It does not share code with
// verifier/ or publisher/: its purpose is to test whether §16 is complete. The zkpor/1
// primitives (§3-§11) are in tests/js/independent_common.mjs, shared with the zkpor/1
// checker tests/js/independent_check.mjs, which was written the same way from §3-§12.
//
// Usage:
//   node tests/js/independent_check2.mjs --vectors
//       check primitives2.json (pack_entry, the leaf2 chain, mask commitments, the tier
//       tables derived from the registry, the registry public inputs and digest, the
//       challenges, every batch total s_j and the totals identity) and the values of
//       attestation_expected.json
//   node tests/js/independent_check2.mjs [DIR] [--code CODE]... [--expected-codes FILE]
//                                        [--allow-insecure-dev-setup]
//       the reviewer's nine steps (§16.12.1) on DIR (default:
//       tests/vectors/protocol2/attestation), then the account holder's seven steps
//       (§16.12.2) for every CODE (and every user code of FILE)
//
// Output: one line per step, "OK|FAIL|SKIPPED <check> <n> <name>: <detail>", then a JSON
// summary on the last line. Exit code 0 iff no step failed.
//
// Not implemented (as in the zkpor/1 checker): secp256k1 (EIP-191 and Bitcoin message
// signatures, §10.2-§10.3), so the reserves step checks everything else and reports
// SKIPPED naming the wallets it did not verify; the ceremony's pairings (§8.5-§8.7), so a
// "ceremony" setup is SKIPPED after its listing rule; `--ptau`. An "insecure-dev" setup
// fails the reviewer's step 8 unless --allow-insecure-dev-setup is given (§12.1 step 9),
// and always fails the account holder's step 7. The proofs are verified with the full
// public-input vector of §16.6 (snarkjs), not with the folded key of §16.12.1 step 3
// (the same equation).
import { readFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPoseidonReference } from "circomlibjs";
import sodium from "libsodium-wrappers-sumo";
import {
    CUSTOMER, H, R, RE, VErr, backingRatio, beBytes, bucketIndex, bucketName, bytesEq,
    canonicalJSON, checkCosignatures, checkSegregation, checkText, cmpBytes, constants,
    coverageRatio, decCanonical, decLoose, derive, derivedCode, displayCode, fail,
    formatUnits, hashUp, hex, idcOf, intBe, intIn, inv, isBacked, isInt, isObj, jsonDiff,
    makeReader, mod, need, onlyKeys, parseCode, parseCosigners, parseProofsJson,
    parseReservesJson, parseSegregation, parseStrictJSON, parseSums, parseTreeJson,
    parseVk, reserveMessage, roleProblem, roleSums, segregationJson, setFormat, sha256,
    show, subtreeRoot, topDepthFor, topLevels, uidOf, unhex, utf8, verifyGroth16,
    walletKey,
} from "./independent_common.mjs";

setFormat("zkpor/2");

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = path.resolve(HERE, "..", "vectors", "protocol2");

// ---------------------------------------------------------------- constants (§3.1)
const TAG = { ID: 1n, NODE: 3n, LEAF2: 5n, MASK: 6n, TIERS: 7n, CHALLENGE: 8n };

// ---------------------------------------------------------------- codes and bundles (§11)
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
        bundle = parseBundle2(pt, manifest);
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
    for (const a of m.assets) if (a.reserves < a.liabilities) fail("Reserves", `${a.symbol}: reserves ${a.reserves} below the net liability max(net, 0) = ${a.liabilities}`);
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
        if (e instanceof VErr && e.kind === "Skip") {
            record(check, n, name, "SKIPPED", e.message);
            return { ok: false, label: `${check} ${n}` };
        }
        record(check, n, name, "FAIL", e instanceof VErr ? `${e.kind}: ${e.message}` : `error: ${e.stack || e}`);
        return { ok: false, label: `${check} ${n}` };
    }
}


// ================================================================ zkpor/2 (§16)
const SENTINEL = 1n << 64n;
const ONE64 = 1n << 64n;
const LEAF_FIRST = 14;
const LEAF_NEXT = 15;
const CHALLENGE_PREFIX = new Uint8Array([...new TextEncoder().encode("zkpor/2 challenges"), 0]);
const bitlen = (n) => (n === 0n ? 0 : n.toString(2).length);
const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
        out.set(p, o);
        o += p.length;
    }
    return out;
};

// ---------------------------------------------------------------- §16.4 entries and leaves
function packEntry(a, e, d) {
    if (!isInt(a) || a < 0n || a >= 1024n) fail("Entry", `asset index ${a} not in [0, 2^10)`);
    if (!isInt(e) || e < 0n || e >= ONE64) fail("Entry", `equity ${e} not in [0, 2^64)`);
    if (!isInt(d) || d < 0n || d >= ONE64) fail("Entry", `debt ${d} not in [0, 2^64)`);
    return a + e * (1n << 10n) + d * (1n << 74n);
}
function checkEntries(entries, K, A) {
    if (entries.length > K) fail("Entry", `${entries.length} entries for ${K} slots`);
    entries.forEach(([a, e, d], i) => {
        packEntry(a, e, d);
        if (a >= BigInt(A)) fail("Entry", `asset index ${a} is not in the registry of ${A} assets`);
        if (i && a <= entries[i - 1][0]) fail("Entry", "entries are not strictly increasing by asset index");
    });
}
function leaf2Chain(idc, entries, K) {
    const q = [...entries.map(([a, e, d]) => packEntry(a, e, d)), ...Array(K - entries.length).fill(0n)];
    const chain = [H(TAG.LEAF2, idc, ...q.slice(0, LEAF_FIRST))];
    for (let start = LEAF_FIRST; start < K; start += LEAF_NEXT) chain.push(H(chain[chain.length - 1], ...q.slice(start, start + LEAF_NEXT)));
    return { q, chain };
}
const leaf2 = (idc, entries, K) => {
    const { chain } = leaf2Chain(idc, entries, K);
    return chain[chain.length - 1];
};
const maskCommitment = (root, m) => H(TAG.MASK, root, m);
const circuitId2 = (A, T, K, k, db) => `zkpor2-a${A}-t${T}-s${K}-k${k}-d${db}`;
const nPublic2 = (A, T) => 5 + A * (3 * T - 1);

// ---------------------------------------------------------------- §16.3 the registry
// A quote decimal: [0-9]+(\.[0-9]+)? with at most q fractional digits, as an integer of 10^-q
function quoteDecimal(v, q, what, maxWhole = null) {
    if (typeof v !== "string" || !/^[0-9]+(\.[0-9]+)?$/.test(v)) fail("Registry", `${what}: not a quote decimal: ${show(v)}`);
    const [whole, frac = ""] = v.split(".");
    if (frac.length > q) fail("Registry", `${what}: ${frac.length} fractional digits, the quote has ${q}`);
    if (maxWhole !== null && whole.length > maxWhole) fail("Registry", `${what}: more than ${maxWhole} digits before the point`);
    const X = BigInt(whole) * 10n ** BigInt(q) + BigInt((frac + "0".repeat(q)).slice(0, q) || "0");
    if (formatUnits(X, q) !== v) fail("Registry", `${what}: not canonical (${show(v)}, canonical ${formatUnits(X, q)})`);
    return X;
}
function parseRegistry(doc) {
    const w = "registry";
    onlyKeys(doc, ["format", "quote", "price_source", "tables", "assets"], w);
    if (need(doc, "format", w) !== "zkpor/2 registry") fail("Registry", `registry.format ${show(doc.format)} is not "zkpor/2 registry"`);
    const quote = need(doc, "quote", w);
    onlyKeys(quote, ["symbol", "decimals"], "registry.quote");
    const reg = {
        quote: { symbol: checkText(need(quote, "symbol", "registry.quote"), "symbol", "registry.quote.symbol"), decimals: Number(intIn(need(quote, "decimals", "registry.quote"), 0, 30, "registry.quote.decimals")) },
    };
    const q = reg.quote.decimals;
    const ps = need(doc, "price_source", w);
    if (typeof ps === "string" && ps.startsWith("https://")) checkText(ps, "url", "registry.price_source");
    else {
        if (typeof ps === "string" && /^https?:/i.test(ps)) fail("Registry", "registry.price_source: starts with http: or https: but is not an issuer URL");
        checkText(ps, "name", "registry.price_source");
    }
    reg.price_source = ps;
    const tables = need(doc, "tables", w);
    if (!Array.isArray(tables) || tables.length < 1 || tables.length > 64) fail("Registry", "registry.tables: not a list of 1 to 64 tables");
    reg.tables = tables.map((t, i) => {
        const tw = `registry.tables[${i}]`;
        onlyKeys(t, ["bounds", "ratios"], tw);
        const bounds = need(t, "bounds", tw);
        const ratios = need(t, "ratios", tw);
        if (!Array.isArray(bounds) || bounds.length < 1 || bounds.length > 8) fail("Registry", `${tw}.bounds: not a list of 1 to 8 bounds`);
        if (!Array.isArray(ratios) || ratios.length !== bounds.length) fail("Registry", `${tw}.ratios: not one ratio per bound`);
        const B = bounds.map((b, j) => quoteDecimal(b, q, `${tw}.bounds[${j}]`));
        const Rt = ratios.map((r, j) => intIn(r, 0, 100, `${tw}.ratios[${j}]`));
        if (B[0] !== 0n) fail("Registry", `${tw}.bounds[0] is not "0"`);
        B.forEach((b, j) => {
            if (b >= ONE64) fail("Registry", `${tw}.bounds[${j}]: not below 2^64 units of 10^-q`);
            if (j && b <= B[j - 1]) fail("Registry", `${tw}.bounds: not strictly increasing`);
            if (j && Rt[j] > Rt[j - 1]) fail("Registry", `${tw}.ratios: increasing`);
        });
        return { bounds: B, ratios: Rt };
    });
    const assets = need(doc, "assets", w);
    if (!Array.isArray(assets) || assets.length < 1 || assets.length > 1024) fail("Registry", "registry.assets: not a list of 1 to 1024 assets");
    const seen = new Set();
    reg.assets = assets.map((a, i) => {
        const aw = `registry.assets[${i}]`;
        onlyKeys(a, ["symbol", "decimals", "price", "table"], aw);
        const symbol = checkText(need(a, "symbol", aw), "symbol", `${aw}.symbol`);
        if (seen.has(symbol)) fail("Registry", `${aw}.symbol: ${symbol} twice`);
        seen.add(symbol);
        const table = Number(intIn(need(a, "table", aw), 0, reg.tables.length - 1, `${aw}.table`));
        return { symbol, decimals: Number(intIn(need(a, "decimals", aw), 0, 30, `${aw}.decimals`)), price: quoteDecimal(need(a, "price", aw), q, `${aw}.price`, 40), table };
    });
    // every table used, each once, in order of first use
    let next = 0;
    for (const a of reg.assets) {
        if (a.table === next) next++;
        else if (a.table > next) fail("Registry", `registry.tables: table ${a.table} is used before table ${next} (tables must be in order of first use)`);
    }
    if (next !== reg.tables.length) fail("Registry", `registry.tables: ${reg.tables.length - next} table(s) no asset uses`);
    const spelled = reg.tables.map((t) => `${t.bounds.join(",")}/${t.ratios.join(",")}`);
    if (new Set(spelled).size !== spelled.length) fail("Registry", "registry.tables: the same table (bounds and ratios) listed twice");
    reg.json = registryJson(reg);
    reg.derived = tierTables(reg); // refuses a unit price of 2^64 or more
    return reg;
}
function registryJson(reg) {
    const q = reg.quote.decimals;
    return {
        format: "zkpor/2 registry",
        quote: { symbol: reg.quote.symbol, decimals: BigInt(q) },
        price_source: reg.price_source,
        tables: reg.tables.map((t) => ({ bounds: t.bounds.map((b) => formatUnits(b, q)), ratios: [...t.ratios] })),
        assets: reg.assets.map((a) => ({ symbol: a.symbol, decimals: BigInt(a.decimals), price: formatUnits(a.price, q), table: BigInt(a.table) })),
    };
}
const registryDigest = (regJson) => sha256(new TextEncoder().encode(canonicalJSON(regJson, true)));
// §16.3.3
function priceScale(assets) {
    let s = 0;
    for (const [price, decimals] of assets) {
        if (price) {
            const str = price.toString();
            const trailing = str.length - str.replace(/0+$/, "").length;
            s = Math.max(s, decimals - trailing);
        }
    }
    return s;
}
function unitPrice(price, decimals, s) {
    const num = price * 10n ** BigInt(s);
    const den = 10n ** BigInt(decimals);
    if (num % den !== 0n) fail("Registry", "unit price not whole (price scale)");
    const p = num / den;
    if (p >= ONE64) fail("Registry", `unit price ${p} is not below 2^64`);
    return p;
}
function fromValues(p, tiers) {
    const units = [];
    for (const [value, ratio] of tiers) {
        const L = p ? value / p : value === 0n ? 0n : SENTINEL;
        if (L >= SENTINEL) break;
        if (units.length && units[units.length - 1][0] === L) units.pop();
        units.push([L, ratio]);
    }
    const lower = units.slice(1).map(([L]) => L);
    const ratios = units.map(([, r]) => r);
    const cumulative = [];
    let C = 0n;
    for (let j = 1; j < units.length; j++) {
        C += ratios[j - 1] * p * (units[j][0] - units[j - 1][0]);
        cumulative.push(C);
    }
    return { p, lower, ratios, cumulative };
}
function tierTables(reg) {
    const s = priceScale(reg.assets.map((a) => [a.price, a.decimals]));
    const T = Math.max(...reg.tables.map((t) => t.ratios.length));
    const tables = reg.assets.map((a) => {
        const p = unitPrice(a.price, a.decimals, s);
        const t = reg.tables[a.table];
        return fromValues(p, t.bounds.map((b, j) => [b * 10n ** BigInt(s), t.ratios[j]]));
    });
    return { s, T, tables };
}
function padded(table, T) {
    const pad = T - table.ratios.length;
    return { ratios: [...table.ratios, ...Array(pad).fill(0n)], lower: [...table.lower, ...Array(pad).fill(SENTINEL)], cumulative: [...table.cumulative, ...Array(pad).fill(0n)] };
}
function registryPublicInputs(tables, T) {
    const out = [];
    for (const t of tables) {
        const pd = padded(t, T);
        out.push(t.p, ...pd.ratios, ...pd.lower, ...pd.cumulative);
    }
    return out;
}
function tableRows(table, a, T) {
    const pd = padded(table, T);
    const L = [0n, ...pd.lower, SENTINEL];
    const C = [0n, ...pd.cumulative];
    return Array.from({ length: T }, (_, j) => ({ a: BigInt(a), L: L[j], U: L[j + 1], r: pd.ratios[j], p: table.p, C: C[j] }));
}
function tierOf(table, e) {
    let j = 0;
    while (j < table.lower.length && e >= table.lower[j]) j++;
    return j;
}
function collateralX100(table, e) {
    const j = tierOf(table, e);
    const L = j ? table.lower[j - 1] : 0n;
    const C = j ? table.cumulative[j - 1] : 0n;
    return C + table.ratios[j] * table.p * (e - L);
}
function accountValues(entries, tables) {
    let col = 0n;
    let dv = 0n;
    for (const [a, e, d] of entries) {
        col += collateralX100(tables[Number(a)], e);
        dv += 100n * d * tables[Number(a)].p;
    }
    return { col, dv };
}

// ---------------------------------------------------------------- §16.7 challenges, identity
function challengePreimage(id, digest, shapes, E, D, M) {
    const aid = utf8(id);
    const parts = [CHALLENGE_PREFIX, beBytes(BigInt(aid.length), 4), aid, digest, beBytes(BigInt(E.length), 4), beBytes(BigInt(shapes.length), 4)];
    for (const [K, batches] of shapes) {
        parts.push(beBytes(BigInt(K), 4), beBytes(BigInt(batches.length), 4));
        for (const [root, c] of batches) parts.push(beBytes(root, 32), beBytes(c, 32));
    }
    for (let a = 0; a < E.length; a++) parts.push(beBytes(E[a], 32), beBytes(D[a], 32));
    parts.push(beBytes(M, 32));
    return concat(...parts);
}
function challenges(preimage, A) {
    const seed = sha256(preimage);
    const beta = BigInt(A) + (intBe(sha256(concat(seed, new TextEncoder().encode("beta")))) % (R - BigInt(A)));
    const gamma = intBe(sha256(concat(seed, new TextEncoder().encode("gamma")))) % R;
    return { seed, beta, gamma };
}
function totalsIdentityHolds(sums, M, E, D, beta, gamma) {
    const A = E.length;
    if (beta < BigInt(A) || beta >= R) return false;
    const left = mod(sums.reduce((x, y) => x + y, 0n) - M, R);
    let right = 0n;
    for (let a = 0; a < A; a++) right = (right + (E[a] + gamma * D[a]) * inv(mod(beta - BigInt(a), R), R)) % R;
    return left === right;
}
// §16.6 item 12, natively: s_j = m + Σ (e + γ·d)/(β − a)
function batchTotal(mask, accounts, beta, gamma) {
    let s = mask % R;
    for (const entries of accounts) for (const [a, e, d] of entries) s = (s + (e + gamma * d) * inv(mod(beta - a, R), R)) % R;
    return s;
}

// ---------------------------------------------------------------- §16.9 the manifest
// a decimal string (§4.2) read as its integer; its spelling is checked by the re-serialization
function decParse(v, bound, what) {
    if (typeof v !== "string" || !/^[0-9]+$/.test(v)) fail("Malformed", `${what}: not a decimal string: ${show(v)}`);
    const n = BigInt(v);
    if (n >= bound) fail("Malformed", `${what}: out of range: ${v}`);
    return n;
}
const formatSigned = (n, decimals) => (n < 0n ? "-" + formatUnits(-n, decimals) : formatUnits(n, decimals));
function parseManifest2(doc, opts = {}) {
    const m = {};
    if (!isObj(doc)) fail("Malformed", "attestation.json: not an object");
    if (need(doc, "format", "attestation.json") !== "zkpor/2") fail("Malformed", `attestation.json: format ${show(doc.format)} is not zkpor/2`);
    onlyKeys(doc, ["format", "id", "issuer", "as_of", "registry", "assets", "tree", "shapes", "totals", "setup", "software", "files", "bundles", "segregation", "cosigners"], "attestation.json");
    m.id = checkText(need(doc, "id", "attestation.json"), "id", "id");
    const issuer = need(doc, "issuer", "attestation.json");
    m.issuer = { name: checkText(need(issuer, "name", "issuer"), "name", "issuer.name"), url: checkText(need(issuer, "url", "issuer"), "url", "issuer.url") };
    m.as_of = checkText(need(doc, "as_of", "attestation.json"), "asOf", "as_of");
    m.registry = parseRegistry(need(doc, "registry", "attestation.json"));
    const A = m.registry.assets.length;
    const assets = need(doc, "assets", "attestation.json");
    if (!Array.isArray(assets) || assets.length !== A) fail("Malformed", `assets: not a list of one entry per registry asset (${A})`);
    const hasRes = assets.map((a) => isObj(a) && "reserves" in a);
    m.assets = assets.map((a, i) => {
        const w = `assets[${i}]`;
        const reg = m.registry.assets[i];
        // unknown keys and non-canonical spellings are differences from the re-serialization
        // (which the account holder's check reports in step 6, §16.12.2 step 1)
        if (!opts.assetsLater) onlyKeys(a, ["symbol", "decimals", "equity", "equity_amount", "debt", "debt_amount", "net", "net_amount", "reserves", "reserves_amount", "ratio_net", "ratio_gross"], w);
        const out = {
            symbol: reg.symbol,
            decimals: BigInt(reg.decimals),
            equity: decParse(need(a, "equity", w), 1n << 96n, `${w}.equity`),
            debt: decParse(need(a, "debt", w), 1n << 96n, `${w}.debt`),
        };
        out.net = out.equity - out.debt;
        out.liabilities = out.net > 0n ? out.net : 0n; // §16.12.1 step 7
        if (hasRes[i]) out.reserves = decParse(need(a, "reserves", w), 1n << 160n, `${w}.reserves`);
        return out;
    });
    const tree = need(doc, "tree", "attestation.json");
    onlyKeys(tree, ["arity"], "tree");
    const arity = intIn(need(tree, "arity", "tree"), 2, 8, "tree.arity");
    if (![2n, 4n, 8n].includes(arity)) fail("Malformed", `tree.arity ${arity} not in {2, 4, 8}`);
    m.arity = Number(arity);
    const T = m.registry.derived.T;
    const shapes = need(doc, "shapes", "attestation.json");
    if (!Array.isArray(shapes) || !shapes.length) fail("Malformed", "shapes: not a non-empty list");
    m.shapes = shapes.map((s, i) => {
        const w = `shapes[${i}]`;
        onlyKeys(s, ["slots", "batch_depth", "batch_size", "batches", "leaves", "top_depth", "root", "circuit"], w);
        const K = Number(intIn(need(s, "slots", w), 1, 1024, `${w}.slots`));
        const db = Number(intIn(need(s, "batch_depth", w), 0, 18, `${w}.batch_depth`));
        if (BigInt(m.arity) ** BigInt(db) > 1n << 18n) fail("Malformed", `${w}.batch_depth: arity^batch_depth > 2^18`);
        const batches = Number(intIn(need(s, "batches", w), 1, 2 ** 32, `${w}.batches`));
        const circ = need(s, "circuit", w);
        onlyKeys(circ, ["id", "constraints"], `${w}.circuit`);
        const B = m.arity ** db;
        return {
            K,
            db,
            B,
            batches,
            dt: topDepthFor(batches, m.arity),
            root: decCanonical(need(s, "root", w), R, `${w}.root`),
            circuitId: circuitId2(A, T, K, m.arity, db),
            constraints: intIn(need(circ, "constraints", `${w}.circuit`), 0, null, `${w}.circuit.constraints`),
        };
    });
    m.shapes.forEach((s, i) => {
        if (i && s.K <= m.shapes[i - 1].K) fail("Malformed", "shapes: slots not strictly increasing");
    });
    const totals = need(doc, "totals", "attestation.json");
    onlyKeys(totals, ["mask_sum", "beta", "gamma"], "totals");
    m.totals = {
        mask_sum: decCanonical(need(totals, "mask_sum", "totals"), R, "totals.mask_sum"),
        beta: decCanonical(need(totals, "beta", "totals"), R, "totals.beta"),
        gamma: decCanonical(need(totals, "gamma", "totals"), R, "totals.gamma"),
    };
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
        onlyKeys(b, ["bucket_bits", "record_size", "records_per_bucket", "run_salt"], "bundles");
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
    // re-serialization (§16.9 strictness)
    const assetJson = (a) => {
        const o = {
            symbol: a.symbol,
            decimals: a.decimals,
            equity: a.equity.toString(),
            equity_amount: formatUnits(a.equity, a.decimals),
            debt: a.debt.toString(),
            debt_amount: formatUnits(a.debt, a.decimals),
            net: a.net.toString(),
            net_amount: formatSigned(a.net, a.decimals),
        };
        if (a.reserves !== undefined) {
            o.reserves = a.reserves.toString();
            o.reserves_amount = formatUnits(a.reserves, a.decimals);
            o.ratio_net = a.net > 0n ? coverageRatio(a.reserves, a.net) : null;
            o.ratio_gross = coverageRatio(a.reserves, a.equity);
        }
        return o;
    };
    const re = {
        format: "zkpor/2",
        id: m.id,
        issuer: { name: m.issuer.name, url: m.issuer.url },
        as_of: m.as_of,
        registry: m.registry.json,
        assets: m.assets.map(assetJson),
        tree: { arity: BigInt(m.arity) },
        shapes: m.shapes.map((s) => ({
            slots: BigInt(s.K),
            batch_depth: BigInt(s.db),
            batch_size: BigInt(s.B),
            batches: BigInt(s.batches),
            leaves: BigInt(s.batches) * BigInt(s.B),
            top_depth: BigInt(s.dt),
            root: s.root.toString(),
            circuit: { id: s.circuitId, constraints: s.constraints },
        })),
        totals: { mask_sum: m.totals.mask_sum.toString(), beta: m.totals.beta.toString(), gamma: m.totals.gamma.toString() },
        setup: { kind: m.setup.kind, statement: m.setup.statement },
        software: { name: "zkpor", version: m.software.version },
        files: { ...m.files },
        ...(m.bundles
            ? { bundles: { bucket_bits: BigInt(m.bundles.bucket_bits), record_size: BigInt(m.bundles.record_size), records_per_bucket: BigInt(m.bundles.records_per_bucket), run_salt: m.bundles.run_salt } }
            : {}),
        ...(m.segregation ? { segregation: segregationJson(m.segregation, m.assets) } : {}),
        ...(m.cosigners ? { cosigners: m.cosigners.map((c) => ({ name: c.name, scheme: c.scheme, key: c.key })) } : {}),
    };
    if (opts.assetsLater) {
        // §16.12.2 step 1: a difference inside `assets` fails step 6, not step 1
        m.assetsDiff = jsonDiff(re.assets, doc.assets, "assets");
        const d = jsonDiff({ ...re, assets: null }, { ...doc, assets: null });
        if (d) fail("Malformed", `attestation.json differs from its re-serialization: ${d}`);
    } else {
        const d = jsonDiff(re, doc);
        if (d) fail("Malformed", `attestation.json differs from its re-serialization: ${d}`);
    }
    m.canonicalDigest = hex(sha256(utf8(canonicalJSON(re, true))));
    m.registryDigest = registryDigest(m.registry.json);
    m.registryInputs = registryPublicInputs(m.registry.derived.tables, T);
    m.T = T;
    m.A = A;
    m.nPublic = nPublic2(A, T);
    return m;
}

// ---------------------------------------------------------------- §16.11 the bundle plaintext v2
function parseBundle2(pt, manifest) {
    let end = pt.length;
    while (end > 0 && pt[end - 1] === 0x20) end--;
    const doc = parseStrictJSON(pt.slice(0, end), "bundle");
    const K = "Bundle";
    const keys = ["attestation", "batch", "entries", "leaf", "leaf_hash", "path", "salt", "slots", "user_id", "v"];
    onlyKeys(doc, keys, "bundle");
    for (const k of keys) need(doc, k, "bundle");
    if (doc.v !== 2n) fail(K, "bundle: v is not 2");
    if (typeof doc.attestation !== "string" || typeof doc.user_id !== "string") fail(K, "bundle: attestation/user_id not strings");
    if (!Array.isArray(doc.entries) || !Array.isArray(doc.path)) fail(K, "bundle: entries/path not lists");
    const b = {
        attestation: doc.attestation,
        user_id: doc.user_id,
        salt: decLoose(doc.salt, 80, "salt"),
        entries: doc.entries.map((x, i) => {
            if (!Array.isArray(x) || x.length !== 3) fail(K, `entries[${i}]: not [a, equity, debt]`);
            return [intIn(x[0], 0, 1023, `entries[${i}][0]`), decLoose(x[1], 80, `entries[${i}][1]`), decLoose(x[2], 80, `entries[${i}][2]`)];
        }),
        slots: intIn(doc.slots, 1, 1024, "slots"),
        leaf: intIn(doc.leaf, 0, null, "leaf"),
        batch: intIn(doc.batch, 0, null, "batch"),
        leaf_hash: decLoose(doc.leaf_hash, 80, "leaf_hash"),
        path: doc.path.map((l, i) => {
            if (!Array.isArray(l)) fail(K, `path[${i}]: not a list`);
            return l.map((x, j) => decLoose(x, 80, `path[${i}][${j}]`));
        }),
    };
    if (b.salt >= R || b.leaf_hash >= R || b.path.some((l) => l.some((x) => x >= R))) fail(K, "bundle: a field element is not below r");
    if (b.entries.some(([, e, d]) => e >= ONE64 || d >= ONE64)) fail(K, "bundle: an amount is not below 2^64");
    const canon = {
        attestation: b.attestation,
        batch: b.batch,
        entries: b.entries.map(([a, e, d]) => [a, e.toString(), d.toString()]),
        leaf: b.leaf,
        leaf_hash: b.leaf_hash.toString(),
        path: b.path.map((l) => l.map(String)),
        salt: b.salt.toString(),
        slots: b.slots,
        user_id: b.user_id,
        v: 2n,
    };
    if (!bytesEq(utf8(canonicalJSON(canon)), pt.slice(0, end))) fail(K, "bundle plaintext is not canonical");
    if (b.attestation !== manifest.id) fail(K, "bundle is for another attestation");
    b.leaf = Number(b.leaf);
    b.batch = Number(b.batch);
    b.slots = Number(b.slots);
    return b;
}

// ---------------------------------------------------------------- per-shape files
function parseProofs2(raw, s) {
    const name = `proofs-s${s.K}.json`;
    const entries = parseProofsJson(parseStrictJSON(raw, name), s.batches);
    return entries;
}
function fullPublic(m, e) {
    return [...e.publicRaw, m.totals.beta.toString(), m.totals.gamma.toString(), ...m.registryInputs.map(String)];
}
function checkTotals(m, entriesByShape) {
    const shapes = m.shapes.map((s) => [s.K, entriesByShape.get(s.K).map((e) => [e.public[0], e.public[1]])]);
    const E = m.assets.map((a) => a.equity);
    const D = m.assets.map((a) => a.debt);
    const pre = challengePreimage(m.id, m.registryDigest, shapes, E, D, m.totals.mask_sum);
    const { beta, gamma } = challenges(pre, m.A);
    if (beta !== m.totals.beta) fail("Totals", `totals.beta is not the derived challenge ${beta}`);
    if (gamma !== m.totals.gamma) fail("Totals", `totals.gamma is not the derived challenge ${gamma}`);
    const sums = m.shapes.flatMap((s) => entriesByShape.get(s.K).map((e) => e.public[2]));
    if (!totalsIdentityHolds(sums, m.totals.mask_sum, E, D, beta, gamma)) fail("Totals", "the totals identity does not hold: the published equity, debt or mask_sum are not the sums of the proven batches");
    return `β, γ derived (registry digest ${hex(m.registryDigest)}); identity holds over ${sums.length} batch totals: ` + m.assets.map((a) => `${a.symbol} equity ${formatUnits(a.equity, a.decimals)} debt ${formatUnits(a.debt, a.decimals)}`).join(", ");
}
function listed(m, read, name, K) {
    if (!(name in m.files)) fail(K, `${name} is not listed`);
    const raw = read(name);
    if (hex(sha256(raw)) !== m.files[name]) fail(K, `${name} does not have its listed hash`);
    return raw;
}
function setupListing(m) {
    if (m.setup.kind === "ceremony") {
        for (const s of m.shapes) if (!(`ceremony-s${s.K}.json` in m.files)) fail("Setup", `setup.kind is ceremony but ceremony-s${s.K}.json is not listed`);
    } else if (m.setup.kind === "insecure-dev") {
        const bad = Object.keys(m.files).filter((n) => n.startsWith("ceremony") && n.endsWith(".json"));
        if (bad.length) fail("Setup", `setup.kind is insecure-dev but ${bad.join(", ")} is listed`);
    }
}

// ---------------------------------------------------------------- §16.12.1 the reviewer's check
async function reviewerCheck(dir, allowDev) {
    const read = makeReader(dir);
    const C = "reviewer";
    const st = {};
    const accepted = { ok: false, label: `${C} 1 (attestation.json)` };
    await step(C, 1, "manifest and file hashes", [], () => {
        const raw = read("attestation.json");
        st.manifestDigest = hex(sha256(raw));
        st.m = parseManifest2(parseStrictJSON(raw, "attestation.json"));
        accepted.ok = true; // §12.1: stays available even if a listing or a hash fails below
        for (const s of st.m.shapes) for (const f of [`vk-s${s.K}.json`, `proofs-s${s.K}.json`, `tree-s${s.K}.json`]) if (!(f in st.m.files)) fail("Malformed", `files does not list ${f}`);
        for (const [name, h] of Object.entries(st.m.files)) {
            const got = hex(sha256(read(name)));
            if (got !== h) fail("HashMismatch", `${name}: SHA-256 ${got}, listed ${h}`);
        }
        return `manifest digest ${st.manifestDigest}; ${Object.keys(st.m.files).length} listed files hashed; registry of ${st.m.A} assets, T = ${st.m.T}, ${st.m.shapes.length} shape(s)`;
    });
    const m = () => st.m;
    const s2 = await step(C, 2, "verification keys", [accepted], () => {
        st.vks = new Map();
        for (const s of m().shapes) {
            const name = `vk-s${s.K}.json`;
            const vk = parseVk(parseStrictJSON(read(name), name));
            if (vk.nPublic !== m().nPublic) fail("MalformedKey", `${name}: nPublic ${vk.nPublic} is not 5 + A·(3T − 1) = ${m().nPublic}`);
            st.vks.set(s.K, vk);
        }
        return `${st.vks.size} key(s), nPublic = ${m().nPublic}`;
    });
    const proofsParsed = { ok: false, label: `${C} 3 (proofs files)` };
    await step(C, 3, "batch proofs", [accepted], async () => {
        st.entries = new Map();
        for (const s of m().shapes) st.entries.set(s.K, parseProofs2(read(`proofs-s${s.K}.json`), s));
        proofsParsed.ok = true;
        if (!s2.ok) return { status: "SKIPPED", detail: "proofs files parse; the keys of step 2 failed" };
        const counts = [];
        for (const s of m().shapes) {
            for (const e of st.entries.get(s.K)) await verifyGroth16(st.vks.get(s.K), fullPublic(m(), e), e.proof, `proofs-s${s.K}.json[${e.batch}]`);
            counts.push(`K = ${s.K}: ${s.batches}`);
        }
        return `every batch proof verifies with x = [root, c, s, β, γ, registry (${m().registryInputs.length})] (${counts.join(", ")})`;
    });
    await step(C, 4, "totals", [accepted, proofsParsed], () => checkTotals(m(), st.entries));
    await step(C, 5, "trees", [accepted, proofsParsed], () => {
        const out = [];
        for (const s of m().shapes) {
            const name = `tree-s${s.K}.json`;
            const tj = parseTreeJson(parseStrictJSON(read(name), name));
            if (tj.arity !== m().arity) fail("Tree", `${name}: arity ${tj.arity} is not the manifest's ${m().arity}`);
            const want = topLevels(st.entries.get(s.K).map((e) => e.public[0]), m().arity, s.dt);
            const d = jsonDiff(want.map((l) => l.map(String)), tj.levels.map((l) => l.map(String)), "levels");
            if (d) fail("Tree", `${name} levels are not the top of the tree over the proven batch roots: ${d}`);
            const last = tj.levels[tj.levels.length - 1];
            if (last.length !== 1 || last[0] !== s.root) fail("Tree", `${name}: the last level is not [shapes[].root]`);
            out.push(`K = ${s.K}: ${s.batches} batch roots -> root`);
        }
        return out.join("; ");
    });
    await step(C, 6, "bundle files", [accepted], () => {
        const b = m().bundles;
        if (!b) return { status: "OK", detail: "no bundles" };
        if (!("bundles/SHA256SUMS" in m().files)) fail("Bundles", "attestation.json does not list the sha256 of bundles/SHA256SUMS");
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
    await step(C, 7, "reserves", [accepted], () => checkReserves(read, m()));
    await step(C, 8, "trusted setup", [accepted], () => {
        setupListing(m());
        if (m().setup.kind === "insecure-dev") {
            if (!allowDev) fail("Setup", "INSECURE single-party development setup (not accepted)");
            if (!s2.ok) return { status: "SKIPPED", detail: "development setup accepted; the keys of step 2 failed" };
            return { status: "OK", detail: "INSECURE development setup, accepted (--allow-insecure-dev-setup)" };
        }
        if (m().setup.kind !== "ceremony") fail("Setup", `unknown setup kind ${m().setup.kind}`);
        return { status: "SKIPPED", detail: "listing rule OK; ceremony transcripts (§8.5-§8.7) not verified by this implementation" };
    });
    await step(C, 9, "co-signatures", [accepted], () => checkCosignatures(read, m()));
    return { read, st };
}

// ---------------------------------------------------------------- §16.12.2 the account holder's check
const USER_STEPS = [[1, "bundle"], [2, "leaf"], [3, "path to batch root"], [4, "batch root in the shape's tree"], [5, "batch proofs"], [6, "totals"], [7, "trusted setup"]];
async function userCheck(dir, typed) {
    const C = `user[${typed}]`;
    let code;
    const s0 = await step(C, 0, "code", [], () => {
        code = parseCode(typed);
        return "well formed";
    });
    if (!s0.ok) {
        for (const [n, name] of USER_STEPS) record(C, n, name, "SKIPPED", "malformed code");
        return;
    }
    const read = makeReader(dir);
    const st = {};
    const accepted = { ok: false, label: `${C} 1 (attestation.json)` };
    const s1 = await step(C, 1, "bundle", [], () => {
        st.m = parseManifest2(parseStrictJSON(read("attestation.json"), "attestation.json"), { assetsLater: true });
        accepted.ok = true;
        const m = st.m;
        if (!m.bundles) fail("NoBundles", "the manifest has no bundles");
        const before = read.reads.length;
        const o = openBundle(read, m, code);
        if (read.reads.length - before !== 1) fail("Bundle", "not exactly one bucket file was read");
        if (!("bundles/SHA256SUMS" in m.files)) fail("Bundle", "attestation.json does not list the sha256 of bundles/SHA256SUMS");
        const sumsBytes = read("bundles/SHA256SUMS");
        if (hex(sha256(sumsBytes)) !== m.files["bundles/SHA256SUMS"]) fail("Bundle", "bundles/SHA256SUMS does not have its listed hash");
        const sums = parseSums(sumsBytes);
        if (sums.get(o.bucketName) !== hex(sha256(o.bucketBytes))) fail("Bundle", `${o.bucketName} is not listed in SHA256SUMS with the hash of the bytes read`);
        const b = o.bundle;
        const s = m.shapes.find((x) => x.K === b.slots);
        if (!s) fail("Bundle", `slots ${b.slots} is not a shape of the manifest`);
        if (!(b.batch < s.batches)) fail("Bundle", `batch ${b.batch} >= batches`);
        if (!(b.batch * s.B <= b.leaf && b.leaf < (b.batch + 1) * s.B)) fail("Bundle", `leaf ${b.leaf} is not in batch ${b.batch}`);
        if (b.path.length !== s.db + s.dt) fail("Bundle", `path has ${b.path.length} levels, not d_b + d_t = ${s.db + s.dt}`);
        if (b.path.some((l) => l.length !== m.arity - 1)) fail("Bundle", "a path level does not have k - 1 siblings");
        st.b = b;
        st.s = s;
        return `user ${JSON.stringify(b.user_id)}, shape K = ${s.K}, leaf ${b.leaf} in batch ${b.batch} (${o.bucketName})`;
    });
    const s2 = await step(C, 2, "leaf", [s1], () => {
        checkEntries(st.b.entries, st.s.K, st.m.A);
        const leaf = leaf2(idcOf(uidOf(st.b.user_id), st.b.salt), st.b.entries, st.s.K);
        if (leaf !== st.b.leaf_hash) fail("Leaf", "the recomputed leaf is not the bundle's leaf_hash");
        return `leaf2_hash(H(1, uid, salt), ${st.b.entries.length} entries, K = ${st.s.K}) = leaf_hash`;
    });
    // §16.12.2: a file is checked (listed, hashed, parsed) when a step first needs it; a
    // file that failed once makes every later step that needs it SKIPPED
    const failedFiles = new Map();
    const once = (name, K, parse) => {
        if (failedFiles.has(name)) fail("Skip", `needs ${name}, which failed in step ${failedFiles.get(name)}`);
        if (!once.cache.has(name)) {
            try {
                once.cache.set(name, parse(listed(st.m, read, name, K)));
            } catch (e) {
                failedFiles.set(name, once.current);
                throw e;
            }
        }
        return once.cache.get(name);
    };
    once.cache = new Map();
    const proofsOf = (s, K) => once(`proofs-s${s.K}.json`, K, (raw) => parseProofs2(raw, s));
    const vkOf = (s, K) =>
        once(`vk-s${s.K}.json`, K, (raw) => {
            const vk = parseVk(parseStrictJSON(raw, `vk-s${s.K}.json`));
            if (vk.nPublic !== st.m.nPublic) fail(K, `vk-s${s.K}.json: nPublic is not 5 + A·(3T − 1) = ${st.m.nPublic}`);
            return vk;
        });
    const s3 = await step(C, 3, "path to batch root", [s1, s2], () => {
        once.current = 3;
        const s = st.s;
        st.entries = proofsOf(s, "Path");
        const root = hashUp(st.b.leaf_hash, st.b.leaf, st.b.path.slice(0, s.db), st.m.arity);
        if (root !== st.entries[st.b.batch].public[0]) fail("Path", "the path does not lead to the root of the proven batch");
        st.batchRoot = root;
        return `leaf -> batch root ${root}`;
    });
    await step(C, 4, "batch root in the shape's tree", [s1], () => {
        once.current = 4;
        const s = st.s;
        st.batchRoot = proofsOf(s, "Tree")[st.b.batch].public[0]; // the proven batch root
        const name = `tree-s${s.K}.json`;
        const tj = once(name, "Tree", (raw) => parseTreeJson(parseStrictJSON(raw, name)));
        if (tj.arity !== st.m.arity) fail("Tree", `${name} arity differs`);
        if (tj.levels.length !== s.dt + 1) fail("Tree", `${name} does not have d_t + 1 levels`);
        tj.levels.forEach((l, i) => {
            if (l.length !== st.m.arity ** (s.dt - i)) fail("Tree", `${name} level ${i} does not have k^(d_t - ${i}) nodes`);
        });
        if (tj.levels[0][st.b.batch] !== st.batchRoot) fail("Tree", "levels[0][batch] is not the proven batch root");
        let lvl = 0;
        const top = hashUp(st.batchRoot, st.b.batch, st.b.path.slice(s.db), st.m.arity, (node, idx) => {
            lvl++;
            if (tj.levels[lvl][Number(idx)] !== node) fail("Tree", `node at level ${lvl} differs from ${name}`);
        });
        if (top !== s.root) fail("Tree", "the path does not lead to the shape's root");
        return `batch ${st.b.batch} -> shape root ${s.root}`;
    });
    const all = new Map();
    const s5 = await step(C, 5, "batch proofs", [s1], async () => {
        once.current = 5;
        const m = st.m;
        const vks = new Map();
        for (const s of m.shapes) {
            all.set(s.K, proofsOf(s, "Proofs"));
            vks.set(s.K, vkOf(s, "Proofs"));
        }
        const pool = m.shapes.flatMap((s) => all.get(s.K).map((e) => [s.K, e])).filter(([K, e]) => !(K === st.s.K && e.batch === st.b.batch));
        const samples = 3;
        let chosen = pool;
        if (pool.length > samples) {
            chosen = [];
            const left = [...pool];
            while (chosen.length < samples) chosen.push(left.splice(randomInt(left.length), 1)[0]);
        }
        for (const [K, e] of [[st.s.K, all.get(st.s.K)[st.b.batch]], ...chosen]) await verifyGroth16(vks.get(K), fullPublic(m, e), e.proof, `proofs-s${K}.json[${e.batch}]`);
        st.allVerified = chosen.length === pool.length;
        return `the user's batch and ${chosen.length} other(s) verify${st.allVerified ? " (all batches)" : ""}`;
    });
    await step(C, 6, "totals", [accepted], () => {
        once.current = 6;
        const m = st.m;
        if (m.assetsDiff) fail("Totals", `the assets section differs from its re-serialization: ${m.assetsDiff}`);
        const entries = new Map();
        for (const s of m.shapes) entries.set(s.K, all.get(s.K) ?? proofsOf(s, "Totals"));
        const detail = checkTotals(m, entries);
        const proven = s5.ok && st.allVerified;
        return `${detail}; ${proven ? "proven (every batch proof verified in this run)" : "NOT proven: not every batch proof was verified in this run"}`;
    });
    await step(C, 7, "trusted setup", [accepted], () => {
        once.current = 7;
        setupListing(st.m);
        for (const s of st.m.shapes) vkOf(s, "Setup");
        if (st.m.setup.kind !== "ceremony") fail("Setup", `setup kind ${st.m.setup.kind} fails (a development setup always fails the account holder's check)`);
        for (const s of st.m.shapes) listed(st.m, read, `ceremony-s${s.K}.json`, "Setup");
        return { status: "SKIPPED", detail: "listing rule OK; ceremony transcripts not verified by this implementation" };
    });
    if (st.b && st.m && s2.ok) {
        const tables = st.m.registry.derived.tables;
        const { col, dv } = accountValues(st.b.entries, tables);
        const vd = st.m.registry.quote.decimals + st.m.registry.derived.s + 2;
        const q = st.m.registry.quote.symbol;
        console.log(
            `# ${C}: user ${JSON.stringify(st.b.user_id)}: ` +
                st.b.entries.map(([a, e, d]) => {
                    const as = st.m.registry.assets[Number(a)];
                    return `${as.symbol} equity ${e} = ${formatUnits(e, as.decimals)}, debt ${d} = ${formatUnits(d, as.decimals)}`;
                }).join("; ") +
                `; collateral value ${formatUnits(col, vd)} ${q}, debt value ${formatUnits(dv, vd)} ${q}, margin ratio ${dv === 0n ? "no debt" : coverageRatio(col, dv)}` +
                ` (collateral_x100 ${col}, debt_x100 ${dv}) -- compare with your own records`,
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
    const eqList = (got, want, what) => eq(JSON.stringify(got.map(String)), JSON.stringify(want.map(String)), what);
    const throws = (fn, what) => {
        try {
            fn();
        } catch (e) {
            if (!(e instanceof VErr)) throw e;
            return e;
        }
        fail("Mismatch", `${what} was accepted`);
    };
    const entryOf = ([a, e, d]) => [BigInt(a), big(e), big(d)];
    const prim = load("primitives2.json");
    const circ = await buildPoseidonReference();

    await check("constants: r, tags, SENTINEL, challenge prefix, circuit ids (§16.1, §16.2, §16.5)", () => {
        const c = prim.constants;
        eq(R, c.r, "r");
        eq(c.format, "zkpor/2", "format");
        for (const [k, v] of Object.entries(c.tags)) eq(TAG[k], v, `tag ${k}`);
        eq(SENTINEL, c.sentinel, "SENTINEL");
        eq(LEAF_FIRST, c.leaf_first, "leaf_first");
        eq(LEAF_NEXT, c.leaf_next, "leaf_next");
        eq(hex(CHALLENGE_PREFIX), c.challenge_prefix_hex, "challenge prefix");
        eq(1n << 96n, c.total_limit, "totals below 2^96");
        for (const ci of c.circuit_ids) eq(circuitId2(ci.A, ci.T, ci.K, ci.arity, ci.batch_depth), ci.id, "circuit id");
        // §16.6 item 7: margin_bits(K)
        const mb = (K) => bitlen(BigInt(K) * 100n * (ONE64 - 1n) ** 2n);
        eq([1, 4, 16, 128, 1024].map(mb).join(","), "135,137,139,142,145", "margin_bits of §16.6 item 7");
        // a Poseidon cross-check of the widths zkpor/2 uses
        for (const w of [3, 16]) {
            const xs = Array.from({ length: w }, (_, i) => BigInt(i + 7));
            eq(H(...xs), circ.F.toObject(circ(xs)), `H of ${w} inputs vs circomlibjs`);
        }
        return `${Object.keys(c.tags).length} tags, ${c.circuit_ids.length} circuit ids`;
    });
    await check("pack_entry and the entries it refuses, accounts check_entries refuses (§16.4.1)", () => {
        const en = prim.entries;
        for (const x of en.pack_entry) eq(packEntry(...entryOf(x.entry)), x.packed, `pack_entry(${x.entry})`);
        for (const x of en.pack_entry_fails) throws(() => packEntry(...entryOf(x.entry)), `pack_entry(${x.entry}) (${x.field})`);
        for (const x of en.account_fails) throws(() => checkEntries(x.entries.map(entryOf), x.slots, x.registry_size), `account (${x.why})`);
        return `${en.pack_entry.length} packed, ${en.pack_entry_fails.length + en.account_fails.length} refused`;
    });
    await check("leaf2_hash chains for K = 1, 4, 14, 15, 20 (§16.4.2, §16.4.3)", () => {
        for (const l of prim.leaves) {
            const uid = l.user_id === null ? 0n : uidOf(l.user_id);
            eq(uid, l.uid, `uid of ${l.user_id}`);
            const idc = idcOf(uid, big(l.salt));
            eq(idc, l.idc, "idc");
            const { q, chain } = leaf2Chain(idc, l.entries.map(entryOf), l.slots);
            eqList(q.slice(0, l.entries.length), l.packed, "packed");
            eqList(chain, l.chain, `chain of K = ${l.slots}`);
            eq(chain[chain.length - 1], l.leaf, "leaf");
        }
        return `${prim.leaves.length} leaves, every link`;
    });
    await check("mask commitment c = H(6, root, m) (§16.6 item 11)", () => {
        for (const x of prim.mask_commitment) eq(maskCommitment(big(x.root), big(x.mask)), x.c, "c");
        return `${prim.mask_commitment.length} commitments`;
    });
    const rg = prim.registry;
    let reg;
    await check("registry section: parse, canonical JSON, digest (§16.3.1, §16.3.2)", () => {
        reg = parseRegistry(parseStrictJSON(utf8(JSON.stringify(rg.section)), "registry"));
        const d = jsonDiff(reg.json, parseStrictJSON(utf8(JSON.stringify(rg.section)), "registry"));
        if (d) fail("Mismatch", `registry re-serialization: ${d}`);
        eq(canonicalJSON(reg.json, true), rg.canonical_json, "canonical JSON");
        eq(hex(registryDigest(reg.json)), rg.digest, "digest");
        return `${reg.assets.length} assets, ${reg.tables.length} tables, digest ${rg.digest.slice(0, 16)}…`;
    });
    await check("tier tables in equity units, padding, rows, collateral (§16.3.3, §16.3.4)", () => {
        const dv = reg.derived;
        eq(dv.s, rg.price_scale, "price scale");
        eq(reg.quote.decimals + dv.s, rg.value_decimals, "value decimals q + s");
        eq(dv.T, rg.T, "T");
        eq(Math.max(...dv.tables.map((t) => t.ratios.length)), rg.T_derived, "most tiers after §16.3.3");
        rg.tables.forEach((x, a) => {
            const t = dv.tables[a];
            const as = reg.assets[a];
            eq(as.price, x.price, `price of asset ${a}`);
            eq(as.decimals, x.decimals, "decimals");
            eqList(reg.tables[as.table].bounds, x.bounds, "bounds in 10^-q units of the quote");
            eqList(reg.tables[as.table].ratios, x.ratios, "published ratios");
            eq(t.p, x.unit_price, `unit price of asset ${a}`);
            eqList(t.lower, x.lower, `lower bounds of asset ${a}`);
            eqList(t.ratios, x.table_ratios, `ratios of asset ${a}`);
            eqList(t.cumulative, x.cumulative, `cumulative of asset ${a}`);
            const pd = padded(t, dv.T);
            eqList(pd.ratios, x.padded.ratios, "padded ratios");
            eqList(pd.lower, x.padded.lower, "padded lower");
            eqList(pd.cumulative, x.padded.cumulative, "padded cumulative");
            const rows = tableRows(t, a, dv.T).map((r) => [r.L, r.U, r.r, r.p, r.C].map(String));
            eq(JSON.stringify(rows), JSON.stringify(x.rows), `rows of asset ${a}`);
        });
        let probes = 0;
        for (const pr of rg.probes) {
            const a = reg.assets.findIndex((x) => x.symbol === pr.symbol);
            pr.equity.forEach((e, i) => {
                eq(tierOf(dv.tables[a], big(e)), pr.tier[i], `tier of ${e} ${pr.symbol}`);
                eq(collateralX100(dv.tables[a], big(e)), pr.collateral_x100[i], `collateral_x100 of ${e} ${pr.symbol}`);
                probes++;
            });
        }
        eqList(registryPublicInputs(dv.tables, dv.T), rg.registry_public_inputs, "registry_public_inputs");
        for (const f of rg.from_values) {
            const t = fromValues(big(f.unit_price), f.value_tiers.map(([v, r]) => [big(v), BigInt(r)]));
            eqList(t.lower, f.lower, `from_values (${f.why}) lower`);
            eqList(t.ratios, f.ratios, `from_values (${f.why}) ratios`);
            eqList(t.cumulative, f.cumulative, `from_values (${f.why}) cumulative`);
        }
        for (const f of rg.fails) {
            const section = {
                format: "zkpor/2 registry",
                quote: { symbol: "USD", decimals: 0 },
                price_source: "Vectors",
                tables: f.assets.map((a) => ({ bounds: a.bounds, ratios: a.ratios })),
                assets: f.assets.map((a, i) => ({ symbol: `A${i}`, decimals: a.decimals, price: a.price, table: i })),
            };
            throws(() => parseRegistry(parseStrictJSON(utf8(JSON.stringify(section)), "registry")), `registry (${f.why})`);
        }
        return `${rg.tables.length} assets' tables, ${probes} collateral probes, ${rg.registry_public_inputs.length} public inputs, ${rg.from_values.length} from_values cases, ${rg.fails.length} registries refused`;
    });
    const bk = prim.book;
    await check("book: leaves, account values, batch roots, c_j, s_j, trees (§16.4-§16.6)", () => {
        const beta = big(bk.beta);
        const gamma = big(bk.gamma);
        const tables = reg.derived.tables;
        const E = Array(reg.assets.length).fill(0n);
        const D = Array(reg.assets.length).fill(0n);
        let M = 0n;
        const sums = [];
        eq(hex(registryDigest(reg.json)), bk.registry_digest, "registry digest");
        for (const s of bk.shapes) {
            eq(s.batch_size, s.arity ** s.batch_depth, "batch size");
            eq(topDepthFor(s.batches, s.arity), s.top_depth, "top depth");
            eq(circuitId2(reg.assets.length, reg.derived.T, s.slots, s.arity, s.batch_depth), s.circuit_id, "circuit id");
            eq(nPublic2(reg.assets.length, reg.derived.T), s.n_public, "nPublic");
            const leaves = s.leaves.map((l) => {
                const entries = l.entries.map(entryOf);
                checkEntries(entries, s.slots, reg.assets.length);
                const uid = l.user_id === null ? 0n : uidOf(l.user_id);
                eq(idcOf(uid, big(l.salt)), l.idc, "idc");
                const leaf = leaf2(big(l.idc), entries, s.slots);
                eq(leaf, l.leaf, "leaf");
                const { col, dv } = accountValues(entries, tables);
                eq(col, l.collateral_x100, "collateral_x100");
                eq(dv, l.debt_x100, "debt_x100");
                if (col < dv) fail("Mismatch", "an account of the book is not collateralised");
                for (const [a, e, d] of entries) {
                    E[Number(a)] += e;
                    D[Number(a)] += d;
                }
                return { leaf, entries };
            });
            s.batch_list.forEach((b, j) => {
                const mine = leaves.slice(j * s.batch_size, (j + 1) * s.batch_size);
                const root = subtreeRoot(mine.map((x) => x.leaf), s.arity);
                eq(root, b.root, `root of batch ${j}`);
                eq(maskCommitment(root, big(b.mask)), b.c, "c_j");
                const sj = batchTotal(big(b.mask), mine.map((x) => x.entries), beta, gamma);
                eq(sj, b.s, `s_j of batch ${j} (K = ${s.slots})`);
                eqList([root, big(b.c), sj, beta, gamma], b.public, "first five public inputs");
                M = (M + big(b.mask)) % R;
                sums.push(sj);
            });
            const lv = topLevels(s.batch_list.map((b) => big(b.root)), s.arity, s.top_depth);
            eq(JSON.stringify(lv.map((l) => l.map(String))), JSON.stringify(s.tree_levels), "tree levels");
            eq(lv[lv.length - 1][0], s.root, "shape root");
        }
        eqList(E, bk.equity, "equity totals");
        eqList(D, bk.debt, "debt totals");
        eqList(E.map((e, a) => e - D[a]), bk.net, "net");
        eq(M, bk.mask_sum, "mask sum");
        eqList(sums, bk.sums, "s_j");
        return `${bk.shapes.length} shapes; every leaf, root, c_j, s_j recomputed natively; totals and M summed`;
    });
    await check("book: challenge preimage, β, γ, totals identity and its failures (§16.7)", () => {
        const shapes = bk.shapes.map((s) => [s.slots, s.batch_list.map((b) => [big(b.root), big(b.c)])]);
        const E = bk.equity.map(big);
        const D = bk.debt.map(big);
        const pre = challengePreimage(bk.attestation_id, unhex(bk.registry_digest), shapes, E, D, big(bk.mask_sum));
        eq(hex(pre), bk.challenge_preimage_hex, "challenge preimage");
        const { seed, beta, gamma } = challenges(pre, E.length);
        eq(hex(seed), bk.challenge_seed_hex, "seed");
        eq(beta, bk.beta, "β");
        eq(gamma, bk.gamma, "γ");
        const holds = totalsIdentityHolds(bk.sums.map(big), big(bk.mask_sum), E, D, beta, gamma);
        eq(holds, bk.identity_holds, "identity");
        for (const f of bk.identity_fails) {
            const ok = totalsIdentityHolds(f.sums.map(big), big(f.mask_sum), f.equity.map(big), f.debt.map(big), big(f.beta), big(f.gamma ?? bk.gamma));
            if (ok) fail("Mismatch", `identity holds after: ${f.why}`);
        }
        return `β, γ derived; identity holds, and fails after ${bk.identity_fails.length} edits`;
    });
    const ex = load("attestation_expected.json");
    const adir = path.join(VECTORS, "attestation");
    await check("attestation_expected: registry, leaves, batches, challenges, trees, users (§16, §11)", async () => {
        const raw = new Uint8Array(readFileSync(path.join(adir, "attestation.json")));
        eq(hex(sha256(raw)), ex.manifest_sha256, "manifest sha256");
        const m = parseManifest2(parseStrictJSON(raw, "attestation.json"));
        eq(hex(m.registryDigest), ex.registry_digest, "registry digest");
        eq(m.T, ex.T, "T");
        eqList(m.registryInputs, ex.registry_public_inputs, "registry public inputs");
        eqList(m.assets.map((a) => a.equity), ex.equity, "equity");
        eqList(m.assets.map((a) => a.debt), ex.debt, "debt");
        eq(m.totals.mask_sum, ex.mask_sum, "mask_sum");
        const shapes = ex.shapes.map((s) => [s.slots, s.batches.map((b) => [big(b.root), big(b.c)])]);
        const pre = challengePreimage(m.id, m.registryDigest, shapes, ex.equity.map(big), ex.debt.map(big), big(ex.mask_sum));
        eq(hex(pre), ex.challenge_preimage_hex, "challenge preimage");
        const { beta, gamma } = challenges(pre, m.A);
        eq(beta, ex.beta, "β");
        eq(gamma, ex.gamma, "γ");
        let M = 0n;
        ex.shapes.forEach((s, i) => {
            const ms = m.shapes[i];
            eq(ms.circuitId, s.circuit_id, "circuit id");
            eq(m.nPublic, s.n_public, "nPublic");
            const leaves = s.leaves.map((l) => {
                const uid = l.user_id === null ? 0n : uidOf(l.user_id);
                eq(idcOf(uid, big(l.salt)), l.idc, "idc");
                const entries = l.entries.map(entryOf);
                eq(leaf2(big(l.idc), entries, s.slots), l.leaf, "leaf");
                return entries;
            });
            s.batches.forEach((b, j) => {
                const mine = s.leaves.slice(j * ms.B, (j + 1) * ms.B);
                eq(subtreeRoot(mine.map((l) => big(l.leaf)), m.arity), b.root, "batch root");
                eq(maskCommitment(big(b.root), big(b.mask)), b.c, "c");
                eq(batchTotal(big(b.mask), leaves.slice(j * ms.B, (j + 1) * ms.B), beta, gamma), b.s, "s");
                M = (M + big(b.mask)) % R;
            });
            const lv = topLevels(s.batches.map((b) => big(b.root)), m.arity, ms.dt);
            eq(JSON.stringify(lv.map((l) => l.map(String))), JSON.stringify(s.top_levels), "top levels");
        });
        eq(M, ex.mask_sum, "M = Σ masks");
        const read = makeReader(adir);
        for (const u of ex.users) {
            const code = derivedCode(unhex(ex.code_secret), u.user_id);
            eq(displayCode(code), u.code, `code of ${u.user_id}`);
            const o = openBundle(read, m, parseCode(u.code));
            eq(hex(o.lookup), u.lookup, "lookup");
            eq(o.bucketName, u.bucket, "bucket");
            eq(hex(sha256(o.plaintext)), u.plaintext_sha256, "plaintext sha256");
            eq(o.bundle.slots, u.slots, "slots");
            eq(o.bundle.leaf, u.leaf, "leaf");
            eq(o.bundle.batch, u.batch, "batch");
            const { col, dv } = accountValues(o.bundle.entries, m.registry.derived.tables);
            eq(col, u.collateral_x100, "collateral_x100");
            eq(dv, u.debt_x100, "debt_x100");
        }
        return `${ex.shapes.length} shapes, ${ex.users.length} users: every value recomputed`;
    });
}

// ---------------------------------------------------------------- main
async function main() {
    await sodium.ready;
    const args = process.argv.slice(2);
    let dir = path.join(VECTORS, "attestation");
    const codes = [];
    let vectors = false;
    let allowDev = false;
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--vectors") vectors = true;
        else if (a === "--allow-insecure-dev-setup") allowDev = true;
        else if (a === "--code") codes.push(args[++i]);
        else if (a === "--expected-codes") {
            const ex = JSON.parse(readFileSync(args[++i], "utf8"));
            for (const u of ex.users) codes.push(u.code);
        } else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
        else dir = path.resolve(a);
    }
    if (vectors) await vectorsMode();
    else {
        await reviewerCheck(dir, allowDev);
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
