// Poseidon hashes computed by circomlibjs (the reference implementation,
// src/poseidon_reference.js), for cross-checking verifier/poseidon.py.
//
// stdin:  JSON array of input lists, each 1..16 decimal strings, e.g. [["1","2"],["3"]]
// stdout: JSON array of the hashes as decimal strings, in the same order;
//         with --vectors: [{"inputs": [...], "hash": "..."}, ...] instead.
//
// Usage: node tests/js/poseidon_hash.mjs [--vectors] < inputs.json
import { buildPoseidonReference } from "circomlibjs";

async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return Buffer.concat(chunks).toString("utf8");
}

const vectors = process.argv.includes("--vectors");
const batches = JSON.parse(await readStdin());
if (!Array.isArray(batches)) throw new Error("stdin must be a JSON array of input lists");

const poseidon = await buildPoseidonReference();
const F = poseidon.F;
const out = batches.map((inputs) => {
    if (!Array.isArray(inputs)) throw new Error("each entry must be an array of decimal strings");
    const hash = F.toString(poseidon(inputs.map((x) => BigInt(x))), 10);
    return vectors ? { inputs, hash } : hash;
});
process.stdout.write(JSON.stringify(out, null, vectors ? 1 : 0) + "\n");
