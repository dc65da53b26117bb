"""``zkpor attest keygen``, ``sign``, ``message`` and ``add``: co-signing a published
attestation with a key file, or with a key that never leaves an HSM or a hardware wallet
(signed here with PyNaCl and py_ecc directly, as a device would, never through zkpor)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import Result
from nacl.signing import SigningKey, VerifyKey
from py_ecc.secp256k1 import secp256k1
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.security.segregated_attestation import segregated
from tests.security.vector_attestation import ALLOW, steps_of, verify
from verifier.cosign import SIGNATURES_INDEX, cosign_message, manifest_digest
from verifier.manifest import Cosigner, Manifest
from verifier.reserves import eip55, eip191_hash, evm_address

runner = CliRunner()


def test_keygen_then_sign_then_verify(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    for scheme, key in (("ed25519", tmp_path / "ed.key"), ("eip191", tmp_path / "evm.key")):
        made = runner.invoke(app, ["attest", "keygen", "--out", str(key), "--scheme", scheme])
        assert made.exit_code == 0, made.output
        assert os.stat(key).st_mode & 0o077 == 0  # a secret: private to its owner
        args = ["sign", str(folder), "--key", str(key), "--name", f"Auditor {scheme}"]
        signed = runner.invoke(app, ["attest", *args, "--scheme", scheme])
        assert signed.exit_code == 0, signed.output
    index = json.loads((folder / SIGNATURES_INDEX).read_text())
    assert len(index["signatures"]) == 2
    _, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[10]
    assert status == "OK" and "Auditor ed25519" in detail and "Auditor eip191" in detail


def test_signing_again_with_one_key_replaces_its_signature(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    key = tmp_path / "k"
    assert runner.invoke(app, ["attest", "keygen", "--out", str(key)]).exit_code == 0
    for name in ("Audit Co", "Audit Co Ltd"):
        result = runner.invoke(
            app, ["attest", "sign", str(folder), "--key", str(key), "--name", name]
        )
        assert result.exit_code == 0, result.output
    index = json.loads((folder / SIGNATURES_INDEX).read_text())["signatures"]
    assert len(index) == 1 and index[0].startswith("signatures/audit-co-ltd-")
    _, report = verify(folder, ALLOW)
    assert steps_of(report)[10][0] == "OK"


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_text("keep me\n")
    result = runner.invoke(app, ["attest", "keygen", "--out", str(key)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert key.read_text() == "keep me\n"


def test_bad_inputs_are_one_line_errors_and_write_nothing(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    key = tmp_path / "k"
    key.write_text("not a key\n")
    cases = [
        (["--key", str(key), "--name", "A"], "a key file holds one line: 64 hex digits"),
        (["--key", str(tmp_path / "none"), "--name", "A"], "cannot read the key file"),
    ]
    key2 = tmp_path / "k2"
    key2.write_text("00" * 32 + "\n")
    cases.append((["--key", str(key2), "--name", "A", "--scheme", "eip191"], "not a secp256k1"))
    good = tmp_path / "good"
    assert runner.invoke(app, ["attest", "keygen", "--out", str(good)]).exit_code == 0
    cases.append((["--key", str(good), "--name", "<b>x</b>"], "co-signer's name"))
    cases.append((["--key", str(good), "--name", "A", "--scheme", "rsa"], "unknown scheme"))
    for args, why in cases:
        result = runner.invoke(app, ["attest", "sign", str(folder), *args])
        assert result.exit_code == 2 and why in result.output, (args, result.output)
    assert not (folder / "signatures").exists()


def test_a_manifest_zkpor_would_not_write_is_not_signed(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    manifest = json.loads((folder / "attestation.json").read_text())
    manifest["note"] = "extra"
    (folder / "attestation.json").write_text(json.dumps(manifest))
    key = tmp_path / "k"
    assert runner.invoke(app, ["attest", "keygen", "--out", str(key)]).exit_code == 0
    result = runner.invoke(app, ["attest", "sign", str(folder), "--key", str(key), "--name", "A"])
    assert result.exit_code == 2 and "is not as zkpor writes it" in result.output, result.output


# --- a key that never leaves its device: `attest message`, then `attest add` ----------------

NAME = "Hardware Audit LLP"
#: Test keys of signers outside zkpor (never for real use).
ED_SEED = bytes(range(40, 72))
EVM_SECRET = bytes(range(80, 112))


def _message(folder: Path, name: str = NAME, *flags: str) -> bytes:
    """Return what `zkpor attest message` prints on stdout, and only that."""
    result = runner.invoke(app, ["attest", "message", str(folder), "--name", name, *flags])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def _ed25519(message: bytes, seed: bytes = ED_SEED) -> tuple[str, str]:
    """Sign as an Ed25519 HSM would: return the public key and signature, upper-case hex."""
    key = SigningKey(seed)
    return bytes(key.verify_key).hex().upper(), key.sign(message).signature.hex().upper()


def _personal_sign(message: bytes, secret: bytes = EVM_SECRET, v_offset: int = 27) -> str:
    """Sign as a wallet's personal_sign does: ECDSA over the EIP-191 hash, 0x r s v."""
    v, r, s = secp256k1.ecdsa_raw_sign(eip191_hash(message), secret)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27 + v_offset])
    return "0x" + raw.hex()


def _address(secret: bytes = EVM_SECRET) -> str:
    """Return the EIP-55 (mixed-case) address of ``secret``, as a wallet shows it."""
    x, y = secp256k1.privtopub(secret)
    return eip55(evm_address((int(x), int(y))))


def _add(folder: Path, scheme: str, key: str, signature: str, name: str = NAME) -> Result:
    args = ["--name", name, "--scheme", scheme, "--key", key, "--signature", signature]
    return runner.invoke(app, ["attest", "add", str(folder), *args])


def _written(folder: Path) -> dict[str, str]:
    """Return the one co-signature file the index lists."""
    [listed] = json.loads((folder / SIGNATURES_INDEX).read_text())["signatures"]
    doc: dict[str, str] = json.loads((folder / listed).read_text())
    return doc


def test_message_prints_exactly_the_bytes_sign_signs(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    printed = _message(folder)
    manifest = Manifest.from_json(json.loads((folder / "attestation.json").read_text()))
    assert printed == cosign_message(manifest.attestation_id, manifest_digest(manifest), NAME)
    assert printed.endswith(f"signer: {NAME}\n".encode())  # its own last newline, no other
    assert _message(folder, NAME, "--hex") == printed.hex().encode() + b"\n"
    key = tmp_path / "k"
    assert runner.invoke(app, ["attest", "keygen", "--out", str(key)]).exit_code == 0
    signed = runner.invoke(app, ["attest", "sign", str(folder), "--key", str(key), "--name", NAME])
    assert signed.exit_code == 0, signed.output
    doc = _written(folder)
    VerifyKey(bytes.fromhex(doc["key"])).verify(printed, bytes.fromhex(doc["signature"]))


def test_an_ed25519_signature_made_outside_zkpor_is_added_and_verifies(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    key, signature = _ed25519(_message(folder))
    added = _add(folder, "ed25519", key, signature)
    assert added.exit_code == 0, added.output
    doc = _written(folder)
    assert (doc["key"], doc["signature"]) == (key.lower(), signature.lower())
    _, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[10]
    assert status == "OK" and f"{NAME} (ed25519 key {key.lower()})" in detail, detail


def test_a_personal_sign_signature_is_added_and_verifies(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    printed, address = _message(folder), _address()
    assert address != address.lower()  # the checksummed spelling a wallet shows
    for v_offset in (27, 0):  # wallets write v as 27/28, some devices as 0/1
        added = _add(folder, "eip191", address, _personal_sign(printed, v_offset=v_offset))
        assert added.exit_code == 0, added.output
        assert _written(folder)["key"] == address.lower()
        _, report = verify(folder, ALLOW)
        status, detail = steps_of(report)[10]
        assert status == "OK" and f"{NAME} (eip191 key {address.lower()})" in detail, detail


def test_a_pinned_hardware_key_is_added_under_its_pinned_name(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a", [Cosigner(NAME, "eip191", _address().lower())])
    added = _add(folder, "eip191", _address(), _personal_sign(_message(folder)))
    assert added.exit_code == 0, added.output
    _, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[10]
    assert status == "OK" and "pinned" in detail and "not pinned" not in detail, detail


def _refused(folder: Path, result: Result, *why: str) -> None:
    """Assert a one-line refusal naming ``why``, with nothing written."""
    assert result.exit_code == 2, result.output
    assert result.output.strip().count("\n") == 0, result.output
    for reason in why:
        assert reason in result.output, (reason, result.output)
    assert not (folder / "signatures").exists()


def test_a_signature_over_other_bytes_or_by_another_key_is_refused(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    other = segregated(tmp_path / "b", [Cosigner("Someone", "ed25519", "ab" * 32)])
    mine, theirs = _message(folder), _message(other)
    assert mine != theirs  # another manifest, so another digest
    not_ed = "the Ed25519 signature does not verify for this key"
    cases = [
        (_add(folder, "ed25519", *_ed25519(_message(folder, "Other LLP"))), not_ed),
        (_add(folder, "ed25519", *_ed25519(theirs)), not_ed),
        (_add(folder, "ed25519", _ed25519(mine, bytes(32))[0], _ed25519(mine)[1]), not_ed),
    ]
    by = f"the signature is by {_address().lower()}, not by the key"
    another_key = _address(bytes(range(1, 33)))
    cases += [
        (_add(folder, "eip191", _address(), _personal_sign(theirs)), "not by the key"),
        (_add(folder, "eip191", _address(), _personal_sign(_message(folder, "X"))), "not by"),
        (_add(folder, "eip191", another_key, _personal_sign(mine)), by),
    ]
    for result, why in cases:
        _refused(folder, result, "the signature does not verify", why, "zkpor attest message")


def test_a_malformed_key_or_signature_is_refused(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    printed = _message(folder)
    key, signature = _ed25519(printed)
    good = _personal_sign(printed)
    address = _address()
    wrong_case = address[:2] + address[2:].swapcase()
    bad_v = good[:-2] + "1d"  # v = 29
    cases = [
        (_add(folder, "ed25519", key[:62], signature), "an Ed25519 public key is 64 hex"),
        (_add(folder, "ed25519", key, signature[:126]), "an Ed25519 signature is 128 hex"),
        (_add(folder, "ed25519", key, "zz" + signature[2:]), "an Ed25519 signature is 128 hex"),
        (_add(folder, "eip191", address, good[2:]), "0x followed by 130 hex digits"),
        (_add(folder, "eip191", address, good[:-2]), "0x followed by 130 hex digits"),
        (_add(folder, "eip191", address, good[:-1] + "g"), "not hexadecimal"),
        (_add(folder, "eip191", address, bad_v), "v must be 27 or 28"),
        (_add(folder, "eip191", wrong_case, good), "bad EIP-55 checksum"),
        (_add(folder, "eip191", address[:-1], good), "an EVM address is 0x followed by 40"),
        (_add(folder, "rsa", key, signature), "unknown scheme"),
        (_add(folder, "ed25519", key, signature, name="<b>x</b>"), "co-signer's name"),
    ]
    for result, why in cases:
        _refused(folder, result, why)


def test_a_key_the_manifest_does_not_pin_is_refused(tmp_path: Path) -> None:
    pinned_key = _ed25519(b"")[0].lower()
    folder = segregated(tmp_path / "a", [Cosigner(NAME, "ed25519", pinned_key)])
    printed = _message(folder)
    unpinned = _add(folder, "eip191", _address(), _personal_sign(printed))
    _refused(
        folder,
        unpinned,
        "`zkpor verify` would fail step 10",
        "by a key the manifest does not pin",
        f"pinned: {NAME} (ed25519 key {pinned_key})",
    )
    renamed = _add(folder, "ed25519", *_ed25519(_message(folder, "Other LLP")), name="Other LLP")
    _refused(folder, renamed, f"the manifest pins this key for {NAME}")


def test_message_and_add_refuse_a_manifest_zkpor_would_not_write(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    key, signature = _ed25519(_message(folder))
    manifest = json.loads((folder / "attestation.json").read_text())
    manifest["note"] = "extra"
    (folder / "attestation.json").write_text(json.dumps(manifest))
    printed = runner.invoke(app, ["attest", "message", str(folder), "--name", NAME])
    assert printed.exit_code == 2 and "is not as zkpor writes it" in printed.output
    assert printed.stdout_bytes == b""  # nothing a signer could be fed
    _refused(folder, _add(folder, "ed25519", key, signature), "is not as zkpor writes it")


def test_another_keys_co_signature_is_never_overwritten(tmp_path: Path) -> None:
    """Two keys whose file names collide (one name, the same first 8 hex digits of the
    key): the second key is refused and the first key's co-signature stays. A real
    32-bit prefix collision takes ~2^32 keys, so another key's co-signature is planted at
    the file name the second key would use."""
    from publisher.attest.cosign import CosignError, SigningKeyFile, cosign, signature_file

    folder = segregated(tmp_path / "a")
    first, _ = cosign(folder, SigningKeyFile("ed25519", bytes(range(32))), "Audit Co")
    second = SigningKeyFile("ed25519", bytes(32))
    taken = signature_file("Audit Co", second.public_key())
    (folder / taken).write_bytes((folder / first).read_bytes())
    index = {"format": "zkpor/1", "signatures": sorted([first, taken])}
    (folder / SIGNATURES_INDEX).write_text(json.dumps(index))
    with pytest.raises(CosignError, match="holds another key's co-signature"):
        cosign(folder, second, "Audit Co")
    assert json.loads((folder / SIGNATURES_INDEX).read_text()) == index
