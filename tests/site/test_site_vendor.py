"""The site's vendored third-party files: pinned, cached once, refused when wrong.

Tests marked ``network`` download the real archives from npm and PyPI once per module
(about 7 MB); the others serve archives from a local HTTP server on 127.0.0.1, so every
byte that is checked went through a real socket and a real hash.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import shutil
import socket
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rich.console import Console

from publisher.site import vendor
from publisher.site.addressed import is_content_addressed, place
from publisher.site.vendor import (
    ARCHIVES,
    VENDORED,
    Archive,
    VendorError,
    VendorFile,
    sri,
    vendor_cache_dir,
    vendor_files,
)


class _Server:
    """A local HTTP server of fixed ``{path: bytes}`` that records what it was asked."""

    def __init__(self, files: dict[str, bytes], truncate: bool = False) -> None:
        self.files = files
        self.requests: list[tuple[str, str]] = []  # (path, User-Agent)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("User-Agent", "")))
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if truncate else body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[list[_Server]]:
    """Yield a list to append started servers to; every one is shut down afterwards."""
    servers: list[_Server] = []
    yield servers
    for server in servers:
        server.close()


def _dead_base() -> str:
    """Return an http base URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _moved(archives: tuple[Archive, ...], base: str) -> tuple[Archive, ...]:
    """Return ``archives`` with every URL moved to ``base`` (same file names)."""
    return tuple(dataclasses.replace(a, url=f"{base}/{a.filename}") for a in archives)


def _sha512_sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _tgz(members: dict[str, bytes]) -> bytes:
    """Return a gzipped tarball of ``members`` (an npm-like archive made in the test)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _local_archive(base: str, data: bytes, files: tuple[VendorFile, ...]) -> Archive:
    return Archive("demo", "1.0.0", "ISC", f"{base}/demo-1.0.0.tgz", _sha512_sri(data), files)


# --- the real archives -------------------------------------------------------------------


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """Fetch the real pinned archives once into a fresh cache; return it and the files."""
    cache = tmp_path_factory.mktemp("vendor-cache")
    return cache, vendor_files(cache)


@pytest.mark.network
def test_real_fetch_gives_every_pinned_file(fetched: tuple[Path, dict[str, bytes]]) -> None:
    cache, files = fetched
    pinned = {item.name: item.sha256 for a in ARCHIVES for item in a.files}
    assert list(files) == sorted(pinned)
    for name, data in files.items():
        assert hashlib.sha256(data).hexdigest() == pinned[name], name
    # The cache holds each archive once, with the hash its registry publishes.
    assert sorted(p.name for p in cache.iterdir()) == sorted(a.filename for a in ARCHIVES)
    for a in ARCHIVES:
        data = (cache / a.filename).read_bytes()
        if a.digest.startswith("sha512-"):
            assert _sha512_sri(data) == a.digest
        else:
            assert "sha256:" + hashlib.sha256(data).hexdigest() == a.digest
    # What the browser will load is what it should be.
    assert files["pyodide/pyodide.asm.wasm"].startswith(b"\0asm")
    wheel = zipfile.ZipFile(io.BytesIO(files["py_ecc-8.0.0-py3-none-any.whl"]))
    assert "py_ecc/optimized_bn128/__init__.py" in wheel.namelist()
    wrappers = files["libsodium/libsodium-wrappers.mjs"]
    assert b'from"./libsodium-sumo.mjs"' in wrappers
    assert b'"libsodium-sumo"' not in wrappers


@pytest.mark.network
def test_second_call_reads_only_the_cache(fetched: tuple[Path, dict[str, bytes]]) -> None:
    cache, files = fetched
    # Any attempt to download would now fail: nothing listens there.
    assert vendor_files(cache, archives=_moved(ARCHIVES, _dead_base())) == files


@pytest.mark.network
def test_corrupted_cached_archive_is_fetched_again(
    fetched: tuple[Path, dict[str, bytes]], tmp_path: Path, serve: list[_Server]
) -> None:
    good_cache, files = fetched
    cache = tmp_path / "cache"
    shutil.copytree(good_cache, cache)
    victim = next(a for a in ARCHIVES if a.name == "libsodium-sumo")
    good = (cache / victim.filename).read_bytes()
    (cache / victim.filename).write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])
    server = _Server({f"/{victim.filename}": good})
    serve.append(server)

    assert vendor_files(cache, archives=_moved(ARCHIVES, server.base)) == files
    assert [path for path, _ in server.requests] == [f"/{victim.filename}"]
    assert (cache / victim.filename).read_bytes() == good


# --- local archives: no registry involved ------------------------------------------------


def test_local_archive_is_fetched_checked_and_cached(tmp_path: Path, serve: list[_Server]) -> None:
    script = b'import x from"dep";export default x;'
    data = _tgz({"package/a.mjs": script, "package/LICENSE": b"ISC"})
    patched = script.replace(b'"dep"', b'"./dep.mjs"')
    files = (
        VendorFile(
            "package/a.mjs",
            "demo/a.mjs",
            hashlib.sha256(patched).hexdigest(),
            rewrite=(b'"dep"', b'"./dep.mjs"'),
        ),
        VendorFile("package/LICENSE", "demo/LICENSE", hashlib.sha256(b"ISC").hexdigest()),
    )
    server = _Server({"/demo-1.0.0.tgz": data})
    serve.append(server)
    out = io.StringIO()
    archive = _local_archive(server.base, data, files)

    got = vendor_files(tmp_path, Console(file=out, width=100), archives=[archive])

    assert got == {"demo/LICENSE": b"ISC", "demo/a.mjs": patched}
    assert (tmp_path / "demo-1.0.0.tgz").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["demo-1.0.0.tgz"]  # no temp file left
    assert server.requests == [("/demo-1.0.0.tgz", vendor.USER_AGENT)]
    assert "fetched demo-1.0.0.tgz" in out.getvalue()
    assert vendor_files(tmp_path, archives=[archive]) == got
    assert len(server.requests) == 1


def test_download_with_wrong_hash_is_refused(tmp_path: Path, serve: list[_Server]) -> None:
    real = next(a for a in ARCHIVES if a.name == "libsodium-sumo")
    wrong = _tgz({"package/LICENSE": b"not the pinned archive"})
    server = _Server({f"/{real.filename}": wrong})
    serve.append(server)
    (moved,) = _moved((real,), server.base)

    with pytest.raises(VendorError) as err:
        vendor_files(tmp_path, archives=[moved])

    message = str(err.value)
    assert moved.url in message
    assert real.digest in message
    assert _sha512_sri(wrong) in message
    assert list(tmp_path.iterdir()) == []  # nothing stored, not even a temp file


def test_truncated_download_is_refused(tmp_path: Path, serve: list[_Server]) -> None:
    data = _tgz({"package/x": b"x" * 5000})
    server = _Server({"/demo-1.0.0.tgz": data}, truncate=True)
    serve.append(server)
    archive = _local_archive(server.base, data, ())
    for console in (None, Console(file=io.StringIO())):  # plain read, and chunked with a bar
        with pytest.raises(VendorError, match=r"demo-1\.0\.0\.tgz"):
            vendor_files(tmp_path, console, archives=[archive])
        assert list(tmp_path.iterdir()) == []


def test_offline_with_empty_cache_says_how_to_seed(tmp_path: Path) -> None:
    archives = _moved(ARCHIVES[:1], _dead_base())
    with pytest.raises(VendorError) as err:
        vendor_files(tmp_path / "empty", archives=archives)
    message = str(err.value)
    assert archives[0].url in message
    assert str(tmp_path / "empty") in message
    assert f"copy {archives[0].filename}" in message


def test_http_error_is_reported_with_status(tmp_path: Path, serve: list[_Server]) -> None:
    server = _Server({})
    serve.append(server)
    archives = _moved(ARCHIVES[:1], server.base)
    with pytest.raises(VendorError, match="404"):
        vendor_files(tmp_path, archives=archives)


def test_extracted_file_with_wrong_hash_is_refused(tmp_path: Path, serve: list[_Server]) -> None:
    data = _tgz({"package/a.js": b"a"})
    server = _Server({"/demo-1.0.0.tgz": data})
    serve.append(server)
    bad_pin = VendorFile("package/a.js", "a.js", hashlib.sha256(b"b").hexdigest())
    with pytest.raises(VendorError, match=r"^a\.js .*has sha256"):
        vendor_files(tmp_path, archives=[_local_archive(server.base, data, (bad_pin,))])
    missing = VendorFile("package/b.js", "b.js", hashlib.sha256(b"b").hexdigest())
    with pytest.raises(VendorError, match=r"has no package/b\.js"):
        vendor_files(tmp_path, archives=[_local_archive(server.base, data, (missing,))])
    rewrite = dataclasses.replace(
        bad_pin, sha256=hashlib.sha256(b"a").hexdigest(), rewrite=(b"zz", b"y")
    )
    with pytest.raises(VendorError, match="exactly once"):
        vendor_files(tmp_path, archives=[_local_archive(server.base, data, (rewrite,))])
    assert len(server.requests) == 1  # the archive itself was good, and cached


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZKPOR_VENDOR_CACHE", str(tmp_path))
    assert vendor_cache_dir() == tmp_path
    monkeypatch.delenv("ZKPOR_VENDOR_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert vendor_cache_dir() == tmp_path / "home" / ".cache" / "zkpor" / "vendor"


def test_table_is_consistent() -> None:
    names = {item.name: item.sha256 for a in ARCHIVES for item in a.files}
    assert len(names) == sum(len(a.files) for a in ARCHIVES)
    # Logical names (publisher.site.addressed): every name gets its content-addressed path.
    contents = {name: bytes.fromhex(digest) for name, digest in names.items()}
    assert all(is_content_addressed(path) for path in place(contents).values())
    # Pyodide loads its parts from the folder of pyodide.asm.mjs: one bundle.
    assert {n for n in names if n.startswith("pyodide/")} == {
        "pyodide/" + n
        for n in (
            "pyodide.mjs",
            "pyodide.asm.mjs",
            "pyodide.asm.wasm",
            "python_stdlib.zip",
            "pyodide-lock.json",
        )
    }
    assert [(c.name, c.version) for c in VENDORED] == [(a.name, a.version) for a in ARCHIVES]
    assert {c.name for c in VENDORED} == {
        "pyodide",
        "libsodium-wrappers-sumo",
        "libsodium-sumo",
        "py_ecc",
    }


# --- subresource integrity ---------------------------------------------------------------


def test_sri_matches_the_spec_example_and_openssl() -> None:
    # The example of the W3C Subresource Integrity specification.
    example = b"alert('Hello, world.');"
    assert sri(example) == "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO"
    data = bytes(range(256)) * 300
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    digest = subprocess.run(
        ["openssl", "dgst", "-sha384", "-binary"], input=data, capture_output=True, check=True
    ).stdout
    assert sri(data) == "sha384-" + base64.b64encode(digest).decode()
