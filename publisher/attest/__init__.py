"""One attestation from a private snapshot: read it (``ingest``), cut it into batch jobs
(``jobs``), run them on a local pool or Dask (``executors``), seal each account's bundle
(``bundles``) and write the attestation directory (``pipeline``).

Uses the circuit and keys of ``publisher.snark`` and ``publisher.ceremony``; never imports
the site or the CLI.
"""
