"""The symmetric box of the bundles for CPython: XSalsa20-Poly1305 with PyNaCl.

The verifier never imports this module (nor PyNaCl): it is handed a backend, this one in
CPython and one over libsodium.js in the browser. Both speak detached-nonce boxes:
``box = MAC (16 bytes) || ciphertext``, as libsodium's ``crypto_secretbox_easy``.
"""

from __future__ import annotations

from nacl.exceptions import BadSignatureError
from nacl.secret import SecretBox
from nacl.signing import VerifyKey


class NaclBackend:
    """A ``verifier.bundle.CryptoBackend`` over PyNaCl, which can also seal."""

    def secretbox_seal(self, plaintext: bytes, nonce: bytes, key: bytes) -> bytes:
        """Return ``MAC || ciphertext`` of ``plaintext`` (the nonce is not prepended)."""
        return bytes(SecretBox(key).encrypt(plaintext, nonce).ciphertext)

    def secretbox_open(self, box: bytes, nonce: bytes, key: bytes) -> bytes:
        """Return the plaintext of ``box``; raise ``nacl.exceptions.CryptoError`` if it
        does not authenticate."""
        return bytes(SecretBox(key).decrypt(box, nonce))

    def ed25519_verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is a valid Ed25519 signature of ``message`` under
        ``public_key`` (a ``verifier.reserves.SignatureBackend``)."""
        try:
            VerifyKey(public_key).verify(message, signature)
        except (BadSignatureError, ValueError, TypeError):
            return False
        return True
