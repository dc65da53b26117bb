// zkpor's in-browser verifier: a module Web Worker running Pyodide and the `verifier`
// package (the same Python code as `zkpor verify-user` and `zkpor verify`).
//
// Trust: every file this worker loads is either pinned (its SHA-384 is in the table the
// page passes, itself part of a script the page loads with subresource integrity) or is
// attestation data, which the verifier checks against the manifest's hashes. Any other
// request is refused, including the ones Pyodide makes itself: `fetch` is wrapped before
// Pyodide is imported. JavaScript modules are imported from blobs of checked bytes, since
// `import()` cannot carry an integrity value inside a worker.
//
// Messages in:  {type: "init", base, pins}, {type: "verify-code", code}, {type: "verify-all"}
// Messages out: {type: "loading", text, fraction}, {type: "ready"}, {type: "error", text},
//               {type: "event", event} (the verifier's events, see verifier/web.py)

// Phase-1 files (blake2b-512, hex) accepted besides the public ones pinned in
// verifier.phase1: none on any site `zkpor site build` makes. Only tests rebuild this file
// with their own demo phase 1 listed (tests/ceremony_fixtures.py); the change shows in the
// file's pinned hash, like any other change to the page.
const EXTRA_KNOWN_PHASE1 = [];

let BASE = null; // the site's root URL, ending in "/"
let PINS = null; // site-relative path -> "sha384-..."
const nativeFetch = self.fetch.bind(self);

function siteRelative(input) {
  const url = new URL(input instanceof Request ? input.url : String(input), BASE).href;
  if (!url.startsWith(BASE)) {
    throw new Error(`refusing to load ${url}: it is not on this site`);
  }
  return url.slice(BASE.length);
}

// Seconds between a failed download and its one retry (verifier.download.RETRY_DELAY).
const RETRY_DELAY = 0.75;
const later = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

// Waits `seconds` synchronously, for the verifier's retry of a failed download (it is
// plain synchronous Python): Atomics.wait on a shared WebAssembly memory, which a worker
// may do without cross-origin isolation; a busy loop where that is refused.
function pause(seconds) {
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    Atomics.wait(new Int32Array(memory.buffer), 0, 0, seconds * 1000);
  } catch {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) { /* wait */ }
  }
}

// The only fetch this worker (and Pyodide inside it) has.
function pinnedFetch(input, init = {}) {
  let path;
  try {
    path = siteRelative(input);
  } catch (error) {
    return Promise.reject(error);
  }
  if (Object.hasOwn(PINS, path)) {
    // A file that did not arrive, or arrived different (a host's error page fails the
    // integrity check too), is asked for once more: a busy host may answer the next time.
    const get = () => nativeFetch(BASE + path, { ...init, integrity: PINS[path] });
    return get().catch(() => later(RETRY_DELAY).then(get)).catch((error) => {
      // A subresource-integrity mismatch surfaces as a bare network error: say what it is.
      throw new Error(
        `The site's files were changed or could not be loaded: ${path} does not match its ` +
        `pinned hash, or did not arrive, twice (${error}). No result from this page can ` +
        "be trusted.");
    });
  }
  if (path.startsWith("attestation/")) {
    return nativeFetch(BASE + path, init);
  }
  return Promise.reject(new Error(`refusing to load ${path}: it is not pinned`));
}
self.fetch = pinnedFetch;

async function pinnedBytes(path) {
  const response = await pinnedFetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function pinnedText(path) {
  return new TextDecoder().decode(await pinnedBytes(path));
}

async function importChecked(source) {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

// The attestation files every check reads, fetched while Pyodide starts so that a check
// does not wait for them one by one. They are attestation data, which the verifier checks
// against the manifest's hashes like any other; each is fetched once per page, so two
// checks on one page judge the same bytes. A fetch that failed here counts as the first
// try: the verifier gets its failure once, and asks again itself (verifier.download).
// signatures/index.json lists the co-signatures (step 10), which the manifest cannot list:
// a 404 means none.
const PREFETCH = ["attestation.json", "vk.json", "proofs.json", "tree.json",
  "bundles/SHA256SUMS", "ceremony/transcript.json", "reserves.json", "signatures/index.json"];
// A zkpor/2 manifest (a book of equity and debt) names its files per shape (vk-s4.json,
// proofs-s4.json, ...): once it has arrived, the files it lists are fetched too.
const prefetched = new Map(); // name -> bytes, or how its fetch failed (as readAttestation)

async function prefetchOne(name) {
  try {
    const response = await nativeFetch(`${BASE}attestation/${name}`);
    prefetched.set(name, response.status === 200
      ? new Uint8Array(await response.arrayBuffer()) : response.status);
  } catch (error) {
    prefetched.set(name, String(error)); // no answer, or a body cut short
  }
}

function bookFiles() {
  const manifest = prefetched.get("attestation.json");
  if (!(manifest instanceof Uint8Array)) return [];
  try {
    const doc = JSON.parse(new TextDecoder().decode(manifest));
    if (doc.format !== "zkpor/2" || typeof doc.files !== "object") return [];
    return Object.keys(doc.files).filter((name) => /^[a-z]+-s[0-9]+\.json$/.test(name) &&
      !prefetched.has(name));
  } catch {
    return []; // the verifier reports what is wrong with the manifest
  }
}

async function prefetchAttestation() {
  await Promise.all(PREFETCH.map(prefetchOne));
  await Promise.all(bookFiles().map(prefetchOne));
}

// The attestation's files, read synchronously: the verifier is plain synchronous Python.
// (A worker may make synchronous requests for binary data; a page may not.) Returns the
// bytes; or the HTTP status of any other answer than 200 (a number); or, when no answer
// came (a network error, a reset connection, a body shorter than announced), the
// browser's reason (a string). The verifier decides what to retry (verifier.web.js_reader).
function readAttestation(name) {
  if (prefetched.has(name)) {
    const found = prefetched.get(name);
    if (found instanceof Uint8Array) return found;
    prefetched.delete(name); // a failure is told once; the retry goes to the network
    return found;
  }
  const request = new XMLHttpRequest();
  request.open("GET", `${BASE}attestation/${name}`, false);
  request.responseType = "arraybuffer";
  try {
    request.send();
  } catch (error) {
    return String(error);
  }
  if (request.status === 0) return "no answer";
  if (request.status !== 200) return request.status;
  return new Uint8Array(request.response);
}

const hexToBytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const bytesToHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

async function loadSodium(paths) {
  const core = await pinnedText(paths.sodium);
  const coreURL = URL.createObjectURL(new Blob([core], { type: "text/javascript" }));
  // The wrappers import the core by a relative name, which cannot resolve from a blob:
  // point that one specifier at the checked core.
  const wrappers = (await pinnedText(paths.sodiumWrappers)).replace(
    /from\s*["'](?:libsodium-sumo|\.\/libsodium-sumo\.mjs)["']/,
    `from ${JSON.stringify(coreURL)}`,
  );
  const sodium = (await importChecked(wrappers)).default;
  await sodium.ready;
  return {
    boxOpen(boxHex, nonceHex, keyHex) {
      try {
        const plain = sodium.crypto_secretbox_open_easy(
          hexToBytes(boxHex), hexToBytes(nonceHex), hexToBytes(keyHex));
        return bytesToHex(plain);
      } catch {
        return null; // does not authenticate: the verifier turns this into its own error
      }
    },
    ed25519Verify(publicKeyHex, messageHex, signatureHex) {
      try {
        return sodium.crypto_sign_verify_detached(
          hexToBytes(signatureHex), hexToBytes(messageHex), hexToBytes(publicKeyHex));
      } catch {
        return false;
      }
    },
  };
}

let web = null; // verifier.web, once loaded
let backend = null;
const emit = (json) => postMessage({ type: "event", event: JSON.parse(json) });
const loading = (text, fraction) => postMessage({ type: "loading", text, fraction });

async function init({ base, pins, paths }) {
  BASE = base;
  PINS = pins;
  loading("loading Python (Pyodide)…", 0.05);
  // Everything else the verifier needs is fetched at once, while Pyodide starts: the
  // wheels' bytes (installed below without a second request) and libsodium.
  const wheels = paths.wheels.map((wheel) => pinnedBytes(wheel));
  const sodiumReady = loadSodium(paths);
  const attestationReady = prefetchAttestation();
  // Rejections are handled where these are awaited; this only keeps an early failure
  // from being reported as unhandled meanwhile.
  for (const pending of [...wheels, sodiumReady]) pending.catch(() => {});
  const { loadPyodide } = await importChecked(await pinnedText(paths.pyodide));
  const asm = await importChecked(await pinnedText(paths.pyodideAsm));
  loading("starting Python…", 0.3);
  const lockFileContents = JSON.parse(await pinnedText(paths.pyodideLock));
  const pyodide = await loadPyodide({
    indexURL: new URL(paths.pyodideAsm, BASE).href.replace(/[^/]*$/, ""),
    createPyodideModule: asm.default,
    lockFileContents,
  });
  loading("installing the verifier (py_ecc, zkpor verifier)…", 0.7);
  const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
  for (const bytes of await Promise.all(wheels)) {
    pyodide.unpackArchive(bytes, "wheel", { extractDir: sitePackages });
  }
  loading("loading the verifier and libsodium…", 0.85);
  web = pyodide.pyimport("verifier.web");
  const sodium = await sodiumReady;
  await attestationReady;
  backend = web.JsBackend(sodium.boxOpen, sodium.ed25519Verify);
  loading("ready", 1);
  postMessage({ type: "ready" });
}

// A fresh reader per run: a file that failed to download is tried again by the next run.
const reader = () => web.js_reader(readAttestation, `${BASE}attestation/`);

function run(task) {
  try {
    task();
  } catch (error) {
    // A Python exception here is a bug in zkpor, not a verdict on the attestation.
    postMessage({ type: "error", text: String(error) });
  }
}

self.onmessage = async ({ data }) => {
  if (data.type === "init") {
    try {
      await init(data);
    } catch (error) {
      postMessage({ type: "error", text: `the verifier could not load: ${error}` });
    }
  } else if (data.type === "verify-code") {
    const extra = JSON.stringify(EXTRA_KNOWN_PHASE1);
    run(() => web.verify_code.callKwargs(
      reader(), data.code, backend, emit, extra, { sleep: pause }));
  } else if (data.type === "verify-all") {
    const extra = JSON.stringify(EXTRA_KNOWN_PHASE1);
    run(() => web.verify_all.callKwargs(reader(), backend, emit, extra, { sleep: pause }));
  }
};
