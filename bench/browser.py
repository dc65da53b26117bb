"""The in-browser verifier's cost to an account holder: the site's Verify page in chromium,
on a desktop and on a throttled phone, first and second visit.

Run from the repository root, after ``make install-test`` (Playwright, Debian chromium)::

    python bench/browser.py [--device desktop|phone|both] [--runs 3]
                            [--attestation DIR --private DIR]
                            [--demo-out /tmp/zkpor-bench-demo] [--users 1000]
                            [--insecure-dev-setup] [--user 0] [--phone-cpu 0.25]
                            [--out bench/out/browser.json]

Without ``--attestation`` it uses ``<demo-out>/attestation`` and ``<demo-out>/private``,
running ``zkpor demo --format zkpor/1 --out <demo-out> --users N`` first if they are
missing (a real local ceremony unless ``--insecure-dev-setup``; zkpor/1, whose one
ceremony and tree this bench reads). It builds the attestation's site (``zkpor site
build``; ``--allow-insecure-dev-setup`` only if the manifest says so; a demo ceremony's own
phase 1 is allowed and, as the tests do, listed in the built worker's
``EXTRA_KNOWN_PHASE1`` so that its checks can pass), serves it on 127.0.0.1 and reads one
code from ``<private>/codes.csv`` (row ``--user``; the code is never printed or written).

Devices (``--device``, default both; runs alternate between them):

* **desktop**: viewport 1366x900, the machine's CPU as it is;
* **phone**: viewport 390x844, a mobile user agent, ``is_mobile`` and ``has_touch``, and the
  WHOLE browser (every chromium process, so the verifier's Web Worker too, which CDP CPU
  throttling does not reach) capped at ``--phone-cpu`` of one core (25%) by a cpu cgroup:
  ``/sys/fs/cgroup/cpu/zkpor-bench-<pid>`` (cgroup v1, ``cpu.cfs_quota_us`` = 25,000 per
  ``cpu.cfs_period_us`` = 100,000) or a child of a cgroup v2 root with ``cpu.max``, with a
  raised weight so that a loaded machine does not push it below its quota.
  chromium starts inside it (a wrapper script joins the cgroup, then ``exec``s
  ``/usr/bin/chromium``; children inherit it). The cgroup is removed at the end. Without a
  writable cpu cgroup (not root, no cpu controller) the phone runs UNTHROTTLED and every
  figure of it is marked so.

Each run launches chromium (``/usr/bin/chromium``, headless) with a FRESH profile, then:

* **first visit** (cold): opens ``/verify/#code=<code>`` (nothing cached) and waits until
  every check of that user is done;
* **second visit** (warm): closes the page and opens the same link again in the same
  profile (HTTP cache and compiled WebAssembly cache warm);
* **verify all**: on the warm page, clicks ``#zkpor-all`` and waits for the verdict.

Then, once per run, the **calibration**: a desktop browser and a phone browser (in the
cgroup) side by side, each timing a fixed JavaScript loop (``CALIBRATION_LOOPS`` xorshift
steps) in a Web Worker, alternately, ``CALIBRATION_ROUNDS`` times after a warm-up each: the
median of the phone/desktop ratios of the rounds says how much slower the throttled browser
computes (the issue's phone ran a test loop 4x slower). Back to back, because a shared
machine's speed drifts from minute to minute. Without the phone, the desktop alone.

The page is only relied on for ``document.body.dataset.zkporDone`` (set to
"passed"/"failed"/"error" at the end of a run), the ``#zkpor-code`` field, the
``#zkpor-all`` button and ``#zkpor-status``. Everything else is optional and used when
present. A script installed before the page's scripts timestamps (``performance.now()``,
i.e. from the start of the navigation) when:

* ``data-zkpor-done`` is set;
* ``#zkpor-confirm-yes`` appears (the page asks the visitor to confirm the account id; the
  script answers yes as soon as the button is enabled, as the visitor would);
* the verifier is ready: the worker's ``{type: "ready"}`` message (the worker protocol of
  ``assets/zkpor/worker.js``, seen by wrapping ``Worker``), else the moment ``#zkpor-all``
  is first enabled, else the status line first says "ready";
* optional detail: the worker's loading messages (where loading spends its time), the
  status line, the step lists (per step of the user's check and of verify all).

"Checks done" is the moment ``data-zkpor-done`` is set or the confirm button appears,
whichever comes first, with one exception: when the confirm button appears while the
checks are still running (the worker's "done" event comes after it: an earlier page asked
right after step 1), it is the moment ``data-zkpor-done`` is set. Every visit records
which (``done_by``). "Page open" is the start of the navigation.

Bytes are counted by the server, per request: every byte it wrote (status line, headers and
bodies), so cache hits cost nothing and revalidations (304) their headers. Files are
grouped by their name only (vendored files may live under content-hashed folders): wasm,
stdlib, the verifier wheel, the py_ecc wheel, Pyodide's JS, libsodium, others.

Prints the issue's table (measured against its goals) and each device's detail; writes
every run and the medians to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import functools
import http.server
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def use_checkout() -> None:
    """Make ``publisher.site.template`` (the checkout's site/ folder, see pyproject.toml)
    importable when the installed package does not provide it (an editable install made
    from another folder): the benchmark runs on the checkout it is in."""
    try:
        found = importlib.util.find_spec("publisher.site.template") is not None
    except ImportError:
        found = False
    if found:
        return
    spec = importlib.util.spec_from_file_location(
        "publisher.site.template",
        REPO / "site" / "__init__.py",
        submodule_search_locations=[str(REPO / "site")],
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["publisher.site.template"] = module
    spec.loader.exec_module(module)


use_checkout()

from publisher.site.build import BuildOptions, build_site  # noqa: E402
from publisher.site.serve import SiteHandler  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 1_200_000
POLL_MS = 250  # how often Playwright looks at the page (cheap: the page keeps the times)
MB = 1_000_000  # the issue's unit

#: xorshift steps of the calibration loop: ~0.4 s in a Web Worker on the desktop here, ~1.6 s
#: on the phone (16 cgroup periods: the quota's granularity matters little).
CALIBRATION_LOOPS = 200_000_000
CALIBRATION_ROUNDS = 5


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int
    mobile: bool
    throttled: bool


DEVICES = {
    "desktop": Device("desktop", 1366, 900, mobile=False, throttled=False),
    "phone": Device("phone", 390, 844, mobile=True, throttled=True),
}

#: The issue's goals (issue 15). The "now" column of the table is what this run measures.
GOALS = {
    "desktop_cold": 5.0,
    "desktop_warm": 2.5,
    "phone_cold": 15.0,
    "phone_warm": 10.0,
    "desktop_all": 8.0,
    "phone_all": 30.0,
    "cold_bytes": 12 * MB,
}

#: Installed before the page's scripts (every page of the context).
OBSERVER = """
(() => {
  if (window.__zkpor) return;
  const now = () => performance.now();
  const z = window.__zkpor = {
    log: [],          // status line and step lists (optional), on every change
    worker: [],       // messages from Web Workers: {t, type, text?, event?}
    doneEvents: [],   // data-zkpor-done set: {t, value}
    allEnabled: null, // #zkpor-all first enabled
    confirmSeen: null,
    confirmClicked: null,
    allClick: null,
    autoConfirm: true,
  };
  const Native = window.Worker;
  if (typeof Native === "function") {
    window.Worker = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", ({ data }) => {
          const t = now();
          const object = data !== null && typeof data === "object";
          const entry = { t, type: object ? String(data.type) : typeof data };
          if (object && data.type === "loading") entry.text = String(data.text);
          if (object && data.type === "event" && data.event) entry.event = String(data.event.event);
          z.worker.push(entry);
        });
      }
    };
  }
  addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("#zkpor-all")) z.allClick = now();
  }, true);
  // The value an attribute had after each of its records (the next record's old value).
  const after = (records, current) =>
    records.map((r, i) => (i + 1 < records.length ? records[i + 1].oldValue : current));
  const lists = ["zkpor-user-steps", "zkpor-samples", "zkpor-all-steps"];
  let last = "";
  const observe = (records) => {
    const t = now();
    const body = document.body;
    const done = records.filter((r) => r.type === "attributes" && r.target === body &&
      r.attributeName === "data-zkpor-done");
    if (done.length) {
      for (const value of after(done, body.getAttribute("data-zkpor-done"))) {
        if (value !== null) z.doneEvents.push({ t, value });
      }
    }
    if (z.allEnabled === null) {
      const button = document.getElementById("zkpor-all");
      const all = records.filter((r) => r.type === "attributes" &&
        r.attributeName === "disabled" && r.target.id === "zkpor-all");
      if (all.length && after(all, button ? button.getAttribute("disabled") : "")
        .some((value) => value === null)) z.allEnabled = t;
    }
    const yes = document.getElementById("zkpor-confirm-yes");
    if (yes && (typeof yes.checkVisibility !== "function" || yes.checkVisibility())) {
      if (z.confirmSeen === null) z.confirmSeen = t;
      if (z.autoConfirm && z.confirmClicked === null && !yes.disabled) {
        z.confirmClicked = t;
        yes.click();
      }
    }
    const status = document.getElementById("zkpor-status");
    const state = { status: status ? status.textContent : null, lists: {} };
    for (const id of lists) {
      const list = document.getElementById(id);
      if (list) {
        state.lists[id] = [...list.children].filter((li) => li.tagName === "LI")
          .map((li) => `${li.dataset.step}:${li.dataset.status}`);
      }
    }
    const json = JSON.stringify(state);
    if (json !== last) {
      last = json;
      z.log.push({ t, ...state });
    }
  };
  new MutationObserver(observe).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeOldValue: true,
  });
})();
"""

#: Starts a Web Worker running a fixed loop on request (the calibration).
CALIBRATION_WORKER_JS = """() => {
  const source = `onmessage = ({ data }) => {
    const t0 = performance.now();
    let x = 2463534242, s = 0;
    for (let i = 0; i < data; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5; s = (s + (x & 1023)) | 0;
    }
    postMessage({ ms: performance.now() - t0, s });
  };`;
  window.__zkporCalibration = new Worker(
    URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
}"""

#: Times the loop once (ms).
CALIBRATION_LOOP_JS = """(loops) => new Promise((resolve) => {
  const worker = window.__zkporCalibration;
  worker.onmessage = ({ data }) => resolve(data.ms);
  worker.postMessage(loops);
})"""


# --- the phone's CPU: a cpu cgroup around the whole browser ------------------------------


class CpuLimit:
    """A cpu cgroup capping everything in it at ``share`` of one core."""

    PERIOD_US = 100_000
    #: a weight well above a default task's (1024 / 100), so that on a loaded machine the
    #: browser still gets its quota: the quota, not the load, sets the phone's speed
    SHARES_V1, WEIGHT_V2 = 8192, 800

    def __init__(self, version: str, path: Path, share: float) -> None:
        self.version, self.path, self.share = version, path, share

    @classmethod
    def create(cls, share: float) -> CpuLimit:
        """Make ``zkpor-bench-<pid>`` with the quota; raise OSError saying why not."""
        quota = max(1000, round(cls.PERIOD_US * share))
        reasons = []
        for root in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/cpu,cpuacct")):
            if (root / "cpu.cfs_quota_us").exists():
                path = root / f"zkpor-bench-{os.getpid()}"
                try:
                    path.mkdir()
                    (path / "cpu.cfs_period_us").write_text(f"{cls.PERIOD_US}\n")
                    (path / "cpu.cfs_quota_us").write_text(f"{quota}\n")
                    (path / "cpu.shares").write_text(f"{cls.SHARES_V1}\n")
                except OSError as exc:
                    with contextlib.suppress(OSError):
                        path.rmdir()
                    reasons.append(f"cgroup v1 {root}: {exc}")
                    continue
                limit = cls("v1", path, share)
                limit._check(f"{quota}")
                return limit
            reasons.append(f"no cgroup v1 cpu controller at {root}")
        for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
            controllers = root / "cgroup.controllers"
            if not controllers.exists() or "cpu" not in controllers.read_text().split():
                reasons.append(f"no cgroup v2 cpu controller at {root}")
                continue
            path = root / f"zkpor-bench-{os.getpid()}"
            try:
                subtree = root / "cgroup.subtree_control"
                if "cpu" not in subtree.read_text().split():
                    subtree.write_text("+cpu\n")
                path.mkdir()
                (path / "cpu.max").write_text(f"{quota} {cls.PERIOD_US}\n")
                with contextlib.suppress(OSError):
                    (path / "cpu.weight").write_text(f"{cls.WEIGHT_V2}\n")
            except OSError as exc:
                with contextlib.suppress(OSError):
                    path.rmdir()
                reasons.append(f"cgroup v2 {root}: {exc}")
                continue
            limit = cls("v2", path, share)
            limit._check(f"{quota} {cls.PERIOD_US}")
            return limit
        raise OSError("; ".join(reasons))

    def _check(self, expected: str) -> None:
        name = "cpu.cfs_quota_us" if self.version == "v1" else "cpu.max"
        actual = (self.path / name).read_text().strip()
        if actual != expected:
            self.remove()
            raise OSError(f"{self.path / name} reads {actual!r}, not {expected!r}")

    def describe(self) -> str:
        if self.version == "v1":
            quota = (self.path / "cpu.cfs_quota_us").read_text().strip()
            period = (self.path / "cpu.cfs_period_us").read_text().strip()
            shares = (self.path / "cpu.shares").read_text().strip()
            return (
                f"cgroup v1 {self.path}: cpu.cfs_quota_us={quota} cpu.cfs_period_us={period} "
                f"cpu.shares={shares}"
            )
        weight = ""
        with contextlib.suppress(OSError):
            weight = f" cpu.weight={(self.path / 'cpu.weight').read_text().strip()}"
        return (
            f"cgroup v2 {self.path}: cpu.max={(self.path / 'cpu.max').read_text().strip()}{weight}"
        )

    def wrapper(self, folder: Path) -> Path:
        """Write a script that joins the cgroup, then becomes chromium."""
        script = folder / "chromium-in-cgroup"
        procs = self.path / "cgroup.procs"
        script.write_text(
            "#!/bin/sh\n"
            "# zkpor bench/browser.py: start chromium inside the phone's cpu cgroup\n"
            f"echo $$ > '{procs}' || {{ echo 'cannot join {self.path}' >&2; exit 1; }}\n"
            f"exec '{CHROMIUM}' \"$@\"\n"
        )
        script.chmod(0o755)
        return script

    def procs(self) -> list[int]:
        with contextlib.suppress(OSError):
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        return []

    def stat(self) -> dict[str, int]:
        values = {}
        with contextlib.suppress(OSError):
            for line in (self.path / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if value.strip().isdigit():
                    values[key] = int(value)
        return values

    def remove(self) -> None:
        """Remove the cgroup, once the processes left in it (ours) have gone or moved out."""
        deadline = time.monotonic() + 10
        while self.procs() and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in self.procs():  # still there: move them back to the parent
            with contextlib.suppress(OSError):
                (self.path.parent / "cgroup.procs").write_text(f"{pid}\n")
        for _ in range(25):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.2)
        print(f"WARNING: could not remove {self.path}: remove it by hand", file=sys.stderr)


# --- the server: the site's handler, counting every byte it writes, per request ---------


class _CountingWriter:
    def __init__(self, inner: Any, handler: _CountingHandler) -> None:
        self._inner, self._handler = inner, handler

    def write(self, data: bytes) -> int:
        self._handler.sent += len(data)
        return int(self._inner.write(data))

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CountingHandler(SiteHandler):
    server: CountingServer
    sent = 0
    status = 0

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile, self)  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        self.sent, self.status, self.path = 0, 0, ""
        try:
            super().handle_one_request()
        finally:
            if self.sent or self.status:
                self.server.record(self.path, self.status, self.sent)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.status = int(code) if str(code).isdigit() else 0


class CountingServer(http.server.ThreadingHTTPServer):
    """``zkpor site serve`` on 127.0.0.1, recording every response: path, status, bytes."""

    daemon_threads = True

    def __init__(self, site: Path) -> None:
        handler = functools.partial(_CountingHandler, directory=str(site))
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.responses: list[tuple[str, int, int]] = []

    def record(self, path: str, status: int, sent: int) -> None:
        with self.lock:
            self.responses.append((path.split("?", 1)[0], status, sent))

    def take(self) -> list[tuple[str, int, int]]:
        """Return the responses since the last call, and forget them."""
        with self.lock:
            taken, self.responses = self.responses, []
        return taken


@contextlib.contextmanager
def serving(site: Path) -> Iterator[CountingServer]:
    server = CountingServer(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def category(path: str) -> str:
    """The group of a file, by its name only (its folder may be a content hash)."""
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    if name.endswith(".wasm"):
        return "wasm"
    if "stdlib" in name and name.endswith(".zip"):
        return "stdlib"
    if name.endswith(".whl"):
        if name.replace("-", "_").startswith("zkpor_verifier"):
            return "verifier wheel"
        if name.replace("-", "_").startswith("py_ecc"):
            return "py_ecc wheel"
        return "other wheels"
    if name.startswith("pyodide"):
        return "pyodide js"
    if "sodium" in name:
        return "libsodium"
    return "others"


CATEGORIES = [
    "wasm",
    "stdlib",
    "verifier wheel",
    "py_ecc wheel",
    "pyodide js",
    "libsodium",
    "other wheels",
    "others",
]


# --- one visit --------------------------------------------------------------------------


@dataclass
class Visit:
    """One visit of ``/verify/#code=...``: seconds from the start of the navigation."""

    total: float  # page open -> checks done
    ready: float  # the verifier is ready
    checks: float  # total - ready
    ready_by: str
    done_by: str
    result: str
    confirm_seen: float | None
    wall: float  # Python's clock, goto -> verdict seen (includes polling)
    bytes_sent: int
    requests: int
    not_modified: int
    bytes_by_category: dict[str, int]
    files: list[dict[str, Any]]
    load_phases: list[tuple[str, float]] = field(default_factory=list)
    #: per step of the user's check (when the page lists them): seconds from the previous
    #: step's result, or from the verifier being ready
    step_seconds: list[tuple[str, float]] = field(default_factory=list)
    cpu_stat: dict[str, int] = field(default_factory=dict)


def list_done_times(log: list[dict[str, Any]], list_id: str) -> dict[str, float]:
    """Return, per step of ``list_id`` (when the page has it), when it first showed a
    result (ms)."""
    times: dict[str, float] = {}
    for entry in log:
        for item in entry["lists"].get(list_id, []):
            step, _, status = item.partition(":")
            if status in {"OK", "FAIL", "SKIP"} and step not in times:
                times[step] = float(entry["t"])
    return times


def step_durations(
    page: Any, log: list[dict[str, Any]], list_id: str, start: float
) -> list[tuple[str, float]]:
    """Return ``(number. name, seconds)`` per step of ``list_id`` (when the page lists its
    steps), each from the previous step's result or from ``start`` (ms)."""
    times = list_done_times(log, list_id)
    names: list[str] = []
    with contextlib.suppress(Exception):
        names = page.eval_on_selector_all(
            f"#{list_id} > li",
            "items => items.map(li => (li.querySelector('strong') || li).textContent.trim())",
        )
    steps = []
    previous = start
    for number in sorted(times, key=lambda k: int(k) if k.isdigit() else 0):
        index = int(number) - 1 if number.isdigit() else -1
        name = names[index] if 0 <= index < len(names) else f"step {number}"
        steps.append((f"{number}. {name}", (times[number] - previous) / 1000))
        previous = times[number]
    return steps


def ready_time(z: dict[str, Any]) -> tuple[float, str]:
    """Return when the verifier was ready (ms) and which signal said so."""
    for message in z["worker"]:
        if message["type"] == "ready":
            return float(message["t"]), "worker's ready message"
    if z["allEnabled"] is not None:
        return float(z["allEnabled"]), "#zkpor-all enabled"
    for entry in z["log"]:
        if entry["status"] and re.search(r"\bready\b", entry["status"], re.IGNORECASE):
            return float(entry["t"]), "status line"
    raise RuntimeError("the page never said the verifier was ready")


def done_time(z: dict[str, Any]) -> tuple[float, str]:
    """Return when the user's checks were done (ms) and which signal said so."""
    done = float(z["doneEvents"][0]["t"])
    confirm = z["confirmSeen"]
    if confirm is None or done <= confirm:
        return done, "data-zkpor-done"
    worker_done = [m["t"] for m in z["worker"] if m.get("event") == "done"]
    if not worker_done:
        return float(confirm), "confirm button (the worker's done event was not seen)"
    if worker_done[0] <= confirm:
        return float(confirm), "confirm button"
    return done, "data-zkpor-done (the confirm button came earlier, during the checks)"


def load_phases(z: dict[str, Any], ready: float) -> list[tuple[str, float]]:
    """Return the worker's loading steps and their seconds (when the protocol is known)."""
    loading = [(m["text"], float(m["t"])) for m in z["worker"] if m["type"] == "loading"]
    if not loading:
        return []
    phases = [("page and worker start", loading[0][1] / 1000)]
    ends = [t for _, t in loading[1:]] + [ready]
    phases += [(text, (end - t) / 1000) for (text, t), end in zip(loading, ends, strict=True)]
    return phases


def responses_summary(responses: list[tuple[str, int, int]]) -> dict[str, Any]:
    by_category = dict.fromkeys(CATEGORIES, 0)
    for path, _, sent in responses:
        by_category[category(path)] += sent
    return {
        "bytes_sent": sum(sent for _, _, sent in responses),
        "requests": len(responses),
        "not_modified": sum(1 for _, status, _ in responses if status == 304),
        "bytes_by_category": by_category,
        "files": [
            {"path": path, "status": status, "bytes": sent}
            for path, status, sent in sorted(responses, key=lambda r: -r[2])
        ],
    }


def stat_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {key: after[key] - before.get(key, 0) for key in after}


def visit(
    context: Any, url: str, server: CountingServer, limit: CpuLimit | None
) -> tuple[Any, Visit]:
    """Open ``url`` in a new page, wait for the user's verdict; return the page and figures."""
    server.take()
    before = limit.stat() if limit else {}
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    # If the page asks to confirm the account id, the observer answers yes, so the verdict
    # (data-zkpor-done) comes in every case: at once, or when the checks end. When the
    # checks were done is worked out afterwards from the timestamps (done_time).
    page.wait_for_function(
        "() => !!window.__zkpor && window.__zkpor.doneEvents.length > 0",
        polling=POLL_MS,
        timeout=TIMEOUT_MS,
    )
    wall = time.perf_counter() - start
    z: dict[str, Any] = page.evaluate("window.__zkpor")
    after = limit.stat() if limit else {}
    ready, ready_by = ready_time(z)
    done, done_by = done_time(z)
    steps = step_durations(page, z["log"], "zkpor-user-steps", ready)
    time.sleep(0.2)  # let the last responses finish before reading the server's record
    sent = responses_summary(server.take())
    return page, Visit(
        total=done / 1000,
        ready=ready / 1000,
        checks=(done - ready) / 1000,
        ready_by=ready_by,
        done_by=done_by,
        result=str(z["doneEvents"][0]["value"]),
        confirm_seen=None if z["confirmSeen"] is None else float(z["confirmSeen"]) / 1000,
        wall=wall,
        load_phases=load_phases(z, ready),
        step_seconds=steps,
        cpu_stat=stat_delta(before, after),
        **sent,
    )


@dataclass
class VerifyAll:
    """The whole attestation checked in the page (``#zkpor-all``)."""

    seconds: float
    result: str
    batches: int
    #: per step (when the page lists them): seconds from the previous result or the click
    step_seconds: dict[str, float]
    #: step 3 (batch proofs) divided by the batches, when the page lists the steps
    per_batch: float | None


def verify_all(page: Any, batches: int) -> VerifyAll:
    page.evaluate("window.__zkpor.log.length = 0")
    page.locator("#zkpor-all").click(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => { const z = window.__zkpor;"
        " return z.allClick !== null && z.doneEvents.some((e) => e.t > z.allClick); }",
        polling=POLL_MS,
        timeout=TIMEOUT_MS,
    )
    z: dict[str, Any] = page.evaluate("window.__zkpor")
    clicked = float(z["allClick"])
    end = next(e for e in z["doneEvents"] if e["t"] > clicked)
    times = list_done_times(z["log"], "zkpor-all-steps")
    steps = dict(step_durations(page, z["log"], "zkpor-all-steps", clicked))
    per_batch = None
    if "2" in times and "3" in times:
        per_batch = (times["3"] - times["2"]) / 1000 / batches
    return VerifyAll(
        (float(end["t"]) - clicked) / 1000, str(end["value"]), batches, steps, per_batch
    )


def calibrate(
    playwright: Any, names: list[str], limit: CpuLimit | None, notes: list[str]
) -> dict[str, Any]:
    """Time the loop in each device's browser, alternately (both browsers open): return
    each one's times in ms (the warm-up first) and the phone/desktop ratio."""
    with contextlib.ExitStack() as stack:
        pages = {}
        for name in names:
            device = DEVICES[name]
            profile = stack.enter_context(
                tempfile.TemporaryDirectory(
                    prefix="zkpor-bench-profile-", ignore_cleanup_errors=True
                )
            )
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="zkpor-bench-bin-"))
            throttled = limit if device.throttled else None
            executable = throttled.wrapper(Path(folder)) if throttled else CHROMIUM
            context = launch(playwright, Path(profile), device, executable, notes)
            stack.callback(context.close)
            pages[name] = context.new_page()
            pages[name].evaluate(CALIBRATION_WORKER_JS)
        times: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(CALIBRATION_ROUNDS + 1):
            for name, page in pages.items():
                times[name].append(float(page.evaluate(CALIBRATION_LOOP_JS, CALIBRATION_LOOPS)))
    figures: dict[str, Any] = {f"{name}_ms": median(values[1:]) for name, values in times.items()}
    figures["times_ms"] = times
    if "desktop" in times and "phone" in times:
        pairs = zip(times["desktop"][1:], times["phone"][1:], strict=True)
        figures["phone_slowdown"] = median([phone / desktop for desktop, phone in pairs])
    return figures


# --- the runs -----------------------------------------------------------------------------


def chromium_version() -> str:
    done = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def mobile_user_agent() -> str:
    """An Android Chrome user agent of this chromium's major version (reduced form)."""
    match = re.search(r"(\d+)\.\d+", chromium_version())
    major = match.group(1) if match else "120"
    return (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Mobile Safari/537.36"
    )


def launch(
    playwright: Any, profile: Path, device: Device, executable: Path, notes: list[str]
) -> Any:
    options: dict[str, Any] = {
        "user_data_dir": str(profile),
        "executable_path": str(executable),
        "headless": True,
        "args": CHROMIUM_ARGS,
        "viewport": {"width": device.width, "height": device.height},
    }
    if device.mobile:
        options["user_agent"] = mobile_user_agent()
        try:
            context = playwright.chromium.launch_persistent_context(
                **options, is_mobile=True, has_touch=True
            )
        except Exception as exc:  # reported, then the same without them
            note = f"is_mobile/has_touch refused by this Playwright ({exc}): not set"
            if note not in notes:
                notes.append(note)
            context = playwright.chromium.launch_persistent_context(**options)
    else:
        context = playwright.chromium.launch_persistent_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(OBSERVER)
    return context


def one_run(
    playwright: Any,
    device: Device,
    url: str,
    server: CountingServer,
    batches: int,
    limit: CpuLimit | None,
    notes: list[str],
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(
            prefix="zkpor-bench-profile-", ignore_cleanup_errors=True
        ) as profile,
        tempfile.TemporaryDirectory(prefix="zkpor-bench-bin-") as bin_folder,
    ):
        executable = limit.wrapper(Path(bin_folder)) if limit else CHROMIUM
        context = launch(playwright, Path(profile), device, executable, notes)
        try:
            in_cgroup = len(limit.procs()) if limit else 0
            if limit and not in_cgroup:
                raise RuntimeError(f"chromium did not start inside {limit.path}")
            page, cold = visit(context, url, server, limit)
            page.close()
            page, warm = visit(context, url, server, limit)
            before = limit.stat() if limit else {}
            everything = verify_all(page, batches)
            all_stat = stat_delta(before, limit.stat()) if limit else {}
            server.take()
            page.close()
            if limit:
                in_cgroup = max(in_cgroup, len(limit.procs()))
        finally:
            context.close()
    return {
        "cold": asdict(cold),
        "warm": asdict(warm),
        "verify_all": {**asdict(everything), "cpu_stat": all_stat},
        "chromium_processes_in_cgroup": in_cgroup,
    }


def read_code(private: Path, row: int) -> str:
    with (private / "codes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return str(rows[row]["code"])


def ensure_demo(folder: Path, users: int, dev: bool) -> tuple[Path, Path]:
    attestation, private = folder / "attestation", folder / "private"
    if not (attestation / "attestation.json").exists():
        if folder.exists():
            sys.exit(f"{folder} exists without an attestation: remove it or pass --attestation")
        flags = ["--insecure-dev-setup"] if dev else []
        print(
            f"making the demo attestation: zkpor demo --format zkpor/1 --out {folder} "
            f"--users {users}",
            *flags,
        )
        # this checkout's zkpor (see use_checkout), whatever `zkpor` on the PATH is
        program = (
            f"import sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import browser; "
            "from publisher.cli.main import app; app(prog_name='zkpor')"
        )
        command = [sys.executable, "-c", program, "demo", "--format", "zkpor/1"]
        command += ["--out", str(folder)]
        subprocess.run([*command, "--users", str(users), *flags], check=True, cwd=REPO)
    return attestation, private


def phase1_of(attestation: Path) -> tuple[str, bool] | None:
    """Return the ceremony's phase-1 blake2b and whether it is a pinned public file."""
    from verifier.ceremony import TRANSCRIPT, parse_transcript
    from verifier.phase1 import known_phase1

    path = attestation / TRANSCRIPT
    if not path.exists():
        return None
    ptau = parse_transcript(path.read_bytes()).header.ptau
    return ptau.blake2b, known_phase1(ptau.blake2b, ptau.power) is not None


def machine() -> dict[str, Any]:
    def command(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "chromium": chromium_version(),
        "playwright": importlib.metadata.version("playwright"),
        "git": command("git", "-C", str(REPO), "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(command("git", "-C", str(REPO), "status", "--porcelain")),
        "loadavg": list(os.getloadavg()),
    }


# --- figures --------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(statistics.median(values)) if values else float("nan")


def ordered_medians(series: list[list[tuple[str, float]]]) -> list[tuple[str, float]]:
    """Per name (in first-seen order), the median over the runs that have it."""
    names = list(dict.fromkeys(name for run in series for name, _ in run))
    return [
        (name, median([seconds for run in series for n, seconds in run if n == name]))
        for name in names
    ]


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def pick(kind: str, key: str) -> list[float]:
        return [float(run[kind][key]) for run in runs]

    visits = [run[kind] for run in runs for kind in ("cold", "warm")]
    figures: dict[str, Any] = {
        "runs": len(runs),
        "verify_all_results": sorted({run["verify_all"]["result"] for run in runs}),
        "visit_results": sorted({v["result"] for v in visits}),
        "ready_by": sorted({v["ready_by"] for v in visits}),
        "done_by": {
            by: sum(1 for v in visits if v["done_by"] == by)
            for by in sorted({v["done_by"] for v in visits})
        },
        "verify_all_seconds": median(pick("verify_all", "seconds")),
        "verify_all_seconds_per_batch_step3": median(
            [run["verify_all"]["per_batch"] for run in runs]
        ),
        "verify_all_steps": ordered_medians(
            [list(run["verify_all"]["step_seconds"].items()) for run in runs]
        ),
    }
    for kind in ("cold", "warm"):
        figures[kind] = {
            "total_seconds": median(pick(kind, "total")),
            "ready_seconds": median(pick(kind, "ready")),
            "checks_seconds": median(pick(kind, "checks")),
            "bytes": median(pick(kind, "bytes_sent")),
            "requests": median(pick(kind, "requests")),
            "not_modified": median(pick(kind, "not_modified")),
            "bytes_by_category": {
                name: median([run[kind]["bytes_by_category"][name] for run in runs])
                for name in CATEGORIES
            },
            "load_phases": ordered_medians([run[kind]["load_phases"] for run in runs]),
            "user_steps": ordered_medians([run[kind]["step_seconds"] for run in runs]),
            "confirm_seen_seconds": median(
                [run[kind]["confirm_seen"] for run in runs if run[kind]["confirm_seen"]]
            ),
        }
        stats = [run[kind]["cpu_stat"] for run in runs if run[kind]["cpu_stat"]]
        if stats and all("nr_periods" in s and "nr_throttled" in s for s in stats):
            figures[kind]["throttled_share_of_periods"] = median(
                [s["nr_throttled"] / s["nr_periods"] for s in stats if s["nr_periods"]]
            )
    return figures


def calibration_text(figures: dict[str, Any]) -> str:
    text = f"desktop {figures['desktop_ms']:.0f} ms"
    if "phone_ms" in figures and not math.isnan(figures["phone_ms"]):
        text += (
            f", phone {figures['phone_ms']:.0f} ms: the phone "
            f"{figures['phone_slowdown']:.1f}x slower (the issue's phone: 4x)"
        )
    return text


def seconds(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f} s"


def megabytes(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value / MB:.2f}"


def met(value: float, goal: float) -> str:
    return "n/a" if math.isnan(value) else ("yes" if value <= goal else "no")


def issue_table(
    medians: dict[str, dict[str, Any]], batches: int, phone_mark: str
) -> list[tuple[str, str, str, str]]:
    """The issue's table: (row, now = measured, goal, met)."""
    nan = float("nan")
    desktop, phone = medians.get("desktop"), medians.get("phone")

    def get(figures: dict[str, Any] | None, *keys: str) -> float:
        value: Any = figures
        for key in keys:
            if value is None:
                return nan
            value = value.get(key)
        return nan if value is None else float(value)

    rows = []
    for kind, label, goal in (
        ("cold", "desktop, first visit: page open → all of my checks done", "desktop_cold"),
        ("warm", "desktop, second visit (from cache, {bytes} sent)", "desktop_warm"),
    ):
        total = get(desktop, kind, "total_seconds")
        now = (
            f"{seconds(total)} (verifier ready {seconds(get(desktop, kind, 'ready_seconds'))}, "
            f"checks {seconds(get(desktop, kind, 'checks_seconds'))})"
            if desktop
            else "not run"
        )
        sent = get(desktop, kind, "bytes")
        label = label.format(bytes="n/a" if math.isnan(sent) else f"{sent:,.0f} bytes")
        rows.append((label, now, f"≤ {GOALS[goal]:g} s", met(total, GOALS[goal])))
    cold, warm = get(phone, "cold", "total_seconds"), get(phone, "warm", "total_seconds")
    rows.append(
        (
            f"slow phone{phone_mark}, first / second visit",
            f"{seconds(cold)} / {seconds(warm)}" if phone else "not run",
            f"≤ {GOALS['phone_cold']:g} s / ≤ {GOALS['phone_warm']:g} s",
            f"{met(cold, GOALS['phone_cold'])} / {met(warm, GOALS['phone_warm'])}",
        )
    )
    d_all, p_all = get(desktop, "verify_all_seconds"), get(phone, "verify_all_seconds")
    rows.append(
        (
            f'"Verify all {batches} batches", desktop / slow phone{phone_mark}',
            f"{seconds(d_all)} / {seconds(p_all)}",
            f"≤ {GOALS['desktop_all']:g} s / ≤ {GOALS['phone_all']:g} s",
            f"{met(d_all, GOALS['desktop_all'])} / {met(p_all, GOALS['phone_all'])}",
        )
    )
    source = desktop or phone
    total = get(source, "cold", "bytes")
    parts = (source or {}).get("cold", {}).get("bytes_by_category", {})
    main = ["wasm", "stdlib", "verifier wheel", "py_ecc wheel"]
    others = sum(v for k, v in parts.items() if k not in main)
    breakdown = ", ".join(f"{k} {megabytes(parts.get(k, nan))}" for k in main)
    rows.append(
        (
            "first-visit bytes",
            f"{megabytes(total)} MB ({breakdown}, others {megabytes(others)})",
            f"≤ {GOALS['cold_bytes'] / MB:g} MB",
            met(total, GOALS["cold_bytes"]),
        )
    )
    return rows


def markdown(rows: list[tuple[str, str, str, str]]) -> list[str]:
    lines = ["| | now (measured) | goal | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return lines


def detail(name: str, device: Device, figures: dict[str, Any], batches: int) -> list[str]:
    """One device's figures, for the terminal."""
    rows: list[tuple[str, str]] = []
    for kind, title in (("cold", "first visit"), ("warm", "second visit")):
        f = figures[kind]
        rows.append((f"{title}: page open → checks done", seconds(f["total_seconds"])))
        rows.append(("  verifier ready", seconds(f["ready_seconds"])))
        for phase, value in f["load_phases"]:
            rows.append((f"    {phase}", seconds(value)))
        rows.append(("  checks", seconds(f["checks_seconds"])))
        for step, value in f["user_steps"]:
            rows.append((f"    {step}", seconds(value)))
        if not math.isnan(f["confirm_seen_seconds"]):
            rows.append(("  account-id confirmation asked at", seconds(f["confirm_seen_seconds"])))
        bytes_text = (
            f"{f['bytes'] / MB:.2f} MB" if f["bytes"] >= 100_000 else f"{f['bytes']:,.0f} bytes"
        )
        rows.append(
            (
                "  bytes sent / requests (304s)",
                f"{bytes_text} / {f['requests']:.0f} ({f['not_modified']:.0f})",
            )
        )
        if kind == "cold":
            for part, value in f["bytes_by_category"].items():
                if value:
                    rows.append((f"    {part}", f"{value / MB:.2f} MB"))
        if "throttled_share_of_periods" in f:
            rows.append(
                ("  CPU periods throttled", f"{100 * f['throttled_share_of_periods']:.0f}%")
            )
    rows.append((f"verify all ({batches} batches)", seconds(figures["verify_all_seconds"])))
    for step, value in figures["verify_all_steps"]:
        rows.append((f"  {step}", seconds(value)))
    if not math.isnan(figures["verify_all_seconds_per_batch_step3"]):
        rows.append(
            ("  step 3 per batch", f"{figures['verify_all_seconds_per_batch_step3']:.3f} s")
        )
    width = max(len(label) for label, _ in rows)
    head = (
        f"{name} (viewport {device.width}x{device.height}"
        f"{', mobile' if device.mobile else ''}), median of {figures['runs']} runs; "
        f"ready = {' / '.join(figures['ready_by'])}; checks done = "
        + ", ".join(
            f"{by} ({n} of {2 * figures['runs']} visits)" for by, n in figures["done_by"].items()
        )
    )
    return [head] + [f"  {label:<{width}}  {value:>12}" for label, value in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["desktop", "phone", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--attestation", type=Path)
    parser.add_argument("--private", type=Path)
    parser.add_argument("--demo-out", type=Path, default=Path("/tmp/zkpor-bench-demo"))
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument(
        "--insecure-dev-setup",
        action="store_true",
        help="make the demo with the development setup (quicker; its checks then fail)",
    )
    parser.add_argument("--user", type=int, default=0, help="row of codes.csv to check")
    parser.add_argument(
        "--phone-cpu", type=float, default=0.25, help="the phone's share of one core"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "browser.json")
    args = parser.parse_args()

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("playwright is not installed: run `make install-test`")
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: run `make install-test` (Debian package chromium)")
    if (args.attestation is None) != (args.private is None):
        sys.exit("--attestation and --private go together")
    if args.attestation is None:
        attestation, private = ensure_demo(args.demo_out, args.users, args.insecure_dev_setup)
    else:
        attestation, private = args.attestation, args.private
    names = ["desktop", "phone"] if args.device == "both" else [args.device]

    manifest = json.loads((attestation / "attestation.json").read_text(encoding="utf-8"))
    dev = manifest.get("setup", {}).get("kind") == "insecure-dev"
    phase1 = phase1_of(attestation)
    unknown_phase1 = phase1 is not None and not phase1[1]
    batches = int(manifest["tree"]["batches"])
    code = read_code(private, args.user)
    notes: list[str] = []
    expect_pass = not dev
    if dev:
        notes.append("development setup: the trusted-setup checks fail, so no verdict passes")

    limit: CpuLimit | None = None
    phone_mark = ""
    if "phone" in names:
        try:
            limit = CpuLimit.create(args.phone_cpu)
            print(f"phone: chromium capped at {args.phone_cpu:.0%} of one core, {limit.describe()}")
        except OSError as exc:
            phone_mark = " (UNTHROTTLED)"
            message = (
                f"cannot cap the phone's CPU ({exc}): the phone runs UNTHROTTLED (viewport "
                "and user agent only); run as root with a writable cpu cgroup "
                "(v1 /sys/fs/cgroup/cpu, or v2 with the cpu controller)"
            )
            print(f"WARNING: {message}", file=sys.stderr)
            notes.append(message)

    load_before = list(os.getloadavg())
    started = time.perf_counter()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    calibrations: list[dict[str, Any]] = []
    calibrated = ["desktop", "phone"] if "phone" in names else ["desktop"]
    try:
        with tempfile.TemporaryDirectory(prefix="zkpor-bench-site-") as tmp:
            site = Path(tmp) / "site"
            start = time.perf_counter()
            options = BuildOptions(
                allow_insecure_dev_setup=dev, allow_unknown_phase1=unknown_phase1
            )
            build_site(attestation, site, options)
            if unknown_phase1 and phase1 is not None:
                try:
                    from tests.ceremony_fixtures import site_knowing_phase1

                    site_knowing_phase1(site, phase1[0])
                    notes.append(
                        "the demo ceremony's own phase 1 is listed in the built worker's "
                        "EXTRA_KNOWN_PHASE1 (tests.ceremony_fixtures.site_knowing_phase1)"
                    )
                except Exception as exc:  # the run goes on, and says so
                    expect_pass = False
                    notes.append(
                        f"could not list the demo's phase 1 in the worker ({exc}): the "
                        "trusted-setup checks fail, so no verdict passes"
                    )
            build_seconds = time.perf_counter() - start
            on_disk = dict.fromkeys(CATEGORIES, 0)
            for path in site.rglob("*"):
                if path.is_file():
                    on_disk[category(path.name)] += path.stat().st_size
            sizes = {
                name: (site / "attestation" / name).stat().st_size
                for name in ("attestation.json", "proofs.json", "tree.json", "vk.json")
                if (site / "attestation" / name).exists()
            }
            for note in notes:
                print(f"note: {note}")
            with serving(site) as server, sync_playwright() as playwright:
                url = f"http://127.0.0.1:{server.server_address[1]}/verify/#code={code}"
                for number in range(1, args.runs + 1):
                    for name in names:
                        device = DEVICES[name]
                        run = one_run(
                            playwright,
                            device,
                            url,
                            server,
                            batches,
                            limit if device.throttled else None,
                            notes,
                        )
                        runs[name].append(run)
                        results = {
                            run["cold"]["result"],
                            run["warm"]["result"],
                            run["verify_all"]["result"],
                        }
                        print(
                            f"run {number} {name}: first visit {run['cold']['total']:.1f} s "
                            f"(ready {run['cold']['ready']:.1f}), second visit "
                            f"{run['warm']['total']:.1f} s (ready {run['warm']['ready']:.1f}), "
                            f"verify all {run['verify_all']['seconds']:.1f} s; "
                            f"verdicts {'/'.join(sorted(results))}",
                            flush=True,
                        )
                        if expect_pass and (run["cold"]["result"], run["warm"]["result"]) != (
                            "passed",
                            "passed",
                        ):
                            sys.exit(
                                f"the user's checks did not pass (first visit: "
                                f"{run['cold']['result']}, second: {run['warm']['result']})"
                            )
                    calibration = calibrate(playwright, calibrated, limit, notes)
                    calibrations.append(calibration)
                    print(f"run {number} calibration: {calibration_text(calibration)}", flush=True)
    finally:
        cgroup = limit.describe() if limit else None
        if limit:
            limit.remove()
    elapsed = time.perf_counter() - started

    medians = {name: summarize(device_runs) for name, device_runs in runs.items()}
    calibration_medians = {
        key: median([c[key] for c in calibrations if key in c])
        for key in ("desktop_ms", "phone_ms", "phone_slowdown")
    }
    table = issue_table(medians, batches, phone_mark)
    configs: dict[str, dict[str, Any]] = {
        name: {
            **asdict(DEVICES[name]),
            "cpu_share": args.phone_cpu if DEVICES[name].throttled and limit else None,
            "user_agent": mobile_user_agent() if DEVICES[name].mobile else None,
        }
        for name in names
    }
    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "seconds": elapsed,
        "attestation": {
            "id": manifest["id"],
            "batches": batches,
            "leaves": manifest["tree"].get("leaves"),
            "setup": manifest.get("setup", {}).get("kind"),
            "phase1_public": None if phase1 is None else phase1[1],
            "sizes": sizes,
        },
        "site": {"build_seconds": build_seconds, "bytes_on_disk_by_category": on_disk},
        "machine": {**machine(), "loadavg_before": load_before},
        "devices": {
            name: {
                "config": configs[name],
                "runs": runs[name],
                "median": medians[name],
            }
            for name in names
        },
        "calibration": {
            "loops": CALIBRATION_LOOPS,
            "rounds": CALIBRATION_ROUNDS,
            "median": calibration_medians,
            "runs": calibrations,
        },
        "cgroup": cgroup,
        "notes": notes,
        "goals": GOALS,
        "table": [dict(zip(["row", "now", "goal", "met"], row, strict=True)) for row in table],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")

    print(
        f"\nmedians of {args.runs} run(s), {batches} batches, load average "
        f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; "
        f"{elapsed / 60:.1f} min ({args.out}):\n"
    )
    print("\n".join(markdown(table)))
    print(
        f"\ncalibration, a fixed loop ({CALIBRATION_LOOPS:,} xorshift steps) in a Web Worker, "
        f"medians: {calibration_text(calibration_medians)}"
    )
    for name in names:
        print()
        print("\n".join(detail(name, DEVICES[name], medians[name], batches)))
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
