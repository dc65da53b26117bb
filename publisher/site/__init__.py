"""The static site: ``zkpor site build/serve/reproduce``.

The site is the MkDocs project under the repository's ``site/`` filled with one
attestation, plus the browser verifier (a Web Worker running Pyodide and the ``verifier``
package) and every file it loads, vendored and pinned by hash: nothing comes from a CDN.
Two builds of the same attestation with the same zkpor version are identical byte for byte.
"""
