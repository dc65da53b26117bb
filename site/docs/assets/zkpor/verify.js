// The Verify page: starts the verifier worker and shows each check as it runs.
//
// The code is read from the field or from the URL fragment (#code=...), which browsers
// never send to a server; it goes only to the worker, by postMessage. Nothing here adds
// it to a URL or a request. Text from the attestation is shown with textContent only.

// Filled in by `zkpor site build`: the hash of every file the worker may load.
const SITE = "__ZKPOR_SITE__";

const root = new URL("../../", import.meta.url).href; // this script is assets/zkpor/verify.js
const $ = (id) => document.getElementById(id);

function setStatus(text, state = "") {
  const status = $("zkpor-status");
  status.textContent = text;
  status.dataset.state = state;
}

function showStep(list, { number, name, status, detail }) {
  let item = list.querySelector(`[data-step="${number}"]`);
  if (!item) {
    item = document.createElement("li");
    item.dataset.step = String(number);
    item.innerHTML = '<span class="zkpor-badge"></span> <strong></strong>: <span></span>';
    list.append(item);
  }
  item.dataset.status = status;
  item.querySelector(".zkpor-badge").textContent = status;
  item.querySelector("strong").textContent = name;
  item.querySelector("span:last-child").textContent = detail;
}

function showUser({ user_id, balances }) {
  const box = $("zkpor-account");
  box.replaceChildren();
  const title = document.createElement("p");
  title.textContent = `Account ${user_id}: these are the balances the custodian committed to.`;
  const table = document.createElement("table");
  for (const { asset, amount } of balances) {
    const row = table.insertRow();
    row.insertCell().textContent = asset;
    row.insertCell().textContent = amount;
  }
  box.append(title, table);
  box.hidden = false;
}

function showSample({ batch, status, detail }) {
  showStep($("zkpor-samples"), {
    number: batch ?? "none", name: batch === null ? "other batches" : `batch ${batch}`,
    status, detail,
  });
}

function failed(text) {
  busy = false;
  setStatus(text, "fail");
  document.body.dataset.zkporDone = "error";
}

function pending(list) {
  for (const item of list.querySelectorAll("li")) {
    item.dataset.status = "PENDING";
    item.querySelector(".zkpor-badge").textContent = "…";
    item.querySelector("span:last-child").textContent = "";
  }
}

let worker = null;
let ready = false;
let busy = false;

function onEvent(event) {
  if (event.event === "step") {
    const list = event.group === "user" ? $("zkpor-user-steps") : $("zkpor-all-steps");
    showStep(list, event);
  } else if (event.event === "user") {
    showUser(event);
  } else if (event.event === "sample") {
    showSample(event);
  } else if (event.event === "proofs") {
    const bar = $("zkpor-all-progress");
    bar.max = event.total;
    bar.value = event.done;
    $("zkpor-all-count").textContent = `${event.done} of ${event.total} batch proofs checked`;
  } else if (event.event === "invalid-code") {
    setStatus(event.detail, "fail");
  } else if (event.event === "done") {
    busy = false;
    document.body.dataset.zkporDone = event.passed ? "passed" : "failed";
    for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = false;
    if (event.passed) setStatus("Every check passed.", "ok");
    else if ($("zkpor-status").dataset.state !== "fail") setStatus("Some checks FAILED: see the reasons below.", "fail");
  }
}

function onMessage({ data }) {
  if (data.type === "loading") {
    setStatus(`Loading the verifier: ${data.text}`);
    $("zkpor-load").value = data.fraction;
  } else if (data.type === "ready") {
    ready = true;
    $("zkpor-load").hidden = true;
    setStatus("The verifier is ready.");
    for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = false;
    if ($("zkpor-code").value.trim()) verifyCode();
  } else if (data.type === "event") {
    onEvent(data.event);
  } else if (data.type === "error") {
    failed(data.text);
  }
}

async function startWorker() {
  // The worker script is checked like everything else, then started from a blob.
  const response = await fetch(new URL(SITE.paths.worker, root), {
    integrity: SITE.pins[SITE.paths.worker],
  });
  const source = await response.blob();
  worker = new Worker(URL.createObjectURL(source), { type: "module", name: "zkpor-verifier" });
  worker.onmessage = onMessage;
  worker.onerror = (error) => failed(`the verifier stopped: ${error.message}`);
  worker.postMessage({ type: "init", base: root, pins: SITE.pins, paths: SITE.paths });
}

function start(task) {
  if (!ready || busy) return false;
  busy = true;
  delete document.body.dataset.zkporDone;
  for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = true;
  worker.postMessage(task);
  return true;
}

function verifyCode() {
  const code = $("zkpor-code").value.trim();
  if (!code) return;
  pending($("zkpor-user-steps"));
  $("zkpor-samples").replaceChildren();
  $("zkpor-account").hidden = true;
  if (start({ type: "verify-code", code })) setStatus("Checking your account…");
}

function verifyAll() {
  pending($("zkpor-all-steps"));
  $("zkpor-all-progress").hidden = false;
  if (start({ type: "verify-all" })) setStatus("Checking the whole attestation…");
}

function codeFromFragment() {
  const match = /^#code=(.+)$/.exec(window.location.hash);
  if (!match) return "";
  try {
    return decodeURIComponent(match[1]).trim();
  } catch {
    return "";
  }
}

$("zkpor-form").addEventListener("submit", (event) => {
  event.preventDefault();
  verifyCode();
});
$("zkpor-all").addEventListener("click", verifyAll);
window.addEventListener("hashchange", () => {
  const code = codeFromFragment();
  if (code) {
    $("zkpor-code").value = code;
    verifyCode();
  }
});
$("zkpor-code").value = codeFromFragment();
startWorker().catch((error) => failed(`the verifier could not load: ${error}`));
