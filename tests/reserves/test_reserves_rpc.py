"""``zkpor reserves check`` (issue #6) against a real local Ethereum node.

The node is anvil (Foundry), installed by ``make install-test`` from npm into tests/js.
Each test starts its own on 127.0.0.1 on a free port, with the genesis block numbered just
below the demo's stated block (23850000), funds the demo's EVM reserve addresses with
``anvil_setBalance`` and mines up to the stated block. A missing anvil fails the test.

The ERC-20 wallet is checked against a minimal token contract assembled by hand below
(``decimals()`` and ``balanceOf(address)`` only, balances in storage slot = holder), put
at the USDT address with ``anvil_setCode``: the node really executes the ``eth_call``.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from publisher.cli.main import app
from publisher.demo import DEMO_ASSETS, DEMO_BLOCKS, DEMO_WALLETS
from publisher.reserves.rpc import parse_tokens
from publisher.reserves.sign import DemoWallet, demo_address, sign_test_wallets
from tests import peers
from verifier.manifest import AssetLiability, Manifest, TreeInfo, batch_circuit_id
from verifier.reserves import Wallet, reserves_to_json

AID = "demo-2026-11-21"
BLOCK = int(DEMO_BLOCKS["ethereum"])
GENESIS = BLOCK - 10
DECIMALS = {a.symbol: a.decimals for a in DEMO_ASSETS}
#: Tether's mainnet contract address; its code is replaced by ``TOKEN_CODE`` on the node.
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
#: Declared balances per demo key label, in units of each asset's configured decimals.
BALANCES = {
    "cold-1": 5_349_377_720,
    "cold-2": 2_292_590_452,
    "eth-cold": 1_687_584_658_617,  # 1687.584658617 ETH at 9 decimals
    "eth-hot": 421_896_164_655,
    "usdt-treasury": 1_769_627_193_891,  # 1769627.193891 USDT at 6 decimals
    "sol-cold": 39_934_219_168_761,
}


def token_code(decimals: int) -> str:
    """Return the runtime bytecode of a minimal ERC-20 (balanceOf, decimals; else revert)."""
    ops = [
        "6000 35 60e0 1c",  # selector = calldata[0:4]
        "80 63313ce567 14 601d 57",  # decimals() -> 0x1d
        "6370a08231 14 6028 57",  # balanceOf(address) -> 0x28
        "6000 80 fd",  # anything else: revert
        f"5b 60{decimals:02x} 6000 52 6020 6000 f3",  # 0x1d: return decimals
        "5b 6004 35 54 6000 52 6020 6000 f3",  # 0x28: return sload(holder)
    ]
    return "0x" + "".join(ops).replace(" ", "")


def rpc(url: str, method: str, *params: object) -> Any:
    """Call the node directly (not through the code under test); fail on an error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    request = urllib.request.Request(
        url, body.encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        reply = json.loads(response.read())
    assert "error" not in reply, reply
    return reply["result"]


@dataclass(frozen=True)
class Node:
    """A running anvil and the test-only methods that set its state."""

    url: str

    def fund(self, address: str, wei: int) -> None:
        rpc(self.url, "anvil_setBalance", address, hex(wei))

    def mine_to(self, block: int) -> None:
        head = int(rpc(self.url, "eth_blockNumber"), 16)
        rpc(self.url, "anvil_mine", hex(block - head))
        assert int(rpc(self.url, "eth_blockNumber"), 16) == block

    def deploy_token(self, contract: str, decimals: int) -> None:
        rpc(self.url, "anvil_setCode", contract, token_code(decimals))

    def set_token_balance(self, contract: str, holder: str, amount: int) -> None:
        slot = "0x" + holder[2:].lower().rjust(64, "0")
        rpc(self.url, "anvil_setStorageAt", contract, slot, "0x" + f"{amount:064x}")


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on (at this moment)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def start_node(tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """Return a function that starts an anvil node; every node is killed at teardown."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(chain_id: int = 1) -> Node:
        port = free_port()
        args = ["--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id)]
        args += ["--number", str(GENESIS), "--accounts", "1", "--silent"]
        log = tmp_path / f"anvil-{port}.log"  # not a pipe: a full pipe would block the node
        with log.open("wb") as out:
            process = subprocess.Popen([str(peers.anvil()), *args], stdout=out, stderr=out)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = log.read_text(errors="replace")
                pytest.fail(f"anvil exited with {process.returncode}: {output}")
            try:
                assert int(rpc(url, "eth_chainId"), 16) == chain_id
                return Node(url)
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"anvil did not answer on {url} within 30 s")
                time.sleep(0.05)

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def demo_wallets(balances: dict[str, int], blocks: dict[str, str] | None = None) -> list[Wallet]:
    """Return the demo's six reserve wallets, signed, with the given balances and blocks."""
    specs = [
        DemoWallet(
            chain, asset, label, balances[label], (blocks or {}).get(label, DEMO_BLOCKS[chain])
        )
        for chain, asset, label, _ in DEMO_WALLETS
    ]
    return sign_test_wallets(AID, specs)


def write_attestation(folder: Path, wallets: list[Wallet]) -> Path:
    """Write an attestation.json listing reserves.json, and reserves.json, into ``folder``."""
    reserves = json.dumps(reserves_to_json(AID, wallets, DECIMALS), indent=1).encode()
    held = {symbol: sum(w.balance for w in wallets if w.asset == symbol) for symbol in DECIMALS}
    manifest = Manifest(
        attestation_id=AID,
        issuer_name="Demo Exchange (synthetic data)",
        issuer_url="https://example.com",
        as_of="2026-11-21T00:00:00Z",
        assets=tuple(AssetLiability(s, d, 1, held[s]) for s, d in DECIMALS.items()),
        tree=TreeInfo(2, 1, 1, 1, 0),
        initial_accumulator=0,
        final_accumulator=0,
        final_totals=(0,) * len(DECIMALS),
        final_blind=0,
        circuit_id=batch_circuit_id(len(DECIMALS), 2, 1),
        constraints=0,
        setup_kind="insecure-dev",
        setup_statement="s",
        software_version="0",
        files={"reserves.json": hashlib.sha256(reserves).hexdigest()},
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "attestation.json").write_text(json.dumps(manifest.to_json(), indent=1))
    (folder / "reserves.json").write_bytes(reserves)
    return folder


def label_of(wallet: Wallet) -> str:
    """Return the demo key label of ``wallet``."""
    return next(
        label
        for chain, _, label, _ in DEMO_WALLETS
        if chain == wallet.chain and demo_address(chain, label) == wallet.address
    )


def fund_demo(node: Node, wallets: list[Wallet], extra: dict[str, int] | None = None) -> None:
    """Give every EVM wallet exactly its declared balance, plus ``extra`` (by key label, in
    the smallest on-chain unit: wei, or 10^-6 USDT), then mine to the stated block."""
    node.deploy_token(USDT, 6)
    for wallet in wallets:
        more = (extra or {}).get(label_of(wallet), 0)
        if wallet.asset == "ETH":
            node.fund(wallet.address, wallet.balance * 10**9 + more)
        elif wallet.asset == "USDT":
            node.set_token_balance(USDT, wallet.address, wallet.balance + more)
    node.mine_to(BLOCK)


def check(folder: Path, url: str, *extra: str) -> Result:
    """Run ``zkpor reserves check``."""
    return CliRunner().invoke(app, ["reserves", "check", str(folder), "--rpc", url, *extra])


def lines(result: Result) -> dict[str, str]:
    """Return the output lines of a check by the wallet address they name."""
    found = {}
    for line in result.output.splitlines():
        for word in line.replace(":", " ").split():
            if word.startswith("0x") and len(word) == 42:
                found[word] = line
    return found


# --- against a real node ---------------------------------------------------------------


@pytest.mark.interop
def test_agreeing_balances_pass(tmp_path: Path, start_node: Callable[..., Node]) -> None:
    node = start_node()
    wallets = demo_wallets(BALANCES)
    fund_demo(node, wallets, extra={"eth-hot": 1})  # holding more than declared is fine
    folder = write_attestation(tmp_path / "attestation", wallets)
    result = check(folder, node.url, "--token", f"USDT={USDT}")
    assert result.exit_code == 0, result.output
    by_address = lines(result)
    eth_cold, eth_hot, usdt = (w for w in wallets if w.chain == "ethereum")
    assert by_address[eth_cold.address].startswith("OK ")
    assert (
        f"declared 1687.584658617, on chain 1687.584658617 — at block {BLOCK}"
        in (by_address[eth_cold.address])
    )
    assert "on chain 421.896164655000000001" in by_address[eth_hot.address]
    assert by_address[usdt.address].startswith("OK ")
    assert "declared 1769627.193891, on chain 1769627.193891" in by_address[usdt.address]
    skipped = [line for line in result.output.splitlines() if line.startswith("SKIP")]
    assert len(skipped) == 3 and all("not checked (no EVM RPC)" in s for s in skipped)
    assert "PASSED" in result.output

    as_json = check(folder, node.url, "--json")  # no --token: the ERC-20 wallet is skipped
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    assert report["passed"] is True
    statuses = [(w["asset"], w["status"]) for w in report["wallets"]]
    assert statuses == [
        ("BTC", "SKIP"),
        ("BTC", "SKIP"),
        ("ETH", "OK"),
        ("ETH", "OK"),
        ("USDT", "SKIP"),
        ("SOL", "SKIP"),
    ]
    assert "pass --token USDT=0xCONTRACT" in report["wallets"][4]["detail"]


@pytest.mark.interop
def test_a_lower_balance_fails_naming_the_wallet_and_the_shortfall(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = demo_wallets(BALANCES)
    fund_demo(node, wallets, extra={"eth-hot": -1, "usdt-treasury": -2})
    folder = write_attestation(tmp_path / "attestation", wallets)
    result = check(folder, node.url, "--token", f"USDT={USDT}")
    assert result.exit_code == 1, result.output
    eth_cold, eth_hot, usdt = (w for w in wallets if w.chain == "ethereum")
    by_address = lines(result)
    assert by_address[eth_cold.address].startswith("OK ")
    assert by_address[eth_hot.address] == (
        f"MISMATCH ethereum ETH {eth_hot.address}: declared 421.896164655, on chain "
        f"421.896164654999999999 — at block {BLOCK}: short by 0.000000000000000001 ETH"
    )
    assert by_address[usdt.address].startswith("MISMATCH ")
    assert "short by 0.000002 USDT" in by_address[usdt.address]
    assert "FAILED: 1 OK, 2 MISMATCH, 3 SKIP" in result.output


@pytest.mark.interop
def test_the_stated_block_is_asked_not_the_latest(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = demo_wallets(BALANCES)
    fund_demo(node, wallets)
    node.mine_to(BLOCK + 1)
    eth_cold = next(w for w in wallets if w.asset == "ETH")
    node.fund(eth_cold.address, 0)  # spent after the stated block: the check still passes
    folder = write_attestation(tmp_path / "at-stated-block", wallets)
    assert check(folder, node.url).exit_code == 0
    later = demo_wallets(BALANCES, {"eth-cold": str(BLOCK + 1)})
    folder = write_attestation(tmp_path / "at-later-block", later)
    result = check(folder, node.url)
    assert result.exit_code == 1
    assert lines(result)[eth_cold.address].startswith("MISMATCH ")
    assert f"on chain 0 — at block {BLOCK + 1}: short by 1687.584658617 ETH" in result.output


@pytest.mark.interop
def test_a_block_the_node_has_not_reached_or_does_not_hold_is_an_error(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = demo_wallets(BALANCES, {"eth-cold": str(BLOCK + 100), "eth-hot": "5"})
    fund_demo(node, wallets)
    result = check(write_attestation(tmp_path / "attestation", wallets), node.url)
    assert result.exit_code == 1, result.output
    eth_cold, eth_hot, _ = (w for w in wallets if w.chain == "ethereum")
    assert lines(result)[eth_cold.address] == (
        f"ERROR    ethereum ETH {eth_cold.address}: declared 1687.584658617 — the node is at "
        f"block {BLOCK}, before the stated block {BLOCK + 100} (still syncing, or a wrong "
        "block height?)"
    )
    # Block 5 lies before this node's genesis: the node itself refuses, and says why.
    hot = lines(result)[eth_hot.address]
    assert hot.startswith("ERROR ") and "at block 5: the node refused eth_getBalance:" in hot


@pytest.mark.interop
def test_a_node_on_another_chain_is_refused(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node(chain_id=31337)
    folder = write_attestation(tmp_path / "attestation", demo_wallets(BALANCES))
    result = check(folder, node.url)
    assert result.exit_code == 2
    assert f"the node at {node.url} is on chain id 31337, not ethereum (1)" in result.output


@pytest.mark.interop
def test_a_missing_token_contract_is_an_error(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = demo_wallets(BALANCES)
    fund_demo(node, wallets)
    empty = "0x" + "00" * 19 + "01"
    result = check(write_attestation(tmp_path / "a", wallets), node.url, "--token", f"USDT={empty}")
    assert result.exit_code == 1
    usdt = next(w for w in wallets if w.asset == "USDT")
    assert f"no contract at {empty}" in lines(result)[usdt.address]


# --- no node, or something else than a node --------------------------------------------


def test_a_node_that_is_down_is_a_clear_error(tmp_path: Path) -> None:
    folder = write_attestation(tmp_path / "attestation", demo_wallets(BALANCES))
    port = free_port()
    result = check(folder, f"http://127.0.0.1:{port}/v3/SECRET-API-KEY")
    assert result.exit_code == 2
    assert f"error: cannot reach the node at http://127.0.0.1:{port}: " in result.output
    assert "Connection refused" in result.output
    assert "SECRET-API-KEY" not in result.output  # the URL's path may hold a key


class _NotANode(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b"<html>hello</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


def test_a_server_that_is_not_a_node_or_never_answers(tmp_path: Path) -> None:
    folder = write_attestation(tmp_path / "attestation", demo_wallets(BALANCES))
    server = HTTPServer(("127.0.0.1", 0), _NotANode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = check(folder, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 2
    assert "did not answer eth_chainId with JSON: not a JSON-RPC node?" in result.output
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = check(folder, url, "--timeout", "0.5")
        assert time.monotonic() - started < 5
    assert result.exit_code == 2
    assert "no answer to eth_chainId within 0.5 s" in result.output


def test_without_evm_wallets_nothing_is_checked_and_the_node_is_not_asked(
    tmp_path: Path,
) -> None:
    wallets = [w for w in demo_wallets(BALANCES) if w.chain != "ethereum"]
    folder = write_attestation(tmp_path / "attestation", wallets)
    result = check(folder, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    assert result.exit_code == 1, result.output
    assert "FAILED: no wallet could be checked (3 SKIP)" in result.output


def test_time_stamped_evm_wallets_are_skipped(tmp_path: Path) -> None:
    wallets = demo_wallets(BALANCES, {label: "2026-11-21T00:00:00Z" for label in BALANCES})
    result = check(write_attestation(tmp_path / "a", wallets), f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 1
    assert result.output.count("as of a UTC time, not a block height") == 2  # ETH wallets


def test_reserves_json_must_be_the_one_the_manifest_lists(tmp_path: Path) -> None:
    folder = write_attestation(tmp_path / "attestation", demo_wallets(BALANCES))
    doc = json.loads((folder / "reserves.json").read_text())
    doc["wallets"][2]["balance"] = "1"
    (folder / "reserves.json").write_text(json.dumps(doc))
    result = check(folder, f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 2
    assert "error: reserves.json has sha256" in result.output
    result = check(tmp_path / "nowhere", "http://127.0.0.1:1")
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("USDT", "expected ASSET=0xCONTRACT"),
        ("DOGE=" + USDT, "DOGE is not an asset of the attestation"),
        ("ETH=" + USDT, "ETH is a chain's native asset, not a token"),
        ("USDT=0x1234", "an EVM address is 0x followed by 40 hex digits"),
        ("USDT=" + USDT.lower().replace("ac17", "AC17"), "bad EIP-55 checksum"),
    ],
)
def test_token_options_are_checked(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_tokens([spec], DECIMALS)
    assert parse_tokens([f"USDT={USDT}"], DECIMALS) == {"USDT": USDT}
    with pytest.raises(ValueError, match="a second contract for USDT"):
        parse_tokens([f"USDT={USDT}", f"USDT={USDT.lower()}"], DECIMALS)


def test_the_funded_addresses_are_the_demos() -> None:
    wallets = demo_wallets(BALANCES)
    assert [w.address for w in wallets if w.chain == "ethereum"] == [
        "0x437cE8019bBc7f6b5C98224946eF098A83e873Bd",
        "0x3bee20E20ED1345f4B8662ad66650dD79B92Cbe3",
        "0x86932B776127b336b7935873F95D3A219EA11Dac",
    ]
