"""zkpor publisher: everything that needs the private snapshot.

Ingest, circuit, setup, prover, tree, bundles, site and the ``zkpor`` CLI. It may import
``verifier``; ``verifier`` never imports it.
"""
