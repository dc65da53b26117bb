"""A published file whose download failed is fetched exactly once more, then reported
plainly (issue 17, item 6): ``verifier.download``, and the readers that use it (the CLI's
urllib reader, the browser's ``verifier.web.js_reader``).

The browser side is tested in chromium by ``tests/site/test_site_fetch_retry.py``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from publisher.attest.pipeline import CODES
from publisher.crypto import NaclBackend
from tests.flaky_host import FlakyServer, flaky
from tests.snapshots import ACCOUNTS, prove, write_inputs
from verifier.bundle import NO_BUNDLE
from verifier.download import (
    RETRY_DELAY,
    DownloadError,
    DownloadFailed,
    retrying,
    status_error,
)
from verifier.fetch import directory_reader, http_reader
from verifier.web import JsBackend, js_reader, verify_all, verify_code

URL = "https://reserves.example/attestation/"
NACL = NaclBackend()
BACKEND = JsBackend(
    lambda box, nonce, key: _box_open(box, nonce, key),
    lambda pk, message, sig: NACL.ed25519_verify(
        bytes.fromhex(pk), bytes.fromhex(message), bytes.fromhex(sig)
    ),
)


def _box_open(box: str, nonce: str, key: str) -> str | None:
    try:
        opened = NACL.secretbox_open(bytes.fromhex(box), bytes.fromhex(nonce), bytes.fromhex(key))
    except Exception:
        return None
    return opened.hex()


class Host:
    """An injected fetch: answers each name from a script of outcomes, counting calls."""

    def __init__(self, name: str, *script: bytes | BaseException) -> None:
        self.scripts = {name: list(script)}
        self.calls: list[str] = []
        self.slept: list[float] = []

    def read(self, name: str) -> bytes:
        self.calls.append(name)
        outcome = self.scripts[name].pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def reader(self) -> Callable[[str], bytes]:
        return retrying(self.read, sleep=self.slept.append)


def busy(name: str) -> DownloadError:
    return DownloadError(URL + name, "the server answered 503")


def test_a_failed_download_is_asked_for_once_more_after_a_pause() -> None:
    host = Host("bundles/3f.bin", busy("bundles/3f.bin"), b"bucket")
    retried: list[tuple[str, str]] = []
    read = retrying(
        host.read, sleep=host.slept.append, on_retry=lambda n, e: retried.append((n, e.reason))
    )
    assert read("bundles/3f.bin") == b"bucket"
    assert host.calls == ["bundles/3f.bin"] * 2
    assert host.slept == [RETRY_DELAY] and 0.5 <= RETRY_DELAY <= 1
    assert retried == [("bundles/3f.bin", "the server answered 503")]


def test_a_download_that_fails_twice_is_named_with_both_reasons_and_not_asked_again() -> None:
    host = Host("bundles/3f.bin", busy("bundles/3f.bin"), busy("bundles/3f.bin"))
    read = host.reader()
    with pytest.raises(DownloadFailed) as failed:
        read("bundles/3f.bin")
    assert str(failed.value) == (
        f"could not download bundles/3f.bin from {URL}bundles/3f.bin: the server answered "
        "503 twice; try again later"
    )
    assert (failed.value.name, failed.value.reason) == (
        "bundles/3f.bin",
        "the server answered 503 twice",
    )
    assert host.calls == ["bundles/3f.bin"] * 2, "exactly one retry"
    # a later step that needs the file gets the same answer, without a third request
    with pytest.raises(DownloadFailed, match="503 twice"):
        read("bundles/3f.bin")
    assert host.calls == ["bundles/3f.bin"] * 2 and host.slept == [RETRY_DELAY]


def test_two_different_failures_are_both_told() -> None:
    cut = DownloadError(URL + "proofs.json", "the connection closed after 10 of 74327 bytes")
    host = Host("proofs.json", busy("proofs.json"), cut)
    with pytest.raises(DownloadFailed) as failed:
        host.reader()("proofs.json")
    assert failed.value.reason == (
        "the server answered 503, then the connection closed after 10 of 74327 bytes"
    )


@pytest.mark.parametrize(
    "answer",
    [
        FileNotFoundError("bundles/3f.bin: HTTP 404"),  # a bucket that is not there: no bundle
        OSError(f"{URL}bundles/3f.bin: the server answered 403"),
        PermissionError("refusing to read '../x': not a plain file name"),
    ],
    ids=["404", "403", "refused name"],
)
def test_an_answer_is_not_retried(answer: OSError) -> None:
    host = Host("bundles/3f.bin", answer, b"never asked")
    with pytest.raises(type(answer)) as raised:
        host.reader()("bundles/3f.bin")
    assert raised.value is answer and not isinstance(raised.value, DownloadFailed)
    assert host.calls == ["bundles/3f.bin"] and host.slept == []


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (404, FileNotFoundError),
        (410, FileNotFoundError),
        (500, DownloadError),
        (502, DownloadError),
        (503, DownloadError),
        (504, DownloadError),
        (429, DownloadError),
        (408, DownloadError),
        (403, OSError),
        (401, OSError),
        (400, OSError),
    ],
)
def test_which_http_answers_are_worth_a_retry(status: int, kind: type[OSError]) -> None:
    error = status_error(URL + "vk.json", status)
    assert type(error) is kind
    assert str(status) in str(error) and "vk.json" in str(error)


# --- the browser's reader: what the worker's synchronous read returns --------------------


class Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_bytes(self) -> bytes:
        return self.data


def test_js_reader_turns_the_workers_answers_into_bytes_absence_or_a_retryable_failure() -> None:
    answers: dict[str, object] = {
        "ok": Bytes(b"data"),
        "gone": None,
        "404": 404,
        "503": 503,
        "429": 429,
        "403": 403,
        "reset": "NetworkError: Failed to execute 'send' on 'XMLHttpRequest'",
    }
    read = js_reader(answers.__getitem__, URL)
    assert read("ok") == b"data"
    for name in ("gone", "404"):
        with pytest.raises(FileNotFoundError):
            read(name)
    for name in ("503", "429"):
        with pytest.raises(DownloadError, match=f"the server answered {name}"):
            read(name)
    with pytest.raises(OSError, match="answered 403") as refused:
        read("403")
    assert not isinstance(refused.value, DownloadError)
    with pytest.raises(DownloadError) as reset:
        read("reset")
    assert reset.value.url == URL + "reset"
    assert reset.value.reason == (
        "no answer from the server (NetworkError: Failed to execute 'send' on 'XMLHttpRequest')"
    )


# --- the CLI's reader, over a real socket --------------------------------------------------


@pytest.fixture
def host(tmp_path: Path) -> Iterator[FlakyServer]:
    (tmp_path / "attestation" / "bundles").mkdir(parents=True)
    (tmp_path / "attestation" / "bundles" / "3f.bin").write_bytes(bytes(range(256)) * 200)
    (tmp_path / "attestation" / "vk.json").write_bytes(b"{}")
    with flaky(tmp_path) as server:
        yield server


BUCKET = "/attestation/bundles/3f.bin"


@pytest.mark.parametrize("failure", ["503", "429", "reset", "truncate"])
def test_http_reader_raises_a_retryable_error_for_a_failure_that_may_pass(
    host: FlakyServer, failure: str
) -> None:
    host.fail(BUCKET, failure)
    read = http_reader(host.origin + "/attestation/")
    with pytest.raises(DownloadError) as raised:
        read("bundles/3f.bin")
    assert raised.value.url == host.origin + BUCKET
    if failure == "truncate":  # urllib itself returns a short body without a word
        assert raised.value.reason == "the connection closed after 25600 of 51200 bytes"
    assert read("bundles/3f.bin") == bytes(range(256)) * 200
    assert host.counts[BUCKET] == 2


@pytest.mark.parametrize(("failure", "kind"), [("404", FileNotFoundError), ("403", OSError)])
def test_http_reader_raises_a_plain_error_for_an_answer(
    host: FlakyServer, failure: str, kind: type[OSError]
) -> None:
    host.fail(BUCKET, failure)
    with pytest.raises(kind) as raised:
        retrying(http_reader(host.origin + "/attestation/"), sleep=lambda _: None)("bundles/3f.bin")
    assert not isinstance(raised.value, DownloadError)
    assert host.counts[BUCKET] == 1, "not retried"


def test_http_reader_with_retrying_survives_one_failure_and_reports_two(
    host: FlakyServer,
) -> None:
    slept: list[float] = []
    host.fail(BUCKET, "503")
    read = retrying(http_reader(host.origin + "/attestation/"), sleep=slept.append)
    assert read("bundles/3f.bin") == bytes(range(256)) * 200
    assert host.counts[BUCKET] == 2 and slept == [RETRY_DELAY]
    host.fail(BUCKET, "503", "reset")
    read = retrying(http_reader(host.origin + "/attestation/"), sleep=slept.append)
    with pytest.raises(DownloadFailed) as failed:
        read("bundles/3f.bin")
    assert host.counts[BUCKET] == 2
    assert str(failed.value) == (
        f"could not download bundles/3f.bin from {host.origin}{BUCKET}: the server answered "
        "503, then the connection was reset; try again later"
    )


# --- the checks: what a step and the page are told ----------------------------------------


@pytest.fixture(scope="module")
def dev_attestation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A small attestation (development setup: its setup step fails, the rest can pass)."""
    root = tmp_path_factory.mktemp("download")
    inputs = write_inputs(root / "input", ACCOUNTS, pad_to=16)
    with ProcessPoolExecutor(2) as pool:
        prove(inputs, root / "attestation", root / "private", pool)
    with (root / "private" / CODES).open(encoding="utf-8", newline="") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    return root / "attestation", codes


def failing(folder: Path, failures: dict[str, list[OSError]]) -> tuple[Any, list[str]]:
    """A reader of ``folder`` whose reads of a name matching a key of ``failures`` (a
    prefix and a suffix joined by "*") raise its errors first; and the names read."""
    read = directory_reader(folder)
    calls: list[str] = []

    def reader(name: str) -> bytes:
        calls.append(name)
        for pattern, errors in failures.items():
            prefix, _, suffix = pattern.partition("*")
            if name.startswith(prefix) and name.endswith(suffix) and errors:
                raise errors.pop(0)
        return read(name)

    return reader, calls


def web_events(run: Any, *args: Any, **kwargs: Any) -> tuple[bool, list[dict[str, Any]]]:
    out: list[dict[str, Any]] = []
    ok = run(*args, lambda text: out.append(json.loads(text)), **kwargs)
    return ok, out


def steps_of(out: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["status"], e["detail"]) for e in out if e["event"] == "step"]


def test_the_page_is_told_of_a_retry_and_the_bundle_opens(
    dev_attestation: tuple[Path, list[str]],
) -> None:
    folder, codes = dev_attestation
    read, calls = failing(
        folder, {"bundles/*.bin": [DownloadError(URL + "b", "the server answered 503")]}
    )
    slept: list[float] = []
    ok, out = web_events(verify_code, read, codes[0], BACKEND, sleep=slept.append)
    [bucket] = {name for name in calls if name.endswith(".bin")}
    assert calls.count(bucket) == 2 and slept == [RETRY_DELAY]
    retries = [e for e in out if e["event"] in ("retry", "download-failed")]
    assert retries == [{"event": "retry", "file": bucket, "reason": "the server answered 503"}]
    steps = steps_of(out)
    assert steps[0][0] == "OK" and [s for s, _ in steps[:6]] == ["OK"] * 6
    assert steps[6][0] == "FAIL"  # the development setup, as always
    assert not ok


def test_a_bucket_that_fails_twice_fails_step_1_with_its_name_and_nothing_passes(
    dev_attestation: tuple[Path, list[str]],
) -> None:
    folder, codes = dev_attestation
    busy_twice = [DownloadError(URL + "bundles/x.bin", "the server answered 503")] * 2
    read, calls = failing(folder, {"bundles/*.bin": list(busy_twice)})
    ok, out = web_events(verify_code, read, codes[0], BACKEND, sleep=lambda _: None)
    [bucket] = {name for name in calls if name.endswith(".bin")}
    assert calls.count(bucket) == 2
    message = (
        f"could not download {bucket} from {URL}bundles/x.bin: the server answered 503 twice; "
        "try again later"
    )
    failed = [e for e in out if e["event"] == "download-failed"]
    assert failed == [
        {
            "event": "download-failed",
            "file": bucket,
            "url": URL + "bundles/x.bin",
            "reason": "the server answered 503 twice",
        }
    ]
    steps = steps_of(out)
    assert steps[0] == ("FAIL", message)
    assert [s for s, _ in steps[1:5]] == ["SKIP"] * 4
    assert not any(e["event"] in ("user", "not-found") for e in out)
    assert not ok and out[-1] == {"event": "done", "passed": False, "totals_proven": False}


def test_a_missing_bucket_is_no_bundle_at_once_without_a_retry(
    dev_attestation: tuple[Path, list[str]],
) -> None:
    folder, codes = dev_attestation
    read, calls = failing(folder, {"bundles/*.bin": [FileNotFoundError("HTTP 404")]})
    slept: list[float] = []
    ok, out = web_events(verify_code, read, codes[0], BACKEND, sleep=slept.append)
    assert not ok
    assert len([name for name in calls if name.endswith(".bin")]) == 1 and slept == []
    assert {"event": "not-found"} in out
    assert steps_of(out)[0] == ("FAIL", NO_BUNDLE)
    assert not any(e["event"] in ("retry", "download-failed") for e in out)


def test_verify_all_asks_twice_for_a_file_several_steps_need_and_fails_them_plainly(
    dev_attestation: tuple[Path, list[str]],
) -> None:
    folder, _ = dev_attestation
    cut = DownloadError(URL + "proofs.json", "the connection closed after 10 of 99 bytes")
    read, calls = failing(folder, {"proofs.json": [cut, cut]})
    ok, out = web_events(verify_all, read, BACKEND, sleep=lambda _: None)
    assert calls.count("proofs.json") == 2, "exactly one retry, whatever the steps"
    assert [e["file"] for e in out if e["event"] == "download-failed"] == ["proofs.json"]
    failed = [detail for status, detail in steps_of(out) if status == "FAIL"]
    reason = "the connection closed after 10 of 99 bytes twice; try again later"
    assert any(
        f"could not download proofs.json from {URL}proofs.json: {reason}" in d for d in failed
    )
    assert not ok and out[-1]["passed"] is False


def test_the_cli_retries_a_file_once_and_then_fails_its_step_plainly(
    dev_attestation: tuple[Path, list[str]],
) -> None:
    from typer.testing import CliRunner

    from publisher.cli.main import app

    folder, _ = dev_attestation
    runner = CliRunner()
    with flaky(folder.parent) as server:
        url = f"{server.origin}/attestation/"
        proofs = "/attestation/proofs.json"
        server.fail(proofs, "503")
        result = runner.invoke(app, ["verify", "--allow-insecure-dev-setup", url])
        assert result.exit_code == 0, result.output
        assert server.counts[proofs] == 2
        assert "note: proofs.json did not download (the server answered 503): trying once more" in (
            result.output
        )
        server.fail(proofs, "503", "truncate")
        result = runner.invoke(app, ["verify", "--allow-insecure-dev-setup", url])
        assert result.exit_code == 1
        assert server.counts[proofs] == 2
        assert (
            f"could not download proofs.json from {server.origin}{proofs}: the server answered "
            "503, then the connection closed after"
        ) in result.output
        assert "PASSED" not in result.output and "FAILED" in result.output
        # the manifest itself: nothing to check, said so
        server.fail("/attestation/attestation.json", "503", "503")
        result = runner.invoke(app, ["verify", "--allow-insecure-dev-setup", url])
        assert result.exit_code == 2
        assert "error: could not download attestation.json from" in result.output
        assert "the server answered 503 twice; try again later" in result.output
