"""Groth16 over BN254, from the ground up: fields and curves (``curve``), multi-scalar
multiplication (``msm``, ``lincomb``), NTT (``ntt``), pairings (``pairing``), the constraint
system and its gadgets (``r1cs``, ``gadgets``), the zkpor batch circuit (``circuit``), the QAP
(``qap``), keys and the prover (``keys``, ``prove``), the development setup (``dev_setup``)
and iden3's file formats for snarkjs (``iden3``).

Lower layers never import higher ones: nothing here imports the ceremony, the attestation
pipeline, reserves, the site or the CLI.
"""
