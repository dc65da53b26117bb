// The Verify page: starts the verifier worker and shows each check as it runs.
//
// The code is read from the field or from the URL fragment (#code=...), which browsers
// never send to a server; it goes only to the worker, by postMessage, and is removed from
// the address bar and the history as soon as it is read. Nothing here adds it to a URL or
// a request, or to the receipt. Text from the attestation is shown with textContent only.
//
// One verdict, in #zkpor-status: green ("ok") ONLY when the run's every step was reported
// and is OK, the worker said so too, the run is the one of the code in the field, and,
// for a code, the visitor confirmed that the account id the bundle holds is theirs (a
// custodian could hand two people codes of one bundle: only the holder can tell). A failed
// or skipped step, a step never reported, a worker that died or stopped answering, a code
// changed since the run started: never green. A file that could not be downloaded (the
// verifier tries twice) is named in the verdict, which says nothing was verified.

// Filled in by `zkpor site build`: the hash of every file the worker may load.
const SITE = "__ZKPOR_SITE__";

const root = new URL("../../", import.meta.url).href; // this script is v/<hash>/verify.js
const $ = (id) => document.getElementById(id);
// A run that sends nothing for this long has stopped: a worker that dies silently never
// says so. Generous: one step's pairings take a while in Pyodide on a slow phone. (While
// the verifier loads, nothing can turn green, so no watchdog is needed then.)
const STALL_MS = 600000;
const CODE_SYMBOLS = 28;
// A zkpor/2 attestation (a book of equity and debt): its Verify page says so.
const BOOK = $("zkpor-verify").dataset.format === "zkpor/2";

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

// --- numbers, as people read them ---------------------------------------------------

// "1234567.5" -> "1,234,567.5": thousands separators on the whole part, the decimals
// exactly as the verifier wrote them (never through a float).
function groupThousands(amount) {
  const [whole, fraction] = String(amount).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function element(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// --- the result: what the account holder should do with it ---------------------------

// The attestation's context (issuer, snapshot time), once step 1 has read the manifest.
let context = null;

function contactLine() {
  if (!context) return "contact the custodian";
  return `contact ${context.issuer_name} (${context.issuer_url})`;
}

function balancesTable(balances) {
  const wrap = element("div", "", "zkpor-scroll");
  const table = element("table", "", "zkpor-balances");
  const head = table.createTHead().insertRow();
  for (const label of ["Asset", "Balance"]) {
    const th = element("th", label);
    th.scope = "col";
    head.append(th);
  }
  const body = table.createTBody();
  for (const { asset, amount } of balances) {
    const row = body.insertRow();
    const th = element("th", asset);
    th.scope = "row";
    row.append(th);
    const cell = row.insertCell();
    cell.textContent = groupThousands(amount);
    cell.className = "zkpor-amount";
  }
  wrap.append(table);
  return wrap;
}

// zkpor/2: per asset held, its equity and debt (tokens, then units), the account's
// collateral and debt values in the registry's quote, and its margin ratio.
function bookTable(entries) {
  const wrap = element("div", "", "zkpor-scroll");
  const table = element("table", "", "zkpor-balances zkpor-book");
  const head = table.createTHead().insertRow();
  for (const label of ["Asset", "Equity", "Debt"]) {
    const th = element("th", label);
    th.scope = "col";
    head.append(th);
  }
  const body = table.createTBody();
  for (const entry of entries) {
    const row = body.insertRow();
    const th = element("th", entry.asset);
    th.scope = "row";
    row.append(th);
    for (const [amount, units] of [[entry.equity_amount, entry.equity],
      [entry.debt_amount, entry.debt]]) {
      const cell = row.insertCell();
      cell.className = "zkpor-amount";
      cell.append(groupThousands(amount), " ",
        element("span", `(${groupThousands(units)} units)`, "zkpor-why"));
    }
  }
  wrap.append(table);
  return wrap;
}

function bookValues(user) {
  const list = element("ul", "", "zkpor-book-values");
  list.id = "zkpor-book-values";
  const margin = user.margin === null ? "no debt" : `${user.margin} (collateral value / ` +
    "debt value)";
  for (const [label, value] of [
    ["Collateral value", `${groupThousands(user.collateral_value)} ${user.quote}`],
    ["Debt value", `${groupThousands(user.debt_value)} ${user.quote}`],
    ["Margin ratio", margin],
  ]) {
    const item = element("li");
    item.append(element("strong", `${label}: `), value);
    item.dataset.value = label.toLowerCase().replace(/ /g, "-");
    list.append(item);
  }
  const note = element("p", `Prices as the custodian published them (source: ` +
    `${user.price_source}); collateral counts each equity tier by tier at its ratio.`,
    "zkpor-why");
  const frame = element("div");
  frame.append(list, note);
  return frame;
}

// verifier.user2.STATEMENT and STATEMENT_SAMPLED: the first only when this run verified
// every batch proof (another batch, unverified, could offset any amount in the totals).
const BOOK_STATEMENT = "Your net balance is non-negative and counted in every asset's totals.";
const BOOK_STATEMENT_SAMPLED = "Your net balance is non-negative and your account is in a " +
  "proven batch under the published root; that it is counted in every asset's totals is " +
  "proven only when every batch proof is verified (Verify all, or zkpor verify-user --all).";

// The sentence of a zkpor/2 check that the proofs back, or null before every step passed.
function bookStatement() {
  if (!run || !run.allOK) return null;
  return run.done && run.done.totals_proven ? BOOK_STATEMENT : BOOK_STATEMENT_SAMPLED;
}

function showBookStatement() {
  const box = $("zkpor-account");
  box.querySelector("#zkpor-book-statement")?.remove();
  if (!run || !run.user || run.user.format !== "zkpor/2" || !bookStatement()) return;
  const line = element("p", bookStatement(), "zkpor-ok");
  line.id = "zkpor-book-statement";
  box.append(line);
}

function showUser(user) {
  const box = $("zkpor-account");
  box.replaceChildren();
  box.dataset.state = "pending"; // never green before every step is OK
  const id = element("p", "Account id: ", "zkpor-account-id");
  const strong = element("strong", user.user_id);
  strong.id = "zkpor-account-id";
  id.append(strong);
  const title = element("p");
  title.id = "zkpor-balances-title";
  if (user.format === "zkpor/2") {
    title.textContent = `The equity and debt ${user.issuer_name} counted for this account ` +
      `as of ${user.as_of}:`;
    box.append(id, title, bookTable(user.entries), bookValues(user));
  } else {
    title.textContent = `The balances ${user.issuer_name} counted for this account as of ` +
      `${user.as_of}:`;
    box.append(id, title, balancesTable(user.balances));
  }
  box.hidden = false;
  run.user = user;
}

function confirmButtons() {
  const ask = element("p", "Is this YOUR account id? If it is not, this code does not show " +
    "your account.");
  const yes = element("button", "Yes, this is my account id", "md-button");
  yes.id = "zkpor-confirm-yes";
  yes.type = "button";
  const no = element("button", "No, it is not mine", "md-button");
  no.id = "zkpor-confirm-no";
  no.type = "button";
  yes.addEventListener("click", () => confirmAccount(true));
  no.addEventListener("click", () => confirmAccount(false));
  const box = element("div");
  box.id = "zkpor-confirm";
  box.append(ask, yes, " ", no);
  return box;
}

// What the visitor should do now, in plain words, above the technical steps.
function showAdvice() {
  const advice = $("zkpor-advice");
  advice.replaceChildren();
  advice.hidden = true;
  if (!run || run.group !== "user" || !run.done || run.invalidCode) return;
  const account = $("zkpor-account");
  const parts = [];
  if (run.downloadFailed) {
    account.dataset.state = "fail";
    parts.push(element("p", "A file of the attestation could not be downloaded, so this " +
      "check could not finish and proves nothing, either way. Try again in a few minutes; " +
      `if it keeps failing, ${contactLine()}.`));
  } else if (run.notFound) {
    parts.push(element("p", "Your code was not found in this attestation. If you copied it " +
      "exactly, this may mean your account was left out of it: " + `${contactLine()}, ` +
      "and keep the receipt of this check."));
  } else if (!run.allOK) {
    account.dataset.state = "fail";
    parts.push(element("p", "Some checks failed, so the balances shown cannot be trusted. " +
      `Keep the receipt of this check and ${contactLine()}.`));
  } else if (run.confirmed === false) {
    account.dataset.state = "fail";
    parts.push(element("p", "This code shows someone else's account, not yours: " +
      `${contactLine()}, and keep the receipt of this check.`));
  } else {
    account.dataset.state = run.confirmed === true ? "ok" : "pending";
    if (run.confirmed === null) parts.push(confirmButtons());
    const asOf = run.user ? run.user.as_of : "the snapshot time";
    parts.push(element("p", `Compare these balances with your own statement for ${asOf}. ` +
      `If they differ, ${contactLine()} and keep the receipt of this check.`));
  }
  const download = element("button", "Download the receipt of this check", "md-button");
  download.id = "zkpor-receipt";
  download.type = "button";
  download.addEventListener("click", downloadReceipt);
  parts.push(download);
  advice.append(...parts);
  advice.hidden = false;
}

// A JSON record of what was checked: the attestation, the account's leaf and balances,
// the time and every step's result. Never the code.
function receipt() {
  const steps = (id) => [...$(id).querySelectorAll(":scope > li")].map((li) => ({
    step: Number(li.dataset.step) || li.dataset.step,
    name: li.querySelector("strong")?.textContent ?? "",
    status: li.dataset.status,
    detail: li.querySelector("span:last-child")?.textContent ?? "",
  }));
  const user = run.user;
  return {
    receipt: "zkpor verify page",
    checked_at: new Date().toISOString(),
    page: window.location.href.split("#")[0],
    attestation: context,
    account: user ? {
      user_id: user.user_id, leaf: user.leaf, batch: user.batch, leaf_hash: user.leaf_hash,
      ...(user.format === "zkpor/2" ? {
        slots: user.slots, entries: user.entries, quote: user.quote,
        collateral_value: user.collateral_value, debt_value: user.debt_value,
        margin: user.margin, statement: bookStatement(),
      } : { balances: user.balances }),
      confirmed_as_mine: run.confirmed,
    } : null,
    code_found: !run.notFound,
    download_failed: run.downloadFailed ? run.downloadFailed.file : null,
    verdict: $("zkpor-status").textContent,
    steps: steps("zkpor-user-steps"),
    other_batches: steps("zkpor-samples"),
  };
}

function downloadReceipt() {
  const blob = new Blob([JSON.stringify(receipt(), null, 1) + "\n"], { type: "application/json" });
  const link = element("a");
  link.href = URL.createObjectURL(blob);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  link.download = `zkpor-receipt-${stamp}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

function showSample({ batch, status, detail }) {
  showStep($("zkpor-samples"), {
    number: batch ?? "none", name: batch === null ? "other batches" : `batch ${batch}`,
    status, detail,
  });
}

// Who co-signed the attestation, with each key, and whether it matched: step 10's own
// words (verifier.attestation.check_cosignatures), shown apart so that a visitor sees at a
// glance who vouches for this manifest. As text only, like every value of the attestation.
const COSIGN_STEP = "co-signatures";

function showCosign({ status, detail }) {
  const line = $("zkpor-cosign");
  line.dataset.status = status;
  const verdict = status === "OK" ? "OK" : status === "SKIP" ? "NOT CHECKED" : "FAIL";
  line.replaceChildren(element("strong", `Co-signatures: ${verdict}`), ` (${detail})`);
  line.hidden = false;
}

function clearCosign() {
  const line = $("zkpor-cosign");
  line.replaceChildren();
  line.hidden = true;
  delete line.dataset.status;
}

function stopProgress() {
  for (const id of ["zkpor-load", "zkpor-all-progress"]) {
    const bar = $(id);
    bar.dataset.state = "stopped";
    bar.hidden = true;
  }
}

function failed(text) {
  busy = false;
  queued = null;
  clearTimeout(stall);
  run = null;
  stopProgress();
  setStatus(text, "fail");
  document.body.dataset.zkporDone = "error";
  $("zkpor-account").dataset.state = "fail";
  for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = true;
}

// The current run: which step list it fills, the code it checks (normalized), how it
// ended, and the visitor's answer.
let run = null;
let stall = null;
// A code entered while a run was busy: checked as soon as that run ends.
let queued = null;

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

function firstProblem(list) {
  const item = [...list.querySelectorAll(":scope > li")].find((li) => li.dataset.status !== "OK");
  if (!item) return "";
  const name = item.querySelector("strong")?.textContent ?? "";
  return ` The first: step ${item.dataset.step}, ${name} (${item.dataset.status}).`;
}

// Case, dashes and spaces do not matter; I, L, O read as 1, 1, 0 (verifier.codes).
function normalizeCode(text) {
  return text.replace(/[\s-]/g, "").toUpperCase().replace(/[IL]/g, "1").replace(/O/g, "0");
}

// What a user run checked, in words that claim no more than it did.
function userScope() {
  const samples = $("zkpor-samples").querySelectorAll(":scope > li[data-status='OK']").length;
  const others = samples === 1 ? "1 other batch" : `${samples} other batches`;
  const totals = BOOK ? "equity and debt totals" : "liabilities";
  return run.done.totals_proven
    ? `your account, and every batch proof: the published ${totals} are proven.`
    : `your account, its batch's proof and ${others} chosen at random. The custodian's ` +
      `total ${totals} are not proven by this check alone (Verify all below checks every ` +
      "batch).";
}

// The one verdict: recomputed from what the page shows, never from the worker alone.
function showVerdict() {
  if (!run || !run.done) return;
  run.allOK = run.done.passed === true && everyStepOK(stepList(run.group));
  const green = run.allOK && (run.group !== "user" || run.confirmed === true);
  document.body.dataset.zkporDone = run.allOK ? "passed" : "failed";
  showAdvice();
  showBookStatement();
  if (!run.allOK && run.downloadFailed) {
    const { file, url, reason } = run.downloadFailed;
    const what = run.group === "user" ? "your account was" : "the attestation was";
    setStatus(`Could not download ${file} from ${url}: ${reason}. Try again later: ` +
      `${what} not verified.`, "fail");
  } else if (!run.allOK) {
    setStatus(run.invalidCode ??
      "Some checks FAILED or did not run: see the reasons below." +
      firstProblem(stepList(run.group)), "fail");
  } else if (run.group !== "user") {
    const batches = $("zkpor-all-progress").max;
    const proven = BOOK ? "equity and debt of every asset are" : "liabilities are";
    setStatus(`The whole attestation: all ${batches} batch proofs and the ` +
      `${stepList(run.group).children.length} checks of zkpor verify passed; the published ` +
      `${proven} proven. (Your own account is checked with your code, above.)`, "ok");
  } else if (run.confirmed === true) {
    setStatus(`Every check passed, and you confirmed the account id is yours. Checked: ` +
      userScope(), "ok");
  } else if (run.confirmed === false) {
    setStatus("This code does not show your account: the account id is not yours.", "fail");
  } else {
    setStatus("Every check passed. Is the account id below yours? Answer to finish.", "confirm");
  }
  if (green) document.body.dataset.zkporVerdict = "ok";
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
  // Events of a run the page no longer shows (a newer code replaced it) are dropped.
  if (!run || run.superseded) {
    if (event.event === "done") finished();
    return;
  }
  if (event.event === "step") {
    // Steps of a list other than the run's own never count towards its verdict.
    if (event.group === run.group) showStep(stepList(event.group), event);
    if (event.group === "attestation" && event.name === COSIGN_STEP) showCosign(event);
  } else if (event.event === "context") {
    context = { ...event };
    delete context.event;
  } else if (event.event === "user") {
    showUser(event);
  } else if (event.event === "not-found") {
    run.notFound = true;
  } else if (event.event === "retry") {
    // Discreet: most retries succeed, and the verdict replaces this line.
    setStatus(`${run.checking} (${event.file}: ${event.reason}; trying once more)`);
  } else if (event.event === "download-failed") {
    run.downloadFailed ??= { file: event.file, url: event.url, reason: event.reason };
  } else if (event.event === "sample") {
    showSample(event);
  } else if (event.event === "proofs") {
    const bar = $("zkpor-all-progress");
    bar.max = event.total;
    bar.value = event.done;
    $("zkpor-all-count").textContent = `${event.done} of ${event.total} batch proofs checked`;
  } else if (event.event === "invalid-code") {
    // A link's code that does not parse was most likely cut short or changed on the way.
    run.invalidCode = run.fromLink
      ? `This link looks cut off or changed: ${event.detail}. Copy the whole link again, ` +
        "or type the code from your statement."
      : `${event.detail.charAt(0).toUpperCase()}${event.detail.slice(1)}.`;
    setStatus(run.invalidCode, "fail");
  } else if (event.event === "done") {
    run.done = { passed: event.passed === true, totals_proven: event.totals_proven === true };
    finished();
    showVerdict();
  }
}

// A run ended (shown or superseded): free the page, then check a queued code if any.
function finished() {
  busy = false;
  clearTimeout(stall);
  for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = false;
  if (queued !== null) {
    const { code, fromLink } = queued;
    queued = null;
    verifyCode(code, fromLink);
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
    const code = $("zkpor-code").value.trim();
    if (code) verifyCode(code, linkCode !== null && code === linkCode);
  } else if (data.type === "event") {
    onEvent(data.event);
  } else if (data.type === "error") {
    failed(data.text);
  }
}

async function startWorker() {
  // The worker script is checked like everything else, then started from a blob.
  // A fetch that fails (the integrity check included) is tried once more, 0.75 s later.
  const get = () => fetch(new URL(SITE.paths.worker, root), {
    integrity: SITE.pins[SITE.paths.worker],
  }).then((response) => response.blob());
  let source;
  try {
    source = await get().catch(() => new Promise((resolve) => setTimeout(resolve, 750))
      .then(get));
  } catch (error) {
    throw new Error(tampered(SITE.paths.worker, error));
  }
  worker = new Worker(URL.createObjectURL(source), { type: "module", name: "zkpor-verifier" });
  worker.onmessage = onMessage;
  worker.onerror = (error) => failed(`the verifier stopped: ${error.message}: no result`);
  worker.onmessageerror = () => failed("the verifier sent a message that cannot be read: no result");
  worker.postMessage({ type: "init", base: root, pins: SITE.pins, paths: SITE.paths });
}

function tampered(path, error) {
  return `The site's files were changed or could not be loaded: ${path} does not match its ` +
    `pinned hash, or did not arrive, twice (${error}). No result from this page can be ` +
    "trusted.";
}

function clearResults() {
  pending($("zkpor-user-steps"));
  $("zkpor-samples").replaceChildren();
  $("zkpor-account").hidden = true;
  $("zkpor-account").replaceChildren();
  $("zkpor-advice").hidden = true;
  $("zkpor-advice").replaceChildren();
  delete document.body.dataset.zkporDone;
  delete document.body.dataset.zkporConfirmed;
  delete document.body.dataset.zkporVerdict;
}

function start(task, group, code = null) {
  if (!ready || busy) return false;
  busy = true;
  context = null; // what this run's step 1 reads, not an earlier run's
  run = { group, code, done: null, confirmed: null, invalidCode: null, notFound: false,
    user: null, superseded: false, allOK: false, downloadFailed: null,
    checking: group === "user" ? "Checking your account…"
      : "Checking the whole attestation…" };
  delete document.body.dataset.zkporDone;
  delete document.body.dataset.zkporConfirmed;
  delete document.body.dataset.zkporVerdict;
  for (const button of document.querySelectorAll("#zkpor-verify button")) button.disabled = true;
  watch();
  worker.postMessage(task);
  return true;
}

function verifyCode(text, fromLink = false) {
  const code = text.trim();
  if (!code) {
    setStatus("Enter your verification code first: paste or type the code the custodian " +
      "gave you.", "fail");
    $("zkpor-code").focus();
    return;
  }
  if (!ready) {
    setStatus("The verifier is still loading: your code will be checked as soon as it is ready.");
    return;
  }
  if (busy) {
    // The running check cannot be interrupted (it is plain Python): its result is dropped
    // and this code is checked next, so what the page shows always belongs to this code.
    if (run) run.superseded = true;
    clearResults();
    queued = { code, fromLink };
    setStatus("A new code was entered: it is checked as soon as the current check ends.");
    return;
  }
  clearResults();
  const symbols = normalizeCode(code);
  if (fromLink && symbols.length < CODE_SYMBOLS - 1 && /^[0-9A-Z]*$/.test(symbols)) {
    // Chat and mail programs cut links short: say so, rather than "typo". No code has
    // fewer symbols than this (27 for codes of earlier attestations, 28 since).
    setStatus(TRUNCATED, "fail");
    document.body.dataset.zkporDone = "failed";
    return;
  }
  start({ type: "verify-code", code }, "user", symbols);
  run.fromLink = fromLink;
  setStatus(run.checking);
}

const TRUNCATED = "This link looks cut off (truncated): the code in it is too short. Copy " +
  "the whole link again, or type the code from your statement.";

function verifyAll() {
  if (!ready || busy) return;
  pending($("zkpor-all-steps"));
  clearCosign();
  $("zkpor-all-progress").hidden = false;
  if (start({ type: "verify-all" }, "attestation")) setStatus(run.checking);
}

// The code of a #code= link, read once, then removed from the address bar and history.
function takeCodeFromFragment() {
  const match = /^#code=(.*)$/s.exec(window.location.hash);
  if (!match) return null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  try {
    return decodeURIComponent(match[1]).trim();
  } catch {
    return match[1].trim();
  }
}

let linkCode = null;

$("zkpor-form").addEventListener("submit", (event) => {
  event.preventDefault();
  verifyCode($("zkpor-code").value, false);
});
$("zkpor-code").addEventListener("input", () => {
  // A result belongs to the code it checked: editing the code takes the verdict, the
  // balances and the advice away (a running check's results are dropped by verifyCode).
  if (run && run.done && run.group === "user" &&
      normalizeCode($("zkpor-code").value) !== run.code) {
    run = null;
    clearResults();
    setStatus("The code in the field has changed since this check: press Verify to check it.");
  }
});
$("zkpor-all").addEventListener("click", verifyAll);
window.addEventListener("hashchange", () => {
  const code = takeCodeFromFragment();
  if (code !== null) {
    linkCode = code;
    $("zkpor-code").value = code;
    verifyCode(code, true);
  }
});
linkCode = takeCodeFromFragment();
if (linkCode !== null) $("zkpor-code").value = linkCode;
startWorker().catch((error) => failed(`the verifier could not load: ${error.message ?? error}`));
