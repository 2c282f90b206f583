"""Tenants and the numbers they send from: the TenantStore and SettingsStore ports."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rendezvous.adapters.dynamodb.activity import log_entry_put
from rendezvous.adapters.dynamodb.table import (
    TableRepository,
    deserialize,
    iso,
    number_key,
    plain,
    query_all,
    serialize,
    tenant_key,
    transact,
    values_of,
)
from rendezvous.domain.activity import ActivityEntry
from rendezvous.domain.models import Tenant

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

NUMBER_CACHE_SECONDS = 300.0


class DynamoTenants(TableRepository):
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        super().__init__(client, table_name)
        self._number_cache: dict[str, tuple[str, float]] = {}

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(tenant_key(tenant_id))
        return Tenant.model_validate(item) if item else None

    def put_tenant(self, tenant: Tenant) -> None:
        self._db.transact_write_items(TransactItems=self._tenant_puts(tenant))

    def add_tenant(self, tenant: Tenant) -> None:
        """Write a new tenant and its number, unless the tenant exists or the number sends
        for another: then ConcurrentModification, and nothing is written. Unlike put_tenant
        it never replaces a record its managers have changed since it was read."""
        record, number = self._tenant_puts(tenant)
        record["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
        number["Put"]["ConditionExpression"] = "attribute_not_exists(pk) OR tenant_id = :t"
        number["Put"]["ExpressionAttributeValues"] = values_of({":t": tenant.tenant_id})
        transact(self._db, [record, number], f"tenant {tenant.tenant_id} or its number exists")

    def _tenant_puts(self, tenant: Tenant) -> list[Any]:
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(
                        {
                            **tenant_key(tenant.tenant_id),
                            "gsi1pk": "TENANTS",
                            "gsi1sk": tenant.tenant_id,
                            **plain(tenant),
                        }
                    ),
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(
                        {**number_key(tenant.phone_number), "tenant_id": tenant.tenant_id}
                    ),
                }
            },
        ]

    def tenant_for_number(self, e164: str) -> str | None:
        # Which business owns a number changes about never: remember it for this container.
        now = time.monotonic()
        cached = self._number_cache.get(e164)
        if cached is not None and now - cached[1] < NUMBER_CACHE_SECONDS:
            return cached[0]
        item = self._get(number_key(e164))
        tenant_id = str(item["tenant_id"]) if item else None
        if tenant_id is not None:
            self._number_cache[e164] = (tenant_id, now)
        return tenant_id

    def set_pause(
        self, tenant_id: str, *, paused: bool, by: str, reason: str | None, at: datetime
    ) -> Tenant:
        # Who switched, when and why, under the switch's own names: after a resume the
        # status shows the resume, not the pause that is over.
        now_on, now_off = ("paused", "resumed") if paused else ("resumed", "paused")
        got = self._db.update_item(
            TableName=self._table,
            Key=serialize(tenant_key(tenant_id)),
            UpdateExpression=f"SET paused = :p, {now_on}_by = :by, {now_on}_at = :at, "
            f"{now_on}_reason = :why REMOVE {now_off}_by, {now_off}_at, {now_off}_reason",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values_of(
                {":p": paused, ":by": by, ":at": iso(at), ":why": reason or ""}
            ),
            ReturnValues="ALL_NEW",
        )
        return Tenant.model_validate(deserialize(got["Attributes"]))

    def save_settings(
        self,
        tenant_id: str,
        values: dict[str, Any],
        *,
        expected_version: int,
        audit: ActivityEntry,
    ) -> None:
        # Only the settings that changed are set, never the whole record: a pause switched
        # meanwhile stays as it is. A record written before settings had versions has none.
        names = {f"#s{n}": name for n, name in enumerate(values)}
        sets = [f"#s{n} = :s{n}" for n, name in enumerate(values) if values[name] is not None]
        removes = [f"#s{n}" for n, name in enumerate(values) if values[name] is None]
        update = "SET " + ", ".join([*sets, "settings_version = :next"])
        if removes:
            update += " REMOVE " + ", ".join(removes)
        condition = "attribute_exists(pk) AND settings_version = :expected"
        if expected_version == 0:
            condition = (
                "attribute_exists(pk) AND "
                "(attribute_not_exists(settings_version) OR settings_version = :expected)"
            )
        transact(
            self._db,
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(tenant_key(tenant_id)),
                        "UpdateExpression": update,
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values_of(
                            {
                                **{
                                    f":s{n}": values[name]
                                    for n, name in enumerate(values)
                                    if values[name] is not None
                                },
                                ":next": expected_version + 1,
                                ":expected": expected_version,
                            }
                        ),
                    }
                },
                {"Put": log_entry_put(self._table, tenant_id, audit)},
            ],
            "the settings changed since they were read",
        )

    def tenant_ids(self) -> list[str]:
        rows = query_all(
            self._db,
            self._table,
            IndexName="by_recipient",
            KeyConditionExpression="gsi1pk = :t",
            ExpressionAttributeValues=values_of({":t": "TENANTS"}),
        )
        return [str(r["gsi1sk"]) for r in rows]
