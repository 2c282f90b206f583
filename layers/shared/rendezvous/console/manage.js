"use strict";
// The managers' view: the business's settings (GET/PATCH /v1/settings), the booking system's
// webhook endpoints with each one's delivery log and a retry, and the texts whose every retry
// failed, sent again in one go (POST /v1/outbox/redrive). Staff never see it: the view is
// registered for managers only, and the API refuses them these routes anyway.

Object.assign(I18N.en, {
  "manage.heading": "Manage",
  "manage.loading": "Loading…",
  "manage.settings.heading": "Settings",
  "manage.settings.readOnly": "Set when the business was onboarded",
  "manage.settings.tenantId": "Business id",
  "manage.settings.phoneNumber": "Sending number",
  "manage.settings.version": "Version",
  "manage.settings.general": "Business",
  "manage.settings.name": "Name (starts every text)",
  "manage.settings.timezone": "Time zone (like Europe/Paris)",
  "manage.settings.locale": "Language of texts to customers",
  "manage.settings.contact": "Contact line (optional)",
  "manage.settings.texts": "Automated texts",
  "manage.settings.quietStart": "Quiet hours from",
  "manage.settings.quietEnd": "Quiet hours until",
  "manage.settings.offsets": "Reminders, in minutes before the visit (comma-separated; 1440 = a day)",
  "manage.settings.dailyCap": "At most this many texts to one customer a day",
  "manage.settings.serviceDetails": "Name the service and the person in texts",
  "manage.settings.answerStop": "Rendezvous answers STOP (otherwise Twilio’s Advanced Opt-Out does)",
  "manage.settings.queue": "Queue",
  "manage.settings.response": "Answer customers within (minutes)",
  "manage.settings.lease": "A claim lasts (minutes)",
  "manage.settings.retention": "Keep resolved items (days)",
  "manage.settings.opening": "Opening hours",
  "manage.settings.day": "Day",
  "manage.settings.open": "Open",
  "manage.settings.opens": "Opens",
  "manage.settings.closes": "Closes",
  "manage.settings.templates": "Texts to customers",
  "manage.settings.templatesHint": "{business}, {name}, {time} and the other parts in braces are filled in for each customer; saving checks the longest case.",
  "manage.settings.kind.confirmation": "Confirmation",
  "manage.settings.kind.moved": "Moved",
  "manage.settings.kind.reminder": "Reminder",
  "manage.settings.overridden": "Your own text",
  "manage.settings.default": "Default text",
  "manage.settings.restoreDefault": "Use the default text",
  "manage.settings.willRestore": "The default text will be used once you save.",
  "manage.settings.segments.one": "{chars} characters as written · {count} SMS segment",
  "manage.settings.segments.other": "{chars} characters as written · {count} SMS segments",
  "manage.settings.save": "Save settings",
  "manage.settings.saved": "Settings saved.",
  "manage.settings.unchanged": "Nothing to save: nothing was changed.",
  "manage.settings.conflict": "Someone else changed the settings while you were editing. They are shown as they are now: make your change again.",
  "manage.settings.invalid": "Some settings were not accepted: see the fields marked below.",
  "manage.webhooks.heading": "Webhook endpoints",
  "manage.webhooks.intro": "Where your booking system hears about what happens here.",
  "manage.webhooks.none": "No endpoints yet.",
  "manage.webhooks.events": "Events",
  "manage.webhooks.log": "Delivery log",
  "manage.webhooks.hideLog": "Hide the log",
  "manage.webhooks.delete": "Delete",
  "manage.webhooks.confirmDelete": "Delete the endpoint {id}? Its events stop at once.",
  "manage.webhooks.deleted": "Endpoint {id} deleted.",
  "manage.webhooks.add": "Add an endpoint",
  "manage.webhooks.id": "Name (letters, digits, - and _)",
  "manage.webhooks.url": "URL (https)",
  "manage.webhooks.description": "Description (optional)",
  "manage.webhooks.chooseEvents": "Send these events",
  "manage.webhooks.addButton": "Add endpoint",
  "manage.webhooks.pickEvent": "Choose at least one event.",
  "manage.webhooks.added": "Endpoint {id} added.",
  "manage.webhooks.secret": "Signing secret of {id}: copy it now, it is shown only this once.",
  "manage.webhooks.logOf": "Deliveries to {id}",
  "manage.webhooks.noDeliveries": "Nothing was delivered to this endpoint yet.",
  "manage.webhooks.event": "Event",
  "manage.webhooks.occurred": "Happened",
  "manage.webhooks.state": "State",
  "manage.webhooks.attempts": "Attempts",
  "manage.webhooks.state.pending": "pending",
  "manage.webhooks.state.delivered": "delivered",
  "manage.webhooks.state.failed": "failed",
  "manage.webhooks.nextAttempt": "next attempt {when}",
  "manage.webhooks.noAnswer": "no answer",
  "manage.webhooks.retry": "Retry",
  "manage.webhooks.retryLabel": "Retry {event} of {when}",
  "manage.webhooks.retrying": "Retrying the delivery of {event}.",
  "manage.webhooks.more": "Older deliveries",
  "manage.failed.heading": "Texts that could not be sent",
  "manage.failed.none": "No text is waiting: every automated text went out or is on its way.",
  "manage.failed.intro.one": "{count} text could not be sent after every retry (Twilio did not take it). Send it again once the outage is over.",
  "manage.failed.intro.other": "{count} texts could not be sent after every retry (Twilio did not take them). Send them again once the outage is over.",
  "manage.failed.caption": "Texts whose retries ran out",
  "manage.failed.due": "Due",
  "manage.failed.customer": "Customer",
  "manage.failed.kind": "Text",
  "manage.failed.redrive": "Send them again",
  "manage.failed.sending": "Sending {count} again.",
  "manage.failed.notSent": "Not sent: {list}.",
  "manage.outboxLink": "Send them again (Manage)"
});

Object.assign(I18N.fr, {
  "manage.heading": "Gestion",
  "manage.loading": "Chargement…",
  "manage.settings.heading": "Réglages",
  "manage.settings.readOnly": "Fixés à l’inscription de l’entreprise",
  "manage.settings.tenantId": "Identifiant de l’entreprise",
  "manage.settings.phoneNumber": "Numéro d’envoi",
  "manage.settings.version": "Version",
  "manage.settings.general": "Entreprise",
  "manage.settings.name": "Nom (au début de chaque SMS)",
  "manage.settings.timezone": "Fuseau horaire (comme Europe/Paris)",
  "manage.settings.locale": "Langue des SMS aux clients",
  "manage.settings.contact": "Ligne de contact (facultative)",
  "manage.settings.texts": "SMS automatiques",
  "manage.settings.quietStart": "Heures calmes à partir de",
  "manage.settings.quietEnd": "Heures calmes jusqu’à",
  "manage.settings.offsets": "Rappels, en minutes avant le rendez-vous (séparés par des virgules ; 1440 = un jour)",
  "manage.settings.dailyCap": "Au plus ce nombre de SMS à un même client par jour",
  "manage.settings.serviceDetails": "Nommer la prestation et la personne dans les SMS",
  "manage.settings.answerStop": "Rendezvous répond à STOP (sinon, l’Advanced Opt-Out de Twilio)",
  "manage.settings.queue": "File d’attente",
  "manage.settings.response": "Répondre aux clients sous (minutes)",
  "manage.settings.lease": "Une prise en charge dure (minutes)",
  "manage.settings.retention": "Garder les éléments traités (jours)",
  "manage.settings.opening": "Heures d’ouverture",
  "manage.settings.day": "Jour",
  "manage.settings.open": "Ouvert",
  "manage.settings.opens": "Ouvre",
  "manage.settings.closes": "Ferme",
  "manage.settings.templates": "SMS aux clients",
  "manage.settings.templatesHint": "{business}, {name}, {time} et les autres parties entre accolades sont remplies pour chaque client ; l’enregistrement vérifie le cas le plus long.",
  "manage.settings.kind.confirmation": "Confirmation",
  "manage.settings.kind.moved": "Déplacé",
  "manage.settings.kind.reminder": "Rappel",
  "manage.settings.overridden": "Votre texte",
  "manage.settings.default": "Texte par défaut",
  "manage.settings.restoreDefault": "Utiliser le texte par défaut",
  "manage.settings.willRestore": "Le texte par défaut sera utilisé après l’enregistrement.",
  "manage.settings.segments.one": "{chars} caractères tels qu’écrits · {count} segment SMS",
  "manage.settings.segments.other": "{chars} caractères tels qu’écrits · {count} segments SMS",
  "manage.settings.save": "Enregistrer les réglages",
  "manage.settings.saved": "Réglages enregistrés.",
  "manage.settings.unchanged": "Rien à enregistrer : rien n’a changé.",
  "manage.settings.conflict": "Quelqu’un d’autre a modifié les réglages pendant votre saisie. Ils sont affichés tels qu’ils sont maintenant : refaites votre modification.",
  "manage.settings.invalid": "Certains réglages n’ont pas été acceptés : voir les champs signalés ci-dessous.",
  "manage.webhooks.heading": "Points de terminaison webhook",
  "manage.webhooks.intro": "Là où votre logiciel de réservation apprend ce qui se passe ici.",
  "manage.webhooks.none": "Aucun point de terminaison pour l’instant.",
  "manage.webhooks.events": "Événements",
  "manage.webhooks.log": "Journal des envois",
  "manage.webhooks.hideLog": "Masquer le journal",
  "manage.webhooks.delete": "Supprimer",
  "manage.webhooks.confirmDelete": "Supprimer le point de terminaison {id} ? Ses événements cessent aussitôt.",
  "manage.webhooks.deleted": "Point de terminaison {id} supprimé.",
  "manage.webhooks.add": "Ajouter un point de terminaison",
  "manage.webhooks.id": "Nom (lettres, chiffres, - et _)",
  "manage.webhooks.url": "URL (https)",
  "manage.webhooks.description": "Description (facultative)",
  "manage.webhooks.chooseEvents": "Envoyer ces événements",
  "manage.webhooks.addButton": "Ajouter",
  "manage.webhooks.pickEvent": "Choisissez au moins un événement.",
  "manage.webhooks.added": "Point de terminaison {id} ajouté.",
  "manage.webhooks.secret": "Secret de signature de {id} : copiez-le maintenant, il n’est montré qu’une fois.",
  "manage.webhooks.logOf": "Envois vers {id}",
  "manage.webhooks.noDeliveries": "Rien n’a encore été envoyé à ce point de terminaison.",
  "manage.webhooks.event": "Événement",
  "manage.webhooks.occurred": "Survenu",
  "manage.webhooks.state": "État",
  "manage.webhooks.attempts": "Tentatives",
  "manage.webhooks.state.pending": "en cours",
  "manage.webhooks.state.delivered": "livré",
  "manage.webhooks.state.failed": "échoué",
  "manage.webhooks.nextAttempt": "prochaine tentative {when}",
  "manage.webhooks.noAnswer": "pas de réponse",
  "manage.webhooks.retry": "Réessayer",
  "manage.webhooks.retryLabel": "Réessayer {event} du {when}",
  "manage.webhooks.retrying": "Nouvel envoi de {event}.",
  "manage.webhooks.more": "Envois plus anciens",
  "manage.failed.heading": "SMS qui n’ont pas pu partir",
  "manage.failed.none": "Aucun SMS en attente : tous les SMS automatiques sont partis ou en route.",
  "manage.failed.intro.one": "{count} SMS n’a pas pu partir malgré toutes les tentatives (Twilio ne l’a pas pris). Renvoyez-le une fois la panne passée.",
  "manage.failed.intro.other": "{count} SMS n’ont pas pu partir malgré toutes les tentatives (Twilio ne les a pas pris). Renvoyez-les une fois la panne passée.",
  "manage.failed.caption": "SMS dont les tentatives sont épuisées",
  "manage.failed.due": "Prévu",
  "manage.failed.customer": "Client",
  "manage.failed.kind": "SMS",
  "manage.failed.redrive": "Les renvoyer",
  "manage.failed.sending": "Renvoi de {count}.",
  "manage.failed.notSent": "Non envoyés : {list}.",
  "manage.outboxLink": "Les renvoyer (Gestion)"
});

Object.assign(I18N.es, {
  "manage.heading": "Gestión",
  "manage.loading": "Cargando…",
  "manage.settings.heading": "Ajustes",
  "manage.settings.readOnly": "Fijados al dar de alta el negocio",
  "manage.settings.tenantId": "Identificador del negocio",
  "manage.settings.phoneNumber": "Número de envío",
  "manage.settings.version": "Versión",
  "manage.settings.general": "Negocio",
  "manage.settings.name": "Nombre (al inicio de cada SMS)",
  "manage.settings.timezone": "Zona horaria (como Europe/Madrid)",
  "manage.settings.locale": "Idioma de los SMS a los clientes",
  "manage.settings.contact": "Línea de contacto (opcional)",
  "manage.settings.texts": "SMS automáticos",
  "manage.settings.quietStart": "Horas de silencio desde",
  "manage.settings.quietEnd": "Horas de silencio hasta",
  "manage.settings.offsets": "Recordatorios, en minutos antes de la cita (separados por comas; 1440 = un día)",
  "manage.settings.dailyCap": "Como máximo tantos SMS a un mismo cliente al día",
  "manage.settings.serviceDetails": "Nombrar el servicio y la persona en los SMS",
  "manage.settings.answerStop": "Rendezvous responde a STOP (si no, el Advanced Opt-Out de Twilio)",
  "manage.settings.queue": "Cola",
  "manage.settings.response": "Responder a los clientes en (minutos)",
  "manage.settings.lease": "Una asignación dura (minutos)",
  "manage.settings.retention": "Conservar los elementos resueltos (días)",
  "manage.settings.opening": "Horario de apertura",
  "manage.settings.day": "Día",
  "manage.settings.open": "Abierto",
  "manage.settings.opens": "Abre",
  "manage.settings.closes": "Cierra",
  "manage.settings.templates": "SMS a los clientes",
  "manage.settings.templatesHint": "{business}, {name}, {time} y las demás partes entre llaves se rellenan para cada cliente; al guardar se comprueba el caso más largo.",
  "manage.settings.kind.confirmation": "Confirmación",
  "manage.settings.kind.moved": "Cambio de hora",
  "manage.settings.kind.reminder": "Recordatorio",
  "manage.settings.overridden": "Su propio texto",
  "manage.settings.default": "Texto predeterminado",
  "manage.settings.restoreDefault": "Usar el texto predeterminado",
  "manage.settings.willRestore": "Se usará el texto predeterminado al guardar.",
  "manage.settings.segments.one": "{chars} caracteres tal como está escrito · {count} segmento SMS",
  "manage.settings.segments.other": "{chars} caracteres tal como está escrito · {count} segmentos SMS",
  "manage.settings.save": "Guardar los ajustes",
  "manage.settings.saved": "Ajustes guardados.",
  "manage.settings.unchanged": "Nada que guardar: no se cambió nada.",
  "manage.settings.conflict": "Otra persona cambió los ajustes mientras usted editaba. Se muestran como están ahora: vuelva a hacer su cambio.",
  "manage.settings.invalid": "Algunos ajustes no se aceptaron: vea los campos marcados abajo.",
  "manage.webhooks.heading": "Endpoints de webhook",
  "manage.webhooks.intro": "Donde su sistema de reservas se entera de lo que pasa aquí.",
  "manage.webhooks.none": "Todavía no hay endpoints.",
  "manage.webhooks.events": "Eventos",
  "manage.webhooks.log": "Registro de envíos",
  "manage.webhooks.hideLog": "Ocultar el registro",
  "manage.webhooks.delete": "Eliminar",
  "manage.webhooks.confirmDelete": "¿Eliminar el endpoint {id}? Sus eventos se detienen enseguida.",
  "manage.webhooks.deleted": "Endpoint {id} eliminado.",
  "manage.webhooks.add": "Añadir un endpoint",
  "manage.webhooks.id": "Nombre (letras, cifras, - y _)",
  "manage.webhooks.url": "URL (https)",
  "manage.webhooks.description": "Descripción (opcional)",
  "manage.webhooks.chooseEvents": "Enviar estos eventos",
  "manage.webhooks.addButton": "Añadir endpoint",
  "manage.webhooks.pickEvent": "Elija al menos un evento.",
  "manage.webhooks.added": "Endpoint {id} añadido.",
  "manage.webhooks.secret": "Secreto de firma de {id}: cópielo ahora, solo se muestra esta vez.",
  "manage.webhooks.logOf": "Envíos a {id}",
  "manage.webhooks.noDeliveries": "Todavía no se ha enviado nada a este endpoint.",
  "manage.webhooks.event": "Evento",
  "manage.webhooks.occurred": "Ocurrió",
  "manage.webhooks.state": "Estado",
  "manage.webhooks.attempts": "Intentos",
  "manage.webhooks.state.pending": "pendiente",
  "manage.webhooks.state.delivered": "entregado",
  "manage.webhooks.state.failed": "fallido",
  "manage.webhooks.nextAttempt": "próximo intento {when}",
  "manage.webhooks.noAnswer": "sin respuesta",
  "manage.webhooks.retry": "Reintentar",
  "manage.webhooks.retryLabel": "Reintentar {event} de {when}",
  "manage.webhooks.retrying": "Reintentando el envío de {event}.",
  "manage.webhooks.more": "Envíos anteriores",
  "manage.failed.heading": "SMS que no se pudieron enviar",
  "manage.failed.none": "Ningún SMS espera: todos los SMS automáticos salieron o están en camino.",
  "manage.failed.intro.one": "{count} SMS no se pudo enviar tras todos los reintentos (Twilio no lo aceptó). Envíelo de nuevo cuando pase la avería.",
  "manage.failed.intro.other": "{count} SMS no se pudieron enviar tras todos los reintentos (Twilio no los aceptó). Envíelos de nuevo cuando pase la avería.",
  "manage.failed.caption": "SMS cuyos reintentos se agotaron",
  "manage.failed.due": "Previsto",
  "manage.failed.customer": "Cliente",
  "manage.failed.kind": "SMS",
  "manage.failed.redrive": "Enviarlos de nuevo",
  "manage.failed.sending": "Enviando {count} de nuevo.",
  "manage.failed.notSent": "No enviados: {list}.",
  "manage.outboxLink": "Enviarlos de nuevo (Gestión)"
});

(() => {
  const $ = (id) => document.getElementById(id);
  const el = (...args) => RV.el(...args);
  const LOCALES = ["en", "fr", "es"];
  const LOCALE_NAMES = { en: "English", fr: "Français", es: "Español" };
  const KINDS = ["confirmation", "moved", "reminder"];
  const DAYS = [1, 2, 3, 4, 5, 6, 7]; // ISO weekdays, as the API numbers them
  const EVENTS = [
    "appointment.confirmed", "appointment.cancelled", "appointment.reschedule_requested",
    "appointment.created", "appointment.outcome_recorded", "opening.filled",
    "message.delivered", "message.failed", "message.suppressed",
    "recipient.opted_out", "recipient.opted_in", "queue.item_opened", "queue.item_resolved",
  ];
  const RETRIES_EXHAUSTED = "retries_exhausted";
  const NUMBER_FIELDS = [
    ["daily_cap", "set-daily-cap"], ["response_minutes", "set-response"],
    ["queue_lease_minutes", "set-lease"], ["queue_retention_days", "set-retention"],
  ];
  const TEXT_FIELDS = [["name", "set-name"], ["timezone", "set-timezone"], ["contact", "set-contact"]];

  const state = {
    built: false,
    settings: null, // GET /v1/settings as it was read: the form's base for the merge patch
    restore: new Set(), // "en.reminder": templates going back to the default on save
    endpoints: [],
    log: null, // { id, deliveries, cursor }: the delivery log on screen
    failed: [],
  };

  // ---- the skeleton (built once, its words set by render*) --------------------------------
  function field(id, labelKey, input, hintId) {
    input.id = id;
    const error = el("p", { id: `${id}-error`, class: "field-error", role: "alert" });
    input.setAttribute("aria-describedby", [hintId, `${id}-error`].filter(Boolean).join(" "));
    return el("div", { class: "field" }, el("label", { for: id, "data-i18n": labelKey }), input, error);
  }

  function checkbox(id, labelKey) {
    const box = el("input", { type: "checkbox", id, "aria-describedby": `${id}-error` });
    return el("div", { class: "field field-check" }, box,
      el("label", { for: id, "data-i18n": labelKey }),
      el("p", { id: `${id}-error`, class: "field-error", role: "alert" }));
  }

  function group(legendKey, ...children) {
    return el("fieldset", { class: "manage-group" }, el("legend", { "data-i18n": legendKey }), ...children);
  }

  function buildSettings() {
    const locale = el("select", {});
    for (const code of LOCALES) locale.append(el("option", { value: code, lang: code }, LOCALE_NAMES[code]));
    const hours = el("table", { class: "opening" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, el("span", { class: "visually-hidden", "data-i18n": "manage.settings.day" })),
        el("th", { scope: "col", "data-i18n": "manage.settings.open" }),
        el("th", { scope: "col", "data-i18n": "manage.settings.opens" }),
        el("th", { scope: "col", "data-i18n": "manage.settings.closes" }))),
      el("tbody", {}, ...DAYS.map((day) => el("tr", {},
        el("th", { scope: "row", id: `set-day-${day}` }),
        el("td", {}, el("input", { type: "checkbox", id: `set-open-${day}`, "aria-labelledby": `set-open-label set-day-${day}` })),
        el("td", {}, el("input", { type: "time", id: `set-opens-${day}`, "aria-labelledby": `set-opens-label set-day-${day}`, "aria-describedby": "set-opening-error" })),
        el("td", {}, el("input", { type: "time", id: `set-closes-${day}`, "aria-labelledby": `set-closes-label set-day-${day}`, "aria-describedby": "set-opening-error" }))))));
    const templates = LOCALES.map((code) => el("details", { class: "templates", "data-locale": code },
      el("summary", { lang: code }, LOCALE_NAMES[code]),
      ...KINDS.map((kind) => {
        const id = `set-tpl-${code}-${kind}`;
        const area = el("textarea", { rows: 3, lang: code, maxlength: 1000, "data-template": `${code}.${kind}` });
        const box = field(id, `manage.settings.kind.${kind}`, area, `${id}-count`);
        box.append(
          el("p", { id: `${id}-count`, class: "hint", "aria-live": "polite" }),
          el("p", { class: "template-state" },
            el("span", { id: `${id}-origin`, class: "muted small" }), " ",
            el("button", { type: "button", class: "quiet small-button", id: `${id}-restore`, "data-restore": `${code}.${kind}`, "data-i18n": "manage.settings.restoreDefault" })));
        return box;
      })));
    return el("section", { class: "panel manage-settings", "aria-labelledby": "settings-heading" },
      el("h3", { id: "settings-heading", "data-i18n": "manage.settings.heading" }),
      el("p", { id: "settings-message", class: "callout", role: "status", hidden: true }),
      el("form", { id: "settings-form", novalidate: true },
        group("manage.settings.readOnly", el("dl", { id: "settings-fixed", class: "details" })),
        group("manage.settings.general",
          field("set-name", "manage.settings.name", el("input", { type: "text", maxlength: 100, autocomplete: "organization" })),
          field("set-timezone", "manage.settings.timezone", el("input", { type: "text", maxlength: 64, spellcheck: "false", autocomplete: "off" })),
          field("set-locale", "manage.settings.locale", locale),
          field("set-contact", "manage.settings.contact", el("input", { type: "text", maxlength: 200, autocomplete: "off" }))),
        group("manage.settings.texts",
          el("div", { class: "field-row" },
            field("set-quiet-start", "manage.settings.quietStart", el("input", { type: "time" })),
            field("set-quiet-end", "manage.settings.quietEnd", el("input", { type: "time" }))),
          field("set-offsets", "manage.settings.offsets", el("input", { type: "text", inputmode: "numeric", autocomplete: "off" })),
          field("set-daily-cap", "manage.settings.dailyCap", el("input", { type: "number", min: 1, max: 20, step: 1 })),
          checkbox("set-service-details", "manage.settings.serviceDetails"),
          checkbox("set-answer-stop", "manage.settings.answerStop")),
        group("manage.settings.opening",
          el("span", { id: "set-open-label", hidden: true, "data-i18n": "manage.settings.open" }),
          el("span", { id: "set-opens-label", hidden: true, "data-i18n": "manage.settings.opens" }),
          el("span", { id: "set-closes-label", hidden: true, "data-i18n": "manage.settings.closes" }),
          el("div", { class: "table-wrap" }, hours),
          el("p", { id: "set-opening-error", class: "field-error", role: "alert" })),
        group("manage.settings.queue",
          field("set-response", "manage.settings.response", el("input", { type: "number", min: 5, max: 10080, step: 1 })),
          field("set-lease", "manage.settings.lease", el("input", { type: "number", min: 1, max: 240, step: 1 })),
          field("set-retention", "manage.settings.retention", el("input", { type: "number", min: 1, max: 3650, step: 1 }))),
        group("manage.settings.templates",
          el("p", { class: "hint", "data-i18n": "manage.settings.templatesHint" }), ...templates),
        el("p", { id: "settings-error", class: "field-error", role: "alert" }),
        el("button", { type: "submit", id: "settings-save", class: "primary", "data-i18n": "manage.settings.save" })));
  }

  function buildWebhooks() {
    const events = el("fieldset", { id: "hook-events", class: "events", "aria-describedby": "hook-events-error" },
      el("legend", { "data-i18n": "manage.webhooks.chooseEvents" }),
      ...EVENTS.map((name) => el("label", { class: "event-choice" },
        el("input", { type: "checkbox", name: "hook-event", value: name }), el("code", {}, name))),
      el("p", { id: "hook-events-error", class: "field-error", role: "alert" }));
    return el("section", { class: "panel manage-webhooks", "aria-labelledby": "webhooks-heading" },
      el("h3", { id: "webhooks-heading", tabindex: "-1", "data-i18n": "manage.webhooks.heading" }),
      el("p", { class: "hint", "data-i18n": "manage.webhooks.intro" }),
      el("p", { id: "hooks-empty", class: "empty", hidden: true, "data-i18n": "manage.webhooks.none" }),
      el("ul", { id: "hooks-list", class: "hooks-list" }),
      el("div", { id: "hook-secret", class: "callout", hidden: true },
        el("p", { id: "hook-secret-text" }),
        el("input", { type: "text", id: "hook-secret-value", readOnly: true, "aria-labelledby": "hook-secret-text", spellcheck: "false" })),
      el("section", { id: "hook-log", class: "hook-log", "aria-labelledby": "hook-log-heading", hidden: true },
        el("h4", { id: "hook-log-heading", tabindex: "-1" }),
        el("p", { id: "hook-log-empty", class: "empty", hidden: true, "data-i18n": "manage.webhooks.noDeliveries" }),
        el("div", { class: "table-wrap" },
          el("table", { id: "hook-log-table" },
            el("caption", { id: "hook-log-caption", class: "visually-hidden" }),
            el("thead", {}, el("tr", {},
              el("th", { scope: "col", "data-i18n": "manage.webhooks.event" }),
              el("th", { scope: "col", "data-i18n": "manage.webhooks.occurred" }),
              el("th", { scope: "col", "data-i18n": "manage.webhooks.state" }),
              el("th", { scope: "col", "data-i18n": "manage.webhooks.attempts" }),
              el("th", { scope: "col" }, el("span", { class: "visually-hidden", "data-i18n": "manage.webhooks.retry" })))),
            el("tbody", { id: "hook-log-rows" }))),
        el("button", { type: "button", id: "hook-log-more", class: "quiet", hidden: true, "data-i18n": "manage.webhooks.more" })),
      el("form", { id: "hook-form", class: "hook-form", novalidate: true, "aria-labelledby": "hook-form-heading" },
        el("h4", { id: "hook-form-heading", "data-i18n": "manage.webhooks.add" }),
        field("hook-id", "manage.webhooks.id", el("input", { type: "text", maxlength: 64, spellcheck: "false", autocomplete: "off", pattern: "[A-Za-z0-9][A-Za-z0-9._:-]*" })),
        field("hook-url", "manage.webhooks.url", el("input", { type: "url", maxlength: 2048, spellcheck: "false", autocomplete: "off" })),
        field("hook-description", "manage.webhooks.description", el("input", { type: "text", maxlength: 200, autocomplete: "off" })),
        events,
        el("p", { id: "hook-error", class: "field-error", role: "alert" }),
        el("button", { type: "submit", id: "hook-add", class: "primary", "data-i18n": "manage.webhooks.addButton" })));
  }

  function buildFailed() {
    return el("section", { class: "panel manage-failed", "aria-labelledby": "failed-heading" },
      el("h3", { id: "failed-heading", tabindex: "-1", "data-i18n": "manage.failed.heading" }),
      el("p", { id: "failed-text" }),
      el("div", { class: "table-wrap" },
        el("table", { id: "failed-table", hidden: true },
          el("caption", { class: "visually-hidden", "data-i18n": "manage.failed.caption" }),
          el("thead", {}, el("tr", {},
            el("th", { scope: "col", "data-i18n": "manage.failed.due" }),
            el("th", { scope: "col", "data-i18n": "manage.failed.customer" }),
            el("th", { scope: "col", "data-i18n": "manage.failed.kind" }))),
          el("tbody", { id: "failed-rows" }))),
      el("button", { type: "button", id: "failed-redrive", class: "primary", hidden: true, "data-i18n": "manage.failed.redrive" }));
  }

  function build() {
    if (state.built) return;
    state.built = true;
    $("view-manage").replaceChildren(
      el("h2", { id: "manage-heading", tabindex: "-1", "data-i18n": "manage.heading" }),
      el("div", { class: "manage-grid" }, buildSettings(), el("div", { class: "manage-side" }, buildFailed(), buildWebhooks())));
    $("settings-form").addEventListener("submit", saveSettings);
    $("settings-form").addEventListener("input", onSettingsInput);
    $("settings-form").addEventListener("click", onRestoreClick);
    $("hook-form").addEventListener("submit", addEndpoint);
    $("hooks-list").addEventListener("click", onEndpointClick);
    $("hook-log-rows").addEventListener("click", onRetryClick);
    $("hook-log-more").addEventListener("click", () => { loadLog(state.log.id, true).catch(reportError); });
    $("failed-redrive").addEventListener("click", redrive);
    translate();
  }

  function translate() {
    const root = $("view-manage");
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    const dayName = new Intl.DateTimeFormat(currentLocale(), { weekday: "long", timeZone: "UTC" });
    // 2024-01-01 was a Monday: ISO weekday d is 2024-01-0d.
    for (const day of DAYS) $(`set-day-${day}`).textContent = dayName.format(Date.UTC(2024, 0, day));
  }

  // ---- errors -----------------------------------------------------------------------------------
  function reportError(error) {
    if (!error || error.code === "stale" || error.status === 401) return;
    RV.error(error.message);
  }

  // The input a settings field path ("templates.en.reminder", "quiet_hours.start",
  // "opening_hours.days.3") belongs to; the error goes next to it.
  function settingsInput(path) {
    const parts = path.replace(/^body\./, "").split(".");
    const [head] = parts;
    if (head === "templates" && parts.length >= 3) return `set-tpl-${parts[1]}-${parts[2]}`;
    if (head === "templates") return "settings";
    if (head === "quiet_hours") return parts[1] === "end" ? "set-quiet-end" : "set-quiet-start";
    if (head === "opening_hours") return "set-opening";
    if (head === "reminder_offsets_minutes") return "set-offsets";
    if (head === "locale") return "set-locale";
    if (head === "include_service_details") return "set-service-details";
    if (head === "answer_stop") return "set-answer-stop";
    const found = [...TEXT_FIELDS, ...NUMBER_FIELDS].find(([name]) => name === head);
    return found ? found[1] : "settings";
  }

  function clearFieldErrors(form) {
    for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  // A 422's problems next to their fields (the first one focused); the rest at the form's foot.
  function showFieldErrors(error, toId, formError) {
    const lines = new Map();
    for (const { field: path, problem } of error.details) {
      const id = toId(String(path || ""));
      lines.set(id, [...(lines.get(id) || []), problem]);
    }
    if (!lines.size) lines.set(null, [error.message]);
    let first = null;
    for (const [id, problems] of lines) {
      const target = id && $(`${id}-error`);
      if (!target) {
        $(formError).textContent = problems.join(" ");
        continue;
      }
      target.textContent = problems.join(" ");
      const input = $(id);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
      if (id.startsWith("set-tpl-")) $(id).closest("details").open = true;
    }
    if (first) first.focus();
  }

  // ---- settings ---------------------------------------------------------------------------------
  async function loadSettings() {
    state.settings = await RV.api("GET", "/v1/settings");
    state.restore.clear();
    renderSettings();
  }

  function renderSettings() {
    const s = state.settings;
    if (!s) return;
    clearFieldErrors($("settings-form"));
    renderFixed();
    for (const [name, id] of TEXT_FIELDS) $(id).value = s[name] ?? "";
    for (const [name, id] of NUMBER_FIELDS) $(id).value = String(s[name] ?? "");
    $("set-locale").value = s.locale;
    $("set-quiet-start").value = s.quiet_hours.start;
    $("set-quiet-end").value = s.quiet_hours.end;
    $("set-offsets").value = s.reminder_offsets_minutes.join(", ");
    $("set-service-details").checked = Boolean(s.include_service_details);
    $("set-answer-stop").checked = Boolean(s.answer_stop);
    for (const day of DAYS) {
      const hours = s.opening_hours.days[String(day)];
      $(`set-open-${day}`).checked = Boolean(hours);
      $(`set-opens-${day}`).value = hours ? hours[0] : "";
      $(`set-closes-${day}`).value = hours ? hours[1] : "";
      syncDay(day);
    }
    for (const code of LOCALES) {
      for (const kind of KINDS) {
        const template = ((s.effective_templates || {})[code] || {})[kind] || { text: "", overridden: false };
        $(`set-tpl-${code}-${kind}`).value = template.text;
      }
    }
    renderTemplateStates();
  }

  // What a manager may read but not change (the API's read_only members, and the version).
  function renderFixed() {
    const s = state.settings;
    if (!s) return;
    $("settings-fixed").replaceChildren(
      el("dt", {}, t("manage.settings.tenantId")), el("dd", {}, s.tenant_id),
      el("dt", {}, t("manage.settings.phoneNumber")), el("dd", {}, s.phone_number),
      el("dt", {}, t("manage.settings.version")), el("dd", {}, String(s.version)));
  }

  function syncDay(day) {
    const open = $(`set-open-${day}`).checked;
    $(`set-opens-${day}`).disabled = !open;
    $(`set-closes-${day}`).disabled = !open;
  }

  function renderTemplateStates() {
    const s = state.settings;
    if (!s) return;
    for (const code of LOCALES) {
      for (const kind of KINDS) {
        const id = `set-tpl-${code}-${kind}`;
        const area = $(id);
        const template = ((s.effective_templates || {})[code] || {})[kind] || { text: "", overridden: false };
        const restoring = state.restore.has(`${code}.${kind}`);
        area.disabled = restoring;
        $(`${id}-origin`).textContent = restoring ? t("manage.settings.willRestore")
          : t(template.overridden ? "manage.settings.overridden" : "manage.settings.default");
        $(`${id}-restore`).hidden = restoring || !template.overridden;
        const info = RV.segments(area.value);
        $(`${id}-count`).textContent = tn("manage.settings.segments", info.parts, { chars: info.length });
      }
    }
  }

  function onSettingsInput(event) {
    const target = event.target;
    if (target.dataset.template) {
      const info = RV.segments(target.value);
      $(`${target.id}-count`).textContent = tn("manage.settings.segments", info.parts, { chars: info.length });
    }
    const day = /^set-open-(\d)$/.exec(target.id);
    if (day) syncDay(Number(day[1]));
  }

  function onRestoreClick(event) {
    const button = event.target.closest("[data-restore]");
    if (!button) return;
    state.restore.add(button.dataset.restore);
    renderTemplateStates();
    RV.announce(t("manage.settings.willRestore"));
  }

  // A whole number stays a number; anything else goes as typed, and the API's 422 names it.
  function numberOrText(value) {
    const text = value.trim();
    return /^-?\d+$/.test(text) ? Number(text) : text;
  }

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  // The JSON Merge Patch of what the manager changed against the settings as read.
  function settingsPatch() {
    const s = state.settings;
    const patch = {};
    const put = (name, value) => { if (!same(value, s[name])) patch[name] = value; };
    for (const [name, id] of TEXT_FIELDS) put(name, $(id).value.trim());
    for (const [name, id] of NUMBER_FIELDS) put(name, numberOrText($(id).value));
    put("locale", $("set-locale").value);
    put("include_service_details", $("set-service-details").checked);
    put("answer_stop", $("set-answer-stop").checked);
    const offsets = $("set-offsets").value.split(",").map((part) => part.trim()).filter(Boolean).map(numberOrText);
    put("reminder_offsets_minutes", offsets);
    const quiet = {};
    if ($("set-quiet-start").value !== s.quiet_hours.start) quiet.start = $("set-quiet-start").value;
    if ($("set-quiet-end").value !== s.quiet_hours.end) quiet.end = $("set-quiet-end").value;
    if (Object.keys(quiet).length) patch.quiet_hours = quiet;
    const days = {};
    for (const day of DAYS) {
      const now = $(`set-open-${day}`).checked ? [$(`set-opens-${day}`).value, $(`set-closes-${day}`).value] : null;
      if (!same(now, s.opening_hours.days[String(day)] || null)) days[String(day)] = now;
    }
    if (Object.keys(days).length) patch.opening_hours = { days };
    const templates = {};
    for (const code of LOCALES) {
      for (const kind of KINDS) {
        const template = ((s.effective_templates || {})[code] || {})[kind] || { text: "" };
        let value;
        if (state.restore.has(`${code}.${kind}`)) value = null;
        else if ($(`set-tpl-${code}-${kind}`).value !== template.text) value = $(`set-tpl-${code}-${kind}`).value;
        else continue;
        templates[code] = { ...templates[code], [kind]: value };
      }
    }
    if (Object.keys(templates).length) patch.templates = templates;
    return patch;
  }

  function settingsMessage(text) {
    $("settings-message").textContent = text || "";
    $("settings-message").hidden = !text;
  }

  async function saveSettings(event) {
    event.preventDefault();
    if (!state.settings) return;
    clearFieldErrors($("settings-form"));
    settingsMessage("");
    const patch = settingsPatch();
    if (!Object.keys(patch).length) {
      RV.announce(t("manage.settings.unchanged"));
      settingsMessage(t("manage.settings.unchanged"));
      return;
    }
    $("settings-save").disabled = true;
    try {
      state.settings = await RV.api("PATCH", "/v1/settings", patch, { headers: { "If-Match": `"${state.settings.version}"` } });
      state.restore.clear();
      renderSettings();
      settingsMessage(t("manage.settings.saved"));
      RV.announce(t("manage.settings.saved"));
    } catch (error) {
      if (error.status === 412) {
        // Someone saved first: what they saved is shown, and this change is made again on it.
        await loadSettings().catch(reportError);
        settingsMessage(t("manage.settings.conflict"));
        RV.announce(t("manage.settings.conflict"));
      } else if (error.status === 422 || error.status === 400) {
        showFieldErrors(error, settingsInput, "settings-error");
        if (!$("settings-error").textContent) $("settings-error").textContent = t("manage.settings.invalid");
      } else {
        reportError(error);
      }
    } finally {
      $("settings-save").disabled = false;
    }
  }

  // ---- webhook endpoints ------------------------------------------------------------------------
  async function loadEndpoints() {
    const answer = await RV.api("GET", "/v1/webhooks");
    state.endpoints = answer.endpoints || [];
    renderEndpoints();
  }

  function renderEndpoints() {
    const list = $("hooks-list");
    $("hooks-empty").hidden = state.endpoints.length > 0;
    list.replaceChildren(...state.endpoints.map((endpoint) => {
      const showing = state.log && state.log.id === endpoint.endpoint_id;
      return el("li", { class: "hook", "data-endpoint": endpoint.endpoint_id },
        el("p", { class: "hook-name" }, el("strong", {}, endpoint.endpoint_id), " ",
          el("span", { class: "hook-url" }, endpoint.url)),
        endpoint.description ? el("p", { class: "muted small" }, endpoint.description) : null,
        el("p", { class: "small" }, `${t("manage.webhooks.events")}: `, endpoint.events.join(", ")),
        el("div", { class: "actions" },
          el("button", { type: "button", "data-action": "log", "aria-expanded": String(Boolean(showing)), "aria-controls": "hook-log" },
            t(showing ? "manage.webhooks.hideLog" : "manage.webhooks.log"),
            el("span", { class: "visually-hidden" }, ` ${endpoint.endpoint_id}`)),
          el("button", { type: "button", "data-action": "delete", class: "danger" },
            t("manage.webhooks.delete"), el("span", { class: "visually-hidden" }, ` ${endpoint.endpoint_id}`))));
    }));
  }

  function onEndpointClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const id = button.closest("[data-endpoint]").dataset.endpoint;
    if (button.dataset.action === "log") {
      if (state.log && state.log.id === id) closeLog();
      else loadLog(id, false).then(() => $("hook-log-heading").focus(), reportError);
    } else if (button.dataset.action === "delete") {
      deleteEndpoint(id);
    }
  }

  async function deleteEndpoint(id) {
    if (!window.confirm(t("manage.webhooks.confirmDelete", { id }))) return;
    try {
      await RV.api("DELETE", `/v1/webhooks/${encodeURIComponent(id)}`);
      if (state.log && state.log.id === id) closeLog();
      RV.announce(t("manage.webhooks.deleted", { id }));
      await loadEndpoints();
      $("webhooks-heading").focus();
    } catch (error) {
      reportError(error);
    }
  }

  function chosenEvents() {
    return [...document.querySelectorAll('input[name="hook-event"]:checked')].map((box) => box.value);
  }

  function hookInput(path) {
    const name = path.replace(/^body\./, "").split(".")[0];
    if (name === "events") return "hook-events";
    return { url: "hook-url", description: "hook-description", endpoint_id: "hook-id" }[name] || null;
  }

  async function addEndpoint(event) {
    event.preventDefault();
    const form = $("hook-form");
    clearFieldErrors(form);
    $("hook-secret").hidden = true;
    const id = $("hook-id").value.trim();
    const events = chosenEvents();
    const local = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(id)) local.push({ field: "endpoint_id", problem: t("manage.webhooks.id") });
    if (!events.length) local.push({ field: "events", problem: t("manage.webhooks.pickEvent") });
    if (local.length) {
      showFieldErrors({ details: local, message: "" }, hookInput, "hook-error");
      return;
    }
    $("hook-add").disabled = true;
    try {
      const created = await RV.api("PUT", `/v1/webhooks/${encodeURIComponent(id)}`, {
        url: $("hook-url").value.trim(), events, description: $("hook-description").value.trim(),
      });
      form.reset();
      if (created.secret) {
        $("hook-secret-text").textContent = t("manage.webhooks.secret", { id });
        $("hook-secret-value").value = created.secret;
        $("hook-secret").hidden = false;
      }
      RV.announce(t("manage.webhooks.added", { id }));
      await loadEndpoints();
      if (created.secret) $("hook-secret-value").select();
    } catch (error) {
      if (error.status === 422 || error.status === 409) showFieldErrors(error, hookInput, "hook-error");
      else reportError(error);
    } finally {
      $("hook-add").disabled = false;
    }
  }

  // ---- the delivery log ---------------------------------------------------------------------------
  async function loadLog(id, more) {
    const cursor = more && state.log && state.log.cursor;
    const query = `limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const answer = await RV.api("GET", `/v1/webhooks/${encodeURIComponent(id)}/deliveries?${query}`);
    const earlier = more && state.log && state.log.id === id ? state.log.deliveries : [];
    state.log = { id, deliveries: [...earlier, ...(answer.deliveries || [])], cursor: answer.next_cursor || null };
    renderLog();
    renderEndpoints();
  }

  function closeLog() {
    const id = state.log && state.log.id;
    state.log = null;
    renderLog();
    renderEndpoints();
    const button = id && document.querySelector(`#hooks-list [data-endpoint="${CSS.escape(id)}"] [data-action="log"]`);
    if (button) button.focus();
  }

  function attemptText(attempt) {
    const answer = attempt.status_code ? `HTTP ${attempt.status_code}` : (attempt.error || t("manage.webhooks.noAnswer"));
    return `#${attempt.number} ${RV.fmt.when(attempt.at)} · ${answer}`;
  }

  function renderLog() {
    const log = state.log;
    $("hook-log").hidden = !log;
    if (!log) {
      $("hook-log-rows").replaceChildren();
      return;
    }
    $("hook-log-heading").textContent = t("manage.webhooks.logOf", { id: log.id });
    $("hook-log-caption").textContent = t("manage.webhooks.logOf", { id: log.id });
    $("hook-log-empty").hidden = log.deliveries.length > 0;
    $("hook-log-table").hidden = log.deliveries.length === 0;
    $("hook-log-more").hidden = !log.cursor;
    $("hook-log-rows").replaceChildren(...log.deliveries.map((delivery) => {
      // A failed delivery is retried by hand; a delivered one may be sent again too (the
      // booking system lost it), as the API allows. A pending one is still being tried.
      const retry = delivery.state !== "pending"
        ? el("button", { type: "button", "data-retry": delivery.delivery_id,
          "aria-label": t("manage.webhooks.retryLabel", { event: delivery.type, when: RV.fmt.when(delivery.occurred_at) }) },
        t("manage.webhooks.retry"))
        : null;
      return el("tr", { "data-delivery": delivery.delivery_id, class: `delivery-${delivery.state}` },
        el("td", {}, el("code", {}, delivery.type)),
        el("td", {}, el("time", { dateTime: delivery.occurred_at }, RV.fmt.when(delivery.occurred_at))),
        el("td", {}, el("span", { class: `delivery-state state-${delivery.state}` }, t(`manage.webhooks.state.${delivery.state}`)),
          delivery.state === "pending" && delivery.next_attempt_at
            ? el("span", { class: "muted small block" }, t("manage.webhooks.nextAttempt", { when: RV.fmt.when(delivery.next_attempt_at) })) : null),
        el("td", {}, el("ol", { class: "attempts" }, ...(delivery.attempts || []).map((a) => el("li", {}, attemptText(a))))),
        el("td", {}, retry));
    }));
  }

  async function onRetryClick(event) {
    const button = event.target.closest("button[data-retry]");
    if (!button || !state.log) return;
    const id = state.log.id;
    const deliveryId = button.dataset.retry;
    button.disabled = true;
    try {
      const delivery = await RV.api("POST", `/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/retry`);
      if (state.log && state.log.id === id) {
        state.log.deliveries = state.log.deliveries.map((d) => (d.delivery_id === deliveryId ? delivery : d));
        renderLog();
      }
      RV.announce(t("manage.webhooks.retrying", { event: delivery.type }));
      $("hook-log-heading").focus();
      // The deliverer makes the attempt a moment later: look again while it is pending.
      for (const wait of [1500, 4000]) {
        await new Promise((resolve) => { setTimeout(resolve, wait); });
        if (!state.log || state.log.id !== id) break;
        await loadLog(id, false);
        if (!state.log.deliveries.some((d) => d.delivery_id === deliveryId && d.state === "pending")) break;
      }
    } catch (error) {
      button.disabled = false;
      reportError(error);
    }
  }

  // ---- texts whose retries ran out, and the redrive ----------------------------------------------
  async function loadFailed() {
    // The outbox lists, whatever the window, every text whose retries ran out (as far back
    // as a redrive reaches): the shortest window is enough.
    const answer = await RV.api("GET", "/v1/outbox?hours=1");
    state.failed = (answer.messages || []).filter((m) => m.status === "failed" && m.reason === RETRIES_EXHAUSTED);
    renderFailed();
  }

  function renderFailed() {
    const count = state.failed.length;
    $("failed-text").textContent = count ? tn("manage.failed.intro", count) : t("manage.failed.none");
    $("failed-text").className = count ? "" : "empty";
    $("failed-table").hidden = count === 0;
    $("failed-redrive").hidden = count === 0;
    $("failed-rows").replaceChildren(...state.failed.map((m) => el("tr", {},
      el("td", {}, el("time", { dateTime: m.send_at }, RV.fmt.when(m.send_at))),
      el("td", {}, m.customer_name || m.phone || "", m.customer_name && m.phone ? el("span", { class: "muted small block" }, m.phone) : null),
      el("td", {}, hasText(`messageKind.${m.kind}`) ? t(`messageKind.${m.kind}`) : String(m.kind).replace(/_/g, " ")))));
  }

  async function redrive() {
    const button = $("failed-redrive");
    button.disabled = true;
    try {
      const answer = await RV.api("POST", "/v1/outbox/redrive");
      const result = answer.redrive || {};
      const skipped = Object.entries(result.suppressed || {});
      let message = t("manage.failed.sending", { count: result.queued || 0 });
      if (skipped.length) {
        const list = skipped.map(([reason, n]) => `${n} ${hasText(`reason.${reason}`) ? t(`reason.${reason}`) : reason.replace(/_/g, " ")}`).join(", ");
        message += ` ${t("manage.failed.notSent", { list })}`;
      }
      RV.announce(message);
      // The sender works from its queue a moment later: look again until they went out.
      state.failed = [];
      renderFailed();
      $("failed-heading").focus();
      for (const wait of [1500, 4000, 8000]) {
        await new Promise((resolve) => { setTimeout(resolve, wait); });
        await loadFailed();
        if (!state.failed.length) break;
      }
    } catch (error) {
      reportError(error);
    } finally {
      button.disabled = false;
    }
  }

  // ---- the view -----------------------------------------------------------------------------------
  function show(changed) {
    build();
    if (changed) $("manage-heading").focus();
    // The form is read again only when nobody is editing it: a refresh must not undo typing.
    const editing = state.settings && Object.keys(settingsPatch()).length > 0;
    const jobs = [loadEndpoints(), loadFailed()];
    if (!editing) jobs.push(loadSettings());
    if (state.log) jobs.push(loadLog(state.log.id, false));
    return Promise.all(jobs).catch(reportError);
  }

  // The scheduler's minute tick while the view is on screen: one request, the failed texts
  // (the refresh budget), plus the open log while one of its deliveries is still pending.
  function refresh() {
    const jobs = [loadFailed()];
    if (state.log && state.log.deliveries.some((d) => d.state === "pending")) jobs.push(loadLog(state.log.id, false));
    return Promise.all(jobs);
  }

  function forget() {
    Object.assign(state, { settings: null, endpoints: [], log: null, failed: [] });
    state.restore.clear();
    if (state.built) {
      $("settings-form").reset();
      $("hook-form").reset();
      $("hook-secret-value").value = "";
      $("hook-secret").hidden = true;
      settingsMessage("");
      renderEndpoints();
      renderLog();
      renderFailed();
    }
  }

  RV.registerView("manage", { label: "nav.manage", roles: ["manager"], show, hide: () => {}, refresh });
  RV.onSignedOut(forget);
  RV.onLocale(() => {
    if (!state.built) return;
    translate();
    renderTemplateStates();
    renderEndpoints();
    renderLog();
    renderFailed();
    renderFixed();
  });
})();
