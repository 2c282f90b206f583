// The day view: the tenant's appointments of a day or a week, who confirmed, what the last
// text did, and the front desk's actions on an appointment (cancel, move, outcome, open the
// conversation) and on a number (opt out or back in on the customer's spoken request).
// Every action is the API a booking system uses, so its webhook events fire as they would.
(() => {
  Object.assign(I18N.en, {
    "desk.mode.label": "Show",
    "desk.mode.day": "Day",
    "desk.mode.week": "Week",
    "desk.prev.day": "Previous day",
    "desk.next.day": "Next day",
    "desk.prev.week": "Previous week",
    "desk.next.week": "Next week",
    "desk.today": "Today",
    "desk.heading.today": "Today, {date}",
    "desk.heading.week": "Week of {date}",
    "desk.zone": "Times in {zone}",
    "desk.filters": "Filters",
    "desk.filter.unconfirmed": "Unconfirmed only",
    "desk.filter.problems": "Problems only",
    "desk.filter.problems.hint": "Texts that failed or were not sent, numbers opted out or unreachable",
    "desk.search": "Search by name or number",
    "desk.loading": "Loading appointments…",
    "desk.loaded": "· Updated {time}",
    "desk.summary": "{shown} of {total} appointments · {unconfirmed} unconfirmed · {problems} with a problem",
    "desk.empty.range": "No appointments in these days.",
    "desk.empty.filtered": "No appointment matches these filters.",
    "desk.day.count.other": "{count} appointments",
    "desk.day.count.one": "1 appointment",
    "desk.status.scheduled": "Unconfirmed",
    "desk.status.confirmed": "Confirmed",
    "desk.status.cancelled": "Cancelled",
    "desk.status.cancelled.customer": "Cancelled by the customer",
    "desk.status.cancelled.staff": "Cancelled by staff",
    "desk.status.cancelled.booking": "Cancelled by the booking system",
    "desk.outcome.attended": "Attended",
    "desk.outcome.no_show": "No-show",
    "desk.outcome.late_cancel": "Late cancel",
    "desk.outcome.none": "No outcome yet",
    "desk.text.label": "Last text:",
    "desk.text.none": "No text yet",
    "desk.text.line": "{kind}, {status}",
    "desk.kind.confirmation": "Confirmation",
    "desk.kind.reminder": "Reminder",
    "desk.kind.moved": "Moved",
    "desk.kind.cancelled": "Cancellation",
    "desk.tstatus.planned": "planned",
    "desk.tstatus.deferred": "waiting",
    "desk.tstatus.queued": "queued",
    "desk.tstatus.sending": "sending",
    "desk.tstatus.sent": "sent",
    "desk.tstatus.delivered": "delivered",
    "desk.tstatus.failed": "failed",
    "desk.tstatus.undelivered": "not delivered",
    "desk.tstatus.suppressed": "not sent",
    "desk.tstatus.cancelled": "cancelled",
    "desk.reason.appointment_cancelled": "the visit was cancelled",
    "desk.reason.appointment_changed": "the visit changed",
    "desk.reason.tenant_paused": "texts were paused",
    "desk.reason.opted_out": "the customer opted out",
    "desk.reason.undeliverable": "this number cannot receive texts",
    "desk.reason.frequency_cap": "daily limit of texts reached",
    "desk.reason.too_late": "too late to be useful",
    "desk.reason.appointment_confirmed": "already confirmed",
    "desk.reason.quiet_hours": "held for quiet hours",
    "desk.reason.retries_exhausted": "every retry failed: a manager can send it again",
    "desk.reason.carrier": "the phone network refused it (error {code})",
    "desk.flag.opted_out": "Opted out",
    "desk.flag.undeliverable": "Undeliverable",
    "desk.actions": "Actions",
    "desk.actions.for": "Actions for {name} at {time}",
    "desk.dialog.close": "Close",
    "desk.dialog.phone": "Number",
    "desk.dialog.when": "When",
    "desk.dialog.service": "Service",
    "desk.dialog.with": "With",
    "desk.dialog.where": "Where",
    "desk.dialog.status": "Status",
    "desk.dialog.outcome": "Outcome",
    "desk.dialog.text": "Last text",
    "desk.act.conversation": "Open conversation",
    "desk.act.move": "Move",
    "desk.act.outcome": "Record outcome",
    "desk.act.cancel": "Cancel appointment",
    "desk.act.optout": "Opt out of texts",
    "desk.act.optin": "Opt back in to texts",
    "desk.act.appointment": "This appointment",
    "desk.act.number": "This number",
    "desk.cancel.question": "Cancel this appointment?",
    "desk.cancel.notify": "Text the customer that it is cancelled",
    "desk.cancel.confirm": "Yes, cancel it",
    "desk.cancel.keep": "Keep it",
    "desk.cancel.done": "Cancelled {name}'s appointment.",
    "desk.cancel.done.notify": "Cancelled {name}'s appointment. The customer gets a text.",
    "desk.move.date": "New date",
    "desk.move.time": "New time",
    "desk.move.hint": "In {zone}. The customer gets a text with the new time.",
    "desk.move.confirm": "Move",
    "desk.move.back": "Back",
    "desk.move.missing": "Choose a date and a time.",
    "desk.move.same": "That is the time it has already.",
    "desk.move.done": "Moved {name}'s appointment to {when}.",
    "desk.outcome.legend": "What happened",
    "desk.outcome.confirm": "Record",
    "desk.outcome.notyet": "Attended and no-show can be recorded once the visit has started.",
    "desk.outcome.cancelledonly": "A cancelled appointment can only be a late cancel.",
    "desk.outcome.pick": "Choose what happened.",
    "desk.outcome.done": "Recorded for {name}: {outcome}.",
    "desk.opt.out.question": "Stop all automated texts to {phone}?",
    "desk.opt.in.question": "Send automated texts to {phone} again?",
    "desk.opt.request": "Only on the customer's own request, by phone or in person: it is recorded as such.",
    "desk.opt.reason": "Note (optional)",
    "desk.opt.out.confirm": "Opt out",
    "desk.opt.in.confirm": "Opt back in",
    "desk.opt.out.done": "{phone} will get no more automated texts.",
    "desk.opt.in.done": "{phone} gets automated texts again.",
    "desk.opt.out.already": "{phone} was already opted out.",
    "desk.opt.in.already": "{phone} was not opted out.",
    "desk.opt.carrier": "The customer once texted STOP, so their carrier still blocks our texts. Ask them to text START to this business's number.",
    "desk.error": "Not done: {message}",
    "desk.error.load": "The appointments could not be loaded: {message}",
    "desk.busy": "Working…"
  });
  Object.assign(I18N.fr, {
    "desk.mode.label": "Afficher",
    "desk.mode.day": "Jour",
    "desk.mode.week": "Semaine",
    "desk.prev.day": "Jour précédent",
    "desk.next.day": "Jour suivant",
    "desk.prev.week": "Semaine précédente",
    "desk.next.week": "Semaine suivante",
    "desk.today": "Aujourd’hui",
    "desk.heading.today": "Aujourd’hui, {date}",
    "desk.heading.week": "Semaine du {date}",
    "desk.zone": "Heures de {zone}",
    "desk.filters": "Filtres",
    "desk.filter.unconfirmed": "Non confirmés seulement",
    "desk.filter.problems": "Problèmes seulement",
    "desk.filter.problems.hint": "SMS en échec ou non envoyés, numéros désinscrits ou injoignables",
    "desk.search": "Chercher par nom ou numéro",
    "desk.loading": "Chargement des rendez-vous…",
    "desk.loaded": "· Mis à jour à {time}",
    "desk.summary": "{shown} sur {total} rendez-vous · {unconfirmed} non confirmés · {problems} avec un problème",
    "desk.empty.range": "Aucun rendez-vous ces jours-là.",
    "desk.empty.filtered": "Aucun rendez-vous ne correspond à ces filtres.",
    "desk.day.count.other": "{count} rendez-vous",
    "desk.day.count.one": "1 rendez-vous",
    "desk.status.scheduled": "Non confirmé",
    "desk.status.confirmed": "Confirmé",
    "desk.status.cancelled": "Annulé",
    "desk.status.cancelled.customer": "Annulé par le client",
    "desk.status.cancelled.staff": "Annulé par l’équipe",
    "desk.status.cancelled.booking": "Annulé par le logiciel de réservation",
    "desk.outcome.attended": "Venu",
    "desk.outcome.no_show": "Absent",
    "desk.outcome.late_cancel": "Annulation tardive",
    "desk.outcome.none": "Pas encore de suite",
    "desk.text.label": "Dernier SMS :",
    "desk.text.none": "Aucun SMS pour l’instant",
    "desk.text.line": "{kind}, {status}",
    "desk.kind.confirmation": "Confirmation",
    "desk.kind.reminder": "Rappel",
    "desk.kind.moved": "Déplacement",
    "desk.kind.cancelled": "Annulation",
    "desk.tstatus.planned": "prévu",
    "desk.tstatus.deferred": "en attente",
    "desk.tstatus.queued": "en file",
    "desk.tstatus.sending": "en cours d’envoi",
    "desk.tstatus.sent": "envoyé",
    "desk.tstatus.delivered": "remis",
    "desk.tstatus.failed": "en échec",
    "desk.tstatus.undelivered": "non remis",
    "desk.tstatus.suppressed": "non envoyé",
    "desk.tstatus.cancelled": "annulé",
    "desk.reason.appointment_cancelled": "le rendez-vous a été annulé",
    "desk.reason.appointment_changed": "le rendez-vous a changé",
    "desk.reason.tenant_paused": "les SMS étaient en pause",
    "desk.reason.opted_out": "le client s’est désinscrit",
    "desk.reason.undeliverable": "ce numéro ne peut pas recevoir de SMS",
    "desk.reason.frequency_cap": "limite quotidienne de SMS atteinte",
    "desk.reason.too_late": "trop tard pour être utile",
    "desk.reason.appointment_confirmed": "déjà confirmé",
    "desk.reason.quiet_hours": "retenu pendant les heures calmes",
    "desk.reason.retries_exhausted": "tous les essais ont échoué : un responsable peut le renvoyer",
    "desk.reason.carrier": "le réseau téléphonique l’a refusé (erreur {code})",
    "desk.flag.opted_out": "Désinscrit",
    "desk.flag.undeliverable": "Injoignable",
    "desk.actions": "Actions",
    "desk.actions.for": "Actions pour {name} à {time}",
    "desk.dialog.close": "Fermer",
    "desk.dialog.phone": "Numéro",
    "desk.dialog.when": "Quand",
    "desk.dialog.service": "Prestation",
    "desk.dialog.with": "Avec",
    "desk.dialog.where": "Où",
    "desk.dialog.status": "État",
    "desk.dialog.outcome": "Suite",
    "desk.dialog.text": "Dernier SMS",
    "desk.act.conversation": "Ouvrir la conversation",
    "desk.act.move": "Déplacer",
    "desk.act.outcome": "Noter la suite",
    "desk.act.cancel": "Annuler le rendez-vous",
    "desk.act.optout": "Désinscrire des SMS",
    "desk.act.optin": "Réinscrire aux SMS",
    "desk.act.appointment": "Ce rendez-vous",
    "desk.act.number": "Ce numéro",
    "desk.cancel.question": "Annuler ce rendez-vous ?",
    "desk.cancel.notify": "Prévenir le client par SMS",
    "desk.cancel.confirm": "Oui, l’annuler",
    "desk.cancel.keep": "Le garder",
    "desk.cancel.done": "Rendez-vous de {name} annulé.",
    "desk.cancel.done.notify": "Rendez-vous de {name} annulé. Le client reçoit un SMS.",
    "desk.move.date": "Nouvelle date",
    "desk.move.time": "Nouvelle heure",
    "desk.move.hint": "Heure de {zone}. Le client reçoit un SMS avec la nouvelle heure.",
    "desk.move.confirm": "Déplacer",
    "desk.move.back": "Retour",
    "desk.move.missing": "Choisissez une date et une heure.",
    "desk.move.same": "C’est déjà son heure.",
    "desk.move.done": "Rendez-vous de {name} déplacé au {when}.",
    "desk.outcome.legend": "Ce qui s’est passé",
    "desk.outcome.confirm": "Noter",
    "desk.outcome.notyet": "Venu et absent se notent une fois l’heure du rendez-vous passée.",
    "desk.outcome.cancelledonly": "Un rendez-vous annulé ne peut être qu’une annulation tardive.",
    "desk.outcome.pick": "Choisissez ce qui s’est passé.",
    "desk.outcome.done": "Noté pour {name} : {outcome}.",
    "desk.opt.out.question": "Ne plus envoyer de SMS automatiques au {phone} ?",
    "desk.opt.in.question": "Envoyer de nouveau des SMS automatiques au {phone} ?",
    "desk.opt.request": "Seulement à la demande du client lui-même, au téléphone ou sur place : c’est noté comme tel.",
    "desk.opt.reason": "Note (facultative)",
    "desk.opt.out.confirm": "Désinscrire",
    "desk.opt.in.confirm": "Réinscrire",
    "desk.opt.out.done": "Le {phone} ne recevra plus de SMS automatiques.",
    "desk.opt.in.done": "Le {phone} reçoit de nouveau les SMS automatiques.",
    "desk.opt.out.already": "Le {phone} était déjà désinscrit.",
    "desk.opt.in.already": "Le {phone} n’était pas désinscrit.",
    "desk.opt.carrier": "Le client a un jour envoyé STOP : son opérateur bloque toujours nos SMS. Demandez-lui d’envoyer START au numéro de l’établissement.",
    "desk.error": "Pas fait : {message}",
    "desk.error.load": "Les rendez-vous n’ont pas pu être chargés : {message}",
    "desk.busy": "En cours…"
  });
  Object.assign(I18N.es, {
    "desk.mode.label": "Mostrar",
    "desk.mode.day": "Día",
    "desk.mode.week": "Semana",
    "desk.prev.day": "Día anterior",
    "desk.next.day": "Día siguiente",
    "desk.prev.week": "Semana anterior",
    "desk.next.week": "Semana siguiente",
    "desk.today": "Hoy",
    "desk.heading.today": "Hoy, {date}",
    "desk.heading.week": "Semana del {date}",
    "desk.zone": "Horas de {zone}",
    "desk.filters": "Filtros",
    "desk.filter.unconfirmed": "Solo sin confirmar",
    "desk.filter.problems": "Solo problemas",
    "desk.filter.problems.hint": "SMS fallidos o no enviados, números dados de baja o inalcanzables",
    "desk.search": "Buscar por nombre o número",
    "desk.loading": "Cargando citas…",
    "desk.loaded": "· Actualizado a las {time}",
    "desk.summary": "{shown} de {total} citas · {unconfirmed} sin confirmar · {problems} con un problema",
    "desk.empty.range": "No hay citas en estos días.",
    "desk.empty.filtered": "Ninguna cita coincide con estos filtros.",
    "desk.day.count.other": "{count} citas",
    "desk.day.count.one": "1 cita",
    "desk.status.scheduled": "Sin confirmar",
    "desk.status.confirmed": "Confirmada",
    "desk.status.cancelled": "Cancelada",
    "desk.status.cancelled.customer": "Cancelada por el cliente",
    "desk.status.cancelled.staff": "Cancelada por el personal",
    "desk.status.cancelled.booking": "Cancelada por el sistema de reservas",
    "desk.outcome.attended": "Asistió",
    "desk.outcome.no_show": "No se presentó",
    "desk.outcome.late_cancel": "Cancelación tardía",
    "desk.outcome.none": "Sin resultado aún",
    "desk.text.label": "Último SMS:",
    "desk.text.none": "Ningún SMS todavía",
    "desk.text.line": "{kind}, {status}",
    "desk.kind.confirmation": "Confirmación",
    "desk.kind.reminder": "Recordatorio",
    "desk.kind.moved": "Cambio de hora",
    "desk.kind.cancelled": "Cancelación",
    "desk.tstatus.planned": "previsto",
    "desk.tstatus.deferred": "en espera",
    "desk.tstatus.queued": "en cola",
    "desk.tstatus.sending": "enviándose",
    "desk.tstatus.sent": "enviado",
    "desk.tstatus.delivered": "entregado",
    "desk.tstatus.failed": "fallido",
    "desk.tstatus.undelivered": "no entregado",
    "desk.tstatus.suppressed": "no enviado",
    "desk.tstatus.cancelled": "cancelado",
    "desk.reason.appointment_cancelled": "la cita se canceló",
    "desk.reason.appointment_changed": "la cita cambió",
    "desk.reason.tenant_paused": "los SMS estaban en pausa",
    "desk.reason.opted_out": "el cliente se dio de baja",
    "desk.reason.undeliverable": "este número no puede recibir SMS",
    "desk.reason.frequency_cap": "se alcanzó el límite diario de SMS",
    "desk.reason.too_late": "demasiado tarde para ser útil",
    "desk.reason.appointment_confirmed": "ya confirmada",
    "desk.reason.quiet_hours": "retenido por las horas de descanso",
    "desk.reason.retries_exhausted": "fallaron todos los intentos: un responsable puede reenviarlo",
    "desk.reason.carrier": "la red telefónica lo rechazó (error {code})",
    "desk.flag.opted_out": "Dado de baja",
    "desk.flag.undeliverable": "Inalcanzable",
    "desk.actions": "Acciones",
    "desk.actions.for": "Acciones para {name} a las {time}",
    "desk.dialog.close": "Cerrar",
    "desk.dialog.phone": "Número",
    "desk.dialog.when": "Cuándo",
    "desk.dialog.service": "Servicio",
    "desk.dialog.with": "Con",
    "desk.dialog.where": "Dónde",
    "desk.dialog.status": "Estado",
    "desk.dialog.outcome": "Resultado",
    "desk.dialog.text": "Último SMS",
    "desk.act.conversation": "Abrir la conversación",
    "desk.act.move": "Cambiar de hora",
    "desk.act.outcome": "Anotar el resultado",
    "desk.act.cancel": "Cancelar la cita",
    "desk.act.optout": "Dar de baja de los SMS",
    "desk.act.optin": "Volver a dar de alta en los SMS",
    "desk.act.appointment": "Esta cita",
    "desk.act.number": "Este número",
    "desk.cancel.question": "¿Cancelar esta cita?",
    "desk.cancel.notify": "Avisar al cliente por SMS",
    "desk.cancel.confirm": "Sí, cancelarla",
    "desk.cancel.keep": "Mantenerla",
    "desk.cancel.done": "Cita de {name} cancelada.",
    "desk.cancel.done.notify": "Cita de {name} cancelada. El cliente recibe un SMS.",
    "desk.move.date": "Nueva fecha",
    "desk.move.time": "Nueva hora",
    "desk.move.hint": "Hora de {zone}. El cliente recibe un SMS con la nueva hora.",
    "desk.move.confirm": "Cambiar",
    "desk.move.back": "Volver",
    "desk.move.missing": "Elija una fecha y una hora.",
    "desk.move.same": "Ya es su hora.",
    "desk.move.done": "Cita de {name} cambiada a {when}.",
    "desk.outcome.legend": "Qué pasó",
    "desk.outcome.confirm": "Anotar",
    "desk.outcome.notyet": "Asistió y no se presentó se anotan una vez empezada la cita.",
    "desk.outcome.cancelledonly": "Una cita cancelada solo puede ser una cancelación tardía.",
    "desk.outcome.pick": "Elija qué pasó.",
    "desk.outcome.done": "Anotado para {name}: {outcome}.",
    "desk.opt.out.question": "¿Dejar de enviar SMS automáticos al {phone}?",
    "desk.opt.in.question": "¿Volver a enviar SMS automáticos al {phone}?",
    "desk.opt.request": "Solo a petición del propio cliente, por teléfono o en persona: queda anotado así.",
    "desk.opt.reason": "Nota (opcional)",
    "desk.opt.out.confirm": "Dar de baja",
    "desk.opt.in.confirm": "Dar de alta",
    "desk.opt.out.done": "El {phone} ya no recibirá SMS automáticos.",
    "desk.opt.in.done": "El {phone} vuelve a recibir SMS automáticos.",
    "desk.opt.out.already": "El {phone} ya estaba dado de baja.",
    "desk.opt.in.already": "El {phone} no estaba dado de baja.",
    "desk.opt.carrier": "El cliente envió STOP una vez, así que su operador sigue bloqueando nuestros SMS. Pídale que envíe START al número del negocio.",
    "desk.error": "No se hizo: {message}",
    "desk.error.load": "No se pudieron cargar las citas: {message}",
    "desk.busy": "Trabajando…"
  });

  const PAGE_LIMIT = 500;
  const MAX_PAGES = 40; // 20,000 appointments: far beyond a week of any front desk
  const SEARCH_DEBOUNCE_MS = 120;
  const DAY_MS = 24 * 60 * 60 * 1000;
  // What "problems only" shows: a text that did not reach the customer, or a number that
  // cannot be texted at all.
  const PROBLEM_STATUSES = new Set(["failed", "undelivered", "suppressed"]);
  const OUTCOMES = ["attended", "no_show", "late_cancel"];
  const TEXT_STATUSES = new Set(["planned", "deferred", "queued", "sending", "sent", "delivered",
    "failed", "undelivered", "suppressed", "cancelled"]);

  const $ = (id) => document.getElementById(id);
  const el = RV.el;

  const state = {
    visible: false,
    mode: "day", // or "week"
    anchor: null, // "YYYY-MM-DD" in the tenant's zone: the day shown, or a day of the week shown
    rows: [], // AppointmentSummaryOut of the range, soonest first
    rangeKey: "",
    loadedKey: "", // the range whose rows are in `rows`
    loadedAt: null, // when the rows came, by the server's clock
    loading: null, // the load under way, shared by whoever asks meanwhile
    generation: 0, // bumps on sign-out and on a new range: older answers are dropped
    nodes: new Map(), // appointment_id -> { key, node }: rows unchanged since the last render are reused
    selectedId: null,
    searchTimer: null,
    lastRenderMs: null,
  };

  // ---- small helpers -------------------------------------------------------------------
  function nowMs() {
    return RV.now();
  }

  function zone() {
    const tenant = typeof RV.tenant === "function" ? RV.tenant() : null;
    return (tenant && tenant.timezone) || Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  function words(code) {
    return String(code || "").replace(/_/g, " ");
  }

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // ---- calendar days in the tenant's zone ------------------------------------------------
  // A day is "YYYY-MM-DD" as the tenant's clock on the wall shows it; instants are epoch ms.
  const partsFormats = new Map();
  function wallParts(ms, tz) {
    let format = partsFormats.get(tz);
    if (!format) {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
      partsFormats.set(tz, format);
    }
    const parts = {};
    for (const part of format.formatToParts(ms)) parts[part.type] = Number(part.value);
    return parts;
  }

  function offsetMinutes(ms, tz) {
    const p = wallParts(ms, tz);
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
  }

  // The instant the tenant's wall clock shows this date and time (the later of two in a
  // repeated hour, the hour after in a skipped one).
  function wallToMs(day, hhmm, tz) {
    const [y, m, d] = day.split("-").map(Number);
    const [h, mi] = hhmm.split(":").map(Number);
    const guess = Date.UTC(y, m - 1, d, h, mi);
    const first = guess - offsetMinutes(guess, tz) * 60000;
    const second = guess - offsetMinutes(first, tz) * 60000;
    return second;
  }

  const pad = (n) => String(n).padStart(2, "0");

  function isoWithOffset(ms, tz) {
    const p = wallParts(ms, tz);
    const off = offsetMinutes(ms, tz);
    const sign = off < 0 ? "-" : "+";
    const abs = Math.abs(off);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
      `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  // The fill view's "publish a slot" form reads a date and time on the tenant's wall too.
  RV.wall = { toMs: wallToMs, isoWithOffset, zone };

  function dayOf(ms, tz) {
    const p = wallParts(ms, tz);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  }

  function hhmmOf(ms, tz) {
    const p = wallParts(ms, tz);
    return `${pad(p.hour)}:${pad(p.minute)}`;
  }

  function addDays(day, n) {
    const [y, m, d] = day.split("-").map(Number);
    const at = new Date(Date.UTC(y, m - 1, d + n));
    return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  }

  function mondayOf(day) {
    const [y, m, d] = day.split("-").map(Number);
    const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
    return addDays(day, -((weekday + 6) % 7));
  }

  // The wall-clock day of each start: formatToParts is the slow part of grouping a week of
  // 2,000 rows, and starts repeat (every quarter hour), so each is worked out once.
  const startDays = new Map();
  function dayOfStart(iso, tz) {
    const key = `${tz}|${iso}`;
    let day = startDays.get(key);
    if (day === undefined) {
      if (startDays.size > 20000) startDays.clear();
      day = dayOf(Date.parse(iso), tz);
      startDays.set(key, day);
    }
    return day;
  }

  function today() {
    return dayOf(nowMs(), zone());
  }

  // The days shown: [first, end) as calendar days.
  function rangeDays() {
    const first = state.mode === "week" ? mondayOf(state.anchor) : state.anchor;
    return { first, end: addDays(first, state.mode === "week" ? 7 : 1) };
  }

  function dayLabel(day, options) {
    // Noon UTC of that date names the same calendar day in every zone's formatting.
    const [y, m, d] = day.split("-").map(Number);
    return new Intl.DateTimeFormat(currentLocale(), { timeZone: "UTC", ...options })
      .format(Date.UTC(y, m - 1, d, 12));
  }

  function timeOf(iso) {
    return RV.fmt.time(iso);
  }

  function whenOf(iso) {
    return RV.fmt.when(iso);
  }

  // ---- what a row says --------------------------------------------------------------------
  function statusText(row) {
    if (row.status === "cancelled") {
      return row.cancelled_by ? t(`desk.status.cancelled.${row.cancelled_by}`) : t("desk.status.cancelled");
    }
    return row.status === "confirmed" ? t("desk.status.confirmed") : t("desk.status.scheduled");
  }

  function kindText(kind) {
    const k = String(kind || "");
    if (k.startsWith("reminder")) return t("desk.kind.reminder");
    if (["confirmation", "moved", "cancelled"].includes(k)) return t(`desk.kind.${k}`);
    return words(k);
  }

  function textStatus(status) {
    return TEXT_STATUSES.has(status) ? t(`desk.tstatus.${status}`) : words(status);
  }

  function lastTextLine(row) {
    const last = row.last_text;
    if (!last) return t("desk.text.none");
    let line = t("desk.text.line", { kind: kindText(last.kind), status: textStatus(last.status) });
    if (last.reason) line += ` (${reasonText(last.reason)})`;
    return line;
  }

  // Why a text was not sent or not delivered, in the person's words: the sender's reason
  // codes, and Twilio's error codes ("twilio 30003") as the network's refusal.
  function reasonText(reason) {
    const code = String(reason);
    if (Object.hasOwn(I18N.en, `desk.reason.${code}`)) return t(`desk.reason.${code}`);
    const carrier = /^twilio[ _](\d+)$/.exec(code);
    return carrier ? t("desk.reason.carrier", { code: carrier[1] }) : words(code);
  }

  function isProblem(row) {
    return Boolean(row.opted_out || row.undeliverable ||
      (row.last_text && PROBLEM_STATUSES.has(row.last_text.status)));
  }

  function isUnconfirmed(row) {
    return row.status === "scheduled";
  }

  function customerOf(row) {
    return row.customer || {};
  }

  // Everything that changes what a row shows: a row whose key is the same is not rebuilt.
  function rowKey(row) {
    const c = customerOf(row);
    const last = row.last_text || {};
    return [row.version, row.starts_at, row.status, row.cancelled_by, row.outcome, c.name, c.phone,
      row.service, row.provider, last.kind, last.status, last.at, last.reason, row.opted_out,
      row.undeliverable, currentLocale()].join("\u0001");
  }

  function buildRow(row) {
    const c = customerOf(row);
    const time = timeOf(row.starts_at);
    const problem = isProblem(row);
    const service = [row.service, row.provider].filter(Boolean).join(" · ");
    const cancelled = row.status === "cancelled";
    const flags = [];
    if (row.opted_out) flags.push(el("span", { class: "badge flag-opted-out" }, t("desk.flag.opted_out")));
    if (row.undeliverable) flags.push(el("span", { class: "badge flag-undeliverable" }, t("desk.flag.undeliverable")));
    const last = row.last_text;
    return el("li", {
      class: `appt status-${row.status}${problem ? " has-problem" : ""}`,
      "data-id": row.appointment_id,
    },
    el("time", { class: "appt-time", dateTime: row.starts_at }, time),
    el("span", { class: "appt-who" },
      el("span", { class: "appt-name" }, c.name || c.phone || ""),
      el("span", { class: "appt-phone" }, c.phone || "")),
    el("span", { class: "appt-service" }, service),
    el("span", { class: `appt-status badge badge-${cancelled ? "cancelled" : row.status}` }, statusText(row)),
    el("span", { class: "appt-outcome" }, row.outcome ? t(`desk.outcome.${row.outcome}`) : ""),
    el("span", { class: `appt-text${last && PROBLEM_STATUSES.has(last.status) ? " is-problem" : ""}` },
      el("span", { class: "appt-label" }, t("desk.text.label"), " "), lastTextLine(row)),
    el("span", { class: "appt-flags" }, ...flags),
    el("button", {
      type: "button",
      class: "appt-open",
      "data-id": row.appointment_id,
      "aria-label": t("desk.actions.for", { name: c.name || c.phone || "", time }),
    }, t("desk.actions")));
  }

  function rowNode(row) {
    const key = rowKey(row);
    const cached = state.nodes.get(row.appointment_id);
    if (cached && cached.key === key) return cached.node;
    const node = buildRow(row);
    state.nodes.set(row.appointment_id, { key, node });
    return node;
  }

  // ---- filters ------------------------------------------------------------------------------
  function matcher() {
    const unconfirmed = $("desk-unconfirmed").checked;
    const problems = $("desk-problems").checked;
    const query = $("desk-search").value.trim();
    const digits = query.replace(/\D/g, "");
    // A name, or (no letters, three digits or more) the number in any format: +1 415…, (415) 555….
    const byNumber = digits.length >= 3 && !/\p{L}/u.test(query);
    const name = fold(query);
    return (row) => {
      if (unconfirmed && !isUnconfirmed(row)) return false;
      if (problems && !isProblem(row)) return false;
      if (!query) return true;
      const c = customerOf(row);
      if (fold(c.name).includes(name)) return true;
      return byNumber && String(c.phone || "").replace(/\D/g, "").includes(digits);
    };
  }

  // ---- rendering ----------------------------------------------------------------------------
  function renderHeading() {
    const { first } = rangeDays();
    const week = state.mode === "week";
    let heading;
    if (week) heading = t("desk.heading.week", { date: dayLabel(first, { day: "numeric", month: "long", year: "numeric" }) });
    else {
      const date = dayLabel(first, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
      heading = first === today() ? t("desk.heading.today", { date }) : date;
    }
    $("desk-heading").textContent = heading;
    $("desk-zone").textContent = t("desk.zone", { zone: zone() });
    $("desk-prev").textContent = t(week ? "desk.prev.week" : "desk.prev.day");
    $("desk-next").textContent = t(week ? "desk.next.week" : "desk.next.day");
    $("desk-mode-day").setAttribute("aria-pressed", week ? "false" : "true");
    $("desk-mode-week").setAttribute("aria-pressed", week ? "true" : "false");
    $("desk-today").disabled = !week && state.anchor === today();
  }

  function render() {
    const started = performance.now();
    const tz = zone();
    const keep = matcher();
    const shown = state.rows.filter(keep);
    const fragment = document.createDocumentFragment();
    if (state.mode === "week") {
      // One group per day: a heading the screen reader can jump by, then that day's rows.
      const groups = new Map();
      for (const row of shown) {
        const day = dayOfStart(row.starts_at, tz);
        if (!groups.has(day)) groups.set(day, []);
        groups.get(day).push(row);
      }
      for (const [day, rows] of groups) {
        const headingId = `desk-day-${day}`;
        fragment.append(el("section", { class: "desk-day", "aria-labelledby": headingId },
          el("h3", { id: headingId, class: "desk-day-heading" },
            dayLabel(day, { weekday: "long", day: "numeric", month: "long" }),
            el("span", { class: "muted small" }, " · ",
              tn("desk.day.count", rows.length))),
          el("ol", { class: "appt-list" }, ...rows.map(rowNode))));
      }
    } else if (shown.length) {
      fragment.append(el("ol", { class: "appt-list", "aria-labelledby": "desk-heading" }, ...shown.map(rowNode)));
    }
    // A refresh that rebuilds the row in focus gives the focus to its new button: a person
    // tabbing through the list is not thrown back to the top every minute.
    const list = $("desk-list");
    // So does a dialog closed while its row was being rebuilt (state.refocusId): the focus
    // waits on the heading for the row, unless the person has moved it elsewhere since.
    const waiting = state.refocusId && document.activeElement === $("desk-heading") ? state.refocusId : null;
    state.refocusId = null;
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.id : waiting;
    list.replaceChildren(fragment);
    if (focused && !list.contains(document.activeElement)) {
      const again = list.querySelector(`button.appt-open[data-id="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
    // Rows no longer in the range are forgotten; filtered-out ones stay cached.
    const ids = new Set(state.rows.map((row) => row.appointment_id));
    for (const id of state.nodes.keys()) if (!ids.has(id)) state.nodes.delete(id);

    const empty = $("desk-empty");
    empty.hidden = shown.length > 0 || state.loadedKey !== state.rangeKey;
    empty.textContent = state.rows.length ? t("desk.empty.filtered") : t("desk.empty.range");
    // Counts of a range still loading would say "0 of 0": nothing until the rows are in.
    $("desk-summary").textContent = state.loadedKey !== state.rangeKey ? "" : t("desk.summary", {
      shown: shown.length,
      total: state.rows.length,
      unconfirmed: state.rows.filter(isUnconfirmed).length,
      problems: state.rows.filter(isProblem).length,
    });
    state.lastRenderMs = performance.now() - started;
    performance.measure("desk:render", { start: started, end: performance.now(), detail: { rows: shown.length } });
    return shown.length;
  }

  function renderStatus() {
    $("desk-status").textContent = state.loadedAt ? t("desk.loaded", { time: timeOf(state.loadedAt) }) : "";
  }

  // ---- loading ------------------------------------------------------------------------------
  async function fetchRange(first, end, tz) {
    const from = isoWithOffset(wallToMs(first, "00:00", tz), tz);
    const to = isoWithOffset(wallToMs(end, "00:00", tz), tz);
    const rows = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ from, to, limit: String(PAGE_LIMIT) });
      if (cursor) query.set("cursor", cursor);
      const answer = await RV.api("GET", `/v1/appointments?${query}`);
      rows.push(...((answer && answer.appointments) || []));
      cursor = answer && answer.next_cursor;
      if (!cursor) break;
    }
    return rows;
  }

  function load() {
    if (!state.anchor) state.anchor = today();
    const tz = zone();
    const { first, end } = rangeDays();
    const key = `${tz}|${first}|${end}`;
    if (state.loading && state.loading.key === key) return state.loading.promise;
    if (key !== state.rangeKey) {
      state.rangeKey = key;
      state.rows = [];
      state.generation += 1;
    }
    const generation = state.generation;
    $("desk-status").textContent = t("desk.loading");
    $("desk-list").setAttribute("aria-busy", "true");
    const promise = fetchRange(first, end, tz).then((rows) => {
      if (generation !== state.generation) return;
      state.rows = rows;
      state.loadedKey = key;
      $("desk-error").textContent = "";
      render();
      // For the benchmark (benchmarks/console_day_view.py): the range is on screen and usable.
      performance.mark(`rv:${state.mode}-ready`, { detail: { rows: rows.length } });
      state.loadedAt = new Date(nowMs()).toISOString();
      renderStatus();
    }, (error) => {
      if (generation !== state.generation) return;
      $("desk-status").textContent = "";
      if (error && error.status !== 401 && error.code !== "stale") {
        $("desk-error").textContent = t("desk.error.load", { message: error.message || String(error) });
      }
      throw error; // the scheduler backs off on failures
    }).finally(() => {
      if (state.loading && state.loading.promise === promise) state.loading = null;
      $("desk-list").removeAttribute("aria-busy");
    });
    state.loading = { key, promise };
    render();
    return promise;
  }

  function quietly(promise) {
    promise.catch(() => {}); // shown in #desk-error already
  }

  function go(anchor, mode) {
    state.anchor = anchor;
    if (mode) state.mode = mode;
    renderHeading();
    quietly(load());
  }

  function step(direction) {
    go(addDays(state.anchor, direction * (state.mode === "week" ? 7 : 1)));
  }

  // ---- the actions dialog -------------------------------------------------------------------
  const PANES = ["desk-pane-cancel", "desk-pane-move", "desk-pane-outcome", "desk-pane-opt"];

  function selected() {
    return state.rows.find((row) => row.appointment_id === state.selectedId) || null;
  }

  function showPane(id, focusId) {
    for (const pane of PANES) $(pane).hidden = pane !== id;
    $("desk-actions").hidden = id !== null;
    for (const errorId of ["desk-cancel-error", "desk-move-error", "desk-outcome-error", "desk-opt-error"]) {
      $(errorId).textContent = "";
    }
    if (focusId) $(focusId).focus();
  }

  function fillDialog(row) {
    const c = customerOf(row);
    const tz = zone();
    $("desk-dialog-heading").textContent = `${c.name || c.phone || ""}, ${whenOf(row.starts_at)}`;
    const details = [];
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      details.push(el("dt", {}, t(label)), el("dd", {}, value));
    };
    const flags = [row.opted_out ? t("desk.flag.opted_out") : "", row.undeliverable ? t("desk.flag.undeliverable") : ""].filter(Boolean);
    add("desk.dialog.phone", flags.length ? `${c.phone} (${flags.join(", ")})` : c.phone);
    add("desk.dialog.when", `${dayLabel(dayOf(Date.parse(row.starts_at), tz), { weekday: "long", day: "numeric", month: "long" })}, ${timeOf(row.starts_at)}`);
    add("desk.dialog.service", row.service);
    add("desk.dialog.with", row.provider);
    add("desk.dialog.where", row.location);
    add("desk.dialog.status", statusText(row));
    add("desk.dialog.outcome", row.outcome ? t(`desk.outcome.${row.outcome}`) : t("desk.outcome.none"));
    add("desk.dialog.text", lastTextLine(row));
    $("desk-details").replaceChildren(...details);

    const cancelled = row.status === "cancelled";
    $("desk-act-cancel").hidden = cancelled;
    $("desk-act-move").hidden = cancelled;
    $("desk-act-optout").hidden = Boolean(row.opted_out);
    $("desk-act-optin").hidden = !row.opted_out;
  }

  function openDialog(id) {
    const row = state.rows.find((r) => r.appointment_id === id);
    if (!row) return;
    state.selectedId = id;
    fillDialog(row);
    showPane(null);
    $("desk-notice").textContent = "";
    $("desk-dialog").showModal();
    $("desk-act-conversation").focus();
  }

  function closeDialog() {
    if ($("desk-dialog").open) $("desk-dialog").close();
  }

  function onDialogClosed() {
    // Back to the row the dialog was opened from (rebuilt or not by a refresh meanwhile).
    const id = state.selectedId;
    state.selectedId = null;
    if (!state.visible) return; // another view took over (the conversation, a sign-out)
    const button = id && $("desk-list").querySelector(`button.appt-open[data-id="${CSS.escape(id)}"]`);
    if (button) {
      button.focus();
    } else {
      state.refocusId = id;
      $("desk-heading").focus();
    }
  }

  // Runs one action: the button is busy meanwhile, an error is said in words next to it.
  async function run(buttonId, errorId, call) {
    const button = $(buttonId);
    const label = button.textContent;
    button.disabled = true;
    button.textContent = t("desk.busy");
    $(errorId).textContent = "";
    try {
      return await call();
    } catch (error) {
      if (error && error.status === 401) return null;
      $(errorId).textContent = t("desk.error", { message: (error && error.message) || String(error) });
      return null;
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  // An action's answer (AppointmentOut) shown at once; the next load brings the rest.
  function applyAnswer(answer) {
    if (!answer || !answer.appointment_id) return;
    const row = state.rows.find((r) => r.appointment_id === answer.appointment_id);
    if (!row) return;
    for (const field of ["status", "starts_at", "cancelled_by", "cancelled_at", "confirmed_at", "outcome", "version", "last_text"]) {
      if (field in answer) row[field] = answer[field];
    }
  }

  function done(message) {
    RV.announce(message);
    const shown = selected();
    if (shown) fillDialog(shown);
    showPane(null);
    $("desk-notice").textContent = message;
    render();
    quietly(load());
    $("desk-act-conversation").focus();
  }

  const pathOf = (id) => `/v1/appointments/${encodeURIComponent(id)}`;

  // Cancel
  function startCancel() {
    $("desk-cancel-notify").checked = true;
    showPane("desk-pane-cancel", "desk-cancel-keep");
  }

  async function submitCancel(event) {
    event.preventDefault();
    const row = selected();
    if (!row) return;
    const notify = $("desk-cancel-notify").checked;
    const answer = await run("desk-cancel-confirm", "desk-cancel-error",
      () => RV.api("DELETE", `${pathOf(row.appointment_id)}?notify=${notify ? "true" : "false"}`));
    if (!answer) return;
    applyAnswer(answer);
    const name = customerOf(row).name || customerOf(row).phone;
    done(t(notify ? "desk.cancel.done.notify" : "desk.cancel.done", { name }));
  }

  // Move
  function startMove() {
    const row = selected();
    if (!row) return;
    const at = Date.parse(row.starts_at);
    $("desk-move-date").value = dayOf(at, zone());
    $("desk-move-time").value = hhmmOf(at, zone());
    $("desk-move-hint").textContent = t("desk.move.hint", { zone: zone() });
    showPane("desk-pane-move", "desk-move-date");
  }

  // The booking as the API holds it, with a new start: PUT replaces the whole appointment.
  function putBody(current, startsAt) {
    const customer = { phone: current.customer.phone, name: current.customer.name };
    if (current.customer.locale) customer.locale = current.customer.locale;
    const body = { customer, starts_at: startsAt };
    for (const field of ["duration_minutes", "location", "provider", "service"]) {
      if (current[field] !== null && current[field] !== undefined) body[field] = current[field];
    }
    return body;
  }

  async function submitMove(event) {
    event.preventDefault();
    const row = selected();
    if (!row) return;
    const day = $("desk-move-date").value;
    const hhmm = $("desk-move-time").value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !/^\d{2}:\d{2}/.test(hhmm)) {
      $("desk-move-error").textContent = t("desk.move.missing");
      $(day ? "desk-move-time" : "desk-move-date").focus();
      return;
    }
    const tz = zone();
    const at = wallToMs(day, hhmm.slice(0, 5), tz);
    if (at === Date.parse(row.starts_at)) {
      $("desk-move-error").textContent = t("desk.move.same");
      return;
    }
    const startsAt = isoWithOffset(at, tz);
    const answer = await run("desk-move-confirm", "desk-move-error", async () => {
      const current = await RV.api("GET", pathOf(row.appointment_id));
      return RV.api("PUT", pathOf(row.appointment_id), putBody(current, startsAt));
    });
    if (!answer) return;
    applyAnswer(answer);
    const name = customerOf(row).name || customerOf(row).phone;
    done(t("desk.move.done", { name, when: whenOf(answer.starts_at || startsAt) }));
  }

  // Outcome
  function startOutcome() {
    const row = selected();
    if (!row) return;
    const cancelled = row.status === "cancelled";
    const started = Date.parse(row.starts_at) <= nowMs();
    for (const outcome of OUTCOMES) {
      const radio = $(`desk-outcome-${outcome}`);
      radio.checked = row.outcome === outcome;
      // The API refuses these (422); saying why beats a refusal after the click.
      radio.disabled = outcome !== "late_cancel" && (cancelled || !started);
    }
    $("desk-outcome-hint").textContent = cancelled ? t("desk.outcome.cancelledonly")
      : started ? "" : t("desk.outcome.notyet");
    const first = OUTCOMES.map((o) => $(`desk-outcome-${o}`)).find((r) => r.checked && !r.disabled) ||
      OUTCOMES.map((o) => $(`desk-outcome-${o}`)).find((r) => !r.disabled);
    showPane("desk-pane-outcome");
    first.focus();
  }

  async function submitOutcome(event) {
    event.preventDefault();
    const row = selected();
    if (!row) return;
    const chosen = OUTCOMES.find((o) => $(`desk-outcome-${o}`).checked);
    if (!chosen) {
      $("desk-outcome-error").textContent = t("desk.outcome.pick");
      return;
    }
    const answer = await run("desk-outcome-confirm", "desk-outcome-error",
      () => RV.api("POST", `${pathOf(row.appointment_id)}/outcome`, { outcome: chosen }));
    if (!answer) return;
    applyAnswer(answer);
    const name = customerOf(row).name || customerOf(row).phone;
    done(t("desk.outcome.done", { name, outcome: t(`desk.outcome.${chosen}`) }));
  }

  // Opt out / back in: on the customer's own spoken request
  function startOpt() {
    const row = selected();
    if (!row) return;
    const out = !row.opted_out;
    const phone = customerOf(row).phone;
    $("desk-opt-question").textContent = t(out ? "desk.opt.out.question" : "desk.opt.in.question", { phone });
    $("desk-opt-confirm").textContent = t(out ? "desk.opt.out.confirm" : "desk.opt.in.confirm");
    $("desk-opt-reason").value = "";
    showPane("desk-pane-opt", "desk-opt-reason");
  }

  async function submitOpt(event) {
    event.preventDefault();
    const row = selected();
    if (!row) return;
    const out = !row.opted_out;
    const phone = customerOf(row).phone;
    const reason = $("desk-opt-reason").value.trim();
    const answer = await run("desk-opt-confirm", "desk-opt-error",
      () => RV.api("POST", `/v1/recipients/${encodeURIComponent(phone)}/${out ? "opt-out" : "opt-in"}`,
        reason ? { reason } : {}));
    if (!answer) return;
    for (const r of state.rows) if (customerOf(r).phone === phone) r.opted_out = Boolean(answer.opted_out);
    let message;
    if (!answer.changed) message = t(out ? "desk.opt.out.already" : "desk.opt.in.already", { phone });
    else message = t(out ? "desk.opt.out.done" : "desk.opt.in.done", { phone });
    // Twilio keeps its own block after a STOP until the customer texts START.
    if (!out && answer.carrier_block) message += ` ${t("desk.opt.carrier")}`;
    done(message);
  }

  function openConversation() {
    const row = selected();
    if (!row) return;
    const phone = customerOf(row).phone;
    const id = row.appointment_id;
    state.selectedId = null; // the conversation takes the focus, not the row
    closeDialog();
    RV.openConversation(phone, id);
  }

  // ---- static words (re-said on a locale switch) -------------------------------------------
  const STATIC = {
    "desk-mode-label": "desk.mode.label",
    "desk-mode-day": "desk.mode.day",
    "desk-mode-week": "desk.mode.week",
    "desk-today": "desk.today",
    "desk-filters-legend": "desk.filters",
    "desk-unconfirmed-label": "desk.filter.unconfirmed",
    "desk-problems-label": "desk.filter.problems",
    "desk-problems-hint": "desk.filter.problems.hint",
    "desk-search-label": "desk.search",
    "desk-dialog-close": "desk.dialog.close",
    "desk-act-appointment": "desk.act.appointment",
    "desk-act-number": "desk.act.number",
    "desk-act-conversation": "desk.act.conversation",
    "desk-act-move": "desk.act.move",
    "desk-act-outcome": "desk.act.outcome",
    "desk-act-cancel": "desk.act.cancel",
    "desk-act-optout": "desk.act.optout",
    "desk-act-optin": "desk.act.optin",
    "desk-cancel-question": "desk.cancel.question",
    "desk-cancel-notify-label": "desk.cancel.notify",
    "desk-cancel-confirm": "desk.cancel.confirm",
    "desk-cancel-keep": "desk.cancel.keep",
    "desk-move-date-label": "desk.move.date",
    "desk-move-time-label": "desk.move.time",
    "desk-move-confirm": "desk.move.confirm",
    "desk-move-back": "desk.move.back",
    "desk-outcome-legend": "desk.outcome.legend",
    "desk-outcome-attended-label": "desk.outcome.attended",
    "desk-outcome-no_show-label": "desk.outcome.no_show",
    "desk-outcome-late_cancel-label": "desk.outcome.late_cancel",
    "desk-outcome-confirm": "desk.outcome.confirm",
    "desk-outcome-back": "desk.move.back",
    "desk-opt-request": "desk.opt.request",
    "desk-opt-reason-label": "desk.opt.reason",
    "desk-opt-back": "desk.move.back",
  };

  function translateStatic() {
    for (const [id, key] of Object.entries(STATIC)) $(id).textContent = t(key);
  }

  function relabel() {
    translateStatic();
    state.nodes.clear();
    if (state.anchor) {
      renderHeading();
      render();
      if (!state.loading) renderStatus();
    }
    const row = $("desk-dialog").open && selected();
    if (row) fillDialog(row);
  }

  // ---- the view ------------------------------------------------------------------------------
  function show() {
    state.visible = true;
    $("view-day").hidden = false;
    if (!state.anchor) state.anchor = today();
    renderHeading();
    quietly(load());
  }

  function hide() {
    state.visible = false;
    $("view-day").hidden = true;
    closeDialog();
  }

  function reset() {
    state.generation += 1;
    Object.assign(state, { mode: "day", anchor: null, rows: [], rangeKey: "", loadedKey: "", loadedAt: null, loading: null, selectedId: null });
    state.nodes.clear();
    closeDialog();
    $("desk-list").replaceChildren();
    $("desk-search").value = "";
    $("desk-unconfirmed").checked = false;
    $("desk-problems").checked = false;
    $("desk-error").textContent = "";
    $("desk-status").textContent = "";
  }

  function wire() {
    $("desk-mode-day").addEventListener("click", () => go(state.anchor || today(), "day"));
    $("desk-mode-week").addEventListener("click", () => go(state.anchor || today(), "week"));
    $("desk-prev").addEventListener("click", () => step(-1));
    $("desk-next").addEventListener("click", () => step(1));
    $("desk-today").addEventListener("click", () => go(today()));
    for (const id of ["desk-unconfirmed", "desk-problems"]) {
      $(id).addEventListener("change", () => {
        const count = render();
        RV.announce($("desk-summary").textContent || String(count));
      });
    }
    $("desk-search").addEventListener("input", () => {
      clearTimeout(state.searchTimer);
      state.searchTimer = setTimeout(render, SEARCH_DEBOUNCE_MS);
    });
    $("desk-search").addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        clearTimeout(state.searchTimer);
        render();
        RV.announce($("desk-summary").textContent);
      }
    });
    $("desk-list").addEventListener("click", (event) => {
      const button = event.target.closest("button.appt-open");
      if (button) openDialog(button.dataset.id);
    });
    $("desk-dialog").addEventListener("close", onDialogClosed);
    $("desk-dialog-close").addEventListener("click", closeDialog);
    $("desk-act-conversation").addEventListener("click", openConversation);
    $("desk-act-cancel").addEventListener("click", startCancel);
    $("desk-act-move").addEventListener("click", startMove);
    $("desk-act-outcome").addEventListener("click", startOutcome);
    $("desk-act-optout").addEventListener("click", startOpt);
    $("desk-act-optin").addEventListener("click", startOpt);
    $("desk-pane-cancel").addEventListener("submit", submitCancel);
    $("desk-pane-move").addEventListener("submit", submitMove);
    $("desk-pane-outcome").addEventListener("submit", submitOutcome);
    $("desk-pane-opt").addEventListener("submit", submitOpt);
    for (const [back, target] of [["desk-cancel-keep", "desk-act-cancel"], ["desk-move-back", "desk-act-move"],
      ["desk-outcome-back", "desk-act-outcome"], ["desk-opt-back", null]]) {
      $(back).addEventListener("click", () => {
        showPane(null);
        const row = selected();
        const to = target || (row && row.opted_out ? "desk-act-optin" : "desk-act-optout");
        $(to).focus();
      });
    }
  }

  wire();
  translateStatic();
  // The shell's scheduler (RV.poll's "view" task) calls refresh() every 60 s while this view
  // is the one on screen and the tab is visible: no second timer of our own.
  RV.registerView("day", { label: "nav.day", roles: ["manager", "staff"], show, hide, refresh: () => load() });
  RV.onSignedIn(() => { reset(); });
  RV.onSignedOut(() => { reset(); hide(); });
  RV.onLocale(relabel);
})();
