"""The phase-2 setup ceremony of one circuit shape, as files passed between people.

A ceremony directory holds::

    ceremony.json              the header (verifier.ceremony.Header): circuit, ptau, initial
                               params sha256; written by ``init``, never changed
    contributions/0001.json    one small record per contribution, naming its contributor
    params/0000.params         the full keys after each step (ProvingKey files; big);
    params/0001.params ...     only the latest is needed to go on

``init`` derives the initial params (delta = 1) from a checked Powers of Tau file.
``contribute`` multiplies delta by a fresh secret ``d`` (OS randomness, mixed with an
optional user string) and writes the next params and record; ``d`` is never written,
printed or returned, and is dropped when the function returns (Python cannot wipe
memory: run it on a machine you trust). ``beacon`` is the last, public contribution.
``verify`` checks the transcript, the phase-1 file and the latest params (see
``verify_ceremony``); ``finalize`` verifies, then writes the proving key, vk.json and
``transcript.json`` (what an attestation publishes as ``ceremony/transcript.json``).
Any contributor, and anyone later, can run ``verify`` with the public ptau.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from publisher.circuit import CircuitShape, build_batch_circuit
from publisher.files import write_atomic
from publisher.keys import KEY_FORMAT, ProvingKey
from publisher.pairing import FAST_OPS
from publisher.phase2 import (
    apply_secret,
    check_ic,
    check_params,
    initial_params,
    prove_knowledge,
    public_ic,
    verifying_key,
)
from publisher.pipeline import Keys
from publisher.ptau import Phase1, load_phase1
from publisher.qap import domain_size
from publisher.r1cs import ConstraintSystem, r1cs_digest
from verifier.ceremony import (
    MAX_NAME,
    SETUP_CEREMONY,
    TRANSCRIPT,
    Beacon,
    CircuitInfo,
    Contribution,
    Final,
    Header,
    KeyBase,
    KeyMismatch,
    PtauInfo,
    Transcript,
    challenges,
    check_vk,
    contribution_from_json,
    header_from_json,
    parse_transcript,
    statement,
    verify_published,
    verify_transcript,
    vk_sha256,
)
from verifier.ceremony_crypto import MAX_BEACON_EXP, beacon_secrets
from verifier.ceremony_format import G2_GENERATOR
from verifier.errors import ZkporError
from verifier.field import R
from verifier.groth16 import VerifyingKey
from verifier.strict_json import loads

HEADER_FILE = "ceremony.json"
CONTRIBUTIONS = "contributions"
PARAMS = "params"
#: What ``finalize`` writes.
PROVING_KEY_FILE, VK_FILE, TRANSCRIPT_FILE = "proving_key.pk", "vk.json", "transcript.json"

Log = Callable[[str], None]


class CeremonyInputError(ZkporError):
    """The ceremony cannot go on: a missing or foreign file, a bad name or option."""


def sha256_file(path: Path) -> str:
    """Return the sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _json_bytes(doc: object) -> bytes:
    return (json.dumps(doc, indent=1) + "\n").encode()


def _save_params(pk: ProvingKey, path: Path) -> str:
    """Write params atomically and return their sha256."""
    pk.save(path)
    return sha256_file(path)


@dataclass(frozen=True)
class CeremonyDir:
    """The files of one ceremony directory."""

    root: Path

    @property
    def header_path(self) -> Path:
        return self.root / HEADER_FILE

    def record_path(self, index: int) -> Path:
        return self.root / CONTRIBUTIONS / f"{index:04d}.json"

    def params_path(self, index: int) -> Path:
        return self.root / PARAMS / f"{index:04d}.params"

    def header(self) -> Header:
        """Return the header written by ``init``."""
        if not self.header_path.exists():
            raise CeremonyInputError(f"{self.root} is not a ceremony: no {HEADER_FILE} (run init)")
        return header_from_json(loads(self.header_path.read_bytes()), HEADER_FILE)

    def records(self) -> list[Contribution]:
        """Return the contribution records 1, 2, ... (no gap allowed)."""
        folder = self.root / CONTRIBUTIONS
        names = sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []
        expected = [f"{k:04d}.json" for k in range(1, len(names) + 1)]
        if names != expected:
            raise CeremonyInputError(
                f"{folder} must hold 0001.json, 0002.json, ... without gaps; found {names}"
            )
        return [
            contribution_from_json(loads(self.record_path(k).read_bytes()), f"{name}")
            for k, name in enumerate(names, 1)
        ]

    def transcript(self) -> Transcript:
        """Return the transcript so far (not finalized)."""
        return Transcript(self.header(), tuple(self.records()))

    def latest_params(self, transcript: Transcript) -> Path:
        """Return the params of the last step, refusing a file the transcript did not make."""
        path = self.params_path(len(transcript.contributions))
        if not path.exists():
            raise CeremonyInputError(f"{path} is missing: copy the latest params there")
        if sha256_file(path) != transcript.params_sha256:
            raise KeyMismatch(
                f"{path} is not the params the last step produced (its sha256 differs "
                "from the transcript's)"
            )
        return path


def circuit_for(header: Header) -> tuple[ConstraintSystem, CircuitShape]:
    """Return the batch circuit a ceremony header names (by its shape)."""
    if header.circuit.shape is None:
        raise CeremonyInputError("the ceremony names no batch circuit shape")
    shape = CircuitShape(*header.circuit.shape)
    return build_batch_circuit(shape), shape


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


def _initial_params(
    path: Path,
    cs: ConstraintSystem,
    circuit_id: str,
    phase1: Phase1,
    cache: Path | None,
    log: Log | None,
) -> str:
    """Write the initial params to ``path`` and return their sha256, reusing a copy kept
    in ``cache`` (by phase-1 sha256, R1CS digest, circuit id and key format) if any."""
    name = f"{circuit_id}-{r1cs_digest(cs)[:16]}-{phase1.sha256[:16]}-v{KEY_FORMAT}.params"
    cached = None if cache is None else cache / name
    if cached is not None and cached.exists():
        if log:
            log(f"reusing the initial params derived earlier ({cached})")
        _copy_atomic(cached, path)
        return sha256_file(path)
    if log:
        log("deriving the initial params from phase 1")
    pk, _ = initial_params(cs, circuit_id, phase1, log)
    digest = _save_params(pk, path)
    if cached is not None:
        _copy_atomic(path, cached)
    return digest


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

    The initial params are a function of phase 1 and the circuit alone. With
    ``params_cache``, they are kept in that folder and reused by later ceremonies on the
    same phase 1 and circuit (``zkpor demo`` does): a damaged copy cannot go unnoticed,
    since ``verify`` and ``finalize`` check every point of the params a ceremony ends
    with against phase 1, and ``verify --rederive`` the initial params' hash.
    """
    folder = CeremonyDir(root)
    if folder.header_path.exists():
        raise CeremonyInputError(f"{root} already holds a ceremony")
    phase1 = load_phase1(ptau, domain_size(cs), log)
    digest = _initial_params(folder.params_path(0), cs, circuit_id, phase1, params_cache, log)
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
        key=KeyBase(phase1.alpha_g1, phase1.beta_g2, G2_GENERATOR, tuple(public_ic(cs, phase1))),
        initial_params_sha256=digest,
    )
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
    expected = KeyBase(phase1.alpha_g1, phase1.beta_g2, G2_GENERATOR, tuple(public_ic(cs, phase1)))
    if header.key != expected:
        raise KeyMismatch(
            "the header's key (alpha, beta, gamma or IC) is not the one phase 1 gives for "
            "this circuit: do not contribute to it"
        )


def fresh_secret(entropy: bytes = b"") -> int:
    """Return a secret in [1, r) from 64 bytes of OS randomness mixed with ``entropy``."""
    while True:
        seed = os.urandom(64) + len(entropy).to_bytes(8, "big") + entropy
        d = int.from_bytes(hashlib.blake2b(seed, person=b"zkpor-ceremony").digest(), "big") % R
        if d:
            return d


def _check_name(name: str) -> None:
    if not name or len(name) > MAX_NAME or not name.isprintable() or name != name.strip():
        raise CeremonyInputError(
            f"a contributor name must be 1 to {MAX_NAME} printable characters, "
            "without surrounding spaces"
        )


def _next_step(folder: CeremonyDir, name: str) -> tuple[Transcript, ProvingKey]:
    """Return the transcript so far and the latest params, refusing to go past a beacon."""
    _check_name(name)
    transcript = folder.transcript()
    if transcript.contributions and transcript.contributions[-1].beacon is not None:
        raise CeremonyInputError("the beacon was the last contribution: run finalize")
    path = folder.latest_params(transcript)
    pk = ProvingKey.load(path)
    if (pk.delta_g1, pk.delta_g2) != (transcript.delta_g1, transcript.delta_g2):
        raise KeyMismatch(f"{path}: its delta is not the transcript's")
    return transcript, pk


def check_before_contributing(
    root: Path, ptau: Path, cs: ConstraintSystem | None = None, log: Log | None = None
) -> None:
    """Return None if the ceremony so far is sound to contribute to.

    The transcript chains (a ceremony under way may have no contribution yet), the
    header is what phase 1 and the circuit give (``check_header``: IC recomputed) and the
    latest params are the key phase 1 gives at the current delta. A secret added to
    anything else could seal a forgeable key.
    """
    folder = CeremonyDir(root)
    transcript = folder.transcript()
    header = transcript.header
    if log:
        log(f"checking the header and {len(transcript.contributions)} contributions so far")
    verify_transcript(transcript, ops=FAST_OPS, require_secret=False)
    if cs is None:
        cs, _ = circuit_for(header)
    phase1 = load_phase1(ptau, header.circuit.domain_size, log, expected_sha256=header.ptau.sha256)
    check_header(header, cs, phase1)
    path = folder.latest_params(transcript)
    if log:
        log(f"checking {path.name} against phase 1 and the current delta")
    pk = ProvingKey.load(path)
    delta = (transcript.delta_g1, transcript.delta_g2)
    check_params(pk, cs, header.circuit.circuit_id, phase1, delta, log)


def _contribute_with(
    folder: CeremonyDir,
    name: str,
    secret: Callable[[Transcript], tuple[int, int, Beacon | None]],
    log: Log | None,
    ptau: Path | None = None,
    cs: ConstraintSystem | None = None,
) -> Contribution:
    """Apply one contribution whose (d, t, beacon) ``secret`` returns; write its files.

    With ``ptau``, first checks everything it builds on (``check_before_contributing``).
    """
    _check_name(name)
    if ptau is not None:
        check_before_contributing(folder.root, ptau, cs, log)
    transcript, pk = _next_step(folder, name)
    index = len(transcript.contributions) + 1
    d, t, beacon = secret(transcript)
    if log:
        log(f"applying the secret to {len(pk.l_g1) + len(pk.h_g1)} points")
    after = apply_secret(pk, d)
    challenge = challenges(transcript.header, transcript.contributions)[-1]
    pok = prove_knowledge(d, t, challenge, name)
    del d, t
    record = Contribution(
        index=index,
        name=name,
        params_before=transcript.params_sha256,
        params_after=_save_params(after, folder.params_path(index)),
        delta_g1=after.delta_g1,
        delta_g2=after.delta_g2,
        pok=pok,
        beacon=beacon,
    )
    write_atomic(folder.record_path(index), _json_bytes(record.to_json()))
    return record


def contribute(
    root: Path,
    name: str,
    entropy: bytes = b"",
    log: Log | None = None,
    ptau: Path | None = None,
    cs: ConstraintSystem | None = None,
) -> Contribution:
    """Add a contribution by ``name`` with a fresh secret; return its record.

    Pass ``ptau`` (the CLI requires it) to check the ceremony before contributing.
    """
    return _contribute_with(
        CeremonyDir(root),
        name,
        lambda _: (fresh_secret(entropy), 1 + secrets.randbelow(R - 1), None),
        log,
        ptau,
        cs,
    )


def beacon(
    root: Path, name: str, value: bytes, iterations_exp: int, log: Log | None = None
) -> Contribution:
    """Add the final beacon contribution, derived from the public ``value``."""
    if not 0 <= iterations_exp <= MAX_BEACON_EXP:
        raise CeremonyInputError(f"the iteration exponent must be in [0, {MAX_BEACON_EXP}]")
    if not 1 <= len(value) <= 256:
        raise CeremonyInputError("the beacon value must be 1 to 256 bytes")

    def secret(_: Transcript) -> tuple[int, int, Beacon]:
        if log:
            log(f"hashing the beacon 2^{iterations_exp} times")
        d, t = beacon_secrets(value, iterations_exp)
        return d, t, Beacon(value, iterations_exp)

    return _contribute_with(CeremonyDir(root), name, secret, log)


@dataclass(frozen=True)
class _Verified:
    """What a successful verification read: kept so that finalize reads nothing twice."""

    transcript: Transcript
    cs: ConstraintSystem
    phase1: Phase1
    params: Path
    pk: ProvingKey


def _verify(
    root: Path, ptau: Path, cs: ConstraintSystem | None, rederive: bool, log: Log | None
) -> _Verified:
    folder = CeremonyDir(root)
    transcript = folder.transcript()
    header = transcript.header
    if log:
        log(f"checking {len(transcript.contributions)} contributions")
    verify_transcript(transcript, ops=FAST_OPS)
    if cs is None:
        cs, _ = circuit_for(header)
    phase1 = load_phase1(ptau, header.circuit.domain_size, log, expected_sha256=header.ptau.sha256)
    check_header(header, cs, phase1)
    path = folder.latest_params(transcript)
    if log:
        log(f"checking {path.name} against phase 1 and the final delta")
    pk = ProvingKey.load(path)
    delta = (transcript.delta_g1, transcript.delta_g2)
    check_params(pk, cs, header.circuit.circuit_id, phase1, delta, log)
    if rederive:
        if log:
            log("re-deriving the initial params")
        initial, _ = initial_params(cs, header.circuit.circuit_id, phase1, log)
        scratch = folder.root / PARAMS / ".rederived.params"
        try:
            if _save_params(initial, scratch) != header.initial_params_sha256:
                raise KeyMismatch("the initial params are not what phase 1 gives (sha256)")
        finally:
            scratch.unlink(missing_ok=True)
    return _Verified(transcript, cs, phase1, path, pk)


def verify_ceremony(
    root: Path,
    ptau: Path,
    cs: ConstraintSystem | None = None,
    rederive: bool = False,
    log: Log | None = None,
) -> Transcript:
    """Return the transcript of ``root`` once everything in it checks out.

    1. the transcript: record chain, proofs of knowledge, delta chain, beacon
       (``verifier.ceremony.verify_transcript``);
    2. the phase-1 file is the header's (sha256) and passes every check of
       ``publisher.ptau``; the circuit (rebuilt from the header's shape unless given)
       has the header's R1CS, and the header's key (alpha, beta, gamma, IC) is the one
       they give (``check_header``);
    4. the latest params are the file the last step produced (sha256) and are the key
       phase 1 gives for this circuit at the final delta (``phase2.check_params``);
    5. with ``rederive``, the initial params are re-derived and their sha256 compared
       (4 already checks every point of the latest params; this only ties the header's
       initial hash to phase 1 too).
    """
    return _verify(root, ptau, cs, rederive, log).transcript


def finalize(
    root: Path, ptau: Path, out: Path, cs: ConstraintSystem | None = None, log: Log | None = None
) -> Transcript:
    """Verify the ceremony, then write the proving key, vk.json and transcript.json to ``out``.

    Refuses a ceremony with no secret contribution (``verify_transcript`` does).
    """
    checked = _verify(root, ptau, cs, False, log)
    transcript = checked.transcript
    vk = verifying_key(checked.pk, transcript.header.key.ic)
    final = Final(transcript.params_sha256, vk_sha256(vk))
    finalized = Transcript(transcript.header, transcript.contributions, final)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{PROVING_KEY_FILE}.tmp"
    shutil.copyfile(checked.params, tmp)
    os.replace(tmp, out / PROVING_KEY_FILE)
    write_atomic(out / VK_FILE, _json_bytes(vk.to_json()))
    write_atomic(out / TRANSCRIPT_FILE, _json_bytes(finalized.to_json()))
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
    every check, and vk.json's IC is the one it gives for the circuit.
    """
    transcript = verify_published(transcript_bytes, vk, ops=FAST_OPS)
    header = transcript.header
    if cs is None:
        cs, _ = circuit_for(header)
    if r1cs_digest(cs) != header.circuit.r1cs_sha256:
        raise KeyMismatch("the circuit is not the one the ceremony is for (R1CS digest)")
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
    the transcript checks out, vk.json is its output and the proving key its final params.
    """
    data = (out / TRANSCRIPT_FILE).read_bytes()
    transcript = parse_transcript(data)
    if circuit_id is not None and transcript.header.circuit.circuit_id != circuit_id:
        raise KeyMismatch(
            f"the ceremony in {out} is for circuit {transcript.header.circuit.circuit_id}, "
            f"not {circuit_id}"
        )
    verify_transcript(transcript, ops=FAST_OPS)
    vk = VerifyingKey.from_json(json.loads((out / VK_FILE).read_text()))
    check_vk(transcript, vk)
    if sha256_file(out / PROVING_KEY_FILE) != transcript.params_sha256:
        raise KeyMismatch(f"{out / PROVING_KEY_FILE} is not the ceremony's final params")
    return CeremonyKeys(out / PROVING_KEY_FILE, vk, transcript, data)


def keys_for_prove(out: Path) -> Callable[[CircuitShape], Keys]:
    """Return a ``keys_for`` of ``prove_attestation`` serving the finalized keys in ``out``.

    The keys are checked as ``load_ceremony_keys`` does, for the shape asked for.
    """

    def keys_for(shape: CircuitShape) -> Keys:
        keys = load_ceremony_keys(out, shape.circuit_id)
        return Keys(keys.proving_key_path, keys.verifying_key, SETUP_CEREMONY, keys.statement)

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
    except OSError as exc:
        raise CeremonyInputError(f"cannot read {TRANSCRIPT}: {exc}") from exc
    vk = VerifyingKey.from_json(loads(read("vk.json")))  # type: ignore[arg-type]
    transcript = check_published(data, vk, ptau, log=log)
    return (
        f"IC, alpha and beta of vk.json are those {ptau.name} (sha256 "
        f"{transcript.header.ptau.sha256[:16]}…) gives for circuit "
        f"{transcript.header.circuit.circuit_id}"
    )
