"""Attack (issue 11): the static host redirects the verifier somewhere else.

The adversary runs the host the attestation URL names. It answers with a redirect to
another host, another port, another scheme (https downgraded, or ``file:``). The http(s)
reader of ``zkpor verify`` and ``zkpor verify-user`` (``verifier.fetch.http_reader``,
opened by ``publisher.cli.verify.open_attestation``) must refuse to follow: what the URL
names is what gets checked. Redirects within the URL's origin (same scheme, host and
port, e.g. ``/x`` to ``/x/``) are followed, as ``verifier.fetch`` documents.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.site_fixtures import SmallAttestation, make_attestation
from verifier.fetch import RedirectRefused, http_reader


class _Redirecting(http.server.SimpleHTTPRequestHandler):
    """Serve ``/real/...`` from the attestation; answer ``/<rule>/...`` with a redirect."""

    server: _Server

    def do_GET(self) -> None:
        rule, _, rest = self.path.lstrip("/").partition("/")
        target = self.server.rules.get(rule)
        if target is None or (rule == "buckets" and not rest.startswith("bundles/")):
            if rule in ("real", "buckets"):
                self.path = "/" + rest
                super().do_GET()
                return
            self.send_error(404)
            return
        self.send_response(302)
        self.send_header("Location", target.format(rest=rest))
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    rules: dict[str, str]


@contextmanager
def serving(folder: Path) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), functools.partial(_Redirecting, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def attestation(tmp_path_factory: pytest.TempPathFactory) -> SmallAttestation:
    return make_attestation(tmp_path_factory.mktemp("redirect"))


@pytest.fixture(scope="module")
def hosts(attestation: SmallAttestation) -> Iterator[tuple[str, str]]:
    """Yield the origins of the adversary's host and of another host serving the same
    attestation (so a reader that followed a redirect there would succeed)."""
    with serving(attestation.folder) as evil, serving(attestation.folder) as other:
        port, other_port = evil.server_address[1], other.server_address[1]
        other.rules = {}
        evil.rules = {
            "other-port": f"http://127.0.0.1:{other_port}/real/{{rest}}",
            "other-host": f"http://localhost:{port}/real/{{rest}}",
            "other-scheme": f"https://127.0.0.1:{port}/real/{{rest}}",
            "file": "file:///etc/{rest}",
            "same-origin": f"http://127.0.0.1:{port}/real/{{rest}}",
            "relative": "/real/{rest}",
            "buckets": f"http://127.0.0.1:{other_port}/real/{{rest}}",
        }
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{other_port}"


def verify(url: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", url, "--allow-insecure-dev-setup"])
    return result.exit_code, result.output


@pytest.mark.parametrize("rule", ["other-port", "other-host", "other-scheme", "file"])
def test_verify_refuses_a_redirect_off_the_origin(hosts: tuple[str, str], rule: str) -> None:
    evil, other = hosts
    # The place redirected to does serve a valid attestation: following would pass.
    assert verify(f"{other}/real/")[0] == 0
    code, output = verify(f"{evil}/{rule}/")
    assert code == 2, output
    assert "cannot fetch attestation.json" in output and "refusing a redirect" in output
    assert "another scheme, host or port" in output


@pytest.mark.parametrize("rule", ["same-origin", "relative"])
def test_verify_follows_a_redirect_within_the_origin(hosts: tuple[str, str], rule: str) -> None:
    code, output = verify(f"{hosts[0]}/{rule}/")
    assert code == 0, output


def test_the_reader_refuses_even_when_only_the_buckets_move(hosts: tuple[str, str]) -> None:
    read = http_reader(f"{hosts[0]}/buckets/")
    assert json.loads(read("attestation.json"))["format"]
    with pytest.raises(RedirectRefused, match=r"refusing a redirect \(HTTP 302\) to http://127"):
        read("bundles/0.bin")


def test_verify_fails_step_7_when_only_the_buckets_move(hosts: tuple[str, str]) -> None:
    result = CliRunner().invoke(
        app, ["verify", f"{hosts[0]}/buckets/", "--json", "--allow-insecure-dev-setup"]
    )
    assert result.exit_code == 1, result.output
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    assert steps["bundle files"]["status"] == "FAIL"
    assert "refusing a redirect" in steps["bundle files"]["detail"]


def test_verify_user_refuses_a_bucket_redirected_off_the_origin(
    hosts: tuple[str, str], attestation: SmallAttestation
) -> None:
    code = next(iter(attestation.codes.values()))
    result = CliRunner().invoke(app, ["verify-user", f"{hosts[0]}/buckets/", "--code", code])
    assert result.exit_code != 0, result.output
    assert "FAIL: bundle" in result.output and "refusing a redirect" in result.output
    # Within the origin the bundle is found (the development setup fails its own step).
    honest = CliRunner().invoke(app, ["verify-user", f"{hosts[0]}/same-origin/", "--code", code])
    assert "1. OK: bundle" in honest.output, honest.output
    assert "refusing" not in honest.output
