"""The reserves side: read and check the signed wallet list (``ingest``), sign ownership
messages for tests and the demo (``sign``), compare declared balances with a node (``rpc``).

The checks themselves live in ``verifier.reserves``, shared with the browser.
"""
