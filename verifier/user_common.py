"""What the account holder's checks share, whatever the format: options, path hashing,
and the files of one check (``UserCheckFiles``: each read once, each parsed once hashed).

``verifier.user`` (zkpor/1) re-exports every name; ``verifier.user2`` (zkpor/2) uses them.
Pure Python: importable in Pyodide.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, cast

from verifier.attestation_files import (
    AttestationFiles,
    Difference,
    ProofProgress,
    Reader,
    file_problem,
)
from verifier.bundle import CryptoBackend, parse_bundle_sums
from verifier.errors import StepSkipped, VerificationError
from verifier.manifest import BUNDLE_SUMS, MANIFEST
from verifier.protocol import node_hash

T = TypeVar("T")

#: Other batches whose proofs each check verifies besides the user's own, chosen at
#: random by the verifier (never by the publisher): together, visitors cover them all.
SAMPLES = 3
#: The manifest's list of per-asset figures (liabilities, reserves, amounts, ratios).
_PUBLISHED_FIGURES = "assets"


def _in_published_figures(difference: Difference) -> bool:
    """Whether ``difference`` lies inside one asset's published figures."""
    path = difference.path
    return len(path) >= 2 and path[0] == _PUBLISHED_FIGURES and isinstance(path[1], int)


def hash_up(node: int, index: int, path: Sequence[Sequence[int]], arity: int) -> list[int]:
    """Return the nodes above ``node`` (the ``index``-th of its level), one per level of
    ``path``, each hashed from the node below and its k-1 siblings."""
    nodes = []
    for siblings in path:
        position = index % arity
        node = node_hash([*siblings[:position], node, *siblings[position:]])
        index //= arity
        nodes.append(node)
    return nodes


def _short(value: int) -> str:
    """Return a field element shortened for a message: ``0x1234abcd…``."""
    return f"0x{value:064x}"[:10] + "…"


def _batches(numbers: Sequence[int], limit: int = 8) -> str:
    """Return ``batch 3`` / ``batches 0, 1, 5`` / ``batches 0, 1, … (40 in all)``."""
    if len(numbers) == 1:
        return f"batch {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:limit])
    return f"batches {shown}" + (f", … ({len(numbers)} in all)" if len(numbers) > limit else "")


@dataclass(frozen=True)
class UserOptions:
    """How much the check verifies beyond the user's own batch, and what it accepts.

    ``samples`` random other batches' proofs are verified (``check_all``: every batch's);
    ``allow_unknown_phase1`` accepts a ceremony on a phase-1 file that is not a pinned
    public one (the CLI's ``--allow-unknown-phase1``); ``extra_known_phase1`` lists the
    blake2b-512 (hex) of phase-1 files to accept as if pinned: empty on every shipped
    page, filled only by test-built sites. ``rng`` chooses the samples (tests fix it).
    """

    samples: int = SAMPLES
    check_all: bool = False
    allow_unknown_phase1: bool = False
    extra_known_phase1: Collection[str] = ()
    rng: random.Random | None = None
    on_proofs: ProofProgress | None = None


class _ListsFiles(Protocol):
    """A manifest of either format: what it lists of each file it names is the sha256."""

    @property
    def files(self) -> Mapping[str, str]: ...


M = TypeVar("M", bound=_ListsFiles)
B = TypeVar("B")


class UserCheckFiles(Generic[M, B]):
    """What the account holder's checks of both formats keep of one run: the files read
    (each once), the manifest and bundle step 1 found, the leaf step 2 recomputed, and the
    files parsed once they hash to the sha256 the manifest lists.

    ``manifest`` is set once step 1 has read it, ``bundle`` once step 1 has opened it and
    found it consistent with the manifest: never a part of a bundle.
    """

    def __init__(
        self,
        read: Reader,
        code: bytes,
        backend: CryptoBackend,
        options: UserOptions | None = None,
    ) -> None:
        self._read = read
        self._bytes: dict[str, bytes] = {}
        self._files = AttestationFiles(self._read_once)
        self._code = code
        self._backend = backend
        self._options = options or UserOptions()
        self.manifest: M | None = None
        self.bundle: B | None = None
        self._leaf: int | None = None
        self._step = 0
        self._parsed: dict[str, object] = {}
        self._failed: dict[str, int] = {}
        self._figures_difference: Difference | None = None

    @property
    def manifest_sha256(self) -> str | None:
        """Return the sha256 (hex) of the manifest bytes this check read, once read."""
        data = self._bytes.get(MANIFEST)
        return None if data is None else hashlib.sha256(data).hexdigest()

    @property
    def files(self) -> AttestationFiles:
        """The files as this check read them (each read once): later checks of the same
        visit reuse them, so a server cannot answer them differently a second time."""
        return self._files

    def _read_once(self, name: str) -> bytes:
        """Return file ``name`` as first read: the bucket file the bundle is opened from
        is then the one hashed against bundles/SHA256SUMS."""
        if name not in self._bytes:
            self._bytes[name] = self._read(name)
        return self._bytes[name]

    def _run(self, number: int, check: Callable[[], str]) -> str:
        self._step = number
        return check()

    # --- what earlier steps found ---------------------------------------------------------

    def _need_manifest(self) -> M:
        if self.manifest is None:
            raise StepSkipped(f"needs {MANIFEST}, which could not be read (step 1)")
        return self.manifest

    def _need_opened(self) -> tuple[M, B]:
        manifest = self._need_manifest()
        if self.bundle is None:
            raise StepSkipped("needs your bundle, which could not be opened (step 1)")
        return manifest, self.bundle

    def _need_leaf(self) -> int:
        if self._leaf is None:
            raise StepSkipped("needs your leaf, which could not be recomputed (step 2)")
        return self._leaf

    def _load(self, name: str, parse: Callable[[], T]) -> T:
        """Return file ``name`` parsed by ``parse``, once it hashes to the sha256 the
        manifest lists. It is parsed once; after a failure, later steps skip."""
        manifest = self._need_manifest()
        if name in self._failed:
            raise StepSkipped(f"needs {name}, which could not be read (step {self._failed[name]})")
        if name not in self._parsed:
            try:
                listed = manifest.files.get(name)
                if listed is None:
                    raise VerificationError(f"{MANIFEST} does not list the sha256 of {name}")
                if (problem := file_problem(self._files, name, listed)) is not None:
                    raise VerificationError(problem)
                self._parsed[name] = parse()
            except VerificationError:
                self._failed[name] = self._step
                raise
        return cast(T, self._parsed[name])

    def _check_bucket_listed(self, bucket: str) -> None:
        """Raise unless ``bucket`` hashes to its line of bundles/SHA256SUMS: the bucket
        every reviewer checks (``zkpor verify`` step 7), not one made for this visitor."""
        sums = self._load(BUNDLE_SUMS, lambda: parse_bundle_sums(self._files.bytes(BUNDLE_SUMS)))
        listed = sums.get(bucket)
        if listed is None:
            raise VerificationError(f"{BUNDLE_SUMS} does not list {bucket}")
        actual = hashlib.sha256(self._bytes[bucket]).hexdigest()
        if actual != listed:
            raise VerificationError(
                f"{bucket} has sha256 {actual}, but {BUNDLE_SUMS} lists {listed}: it is not "
                "the bucket file the attestation published"
            )
