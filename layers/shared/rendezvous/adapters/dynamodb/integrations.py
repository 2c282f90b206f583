"""Cal.com integrations (the CalcomIntegrations port) and stored FHIR resources (the
FhirResources port).

Keys:
  INTEGRATION#calcom#<id>                 INTEGRATION   one Cal.com webhook subscription;
                                                        global, as Cal.com's URL carries no
                                                        tenant (the item names it)
  T#<tenant>#FHIR#<type>#<id>             FHIR          a FHIR resource as last PUT
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb.table import (
    Item,
    TableRepository,
    condition_failed,
    iso,
    serialize,
)
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.integrations import CalcomIntegration, StoredFhirResource


def calcom_key(integration_id: str) -> Item:
    return {"pk": f"INTEGRATION#calcom#{integration_id}", "sk": "INTEGRATION"}


def fhir_key(tenant_id: str, resource_type: str, resource_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#FHIR#{resource_type}#{resource_id}", "sk": "FHIR"}


class DynamoCalcomIntegrations(TableRepository):
    def get_calcom(self, integration_id: str) -> CalcomIntegration | None:
        item = self._get(calcom_key(integration_id))
        if item is None:
            return None
        return CalcomIntegration(
            tenant_id=item["tenant_id"],
            integration_id=item["integration_id"],
            sealed_secret=item["sealed_secret"],
            created_at=datetime.fromisoformat(item["created_at"]),
            created_by=item["created_by"],
        )

    def create_calcom(self, integration: CalcomIntegration) -> bool:
        item = {
            **calcom_key(integration.integration_id),
            "tenant_id": integration.tenant_id,
            "integration_id": integration.integration_id,
            "sealed_secret": integration.sealed_secret,
            "created_at": iso(integration.created_at),
            "created_by": integration.created_by,
        }
        return self._put_new(item)

    def delete_calcom(self, tenant_id: str, integration_id: str) -> bool:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=serialize(calcom_key(integration_id)),
                # Integration ids are global: only its own tenant's manager may remove one.
                ConditionExpression="tenant_id = :tenant",
                ExpressionAttributeValues=serialize({":tenant": tenant_id}),
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True


class DynamoFhirResources(TableRepository):
    def get(
        self, tenant_id: str, resource_type: str, resource_id: str
    ) -> StoredFhirResource | None:
        item = self._get(fhir_key(tenant_id, resource_type, resource_id))
        if item is None:
            return None
        return StoredFhirResource(
            tenant_id=tenant_id,
            resource_type=resource_type,
            resource_id=resource_id,
            resource=json.loads(item["resource"]),
            version_id=int(item["version_id"]),
            last_updated=datetime.fromisoformat(item["last_updated"]),
        )

    def put(
        self,
        stored: StoredFhirResource,
        *,
        expected_version: int | None,
    ) -> None:
        item = {
            **fhir_key(stored.tenant_id, stored.resource_type, stored.resource_id),
            # As a string: DynamoDB would turn the resource's numbers into Decimals.
            "resource": json.dumps(stored.resource, separators=(",", ":"), ensure_ascii=False),
            "version_id": stored.version_id,
            "last_updated": iso(stored.last_updated),
        }
        put: dict[str, Any] = {"TableName": self._table, "Item": serialize(item)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version_id = :v"
            put["ExpressionAttributeValues"] = serialize({":v": expected_version})
        try:
            self._db.put_item(**put)
            return
        except ClientError as exc:
            if not condition_failed(exc):
                raise
        raise ConcurrentModification("the resource changed while it was being saved; retry")
