"""The in-browser verifier's cost to an account holder: the site's Verify page in chromium.

Run from the repository root, after ``make install-test`` (Playwright, Debian chromium)::

    python bench/browser.py [--attestation DIR --private DIR] [--runs 3]
                            [--demo-out /tmp/zkpor-bench-demo] [--users 1000]
                            [--user 0] [--out bench/out/browser.json]

Without ``--attestation`` it uses ``<demo-out>/attestation`` and ``<demo-out>/private``,
running ``zkpor demo --out <demo-out> --users N`` first if they are missing (a real local
ceremony; several minutes for 1,000 users on 2 cores). It builds the attestation's site
(``zkpor site build``, with ``--allow-insecure-dev-setup`` only if the manifest says the
development setup was used), serves it on 127.0.0.1 and reads one code from
``<private>/codes.csv`` (row ``--user``; the code is never printed or written).

Each run launches chromium (``/usr/bin/chromium``, headless) with a FRESH profile, then:

* **cold**: opens ``/verify/#code=<code>`` (nothing cached) and waits until every check
  of that user (the six steps and the random other batches) is done;
* **warm**: closes the page and opens the same link again in the same profile (HTTP
  cache and compiled WebAssembly cache warm);
* **verify all**: on the warm page, clicks "verify all batches" and waits for the nine
  steps.

Times are wall seconds from ``page.goto`` to the page's ``data-zkpor-done``, and, inside
the page, the ``performance.now()`` of each change of the status line and of each step
(a ``MutationObserver`` installed before the page's scripts), which splits a visit into
*load* (until the verifier is ready) and *checks*. Per extra batch: the time between
consecutive "other batch" results (one Groth16 verification each), and step 3 of verify
all ("batch proofs", one batched pairing check over all batches) divided by the batches.

Bytes are counted by the server: every byte it wrote (status line, headers and bodies)
per visit, so cache hits cost nothing and revalidations (304) cost their headers.
Prints a table and writes every run and the medians to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import functools
import http.server
import importlib.metadata
import itertools
import json
import os
import platform
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

from publisher.site.build import BuildOptions, build_site
from publisher.site.serve import SiteHandler

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
TIMEOUT_MS = 600_000

#: Installed before the page's scripts: records when the status line and each step change.
OBSERVER = """
window.__zkporLog = [];
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("zkpor-verify");
  if (!box) return;
  let last = "";
  const snapshot = () => {
    const lists = {};
    for (const id of ["zkpor-user-steps", "zkpor-samples", "zkpor-all-steps"]) {
      lists[id] = [...document.querySelectorAll(`#${id} > li`)].map(
        (li) => `${li.dataset.step}:${li.dataset.status}`);
    }
    const state = JSON.stringify({
      status: document.getElementById("zkpor-status").textContent, lists,
      done: document.body.dataset.zkporDone ?? null,
    });
    if (state !== last) {
      last = state;
      window.__zkporLog.push({ t: performance.now(), ...JSON.parse(state) });
    }
  };
  new MutationObserver(snapshot).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
  snapshot();
});
"""


# --- the server: the site's handler, counting every byte it writes ----------------------


class _CountingWriter:
    def __init__(self, inner: Any, server: CountingServer) -> None:
        self._inner, self._server = inner, server

    def write(self, data: bytes) -> int:
        with self._server.lock:
            self._server.bytes_sent += len(data)
        return int(self._inner.write(data))

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CountingHandler(SiteHandler):
    server: CountingServer

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile, self.server)  # type: ignore[assignment]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        with self.server.lock:
            self.server.statuses.append(int(code) if str(code).isdigit() else 0)


class CountingServer(http.server.ThreadingHTTPServer):
    """``zkpor site serve`` on 127.0.0.1, counting bytes written and response statuses."""

    daemon_threads = True

    def __init__(self, site: Path) -> None:
        handler = functools.partial(_CountingHandler, directory=str(site))
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.bytes_sent = 0
        self.statuses: list[int] = []

    def take(self) -> tuple[int, list[int]]:
        """Return the bytes written and statuses since the last call, and reset them."""
        with self.lock:
            taken = self.bytes_sent, self.statuses
            self.bytes_sent, self.statuses = 0, []
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


# --- one visit --------------------------------------------------------------------------


@dataclass
class Visit:
    """One visit of ``/verify/#code=...``: times in seconds, bytes the server sent."""

    wall: float
    load: float  # performance.now() when the verifier was ready
    done: float  # performance.now() when every check of the user was done
    checks: float  # done - load
    result: str
    bytes_sent: int
    requests: int
    not_modified: int
    sample_seconds: list[float] = field(default_factory=list)


def first_time(log: list[dict[str, Any]], test: Any) -> float:
    """Return the ``performance.now()`` (ms) of the first log entry passing ``test``."""
    for entry in log:
        if test(entry):
            return float(entry["t"])
    raise RuntimeError("the page never reached the expected state")


def list_done_times(log: list[dict[str, Any]], list_id: str) -> dict[str, float]:
    """Return, per step of ``list_id``, when it first showed a result (ms)."""
    times: dict[str, float] = {}
    for entry in log:
        for item in entry["lists"][list_id]:
            step, _, status = item.partition(":")
            if status in {"OK", "FAIL", "SKIP"} and step not in times:
                times[step] = float(entry["t"])
    return times


def visit(context: Any, url: str, server: CountingServer) -> tuple[Any, Visit]:
    """Open ``url`` in a new page, wait for the user's checks; return the page and figures."""
    server.take()
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("body[data-zkpor-done]", state="attached")
    wall = time.perf_counter() - start
    result = str(page.evaluate("document.body.dataset.zkporDone"))
    log: list[dict[str, Any]] = page.evaluate("window.__zkporLog")
    ready = first_time(
        log, lambda e: e["status"] in {"The verifier is ready.", "Checking your account…"}
    )
    done = first_time(log, lambda e: e["done"] is not None)
    user = list_done_times(log, "zkpor-user-steps")
    samples = sorted(list_done_times(log, "zkpor-samples").values())
    marks = [user["6"], *samples] if "6" in user else samples
    sample_seconds = [(b - a) / 1000 for a, b in itertools.pairwise(marks)]
    time.sleep(0.2)  # let the last responses finish before reading the counter
    sent, statuses = server.take()
    return page, Visit(
        wall=wall,
        load=ready / 1000,
        done=done / 1000,
        checks=(done - ready) / 1000,
        result=result,
        bytes_sent=sent,
        requests=len(statuses),
        not_modified=statuses.count(304),
        sample_seconds=sample_seconds,
    )


@dataclass
class VerifyAll:
    """The nine steps of ``zkpor verify`` in the page."""

    seconds: float
    step3_seconds: float
    batches: int
    per_batch: float
    statuses: list[str]
    #: per step name: seconds from the previous step's result (or the click) to its own
    step_seconds: dict[str, float]


def verify_all(page: Any, batches: int) -> VerifyAll:
    page.evaluate("window.__zkporLog.length = 0")
    start_ms = float(page.evaluate("performance.now()"))
    page.click("#zkpor-all")
    page.wait_for_function("document.body.dataset.zkporDone !== undefined", timeout=TIMEOUT_MS)
    log: list[dict[str, Any]] = page.evaluate("window.__zkporLog")
    times = list_done_times(log, "zkpor-all-steps")
    statuses = page.eval_on_selector_all(
        "#zkpor-all-steps > li", "items => items.map(li => li.dataset.status)"
    )
    names = page.eval_on_selector_all(
        "#zkpor-all-steps > li", "items => items.map(li => li.querySelector('strong').textContent)"
    )
    end = first_time(log, lambda e: e["done"] is not None)
    marks = [start_ms] + [times[str(n)] for n in range(1, len(names) + 1)]
    pairs = zip(names, itertools.pairwise(marks), strict=True)
    steps = {name: (b - a) / 1000 for name, (a, b) in pairs}
    step3 = (times["3"] - times["2"]) / 1000
    return VerifyAll((end - start_ms) / 1000, step3, batches, step3 / batches, statuses, steps)


# --- the run ------------------------------------------------------------------------------


def launch(playwright: Any, profile: Path) -> Any:
    context = playwright.chromium.launch_persistent_context(
        user_data_dir=str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(OBSERVER)
    return context


def one_run(playwright: Any, url: str, server: CountingServer, batches: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zkpor-bench-profile-") as profile:
        context = launch(playwright, Path(profile))
        try:
            page, cold = visit(context, url, server)
            page.close()
            page, warm = visit(context, url, server)
            everything = verify_all(page, batches)
            page.close()
        finally:
            context.close()
    if (cold.result, warm.result) != ("passed", "passed"):
        sys.exit(f"the user's checks did not pass (cold: {cold.result}, warm: {warm.result})")
    return {"cold": asdict(cold), "warm": asdict(warm), "verify_all": asdict(everything)}


def read_code(private: Path, row: int) -> str:
    with (private / "codes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return str(rows[row]["code"])


def ensure_demo(folder: Path, users: int) -> tuple[Path, Path]:
    attestation, private = folder / "attestation", folder / "private"
    if not (attestation / "attestation.json").exists():
        if folder.exists():
            sys.exit(f"{folder} exists without an attestation: remove it or pass --attestation")
        print(f"making the demo attestation: zkpor demo --out {folder} --users {users}")
        subprocess.run(["zkpor", "demo", "--out", str(folder), "--users", str(users)], check=True)
    return attestation, private


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
        "chromium": command(str(CHROMIUM), "--version"),
        "playwright": importlib.metadata.version("playwright"),
        "git": command("git", "rev-parse", "--short", "HEAD"),
        "loadavg": list(os.getloadavg()),
    }


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def summarize(runs: list[dict[str, Any]]) -> dict[str, float]:
    def pick(kind: str, key: str) -> list[float]:
        return [float(run[kind][key]) for run in runs]

    per_sample = [s for run in runs for s in run["cold"]["sample_seconds"]] + [
        s for run in runs for s in run["warm"]["sample_seconds"]
    ]
    return {
        "cold_seconds": median(pick("cold", "wall")),
        "cold_load_seconds": median(pick("cold", "load")),
        "cold_checks_seconds": median(pick("cold", "checks")),
        "cold_bytes": median(pick("cold", "bytes_sent")),
        "cold_requests": median(pick("cold", "requests")),
        "warm_seconds": median(pick("warm", "wall")),
        "warm_load_seconds": median(pick("warm", "load")),
        "warm_checks_seconds": median(pick("warm", "checks")),
        "warm_bytes": median(pick("warm", "bytes_sent")),
        "warm_requests": median(pick("warm", "requests")),
        "seconds_per_sampled_batch": median(per_sample) if per_sample else float("nan"),
        "verify_all_seconds": median(pick("verify_all", "seconds")),
        "verify_all_step3_seconds_per_batch": median(pick("verify_all", "per_batch")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attestation", type=Path)
    parser.add_argument("--private", type=Path)
    parser.add_argument("--demo-out", type=Path, default=Path("/tmp/zkpor-bench-demo"))
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--user", type=int, default=0, help="row of codes.csv to check")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/out/browser.json"))
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
        attestation, private = ensure_demo(args.demo_out, args.users)
    else:
        attestation, private = args.attestation, args.private

    manifest = json.loads((attestation / "attestation.json").read_text(encoding="utf-8"))
    dev = manifest.get("setup", {}).get("kind") == "insecure-dev"
    batches = int(manifest["tree"]["batches"])
    code = read_code(private, args.user)
    load_before = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="zkpor-bench-site-") as tmp:
        site = Path(tmp) / "site"
        start = time.perf_counter()
        build_site(attestation, site, BuildOptions(allow_insecure_dev_setup=dev))
        build_seconds = time.perf_counter() - start
        sizes = {
            name: (site / "attestation" / name).stat().st_size
            for name in ("attestation.json", "proofs.json", "tree.json", "vk.json")
        }
        bucket = next((site / "attestation" / "bundles").glob("*.bin"))
        sizes["one bucket"] = bucket.stat().st_size
        sizes["vendor"] = sum(p.stat().st_size for p in (site / "vendor").rglob("*") if p.is_file())
        runs = []
        with serving(site) as server, sync_playwright() as playwright:
            url = f"http://127.0.0.1:{server.server_address[1]}/verify/#code={code}"
            for number in range(1, args.runs + 1):
                run = one_run(playwright, url, server, batches)
                runs.append(run)
                print(
                    f"run {number}: cold {run['cold']['wall']:.2f} s ({run['cold']['result']}), "
                    f"warm {run['warm']['wall']:.2f} s, verify all "
                    f"{run['verify_all']['seconds']:.2f} s"
                )

    figures = summarize(runs)
    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "attestation": {
            "id": manifest["id"],
            "batches": batches,
            "leaves": manifest["tree"].get("leaves"),
            "setup": manifest.get("setup", {}).get("kind"),
            "sizes": sizes,
        },
        "site_build_seconds": build_seconds,
        "machine": {**machine(), "loadavg_before": load_before},
        "runs": runs,
        "median": figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")

    mib = 1 << 20
    rows = [
        ("cold: page open to all checks done", f"{figures['cold_seconds']:.2f} s"),
        ("  of which loading the verifier", f"{figures['cold_load_seconds']:.2f} s"),
        ("  of which the checks", f"{figures['cold_checks_seconds']:.2f} s"),
        ("  bytes sent by the server", f"{figures['cold_bytes'] / mib:.2f} MiB"),
        ("warm (same profile, 2nd visit)", f"{figures['warm_seconds']:.2f} s"),
        ("  of which loading the verifier", f"{figures['warm_load_seconds']:.2f} s"),
        ("  of which the checks", f"{figures['warm_checks_seconds']:.2f} s"),
        ("  bytes sent by the server", f"{figures['warm_bytes'] / 1024:.1f} KiB"),
        ("per other batch sampled (1 proof)", f"{figures['seconds_per_sampled_batch']:.2f} s"),
        (f"verify all ({batches} batches)", f"{figures['verify_all_seconds']:.2f} s"),
        ("  step 3 per batch", f"{figures['verify_all_step3_seconds_per_batch']:.3f} s"),
    ]
    for name in runs[0]["verify_all"]["step_seconds"]:
        seconds = median([run["verify_all"]["step_seconds"][name] for run in runs])
        rows.append((f"  verify all: {name}", f"{seconds:.2f} s"))
    width = max(len(name) for name, _ in rows)
    print(f"\nmedian of {len(runs)} runs, {batches} batches ({args.out}):")
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>10}")


if __name__ == "__main__":
    main()
