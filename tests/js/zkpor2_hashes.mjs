// zkpor/2's hashes computed independently with circomlibjs's Poseidon, for cross-checking
// verifier/book.py (leaf2_hash, mask_commitment) and publisher/snark/batch2.py's chained
// sponge. Written from docs/protocol.md §16, not from the Python code.
//
// stdin:  JSON array of requests, each one of
//   {"kind": "leaf2", "idc": "<dec>", "entries": [[a, "<equity>", "<debt>"], ...], "slots": K}
//   {"kind": "mask", "root": "<dec>", "mask": "<dec>"}
//   {"kind": "sponge", "tag": t, "elements": ["<dec>", ...]}
// stdout: JSON array of decimal strings, one per request, in order.
//
// Usage: node tests/js/zkpor2_hashes.mjs < requests.json
import { buildPoseidonReference } from "circomlibjs";

const TAG_LEAF2 = 5n;
const TAG_MASK = 6n;
const LEAF_FIRST = 14;
const LEAF_NEXT = 15;
const SPONGE_RATE = 15;

async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return Buffer.concat(chunks).toString("utf8");
}

const poseidon = await buildPoseidonReference();
const F = poseidon.F;
const H = (inputs) => F.toObject(poseidon(inputs));

// One entry: index + 2^10 equity + 2^74 debt, each limb in range.
function pack([index, equity, debt]) {
    const a = BigInt(index), e = BigInt(equity), d = BigInt(debt);
    if (a < 0n || a >= 1n << 10n) throw new Error(`index ${a} out of range`);
    for (const x of [e, d]) if (x < 0n || x >= 1n << 64n) throw new Error(`amount ${x} out of range`);
    return a + (e << 10n) + (d << 74n);
}

// H(5, idc, q_0..q_13), then h = H(h, next 15) while slots remain (zero-padded to K).
function leaf2({ idc, entries, slots }) {
    const q = entries.map(pack);
    while (q.length < slots) q.push(0n);
    if (q.length !== slots) throw new Error("more entries than slots");
    let h = H([TAG_LEAF2, BigInt(idc), ...q.slice(0, LEAF_FIRST)]);
    for (let start = LEAF_FIRST; start < slots; start += LEAF_NEXT) {
        h = H([h, ...q.slice(start, start + LEAF_NEXT)]);
    }
    return h;
}

// H(tag, x_0..x_14), then h = H(h, next 15).
function sponge({ tag, elements }) {
    const x = elements.map(BigInt);
    let h = H([BigInt(tag), ...x.slice(0, SPONGE_RATE)]);
    for (let start = SPONGE_RATE; start < x.length; start += SPONGE_RATE) {
        h = H([h, ...x.slice(start, start + SPONGE_RATE)]);
    }
    return h;
}

const requests = JSON.parse(await readStdin());
const out = requests.map((r) => {
    switch (r.kind) {
        case "leaf2":
            return leaf2(r).toString();
        case "mask":
            return H([TAG_MASK, BigInt(r.root), BigInt(r.mask)]).toString();
        case "sponge":
            return sponge(r).toString();
        default:
            throw new Error(`unknown request ${r.kind}`);
    }
});
process.stdout.write(JSON.stringify(out) + "\n");
