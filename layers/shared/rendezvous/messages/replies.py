"""The app's answers to a customer's text, per locale. Short, signed, and never asking for a
carrier keyword for another purpose (START and STOP appear only for what they do)."""

from __future__ import annotations

from typing import Final

from rendezvous.messages.gsm import to_gsm_compatible
from rendezvous.messages.templates import substitute

REPLIES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "ack": "{business}: thanks, we got your message. A person will reply by {due}.",
        "stop_request": "{business}: we got your message and a person will see it. To stop "
        "all texts from us now, reply STOP.",
        "help": "{business}: appointment texts. Questions: {contact}. Reply STOP to opt out.",
        "opt_in": "{business}: you will get appointment texts again. Reply HELP for help, "
        "STOP to opt out.",
        "opt_out": "{business}: you will get no more texts from us. Reply START to opt back in.",
        "confirmed": "{business}: thanks {first_name}, you are confirmed for {when}.",
        "cancelled": "{business}: your appointment on {when} is cancelled. Reply R if you "
        "would like a new time.",
        "reschedule": "{business}: thanks, we will find you a new time for {when}. A person "
        "will reply by {due}.",
        "no_appointment": "{business}: we found no upcoming appointment for this number. "
        "A person will reply by {due}.",
        # R with free slots that fit: the digits answer it while the options are open.
        "reschedule_options": "{business}: free times: reply {options}, or tell us what suits you.",
        # The digit's slot went to someone else first.
        "reschedule_taken_options": "{business}: sorry, just taken. Reply {options}, or "
        "tell us what suits you.",
        "reschedule_taken": "{business}: sorry, just taken. A person will reply by {due}, "
        "or tell us what suits you.",
        # The appointment was changed by someone else since the options were offered.
        "reschedule_changed": "{business}: your visit was just changed to {when}. A person "
        "will reply by {due}.",
    },
    "fr": {
        "ack": "{business}: merci, message reçu. Une personne vous répondra avant {due}.",
        "stop_request": "{business}: message reçu, une personne le lira. Pour ne plus "
        "recevoir nos SMS, répondez STOP.",
        "help": "{business}: SMS de RDV. Questions: {contact}. STOP pour se désabonner.",
        "opt_in": "{business}: vous recevrez à nouveau nos SMS de RDV. HELP pour de l'aide, "
        "STOP pour se désabonner.",
        "opt_out": "{business}: vous ne recevrez plus de SMS. Répondez START pour revenir.",
        "confirmed": "{business}: merci {first_name}, RDV confirmé le {when}.",
        "cancelled": "{business}: votre RDV du {when} est annulé. Répondez R pour un "
        "nouveau créneau.",
        "reschedule": "{business}: merci, nous cherchons un autre créneau pour le {when}. "
        "Réponse avant {due}.",
        "no_appointment": "{business}: aucun RDV à venir pour ce numéro. Une personne vous "
        "répondra avant {due}.",
        "reschedule_options": "{business}: créneaux libres: rép. {options}, ou proposez une heure.",
        "reschedule_taken_options": "{business}: désolé, déjà pris. Répondez {options}, ou "
        "proposez une heure.",
        "reschedule_taken": "{business}: désolé, déjà pris. Réponse avant {due}, ou "
        "proposez une heure.",
        "reschedule_changed": "{business}: RDV changé au {when}. Réponse avant {due}.",
    },
    "es": {
        "ack": "{business}: gracias, recibimos su mensaje. Una persona responderá antes de {due}.",
        "stop_request": "{business}: recibimos su mensaje y una persona lo verá. Para no "
        "recibir más SMS, responda STOP.",
        "help": "{business}: SMS de citas. Preguntas: {contact}. STOP para baja.",
        "opt_in": "{business}: volverá a recibir SMS de citas. HELP para ayuda, STOP para baja.",
        "opt_out": "{business}: no recibirá más SMS. Responda START para volver.",
        "confirmed": "{business}: gracias {first_name}, cita confirmada el {when}.",
        "cancelled": "{business}: su cita del {when} está cancelada. Responda R para otra hora.",
        "reschedule": "{business}: gracias, buscaremos otra hora para su cita del {when}. "
        "Respuesta antes de {due}.",
        "no_appointment": "{business}: no hay citas próximas para este número. Una persona "
        "responderá antes de {due}.",
        "reschedule_options": "{business}: horas libres: resp. {options}, o díganos qué le "
        "conviene.",
        "reschedule_taken_options": "{business}: lo sentimos, ya está tomada. Responda "
        "{options}, o díganos qué le conviene.",
        "reschedule_taken": "{business}: lo sentimos, ya está tomada. Respuesta antes de {due}, "
        "o díganos qué le conviene.",
        "reschedule_changed": "{business}: su cita cambió al {when}. Respuesta antes de {due}.",
    },
}


def render_reply(locale: str, name: str, values: dict[str, str]) -> str:
    template = REPLIES.get(locale, REPLIES["en"])[name]
    return to_gsm_compatible(substitute(template, values))
