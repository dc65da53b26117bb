"""Error types raised by the verifier.

Every failed check raises a ``VerificationError`` subclass whose message is a
plain-language reason a person can act on; the CLI and the browser show it as is.
"""


class ZkporError(Exception):
    """Base class of every error zkpor raises on purpose."""


class VerificationError(ZkporError):
    """A check failed: the data does not prove what it claims."""


class MalformedInput(VerificationError):
    """A file or value does not have the expected shape or encoding."""


class InvalidVerifyingKey(VerificationError):
    """The verification key is malformed or is not for this circuit."""


class InvalidPublicInput(VerificationError):
    """A public input is out of range or the number of inputs is wrong."""


class InvalidProof(VerificationError):
    """A proof is malformed or does not satisfy the pairing equation."""


class BatchItemError(VerificationError):
    """A check of one (public inputs, proof) pair failed.

    ``index`` is the position of the failing pair in a batch given to
    ``verify_many``, or ``None`` when a single proof was verified.
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class MalformedProof(InvalidProof, MalformedInput):
    """A proof.json does not have the snarkjs shape or encoding."""


class MalformedVerifyingKey(InvalidVerifyingKey, MalformedInput):
    """A verification key JSON does not have the snarkjs shape or encoding."""


class MalformedPublicInputs(InvalidPublicInput, MalformedInput):
    """A public.json is not a list of decimal strings."""


class WrongNumberOfPublicInputs(InvalidPublicInput, BatchItemError):
    """The number of public inputs differs from the key's nPublic."""


class PublicInputOutOfRange(InvalidPublicInput, BatchItemError):
    """A public input is not an integer in [0, r)."""


class PointNotOnCurve(InvalidProof, BatchItemError):
    """A proof point is not on its curve (or has a coordinate outside [0, p))."""


class PointNotInSubgroup(InvalidProof, BatchItemError):
    """The proof's G2 point is on the twist curve but not in the order-r subgroup."""


class PointAtInfinity(InvalidProof, BatchItemError):
    """A proof point is the point at infinity, which no honest prover outputs."""


class PairingCheckFailed(InvalidProof, BatchItemError):
    """The Groth16 pairing equation does not hold: the proof is false or for other inputs."""


class KeyPointNotOnCurve(InvalidVerifyingKey):
    """A verification key point is not on its curve."""


class KeyPointNotInSubgroup(InvalidVerifyingKey):
    """A verification key G2 point is not in the order-r subgroup."""


class KeyPointAtInfinity(InvalidVerifyingKey):
    """One of alpha, beta, gamma, delta of the key is the point at infinity."""


class UnreadableFile(VerificationError):
    """A file of the attestation directory is missing or cannot be read."""


class StepSkipped(ZkporError):
    """A check could not run because something it needs failed in an earlier step.

    Not a ``VerificationError``: a skipped step proves nothing either way, and the report
    says why it did not run.
    """


class InvalidCode(ZkporError):
    """A verification code as typed is malformed or has a typo.

    Not a ``VerificationError``: it says nothing about the attestation, and it is raised
    before anything is fetched.
    """


class NoBundle(VerificationError):
    """The attestation holds no bundle for this code (a wrong code, or a missing account)."""


class BundleUnreadable(VerificationError):
    """A bundle was found but cannot be used: it does not decrypt or does not parse.

    Every such failure gives the same message, as one opaque decryption error.
    """
