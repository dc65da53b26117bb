"""``zkpor reserves check`` (issues #6 and #16) against a real local Ethereum node.

The node is anvil (Foundry), installed by ``make install-test`` from npm into tests/js.
Each test starts its own on 127.0.0.1 on a free port, with the genesis block numbered just
below the demo's stated block (23850000), funds the demo's EVM reserve addresses with
``anvil_setBalance`` and mines up to the stated block. A missing anvil fails the test.

ERC-20 balances and wrapped-token supplies are checked against a minimal token contract
assembled by hand below (``decimals()``, ``balanceOf(address)`` and ``totalSupply()``;
balances in storage slot = holder, the supply in slot 2^255), put at the token's address
with ``anvil_setCode``: the node really executes the ``eth_call``.

The attestations are written from signed wallets with the verifier's public functions
(``wallet_totals``, ``segregation_of``) and the wrapped tokens of a real ``zkpor.toml``
(``load_config``), and each passes ``check_reserves`` (``zkpor verify`` step 8) before a
test uses it: what the command reads is what the pipeline publishes.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from publisher.cli.main import app
from publisher.config import load_config
from publisher.crypto import NaclBackend
from publisher.demo import DEMO_ASSETS, DEMO_BLOCKS, DEMO_WALLETS, config_toml
from publisher.reserves.rpc import JsonRpc, Reserves, check_on_chain, parse_tokens
from publisher.reserves.sign import DemoWallet, demo_address, sign_test_wallets
from tests import peers
from verifier.manifest import AssetLiability, Manifest, TreeInfo, WrappedToken, batch_circuit_id
from verifier.reserves import Wallet, check_reserves, reserves_to_json, wallet_totals
from verifier.segregation import CORPORATE, CUSTOMER, PROTECTION_FUND, segregation_of

AID = "demo-2026-11-21"
BLOCK = int(DEMO_BLOCKS["ethereum"])
GENESIS = BLOCK - 10
DECIMALS = {a.symbol: a.decimals for a in DEMO_ASSETS}
#: Tether's mainnet contract address; its code is replaced by ``token_code`` on the node.
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

# --- wrapped tokens ----------------------------------------------------------------------
#: The contracts of the two wrapped tokens (digits only: no EIP-55 case to get right).
ZBTC, ZETH = "0x" + "20" * 19 + "01", "0x" + "20" * 19 + "02"
ZBTC_UNITS = 1_250_000_000  # 12.5 ZBTC at 8 decimals
ZETH_UNITS = 300_500_000_000_000_000_001  # 300.500000000000000001 ZETH at 18 decimals
WRAPPED_TOML = f"""
[[wrapped]]
symbol = "ZBTC"
origin = "BTC"
chain = "ethereum"
contract = "{ZBTC}"
decimals = 8
supply = "12.5"
block = {BLOCK}

[[wrapped]]
symbol = "ZETH"
origin = "ETH"
chain = "ethereum"
contract = "{ZETH}"
decimals = 18
supply = "300.500000000000000001"
block = {BLOCK}
"""
#: Wallets beside the demo's six customer wallets: (chain, asset, label, role, balance).
#: The collateral covers each token 1:1 (ETH at 9 decimals: 300.500000001 >= the supply).
SEGREGATED = (
    ("bitcoin", "BTC", "zbtc-vault", "wrapped:ZBTC", 1_250_000_000),
    ("ethereum", "ETH", "zeth-vault", "wrapped:ZETH", 300_500_000_001),
    ("ethereum", "ETH", "eth-fund", PROTECTION_FUND, 50_000_000_000),
    ("ethereum", "USDT", "usdt-corporate", CORPORATE, 1_000_000),
)


def token_code(decimals: int) -> str:
    """Return the runtime bytecode of a minimal ERC-20: ``decimals()`` returns the
    constant ``decimals``, ``balanceOf(h)`` storage slot h, ``totalSupply()`` slot 2^255
    (no 160-bit holder address can be that slot); any other call reverts.

    Reviewed byte by byte; the left column is each instruction's offset, and
    ``test_the_token_code_jumps_to_its_jumpdests`` checks the three jump targets."""
    ops = [
        "6000 35 60e0 1c",  # 00: selector = calldataload(0) >> 224
        "80 63313ce567 14 6027 57",  # 06: if selector == decimals(): jump 0x27
        "80 6370a08231 14 6032 57",  # 10: if selector == balanceOf(address): jump 0x32
        "6318160ddd 14 603f 57",  # 1a: if selector == totalSupply(): jump 0x3f
        "6000 80 fd",  # 23: anything else: revert(0, 0)
        f"5b 60{decimals:02x} 6000 52 6020 6000 f3",  # 27: mstore(0, decimals); return(0, 32)
        "5b 6004 35 54 6000 52 6020 6000 f3",  # 32: mstore(0, sload(calldataload(4))); return
        "5b 6001 60ff 1b 54 6000 52 6020 6000 f3",  # 3f: mstore(0, sload(1 << 255)); return
    ]
    return "0x" + "".join(ops).replace(" ", "")


#: The storage slot ``token_code`` reads ``totalSupply()`` from.
SUPPLY_SLOT = "0x" + f"{1 << 255:064x}"


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

    def set_total_supply(self, contract: str, amount: int) -> None:
        rpc(self.url, "anvil_setStorageAt", contract, SUPPLY_SLOT, "0x" + f"{amount:064x}")

    def set_code(self, contract: str, code: str) -> None:
        rpc(self.url, "anvil_setCode", contract, code)


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


def demo_wallets(
    balances: dict[str, int],
    blocks: dict[str, str] | None = None,
    role: str | None = CUSTOMER,
) -> list[Wallet]:
    """Return the demo's six reserve wallets, signed, with the given balances and blocks;
    ``role`` None signs the messages of attestations made before roles."""
    specs = [
        DemoWallet(
            chain,
            asset,
            label,
            balances[label],
            (blocks or {}).get(label, DEMO_BLOCKS[chain]),
            role,
        )
        for chain, asset, label, _ in DEMO_WALLETS
    ]
    return sign_test_wallets(AID, specs)


def segregated_wallets(blocks: dict[str, str] | None = None) -> list[Wallet]:
    """Return the six customer wallets and the ``SEGREGATED`` ones, signed."""
    specs = [
        DemoWallet(
            chain, asset, label, balance, (blocks or {}).get(label, DEMO_BLOCKS[chain]), role
        )
        for chain, asset, label, role, balance in SEGREGATED
    ]
    return demo_wallets(BALANCES, blocks) + sign_test_wallets(AID, specs)


def wrapped_tokens(tmp_path: Path, extra_toml: str = "") -> tuple[WrappedToken, ...]:
    """Return the wrapped tokens of the demo's zkpor.toml with ``WRAPPED_TOML`` (or
    ``extra_toml``) appended, as ``load_config`` reads them."""
    path = tmp_path / "zkpor.toml"
    path.write_text(config_toml(16, AID) + (extra_toml or WRAPPED_TOML))
    config = load_config(path)
    assert [a.symbol for a in config.assets] == list(DECIMALS)
    return config.wrapped


def write_attestation(
    folder: Path, wallets: list[Wallet], wrapped: Sequence[WrappedToken] = ()
) -> Path:
    """Write an attestation.json listing reserves.json, and reserves.json, into ``folder``:
    the customer reserves and the ``segregation`` section are what the signed wallets hold
    per role (none for wallets made before roles), as the pipeline writes them."""
    reserves = json.dumps(reserves_to_json(AID, wallets, DECIMALS), indent=1).encode()
    has_roles = wallets[0].role is not None
    assets = tuple(AssetLiability(s, d, 1, 0) for s, d in DECIMALS.items())
    origins = {w.symbol: w.origin for w in wrapped} if has_roles else None
    totals = wallet_totals(AID, assets, wallets, NaclBackend(), origins)
    held = {a.symbol: totals.get((CUSTOMER, a.symbol), 0) for a in assets}
    assets = tuple(replace(a, liabilities=held[a.symbol], reserves=held[a.symbol]) for a in assets)
    manifest = Manifest(
        attestation_id=AID,
        issuer_name="Demo Exchange (synthetic data)",
        issuer_url="https://example.com",
        as_of="2026-11-21T00:00:00Z",
        assets=assets,
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
        segregation=segregation_of(totals, assets, wrapped) if has_roles else None,
    )
    check_reserves(manifest, json.loads(reserves), NaclBackend())  # zkpor verify's step 8
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "attestation.json").write_text(json.dumps(manifest.to_json(), indent=1))
    (folder / "reserves.json").write_bytes(reserves)
    return folder


def label_of(wallet: Wallet) -> str:
    """Return the demo key label of ``wallet``."""
    labels = [label for _, _, label, _ in DEMO_WALLETS] + [s[2] for s in SEGREGATED]
    return next(label for label in labels if demo_address(wallet.chain, label) == wallet.address)


def fund_demo(
    node: Node,
    wallets: list[Wallet],
    extra: dict[str, int] | None = None,
    supplies: dict[str, int] | None = None,
) -> None:
    """Give every EVM wallet exactly its declared balance, plus ``extra`` (by key label, in
    the smallest on-chain unit: wei, or 10^-6 USDT), deploy the wrapped tokens of
    ``supplies`` (contract -> totalSupply, each at its declared decimals), then mine to
    the stated block."""
    node.deploy_token(USDT, 6)
    for wallet in wallets:
        more = (extra or {}).get(label_of(wallet), 0)
        if wallet.asset == "ETH":
            node.fund(wallet.address, wallet.balance * 10**9 + more)
        elif wallet.asset == "USDT":
            node.set_token_balance(USDT, wallet.address, wallet.balance + more)
    for contract, supply in (supplies or {}).items():
        node.deploy_token(contract, {ZBTC: 8, ZETH: 18}[contract])
        node.set_total_supply(contract, supply)
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
    assert by_address[eth_cold.address] == (
        f"OK       ethereum ETH {eth_cold.address} (customer): declared 1687.584658617, "
        f"on chain 1687.584658617 — at block {BLOCK}"
    )
    assert "on chain 421.896164655000000001" in by_address[eth_hot.address]
    assert by_address[usdt.address].startswith("OK ")
    assert "declared 1769627.193891, on chain 1769627.193891" in by_address[usdt.address]
    skipped = [line for line in result.output.splitlines() if line.startswith("SKIP")]
    assert len(skipped) == 3 and all("not checked (no EVM RPC)" in s for s in skipped)
    assert result.output.splitlines()[-1] == (
        "PASSED: every checked wallet holds its declared balance (3 OK, 3 SKIP)"
    )

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
    assert {w["role"] for w in report["wallets"]} == {"customer"}
    assert report["wrapped"] == []  # no wrapped tokens declared


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
        f"MISMATCH ethereum ETH {eth_hot.address} (customer): declared 421.896164655, on chain "
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
        f"ERROR    ethereum ETH {eth_cold.address} (customer): declared 1687.584658617 — the "
        f"node is at "
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
    assert lines(result)[usdt.address].endswith(
        f"at block {BLOCK}: no contract at {empty} (no code at this block)"
    )


# --- wallet roles and wrapped tokens ---------------------------------------------------


def supply_line(result: Result, symbol: str) -> str:
    """Return the output line of the wrapped token ``symbol``."""
    return next(line for line in result.output.splitlines() if f" wrapped {symbol} " in line)


@pytest.mark.interop
def test_wrapped_supplies_as_declared_pass_and_every_wallet_names_its_role(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = segregated_wallets()
    fund_demo(node, wallets, supplies={ZBTC: ZBTC_UNITS, ZETH: ZETH_UNITS})
    folder = write_attestation(tmp_path / "attestation", wallets, wrapped_tokens(tmp_path))
    result = check(folder, node.url, "--token", f"USDT={USDT}")
    assert result.exit_code == 0, result.output
    by_address = lines(result)
    vault, fund, corporate = (
        next(w for w in wallets if label_of(w) == label)
        for label in ("zeth-vault", "eth-fund", "usdt-corporate")
    )
    # Collateral, protection-fund and corporate wallets are checked like any wallet.
    assert by_address[vault.address] == (
        f"OK       ethereum ETH {vault.address} (wrapped:ZETH): declared 300.500000001, "
        f"on chain 300.500000001 — at block {BLOCK}"
    )
    assert by_address[fund.address].startswith("OK ")
    assert f"{fund.address} (protection-fund): declared 50," in by_address[fund.address]
    assert (
        f"{corporate.address} (corporate): declared 1, on chain 1 " in by_address[corporate.address]
    )
    btc_vault = next(w for w in wallets if label_of(w) == "zbtc-vault")
    assert result.output.splitlines()[6].startswith(
        f"SKIP     bitcoin BTC {btc_vault.address} (wrapped:ZBTC): declared 12.5 — not checked"
    )
    assert supply_line(result, "ZBTC") == (
        f"OK       wrapped ZBTC ethereum {ZBTC}: declared supply 12.5, totalSupply() 12.5 — "
        f"at block {BLOCK}: totalSupply() and decimals() (8) as declared"
    )
    assert supply_line(result, "ZETH").startswith(
        "OK       wrapped ZETH ethereum "
        f"{ZETH}: declared supply 300.500000000000000001, totalSupply() 300.500000000000000001"
    )
    assert result.output.splitlines()[-1] == (
        "PASSED: every checked wallet holds its declared balance and every checked wrapped "
        "token has its declared supply (6 OK, 4 SKIP; wrapped token supplies: 2 OK)"
    )

    report = json.loads(check(folder, node.url, "--json").output)
    assert report["passed"] is True
    roles = {
        label_of(next(w for w in wallets if w.address == r["address"])): r["role"]
        for r in report["wallets"]
    }
    assert roles["zbtc-vault"] == "wrapped:ZBTC" and roles["eth-fund"] == "protection-fund"
    assert roles["usdt-corporate"] == "corporate" and roles["eth-cold"] == "customer"
    assert report["wrapped"] == [
        {
            "status": "OK",
            "symbol": "ZBTC",
            "origin": "BTC",
            "chain": "ethereum",
            "contract": ZBTC,
            "block": BLOCK,
            "decimals": 8,
            "on_chain_decimals": 8,
            "declared": "12.5",
            "on_chain": "12.5",
            "detail": f"at block {BLOCK}: totalSupply() and decimals() (8) as declared",
        },
        {
            "status": "OK",
            "symbol": "ZETH",
            "origin": "ETH",
            "chain": "ethereum",
            "contract": ZETH,
            "block": BLOCK,
            "decimals": 18,
            "on_chain_decimals": 18,
            "declared": "300.500000000000000001",
            "on_chain": "300.500000000000000001",
            "detail": f"at block {BLOCK}: totalSupply() and decimals() (18) as declared",
        },
    ]


@pytest.mark.interop
@pytest.mark.parametrize(
    ("on_chain", "shown", "reason"),
    [
        (
            ZBTC_UNITS + 1,
            "12.50000001",
            "0.00000001 ZBTC more than the declared 12.5: the attestation under-states the "
            "token's liabilities (its collateral is measured against the smaller declared "
            "supply)",
        ),
        (
            ZBTC_UNITS - 250_000_000,
            "10",
            "2.5 ZBTC less than the declared 12.5: the declared supply is false, if not to the "
            "holders' harm (fewer tokens were issued than it states)",
        ),
    ],
    ids=["more-issued-than-declared", "less-issued-than-declared"],
)
def test_a_declared_supply_other_than_total_supply_is_a_mismatch(
    tmp_path: Path, start_node: Callable[..., Node], on_chain: int, shown: str, reason: str
) -> None:
    node = start_node()
    wallets = segregated_wallets()
    fund_demo(node, wallets, supplies={ZBTC: on_chain, ZETH: ZETH_UNITS})
    folder = write_attestation(tmp_path / "attestation", wallets, wrapped_tokens(tmp_path))
    result = check(folder, node.url)
    assert result.exit_code == 1, result.output
    assert supply_line(result, "ZBTC") == (
        f"MISMATCH wrapped ZBTC ethereum {ZBTC}: declared supply 12.5, totalSupply() {shown} "
        f"— at block {BLOCK}: totalSupply() is {shown}, {reason}"
    )
    assert supply_line(result, "ZETH").startswith("OK ")
    assert result.output.splitlines()[-1] == (
        "FAILED: 4 OK, 6 SKIP; wrapped token supplies: 1 OK, 1 MISMATCH"
    )
    report = json.loads(check(folder, node.url, "--json").output)
    zbtc = report["wrapped"][0]
    assert (zbtc["status"], zbtc["declared"], zbtc["on_chain"]) == ("MISMATCH", "12.5", shown)
    assert report["passed"] is False


@pytest.mark.interop
def test_the_supply_at_the_stated_block_counts_not_a_later_one(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = segregated_wallets()
    fund_demo(node, wallets, supplies={ZBTC: ZBTC_UNITS, ZETH: ZETH_UNITS})
    # anvil_setStorageAt changes the state of the head block itself: mine past the stated
    # block first, so that the minting lands after it.
    node.mine_to(BLOCK + 1)
    node.set_total_supply(ZBTC, 2 * ZBTC_UNITS)  # minted after the stated block
    node.mine_to(BLOCK + 2)
    tokens = wrapped_tokens(tmp_path)
    result = check(write_attestation(tmp_path / "at-stated-block", wallets, tokens), node.url)
    assert result.exit_code == 0, result.output
    assert supply_line(result, "ZBTC").startswith("OK ")
    # The same claim stated at the later block meets the minted supply: the node was asked
    # at the stated block, and the change is really there.
    later = tuple(replace(t, block=BLOCK + 2) if t.symbol == "ZBTC" else t for t in tokens)
    result = check(write_attestation(tmp_path / "at-later-block", wallets, later), node.url)
    assert result.exit_code == 1
    assert supply_line(result, "ZBTC").endswith(
        f"at block {BLOCK + 2}: totalSupply() is 25, 12.5 ZBTC more than the declared 12.5: "
        "the attestation under-states the token's liabilities (its collateral is measured "
        "against the smaller declared supply)"
    )


@pytest.mark.interop
def test_decimals_other_than_declared_are_a_mismatch(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = segregated_wallets()
    fund_demo(node, wallets, supplies={ZBTC: ZBTC_UNITS, ZETH: ZETH_UNITS})
    # The same 12.5 tokens, but the contract counts them at 18 decimals, not 8.
    node.set_code(ZBTC, token_code(18))
    node.set_total_supply(ZBTC, 125 * 10**17)
    node.mine_to(BLOCK + 1)
    tokens = tuple(replace(t, block=BLOCK + 1) for t in wrapped_tokens(tmp_path))
    result = check(write_attestation(tmp_path / "attestation", wallets, tokens), node.url)
    assert result.exit_code == 1, result.output
    assert supply_line(result, "ZBTC") == (
        f"MISMATCH wrapped ZBTC ethereum {ZBTC}: declared supply 12.5, totalSupply() 12.5 — "
        f"at block {BLOCK + 1}: decimals() is 18, not the declared 8: the declared supply "
        "is in other units than the token's"
    )
    zbtc = json.loads(check(tmp_path / "attestation", node.url, "--json").output)["wrapped"][0]
    assert (zbtc["status"], zbtc["decimals"], zbtc["on_chain_decimals"]) == ("MISMATCH", 8, 18)


@pytest.mark.interop
def test_a_token_without_code_a_revert_or_an_unreached_block_is_an_error(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = segregated_wallets()
    fund_demo(node, wallets, supplies={ZETH: ZETH_UNITS})  # nothing at ZBTC
    tokens = wrapped_tokens(tmp_path)
    folder = write_attestation(tmp_path / "no-code", wallets, tokens)
    result = check(folder, node.url)
    assert result.exit_code == 1, result.output
    assert supply_line(result, "ZBTC") == (
        f"ERROR    wrapped ZBTC ethereum {ZBTC}: declared supply 12.5 — at block {BLOCK}: "
        f"no contract at {ZBTC} (no code at this block)"
    )
    assert supply_line(result, "ZETH").startswith("OK ")
    assert result.output.splitlines()[-1] == (
        "FAILED: 4 OK, 6 SKIP; wrapped token supplies: 1 OK, 1 ERROR"
    )
    zbtc = json.loads(check(folder, node.url, "--json").output)["wrapped"][0]
    assert (zbtc["status"], zbtc["on_chain"], zbtc["on_chain_decimals"]) == ("ERROR", None, None)

    node.set_code(ZBTC, "0x600080fd")  # revert(0, 0), whatever is called
    node.set_code(ZETH, "0x00")  # STOP: code that returns nothing
    node.mine_to(BLOCK + 1)
    later = tuple(replace(t, block=BLOCK + 1) for t in tokens)
    result = check(write_attestation(tmp_path / "bad-code", wallets, later), node.url)
    assert result.exit_code == 1, result.output
    assert f"at block {BLOCK + 1}: the node refused eth_call: " in supply_line(result, "ZBTC")
    assert supply_line(result, "ZETH").endswith(
        f"at block {BLOCK + 1}: decimals() of {ZETH} returned nothing: not an ERC-20?"
    )
    assert supply_line(result, "ZBTC").startswith("ERROR ")

    ahead = tuple(replace(t, block=BLOCK + 100) for t in tokens)
    result = check(write_attestation(tmp_path / "ahead", wallets, ahead), node.url)
    assert supply_line(result, "ZBTC").endswith(
        f"— the node is at block {BLOCK + 1}, before the stated block {BLOCK + 100} (still "
        "syncing, or a wrong block height?)"
    )


@pytest.mark.interop
def test_wallets_signed_before_roles_are_customer_wallets(
    tmp_path: Path, start_node: Callable[..., Node]
) -> None:
    node = start_node()
    wallets = demo_wallets(BALANCES, role=None)
    fund_demo(node, wallets)
    folder = write_attestation(tmp_path / "attestation", wallets)
    assert "segregation" not in json.loads((folder / "attestation.json").read_text())
    result = check(folder, node.url)
    assert result.exit_code == 0, result.output
    eth_cold = next(w for w in wallets if w.asset == "ETH")
    assert (
        f"ethereum ETH {eth_cold.address} (customer): declared" in lines(result)[eth_cold.address]
    )
    assert "wrapped" not in result.output
    report = json.loads(check(folder, node.url, "--json").output)
    assert {w["role"] for w in report["wallets"]} == {None}  # as signed: no role
    assert report["wrapped"] == []


def test_a_wrapped_token_on_a_chain_without_an_evm_node_is_skipped_unasked() -> None:
    # No zkpor/1 manifest can name such a chain yet (segregation.wrapped[].chain is
    # ethereum only), so the rule is tested on the function the command calls.
    token = WrappedToken("ZSOL", "SOL", "solana", ZBTC, 9, 10**9, BLOCK, 10**9)
    nobody = JsonRpc(f"http://127.0.0.1:{free_port()}")  # nothing listens: never asked
    report = check_on_chain(nobody, Reserves([], DECIMALS, (token,)), {})
    assert [(r.status, r.detail) for r in report.supplies] == [("SKIP", "not checked (no EVM RPC)")]
    assert report.passed is False  # nothing was compared


def test_the_token_code_jumps_to_its_jumpdests() -> None:
    code = bytes.fromhex(token_code(8)[2:])
    jumps = [code[i + 1] for i in range(len(code) - 2) if code[i] == 0x60 and code[i + 2] == 0x57]
    assert jumps == [0x27, 0x32, 0x3F]
    assert all(code[target] == 0x5B for target in jumps)  # JUMPDEST


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
    assert "FAILED: nothing could be checked (3 SKIP)" in result.output


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
