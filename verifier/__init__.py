"""zkpor verifier: everything needed to check a zkpor/1 attestation.

Pure Python on the standard library and ``py_ecc.optimized_bn128`` so that it runs
unchanged in CPython and in Pyodide. It must never import ``publisher``, ``typer``,
``mkdocs`` or ``nacl``: symmetric crypto is injected by the caller.
"""

__version__ = "0.1.0"
