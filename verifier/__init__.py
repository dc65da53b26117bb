"""zkpor verifier: everything needed to check a zkpor/1 attestation.

Pure Python on the standard library and ``py_ecc.optimized_bn128`` so that it runs
unchanged in CPython and in Pyodide. It must never import ``publisher``, ``typer``,
``mkdocs`` or ``nacl``: symmetric crypto is injected by the caller.

``__version__`` is the zkpor version, which names the code (pyproject.toml): setuptools-scm
writes it into ``verifier/_version.py`` when zkpor is built or installed, and the wheel
the site serves to Pyodide carries its own copy (``publisher.site.wheel``).
"""


def _version() -> str:
    try:
        from verifier._version import __version__ as written  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # a source tree never built or installed: ask the installed metadata
        from importlib.metadata import PackageNotFoundError, version

        for dist in ("zkpor", "zkpor-verifier"):
            try:
                return version(dist)
            except PackageNotFoundError:
                pass
        return "0+unknown"
    return str(written)


__version__ = _version()
