"""SecretSealer on KMS: signing secrets we must use again (webhook endpoints' and Cal.com
integrations') encrypted under the stack's one key, bound to their tenant and owner
(endpoint or integration) by the encryption context (KMS refuses to decrypt under any
other, and CloudTrail records the context with each use)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from rendezvous.domain.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_kms.client import KMSClient

# KMS errors worth a retry later; any other (a refused permission, a wrong context) is a
# fault to see, not to retry.
_TRANSIENT = frozenset(
    {"ThrottlingException", "KMSInternalException", "DependencyTimeoutException"}
)


class KmsSecretSealer:
    def __init__(self, client: KMSClient, key_id: str) -> None:
        self._client = client
        self._key_id = key_id

    def seal(self, secret: str, context: dict[str, str]) -> str:
        try:
            blob = self._client.encrypt(
                KeyId=self._key_id, Plaintext=secret.encode(), EncryptionContext=context
            )["CiphertextBlob"]
        except ClientError as exc:
            if _transient(exc):
                raise Unavailable("the key service is not answering; try again") from exc
            raise
        return base64.b64encode(blob).decode()

    def open(self, sealed: str, context: dict[str, str]) -> str:
        try:
            plain = self._client.decrypt(
                CiphertextBlob=base64.b64decode(sealed),
                KeyId=self._key_id,
                EncryptionContext=context,
            )["Plaintext"]
        except ClientError as exc:
            if _transient(exc):
                raise Unavailable("the key service is not answering; try again") from exc
            raise
        return plain.decode()


def _transient(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _TRANSIENT
