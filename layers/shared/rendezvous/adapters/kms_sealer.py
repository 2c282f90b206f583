"""The SecretSealer port on AWS KMS: a secret we must use again (an HMAC key) is stored
only as KMS ciphertext, bound to its owner by the encryption context."""

from __future__ import annotations

import base64
from typing import Any


class KmsSecretSealer:
    def __init__(self, client: Any, key_id: str) -> None:
        self._kms = client
        self._key_id = key_id

    def seal(self, secret: str, context: dict[str, str]) -> str:
        sealed = self._kms.encrypt(
            KeyId=self._key_id, Plaintext=secret.encode(), EncryptionContext=context
        )
        return base64.b64encode(sealed["CiphertextBlob"]).decode()

    def open(self, sealed: str, context: dict[str, str]) -> str:
        opened = self._kms.decrypt(
            KeyId=self._key_id,
            CiphertextBlob=base64.b64decode(sealed),
            EncryptionContext=context,
        )
        plaintext: bytes = opened["Plaintext"]
        return plaintext.decode()
