// An independent zkpor/2 verifier written from docs/protocol.md §16 alone (plus the
// vectors of tests/vectors/protocol2/ and their README). It does not share code with
// verifier/ or publisher/: its purpose is to test whether §16 is complete. The zkpor/1
// primitives (§3-§11) are copied from tests/js/independent_check.mjs, which was written
// the same way from §3-§12.
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
import { readFileSync, existsSync } from "node:fs";
import { createHash, randomInt } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as snarkjs from "snarkjs";
import { buildPoseidonReference } from "circomlibjs";
import sodium from "libsodium-wrappers-sumo";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = path.resolve(HERE, "..", "vectors", "protocol2");

// ---------------------------------------------------------------- constants (§3.1)
const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const TAG = { ID: 1n, NODE: 3n, LEAF2: 5n, MASK: 6n, TIERS: 7n, CHALLENGE: 8n };
const RP_TABLE = { 2: 56, 3: 57, 4: 56, 5: 60, 6: 60, 7: 63, 8: 64, 9: 63, 10: 60, 11: 66, 12: 60, 13: 65, 14: 70, 15: 60, 16: 64, 17: 68 };
const POSEIDON_CONSTANTS_SHA256 = "61be3b698d581509f2424ebc3180cc40ba4ee75f09796cf1a9ccf17be3eaa022";

class VErr extends Error {
    constructor(kind, message) {
        super(message);
        this.kind = kind;
    }
}
const fail = (kind, msg) => {
    throw new VErr(kind, msg);
};

// ---------------------------------------------------------------- small helpers
const mod = (a, m) => ((a % m) + m) % m;
function modpow(b, e, m) {
    let r = 1n;
    b = mod(b, m);
    while (e > 0n) {
        if (e & 1n) r = (r * b) % m;
        b = (b * b) % m;
        e >>= 1n;
    }
    return r;
}
const inv = (a, m) => modpow(a, m - 2n, m);
const sha256 = (b) => new Uint8Array(createHash("sha256").update(b).digest());
const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (s) => new Uint8Array(Buffer.from(s, "hex"));
const utf8 = (s) => {
    if (!s.isWellFormed()) fail("Encoding", "string is not valid Unicode (lone surrogate)");
    return new TextEncoder().encode(s);
};
const intBe = (b) => (b.length ? BigInt("0x" + hex(b)) : 0n);
const beBytes = (n, k) => unhex(n.toString(16).padStart(2 * k, "0"));
const bytesEq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const cmpBytes = (a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
};
const isInt = (v) => typeof v === "bigint";
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// ---------------------------------------------------------------- strict JSON (§4.1)
function parseStrictJSON(bytes, what) {
    const bad = (m) => fail("MalformedJSON", `${what}: ${m}`);
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bad("byte-order mark");
    let text;
    try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
        bad("not valid UTF-8");
    }
    let i = 0;
    const ws = () => {
        while (i < text.length && " \t\n\r".includes(text[i])) i++;
    };
    const NUM = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    function str() {
        i++; // opening quote
        let out = "";
        for (;;) {
            if (i >= text.length) bad("unterminated string");
            const c = text[i];
            const code = text.charCodeAt(i);
            if (c === '"') {
                i++;
                break;
            }
            if (code < 0x20) bad("control character in string");
            if (c === "\\") {
                const e = text[i + 1];
                const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
                if (e in simple) {
                    out += simple[e];
                    i += 2;
                } else if (e === "u") {
                    const h = text.slice(i + 2, i + 6);
                    if (!/^[0-9a-fA-F]{4}$/.test(h)) bad("bad \\u escape");
                    out += String.fromCharCode(parseInt(h, 16));
                    i += 6;
                } else bad("bad escape");
            } else {
                out += c;
                i++;
            }
        }
        if (!out.isWellFormed()) bad("lone surrogate in string");
        return out;
    }
    function value(depth) {
        ws();
        const c = text[i];
        if (c === "{" || c === "[") {
            if (depth + 1 > 32) bad("nesting deeper than 32 levels");
            i++;
            ws();
            if (c === "{") {
                const obj = Object.create(null);
                if (text[i] === "}") {
                    i++;
                    return obj;
                }
                for (;;) {
                    ws();
                    if (text[i] !== '"') bad("expected a key");
                    const k = str();
                    ws();
                    if (text[i] !== ":") bad("expected ':'");
                    i++;
                    const v = value(depth + 1);
                    if (Object.prototype.hasOwnProperty.call(obj, k)) bad(`duplicate key ${JSON.stringify(k)}`);
                    obj[k] = v;
                    ws();
                    if (text[i] === ",") {
                        i++;
                        continue;
                    }
                    if (text[i] === "}") {
                        i++;
                        return obj;
                    }
                    bad("expected ',' or '}'");
                }
            }
            const arr = [];
            if (text[i] === "]") {
                i++;
                return arr;
            }
            for (;;) {
                arr.push(value(depth + 1));
                ws();
                if (text[i] === ",") {
                    i++;
                    continue;
                }
                if (text[i] === "]") {
                    i++;
                    return arr;
                }
                bad("expected ',' or ']'");
            }
        }
        if (c === '"') return str();
        for (const [lit, v] of [["true", true], ["false", false], ["null", null]]) {
            if (text.startsWith(lit, i)) {
                i += lit.length;
                return v;
            }
        }
        NUM.lastIndex = i;
        const m = NUM.exec(text);
        if (!m) bad(`unexpected ${JSON.stringify(text.slice(i, i + 10))}`);
        if (m[2] !== undefined || m[3] !== undefined) bad(`non-integer number ${m[0]}`);
        i = NUM.lastIndex;
        return BigInt(m[0]);
    }
    const v = value(0);
    ws();
    if (i !== text.length) bad("trailing data");
    return v;
}

// JSON value equality with types (ints are BigInt, so 1 !== "1" !== true)
function jsonEqual(a, b) {
    if (typeof a !== typeof b) return false;
    if (a === null || b === null) return a === b;
    if (Array.isArray(a) || Array.isArray(b)) {
        if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
        return a.every((x, k) => jsonEqual(x, b[k]));
    }
    if (typeof a === "object") {
        const ka = Object.keys(a).sort();
        const kb = Object.keys(b).sort();
        if (!jsonEqual(ka, kb)) return false;
        return ka.every((k) => jsonEqual(a[k], b[k]));
    }
    return a === b;
}
function jsonDiff(a, b, where = "") {
    // first difference, for messages
    if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
        return jsonEqual(a, b) ? null : `${where || "value"}: ${show(a)} vs ${show(b)}`;
    }
    if (Array.isArray(a) !== Array.isArray(b)) return `${where}: type differs`;
    if (Array.isArray(a)) {
        if (a.length !== b.length) return `${where}: length ${a.length} vs ${b.length}`;
        for (let k = 0; k < a.length; k++) {
            const d = jsonDiff(a[k], b[k], `${where}[${k}]`);
            if (d) return d;
        }
        return null;
    }
    for (const k of Object.keys(a)) if (!(k in b)) return `${where ? where + "." : ""}${k}: missing`;
    for (const k of Object.keys(b)) if (!(k in a)) return `has a field zkpor/2 does not define: ${where ? where + "." : ""}${k}`;
    for (const k of Object.keys(a)) {
        const d = jsonDiff(a[k], b[k], `${where ? where + "." : ""}${k}`);
        if (d) return d;
    }
    return null;
}
const show = (v) => (typeof v === "bigint" ? v.toString() : JSON.stringify(v));

// Python json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=...) (§4.1)
function canonicalJSON(v, ensureAscii = false) {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number") {
        if (!Number.isInteger(v)) throw new Error("non-integer number in canonical JSON");
        return String(v);
    }
    if (typeof v === "string") {
        let out = '"';
        for (const ch of v) {
            const cp = ch.codePointAt(0);
            const esc = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" }[ch];
            if (esc) out += esc;
            else if (cp < 0x20) out += "\\u" + cp.toString(16).padStart(4, "0");
            else if (ensureAscii && cp > 0x7f) {
                // ensure_ascii: every non-ASCII character as \\uXXXX (UTF-16 surrogate pairs above U+FFFF)
                for (let k = 0; k < ch.length; k++) out += "\\u" + ch.charCodeAt(k).toString(16).padStart(4, "0");
            } else out += ch;
        }
        return out + '"';
    }
    if (Array.isArray(v)) return "[" + v.map((x) => canonicalJSON(x, ensureAscii)).join(",") + "]";
    const keys = Object.keys(v).sort(cmpCodePoints);
    return "{" + keys.map((k) => canonicalJSON(k, ensureAscii) + ":" + canonicalJSON(v[k], ensureAscii)).join(",") + "}";
}
function cmpCodePoints(a, b) {
    const A = [...a].map((c) => c.codePointAt(0));
    const B = [...b].map((c) => c.codePointAt(0));
    for (let k = 0; k < Math.min(A.length, B.length); k++) if (A[k] !== B[k]) return A[k] - B[k];
    return A.length - B.length;
}

// Python json.dumps(doc, indent=1, sort_keys=True) (used for the Poseidon constants file)
function pyIndentJSON(v, level = 0) {
    const pad = (n) => " ".repeat(n);
    if (Array.isArray(v)) {
        if (!v.length) return "[]";
        return "[\n" + v.map((x) => pad(level + 1) + pyIndentJSON(x, level + 1)).join(",\n") + "\n" + pad(level) + "]";
    }
    if (isObj(v)) {
        const keys = Object.keys(v).sort(cmpCodePoints);
        if (!keys.length) return "{}";
        return "{\n" + keys.map((k) => pad(level + 1) + JSON.stringify(k) + ": " + pyIndentJSON(v[k], level + 1)).join(",\n") + "\n" + pad(level) + "}";
    }
    return typeof v === "bigint" ? v.toString() : JSON.stringify(v);
}

// ---------------------------------------------------------------- decimal strings (§4.2)
function decCanonical(v, bound, what) {
    // canonical only: used where the file must equal its re-serialization
    if (typeof v !== "string" || !/^[0-9]+$/.test(v)) fail("Malformed", `${what}: not a decimal string: ${show(v)}`);
    const n = BigInt(v);
    if (n.toString() !== v) fail("Malformed", `${what}: not canonical: ${show(v)}`);
    if (n >= bound) fail("Malformed", `${what}: out of range: ${v}`);
    return n;
}
function decLoose(v, maxDigits, what) {
    if (typeof v !== "string" || !new RegExp(`^[0-9]{1,${maxDigits}}$`).test(v)) {
        fail("Malformed", `${what}: not a decimal string of 1..${maxDigits} digits: ${show(v)}`);
    }
    return BigInt(v);
}
function intIn(v, lo, hi, what) {
    if (!isInt(v)) fail("Malformed", `${what}: not a JSON integer: ${show(v)}`);
    if (v < BigInt(lo) || (hi !== null && v > BigInt(hi))) fail("Malformed", `${what}: ${v} outside [${lo}, ${hi ?? "∞"}]`);
    return v;
}
function onlyKeys(obj, allowed, what) {
    if (!isObj(obj)) fail("Malformed", `${what}: not an object`);
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail("UnknownKey", `${what} has a field zkpor/2 does not define: ${k}`);
}
function need(obj, key, what) {
    if (!isObj(obj)) fail("Malformed", `${what}: not an object`);
    if (!Object.prototype.hasOwnProperty.call(obj, key)) fail("Malformed", `${what}: missing ${key}`);
    return obj[key];
}

// ---------------------------------------------------------------- Poseidon (§3.4)
function* grainBits(t, RP) {
    // §3.4 step 1 (Grain LFSR) and step 2 (self-shrinking)
    const init = [];
    const push = (v, len) => {
        for (let k = len - 1; k >= 0; k--) init.push((v >> k) & 1);
    };
    push(1, 2);
    push(0, 4);
    push(254, 12);
    push(t, 12);
    push(8, 10);
    push(RP, 10);
    for (let k = 0; k < 30; k++) init.push(1);
    const s = new Uint8Array(80);
    init.forEach((b, k) => (s[k] = b));
    let pos = 0; // s[(pos + k) % 80] = b[i + k]
    const raw = () => {
        const nb = s[(pos + 62) % 80] ^ s[(pos + 51) % 80] ^ s[(pos + 38) % 80] ^ s[(pos + 23) % 80] ^ s[(pos + 13) % 80] ^ s[pos];
        s[pos] = nb;
        pos = (pos + 1) % 80;
        return nb;
    };
    for (let k = 0; k < 160; k++) raw();
    for (;;) {
        const a = raw();
        const b = raw();
        if (a === 1) yield b;
    }
}
function grainConstants(t) {
    const RP = RP_TABLE[t];
    const bits = grainBits(t, RP);
    const draw = () => {
        let v = 0n;
        for (let k = 0; k < 254; k++) v = (v << 1n) | BigInt(bits.next().value);
        return v;
    };
    const C = [];
    while (C.length < (8 + RP) * t) {
        const v = draw();
        if (v < R) C.push(v);
    }
    for (;;) {
        const xs = [];
        for (let k = 0; k < 2 * t; k++) xs.push(draw() % R);
        if (new Set(xs.map(String)).size !== 2 * t) continue;
        const x = xs.slice(0, t);
        const y = xs.slice(t);
        if (x.some((a) => y.some((b) => (a + b) % R === 0n))) continue;
        const M = x.map((a) => y.map((b) => inv(a + b, R)));
        return { C, M, RP };
    }
}
const constCache = new Map();
function constants(t) {
    if (!constCache.has(t)) constCache.set(t, grainConstants(t));
    return constCache.get(t);
}
function H(...xs) {
    if (xs.length < 1 || xs.length > 16) fail("PoseidonInput", `Poseidon takes 1..16 inputs, not ${xs.length}`);
    for (const x of xs) if (!isInt(x) || x < 0n || x >= R) fail("PoseidonInput", `Poseidon input not in [0, r): ${x}`);
    const t = xs.length + 1;
    const { C, M, RP } = constants(t);
    let s = [0n, ...xs];
    for (let i = 0; i < 8 + RP; i++) {
        s = s.map((v, j) => (v + C[i * t + j]) % R);
        if (i < 4 || i >= 4 + RP) s = s.map((v) => modpow(v, 5n, R));
        else s[0] = modpow(s[0], 5n, R);
        s = M.map((row) => row.reduce((acc, m, k) => acc + m * s[k], 0n) % R);
    }
    return s[0];
}

// ---------------------------------------------------------------- commitments (§5)
function pack(values, per, bits) {
    const out = [];
    for (let start = 0; start < values.length; start += per) {
        let e = 0n;
        values.slice(start, start + per).forEach((v, posn) => {
            if (!isInt(v) || v < 0n || v >= 1n << BigInt(bits)) fail("Pack", `limb ${v} not below 2^${bits}`);
            e += v << BigInt(bits * posn);
        });
        out.push(e);
    }
    return out;
}
const uidOf = (userId) => intBe(sha256(utf8(userId))) % R;
const idcOf = (uid, salt) => H(TAG.ID, uid, salt);
const nodeOf = (children) => H(TAG.NODE, ...children);
function subtreeRoot(leaves, k) {
    let level = [...leaves];
    while (level.length > 1) {
        const next = [];
        for (let i = 0; i < level.length; i += k) next.push(nodeOf(level.slice(i, i + k)));
        level = next;
    }
    return level[0];
}
function topDepthFor(N, k) {
    let d = 0;
    while (BigInt(k) ** BigInt(d) < BigInt(N)) d++;
    return d;
}
function topLevels(roots, k, dt) {
    const levels = [[...roots, ...Array(k ** dt - roots.length).fill(0n)]];
    while (levels[levels.length - 1].length > 1) {
        const below = levels[levels.length - 1];
        const next = [];
        for (let i = 0; i < below.length; i += k) next.push(nodeOf(below.slice(i, i + k)));
        levels.push(next);
    }
    return levels;
}
function hashUp(node, index, pathLevels, k, onEach) {
    let idx = BigInt(index);
    const K = BigInt(k);
    for (const sib of pathLevels) {
        const pos = Number(idx % K);
        node = nodeOf([...sib.slice(0, pos), node, ...sib.slice(pos)]);
        idx /= K;
        if (onEach) onEach(node, idx);
    }
    return node;
}
function siblingPath(leaves, index, k) {
    // the path of §5.6 over a complete tree (used to check merkle.json)
    const out = [];
    let level = [...leaves];
    let idx = index;
    while (level.length > 1) {
        const start = idx - (idx % k);
        out.push(level.slice(start, start + k).filter((_, j) => start + j !== idx));
        const next = [];
        for (let i = 0; i < level.length; i += k) next.push(nodeOf(level.slice(i, i + k)));
        level = next;
        idx = Math.floor(idx / k);
    }
    return out;
}

// ---------------------------------------------------------------- text fields (§4.3, §4.5)
function isPrintable(s) {
    for (const ch of s) if (ch !== " " && /[\p{C}\p{Z}]/u.test(ch)) return false;
    return true;
}
const RE = {
    id: /^[A-Za-z0-9._-]{1,64}$/,
    url: /^https:\/\/[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][A-Za-z0-9\-._~/?#=&%+,;:@!$]*)?$/,
    asOf: /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/,
    symbol: /^[A-Z0-9]{1,12}$/,
    circuitId: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    setupKind: /^[a-z0-9][a-z0-9-]{0,31}$/,
    version: /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/,
    fileName: /^(bundles\/SHA256SUMS|ceremony\/transcript\.json|[a-z0-9][a-z0-9_-]{0,63}\.json)$/,
    hex64: /^[0-9a-f]{64}$/,
};
function checkText(v, kind, what) {
    if (typeof v !== "string") fail("Malformed", `${what}: not a string`);
    const ok = (() => {
        switch (kind) {
            case "id":
                return RE.id.test(v) && !/^\.+$/.test(v);
            case "name":
                return (
                    [...v].length >= 1 && [...v].length <= 200 && isPrintable(v) && v.trim() === v && !/^\s|\s$/u.test(v) && !/[<>&"'`]/.test(v)
                );
            case "url":
                return v.length <= 2000 && RE.url.test(v);
            case "asOf": {
                const m = RE.asOf.exec(v);
                if (!m) return false;
                const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
                if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
                const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
                const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
                return d <= days;
            }
            case "statement":
                return [...v].length >= 1 && [...v].length <= 10000 && isPrintable(v);
            default:
                return RE[kind].test(v);
        }
    })();
    if (!ok) fail("Malformed", `${what}: not an accepted value: ${JSON.stringify(v).slice(0, 80)}`);
    return v;
}
function formatUnits(units, decimals) {
    const D = 10n ** BigInt(decimals);
    const whole = units / D;
    const frac = units % D;
    const digits = decimals ? frac.toString().padStart(Number(decimals), "0").replace(/0+$/, "") : "";
    return digits ? `${whole}.${digits}` : `${whole}`;
}
function coverageRatio(reserves, liabilities) {
    if (liabilities === 0n) return null;
    const q = (reserves * 10000n) / liabilities;
    return `${q / 10000n}.${(q % 10000n).toString().padStart(4, "0")}`;
}

// ---------------------------------------------------------------- optional manifest sections (§9.2, §10.6, §10.7)
// backing_ratio of §10.6: coverage_ratio of the collateral and the supply in whole tokens
const backingRatio = (collateral, dO, supply, dT) => coverageRatio(collateral * 10n ** dT, supply * 10n ** dO);
const isBacked = (collateral, dO, supply, dT) => collateral * 10n ** dT >= supply * 10n ** dO;
function parseSegregation(seg, assets) {
    const what = "segregation";
    onlyKeys(seg, ["wrapped", "protection_fund", "corporate"], what);
    const lists = {};
    for (const k of ["wrapped", "protection_fund", "corporate"]) {
        lists[k] = need(seg, k, what);
        if (!Array.isArray(lists[k])) fail("Malformed", `${what}.${k}: not a list`);
    }
    const assetIndex = new Map(assets.map((a, i) => [a.symbol, i]));
    const assetOf = (v, where) => {
        if (typeof v !== "string" || !assetIndex.has(v)) fail("Malformed", `${where}: ${show(v)} is not a symbol of assets`);
        return v;
    };
    const seen = new Set();
    const wrapped = lists.wrapped.map((t, i) => {
        const w = `${what}.wrapped[${i}]`;
        const symbol = checkText(need(t, "symbol", w), "symbol", `${w}.symbol`);
        if (seen.has(symbol)) fail("Malformed", `${w}.symbol: ${symbol} appears twice in wrapped`);
        seen.add(symbol);
        const origin = assetOf(need(t, "origin", w), `${w}.origin`);
        if (need(t, "chain", w) !== "ethereum") fail("Malformed", `${w}.chain: ${show(t.chain)} is not "ethereum"`);
        const contract = need(t, "contract", w);
        if (typeof contract !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(contract)) fail("Malformed", `${w}.contract: not 0x + 40 hex digits`);
        return {
            symbol,
            origin,
            chain: "ethereum",
            contract,
            decimals: intIn(need(t, "decimals", w), 0, 77, `${w}.decimals`),
            supply: decCanonical(need(t, "supply", w), 1n << 256n, `${w}.supply`),
            block: intIn(need(t, "block", w), 0, (1n << 63n) - 1n, `${w}.block`),
            collateral: decCanonical(need(t, "collateral", w), 1n << 160n, `${w}.collateral`),
            originDecimals: assets[assetIndex.get(origin)].decimals,
        };
    });
    const holdings = (k) => {
        let last = -1;
        return lists[k].map((h, j) => {
            const w = `${what}.${k}[${j}]`;
            const asset = assetOf(need(h, "asset", w), `${w}.asset`);
            const at = assetIndex.get(asset);
            // at most one entry per asset, in the order of assets: strictly increasing index
            if (at <= last) fail("Malformed", `${w}.asset: ${asset} is repeated or out of the order of assets`);
            last = at;
            return { asset, balance: decCanonical(need(h, "balance", w), 1n << 160n, `${w}.balance`) };
        });
    };
    return { wrapped, protection_fund: holdings("protection_fund"), corporate: holdings("corporate") };
}
function segregationJson(seg, assets) {
    const decimalsOf = new Map(assets.map((a) => [a.symbol, a.decimals]));
    const holding = (h) => ({ asset: h.asset, balance: h.balance.toString(), amount: formatUnits(h.balance, decimalsOf.get(h.asset)) });
    return {
        wrapped: seg.wrapped.map((t) => ({
            symbol: t.symbol,
            origin: t.origin,
            chain: t.chain,
            contract: t.contract,
            decimals: t.decimals,
            supply: t.supply.toString(),
            supply_amount: formatUnits(t.supply, t.decimals),
            block: t.block,
            collateral: t.collateral.toString(),
            collateral_amount: formatUnits(t.collateral, t.originDecimals),
            ratio: backingRatio(t.collateral, t.originDecimals, t.supply, t.decimals),
        })),
        protection_fund: seg.protection_fund.map(holding),
        corporate: seg.corporate.map(holding),
    };
}
const COSIGNER_KEY = { ed25519: /^[0-9a-f]{64}$/, eip191: /^0x[0-9a-f]{40}$/ };
function parseCosigners(list) {
    if (!Array.isArray(list) || list.length < 1 || list.length > 64) fail("Malformed", "cosigners: not a list of 1 to 64 entries");
    const seen = new Set();
    return list.map((c, i) => {
        const w = `cosigners[${i}]`;
        onlyKeys(c, ["name", "scheme", "key"], w);
        const name = checkText(need(c, "name", w), "name", `${w}.name`);
        const scheme = need(c, "scheme", w);
        if (!(scheme in COSIGNER_KEY)) fail("Malformed", `${w}.scheme: ${show(scheme)} is not ed25519 or eip191`);
        const key = need(c, "key", w);
        if (typeof key !== "string" || !COSIGNER_KEY[scheme].test(key)) fail("Malformed", `${w}.key: not a ${scheme} key`);
        if (seen.has(`${scheme} ${key}`)) fail("Malformed", `${w}: ${scheme} key ${key} is pinned twice`);
        seen.add(`${scheme} ${key}`);
        return { name, scheme, key };
    });
}

// ---------------------------------------------------------------- BN254 points (§3.2, §3.3)
const B_TWIST = [19485874751759354771024239261021720505790618469301721065564631296452457478373n, 266929791119991161246907387137283842545076965332900288569378510910307636690n];
const G2GEN = {
    x: [10857046999023057135944570762232829481370756359578518086990519993285655852781n, 11559732032986387107991004021392285783925812861821192530917403151452391805634n],
    y: [8495653923123431417604973247489272438418190587263600148770280649306958101930n, 4082367875863433681332203403145435568316851327593401208105741076214120093531n],
};
const f2 = {
    add: (a, b) => [(a[0] + b[0]) % P, (a[1] + b[1]) % P],
    sub: (a, b) => [mod(a[0] - b[0], P), mod(a[1] - b[1], P)],
    mul: (a, b) => [mod(a[0] * b[0] - a[1] * b[1], P), mod(a[0] * b[1] + a[1] * b[0], P)],
    sq: (a) => f2.mul(a, a),
    inv: (a) => {
        const d = inv(mod(a[0] * a[0] + a[1] * a[1], P), P);
        return [(a[0] * d) % P, mod(-a[1] * d, P)];
    },
    eq: (a, b) => a[0] === b[0] && a[1] === b[1],
    zero: (a) => a[0] === 0n && a[1] === 0n,
    small: (n) => [BigInt(n), 0n],
};
const g1OnCurve = (pt) => pt.inf || mod(pt.y * pt.y - pt.x ** 3n - 3n, P) === 0n;
const g2OnCurve = (pt) => pt.inf || f2.eq(f2.sq(pt.y), f2.add(f2.mul(f2.sq(pt.x), pt.x), B_TWIST));
function g2MulIsInfinity(pt, k) {
    // Jacobian coordinates on y^2 = x^3 + b' (a = 0)
    const dbl = ([X, Y, Z]) => {
        if (f2.zero(Z)) return [X, Y, Z];
        const A = f2.sq(X);
        const Bq = f2.sq(Y);
        const C = f2.sq(Bq);
        const t = f2.sub(f2.sub(f2.sq(f2.add(X, Bq)), A), C);
        const D = f2.add(t, t);
        const E = f2.add(f2.add(A, A), A);
        const F = f2.sq(E);
        const X3 = f2.sub(F, f2.add(D, D));
        const C8 = f2.mul(C, f2.small(8));
        const Y3 = f2.sub(f2.mul(E, f2.sub(D, X3)), C8);
        const YZ = f2.mul(Y, Z);
        return [X3, Y3, f2.add(YZ, YZ)];
    };
    const add = (p1, p2) => {
        const [X1, Y1, Z1] = p1;
        const [X2, Y2, Z2] = p2;
        if (f2.zero(Z1)) return p2;
        if (f2.zero(Z2)) return p1;
        const Z1Z1 = f2.sq(Z1);
        const Z2Z2 = f2.sq(Z2);
        const U1 = f2.mul(X1, Z2Z2);
        const U2 = f2.mul(X2, Z1Z1);
        const S1 = f2.mul(Y1, f2.mul(Z2, Z2Z2));
        const S2 = f2.mul(Y2, f2.mul(Z1, Z1Z1));
        if (f2.eq(U1, U2)) return f2.eq(S1, S2) ? dbl(p1) : [f2.small(1), f2.small(1), f2.small(0)];
        const Hh = f2.sub(U2, U1);
        const I = f2.sq(f2.add(Hh, Hh));
        const J = f2.mul(Hh, I);
        const rr = f2.add(f2.sub(S2, S1), f2.sub(S2, S1));
        const V = f2.mul(U1, I);
        const X3 = f2.sub(f2.sub(f2.sq(rr), J), f2.add(V, V));
        const S1J = f2.mul(S1, J);
        const Y3 = f2.sub(f2.mul(rr, f2.sub(V, X3)), f2.add(S1J, S1J));
        const Z3 = f2.mul(f2.sub(f2.sub(f2.sq(f2.add(Z1, Z2)), Z1Z1), Z2Z2), Hh);
        return [X3, Y3, Z3];
    };
    let acc = [f2.small(1), f2.small(1), f2.small(0)];
    const base = [pt.x, pt.y, f2.small(1)];
    for (let i = k.toString(2).length - 1; i >= 0; i--) {
        acc = dbl(acc);
        if ((k >> BigInt(i)) & 1n) acc = add(acc, base);
    }
    return f2.zero(acc[2]);
}
const coordP = (v, what, kind) => {
    const n = decLoose(v, 78, what);
    if (n >= P) fail(kind, `${what}: coordinate not below p`);
    return n;
};
function parseG1(v, what, kind = "MalformedProof") {
    try {
        if (!Array.isArray(v) || v.length !== 3) fail(kind, `${what}: not a G1 point`);
        const x = coordP(v[0], what, kind);
        const y = coordP(v[1], what, kind);
        if (v[0] === "0" && v[1] === "1" && v[2] === "0") return { x: 0n, y: 0n, inf: true };
        if (v[2] !== "1") fail(kind, `${what}: third coordinate is not "1"`);
        return { x, y, inf: false };
    } catch (e) {
        if (e instanceof VErr) throw new VErr(kind, e.message);
        throw e;
    }
}
function parseG2(v, what, kind = "MalformedProof") {
    try {
        const f2of = (c) => {
            if (!Array.isArray(c) || c.length !== 2) fail(kind, `${what}: not an Fp2 element`);
            return [coordP(c[0], what, kind), coordP(c[1], what, kind)];
        };
        if (!Array.isArray(v) || v.length !== 3) fail(kind, `${what}: not a G2 point`);
        const x = f2of(v[0]);
        const y = f2of(v[1]);
        const z = v[2];
        if (!Array.isArray(z) || z.length !== 2) fail(kind, `${what}: bad z`);
        const s = (a) => JSON.stringify(a);
        if (s(v[0]) === s(["0", "0"]) && s(v[1]) === s(["1", "0"]) && s(z) === s(["0", "0"])) return { x, y, inf: true };
        if (!(z[0] === "1" && z[1] === "0")) fail(kind, `${what}: z is not ["1", "0"]`);
        return { x, y, inf: false };
    } catch (e) {
        if (e instanceof VErr) throw new VErr(kind, e.message);
        throw e;
    }
}

// ---------------------------------------------------------------- Groth16 (§7)
const VK_KEYS = ["protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"];
function parseVk(doc) {
    const K = "MalformedKey";
    if (!isObj(doc)) fail(K, "vk.json: not an object");
    for (const k of Object.keys(doc)) if (!VK_KEYS.includes(k) && k !== "vk_alphabeta_12") fail(K, `vk.json has a field zkpor/2 does not define: ${k}`);
    for (const k of VK_KEYS) need(doc, k, "vk.json");
    if (doc.protocol !== "groth16") fail(K, "vk.json: protocol is not groth16");
    if (doc.curve !== "bn128") fail(K, "vk.json: curve is not bn128");
    if (!Array.isArray(doc.IC) || doc.IC.length === 0) fail(K, "vk.json: IC is not a non-empty list");
    if (!isInt(doc.nPublic) || doc.nPublic !== BigInt(doc.IC.length - 1)) fail(K, "vk.json: nPublic is not len(IC) - 1");
    if ("vk_alphabeta_12" in doc) {
        const ab = doc.vk_alphabeta_12;
        const ok =
            Array.isArray(ab) &&
            ab.length === 2 &&
            ab.every((l) => Array.isArray(l) && l.length === 3 && l.every((e) => Array.isArray(e) && e.length === 2 && e.every((c) => typeof c === "string" && /^[0-9]{1,78}$/.test(c) && BigInt(c) < P)));
        if (!ok) fail(K, "vk.json: malformed vk_alphabeta_12");
    }
    const vk = {
        raw: doc,
        nPublic: Number(doc.nPublic),
        alpha: parseG1(doc.vk_alpha_1, "vk_alpha_1", K),
        beta: parseG2(doc.vk_beta_2, "vk_beta_2", K),
        gamma: parseG2(doc.vk_gamma_2, "vk_gamma_2", K),
        delta: parseG2(doc.vk_delta_2, "vk_delta_2", K),
        IC: doc.IC.map((p, i) => parseG1(p, `IC[${i}]`, K)),
    };
    if (!g1OnCurve(vk.alpha)) fail("PointNotOnCurve", "vk_alpha_1 not on the curve");
    for (const [n, q] of [["vk_beta_2", vk.beta], ["vk_gamma_2", vk.gamma], ["vk_delta_2", vk.delta]]) {
        if (!g2OnCurve(q)) fail("PointNotOnCurve", `${n} not on the twist`);
        if (!q.inf && !g2MulIsInfinity(q, R)) fail("PointNotInSubgroup", `${n} not in G2`);
    }
    vk.IC.forEach((p, i) => {
        if (!g1OnCurve(p)) fail("PointNotOnCurve", `IC[${i}] not on the curve`);
    });
    for (const [n, q] of [["vk_alpha_1", vk.alpha], ["vk_beta_2", vk.beta], ["vk_gamma_2", vk.gamma], ["vk_delta_2", vk.delta]]) {
        if (q.inf) fail("PointAtInfinity", `${n} is the point at infinity`);
    }
    return vk;
}
function parseProofObject(doc, what) {
    const K = "MalformedProof";
    if (!isObj(doc)) fail(K, `${what}: not an object`);
    for (const k of Object.keys(doc)) if (!["pi_a", "pi_b", "pi_c", "protocol", "curve"].includes(k)) fail(K, `${what} has a field zkpor/2 does not define: ${k}`);
    for (const k of ["pi_a", "pi_b", "pi_c", "protocol", "curve"]) need(doc, k, what);
    if (doc.protocol !== "groth16") fail(K, `${what}: protocol is not groth16`);
    if (doc.curve !== "bn128") fail(K, `${what}: curve is not bn128`);
    return { raw: doc, A: parseG1(doc.pi_a, `${what}.pi_a`), B: parseG2(doc.pi_b, `${what}.pi_b`), C: parseG1(doc.pi_c, `${what}.pi_c`) };
}
const SILENT = { info() {}, debug() {}, warn() {}, error() {} };
async function verifyGroth16(vk, publicStrings, proofDoc, what = "proof") {
    const proof = parseProofObject(proofDoc, what);
    if (!Array.isArray(publicStrings)) fail("MalformedProof", `${what}: public inputs are not a list`);
    if (publicStrings.length !== vk.nPublic) fail("WrongNumberOfPublicInputs", `${what}: ${publicStrings.length} public inputs, the key takes ${vk.nPublic}`);
    const xs = publicStrings.map((s, i) => decLoose(s, 80, `${what}.public[${i}]`));
    xs.forEach((x, i) => {
        if (x >= R) fail("PublicInputOutOfRange", `${what}: public input ${i} is not below r`);
    });
    if (!g1OnCurve(proof.A)) fail("PointNotOnCurve", `${what}: pi_a not on the curve`);
    if (!g2OnCurve(proof.B)) fail("PointNotOnCurve", `${what}: pi_b not on the twist`);
    if (!g1OnCurve(proof.C)) fail("PointNotOnCurve", `${what}: pi_c not on the curve`);
    if (!proof.B.inf && !g2MulIsInfinity(proof.B, R)) fail("PointNotInSubgroup", `${what}: pi_b not in G2`);
    for (const [n, q] of [["pi_a", proof.A], ["pi_b", proof.B], ["pi_c", proof.C]]) if (q.inf) fail("PointAtInfinity", `${what}: ${n} is the point at infinity`);
    // canonical strings for snarkjs
    const g1s = (p) => [p.x.toString(), p.y.toString(), "1"];
    const g2s = (p) => [[p.x[0].toString(), p.x[1].toString()], [p.y[0].toString(), p.y[1].toString()], ["1", "0"]];
    const vkOut = {
        protocol: "groth16",
        curve: "bn128",
        nPublic: vk.nPublic,
        vk_alpha_1: g1s(vk.alpha),
        vk_beta_2: g2s(vk.beta),
        vk_gamma_2: g2s(vk.gamma),
        vk_delta_2: g2s(vk.delta),
        IC: vk.IC.map((p) => (p.inf ? ["0", "1", "0"] : g1s(p))),
    };
    const prOut = { pi_a: g1s(proof.A), pi_b: g2s(proof.B), pi_c: g1s(proof.C), protocol: "groth16", curve: "bn128" };
    const ok = await snarkjs.groth16.verify(vkOut, xs.map(String), prOut, SILENT);
    if (ok !== true) fail("PairingCheckFailed", `${what}: the pairing equation does not hold`);
    return xs;
}

// ---------------------------------------------------------------- proofs.json, tree.json (§9.3, §9.4)
function parseProofsJson(doc, batches) {
    if (!Array.isArray(doc)) fail("Malformed", "proofs.json: not a list");
    const entries = doc.map((e, i) => {
        const w = `proofs.json[${i}]`;
        if (!isObj(e)) fail("Malformed", `${w}: not an object`);
        for (const k of Object.keys(e)) if (!["batch", "public", "proof"].includes(k)) fail("UnknownKey", `${w} has a field zkpor/2 does not define: ${k}`);
        const batch = intIn(need(e, "batch", w), 0, null, `${w}.batch`);
        const pub = need(e, "public", w);
        if (!Array.isArray(pub)) fail("Malformed", `${w}.public: not a list`);
        const xs = pub.map((s, j) => decLoose(s, 80, `${w}.public[${j}]`));
        const proof = need(e, "proof", w);
        if (!isObj(proof)) fail("Malformed", `${w}.proof: not an object`);
        for (const k of Object.keys(proof)) if (!["pi_a", "pi_b", "pi_c", "protocol", "curve"].includes(k)) fail("UnknownKey", `${w}.proof has a field zkpor/2 does not define: ${k}`);
        return { batch: Number(batch), publicRaw: pub, public: xs, proof };
    });
    if (entries.length !== batches) fail("Malformed", `proofs.json: ${entries.length} entries for ${batches} batches`);
    entries.forEach((e, i) => {
        if (e.batch !== i) fail("Malformed", `proofs.json[${i}]: batch ${e.batch}, expected ${i}`);
        if (e.public.length !== 3) fail("Malformed", `proofs.json[${i}]: ${e.public.length} public inputs, not 3`);
    });
    return entries;
}
function parseTreeJson(doc) {
    if (!isObj(doc)) fail("Malformed", "tree.json: not an object");
    for (const k of Object.keys(doc)) if (!["arity", "levels"].includes(k)) fail("UnknownKey", `tree.json has a field zkpor/2 does not define: ${k}`);
    const arity = intIn(need(doc, "arity", "tree.json"), 0, null, "tree.json.arity");
    const levels = need(doc, "levels", "tree.json");
    if (!Array.isArray(levels) || !levels.length) fail("Malformed", "tree.json.levels: not a non-empty list");
    return {
        arity: Number(arity),
        levels: levels.map((l, i) => {
            if (!Array.isArray(l) || !l.length) fail("Malformed", `tree.json.levels[${i}]: not a non-empty list`);
            return l.map((v, j) => {
                const n = decLoose(v, 80, `tree.json.levels[${i}][${j}]`);
                if (n >= R) fail("Malformed", `tree.json.levels[${i}][${j}]: not below r`);
                return n;
            });
        }),
    };
}

// ---------------------------------------------------------------- codes and bundles (§11)
const ALPHA = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHECK_V1 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";
// GF(32) = GF(2)[x]/(x^5 + x^2 + 1): shift-and-add multiplication, reduced bit by bit.
function gf32Mul(a, b) {
    let out = 0;
    for (let i = 0; i < 5; i++) if ((b >> i) & 1) out ^= a << i;
    for (let bit = 8; bit >= 5; bit--) if ((out >> bit) & 1) out ^= 0b100101 << (bit - 5);
    return out;
}
// [sum c_i, sum c_i x^i]: both zero exactly for a codeword (§11.1).
function syndromes(digits) {
    let s0 = 0, s1 = 0, power = 1;
    for (const d of digits) {
        s0 ^= d;
        s1 ^= gf32Mul(d, power);
        power = gf32Mul(power, 2);
    }
    return [s0, s1];
}
function dataDigits(v) {
    const digits = [];
    for (let i = 25; i >= 0; i--) digits.push(Number((v >> BigInt(5 * i)) & 31n));
    return digits;
}
function displayCode(bytes) {
    const digits = dataDigits(intBe(bytes));
    // The check pair, by search: the only one making both syndromes zero.
    let word = null;
    for (let a = 0; a < 32 && !word; a++)
        for (let b = 0; b < 32 && !word; b++) {
            const [s0, s1] = syndromes([...digits, a, b]);
            if (s0 === 0 && s1 === 0) word = [...digits, a, b];
        }
    return word.map((d) => ALPHA[d]).join("").match(/.{1,4}/g).join("-");
}
function parseCode(typed) {
    const s = [...typed.replace(/[\s-]/gu, "").toUpperCase().replace(/[IL]/g, "1").replace(/O/g, "0")];
    if (s.length !== 27 && s.length !== 28) fail("MalformedCode", `a code has 28 (or 27) symbols, this has ${s.length}`);
    const digits = s.slice(0, 26).map((c) => ALPHA.indexOf(c));
    if (digits.some((d) => d < 0)) fail("MalformedCode", "a symbol is not in the code alphabet");
    let v = 0n;
    for (const d of digits) v = (v << 5n) | BigInt(d);
    if (s.length === 28) {
        const checks = s.slice(26).map((c) => ALPHA.indexOf(c));
        if (checks.some((d) => d < 0)) fail("MalformedCode", "a check symbol is not in the code alphabet");
        const [s0, s1] = syndromes([...digits, ...checks]);
        if (s0 !== 0 || s1 !== 0) fail("MalformedCode", "the check symbols do not match (a typo?)");
    } else {
        if (!CHECK_V1.includes(s[26])) fail("MalformedCode", `check symbol ${s[26]} is not a check symbol`);
        if (CHECK_V1[Number(v % 37n)] !== s[26]) fail("MalformedCode", "check symbol does not match (a typo?)");
    }
    if (v >= 1n << 128n) fail("MalformedCode", "larger than 128 bits");
    return beBytes(v, 16);
}
function displayCodeV1(bytes) {
    const v = intBe(bytes);
    const s = dataDigits(v).map((d) => ALPHA[d]).join("") + CHECK_V1[Number(v % 37n)];
    return s.match(/.{1,4}/g).join("-");
}
// BLAKE2b (RFC 7693) with key and personalization. libsodium.js exposes keyed BLAKE2b of a
// message (crypto_generichash) and salt+personal BLAKE2b of an EMPTY message only
// (crypto_generichash_blake2b_salt_personal has no message argument), so the combination
// the spec needs is implemented here and cross-checked against both in --vectors.
const M64 = (1n << 64n) - 1n;
const B2_IV = [
    0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
    0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];
const B2_SIGMA = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4], [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13], [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11], [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5], [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const le64 = (b, o) => {
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[o + k]);
    return v;
};
const rotr = (x, n) => ((x >> BigInt(n)) | (x << BigInt(64 - n))) & M64;
function blake2b(msg, digest, key = null, person = null, salt = null) {
    key = key ?? new Uint8Array(0);
    if (digest < 1 || digest > 64 || key.length > 64) throw new Error("blake2b parameters");
    const personal = new Uint8Array(16);
    if (person) {
        const pb = typeof person === "string" ? new TextEncoder().encode(person) : person;
        if (pb.length > 16) throw new Error("person over 16 bytes");
        personal.set(pb); // zero-padded to 16 bytes
    }
    const saltB = new Uint8Array(16);
    if (salt) saltB.set(salt);
    const h = [...B2_IV];
    h[0] ^= 0x01010000n ^ (BigInt(key.length) << 8n) ^ BigInt(digest);
    h[4] ^= le64(saltB, 0);
    h[5] ^= le64(saltB, 8);
    h[6] ^= le64(personal, 0);
    h[7] ^= le64(personal, 8);
    let data = msg;
    if (key.length) {
        const kb = new Uint8Array(128);
        kb.set(key);
        data = new Uint8Array([...kb, ...msg]);
    }
    const nBlocks = Math.max(1, Math.ceil(data.length / 128));
    let t = 0n;
    for (let bi = 0; bi < nBlocks; bi++) {
        const block = new Uint8Array(128);
        const chunk = data.slice(bi * 128, bi * 128 + 128);
        block.set(chunk);
        t += BigInt(chunk.length);
        const last = bi === nBlocks - 1;
        const m = Array.from({ length: 16 }, (_, k) => le64(block, 8 * k));
        const v = [...h, ...B2_IV];
        v[12] ^= t & M64;
        v[13] ^= t >> 64n;
        if (last) v[14] ^= M64;
        const G = (a, b, c, d, x, y) => {
            v[a] = (v[a] + v[b] + x) & M64;
            v[d] = rotr(v[d] ^ v[a], 32);
            v[c] = (v[c] + v[d]) & M64;
            v[b] = rotr(v[b] ^ v[c], 24);
            v[a] = (v[a] + v[b] + y) & M64;
            v[d] = rotr(v[d] ^ v[a], 16);
            v[c] = (v[c] + v[d]) & M64;
            v[b] = rotr(v[b] ^ v[c], 63);
        };
        for (let r = 0; r < 12; r++) {
            const s = B2_SIGMA[r % 10];
            G(0, 4, 8, 12, m[s[0]], m[s[1]]);
            G(1, 5, 9, 13, m[s[2]], m[s[3]]);
            G(2, 6, 10, 14, m[s[4]], m[s[5]]);
            G(3, 7, 11, 15, m[s[6]], m[s[7]]);
            G(0, 5, 10, 15, m[s[8]], m[s[9]]);
            G(1, 6, 11, 12, m[s[10]], m[s[11]]);
            G(2, 7, 8, 13, m[s[12]], m[s[13]]);
            G(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (let k = 0; k < 8; k++) h[k] ^= v[k] ^ v[k + 8];
    }
    const out = new Uint8Array(64);
    h.forEach((w, k) => {
        for (let j = 0; j < 8; j++) out[8 * k + j] = Number((w >> BigInt(8 * j)) & 0xffn);
    });
    return out.slice(0, digest);
}
function derivedCode(secret, userId) {
    const K = secret.length <= 64 ? secret : blake2b(secret, 64, null, "zkpor-codekey");
    return blake2b(utf8(userId), 16, K, "zkpor-code");
}
function derive(code, attestationId, runSalt) {
    const aid = blake2b(utf8(attestationId), 32, runSalt);
    const lookup = blake2b(code, 16, aid, "zkpor-lookup");
    const key = blake2b(code, 32, aid, "zkpor-bundlekey");
    const nonce = blake2b(key, 24, aid, "zkpor-nonce");
    return { aid, lookup, key, nonce };
}
const bucketIndex = (lookup, bits) => Number(intBe(lookup.slice(0, 4)) >> BigInt(32 - bits));
const bucketName = (i, bits) => "bundles/" + i.toString(16).padStart(Math.max(1, Math.floor((bits + 3) / 4)), "0") + ".bin";
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
function parseSums(bytes) {
    const text = new TextDecoder("ascii").decode(bytes);
    if (![...bytes].every((c) => c < 0x80)) fail("Malformed", "bundles/SHA256SUMS: not ASCII");
    if (text.length && !text.endsWith("\n")) fail("Malformed", "bundles/SHA256SUMS: last line does not end in \\n");
    const lines = text.split("\n").slice(0, -1);
    const out = new Map();
    for (const line of lines) {
        const m = /^([0-9a-f]{64}) {2}([0-9a-f]{1,6})\.bin$/.exec(line);
        if (!m) fail("Malformed", `bundles/SHA256SUMS: bad line ${JSON.stringify(line)}`);
        const name = `bundles/${m[2]}.bin`;
        if (out.has(name)) fail("Malformed", `bundles/SHA256SUMS: ${name} twice`);
        out.set(name, m[1]);
    }
    const names = [...out.keys()];
    if (names.join("\n") !== [...names].sort().join("\n")) fail("Malformed", "bundles/SHA256SUMS: not sorted by name");
    return out;
}

// ---------------------------------------------------------------- reserves (§9.6, §10, §10.6), secp256k1 not verified
const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(s) {
    let n = 0n;
    for (const c of s) {
        const d = B58.indexOf(c);
        if (d < 0) fail("Reserves", `not base58: ${s}`);
        n = n * 58n + BigInt(d);
    }
    const body = n === 0n ? [] : [...unhex(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, "0"))];
    const zeros = s.match(/^1*/)[0].length;
    return new Uint8Array([...Array(zeros).fill(0), ...body]);
}
const CUSTOMER = "customer";
// §9.6: parse reserves.json and compare it with its re-serialization
function parseReservesJson(doc, m, bySym) {
    const wallets = need(doc, "wallets", "reserves.json");
    if (!Array.isArray(wallets)) fail("Reserves", "reserves.json: wallets is not a list");
    const parsed = wallets.map((w, i) => {
        const wh = `wallets[${i}]`;
        const asset = need(w, "asset", wh);
        if (!bySym.has(asset)) fail("Reserves", `${wh}: asset ${show(asset)} is not in the manifest`);
        const chain = need(w, "chain", wh);
        if (!["bitcoin", "ethereum", "solana"].includes(chain)) fail("Reserves", `${wh}: unknown chain ${show(chain)}`);
        const balance = decCanonical(need(w, "balance", wh), 1n << 128n, `${wh}.balance`);
        const asOf = need(w, "as_of", wh);
        if (typeof asOf !== "string" || !(/^(0|[1-9][0-9]{0,18})$/.test(asOf) ? BigInt(asOf) < 1n << 63n : /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/.test(asOf))) {
            fail("Reserves", `${wh}: bad as_of`);
        }
        for (const k of ["address", "signature"]) if (typeof need(w, k, wh) !== "string") fail("Reserves", `${wh}.${k}: not a string`);
        let role = null;
        if (isObj(w) && "role" in w) {
            role = w.role;
            const n = typeof role === "string" ? [...role].length : 0;
            if (n < 1 || n > 32 || !isPrintable(role)) fail("Reserves", `${wh}.role: not 1 to 32 printable characters: ${show(role)}`);
        }
        return { index: i, chain, asset, address: w.address, balance, as_of: asOf, signature: w.signature, role, decimals: bySym.get(asset).decimals };
    });
    const withRole = parsed.filter((w) => w.role !== null).length;
    if (withRole && withRole !== parsed.length) fail("Reserves", `reserves.json: ${withRole} of ${parsed.length} wallets have a role (every wallet or none)`);
    const re = {
        format: "zkpor/1",
        attestation_id: m.id,
        wallets: parsed.map((w) => ({
            chain: w.chain,
            asset: w.asset,
            address: w.address,
            balance: w.balance.toString(),
            balance_amount: formatUnits(w.balance, w.decimals),
            as_of: w.as_of,
            signature: w.signature,
            ...(w.role !== null ? { role: w.role } : {}),
        })),
    };
    const d = jsonDiff(re, doc);
    if (d) fail("Reserves", `reserves.json differs from its re-serialization: ${d}`);
    return { wallets: parsed, roles: withRole > 0 };
}
// §10.6: the roles a wallet may have
function roleProblem(w, m) {
    if (w.role === CUSTOMER || w.role === "protection-fund" || w.role === "corporate") return null;
    if (w.role.startsWith("wrapped:")) {
        const T = w.role.slice("wrapped:".length);
        const token = m.segregation.wrapped.find((t) => t.symbol === T);
        if (!token) return `role ${show(w.role)} names no token of segregation.wrapped`;
        if (token.origin !== w.asset) return `role ${show(w.role)} holds ${token.origin}, not ${w.asset}`;
        return null;
    }
    return `unknown role ${show(w.role)}`;
}
// §10.1
function reserveMessage(id, w) {
    const values = [id, ...(w.role !== null ? [w.role] : []), w.chain, w.asset, w.address, w.as_of];
    for (const v of values) if (!v || !isPrintable(v)) fail("Reserves", `wallets[${w.index}]: a message value is empty or not printable`);
    const role = w.role !== null ? `role: ${w.role}\n` : "";
    return `zkpor/1 reserves\nattestation: ${id}\n${role}chain: ${w.chain}\nasset: ${w.asset}\naddress: ${w.address}\nas of: ${w.as_of}\n`;
}
// §10.2-§10.4: the canonical wallet key; Ed25519 signatures verified, secp256k1 ones not
function walletKey(w, msg, unchecked) {
    const wh = `wallets[${w.index}]`;
    if (!/^[\x20-\x7e]+$/.test(w.address)) fail("Reserves", `${wh}: address is not ASCII`);
    if (w.chain === "solana") {
        const pk = base58(w.address);
        if (pk.length !== 32) fail("Reserves", `${wh}: solana address ${w.address}: not 32 bytes`);
        const y = intBe(Uint8Array.from(pk).reverse()) & ((1n << 255n) - 1n);
        if (y >= (1n << 255n) - 19n) fail("Reserves", `${wh}: solana address ${w.address}: non-canonical`);
        const verify = () => {
            const sig = base58(w.signature);
            if (sig.length !== 64) fail("Reserves", `${wh}: solana signature: not 64 bytes`);
            if (!sodium.crypto_sign_verify_detached(sig, utf8(msg), pk)) fail("Reserves", `${wh}: solana ${w.address}: bad signature (message ${JSON.stringify(msg)})`);
        };
        return { key: "solana:" + hex(pk), verify };
    }
    if (w.chain === "ethereum") {
        if (!/^0x[0-9a-fA-F]{40}$/.test(w.address)) fail("Reserves", `${wh}: bad ethereum address ${w.address}`);
        return { key: "ethereum:" + w.address.slice(2).toLowerCase(), verify: () => unchecked.push(`${w.asset} ethereum ${w.address}`) };
    }
    return { key: "bitcoin:" + hex(bitcoinScript(w.address, wh)), verify: () => unchecked.push(`${w.asset} bitcoin ${w.address}`) };
}
// §10.3: the scriptPubKey a covered address pays to (bech32 is case-insensitive, so one
// wallet has one key whatever its spelling)
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
function bech32Polymod(values) {
    const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let chk = 1;
    for (const v of values) {
        const top = chk >>> 25;
        chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
        for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ G[i]) >>> 0;
    }
    return chk;
}
function bitcoinScript(address, wh) {
    const bad = (why) => fail("Reserves", `${wh}: bitcoin address ${address}: ${why}`);
    if (address.slice(0, 3).toLowerCase() === "bc1") {
        if (address.length > 90) bad("longer than 90 characters");
        if (address !== address.toLowerCase() && address !== address.toUpperCase()) bad("mixed case");
        const a = address.toLowerCase();
        const sep = a.lastIndexOf("1");
        if (a.slice(0, sep) !== "bc") bad("HRP is not bc");
        const data = [...a.slice(sep + 1)].map((c) => BECH32.indexOf(c));
        if (data.length < 7 || data.includes(-1)) bad("not bech32");
        const version = data[0];
        const constant = bech32Polymod([3, 3, 0, 2, 3, ...data]); // HRP "bc" expanded
        if (version > 16 || constant !== (version === 0 ? 1 : 0x2bc830a3)) bad("bad bech32/bech32m checksum");
        let acc = 0, bits = 0;
        const program = [];
        for (const d of data.slice(1, -6)) {
            acc = (acc << 5) | d;
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                program.push((acc >> bits) & 0xff);
            }
        }
        if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) bad("bad padding");
        if (program.length < 2 || program.length > 40 || (version === 0 && ![20, 32].includes(program.length))) bad("bad witness program length");
        if (version !== 0 || program.length !== 20) bad("not covered (P2WSH and Taproot need BIP-322)");
        return new Uint8Array([0x00, 0x14, ...program]);
    }
    const raw = base58(address);
    if (raw.length !== 25) bad("not a 21-byte base58check payload");
    const check = sha256(sha256(raw.slice(0, 21))).slice(0, 4);
    if (!bytesEq(check, raw.slice(21))) bad("bad base58check checksum");
    const hash = raw.slice(1, 21);
    if (raw[0] === 0x00) return new Uint8Array([0x76, 0xa9, 0x14, ...hash, 0x88, 0xac]);
    if (raw[0] === 0x05) return new Uint8Array([0xa9, 0x14, ...hash, 0x87]);
    bad(`version byte 0x${raw[0].toString(16).padStart(2, "0")} is not 0x00 or 0x05`);
}
// §10.6: what the wallets hold per (role, asset)
function roleSums(wallets) {
    const sums = new Map();
    for (const w of wallets) {
        const slot = `${w.role ?? CUSTOMER} ${w.asset}`;
        sums.set(slot, (sums.get(slot) ?? 0n) + w.balance);
    }
    return sums;
}
function checkSegregation(m, wallets, sums) {
    const seg = m.segregation;
    for (const t of seg.wrapped) {
        const got = sums.get(`wrapped:${t.symbol} ${t.origin}`) ?? 0n;
        if (got !== t.collateral) fail("Reserves", `segregation.wrapped ${t.symbol}: collateral ${t.collateral}, the wallets of role wrapped:${t.symbol} hold ${got}`);
    }
    for (const [key, role] of [["protection_fund", "protection-fund"], ["corporate", "corporate"]]) {
        const held = new Set(wallets.filter((w) => w.role === role).map((w) => w.asset));
        const want = m.assets.filter((a) => held.has(a.symbol)).map((a) => ({ asset: a.symbol, balance: sums.get(`${role} ${a.symbol}`) }));
        const got = seg[key].map((h) => ({ asset: h.asset, balance: h.balance }));
        const d = jsonDiff(got, want, `segregation.${key}`);
        if (d) fail("Reserves", `segregation.${key} is not what the wallets of role ${role} hold: ${d}`);
    }
}
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

// ---------------------------------------------------------------- co-signatures (§10.7)
const INDEX = "signatures/index.json";
const SIGNATURE_FILE = /^signatures\/[a-z0-9][a-z0-9-]{0,79}\.json$/;
function readIndex(read) {
    let bytes;
    try {
        bytes = read(INDEX);
    } catch (e) {
        if (e instanceof VErr && e.kind === "Missing") return null; // 404: no co-signatures
        throw e;
    }
    const doc = parseStrictJSON(bytes, INDEX);
    onlyKeys(doc, ["format", "signatures"], INDEX);
    if (need(doc, "format", INDEX) !== "zkpor/1") fail("CoSignature", `${INDEX}: format ${show(doc.format)} is not zkpor/1`);
    const names = need(doc, "signatures", INDEX);
    if (!Array.isArray(names) || names.length > 64) fail("CoSignature", `${INDEX}: signatures is not a list of at most 64 names`);
    const seen = new Set();
    for (const [i, name] of names.entries()) {
        if (typeof name !== "string" || !SIGNATURE_FILE.test(name) || name === INDEX) fail("CoSignature", `${INDEX}: signatures[${i}] ${show(name)} is not a co-signature file name`);
        if (seen.has(name)) fail("CoSignature", `${INDEX}: ${name} is listed twice`);
        seen.add(name);
    }
    return names;
}
const COSIGN_KEYS = ["format", "attestation_id", "manifest_sha256", "name", "scheme", "key", "signature"];
function parseCosignature(doc, file) {
    onlyKeys(doc, COSIGN_KEYS, file);
    for (const k of COSIGN_KEYS) need(doc, k, file);
    if (doc.format !== "zkpor/1") fail("CoSignature", `${file}: format ${show(doc.format)} is not zkpor/1`);
    if (typeof doc.attestation_id !== "string") fail("CoSignature", `${file}: attestation_id is not a string`);
    if (typeof doc.manifest_sha256 !== "string" || !RE.hex64.test(doc.manifest_sha256)) fail("CoSignature", `${file}: manifest_sha256 is not 64 lowercase hex`);
    checkText(doc.name, "name", `${file} name`);
    if (!(doc.scheme in COSIGNER_KEY)) fail("CoSignature", `${file}: scheme ${show(doc.scheme)} is not ed25519 or eip191`);
    if (typeof doc.key !== "string" || !COSIGNER_KEY[doc.scheme].test(doc.key)) fail("CoSignature", `${file}: key is not a ${doc.scheme} key`);
    const sigForm = doc.scheme === "ed25519" ? /^[0-9a-f]{128}$/ : /^0x[0-9a-fA-F]{130}$/;
    if (typeof doc.signature !== "string" || !sigForm.test(doc.signature)) fail("CoSignature", `${file}: signature is not a ${doc.scheme} signature`);
    return doc;
}
const cosignMessage = (id, digest, name) => `zkpor/1 co-signature\nattestation: ${id}\nmanifest sha256: ${digest}\nsigner: ${name}\n`;
function checkCosignatures(read, m) {
    const names = readIndex(read) ?? [];
    const pins = new Map((m.cosigners ?? []).map((c) => [`${c.scheme} ${c.key}`, c]));
    const signed = new Set();
    const said = [];
    const unverified = [];
    for (const file of names) {
        const c = parseCosignature(parseStrictJSON(read(file), file), file);
        if (c.attestation_id !== m.id) fail("CoSignature", `${file}: signs attestation ${show(c.attestation_id)}, not ${m.id}`);
        if (c.manifest_sha256 !== m.canonicalDigest) {
            fail("CoSignature", `${file}: made for another version of the manifest (canonical digest ${c.manifest_sha256}, this manifest's is ${m.canonicalDigest})`);
        }
        const who = `${c.name} (${c.scheme} key ${c.key})`;
        if (c.scheme === "ed25519") {
            const msg = utf8(cosignMessage(m.id, m.canonicalDigest, c.name));
            if (!sodium.crypto_sign_verify_detached(unhex(c.signature), msg, unhex(c.key))) fail("CoSignature", `${file}: the signature of ${who} does not verify`);
        } else unverified.push(`${file} (eip191, secp256k1 not implemented here)`);
        const slot = `${c.scheme} ${c.key}`;
        if (pins.size) {
            const pinned = pins.get(slot);
            if (!pinned) fail("CoSignature", `${file}: signed by a key the manifest does not pin: ${who}`);
            if (pinned.name !== c.name) fail("CoSignature", `${file}: the pinned key of ${pinned.name} signs as ${show(c.name)}`);
        }
        if (signed.has(slot)) fail("CoSignature", `${file}: ${c.scheme} key ${c.key} signs twice`);
        signed.add(slot);
        said.push(`${who}, ${pins.size ? "pinned" : "not pinned"}`);
    }
    for (const [slot, c] of pins) if (!signed.has(slot)) fail("CoSignature", `no valid co-signature by ${c.name} (${c.scheme} key ${c.key}), whom the manifest pins as co-signer`);
    if (!names.length) return { status: "OK", detail: "no co-signatures (the manifest pins no co-signer)" };
    const detail = `canonical manifest digest ${m.canonicalDigest}; co-signed by ${said.join("; ")}`;
    if (unverified.length) return { status: "SKIPPED", detail: `${detail}; NOT verified by this implementation: ${unverified.join("; ")}` };
    return { status: "OK", detail };
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
function makeReader(dir) {
    const cache = new Map();
    const allowed = /^(bundles\/[0-9a-f]+\.bin|bundles\/SHA256SUMS|ceremony\/transcript\.json|signatures\/[a-z0-9][a-z0-9-]{0,79}\.json)$/;
    const reads = [];
    const read = (name) => {
        if (/[/\\:\0]|\.\./.test(name) && !allowed.test(name)) fail("BadName", `refusing file name ${name}`);
        if (!cache.has(name)) {
            const f = path.join(dir, name);
            if (!existsSync(f)) fail("Missing", `${name} not found`);
            cache.set(name, new Uint8Array(readFileSync(f)));
            reads.push(name);
        }
        return cache.get(name);
    };
    read.reads = reads;
    return read;
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
