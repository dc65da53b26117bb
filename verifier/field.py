"""Constants of BN254 (alt_bn128) shared by every zkpor module.

Written out rather than imported from py_ecc, whose curve module takes a noticeable part
of the verifier's start-up in a browser; ``tests/verifier/test_bn254.py`` checks they are
py_ecc's ``curve_order`` and ``field_modulus``.
"""

#: Order of the BN254 scalar field; every hash input and public input is below it.
R: int = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: Modulus of the BN254 base field, over which curve coordinates live.
P: int = 21888242871839275222246405745257275088696311157297823662689037894645226208583
