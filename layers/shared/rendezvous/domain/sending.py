"""The sender: at send time, decide whether this text may still go out, then send it once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypedDict

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import (
    ConcurrentModification,
    DeliveryUnknown,
    GatewayUnavailable,
    RecipientOptedOut,
    RecipientUndeliverable,
    SmsError,
)
from rendezvous.domain.events import EventType, WebhookEvent, message_event, recipient_opted
from rendezvous.domain.experiments import Assignment, assignment_for
from rendezvous.domain.identity import (
    MessageIdentity,
    claim_key,
    identity_of,
    schedule_name,
    status_callback_ref,
)
from rendezvous.domain.models import (
    CLAIMED_WITHOUT_RESULT,
    PENDING_STATUSES,
    RETRIES_EXHAUSTED,
    Customer,
    MessageKind,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    Recipient,
    SuppressionReason,
    Tenant,
    TextRecord,
    TextRequest,
    is_redrivable,
    template_kind,
)
from rendezvous.domain.planning import late_verdict, offer_late_verdict, still_timely
from rendezvous.domain.ports import (
    ActivityLog,
    AppointmentStore,
    ExperimentMembers,
    OfferTextOwners,
    OutboundSms,
    RecipientClaim,
    ReminderScheduler,
    RenderedSms,
    Renderer,
    SmsGateway,
)
from rendezvous.domain.texts import TextBook
from rendezvous.domain.timing import is_quiet, local_day, next_allowed, recipient_zone

MAX_DEFERRALS = 3
CLAIM_ATTEMPTS = 3
# A claim outlives any redelivery of its event (Scheduler gives up after an hour, SQS
# after its retention, Lambda async after six hours).
CLAIM_RETENTION = timedelta(days=7)
# Twilio may answer a status callback before the sender records its own result, and a
# cancellation may land while a text is on its way: the result is recorded either way.
# A concurrent redelivery may also have marked it `unknown` while this send was under way.
RESULT_RECORDABLE = frozenset(
    {*PENDING_STATUSES, MessageStatus.CANCELLED, MessageStatus.SUPERSEDED, MessageStatus.UNKNOWN}
)


class SentFacts(TypedDict):
    """What the record keeps of a text that was handed to the gateway."""

    body: str
    segments: int
    encoding: str
    # "<experiment>/<variant>" when an experiment's variant wrote the body.
    variant: str | None


class Outcome(StrEnum):
    SENT = "sent"
    SUPPRESSED = "suppressed"
    DEFERRED = "deferred"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    kind: str
    reason: str | None = None
    error_code: int | None = None
    segments: int | None = None
    encoding: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TextSubject:
    """What a text is about, as the sender's rules read it: an appointment, or an opening
    offered to a waitlist entry. The rules (pause, opt-out, quiet hours, cap, the claim)
    are the same for both; only these facts differ."""

    phone: str
    request: TextRequest
    # The moment a late text no longer makes sense before (the visit; for an offer, the
    # last moment the slot is offered).
    ends_at: datetime
    # Why it must not go out now, when that is known from what it is about.
    late: SuppressionReason | None
    render: Callable[[bool, datetime], RenderedSms]
    # The experiment variant its body is written with, when one runs for it.
    assignment: Assignment | None = None


@dataclass(frozen=True)
class _Loaded:
    """One read of what a send decides on. `subject` None: what the text belonged to is
    gone, and `gone` says how the record is closed."""

    tenant: Tenant | None
    message: TextRecord | None
    recipient: Recipient | None
    subject: TextSubject | None
    gone: SuppressionReason = SuppressionReason.APPOINTMENT_CANCELLED


@dataclass
class MessageSender:
    store: AppointmentStore
    gateway: SmsGateway
    scheduler: ReminderScheduler
    clock: Clock
    render: Renderer
    offers: OfferTextOwners | None = None
    # GET /v1/stats counts the offer texts Twilio took (`offer_sent`) from the log.
    activity: ActivityLog | None = None
    # Where a text written with an experiment's variant makes its appointment a member.
    experiments: ExperimentMembers | None = None

    def __post_init__(self) -> None:
        self._texts = TextBook(self.store, self.offers)

    def deliver(self, request: TextRequest, *, final_attempt: bool = False) -> SendResult:
        """Decide and send. `final_attempt`: no retry follows if the gateway is down now, so
        the text is recorded failed (retries_exhausted), ready for a redrive."""
        for _ in range(CLAIM_ATTEMPTS):
            loaded = self._load(request)
            try:
                result = self._deliver(request, loaded, final_attempt)
            except ConcurrentModification:
                # The recipient changed between read and write (an opt-out, another text):
                # read again and decide again.
                continue
            held = result.outcome is Outcome.DEFERRED
            if held and result.reason == SuppressionReason.TENANT_PAUSED and self._resumed(request):
                # Held on a switch read before a resume whose search for held texts may have
                # run before this hold was written: nobody else would release it. Decide again.
                continue
            return result
        raise ConcurrentModification("recipient kept changing; the event will be retried")

    def _resumed(self, request: TextRequest) -> bool:
        tenant = self._load(request).tenant
        return tenant is not None and not tenant.paused

    def _load(self, request: TextRequest) -> _Loaded:
        now = self.clock.now()
        if isinstance(request, OfferSendRequest):
            return self._load_offer(request, now)
        ctx = self.store.load_send_context(request)
        appointment, tenant, message = ctx.appointment, ctx.tenant, ctx.message
        if appointment is None or tenant is None or message is None:
            return _Loaded(tenant, message, ctx.recipient, None)
        assignment = assignment_for(tenant, message.kind, appointment)
        words = assignment.tenant_for(tenant) if assignment is not None else tenant

        def render(first_contact: bool, at: datetime) -> RenderedSms:
            return self.render.message(
                template_kind(message.kind),
                words,
                appointment,
                first_contact=first_contact,
                previous_starts_at=appointment.previous_starts_at,
                now=at,
            )

        subject = TextSubject(
            phone=appointment.customer.phone,
            request=request,
            ends_at=appointment.starts_at,
            late=late_verdict(appointment, message, now, SuppressionReason.TOO_LATE),
            render=render,
            assignment=assignment,
        )
        return _Loaded(tenant, message, ctx.recipient, subject)

    def _load_offer(self, request: OfferSendRequest, now: datetime) -> _Loaded:
        ctx = self._offer_texts().load_offer_send_context(request)
        opening, offer, tenant, text = ctx.opening, ctx.offer, ctx.tenant, ctx.text
        if opening is None or offer is None or tenant is None or text is None:
            return _Loaded(tenant, text, ctx.recipient, None, SuppressionReason.OPENING_EXPIRED)
        customer = Customer(phone=offer.phone, name=offer.name, locale=offer.locale)

        def render(first_contact: bool, at: datetime) -> RenderedSms:
            return self.render.offer(
                MessageKind(text.kind),
                tenant,
                opening,
                customer,
                first_contact=first_contact,
                now=at,
            )

        notice = tenant.fill_min_notice_minutes
        # An offer is worth sending only while its opening can still be taken.
        ends_at = opening.starts_at
        if text.kind == MessageKind.OFFER:
            ends_at -= timedelta(minutes=notice)
        late = offer_late_verdict(text, opening, offer, notice, now, SuppressionReason.TOO_LATE)
        subject = TextSubject(offer.phone, request, ends_at, late, render)
        return _Loaded(tenant, text, ctx.recipient, subject)

    def _deliver(self, request: TextRequest, ctx: _Loaded, final_attempt: bool) -> SendResult:
        now = self.clock.now()
        message = ctx.message
        if message is not None and is_redrivable(message):
            message = self._reopen(message, now)
        if message is None or message.status not in PENDING_STATUSES:
            return SendResult(Outcome.DUPLICATE, request.kind)
        subject, tenant = ctx.subject, ctx.tenant
        if subject is None or tenant is None:
            return self._suppress(message, ctx.gone, now)
        recipient = ctx.recipient or Recipient(
            tenant_id=tenant.tenant_id,
            recipient_key=request.recipient_key,
            phone=subject.phone,
        )
        key = claim_key(message)
        if key in recipient.claims:
            # Claimed by an earlier delivery of this event that never recorded what Twilio
            # said (it stopped mid-way). Sending again could text twice: say so instead.
            self._texts.update(
                message,
                status=MessageStatus.UNKNOWN,
                now=now,
                only_if=PENDING_STATUSES,
                reason=CLAIMED_WITHOUT_RESULT,
            )
            return SendResult(Outcome.UNKNOWN, message.kind, reason=CLAIMED_WITHOUT_RESULT)
        verdict = self._check_rules(message, subject, tenant, recipient, now)
        if verdict is not None:
            return verdict

        zone = recipient_zone(subject.phone, tenant.timezone)
        if is_quiet(now, zone, tenant.quiet_hours):
            return self._defer(message, subject, tenant, now)

        today = local_day(now, zone)
        sent_today = recipient.capped_texts_on(today)
        if sent_today >= tenant.daily_cap and not message.answers_customer:
            return self._suppress(message, SuppressionReason.FREQUENCY_CAP, now)

        rendered = subject.render(recipient.first_contact_at is None, now)
        oldest_kept = (now - CLAIM_RETENTION).date().isoformat()
        claims = {k: day for k, day in recipient.claims.items() if day >= oldest_kept}
        claim = RecipientClaim(
            expected_rev=recipient.rev,
            cap_day=today,
            cap_count=sent_today if message.answers_customer else sent_today + 1,
            first_contact_at=recipient.first_contact_at or now,
            claims={**claims, key: today},
        )
        if subject.assignment is not None:
            # Before the claim: a member write that fails then leaves no claim behind, and
            # the redelivery sends (after the claim it would find the claim and call the
            # text unknown). Writing it twice is harmless: the variant is the appointment's.
            self._join(message, subject.assignment, now)
        # Raises ConcurrentModification when another send or an opt-out got there first;
        # deliver() then reads again, and a duplicate event finds its claim.
        self.store.claim_message(recipient, claim)
        return self._send(message, subject, tenant, recipient, rendered, now, final_attempt)

    def _join(self, message: TextRecord, assignment: Assignment, now: datetime) -> None:
        """The appointment is in the experiment from the first text assigned its variant,
        on record before the text is claimed and sent: a member is an appointment assigned,
        even if that text then goes no further (an opt-out that got there first)."""
        if self.experiments is None:
            raise RuntimeError("an experiment's text reached a sender built without experiments")
        identity = identity_of(message)
        if not isinstance(identity, MessageIdentity):
            raise TypeError("only an appointment's text is written with an experiment's variant")
        self.experiments.join_experiment(
            message.tenant_id,
            assignment.experiment_id,
            identity.appointment_id,
            variant=assignment.variant.name,
            text=f"{identity.kind}#{identity.version}",
            at=now,
        )

    def _offer_texts(self) -> OfferTextOwners:
        if self.offers is None:
            raise RuntimeError("an offer's text reached a sender built without offers")
        return self.offers

    def _reopen(self, message: TextRecord, now: datetime) -> TextRecord | None:
        """A redriven text whose retries had run out is pending again (it never left us:
        its claim was given back), so the rules below decide it as they would any other.
        It is due now: the queue watcher's sweep, which goes by send_at, then catches it
        again should every receive of the redrive crash unrecorded."""
        reopened = self._texts.update(
            message,
            status=MessageStatus.DEFERRED,
            now=now,
            only_if=frozenset({MessageStatus.FAILED}),
            reason_is=RETRIES_EXHAUSTED,
            reason="redriven",
            send_at=now,
        )
        if not reopened:
            return None
        return message.model_copy(
            update={
                "status": MessageStatus.DEFERRED,
                "reason": "redriven",
                "send_at": now,
                "updated_at": now,
            }
        )

    def _check_rules(
        self,
        message: TextRecord,
        subject: TextSubject,
        tenant: Tenant,
        recipient: Recipient,
        now: datetime,
    ) -> SendResult | None:
        if subject.late is not None:
            return self._suppress(message, subject.late, now)
        if tenant.paused:
            return self._hold(message, now)
        if recipient.opted_out:
            return self._suppress(message, SuppressionReason.OPTED_OUT, now)
        if recipient.undeliverable_code is not None:
            return self._suppress(message, SuppressionReason.UNDELIVERABLE, now)
        return None

    def _hold(self, message: TextRecord, now: datetime) -> SendResult:
        """Paused: keep the text, not drop it. Resuming sends it if its moment still makes
        sense (OversightService.resume), and records why not otherwise."""
        changed = self._texts.update(
            message,
            status=MessageStatus.DEFERRED,
            now=now,
            only_if=PENDING_STATUSES,
            reason=SuppressionReason.TENANT_PAUSED.value,
        )
        if not changed:
            return SendResult(Outcome.DUPLICATE, message.kind)
        return SendResult(
            Outcome.DEFERRED, message.kind, reason=SuppressionReason.TENANT_PAUSED.value
        )

    def _suppress(
        self, message: TextRecord, reason: SuppressionReason, now: datetime
    ) -> SendResult:
        changed = self._texts.update(
            message,
            status=MessageStatus.SUPPRESSED,
            now=now,
            only_if=PENDING_STATUSES,
            reason=reason.value,
            event=message_event(
                EventType.MESSAGE_SUPPRESSED, identity_of(message), now, reason=reason.value
            ),
        )
        if not changed:
            return SendResult(Outcome.DUPLICATE, message.kind)
        return SendResult(Outcome.SUPPRESSED, message.kind, reason=reason.value)

    def _defer(
        self, message: TextRecord, subject: TextSubject, tenant: Tenant, now: datetime
    ) -> SendResult:
        zone = recipient_zone(subject.phone, tenant.timezone)
        until = next_allowed(now, zone, tenant.quiet_hours)
        if (
            not still_timely(message.kind, subject.ends_at, until)
            or message.deferrals >= MAX_DEFERRALS
        ):
            return self._suppress(message, SuppressionReason.QUIET_HOURS, now)
        deferrals = message.deferrals + 1
        name = schedule_name(identity_of(message)) + f"-d{deferrals}"
        # Schedule before recording: a schedule without a pending record does nothing,
        # a pending record without a schedule would never be sent.
        self.scheduler.schedule(name, until, subject.request)
        changed = self._texts.update(
            message,
            status=MessageStatus.DEFERRED,
            now=now,
            only_if=PENDING_STATUSES,
            reason=SuppressionReason.QUIET_HOURS.value,
            send_at=until,
            schedule_name=name,
            deferrals=deferrals,
        )
        if not changed:
            self.scheduler.cancel(name)
            return SendResult(Outcome.DUPLICATE, message.kind)
        return SendResult(
            Outcome.DEFERRED,
            message.kind,
            reason=SuppressionReason.QUIET_HOURS.value,
            extra={"until": until.isoformat()},
        )

    def _send(
        self,
        message: TextRecord,
        subject: TextSubject,
        tenant: Tenant,
        recipient: Recipient,
        rendered: RenderedSms,
        now: datetime,
        final_attempt: bool,
    ) -> SendResult:
        sms = OutboundSms(
            to=subject.phone,
            from_=tenant.phone_number,
            body=rendered.body,
            status_callback_ref=status_callback_ref(message),
        )
        facts: SentFacts = {
            "body": rendered.body,
            "segments": rendered.segments,
            "encoding": rendered.encoding,
            "variant": subject.assignment.label if subject.assignment is not None else None,
        }
        try:
            receipt = self.gateway.send(sms)
        except GatewayUnavailable as exc:
            # Nothing left this machine: give the claim back and let the queue retry the
            # event, with the reason on the record. After the last retry the text is failed
            # for all to see (stats, console) and the event goes on to the dead-letter queue,
            # from where a redrive brings it back.
            self.store.release_claim(
                recipient, claim_key(message), counted=not message.answers_customer
            )
            status = MessageStatus.FAILED if final_attempt else MessageStatus.DEFERRED
            reason = RETRIES_EXHAUSTED if final_attempt else "gateway_unavailable"
            failed = (
                message_event(
                    EventType.MESSAGE_FAILED,
                    identity_of(message),
                    now,
                    reason=reason,
                    error_code=exc.error_code,
                )
                if final_attempt
                else None
            )
            # A copy of this event that arrived mid-send found our claim and recorded
            # `unknown`: a guess, and now a wrong one, for nothing left us. Undone too, so the
            # retry sends the text rather than finding it settled.
            for only_if, reason_is in (
                (PENDING_STATUSES, None),
                (frozenset({MessageStatus.UNKNOWN}), CLAIMED_WITHOUT_RESULT),
            ):
                if self._texts.update(
                    message,
                    status=status,
                    now=now,
                    only_if=only_if,
                    reason_is=reason_is,
                    reason=reason,
                    error_code=exc.error_code,
                    event=failed,
                ):
                    break
            raise
        except DeliveryUnknown as exc:
            self._record_result(
                message,
                status=MessageStatus.UNKNOWN,
                now=now,
                reason="timeout_after_request",
                **facts,
            )
            return SendResult(
                Outcome.UNKNOWN,
                message.kind,
                reason="timeout_after_request",
                error_code=exc.error_code,
            )
        except SmsError as exc:
            return self._record_failure(message, subject.phone, tenant, exc, facts, now)
        # A fast status callback may already have recorded a later status; this write then
        # finds the record no longer pending and leaves it be.
        self._record_result(
            message,
            status=MessageStatus.SENT if receipt.status == "sent" else MessageStatus.QUEUED,
            now=now,
            sid=receipt.sid,
            **facts,
        )
        if isinstance(message, OfferText) and message.kind == MessageKind.OFFER:
            self._log_offer_sent(message, now)
        return SendResult(
            Outcome.SENT,
            message.kind,
            segments=rendered.segments,
            encoding=rendered.encoding,
        )

    def _log_offer_sent(self, text: OfferText, now: datetime) -> None:
        """An offer text Twilio took, counted once: this line runs once per claim, and a
        redelivered event finds the claim (or the result) and never gets here again. An
        offer suppressed or held until it no longer mattered was never sent."""
        if self.activity is None:
            return
        self.activity.append(
            text.tenant_id,
            ActivityEntry(
                event=ActivityEvent.OFFER_SENT,
                actor="automation",
                at=now,
                opening_id=text.opening_id,
            ),
        )

    def _record_result(
        self,
        message: TextRecord,
        *,
        status: MessageStatus,
        now: datetime,
        event: WebhookEvent | None = None,
        **fields: object,
    ) -> None:
        """What Twilio said, on the record. The queue watcher's sweep may have marked this
        text failed (retries_exhausted) while the send was under way, when its send_at was
        old (redriven, released after a pause, a backlog): that guess gives way to the fact,
        else a text that went out reads failed and invites a redrive."""
        if self._texts.update(
            message,
            status=status,
            now=now,
            only_if=RESULT_RECORDABLE,
            reason_is=None,
            event=event,
            **fields,
        ):
            return
        self._texts.update(
            message,
            status=status,
            now=now,
            only_if=frozenset({MessageStatus.FAILED}),
            reason_is=RETRIES_EXHAUSTED,
            event=event,
            **fields,
        )

    def _record_failure(
        self,
        message: TextRecord,
        phone: str,
        tenant: Tenant,
        exc: SmsError,
        facts: SentFacts,
        now: datetime,
    ) -> SendResult:
        reason = exc.code
        self._record_result(
            message,
            status=MessageStatus.FAILED,
            now=now,
            event=message_event(
                EventType.MESSAGE_FAILED,
                identity_of(message),
                now,
                reason=reason,
                error_code=exc.error_code,
            ),
            reason=reason,
            error_code=exc.error_code,
            **facts,
        )
        if isinstance(exc, RecipientOptedOut):
            self.store.mark_recipient(
                tenant.tenant_id,
                phone,
                now=now,
                opted_out=True,
                event=recipient_opted(
                    tenant.tenant_id,
                    phone,
                    opted_out=True,
                    cause=claim_key(message),
                    source="carrier",
                    at=now,
                ),
            )
        elif isinstance(exc, RecipientUndeliverable):
            self.store.mark_recipient(
                tenant.tenant_id,
                phone,
                now=now,
                undeliverable_code=exc.error_code or 0,
            )
        return SendResult(Outcome.FAILED, message.kind, reason=reason, error_code=exc.error_code)
