"""The trusted setup: phase 1 (Powers of Tau files: ``ptau``, ``ptau_pok``, and the
single-party ``demo_ptau``), phase-2 keys in snarkjs's ``.zkey`` format (``zkey``,
``zkey_new``, ``zkey_mpc``, ``zkey_verify``, ``zkey_keys``, ``phase2``) and the ceremony
directory that people pass between them (``directory``).

Builds on ``publisher.snark``; never imports the attestation pipeline, the site or the CLI.
"""
