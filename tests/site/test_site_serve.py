"""``zkpor site serve`` when many browsers fetch at once (issue 17, item 6; bench/load.py).

The standard library's server queued them: a listen backlog of 5 dropped the connections
beyond it (TCP then resends them after 1, 3, 7 s) and HTTP/1.0 opened a new connection
for every request. These tests hold the fix on a small folder, no site build needed.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.site.serve import BACKLOG, SiteServer, make_server


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<p>site</p>")
    bundles = tmp_path / "attestation" / "bundles"
    bundles.mkdir(parents=True)
    for n in range(4):
        (bundles / f"{n:02x}.bin").write_bytes(bytes([n]) * 50_000)
    return tmp_path


def start(server: SiteServer) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.started = True  # type: ignore[attr-defined]


@pytest.fixture
def server(folder: Path) -> Iterator[SiteServer]:
    server = make_server(folder, 0)
    yield server
    if getattr(server, "started", False):  # shutdown() waits for serve_forever forever
        server.shutdown()
    server.server_close()


def test_connections_arriving_at_once_are_all_accepted_without_a_resend(
    server: SiteServer,
) -> None:
    """64 connections before the server accepts any: every handshake completes at once
    (with the old backlog of 5, all but about 6 waited for a SYN resend, 1 s or more)."""
    assert BACKLOG >= 128
    port = server.server_address[1]
    waiting = []
    try:
        for _ in range(64):
            # the kernel completes a handshake only while the accept queue has room
            waiting.append(socket.create_connection(("127.0.0.1", port), timeout=0.5))
        start(server)
        for sock in waiting:
            sock.sendall(b"GET /attestation/bundles/01.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in waiting:
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert response.status == 200 and response.read() == b"\x01" * 50_000
    finally:
        for sock in waiting:
            sock.close()


def test_a_connection_is_kept_alive_between_requests(server: SiteServer) -> None:
    start(server)
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        for n in range(4):
            connection.request("GET", f"/attestation/bundles/{n:02x}.bin")
            response = connection.getresponse()
            assert (response.status, response.version) == (200, 11)
            assert response.read() == bytes([n]) * 50_000
            assert not response.will_close
            if n == 0:
                first = connection.sock
            assert connection.sock is first, "the same connection serves every request"
        connection.request("GET", "/attestation/bundles/ff.bin")  # a 404 keeps it open too
        response = connection.getresponse()
        assert response.status == 404
        response.read()
        connection.request("GET", "/index.html")
        assert connection.getresponse().read() == b"<p>site</p>"
    finally:
        connection.close()


def test_responses_on_a_kept_alive_connection_are_not_held_back(server: SiteServer) -> None:
    """20 requests in turn on one connection: milliseconds. With Nagle's algorithm on, the
    body (the response's second write) waited for the client's delayed ACK: 40 ms each,
    about 0.8 s in all."""
    start(server)
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        connection.request("GET", "/index.html")  # connected, threads started
        connection.getresponse().read()
        began = time.perf_counter()
        for _ in range(20):
            connection.request("GET", "/attestation/bundles/03.bin")
            assert connection.getresponse().read() == b"\x03" * 50_000
        assert time.perf_counter() - began < 0.4
    finally:
        connection.close()


def test_a_stalled_connection_holds_up_no_other(server: SiteServer) -> None:
    """A browser that opened a connection and sent half a request (or nothing, an idle
    kept-alive one) does not delay anyone else's fetch: each has its own thread."""
    start(server)
    port = server.server_address[1]
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
    try:
        for sock in stalled[:4]:
            sock.sendall(b"GET /attestation/bundles/00.bin HTTP/1.1\r\n")  # never finished
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/attestation/bundles/02.bin")
        assert connection.getresponse().read() == b"\x02" * 50_000
        connection.close()
    finally:
        for sock in stalled:
            sock.close()
