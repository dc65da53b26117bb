"""The protocol tests of ``publisher.snark`` run twice: on the native kernels and on the
pure-Python reference.

Every test of the modules in ``BOTH_BACKENDS`` gets the module-scoped, autouse
``snark_backend`` fixture parametrized with ``native`` and ``python`` (test ids
``...[native]`` and ``...[python]``), which runs it inside ``backend.forced(...)``. The
parametrization is added by ``pytest_generate_tests`` for those modules only, so that the
other modules of tests/snark are neither doubled nor touched.

Module-scoped fixtures of those modules are computed under the backend of the tests that
first use them. So that test_prover_interop's ``batch`` proof is made once per backend
(and the snarkjs checks see a proof of each prover), ``small_keys`` is re-provided here per
module and backend: it passes the session's keys through, and depends on
``snark_backend``, so that pytest remakes the fixtures built on it when the backend changes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from publisher.snark import backend
from publisher.snark.keys import ProvingKey
from verifier.groth16 import VerifyingKey

#: The modules run on both backends (by module name).
BOTH_BACKENDS = frozenset(
    {"test_msm", "test_ntt", "test_lincomb", "test_pairing", "test_prover_interop"}
)
BACKENDS = ("native", "python")


def _module_name(module: object) -> str:
    return str(getattr(module, "__name__", "")).rpartition(".")[2]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if _module_name(metafunc.module) in BOTH_BACKENDS:
        metafunc.parametrize("snark_backend", BACKENDS, indirect=True, scope="module")


@pytest.fixture(scope="module", autouse=True)
def snark_backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Run the module's tests on the backend of this parameter (None: left as configured)."""
    choice: str | None = getattr(request, "param", None)
    if choice is None:
        assert _module_name(request.module) not in BOTH_BACKENDS
        yield None
        return
    if choice == "native" and not backend.native_built():
        # Not skipped: a broken build must not pass silently (as tests/peers.py does for node).
        pytest.fail("the native kernels are not built: reinstall with `pip install -e .`")
    with backend.forced(choice):
        assert backend.name() == choice
        yield choice


@pytest.fixture(scope="module")
def small_keys(
    small_keys: tuple[ProvingKey, VerifyingKey], snark_backend: str | None
) -> tuple[ProvingKey, VerifyingKey]:
    """The session's development keys (tests/conftest.py), per module and backend."""
    return small_keys
