"""Wires the domain to its adapters for a Lambda: built once per container, on first use.

Tests and the local stack replace pieces with `override`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, cast

from rendezvous.domain.clock import Clock, SystemClock
from rendezvous.settings import Settings, get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )

    from rendezvous.domain.appointments import AppointmentService
    from rendezvous.domain.conversation import ConversationReader
    from rendezvous.domain.experiment_service import ExperimentService
    from rendezvous.domain.inbound import InboundService
    from rendezvous.domain.integrations import IntegrationService
    from rendezvous.domain.offers import OfferService
    from rendezvous.domain.oversight import OversightService
    from rendezvous.domain.ports import (
        ActivityReader,
        AppointmentStore,
        CalcomIntegrations,
        ConversationQueue,
        Conversations,
        DeliveryHistory,
        DeliveryQueue,
        DeliveryRetries,
        ExperimentStore,
        FhirResources,
        HostResolver,
        OfferBook,
        OutboundQueue,
        ReminderScheduler,
        Renderer,
        SecretSealer,
        SettingsStore,
        SmsGateway,
        TemplateRules,
        VacancyStarter,
        VacancyStore,
        WaveScheduler,
        WebhookEndpointStore,
        WebhookPoster,
    )
    from rendezvous.domain.recipients import RecipientService
    from rendezvous.domain.redrive import LateTexts
    from rendezvous.domain.sending import MessageSender
    from rendezvous.domain.staff import QueueService
    from rendezvous.domain.tenant_settings import SettingsService
    from rendezvous.domain.tune_out import TuneOutService
    from rendezvous.domain.vacancies import VacancyService
    from rendezvous.domain.webhook_delivery import WebhookDeliverer
    from rendezvous.domain.webhook_endpoints import WebhookEndpointService

T = TypeVar("T")


def prepare_snapshot() -> None:
    """Under Lambda SnapStart, the init phase runs once per published version and every
    start restores its snapshot. What init leaves behind must be safe to share:

    - boto3 is imported here, so restored starts skip it; its clients stay lazy, made after
      restore with that environment's own credentials and connections.
    - every restored environment resumes with the same `random` state, so the jitter of
      Twilio and botocore retries would move in step across them: reseeded from
      os.urandom after each restore, by Lambda's runtime hook (snapshot_restore_py ships
      with the managed Python runtime, 3.12 and later).
    """
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":
        return
    import random

    import boto3  # noqa: F401
    from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]

    register_after_restore(random.seed)


prepare_snapshot()


@dataclass
class Runtime:
    """The composition root: each getter returns a port (or a service built on ports), so
    mypy checks every adapter against the port it is given as."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    _cache: dict[str, object] = field(default_factory=dict)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        if name not in self._cache:
            self._cache[name] = build()
        # Only `build` or `override` fill a name, with what that name's getter returns.
        return cast("T", self._cache[name])

    def store(self) -> AppointmentStore:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore

        return self._once(
            "store", lambda: DynamoAppointmentStore(client("dynamodb"), self.settings.table_name)
        )

    def vacancy_store(self) -> VacancyStore:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies

        return self._once(
            "vacancy_store", lambda: DynamoVacancies(client("dynamodb"), self.settings.table_name)
        )

    def vacancy_starter(self) -> VacancyStarter | None:
        """What offers a new opening (its first wave at once): None in a function not
        given the waves' schedule target, where openings are written but not offered."""

        def build() -> VacancyStarter | None:
            return self.offer_service() if self.settings.fill_wave_target_arn else None

        return self._once("vacancy_starter", build)

    def offer_book(self) -> OfferBook:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.offers import DynamoOffers

        return self._once(
            "offer_book", lambda: DynamoOffers(client("dynamodb"), self.settings.table_name)
        )

    def wave_scheduler(self) -> WaveScheduler:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.wave_scheduler import SchedulerWaves

        s = self.settings
        return self._once(
            "wave_scheduler",
            lambda: SchedulerWaves(
                client("scheduler"),
                group=s.fill_wave_group,
                target_arn=s.fill_wave_target_arn,
                role_arn=s.fill_wave_role_arn,
                dead_letter_arn=s.scheduler_dlq_arn,
            ),
        )

    def offer_service(self) -> OfferService:
        """Waves and takes. Its winner's appointment is booked by an AppointmentService
        that starts no opening (a fill frees none)."""
        from rendezvous.domain.appointments import AppointmentService
        from rendezvous.domain.offers import OfferService

        return OfferService(
            self.store(),
            self.vacancy_store(),
            self.offer_book(),
            self.wave_scheduler(),
            self.queue(),
            AppointmentService(self.store(), self.scheduler(), self.queue(), self.clock),
            self.clock,
            activity=self.activity_log(),
            desk=self.queue_store(),
        )

    def vacancy_service(self) -> VacancyService:
        from rendezvous.domain.vacancies import VacancyService

        return VacancyService(
            self.vacancy_store(),
            self.store(),
            self.clock,
            starter=self.vacancy_starter(),
            activity=self.activity_log(),
            stopper=self.offer_service(),
        )

    def queue_store(self) -> ConversationQueue:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.queue import DynamoConversationQueue

        return self._once(
            "queue_store",
            lambda: DynamoConversationQueue(client("dynamodb"), self.settings.table_name),
        )

    def conversations(self) -> Conversations:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.conversations import DynamoConversations

        return self._once(
            "conversations",
            lambda: DynamoConversations(client("dynamodb"), self.settings.table_name),
        )

    def activity_log(self) -> ActivityReader:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.activity import DynamoActivityLog
        from rendezvous.fill_metrics import MeteredActivityLog

        return self._once(
            "activity_log",
            lambda: MeteredActivityLog(
                DynamoActivityLog(client("dynamodb"), self.settings.table_name)
            ),
        )

    def settings_store(self) -> SettingsStore:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.tenants import DynamoTenants

        return self._once(
            "settings_store", lambda: DynamoTenants(client("dynamodb"), self.settings.table_name)
        )

    def idempotency_store(self) -> DynamoDBPersistenceLayer:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from rendezvous.adapters.aws import client

        return self._once(
            "idempotency_store",
            lambda: DynamoDBPersistenceLayer(
                table_name=self.settings.idempotency_table, boto3_client=client("dynamodb")
            ),
        )

    def inbound_idempotency(self) -> IdempotencyConfig:
        """Twilio retries a webhook it did not hear back from: the same MessageSid answers the
        same TwiML for a day and does nothing twice. Made on first use, with its imports:
        Powertools' idempotency package imports boto3, which the request loads with its
        clients."""
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        return self._once(
            "inbound_idempotency",
            lambda: IdempotencyConfig(
                event_key_jmespath="message_sid", expires_after_seconds=86_400
            ),
        )

    def scheduler(self) -> ReminderScheduler:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.scheduler import EventBridgeReminderScheduler

        s = self.settings
        return self._once(
            "scheduler",
            lambda: EventBridgeReminderScheduler(
                client("scheduler"),
                group=s.schedule_group,
                target_arn=s.schedule_target_arn,
                role_arn=s.scheduler_role_arn,
                dead_letter_arn=s.scheduler_dlq_arn,
            ),
        )

    def queue(self) -> OutboundQueue:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.sqs_queue import SqsOutboundQueue

        return self._once(
            "queue", lambda: SqsOutboundQueue(client("sqs"), self.settings.outbound_queue_url)
        )

    def webhook_poster(self) -> WebhookPoster:
        from rendezvous.adapters.webhook_http import HttpWebhookPoster

        return self._once(
            "webhook_poster",
            lambda: HttpWebhookPoster(allow_loopback=self.settings.webhook_allow_loopback),
        )

    def delivery_retries(self) -> DeliveryRetries:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.webhook_retries import SchedulerDeliveryRetries

        s = self.settings
        return self._once(
            "delivery_retries",
            lambda: SchedulerDeliveryRetries(
                client("scheduler"),
                group=s.webhook_retry_group,
                target_arn=s.webhook_retry_target_arn,
                role_arn=s.webhook_retry_role_arn,
                dead_letter_arn=s.scheduler_dlq_arn,
            ),
        )

    def webhook_endpoints(self) -> WebhookEndpointStore:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.webhooks import DynamoWebhookEndpoints

        return self._once(
            "webhook_endpoints",
            lambda: DynamoWebhookEndpoints(client("dynamodb"), self.settings.table_name),
        )

    def delivery_log(self) -> DeliveryHistory:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.webhooks import DynamoDeliveryLog

        return self._once(
            "delivery_log",
            lambda: DynamoDeliveryLog(client("dynamodb"), self.settings.table_name),
        )

    def secret_sealer(self) -> SecretSealer:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.kms_sealer import KmsSecretSealer

        return self._once(
            "secret_sealer",
            lambda: KmsSecretSealer(client("kms"), self.settings.webhook_secrets_key_id),
        )

    def host_resolver(self) -> HostResolver:
        from rendezvous.adapters.dns import SocketHostResolver

        return self._once("host_resolver", SocketHostResolver)

    def delivery_queue(self) -> DeliveryQueue:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.sqs_deliveries import SqsDeliveryQueue

        return self._once(
            "delivery_queue",
            lambda: SqsDeliveryQueue(client("sqs"), self.settings.webhook_deliveries_queue_url),
        )

    def public_base_url(self) -> str:
        from rendezvous.adapters.aws import parameter

        if "public_base_url" in self._cache:
            return str(self._cache["public_base_url"])
        return parameter(self.settings.public_base_url_param).rstrip("/")

    def twilio_auth_token(self) -> str:
        from rendezvous.adapters.aws import secure_parameter

        return secure_parameter(self.settings.twilio_auth_token_param)

    def gateway(self) -> SmsGateway:
        from rendezvous.adapters.twilio_gateway import TwilioSmsGateway

        return self._once(
            "gateway",
            lambda: TwilioSmsGateway(
                account_sid=self.settings.twilio_account_sid,
                auth_token_provider=self.twilio_auth_token,
                status_callback_url=f"{self.public_base_url()}/twilio/status",
                api_base_url=self.settings.twilio_api_base_url,
                backoff_seconds=self.settings.twilio_backoff_seconds,
            ),
        )

    def renderer(self) -> Renderer:
        from rendezvous.messages.render import SmsRenderer

        return self._once("renderer", SmsRenderer)

    def template_rules(self) -> TemplateRules:
        from rendezvous.messages.rules import SmsTemplateRules

        return self._once("template_rules", SmsTemplateRules)

    # -- the services the handlers call -------------------------------------------------

    def appointment_service(self) -> AppointmentService:
        from rendezvous.domain.appointments import AppointmentService

        return AppointmentService(
            self.store(),
            self.scheduler(),
            self.queue(),
            self.clock,
            activity=self.activity_log(),
            renderer=self.renderer(),
            starter=self.vacancy_starter(),
        )

    def calcom_integrations(self) -> CalcomIntegrations:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.integrations import DynamoCalcomIntegrations

        return self._once(
            "calcom_integrations",
            lambda: DynamoCalcomIntegrations(client("dynamodb"), self.settings.table_name),
        )

    def fhir_resources(self) -> FhirResources:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.integrations import DynamoFhirResources

        return self._once(
            "fhir_resources",
            lambda: DynamoFhirResources(client("dynamodb"), self.settings.table_name),
        )

    def integration_service(self) -> IntegrationService:
        from rendezvous.domain.integrations import IntegrationService

        return IntegrationService(
            self.appointment_service(),
            self.calcom_integrations(),
            self.secret_sealer(),
            self.fhir_resources(),
            self.clock,
        )

    def sender(self) -> MessageSender:
        from rendezvous.domain.sending import MessageSender

        return MessageSender(
            self.store(),
            self.gateway(),
            self.scheduler(),
            self.clock,
            self.renderer(),
            offers=self.offer_book(),
            activity=self.activity_log(),
            experiments=self.experiment_store(),
        )

    def inbound_service(self) -> InboundService:
        from rendezvous.domain.appointments import AppointmentService
        from rendezvous.domain.inbound import InboundService
        from rendezvous.domain.reschedule import RescheduleService

        appointments = AppointmentService(
            self.store(),
            self.scheduler(),
            self.queue(),
            self.clock,
            # Logs the openings a cancel by text writes (no `by`: the text is logged).
            activity=self.activity_log(),
            starter=self.vacancy_starter(),
        )
        reschedule = RescheduleService(
            self.vacancy_store(),
            self.store(),
            appointments,
            self.activity_log(),
            starter=self.vacancy_starter(),
        )
        return InboundService(
            self.store(),
            self.queue_store(),
            appointments,
            self.clock,
            self.renderer(),
            self.activity_log(),
            self.conversations(),
            offers=self.offer_service(),
            reschedule=reschedule,
        )

    def conversation_reader(self) -> ConversationReader:
        from rendezvous.domain.conversation import ConversationReader

        return ConversationReader(self.conversations(), self.queue_store())

    def queue_service(self) -> QueueService:
        from rendezvous.domain.staff import QueueService

        return QueueService(
            self.store(),
            self.queue_store(),
            self.gateway(),
            self.activity_log(),
            self.clock,
            self.conversation_reader(),
        )

    def recipient_service(self) -> RecipientService:
        from rendezvous.domain.recipients import RecipientService

        return RecipientService(self.store(), self.conversation_reader(), self.clock)

    def late_texts(self) -> LateTexts:
        from rendezvous.domain.redrive import LateTexts

        return LateTexts(
            self.store(), self.store(), self.queue(), self.clock, offers=self.offer_book()
        )

    def oversight_service(self) -> OversightService:
        from rendezvous.domain.oversight import OversightService

        return OversightService(
            self.store(),
            self.store(),
            self.queue_store(),
            self.activity_log(),
            self.clock,
            self.late_texts,
            offers=self.offer_book(),
        )

    def tune_out_service(self) -> TuneOutService:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.hourly import DynamoHourlyRuns
        from rendezvous.domain.tune_out import TuneOutService

        return TuneOutService(
            self.store(),
            self.store(),
            self.activity_log(),
            self.clock,
            self.template_rules(),
            runs=DynamoHourlyRuns(client("dynamodb"), self.settings.table_name),
            # drawn_by shows a variant's own words, not what the kind sends today.
            experiments=self.experiment_store(),
        )

    def settings_service(self) -> SettingsService:
        from rendezvous.domain.tenant_settings import SettingsService

        return SettingsService(self.settings_store(), self.template_rules(), self.clock)

    def experiment_store(self) -> ExperimentStore:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb.experiments import DynamoExperiments

        return self._once(
            "experiment_store",
            lambda: DynamoExperiments(client("dynamodb"), self.settings.table_name),
        )

    def experiment_service(self) -> ExperimentService:
        from rendezvous.domain.experiment_service import ExperimentService

        return ExperimentService(
            self.experiment_store(), self.activity_log(), self.template_rules(), self.clock
        )

    def webhook_endpoint_service(self) -> WebhookEndpointService:
        from rendezvous.domain.webhook_endpoints import WebhookEndpointService

        return WebhookEndpointService(
            self.webhook_endpoints(),
            self.delivery_log(),
            self.secret_sealer(),
            self.host_resolver(),
            self.delivery_queue(),
            self.clock,
            allow_loopback=self.settings.webhook_allow_loopback,
        )

    def webhook_deliverer(self) -> WebhookDeliverer:
        import secrets

        from rendezvous.domain.webhook_delivery import WebhookDeliverer

        return WebhookDeliverer(
            self.webhook_endpoints(),
            self.delivery_log(),
            self.secret_sealer(),
            self.webhook_poster(),
            self.delivery_retries(),
            self.clock,
            secrets.SystemRandom().random,
        )

    def override(self, *, clock: Clock | None = None, **parts: object) -> None:
        """Swap in a clock or a prepared adapter (tests, the local stack)."""
        if clock is not None:
            self.clock = clock
        self._cache.update(parts)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(settings=get_settings())
    return _runtime


def reset_runtime(runtime: Runtime | None = None) -> None:
    global _runtime
    _runtime = runtime
