"""zkpor/2 keys from setup ceremonies: one ceremony per circuit shape of the book.

A zkpor/2 attestation proves its batches with one circuit per shape
(``publisher.attest.pipeline2.BookShape``, circuit id
``verifier.book.circuit_id2``, e.g. ``zkpor2-a3-t2-s4-k4-d2``). Each circuit has its own
phase-2 ceremony (``publisher.ceremony.directory``), whose header names the circuit by
id only: ``circuit.shape`` is null (zkpor/1's shape triple does not describe a zkpor/2
circuit), so every step that rebuilds the circuit is given it (``cs``).

``zkpor prove --registry ... --keys DIR`` reads the keys of circuit ``ID`` from
``DIR/ID/``: what ``finalize`` writes there (proving key, vk.json, transcript.json,
final.zkey), checked as ``load_ceremony_keys`` does; the transcript is published as
``ceremony-s{K}.json``. ``setup_book_keys`` runs such a ceremony per circuit (the demo
does, ``publisher.demo_book``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from publisher.ceremony.directory import (
    CeremonyInputError,
    beacon,
    contribute,
    finalize,
    init_ceremony,
    load_ceremony_keys,
    published_files,
)
from publisher.snark.keys import Keys
from publisher.snark.qap import domain_size
from publisher.snark.r1cs import ConstraintSystem
from verifier.ceremony import SETUP_CEREMONY

Log = Callable[[str], None]
#: Runs one stage: ``run(title, work)`` calls ``work(log)`` and returns its result.
StageRunner = Callable[[str, Callable[[Log], Any]], Any]


def load_book_keys(keys: Path, circuit_id: str) -> Keys:
    """Return the finalized keys of circuit ``circuit_id`` in ``keys/circuit_id/``, checked
    as ``load_ceremony_keys`` does (transcript, vk.json, final zkey, proving key's delta);
    ``CeremonyInputError`` if they are missing."""
    folder = keys / circuit_id
    try:
        found = load_ceremony_keys(folder, circuit_id)
        published = published_files(folder)
    except OSError as exc:
        raise CeremonyInputError(
            f"no finalized keys for circuit {circuit_id} in {folder} ({exc.strerror or exc}): "
            f"run its ceremony and `zkpor ceremony finalize --out {folder}`"
        ) from exc
    return Keys(
        found.proving_key_path,
        found.verifying_key,
        SETUP_CEREMONY,
        found.statement,
        published=published,
    )


def book_keys_for_prove(keys: Path) -> Callable[[str], Keys]:
    """Return a loader of the keys of each circuit id in ``keys`` (``load_book_keys``)."""

    def keys_for(circuit_id: str) -> Keys:
        return load_book_keys(keys, circuit_id)

    return keys_for


def setup_book_keys(
    circuits: Sequence[tuple[str, ConstraintSystem]],
    ceremonies: Path,
    keys: Path,
    phase1: Callable[[int], Path],
    contributors: Sequence[str],
    run: StageRunner,
    beacon_value: bytes | None = None,
    beacon_exp: int = 10,
    beacon_name: str = "beacon",
    params_cache: Path | None = None,
) -> dict[str, Path]:
    """Run one whole ceremony per circuit and return each circuit's keys folder.

    ``circuits`` are ``(circuit id, constraint system)``: for a zkpor/2 book,
    ``[(s.circuit_id, build_batch2(s.batch2()).cs) for s in pipeline2.shapes_for(...)]``.
    For each: ``init`` in ``ceremonies/<id>/`` (header ``circuit.shape`` null) from
    ``phase1(power)`` (the phase-1 file of at least the circuit's domain power), one
    contribution per name in ``contributors`` (each checks the ceremony so far, OS
    randomness), the beacon if ``beacon_value`` is given (``2^beacon_exp`` hashes), then
    verify and ``finalize`` into ``keys/<id>/``, which ``zkpor prove --keys KEYS`` and
    ``load_book_keys`` read. ``run(title, work)`` runs each stage (progress, timing);
    ``params_cache`` keeps the initial zkeys for later runs. The ceremony needs at least
    one contribution.
    """
    if not contributors:
        raise CeremonyInputError("a ceremony needs at least one secret contribution")
    out: dict[str, Path] = {}
    for circuit_id, cs in circuits:
        ptau = phase1(domain_size(cs).bit_length() - 1)
        out[circuit_id] = _ceremony(
            circuit_id,
            cs,
            ceremonies / circuit_id,
            keys / circuit_id,
            ptau,
            contributors,
            run,
            (beacon_value, beacon_exp, beacon_name),
            params_cache,
        )
    return out


def _ceremony(
    circuit_id: str,
    cs: ConstraintSystem,
    root: Path,
    folder: Path,
    ptau: Path,
    contributors: Sequence[str],
    run: StageRunner,
    beacon_args: tuple[bytes | None, int, str],
    params_cache: Path | None,
) -> Path:
    """Run the ceremony of one circuit in ``root``, finalized into ``folder``."""
    run(
        f"{circuit_id}: init: initial params from phase 1",
        lambda log: init_ceremony(root, ptau, cs, circuit_id, None, log, params_cache),
    )
    for name in contributors:

        def step(log: Log, name: str = name) -> object:
            return contribute(root, name, log=log, ptau=ptau, cs=cs)

        run(f"{circuit_id}: contribution by {name} (checks the ceremony so far)", step)
    value, exp, beacon_name = beacon_args
    if value is not None:
        run(
            f"{circuit_id}: beacon ({beacon_name}, 2^{exp} hashes)",
            lambda log: beacon(root, beacon_name, value, exp, log),
        )
    run(
        f"{circuit_id}: verify and finalize",
        lambda log: finalize(root, ptau, folder, cs, log),
    )
    return folder
