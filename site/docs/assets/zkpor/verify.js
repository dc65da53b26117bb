// The Verify page: starts the verifier worker and shows each check as it runs.
//
// The code is read from the field or from the URL fragment (#code=...), which browsers
// never send to a server; it goes only to the worker, by postMessage. Nothing here adds
// it to a URL or a request. Text from the attestation is shown with textContent only.
//
// One verdict, in #zkpor-status: green ("ok") ONLY when the run's every step was reported
// and is OK, the worker said so too, and, for a code, the visitor confirmed that the
// account id the bundle holds is theirs (a custodian could hand two people codes of one
// bundle: only the holder can tell). A failed or skipped step, a step never reported, a
// worker that died or stopped answering: never green.

// Filled in by `zkpor site build`: the hash of every file the worker may load.
const SITE = "__ZKPOR_SITE__";

const root = new URL("../../", import.meta.url).href; // this script is assets/zkpor/verify.js
const $ = (id) => document.getElementById(id);
// A run that sends nothing for this long has stopped: a worker that dies silently never
// says so. Generous: one step's pairings take a while in Pyodide. (While the verifier
// loads, nothing can turn green, so no watchdog is needed then.)
const STALL_MS = 600000;

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
  const id = document.createElement("p");
  id.className = "zkpor-account-id";
  id.append("Account id: ");
  const strong = document.createElement("strong");
  strong.id = "zkpor-account-id";
  strong.textContent = user_id;
  id.append(strong);
  const ask = document.createElement("p");
  ask.textContent = "Is this YOUR account id? If it is not, this code does not show your " +
    "account: tell the custodian and the auditor.";
  const yes = document.createElement("button");
  yes.id = "zkpor-confirm-yes";
  yes.className = "md-button";
  yes.textContent = "Yes, this is my account id";
  const no = document.createElement("button");
  no.id = "zkpor-confirm-no";
  no.className = "md-button";
  no.textContent = "No, it is not mine";
  yes.addEventListener("click", () => confirmAccount(true));
  no.addEventListener("click", () => confirmAccount(false));
  const title = document.createElement("p");
  title.textContent = "These are the balances the custodian committed to:";
  const table = document.createElement("table");
  for (const { asset, amount } of balances) {
    const row = table.insertRow();
    row.insertCell().textContent = asset;
    row.insertCell().textContent = amount;
  }
  box.append(id, ask, yes, " ", no, title, table);
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
  clearTimeout(stall);
  run = null;
  setStatus(text, "fail");
  document.body.dataset.zkporDone = "error";
  for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = true;
}

// The current run: which step list it fills, how it ended, and the visitor's answer.
let run = null; // {group, done: null | {passed, totals_proven}, confirmed: null | bool}
let stall = null;

function watch() {
  clearTimeout(stall);
  stall = setTimeout(
    () => failed(`the verifier stopped answering (nothing for ${STALL_MS / 1000} s): no result`),
    STALL_MS,
  );
}

function stepList(group) {
  return group === "user" ? $("zkpor-user-steps") : $("zkpor-all-steps");
}

// Whether every step of the list was reported, and is OK.
function everyStepOK(list) {
  const items = [...list.querySelectorAll(":scope > li")];
  return items.length > 0 && items.every((item) => item.dataset.status === "OK");
}

// The one verdict: recomputed from what the page shows, never from the worker alone.
function showVerdict() {
  if (!run || !run.done) return;
  const allOK = run.done.passed === true && everyStepOK(stepList(run.group));
  document.body.dataset.zkporDone = allOK ? "passed" : "failed";
  if (!allOK) {
    setStatus(run.invalidCode ?? "Some checks FAILED or did not run: see the reasons below.", "fail");
    return;
  }
  const totals = run.done.totals_proven
    ? "every batch proof was verified: the published liabilities are proven."
    : "not every batch proof was verified here, so the totals are not proven by this run " +
      "(Verify all checks every one).";
  if (run.group !== "user") {
    setStatus(`Every check passed: ${totals}`, "ok");
  } else if (run.confirmed === true) {
    setStatus(`Every check passed, and you confirmed the account id is yours; ${totals}`, "ok");
  } else if (run.confirmed === false) {
    setStatus("This code does not show your account: the account id is not yours. " +
      "Tell the custodian and the auditor.", "fail");
  } else {
    setStatus("Every check passed. Is the account id below yours? Answer to finish.", "confirm");
  }
}

function confirmAccount(mine) {
  if (!run || run.group !== "user") return;
  run.confirmed = mine;
  document.body.dataset.zkporConfirmed = mine ? "yes" : "no";
  showVerdict();
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
    // Steps of a list other than the run's own never count towards its verdict.
    if (run && event.group === run.group) showStep(stepList(event.group), event);
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
    if (run) run.invalidCode = event.detail;
    setStatus(event.detail, "fail");
  } else if (event.event === "done") {
    busy = false;
    clearTimeout(stall);
    for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = false;
    if (run) {
      run.done = { passed: event.passed === true, totals_proven: event.totals_proven === true };
      showVerdict();
    }
  }
}

function onMessage({ data }) {
  if (busy) watch();
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
  worker.onerror = (error) => failed(`the verifier stopped: ${error.message}: no result`);
  worker.onmessageerror = () => failed("the verifier sent a message that cannot be read: no result");
  worker.postMessage({ type: "init", base: root, pins: SITE.pins, paths: SITE.paths });
}

function start(task, group) {
  if (!ready || busy) return false;
  busy = true;
  run = { group, done: null, confirmed: null, invalidCode: null };
  delete document.body.dataset.zkporDone;
  delete document.body.dataset.zkporConfirmed;
  for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = true;
  watch();
  worker.postMessage(task);
  return true;
}

function verifyCode() {
  const code = $("zkpor-code").value.trim();
  if (!code || !ready || busy) return;
  pending($("zkpor-user-steps"));
  $("zkpor-samples").replaceChildren();
  $("zkpor-account").hidden = true;
  $("zkpor-account").replaceChildren();
  if (start({ type: "verify-code", code }, "user")) setStatus("Checking your account…");
}

function verifyAll() {
  if (!ready || busy) return;
  pending($("zkpor-all-steps"));
  $("zkpor-all-progress").hidden = false;
  if (start({ type: "verify-all" }, "attestation")) setStatus("Checking the whole attestation…");
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
