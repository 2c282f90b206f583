"""A customer's text: act on a keyword, or hand it to a person, and say what happens next."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from rendezvous.domain.activity import ALREADY_OPTED_OUT, ActivityEntry, ActivityEvent
from rendezvous.domain.appointments import AppointmentService
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import (
    WebhookEvent,
    appointment_confirmed,
    queue_item_opened,
    queue_item_resolved,
    recipient_opted,
    reschedule_requested,
)
from rendezvous.domain.freed_slot import AUTOMATION, queue_item_id, slot_item_id
from rendezvous.domain.keywords import (
    Intent,
    classify,
    confirms_the_visit,
    keyword_of,
    normalise_keyword,
)
from rendezvous.domain.models import (
    Appointment,
    ConversationMessage,
    MessageKind,
    MessageStatus,
    QueueFlag,
    QueueIntent,
    QueueItem,
    QueueStatus,
    Recipient,
    RescheduleOptions,
    Tenant,
    TextKind,
    WaitlistOffer,
)
from rendezvous.domain.offers import OfferService, TakeResult
from rendezvous.domain.ports import (
    ActivityLog,
    AppointmentStore,
    ConversationQueue,
    Conversations,
    Renderer,
)
from rendezvous.domain.reschedule import Chosen, RescheduleService
from rendezvous.domain.timing import Due, answer_due_before_visit, answer_due_by
from rendezvous.phone import recipient_key

# Who resolves a conversation that needs no person any more (a reschedule chosen by digit).

QUEUED_INTENTS = {
    Intent.FREE_TEXT: QueueIntent.QUESTION,
    Intent.CLOSING: QueueIntent.QUESTION,
    Intent.STOP_REQUEST: QueueIntent.STOP_REQUEST,
    Intent.RESCHEDULE: QueueIntent.RESCHEDULE,
    Intent.OPT_OUT: QueueIntent.QUESTION,
}

# An appointment text's statuses once it left for the customer's phone.
_LEFT = frozenset({MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED})

FLAGS = {
    Intent.STOP_REQUEST: QueueFlag.STOP_REQUEST,
    Intent.OPT_OUT: QueueFlag.OPTED_OUT_WITH_APPOINTMENT,
}


def _flags(intent: Intent) -> tuple[QueueFlag, ...]:
    flag = FLAGS.get(intent)
    return (flag,) if flag else ()


@dataclass(frozen=True)
class InboundText:
    message_sid: str
    from_: str
    to: str
    body: str


@dataclass(frozen=True)
class Answered:
    """The automated text a customer's text answered: its kind and template variant."""

    kind: str
    variant: str | None


@dataclass(frozen=True)
class InboundResult:
    intent: Intent | None  # None: the number belongs to no tenant
    replies: list[str] = field(default_factory=list)
    tenant_id: str | None = None
    queue_item_id: str | None = None
    opened_conversation: bool = False
    acknowledged: bool = False
    appointment_id: str | None = None
    # What a reply to an offer came to (won, taken by another, answered already).
    take: TakeResult | None = None
    # A STOP from a number opted out already: a reply, not a new opt-out.
    already_opted_out: bool = False


@dataclass
class InboundService:
    store: AppointmentStore
    queue: ConversationQueue
    appointments: AppointmentService
    clock: Clock
    render: Renderer
    log: ActivityLog
    texts: Conversations
    # R with free slots that fit offers them by digit; None: every R goes to a person.
    reschedule: RescheduleService | None = None
    # Waitlist offers: Y or the digit takes one while it is open. None: no offers here.
    offers: OfferService | None = None

    def handle(self, text: InboundText) -> InboundResult:
        """Act on a customer's text, keep it and our answers under the number, and log it
        (stats count replies from the log). What is kept here is only the inbound side and
        our answers to it: the conversation staff read joins it with the queue's threads,
        the appointments' automated texts and the number's offer texts
        (rendezvous.domain.conversation)."""
        tenant_id = self.store.tenant_for_number(text.to)
        tenant = self.store.get_tenant(tenant_id) if tenant_id else None
        if tenant is None:
            return InboundResult(intent=None)
        now = self.clock.now()
        recipient = self.store.get_recipient(tenant.tenant_id, text.from_)
        result = self._handle(tenant, text, recipient, now)
        # `recipient` was read before the text was handled: a STOP from a number opted out
        # already changed nothing.
        if result.intent is Intent.OPT_OUT and recipient is not None and recipient.opted_out:
            result = replace(result, already_opted_out=True)
        self._keep(tenant, text, result, now)
        if result.intent is not None:
            answered = self._answered(tenant, text, result, recipient)
            entry = ActivityEntry(
                event=ActivityEvent.TEXT_RECEIVED,
                actor="customer",
                at=self.clock.now(),
                intent=result.intent,
                appointment_id=result.appointment_id,
                item_id=result.queue_item_id,
                answered_kind=answered.kind if answered else None,
                answered_variant=answered.variant if answered else None,
                reason=ALREADY_OPTED_OUT if result.already_opted_out else None,
            )
            self.log.append(tenant.tenant_id, entry)
        return result

    def _answered(
        self,
        tenant: Tenant,
        text: InboundText,
        result: InboundResult,
        recipient: Recipient | None,
    ) -> Answered | None:
        """The automated text a customer's text answered, so results count replies and
        opt-outs against the texts that drew them: the last one that reached the number
        for the appointment the text was about (its `last_text`), or, for an opt-out about
        no appointment, for the number's latest appointment; a waitlist offer made after
        that text is the one answered (a Y that took an offer answered one), unless the
        text confirmed or cancelled the appointment. One read at
        most: the appointment (two for that opt-out: its key, then it). None: no text of
        ours reached the number before (or it did not reach it)."""
        if result.intent is Intent.TAKE_OFFER:
            return Answered(MessageKind.OFFER.value, None)
        if result.appointment_id is not None:
            found = self.store.appointments(tenant.tenant_id, [result.appointment_id])
            appointment = found.get(result.appointment_id)
        elif result.intent is Intent.OPT_OUT:
            rkey = recipient_key(tenant.tenant_id, text.from_)
            appointment = self.store.last_appointment(tenant.tenant_id, rkey)
        else:
            return None
        last = appointment.last_text if appointment is not None else None
        reached = last if last is not None and last.status in _LEFT else None
        # C or X acted on the appointment: they answer its text, whatever came since.
        acted = result.intent in (Intent.CONFIRM, Intent.CANCEL)
        offer = recipient.waitlist_offer if recipient is not None and not acted else None
        if offer is not None and (reached is None or offer.offered_at > reached.at):
            return Answered(MessageKind.OFFER.value, None)
        return Answered(reached.kind, reached.variant) if reached is not None else None

    def _keep(
        self, tenant: Tenant, text: InboundText, result: InboundResult, now: datetime
    ) -> None:
        """Keep the text and our answers under the number, stamped with the moment the
        queue thread's copies carry: the conversation knows those copies and shows each
        text once."""
        keyword = keyword_of(text.body)
        item_id = result.queue_item_id or ""
        received = ConversationMessage(
            item_id=item_id,
            at=now,
            direction="inbound",
            body=text.body,
            author="customer",
            sid=text.message_sid,
            kind=TextKind.KEYWORD if keyword else TextKind.TEXT,
            keyword=keyword,
        )
        answers = [
            ConversationMessage(
                item_id=item_id,
                at=now,
                direction="outbound",
                body=reply,
                author="automation",
                kind=TextKind.AUTO_REPLY,
            )
            for reply in result.replies
        ]
        self.texts.record_texts(
            tenant.tenant_id,
            recipient_key(tenant.tenant_id, text.from_),
            text.message_sid,
            [received, *answers],
            tenant.queue_retention_days,
        )

    def _handle(
        self, tenant: Tenant, text: InboundText, recipient: Recipient | None, now: datetime
    ) -> InboundResult:
        intent = classify(text.body)
        answered = self._answer_offer(tenant, text, intent, recipient)
        if answered is not None:
            return answered
        if intent is Intent.YES:
            intent = self._yes(tenant, text, recipient, now)
        if intent in (Intent.OPT_OUT, Intent.OPT_IN):
            self._opt(tenant, text, opted_out=intent is Intent.OPT_OUT, now=now)
        if intent is Intent.OPT_OUT:
            return self._opted_out(tenant, text, now)
        if intent in (Intent.OPT_IN, Intent.HELP):
            # Answered once: by the app when it answers STOP, else by Twilio's Advanced
            # Opt-Out, which answers START and HELP as well.
            name = "opt_in" if intent is Intent.OPT_IN else "help"
            replies = [self._say(tenant, None, name, now)] if tenant.answer_stop else []
            return InboundResult(intent, replies, tenant.tenant_id)
        if intent in (Intent.CONFIRM, Intent.CANCEL):
            return self._act_on_appointment(tenant, text, intent, recipient, now)
        if intent is Intent.CLOSING:
            closed = self._closing(tenant, text, recipient, now)
            if closed is not None:
                return closed
        if intent is Intent.RESCHEDULE and not (recipient and recipient.opted_out):
            offered = self._offer_times(tenant, text, recipient, now)
            if offered is not None:
                return offered
        choice = recipient.reschedule_options if recipient else None
        if intent is Intent.FREE_TEXT and choice is not None:
            opening_id = choice.opening_for(text.body, now)
            if opening_id is not None:
                return self._choose(tenant, text, recipient, choice, opening_id, now)
        return self._queue(tenant, text, intent, recipient, now)

    # -- R with free slots: offered by digit, and the digit that moves ------------------

    def _offer_times(
        self, tenant: Tenant, text: InboundText, recipient: Recipient | None, now: datetime
    ) -> InboundResult | None:
        """Up to three fitting openings as digits, in the answer to the R; the conversation
        still opens for a person (who sees what was offered, and takes over on any other
        answer or none). None: nothing fits, the R goes to a person as before."""
        if self.reschedule is None:
            return None
        upcoming = self.store.upcoming_appointments(
            tenant.tenant_id, recipient_key(tenant.tenant_id, text.from_), now
        )
        if not upcoming:
            return None
        room = self.render.option_room("reschedule_options", tenant, upcoming[0].customer.locale)
        options = self.reschedule.offer(tenant, text.from_, upcoming[0], now, most=room)
        if not options:
            return None
        answer = self.render.reply(
            "reschedule_options", tenant, upcoming[0], options=[o.starts_at for o in options]
        )
        return self._queue(tenant, text, Intent.RESCHEDULE, recipient, now, answer=answer)

    def _choose(
        self,
        tenant: Tenant,
        text: InboundText,
        recipient: Recipient | None,
        choice: RescheduleOptions,
        opening_id: str,
        now: datetime,
    ) -> InboundResult:
        """The digit of an open reschedule choice: the appointment moves (the customer gets
        the moved text from the sender, so no answer here) and the conversation the R
        opened is resolved; a slot just taken says so and offers what is left; an
        appointment changed since the options were offered stays as it is, for a person."""
        assert self.reschedule is not None  # R options are only made by it
        chosen = self.reschedule.choose(tenant, text.from_, choice, opening_id, now)
        if chosen.outcome is Chosen.MOVED:
            return self._moved(tenant, text, recipient, choice, now)
        appointment = chosen.appointment
        if chosen.outcome is Chosen.TAKEN and appointment is not None:
            room = self.render.option_room(
                "reschedule_taken_options", tenant, appointment.customer.locale
            )
            options = self.reschedule.offer(tenant, text.from_, appointment, now, most=room)
            if options:
                answer = self.render.reply(
                    "reschedule_taken_options",
                    tenant,
                    appointment,
                    options=[o.starts_at for o in options],
                )
                return self._queue(tenant, text, Intent.RESCHEDULE, recipient, now, answer=answer)
            self.store.set_reschedule_options(tenant.tenant_id, text.from_, None)
        due = self._due_by(tenant, now, appointment)
        # Changed by someone else since the times were offered: the customer hears where
        # the visit is now, and a person takes it from there.
        name = "reschedule_changed" if chosen.outcome is Chosen.CHANGED else "reschedule_taken"
        answer = self._say(tenant, appointment, name, now, due=due.at)
        return self._queue(tenant, text, Intent.RESCHEDULE, recipient, now, answer=answer)

    def _moved(
        self,
        tenant: Tenant,
        text: InboundText,
        recipient: Recipient | None,
        choice: RescheduleOptions,
        now: datetime,
    ) -> InboundResult:
        """The digit joins the conversation its R opened, which is then resolved: nothing
        is left for a person (the booking system heard of the move)."""
        item = self._open_item(tenant, recipient)
        if item is None:
            return InboundResult(
                Intent.CHOICE, [], tenant.tenant_id, appointment_id=choice.appointment_id
            )
        message = ConversationMessage(
            item_id=item.item_id,
            at=now,
            direction="inbound",
            body=text.body,
            author="customer",
            sid=text.message_sid,
        )
        if self.queue.append(item, message, retention_days=tenant.queue_retention_days):
            claimed = self.queue.claim(
                tenant.tenant_id, item.item_id, AUTOMATION, now, now + timedelta(minutes=1)
            )
            if claimed is not None:
                self.queue.resolve(
                    claimed, AUTOMATION, now, queue_item_resolved(claimed, AUTOMATION, now)
                )
        return InboundResult(
            Intent.CHOICE,
            [],
            tenant.tenant_id,
            queue_item_id=item.item_id,
            appointment_id=choice.appointment_id,
        )

    def _answer_offer(
        self, tenant: Tenant, text: InboundText, intent: Intent, recipient: Recipient | None
    ) -> InboundResult | None:
        """While a waitlist offer to the number is open, Y (or a confirm word other than C
        and CONFIRM, which answer the reminder that asks for them) answers it, before any
        pending confirmation (CONTRACT.md); after it ended (someone else took the slot)
        and until it would have expired, a Y is a late answer to it, told once that the
        slot is gone. The winner's confirmation and the "just taken" come from the
        sender, so no answer here. None: no such offer, or the text is no Y. R's options
        are answered by their digits only, later on."""
        choice = recipient.waitlist_offer if recipient is not None else None
        if self.offers is None or recipient is None or choice is None or recipient.opted_out:
            return None
        if intent not in (Intent.CONFIRM, Intent.YES) or confirms_the_visit(text.body):
            return None
        now = self.clock.now()
        if not choice.answered_by_y(now):
            return None
        if choice.ended_at is not None and self._texted_since(tenant, recipient, choice, now):
            return None
        taken = self.offers.take(tenant, recipient, choice.opening_id)
        if taken is None:
            return None
        return InboundResult(
            Intent.TAKE_OFFER, [], tenant.tenant_id, appointment_id=taken.appointment_id, take=taken
        )

    def _texted_since(
        self, tenant: Tenant, recipient: Recipient, choice: WaitlistOffer, now: datetime
    ) -> bool:
        """An unconfirmed appointment of the number had a text leave after the ended offer
        was made (a reminder asking for C): a Y now answers that text, the latest one."""
        upcoming = self.store.upcoming_appointments(tenant.tenant_id, recipient.recipient_key, now)
        return any(
            a.confirmed_at is None
            and a.last_text is not None
            and a.last_text.status in _LEFT
            and a.last_text.at > choice.offered_at
            for a in upcoming
        )

    def _yes(
        self, tenant: Tenant, text: InboundText, recipient: Recipient | None, now: datetime
    ) -> Intent:
        """YES opts in at the carrier whatever else it means; it confirms as well when the
        number is not opted out and an unconfirmed visit is coming. "yes please" is no
        keyword (the carrier would not opt it in): it confirms, or a person reads it."""
        keyword = normalise_keyword(text.body) == "YES"
        if recipient is not None and recipient.opted_out:
            return Intent.OPT_IN if keyword else Intent.FREE_TEXT
        upcoming = self.store.upcoming_appointments(
            tenant.tenant_id, recipient_key(tenant.tenant_id, text.from_), now
        )
        if not upcoming or upcoming[0].confirmed_at is not None:
            return Intent.OPT_IN if keyword else Intent.FREE_TEXT
        if keyword:
            self._opt(tenant, text, opted_out=False, now=now)
        return Intent.CONFIRM

    def _opted_out(self, tenant: Tenant, text: InboundText, now: datetime) -> InboundResult:
        """Opted out at once; with a visit coming, a person also decides whether the
        customer meant the visit (CANCEL above all), in a flagged item nobody is texted about."""
        replies = [self._say(tenant, None, "opt_out", now)] if tenant.answer_stop else []
        upcoming = self.store.upcoming_appointments(
            tenant.tenant_id, recipient_key(tenant.tenant_id, text.from_), now
        )
        if not upcoming:
            return InboundResult(Intent.OPT_OUT, replies, tenant.tenant_id)
        recipient = self.store.get_recipient(tenant.tenant_id, text.from_)
        queued = self._queue(tenant, text, Intent.OPT_OUT, recipient, now)
        return InboundResult(
            Intent.OPT_OUT,
            replies,
            tenant.tenant_id,
            queue_item_id=queued.queue_item_id,
            opened_conversation=queued.opened_conversation,
            appointment_id=queued.appointment_id,
        )

    def _closing(
        self, tenant: Tenant, text: InboundText, recipient: Recipient | None, now: datetime
    ) -> InboundResult | None:
        """A "thanks" after a person answered joins that conversation, open or resolved,
        with no acknowledgement and without reopening it. None: nobody answered yet."""
        if recipient is None:
            return None
        item_id = recipient.open_item_id or recipient.last_item_id
        item = self.queue.get(tenant.tenant_id, item_id) if item_id else None
        if item is None or not any(
            m.direction == "outbound" and m.author != "automation"
            for m in self.queue.messages(tenant.tenant_id, item.item_id)
        ):
            return None
        message = ConversationMessage(
            item_id=item.item_id,
            at=now,
            direction="inbound",
            body=text.body,
            author="customer",
            sid=text.message_sid,
        )
        resolved = item.status is QueueStatus.RESOLVED
        if not self.queue.append(
            item, message, retention_days=tenant.queue_retention_days, to_resolved=resolved
        ):
            return None
        return InboundResult(
            Intent.CLOSING,
            [],
            tenant.tenant_id,
            queue_item_id=item.item_id,
            appointment_id=item.appointment_id,
        )

    # -- keywords that act on the next appointment --------------------------------------

    def _act_on_appointment(
        self,
        tenant: Tenant,
        text: InboundText,
        intent: Intent,
        recipient: Recipient | None,
        now: datetime,
    ) -> InboundResult:
        # With several upcoming appointments, the keyword applies to the soonest one and
        # the reply names it; anything else can be asked in words.
        upcoming = self.store.upcoming_appointments(
            tenant.tenant_id, recipient_key(tenant.tenant_id, text.from_), now
        )
        if not upcoming:
            # "ok" or 👍 to a person's answer, with nothing to confirm, closes the exchange.
            closed = (
                self._closing(tenant, text, recipient, now) if intent is Intent.CONFIRM else None
            )
            return closed or self._queue(tenant, text, intent, recipient, now)
        appointment = upcoming[0]
        if intent is Intent.CONFIRM and appointment.confirmed_at is not None:
            # Already confirmed: an "ok" to a person's answer closes that exchange quietly.
            closed = self._closing(tenant, text, recipient, now)
            if closed is not None:
                return closed
        if intent is Intent.CONFIRM:
            self.store.confirm_appointment(
                appointment, now, appointment_confirmed(appointment, now)
            )
            reply = self._say(tenant, appointment, "confirmed", now)
            return InboundResult(
                intent, [reply], tenant.tenant_id, appointment_id=appointment.appointment_id
            )
        self.appointments.cancel(tenant.tenant_id, appointment.appointment_id, source="customer")
        # The freed slot is worth offering only before it starts.
        due = self._due_by(tenant, now, appointment)
        slot = QueueItem(
            tenant_id=tenant.tenant_id,
            item_id=slot_item_id(tenant.tenant_id, appointment.appointment_id),
            intent=QueueIntent.SLOT_FREED,
            phone=text.from_,
            recipient_key=appointment.recipient_key,
            appointment_id=appointment.appointment_id,
            created_at=now,
            updated_at=now,
            due_by=due.at,
            due_reason=due.reason,
            visit_at=appointment.starts_at,
            customer_name=appointment.customer.name,
            last_message_at=now,
            preview="Slot freed: "
            + self.render.moment(appointment.starts_at, tenant.timezone, "en"),
            acknowledged=True,
        )
        self.queue.put_item(slot, tenant.queue_retention_days, queue_item_opened(slot, now))
        reply = self._say(tenant, appointment, "cancelled", now)
        return InboundResult(
            intent,
            [reply],
            tenant.tenant_id,
            queue_item_id=slot.item_id,
            appointment_id=appointment.appointment_id,
        )

    # -- the human queue ----------------------------------------------------------------

    def _queue(
        self,
        tenant: Tenant,
        text: InboundText,
        intent: Intent,
        recipient: Recipient | None,
        now: datetime,
        *,
        answer: str | None = None,
    ) -> InboundResult:
        """Hand the text to a person: it opens a conversation, acknowledged (by `answer`
        when given), or joins the open one, quietly unless there is an `answer`."""
        inbound = ConversationMessage(
            item_id="",
            at=now,
            direction="inbound",
            body=text.body,
            author="customer",
            sid=text.message_sid,
        )
        for _ in range(3):
            current = self._open_item(tenant, recipient)
            if current is not None:
                message = inbound.model_copy(update={"item_id": current.item_id})
                if self.queue.append(
                    current,
                    message,
                    retention_days=tenant.queue_retention_days,
                    events=self._reschedule(intent, current, text, now),
                    flags=_flags(intent),
                ):
                    # One acknowledgement per conversation: later texts join it quietly.
                    return InboundResult(
                        intent,
                        [answer] if answer else [],
                        tenant.tenant_id,
                        queue_item_id=current.item_id,
                        appointment_id=current.appointment_id,
                    )
            opened = self._open(tenant, text, intent, recipient, inbound, now, answer)
            if opened is not None:
                return opened
            recipient = self.store.get_recipient(tenant.tenant_id, text.from_)
        raise ConcurrentModification("the conversation kept changing; Twilio will retry")

    def _open(
        self,
        tenant: Tenant,
        text: InboundText,
        intent: Intent,
        recipient: Recipient | None,
        inbound: ConversationMessage,
        now: datetime,
        answer: str | None = None,
    ) -> InboundResult | None:
        """A new conversation, linked to the customer's next appointment, acknowledged in the
        same write. None when another text opened one first."""
        rkey = recipient_key(tenant.tenant_id, text.from_)
        upcoming = self.store.upcoming_appointments(tenant.tenant_id, rkey, now)
        appointment = upcoming[0] if upcoming else None
        due = self._due_by(tenant, now, appointment)
        item = QueueItem(
            tenant_id=tenant.tenant_id,
            item_id=queue_item_id(tenant.tenant_id, text.message_sid),
            intent=QUEUED_INTENTS.get(intent, QueueIntent.UNMATCHED),
            phone=text.from_,
            recipient_key=rkey,
            appointment_id=appointment.appointment_id if appointment else None,
            created_at=now,
            updated_at=now,
            due_by=due.at,
            due_reason=due.reason,
            visit_at=appointment.starts_at if appointment else None,
            customer_name=appointment.customer.name if appointment else None,
            last_message_at=now,
            message_count=1,
            preview=text.body[:160],
            # A number that opted out is heard, not answered.
            acknowledged=not (recipient and recipient.opted_out),
            flags=_flags(intent),
        )
        thread = [inbound.model_copy(update={"item_id": item.item_id})]
        replies = []
        if item.acknowledged:
            reply = answer or self._acknowledgement(tenant, item, intent, appointment, now)
            replies.append(reply)
            thread.append(
                ConversationMessage(
                    item_id=item.item_id,
                    at=now,
                    direction="outbound",
                    body=reply,
                    author="automation",
                )
            )
        try:
            self.queue.open_conversation(
                item,
                thread,
                recipient_rev=recipient.rev if recipient else 0,
                retention_days=tenant.queue_retention_days,
                events=[queue_item_opened(item, now), *self._reschedule(intent, item, text, now)],
            )
        except ConcurrentModification:
            return None
        return InboundResult(
            intent,
            replies,
            tenant.tenant_id,
            queue_item_id=item.item_id,
            opened_conversation=True,
            acknowledged=item.acknowledged,
            appointment_id=item.appointment_id,
        )

    @staticmethod
    def _reschedule(
        intent: Intent, item: QueueItem, text: InboundText, now: datetime
    ) -> list[WebhookEvent]:
        """An R about an appointment is told to the booking system as well as handed to a
        person; one with no appointment to move is a person's business only."""
        if intent is not Intent.RESCHEDULE or item.appointment_id is None:
            return []
        return [reschedule_requested(item, text.message_sid, now)]

    def _opt(self, tenant: Tenant, text: InboundText, *, opted_out: bool, now: datetime) -> None:
        event = recipient_opted(
            tenant.tenant_id,
            text.from_,
            opted_out=opted_out,
            cause=text.message_sid,
            source="keyword",
            at=now,
        )
        self.store.mark_recipient(
            tenant.tenant_id, text.from_, now=now, opted_out=opted_out, event=event
        )

    def _open_item(self, tenant: Tenant, recipient: Recipient | None) -> QueueItem | None:
        if recipient is None or recipient.open_item_id is None:
            return None
        item = self.queue.get(tenant.tenant_id, recipient.open_item_id)
        if item is None or item.status is QueueStatus.RESOLVED:
            return None
        return item

    def _acknowledgement(
        self,
        tenant: Tenant,
        item: QueueItem,
        intent: Intent,
        appointment: Appointment | None,
        now: datetime,
    ) -> str:
        name = {
            Intent.STOP_REQUEST: "stop_request",
            Intent.RESCHEDULE: "reschedule" if appointment else "no_appointment",
            Intent.CONFIRM: "no_appointment",
            Intent.CANCEL: "no_appointment",
        }.get(intent, "ack")
        return self._say(tenant, appointment, name, now, due=item.due_by)

    def _due_by(self, tenant: Tenant, now: datetime, appointment: Appointment | None) -> Due:
        usual = answer_due_by(now, tenant.timezone, tenant.opening_hours, tenant.response_minutes)
        return answer_due_before_visit(usual, appointment.starts_at if appointment else None, now)

    def _say(
        self,
        tenant: Tenant,
        appointment: Appointment | None,
        name: str,
        now: datetime,
        due: datetime | None = None,
    ) -> str:
        return self.render.reply(name, tenant, appointment, due=due)
