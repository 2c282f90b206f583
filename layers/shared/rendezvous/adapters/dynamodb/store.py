"""The AppointmentStore the services are given: the tenant, appointment and recipient
repositories on one table, one object so a service's reads share one client."""

from __future__ import annotations

from rendezvous.adapters.dynamodb.appointments import DynamoAppointments
from rendezvous.adapters.dynamodb.recipients import DynamoRecipients
from rendezvous.adapters.dynamodb.tenants import DynamoTenants


class DynamoAppointmentStore(DynamoTenants, DynamoAppointments, DynamoRecipients):
    pass
