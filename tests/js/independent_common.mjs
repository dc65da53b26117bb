// Primitives shared by the two independent checkers, tests/js/independent_check.mjs
// (zkpor/1, written from docs/protocol.md §3-§12) and tests/js/independent_check2.mjs
// (zkpor/2, written from §16, which reuses the zkpor/1 primitives of §3-§11). Like the
// checkers, this module is derived from the spec alone and shares no code with verifier/
// or publisher/: strict JSON and canonical encodings, the BN254 field and point checks,
// Poseidon with its constants from the Grain LFSR (§3.4), the Merkle helpers, Groth16
// parsing and verification (snarkjs), the user codes, BLAKE2b, the bundle buckets,
// reserves and co-signatures. The code was moved here verbatim from the zkpor/1 checker;
// each checker keeps only its format's logic.
import { readFileSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import * as snarkjs from "snarkjs";
import sodium from "libsodium-wrappers-sumo";

// The format whose field sets onlyKeys, jsonDiff and parseProofObject name in their errors
// ("has a field zkpor/N does not define"); each checker sets it once, before it checks anything.
let FORMAT = "zkpor/1";
const setFormat = (name) => {
    FORMAT = name;
};

// The two tags of §3.1 that both formats hash with (each checker has its own full TAG table).
const TAG = { ID: 1n, NODE: 3n };

// ---------------------------------------------------------------- constants (§3.1)
const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

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
    for (const k of Object.keys(b)) if (!(k in a)) return `has a field ${FORMAT} does not define: ${where ? where + "." : ""}${k}`;
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
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail("UnknownKey", `${what} has a field ${FORMAT} does not define: ${k}`);
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
    for (const k of Object.keys(doc)) if (!VK_KEYS.includes(k) && k !== "vk_alphabeta_12") fail(K, `vk.json has a field zkpor/1 does not define: ${k}`);
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
    for (const k of Object.keys(doc)) if (!["pi_a", "pi_b", "pi_c", "protocol", "curve"].includes(k)) fail(K, `${what} has a field ${FORMAT} does not define: ${k}`);
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
        for (const k of Object.keys(e)) if (!["batch", "public", "proof"].includes(k)) fail("UnknownKey", `${w} has a field zkpor/1 does not define: ${k}`);
        const batch = intIn(need(e, "batch", w), 0, null, `${w}.batch`);
        const pub = need(e, "public", w);
        if (!Array.isArray(pub)) fail("Malformed", `${w}.public: not a list`);
        const xs = pub.map((s, j) => decLoose(s, 80, `${w}.public[${j}]`));
        const proof = need(e, "proof", w);
        if (!isObj(proof)) fail("Malformed", `${w}.proof: not an object`);
        for (const k of Object.keys(proof)) if (!["pi_a", "pi_b", "pi_c", "protocol", "curve"].includes(k)) fail("UnknownKey", `${w}.proof has a field zkpor/1 does not define: ${k}`);
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
    for (const k of Object.keys(doc)) if (!["arity", "levels"].includes(k)) fail("UnknownKey", `tree.json has a field zkpor/1 does not define: ${k}`);
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

export {
    B_TWIST, CUSTOMER, G2GEN, H, P, POSEIDON_CONSTANTS_SHA256, R, RE, VErr, backingRatio,
    beBytes, blake2b, bucketIndex, bucketName, bytesEq, canonicalJSON, checkCosignatures,
    checkSegregation, checkText, cmpBytes, constants, coverageRatio, decCanonical,
    decLoose, derive, derivedCode, displayCode, displayCodeV1, f2, fail, formatUnits,
    g2MulIsInfinity, g2OnCurve, hashUp, hex, idcOf, intBe, intIn, inv, isBacked, isInt,
    isObj, jsonDiff, makeReader, mod, modpow, need, nodeOf, onlyKeys, pack, parseCode,
    parseCosigners, parseProofsJson, parseReservesJson, parseSegregation, parseStrictJSON,
    parseSums, parseTreeJson, parseVk, pyIndentJSON, reserveMessage, roleProblem, roleSums,
    segregationJson, setFormat, sha256, show, siblingPath, subtreeRoot, topDepthFor,
    topLevels, uidOf, unhex, utf8, verifyGroth16, walletKey,
};
