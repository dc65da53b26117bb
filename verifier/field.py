"""Constants of BN254 (alt_bn128) shared by every zkpor module."""

from py_ecc.optimized_bn128.optimized_curve import curve_order, field_modulus

#: Order of the BN254 scalar field; every hash input and public input is below it.
R: int = curve_order
#: Modulus of the BN254 base field, over which curve coordinates live.
P: int = field_modulus
