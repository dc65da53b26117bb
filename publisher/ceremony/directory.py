"""The phase-2 setup ceremony of one circuit shape, as snarkjs ``.zkey`` files passed
between people.

A ceremony directory holds::

    ceremony.json        the header (verifier.ceremony.Header): circuit, ptau, the key
                         without delta (IC included), snarkjs's circuit hash; written by
                         ``init``, never changed
    circuit.r1cs         the circuit in iden3's format, for ``snarkjs zkey verify``
    params/0000.zkey     the initial key (snarkjs ``zkey new``, byte for byte)
    params/0001.zkey ..  the key after 1, 2, .. contributions (each file holds its own
                         records); only the latest is needed to go on

``init`` derives the initial zkey from a checked Powers of Tau file. ``contribute`` first
checks everything it builds on (``check_before_contributing``: header and latest zkey
against the ptau and the circuit), then multiplies delta by a fresh secret (OS
randomness, mixed with an optional user string) in snarkjs's format; the first
contribution's ``g1_s`` is the header's anchor point, which binds the header to every
later record. The secret is never written, printed or returned (Python cannot wipe
memory: run it on a machine you trust). ``add`` accepts a zkey made by
``snarkjs zkey contribute`` (or ``beacon``) on the latest one. ``beacon`` is the last,
public contribution. ``verify`` checks the whole zkey as ``snarkjs zkey verify`` does plus
the header; ``finalize`` verifies, then writes the final zkey, zkpor's proving key,
vk.json and ``transcript.json`` (what an attestation publishes as
``ceremony/transcript.json``). Anyone can run ``verify`` with the public ptau.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from publisher.ceremony import memo
from publisher.ceremony.phase2 import check_ic, check_params, public_ic
from publisher.ceremony.ptau import Phase1, load_phase1
from publisher.ceremony.zkey import Zkey, ZkeyError, parse_zkey, read_zkey, write_zkey
from publisher.ceremony.zkey_keys import proving_key_from_zkey, verifying_key_from_zkey
from publisher.ceremony.zkey_mpc import beacon as zkey_beacon
from publisher.ceremony.zkey_mpc import contribute as zkey_contribute
from publisher.ceremony.zkey_new import new_zkey
from publisher.ceremony.zkey_verify import verify_zkey
from publisher.files import write_atomic
from publisher.snark.batch2 import Batch2Shape, build_batch2
from publisher.snark.circuit import CircuitShape, build_batch_circuit
from publisher.snark.iden3 import write_r1cs
from publisher.snark.keys import Keys, ProvingKey
from publisher.snark.pairing import FAST_OPS
from publisher.snark.qap import domain_size
from publisher.snark.r1cs import ConstraintSystem, r1cs_digest
from verifier.book import circuit_id2
from verifier.ceremony import (
    SETUP_CEREMONY,
    TRANSCRIPT,
    CircuitInfo,
    Contribution,
    Final,
    Header,
    KeyBase,
    KeyMismatch,
    PtauInfo,
    Transcript,
    check_vk,
    header_anchor,
    header_from_json,
    parse_transcript,
    statement,
    verify_published,
    verify_transcript,
)
from verifier.ceremony_format import G2_GENERATOR
from verifier.errors import ZkporError
from verifier.groth16 import VerifyingKey
from verifier.manifest import MAX_BATCH_SIZE
from verifier.strict_json import loads

HEADER_FILE, R1CS_FILE = "ceremony.json", "circuit.r1cs"
PARAMS = "params"
#: What ``finalize`` writes.
PROVING_KEY_FILE, VK_FILE, TRANSCRIPT_FILE = "proving_key.pk", "vk.json", "transcript.json"
FINAL_ZKEY_FILE = "final.zkey"
_ZKEY_CACHE_VERSION = 1

Log = Callable[[str], None]


class CeremonyInputError(ZkporError):
    """The ceremony cannot go on: a missing or foreign file, a bad name or option."""


def _json_bytes(doc: object) -> bytes:
    return (json.dumps(doc, indent=1) + "\n").encode()


@dataclass(frozen=True)
class CeremonyDir:
    """The files of one ceremony directory."""

    root: Path

    @property
    def header_path(self) -> Path:
        return self.root / HEADER_FILE

    def params_path(self, index: int) -> Path:
        return self.root / PARAMS / f"{index:04d}.zkey"

    def header(self) -> Header:
        """Return the header written by ``init``."""
        if not self.header_path.exists():
            raise CeremonyInputError(f"{self.root} is not a ceremony: no {HEADER_FILE} (run init)")
        return header_from_json(loads(self.header_path.read_bytes()), HEADER_FILE)

    def latest_index(self) -> int:
        """Return k of the latest ``params/k.zkey`` (0001, 0002, .. without gaps)."""
        folder = self.root / PARAMS
        names = sorted(p.name for p in folder.glob("*.zkey")) if folder.exists() else []
        expected = [f"{k:04d}.zkey" for k in range(len(names))]
        if not names or names != expected:
            raise CeremonyInputError(
                f"{folder} must hold 0000.zkey, 0001.zkey, ... without gaps; found {names}"
            )
        return len(names) - 1

    def latest(self, header: Header) -> Zkey:
        """Return the latest zkey, refusing one that is not of this ceremony's chain."""
        index = self.latest_index()
        path = self.params_path(index)
        zkey = read_zkey(path)
        if zkey.cs_hash != header.cs_hash:
            raise KeyMismatch(f"{path} is for another circuit (its circuit hash differs)")
        if len(zkey.contributions) != index:
            raise KeyMismatch(
                f"{path} holds {len(zkey.contributions)} contributions, expected {index}"
            )
        return zkey

    def transcript(self) -> tuple[Transcript, Zkey]:
        """Return the transcript so far (not finalized) and the latest zkey."""
        header = self.header()
        zkey = self.latest(header)
        return Transcript(header, zkey.contributions), zkey


def circuit_for(header: Header) -> tuple[ConstraintSystem, CircuitShape]:
    """Return the batch circuit a ceremony header names (by its shape)."""
    if header.circuit.shape is None:
        raise CeremonyInputError("the ceremony names no batch circuit shape")
    shape = CircuitShape(*header.circuit.shape)
    return build_batch_circuit(shape), shape


#: A zkpor/2 batch circuit id (``verifier.book.circuit_id2``): it names the whole circuit.
_BOOK_ID = re.compile(
    r"zkpor2-a([1-9][0-9]{0,3})-t([1-8])-s([1-9][0-9]{0,3})-k([248])-d([0-9]{1,2})"
)


def book_circuit(circuit_id: str) -> ConstraintSystem | None:
    """Return the zkpor/2 batch circuit named ``circuit_id`` (its header has no shape:
    the id says everything), None if it is not a zkpor/2 id."""
    match = _BOOK_ID.fullmatch(circuit_id)
    if match is None:
        return None
    assets, tiers, slots, arity, depth = (int(g) for g in match.groups())
    if circuit_id2(assets, tiers, slots, arity, depth) != circuit_id:
        return None  # leading zeros: one spelling per circuit
    if arity**depth > MAX_BATCH_SIZE:
        raise CeremonyInputError(f"{circuit_id}: a batch of {arity}^{depth} is too large")
    try:
        shape = Batch2Shape(
            batch_size=arity**depth,
            max_assets=slots,
            registry_size=assets,
            tiers=tiers,
            arity=arity,
        )
    except ValueError as exc:
        raise CeremonyInputError(f"{circuit_id} is not a zkpor/2 circuit: {exc}") from exc
    return build_batch2(shape).cs


def header_circuit(header: Header) -> ConstraintSystem:
    """Return the circuit a ceremony header names: a zkpor/1 batch by its shape, a zkpor/2
    batch by its circuit id (``book_circuit``)."""
    if header.circuit.shape is None:
        cs = book_circuit(header.circuit.circuit_id)
        if cs is None:
            raise CeremonyInputError("the ceremony names no batch circuit shape")
        return cs
    return circuit_for(header)[0]


def _circuit_info(cs: ConstraintSystem, circuit_id: str, shape: CircuitShape | None) -> CircuitInfo:
    return CircuitInfo(
        circuit_id=circuit_id,
        r1cs_sha256=r1cs_digest(cs),
        n_public=cs.n_public,
        n_wires=cs.n_wires,
        domain_size=domain_size(cs),
        shape=None if shape is None else (shape.n_assets, shape.arity, shape.batch_depth),
    )


def _copy_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` so that readers see the whole file or none."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _initial_zkey(
    cs: ConstraintSystem, phase1: Phase1, ptau: Path, cache: Path | None, log: Log | None
) -> Zkey:
    """Return the initial zkey, reusing a copy kept in ``cache`` (by R1CS digest and
    phase-1 sha256) if any. A damaged copy cannot go unnoticed: contributors check the
    zkey against phase 1, ``init`` compares IC with an independent derivation, and
    ``verify``/``finalize`` recompute the initial zkey."""
    name = f"{r1cs_digest(cs)[:16]}-{phase1.sha256[:16]}-v{_ZKEY_CACHE_VERSION}.zkey"
    cached = None if cache is None else cache / name
    if cached is not None and cached.exists():
        if log:
            log(f"reusing the initial zkey derived earlier ({cached})")
        return read_zkey(cached)
    if log:
        log("deriving the initial zkey from phase 1 (snarkjs zkey new)")
    zkey = new_zkey(cs, phase1, ptau, log)
    if cached is not None:
        write_zkey(zkey, cached)
    return zkey


def _key_base(phase1: Phase1, cs: ConstraintSystem) -> KeyBase:
    """Return the key without delta that phase 1 gives for ``cs`` (zkpor's derivation)."""
    return KeyBase(phase1.alpha_g1, phase1.beta_g2, G2_GENERATOR, tuple(public_ic(cs, phase1)))


def init_ceremony(
    root: Path,
    ptau: Path,
    cs: ConstraintSystem,
    circuit_id: str,
    shape: CircuitShape | None = None,
    log: Log | None = None,
    params_cache: Path | None = None,
) -> Header:
    """Start a ceremony for ``cs`` in ``root`` from the phase-1 file ``ptau``.

    The initial zkey is a function of phase 1 and the circuit alone. With
    ``params_cache``, it is kept in that folder and reused by later ceremonies on the
    same phase 1 and circuit (``zkpor demo`` does).
    """
    folder = CeremonyDir(root)
    if folder.header_path.exists():
        raise CeremonyInputError(f"{root} already holds a ceremony")
    phase1 = load_phase1(ptau, domain_size(cs), log)
    zkey = _initial_zkey(cs, phase1, ptau, params_cache, log)
    header = Header(
        circuit=_circuit_info(cs, circuit_id, shape),
        ptau=PtauInfo(
            sha256=phase1.sha256,
            blake2b=phase1.blake2b,
            power=phase1.power,
            contributors=phase1.contributors,
            alpha_g1=phase1.alpha_g1,
            beta_g1=phase1.beta_g1,
            beta_g2=phase1.beta_g2,
        ),
        key=_key_base(phase1, cs),
        cs_hash=zkey.cs_hash,
    )
    # IC derived twice, independently (snarkjs's zkey new, zkpor's phase2): a damaged
    # cached zkey cannot slip into the header
    _check_zkey_key(zkey, header)
    write_r1cs(cs, root / R1CS_FILE)
    write_zkey(zkey, folder.params_path(0))
    write_atomic(folder.header_path, _json_bytes(header.to_json()))
    return header


def check_header(header: Header, cs: ConstraintSystem, phase1: Phase1) -> None:
    """Return None if the header is what phase 1 and the circuit give: R1CS, alpha, beta
    and the whole key without delta (IC recomputed). An honest contributor runs this
    before contributing: their secret then seals a key that is bound to the circuit."""
    if r1cs_digest(cs) != header.circuit.r1cs_sha256 or cs.n_wires != header.circuit.n_wires:
        raise KeyMismatch("the circuit is not the one the ceremony is for (R1CS digest)")
    if phase1.sha256 != header.ptau.sha256:
        raise KeyMismatch("the phase-1 file is not the one the ceremony names (sha256)")
    if (phase1.alpha_g1, phase1.beta_g1, phase1.beta_g2) != (
        header.ptau.alpha_g1,
        header.ptau.beta_g1,
        header.ptau.beta_g2,
    ):
        raise KeyMismatch("the header's alpha and beta are not those of the phase-1 file")
    if header.key != _key_base(phase1, cs):
        raise KeyMismatch(
            "the header's key (alpha, beta, gamma or IC) is not the one phase 1 gives for "
            "this circuit: do not contribute to it"
        )


def _check_zkey_key(zkey: Zkey, header: Header) -> None:
    """Return None if the zkey's key without delta is the header's."""
    key = header.key
    if (zkey.alpha_g1, zkey.beta_g2, zkey.gamma_g2, zkey.ic) != (
        key.alpha_g1,
        key.beta_g2,
        key.gamma_g2,
        key.ic,
    ):
        raise KeyMismatch("the zkey's alpha, beta, gamma or IC is not the ceremony header's")


def check_before_contributing(
    root: Path, ptau: Path, cs: ConstraintSystem | None = None, log: Log | None = None
) -> None:
    """Return None if the ceremony so far is sound to contribute to.

    The transcript chains from the header (anchor included; a ceremony under way may have
    no contribution yet), the header is what phase 1 and the circuit give
    (``check_header``: IC recomputed) and the latest zkey is the key phase 1 gives at the
    current delta (``phase2.check_params``: random combinations, no recomputation). A
    secret added to anything else could seal a forgeable key.
    """
    _checked_for_contributing(root, ptau, cs, log)


def _checked_for_contributing(
    root: Path, ptau: Path, cs: ConstraintSystem | None, log: Log | None
) -> tuple[Header, Zkey]:
    """``check_before_contributing``; return the header and latest zkey it checked."""
    folder = CeremonyDir(root)
    transcript, zkey = folder.transcript()
    header = transcript.header
    if log:
        log(f"checking the header and {len(transcript.contributions)} contributions so far")
    verify_transcript(transcript, ops=FAST_OPS, require_secret=False)
    if cs is None:
        cs = header_circuit(header)
    phase1 = load_phase1(ptau, header.circuit.domain_size, log, expected_sha256=header.ptau.sha256)
    check_header(header, cs, phase1)
    _check_zkey_key(zkey, header)
    if zkey.delta_g1 != transcript.delta_g1:
        raise KeyMismatch("the latest zkey's delta_1 is not its last contribution's")
    if log:
        log("checking the latest zkey against phase 1 and the current delta")
    pk = proving_key_from_zkey(zkey, cs, header.circuit.circuit_id)
    check_params(pk, cs, header.circuit.circuit_id, phase1, (zkey.delta_g1, zkey.delta_g2), log)
    return header, zkey


def _check_name(name: str) -> None:
    if not name or len(name) > 64 or not name.isprintable() or name != name.strip():
        raise CeremonyInputError(
            "a contributor name must be 1 to 64 printable characters, without surrounding spaces"
        )


def _next(folder: CeremonyDir) -> tuple[Header, Zkey]:
    """Return the header and the latest zkey, refusing to go past a beacon."""
    header = folder.header()
    zkey = folder.latest(header)
    _refuse_after_beacon(zkey)
    return header, zkey


def _refuse_after_beacon(zkey: Zkey) -> None:
    if zkey.contributions and zkey.contributions[-1].kind == "beacon":
        raise CeremonyInputError("the beacon was the last contribution: run finalize")


def _save_next(folder: CeremonyDir, zkey: Zkey) -> Contribution:
    write_zkey(zkey, folder.params_path(len(zkey.contributions)))
    return zkey.contributions[-1]


def contribute(
    root: Path,
    name: str,
    entropy: bytes = b"",
    log: Log | None = None,
    ptau: Path | None = None,
    cs: ConstraintSystem | None = None,
) -> Contribution:
    """Add a contribution by ``name`` with a fresh secret; return its record.

    With ``ptau`` (the CLI requires it), first checks the ceremony so far
    (``check_before_contributing``) and contributes to the very zkey it checked. The first
    contribution uses the header's anchor.
    """
    _check_name(name)
    folder = CeremonyDir(root)
    if ptau is not None:
        header, zkey = _checked_for_contributing(root, ptau, cs, log)
        _refuse_after_beacon(zkey)
    else:
        header, zkey = _next(folder)
    anchor = header_anchor(header) if not zkey.contributions else None
    if log:
        log(f"applying a fresh secret to {len(zkey.c_g1) + len(zkey.h_g1)} points")
    return _save_next(folder, zkey_contribute(zkey, name, entropy, log, g1_s=anchor))


def beacon(
    root: Path, name: str, value: bytes, iterations_exp: int, log: Log | None = None
) -> Contribution:
    """Add the final beacon contribution (snarkjs ``zkey beacon``), derived from the public
    ``value`` hashed 2^``iterations_exp`` times."""
    _check_name(name)
    folder = CeremonyDir(root)
    _, zkey = _next(folder)
    if not zkey.contributions:
        raise CeremonyInputError(
            "the first contribution must be a secret one made with zkpor (it binds the "
            "header); the beacon comes last"
        )
    try:
        return _save_next(folder, zkey_beacon(zkey, name, value, iterations_exp, log))
    except ZkeyError as exc:
        raise CeremonyInputError(str(exc)) from exc


def add_zkey(root: Path, path: Path, log: Log | None = None) -> Contribution:
    """Accept a zkey made from the latest one by another tool (``snarkjs zkey contribute``
    or ``beacon``): it must hold the latest zkey's records and exactly one more, which
    checks (``verifier.mpc``); its points are checked by the next contributor and by
    ``verify``/``finalize``. Return the new record."""
    folder = CeremonyDir(root)
    header, latest = _next(folder)
    new = parse_zkey(path.read_bytes(), str(path))
    if new.cs_hash != header.cs_hash:
        raise KeyMismatch(f"{path} is for another circuit (its circuit hash differs)")
    if (
        new.contributions[:-1] != latest.contributions
        or len(new.contributions) != len(latest.contributions) + 1
    ):
        raise KeyMismatch(
            f"{path} is not the latest zkey ({len(latest.contributions)} contributions) plus "
            "one contribution"
        )
    _check_zkey_key(new, header)
    transcript = Transcript(header, new.contributions)
    if log:
        log("checking the new contribution")
    verify_transcript(transcript, ops=FAST_OPS, require_secret=False)
    if new.delta_g1 != transcript.delta_g1:
        raise KeyMismatch(f"{path}: its delta_1 is not its last contribution's")
    _copy_atomic(path, folder.params_path(len(new.contributions)))
    return new.contributions[-1]


@dataclass(frozen=True)
class _Verified:
    """What a successful verification read: kept so that finalize reads nothing twice."""

    transcript: Transcript
    cs: ConstraintSystem
    phase1: Phase1
    zkey: Zkey
    path: Path


def _verify(root: Path, ptau: Path, cs: ConstraintSystem | None, log: Log | None) -> _Verified:
    folder = CeremonyDir(root)
    transcript, zkey = folder.transcript()
    header = transcript.header
    if log:
        log(f"checking {len(transcript.contributions)} contributions and the anchor")
    verify_transcript(transcript, ops=FAST_OPS)
    if cs is None:
        cs = header_circuit(header)
    phase1 = load_phase1(ptau, header.circuit.domain_size, log, expected_sha256=header.ptau.sha256)
    check_header(header, cs, phase1)
    _check_zkey_key(zkey, header)
    verify_zkey(zkey, cs, phase1, ptau, log)
    return _Verified(transcript, cs, phase1, zkey, folder.params_path(folder.latest_index()))


def verify_ceremony(
    root: Path, ptau: Path, cs: ConstraintSystem | None = None, log: Log | None = None
) -> Transcript:
    """Return the transcript of ``root`` once everything in it checks out.

    1. the transcript: header key, anchor, every contribution (snarkjs's checks), one
       secret contribution at least (``verifier.ceremony.verify_transcript``);
    2. the phase-1 file is the header's (sha256) and passes every check of
       ``publisher.ceremony.ptau``; the circuit (rebuilt from the header's shape unless given)
       has the header's R1CS, and the header's key (alpha, beta, gamma, IC) is the one
       they give (``check_header``);
    3. the latest zkey is the initial one (recomputed) after its contributions, as
       ``snarkjs zkey verify circuit.r1cs ptau latest.zkey`` checks it
       (``publisher.ceremony.zkey_verify.verify_zkey``).
    """
    return _verify(root, ptau, cs, log).transcript


def finalize(
    root: Path, ptau: Path, out: Path, cs: ConstraintSystem | None = None, log: Log | None = None
) -> Transcript:
    """Verify the ceremony, then write to ``out``: the final zkey, zkpor's proving key,
    vk.json, transcript.json and circuit.r1cs.

    Refuses a ceremony with no secret contribution (``verify_transcript`` does).
    """
    checked = _verify(root, ptau, cs, log)
    transcript = checked.transcript
    vk = verifying_key_from_zkey(checked.zkey)
    check_vk(transcript, vk, ops=FAST_OPS)
    pk = proving_key_from_zkey(checked.zkey, checked.cs, transcript.header.circuit.circuit_id)
    final = Final(memo.file_sha256(checked.path))
    finalized = Transcript(transcript.header, transcript.contributions, final)
    out.mkdir(parents=True, exist_ok=True)
    _copy_atomic(checked.path, out / FINAL_ZKEY_FILE)
    _copy_atomic(Path(root) / R1CS_FILE, out / R1CS_FILE)
    pk.save(out / PROVING_KEY_FILE)
    write_atomic(out / VK_FILE, _json_bytes(vk.to_json()))
    write_atomic(out / TRANSCRIPT_FILE, _json_bytes(finalized.to_json()))
    memo.forget()  # the ceremony is over: what its steps shared is no longer needed
    return finalized


def check_published(
    transcript_bytes: bytes,
    vk: VerifyingKey,
    ptau: Path,
    cs: ConstraintSystem | None = None,
    log: Log | None = None,
) -> Transcript:
    """Return the transcript once a published one and its vk.json check out in full.

    What ``zkpor verify`` checks (``verifier.ceremony.verify_published``), plus what it
    cannot without the phase-1 file: the file is the transcript's (sha256) and passes
    every check, and the header's key and vk.json's IC are the ones it gives for the
    circuit.
    """
    transcript = verify_published(transcript_bytes, vk, ops=FAST_OPS)
    header = transcript.header
    if cs is None:
        cs = header_circuit(header)
    phase1 = load_phase1(ptau, header.circuit.domain_size, log, expected_sha256=header.ptau.sha256)
    check_header(header, cs, phase1)
    check_ic(vk, cs, phase1)
    return transcript


@dataclass(frozen=True)
class CeremonyKeys:
    """The output of ``finalize``, ready for ``zkpor prove``."""

    proving_key_path: Path
    verifying_key: VerifyingKey
    transcript: Transcript
    transcript_bytes: bytes

    @property
    def statement(self) -> str:
        """Return the trust statement for the manifest and the site."""
        return statement(self.transcript)


def load_ceremony_keys(out: Path, circuit_id: str | None = None) -> CeremonyKeys:
    """Return the finalized keys in ``out`` after the cheap checks that tie them together:
    the transcript checks out, vk.json is its output, the final zkey is the one it names
    and the proving key has its delta."""
    data = (out / TRANSCRIPT_FILE).read_bytes()
    transcript = parse_transcript(data)
    if circuit_id is not None and transcript.header.circuit.circuit_id != circuit_id:
        raise KeyMismatch(
            f"the ceremony in {out} is for circuit {transcript.header.circuit.circuit_id}, "
            f"not {circuit_id}"
        )
    verify_transcript(transcript, ops=FAST_OPS)
    vk = VerifyingKey.from_json(json.loads((out / VK_FILE).read_text()))
    check_vk(transcript, vk, ops=FAST_OPS)
    if transcript.final is None:
        raise KeyMismatch(f"{out / TRANSCRIPT_FILE} was not finalized")
    if memo.file_sha256(out / FINAL_ZKEY_FILE) != transcript.final.zkey_sha256:
        raise KeyMismatch(f"{out / FINAL_ZKEY_FILE} is not the ceremony's final zkey")
    pk = ProvingKey.load(out / PROVING_KEY_FILE)
    if (pk.delta_g1, pk.delta_g2) != (transcript.delta_g1, vk.delta_g2):
        raise KeyMismatch(f"{out / PROVING_KEY_FILE} is not the ceremony's final key (delta)")
    return CeremonyKeys(out / PROVING_KEY_FILE, vk, transcript, data)


def keys_for_prove(out: Path) -> Callable[[CircuitShape], Keys]:
    """Return a ``keys_for`` of ``prove_attestation`` serving the finalized keys in ``out``,
    with the transcript the attestation publishes (``published_files``).

    The keys are checked as ``load_ceremony_keys`` does, for the shape asked for.
    """

    def keys_for(shape: CircuitShape) -> Keys:
        keys = load_ceremony_keys(out, shape.circuit_id)
        return Keys(
            keys.proving_key_path,
            keys.verifying_key,
            SETUP_CEREMONY,
            keys.statement,
            published=published_files(out),
        )

    return keys_for


def published_files(out: Path) -> dict[str, bytes]:
    """Return the files an attestation made with the keys in ``out`` publishes, by name."""
    return {TRANSCRIPT: (out / TRANSCRIPT_FILE).read_bytes()}


#: The name of the extra ``zkpor verify --ptau`` step.
PTAU_STEP_NAME = "key from phase 1 (--ptau)"


def check_key_with_ptau(read: Callable[[str], bytes], ptau: Path, log: Log | None = None) -> str:
    """Return a detail once the attestation's vk.json is the key ``ptau`` gives.

    ``zkpor verify --ptau``: what the browser cannot check without the phase-1 file.
    The file must be the transcript's (sha256) and pass every check; the circuit is
    rebuilt from the header's shape; IC, alpha and beta are recomputed and compared with
    the header and vk.json (``check_published``).
    """
    try:
        data = read(TRANSCRIPT)
        vk_doc = loads(read(VK_FILE))
    except OSError as exc:
        raise CeremonyInputError(f"cannot read the ceremony's files: {exc}") from exc
    if not isinstance(vk_doc, dict):
        raise CeremonyInputError("vk.json is not a JSON object")
    transcript = check_published(data, VerifyingKey.from_json(vk_doc), ptau, log=log)
    return (
        f"IC, alpha and beta of vk.json are those {ptau.name} (sha256 "
        f"{transcript.header.ptau.sha256[:16]}…) gives for circuit "
        f"{transcript.header.circuit.circuit_id}"
    )
