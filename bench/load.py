"""The static host under load: ``zkpor site serve`` answering many browsers at once.

Run from the repository root::

    python bench/load.py [--site DIR | --demo-out /tmp/zkpor-load-demo --users 1000]
                         [--clients 1,8,32,128] [--duration 8] [--gzip both|on|off]
                         [--workloads buckets,attestation,verifier] [--server zkpor|stdlib]
                         [--serve-py FILE] [--out bench/out/load.json]

Without ``--site`` it uses ``<demo-out>/site``, running ``zkpor demo --format zkpor/1 --out
<demo-out> --users N --insecure-dev-setup`` first if it is missing (a development setup is
enough: only the files' number and sizes matter here, nothing is verified; zkpor/1, whose
file names the attestation workload lists).

For every workload, gzip setting and number of clients C, it starts a FRESH server
(``zkpor site serve SITE --port P``, this checkout's, as a separate process; or, with
``--server stdlib``, ``python -m http.server --bind 127.0.0.1``; with ``--serve-py FILE``,
``zkpor site serve`` with FILE in place of ``publisher/site/serve.py``, e.g. an earlier
version: ``git show d8ac7b1:publisher/site/serve.py > /tmp/serve_before.py``), fetches
every file of the workload once (with the run's Accept-Encoding: this fills the server's
gzip cache, and the decoded bytes are compared with the files on disk), then runs C
clients for ``--duration`` seconds, all from 127.0.0.1 in this process: one asyncio task
per client, each sending GET requests one after the other on its own connection, kept
alive when the server allows it (HTTP/1.1 without ``Connection: close``) and opened again
otherwise. Workloads:

* **buckets**: ``attestation/bundles/XX.bin``, one chosen at random per request, as the
  Verify page's worker asks for the bucket of a code (a synchronous XMLHttpRequest, the
  browser's headers; bucket files are not compressible, so gzip changes nothing but the
  header);
* **attestation**: the attestation files the worker fetches while Pyodide starts
  (attestation.json, vk.json, proofs.json, tree.json, bundles/SHA256SUMS,
  ceremony/transcript.json if published, reserves.json) and then one random bucket, in
  turn: one visitor's check;
* **verifier**: the content-addressed files under ``v/`` (Pyodide, its standard library,
  the wheels, libsodium, the page's and worker's scripts): a first visit's bulk.

A request counts as an error if it raises (connection refused or reset, timeout), if the
status is not 200, or if the body is shorter than its Content-Length. Latency is from
sending the request (or opening the connection, when one is opened for it) to the last
byte of the body. Reported per run: requests/s, MB/s (bytes of bodies as sent, so gzip
shrinks them; MB = 10^6 bytes), latency median / p95 / p99 / max, errors, connections
opened, the server's peak RSS (``VmHWM`` of the fresh process, startup included) and its
CPU (user + system, in % of one core, over the measured window), and the client's CPU.

Everything runs on this machine: the clients and the server share its cores, so the
client's CPU is reported too (a saturated client understates the server). Writes every run
to ``--out`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import gzip
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

#: What a browser sends with the worker's requests (chromium's Accept-Encoding).
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
#: The files the worker fetches while Pyodide starts (worker.js, ``PREFETCH``).
PREFETCH = (
    "attestation.json",
    "vk.json",
    "proofs.json",
    "tree.json",
    "bundles/SHA256SUMS",
    "ceremony/transcript.json",
    "reserves.json",
)
#: Seconds a request may take before it counts as an error.
REQUEST_TIMEOUT = 60.0
ZKPOR = "from publisher.cli.main import app; app(prog_name='zkpor')"
#: ``zkpor`` with another file as ``publisher.site.serve`` (``--serve-py``).
ZKPOR_WITH_SERVE = (
    "import importlib.util, sys; "
    "spec = importlib.util.spec_from_file_location('publisher.site.serve', sys.argv.pop(1)); "
    "module = importlib.util.module_from_spec(spec); "
    "sys.modules['publisher.site.serve'] = module; spec.loader.exec_module(module); " + ZKPOR
)


# --- the site ------------------------------------------------------------------------


def ensure_site(demo_out: Path, users: int) -> Path:
    """Return ``<demo_out>/site``, making the demo first if it is missing."""
    site = demo_out / "site"
    if not (site / "index.html").is_file():
        if demo_out.exists():
            sys.exit(f"{demo_out} exists without a site: remove it or pass --site")
        print(
            f"making the demo: zkpor demo --format zkpor/1 --out {demo_out} --users {users} "
            "--insecure-dev-setup"
        )
        command = [sys.executable, "-c", ZKPOR, "demo", "--format", "zkpor/1"]
        command += ["--out", str(demo_out)]
        subprocess.run(
            [*command, "--users", str(users), "--insecure-dev-setup"], check=True, cwd=REPO
        )
    return site


def buckets(site: Path) -> list[str]:
    files = sorted((site / "attestation" / "bundles").glob("*.bin"))
    if not files:
        sys.exit(f"{site} has no attestation/bundles/*.bin")
    return [f"attestation/bundles/{f.name}" for f in files]


def workload_files(site: Path, workload: str) -> list[str]:
    """The site-relative paths of ``workload``'s files (buckets: all of them)."""
    if workload == "buckets":
        return buckets(site)
    if workload == "attestation":
        return [
            f"attestation/{name}" for name in PREFETCH if (site / "attestation" / name).is_file()
        ]
    if workload == "verifier":
        return sorted(
            str(p.relative_to(site))
            for p in (site / "v").rglob("*")
            if p.is_file() and not p.name.startswith("LICENSE")
        )
    raise ValueError(workload)


# --- the server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def status(self, key: str) -> int:
        """A ``/proc/PID/status`` memory figure (``VmHWM``, ``VmRSS``) in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def threads(self) -> int:
        return self.status("Threads")


@contextlib.contextmanager
def running_server(site: Path, kind: str, serve_py: Path | None = None) -> Iterator[Server]:
    """Start a fresh server of ``site`` on a free port of 127.0.0.1; stop it at the end."""
    port = free_port()
    if kind == "zkpor":
        serve = ["site", "serve", str(site), "--port", str(port)]
        if serve_py is None:
            command = [sys.executable, "-c", ZKPOR, *serve]
        else:
            command = [sys.executable, "-c", ZKPOR_WITH_SERVE, str(serve_py.resolve()), *serve]
    else:
        command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    process = subprocess.Popen(
        command,
        cwd=site if kind == "stdlib" else REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(process, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {command}") from None
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the clients ---------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


class Connection:
    """One client's HTTP/1.1 connection, opened again whenever the server closed it."""

    def __init__(self, port: int, accept_encoding: str) -> None:
        self.port = port
        self.accept_encoding = accept_encoding
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opened = 0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def get(self, path: str) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.opened += 1
        assert self.reader is not None
        request = (
            f"GET /{path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"User-Agent: zkpor-bench-load\r\nAccept: */*\r\n"
            f"Accept-Encoding: {self.accept_encoding}\r\nConnection: keep-alive\r\n\r\n"
        )
        self.writer.write(request.encode("ascii"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()  # to the end of the connection
        connection = headers.get("connection", "").lower()
        keep_alive = (version == "HTTP/1.1" and connection != "close") or (
            connection == "keep-alive" and "content-length" in headers
        )
        if not keep_alive:
            await self.close()
        return Response(int(status), headers, body, keep_alive)


def decoded(response: Response) -> bytes:
    if response.headers.get("content-encoding") == "gzip":
        return gzip.decompress(response.body)
    return response.body


async def preflight(port: int, site: Path, files: list[str], accept_encoding: str) -> None:
    """Fetch every file once (filling the server's caches) and compare the decoded bytes
    with the file on disk."""
    connection = Connection(port, accept_encoding)
    try:
        for path in files:
            response = await connection.get(path)
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            if decoded(response) != (site / path).read_bytes():
                raise RuntimeError(f"{path}: the server's bytes differ from the file")
    finally:
        await connection.close()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    body_bytes: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    keep_alive: int = 0
    opened: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def next_path(
    workload: str, files: list[str], bucket_files: list[str], rng: random.Random, step: int
) -> str:
    if workload == "buckets":
        return rng.choice(files)
    if workload == "attestation":
        # the prefetched files in turn, then one bucket: one visitor's check
        turn = step % (len(files) + 1)
        return files[turn] if turn < len(files) else rng.choice(bucket_files)
    return files[step % len(files)]


async def client(
    number: int,
    port: int,
    workload: str,
    files: list[str],
    bucket_files: list[str],
    accept_encoding: str,
    stop: float,
    tally: Tally,
) -> None:
    rng = random.Random(number)
    connection = Connection(port, accept_encoding)
    step = rng.randrange(len(files) + 1)  # clients start at different files
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < stop:
            path = next_path(workload, files, bucket_files, rng, step)
            step += 1
            start = loop.time()
            try:
                response = await asyncio.wait_for(connection.get(path), REQUEST_TIMEOUT)
            except asyncio.IncompleteReadError:
                tally.error("truncated body")
                await connection.close()
                continue
            except (TimeoutError, OSError) as exc:
                tally.error(type(exc).__name__)
                await connection.close()
                continue
            elapsed = loop.time() - start
            if response.status != 200:
                tally.error(f"HTTP {response.status}")
                continue
            tally.latencies.append(elapsed)
            tally.body_bytes += len(response.body)
            tally.keep_alive += response.keep_alive
    finally:
        tally.opened += connection.opened
        await connection.close()


async def load(
    port: int,
    workload: str,
    files: list[str],
    bucket_files: list[str],
    accept_encoding: str,
    clients: int,
    duration: float,
) -> tuple[Tally, float]:
    tally = Tally()
    loop = asyncio.get_running_loop()
    start = loop.time()
    stop = start + duration
    await asyncio.gather(
        *(
            client(n, port, workload, files, bucket_files, accept_encoding, stop, tally)
            for n in range(clients)
        )
    )
    return tally, loop.time() - start


# --- one run -------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


class Sampler:
    """Samples the server's RSS and thread count every 50 ms in a thread."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.rss_kib = 0
        self.threads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            with contextlib.suppress(OSError, ValueError):
                self.rss_kib = max(self.rss_kib, self.server.status("VmRSS"))
                self.threads = max(self.threads, self.server.threads())

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_one(
    site: Path,
    kind: str,
    serve_py: Path | None,
    workload: str,
    gzip_on: bool,
    clients: int,
    duration: float,
) -> dict[str, Any]:
    files = workload_files(site, workload)
    bucket_files = buckets(site)
    encoding = BROWSER_ENCODINGS if gzip_on else "identity"
    with running_server(site, kind, serve_py) as server:
        asyncio.run(
            preflight(
                server.port,
                site,
                files if workload != "attestation" else files + bucket_files,
                encoding,
            )
        )
        cpu0, client0 = server.cpu_seconds(), time.process_time()
        with Sampler(server) as sampler:
            tally, wall = asyncio.run(
                load(server.port, workload, files, bucket_files, encoding, clients, duration)
            )
        cpu1, client1 = server.cpu_seconds(), time.process_time()
        peak = server.status("VmHWM")
    lat = tally.latencies
    done = len(lat)
    return {
        "workload": workload,
        "gzip": gzip_on,
        "clients": clients,
        "seconds": round(wall, 3),
        "requests": done,
        "requests_per_s": round(done / wall, 1),
        "mb_per_s": round(tally.body_bytes / wall / 1e6, 2),
        "latency_ms": {
            "median": round(statistics.median(lat) * 1000, 2) if lat else None,
            "p95": round(percentile(lat, 0.95) * 1000, 2) if lat else None,
            "p99": round(percentile(lat, 0.99) * 1000, 2) if lat else None,
            "max": round(max(lat) * 1000, 2) if lat else None,
        },
        "errors": sum(tally.errors.values()),
        "error_kinds": tally.errors,
        "connections_opened": tally.opened,
        "kept_alive": tally.keep_alive,
        "server_peak_rss_mib": round(peak / 1024, 1),
        "server_sampled_rss_mib": round(sampler.rss_kib / 1024, 1),
        "server_threads_max": sampler.threads,
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / wall, 1),
        "client_cpu_pct": round(100 * (client1 - client0) / wall, 1),
    }


# --- the report ----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    git = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "git": git}


def table(runs: list[dict[str, Any]]) -> str:
    head = (
        "| workload | gzip | C | req/s | MB/s | median ms | p95 ms | p99 ms | max ms | errors "
        "| connections / request | server peak RSS MiB | server CPU % | client CPU % |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for r in runs:
        lat = r["latency_ms"]
        per = r["connections_opened"] / r["requests"] if r["requests"] else 0
        rows.append(
            f"| {r['workload']} | {'on' if r['gzip'] else 'off'} | {r['clients']} "
            f"| {r['requests_per_s']:,.0f} | {r['mb_per_s']:,.1f} | {lat['median']} "
            f"| {lat['p95']} | {lat['p99']} | {lat['max']} | {r['errors']} | {per:.2f} "
            f"| {r['server_peak_rss_mib']} | {r['server_cpu_pct']:.0f} "
            f"| {r['client_cpu_pct']:.0f} |"
        )
    return head + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: the demo's)")
    parser.add_argument("--demo-out", type=Path, default=Path("/tmp/zkpor-load-demo"))
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--clients", default="1,8,32,128")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--gzip", choices=("both", "on", "off"), default="both")
    parser.add_argument("--workloads", default="buckets,attestation,verifier")
    parser.add_argument("--server", choices=("zkpor", "stdlib"), default="zkpor")
    parser.add_argument("--serve-py", type=Path, help="serve with this serve.py instead")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "load.json")
    args = parser.parse_args()

    site = args.site or ensure_site(args.demo_out, args.users)
    clients = [int(c) for c in args.clients.split(",")]
    gzips = {"both": [False, True], "on": [True], "off": [False]}[args.gzip]
    workloads = args.workloads.split(",")
    started = datetime.datetime.now(datetime.UTC)
    info = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "site": str(site),
        "server": args.server,
        "serve_py": str(args.serve_py) if args.serve_py else None,
        "bucket_files": len(buckets(site)),
        "bucket_bytes": (site / buckets(site)[0]).stat().st_size,
        "loadavg_before": list(os.getloadavg()),
    }
    print(f"{info['started']} load average before: {info['loadavg_before']}")
    runs = []
    for workload in workloads:
        for gzip_on in gzips:
            for c in clients:
                result = run_one(
                    site, args.server, args.serve_py, workload, gzip_on, c, args.duration
                )
                runs.append(result)
                lat = result["latency_ms"]
                print(
                    f"{workload:11} gzip={'on ' if gzip_on else 'off'} C={c:3}: "
                    f"{result['requests_per_s']:8.1f} req/s {result['mb_per_s']:8.1f} MB/s "
                    f"median {lat['median']} p95 {lat['p95']} p99 {lat['p99']} max {lat['max']} ms"
                    f", errors {result['errors']} {result['error_kinds'] or ''}, server "
                    f"{result['server_cpu_pct']}% CPU {result['server_peak_rss_mib']} MiB, "
                    f"client {result['client_cpu_pct']}% CPU",
                    flush=True,
                )
    info["loadavg_after"] = list(os.getloadavg())
    info["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    print(f"{info['finished']} load average after: {info['loadavg_after']}")
    print(table(runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**info, "runs": runs}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
