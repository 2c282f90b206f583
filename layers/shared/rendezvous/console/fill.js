// The fill view: who waits for a slot (the waitlist: add and remove people), and the slots
// free to offer (openings: when, what, their state, the offers sent and who took it). Reads
// and writes the same waitlist and openings API a booking system uses.
(() => {
  Object.assign(I18N.en, {
    "nav.fill": "Waitlist",
    "fill.heading": "Waitlist and openings",
    "fill.waitlist": "Waiting list",
    "fill.waitlist.empty": "Nobody is waiting.",
    "fill.waitlist.counts": "{waiting} waiting · {offered} with an offer open",
    "fill.waitlist.partial": "Showing the first {shown} on the list; the counts above cover only them.",
    "fill.more": "Show more",
    "fill.more.waitlist": "Show more of the waiting list",
    "fill.more.openings": "Show more openings",
    "fill.col.who": "Who",
    "fill.col.wants": "Wants",
    "fill.col.since": "Since",
    "fill.col.state": "State",
    "fill.col.when": "When",
    "fill.col.service": "Service",
    "fill.col.offers": "Offers sent",
    "fill.col.taken": "Taken by",
    "fill.col.actions": "Actions",
    "fill.wants.any": "Any slot",
    "fill.wants.with": "with {provider}",
    "fill.wants.from": "from {when}",
    "fill.wants.until": "until {when}",
    "fill.entry.waiting": "Waiting",
    "fill.entry.offered": "Offer open",
    "fill.entry.offeredFor": "Offer open for {when}",
    "fill.entry.optedOut": "Opted out (STOP): gets no offers",
    "fill.entry.filled": "Got a slot",
    "fill.entry.removed": "Removed",
    "fill.conversation": "Texts",
    "fill.conversation.for": "Texts with {name}",
    "fill.remove": "Remove",
    "fill.remove.for": "Remove {name} from the list",
    "fill.removed": "{name} is off the list.",
    "fill.remove.question": "Remove {name} from the waiting list?",
    "fill.remove.explain": "They get no more offers. Add them again to put them back, at the end of the list.",
    "fill.remove.confirm": "Yes, remove",
    "fill.remove.keep": "Keep on the list",
    "fill.add": "Add to the list",
    "fill.add.name": "Name",
    "fill.add.phone": "Mobile number",
    "fill.add.service": "Service (optional)",
    "fill.add.provider": "With (optional)",
    "fill.add.submit": "Add",
    "fill.add.missing": "A name and a mobile number are needed.",
    "fill.add.badPhone": "This is not a mobile number we can text. Check it, or write it with its country code, like +1 415 555 0123.",
    "fill.field.check": "Check this field: {problem}",
    "fill.added": "{name} is on the list.",
    "fill.openings": "Openings",
    "fill.openings.empty": "No openings in the next {days} days.",
    "fill.openings.count.one": "{count} opening",
    "fill.openings.count.other": "{count} openings",
    "fill.openings.partial": "Showing the first {shown} openings.",
    "fill.openings.status": "Show",
    "fill.openings.all": "All",
    "fill.opening.open": "Open",
    "fill.opening.offered": "Offered",
    "fill.opening.filled": "Filled",
    "fill.opening.expired": "Expired",
    "fill.opening.withdrawn": "Withdrawn",
    "fill.state.line": "{state} — {source}",
    "fill.source.cancellation": "from a cancellation",
    "fill.source.booking": "published slot",
    "fill.source.reschedule": "freed by a move",
    "fill.service.any": "Any service",
    "fill.taken": "{name}, {when}",
    "fill.taken.none": "–",
    "fill.taken.moved": "{name}, moved from {from}",
    "fill.publish": "Publish a free slot",
    "fill.publish.hint": "A slot you publish is offered to the people waiting for it, by text. Times are {zone} time.",
    "fill.publish.date": "Date",
    "fill.publish.time": "Time",
    "fill.publish.duration": "Length in minutes (optional)",
    "fill.publish.service": "Service (optional)",
    "fill.publish.provider": "With (optional)",
    "fill.publish.submit": "Publish",
    "fill.publish.missing": "A date and a time are needed.",
    "fill.publish.past": "That time has already passed.",
    "fill.publish.badTime": "This time can’t be offered: too soon for someone on the list to come, or further ahead than the waiting list is offered.",
    "fill.publish.badDuration": "Between 5 and 1440 minutes.",
    "fill.publish.done": "The {when} slot is published; the waiting list gets offers.",
    "fill.publish.again": "The {when} slot was published already.",
    "fill.withdraw": "Withdraw",
    "fill.withdraw.for": "Withdraw the {when} opening",
    "fill.withdraw.question": "Withdraw the {when} slot?",
    "fill.withdraw.explain": "Offers already sent end, and no more go out.",
    "fill.withdraw.keep": "Keep offering",
    "fill.withdraw.confirm": "Yes, withdraw",
    "fill.withdraw.done": "The {when} slot is withdrawn; no more offers go out.",
    "fill.withdraw.filled": "Already filled: cancel its appointment instead",
    "fill.offers.show": "Offers",
    "fill.offers.for": "Offers for the {when} opening",
    "fill.offers.none": "No offer sent yet.",
    "fill.offer.line": "{name} · sent {when} · {status}",
    "fill.offer.sent": "waiting for an answer",
    "fill.offer.taken": "took it",
    "fill.offer.lost": "too late",
    "fill.offer.expired": "ended",
    "fill.loading": "Loading…",
    "fill.error": "Not done: {message}",
    "fill.error.load": "The waitlist could not be loaded: {message}",
    "messageKind.offer": "Waitlist offer",
    "messageKind.offer_taken": "Slot just taken",
    "messageKind.reschedule_options": "Free times offered"
  });
  Object.assign(I18N.fr, {
    "nav.fill": "Liste d’attente",
    "fill.heading": "Liste d’attente et créneaux libres",
    "fill.waitlist": "Liste d’attente",
    "fill.waitlist.empty": "Personne n’attend.",
    "fill.waitlist.counts": "{waiting} en attente · {offered} avec une offre en cours",
    "fill.waitlist.partial": "Affichage des {shown} premiers de la liste ; les chiffres ci-dessus ne portent que sur eux.",
    "fill.more": "Afficher plus",
    "fill.more.waitlist": "Afficher plus de la liste d’attente",
    "fill.more.openings": "Afficher plus de créneaux",
    "fill.col.who": "Qui",
    "fill.col.wants": "Souhaite",
    "fill.col.since": "Depuis",
    "fill.col.state": "État",
    "fill.col.when": "Quand",
    "fill.col.service": "Prestation",
    "fill.col.offers": "Offres envoyées",
    "fill.col.taken": "Pris par",
    "fill.col.actions": "Actions",
    "fill.wants.any": "N’importe quel créneau",
    "fill.wants.with": "avec {provider}",
    "fill.wants.from": "à partir du {when}",
    "fill.wants.until": "jusqu’au {when}",
    "fill.entry.waiting": "En attente",
    "fill.entry.offered": "Offre en cours",
    "fill.entry.offeredFor": "Offre en cours pour le {when}",
    "fill.entry.optedOut": "Désinscrit (STOP) : ne reçoit aucune offre",
    "fill.entry.filled": "A eu un créneau",
    "fill.entry.removed": "Retiré",
    "fill.conversation": "SMS",
    "fill.conversation.for": "SMS avec {name}",
    "fill.remove": "Retirer",
    "fill.remove.for": "Retirer {name} de la liste",
    "fill.removed": "{name} n’est plus sur la liste.",
    "fill.remove.question": "Retirer {name} de la liste d’attente ?",
    "fill.remove.explain": "Plus aucune offre ne lui sera envoyée. L’ajouter de nouveau le remet en fin de liste.",
    "fill.remove.confirm": "Oui, retirer",
    "fill.remove.keep": "Garder sur la liste",
    "fill.add": "Ajouter à la liste",
    "fill.add.name": "Nom",
    "fill.add.phone": "Numéro de portable",
    "fill.add.service": "Prestation (facultatif)",
    "fill.add.provider": "Avec (facultatif)",
    "fill.add.submit": "Ajouter",
    "fill.add.missing": "Il faut un nom et un numéro de portable.",
    "fill.add.badPhone": "Ce n’est pas un numéro de portable joignable par SMS. Vérifiez-le ou écrivez-le avec l’indicatif du pays, comme +33 6 12 34 56 78.",
    "fill.field.check": "Vérifiez ce champ : {problem}",
    "fill.added": "{name} est sur la liste.",
    "fill.openings": "Créneaux libres",
    "fill.openings.empty": "Aucun créneau libre dans les {days} prochains jours.",
    "fill.openings.count.one": "{count} créneau",
    "fill.openings.count.other": "{count} créneaux",
    "fill.openings.partial": "Affichage des {shown} premiers créneaux.",
    "fill.openings.status": "Afficher",
    "fill.openings.all": "Tous",
    "fill.opening.open": "Libre",
    "fill.opening.offered": "Proposé",
    "fill.opening.filled": "Pris",
    "fill.opening.expired": "Expiré",
    "fill.opening.withdrawn": "Retiré",
    "fill.state.line": "{state} — {source}",
    "fill.source.cancellation": "issu d’une annulation",
    "fill.source.booking": "créneau publié",
    "fill.source.reschedule": "libéré par un déplacement",
    "fill.service.any": "Toute prestation",
    "fill.taken": "{name}, {when}",
    "fill.taken.none": "–",
    "fill.taken.moved": "{name}, déplacé depuis le {from}",
    "fill.publish": "Publier un créneau libre",
    "fill.publish.hint": "Un créneau publié est proposé par SMS aux personnes qui l’attendent. Heures de {zone}.",
    "fill.publish.date": "Date",
    "fill.publish.time": "Heure",
    "fill.publish.duration": "Durée en minutes (facultatif)",
    "fill.publish.service": "Prestation (facultatif)",
    "fill.publish.provider": "Avec (facultatif)",
    "fill.publish.submit": "Publier",
    "fill.publish.missing": "Il faut une date et une heure.",
    "fill.publish.past": "Cette heure est déjà passée.",
    "fill.publish.badTime": "Ce créneau ne peut pas être proposé : trop proche pour que quelqu’un de la liste puisse venir, ou plus lointain que ce que la liste d’attente propose.",
    "fill.publish.badDuration": "Entre 5 et 1440 minutes.",
    "fill.publish.done": "Le créneau du {when} est publié ; la liste d’attente reçoit des offres.",
    "fill.publish.again": "Le créneau du {when} était déjà publié.",
    "fill.withdraw": "Retirer",
    "fill.withdraw.for": "Retirer le créneau du {when}",
    "fill.withdraw.question": "Retirer le créneau du {when} ?",
    "fill.withdraw.explain": "Les offres déjà envoyées prennent fin, et plus aucune ne part.",
    "fill.withdraw.keep": "Continuer à proposer",
    "fill.withdraw.confirm": "Oui, retirer",
    "fill.withdraw.done": "Le créneau du {when} est retiré ; plus aucune offre ne part.",
    "fill.withdraw.filled": "Déjà pris : annulez plutôt son rendez-vous",
    "fill.offers.show": "Offres",
    "fill.offers.for": "Offres pour le créneau du {when}",
    "fill.offers.none": "Aucune offre envoyée pour l’instant.",
    "fill.offer.line": "{name} · envoyée {when} · {status}",
    "fill.offer.sent": "en attente de réponse",
    "fill.offer.taken": "l’a pris",
    "fill.offer.lost": "trop tard",
    "fill.offer.expired": "terminée",
    "fill.loading": "Chargement…",
    "fill.error": "Non fait : {message}",
    "fill.error.load": "La liste d’attente n’a pas pu être chargée : {message}",
    "messageKind.offer": "Offre de la liste d’attente",
    "messageKind.offer_taken": "Créneau déjà pris",
    "messageKind.reschedule_options": "Créneaux libres proposés"
  });
  Object.assign(I18N.es, {
    "nav.fill": "Lista de espera",
    "fill.heading": "Lista de espera y horas libres",
    "fill.waitlist": "Lista de espera",
    "fill.waitlist.empty": "Nadie está esperando.",
    "fill.waitlist.counts": "{waiting} esperando · {offered} con una oferta abierta",
    "fill.waitlist.partial": "Se muestran los primeros {shown} de la lista; las cifras de arriba solo los cuentan a ellos.",
    "fill.more": "Mostrar más",
    "fill.more.waitlist": "Mostrar más de la lista de espera",
    "fill.more.openings": "Mostrar más horas libres",
    "fill.col.who": "Quién",
    "fill.col.wants": "Quiere",
    "fill.col.since": "Desde",
    "fill.col.state": "Estado",
    "fill.col.when": "Cuándo",
    "fill.col.service": "Servicio",
    "fill.col.offers": "Ofertas enviadas",
    "fill.col.taken": "Tomada por",
    "fill.col.actions": "Acciones",
    "fill.wants.any": "Cualquier hora",
    "fill.wants.with": "con {provider}",
    "fill.wants.from": "desde {when}",
    "fill.wants.until": "hasta {when}",
    "fill.entry.waiting": "Esperando",
    "fill.entry.offered": "Oferta abierta",
    "fill.entry.offeredFor": "Oferta abierta para el {when}",
    "fill.entry.optedOut": "Dado de baja (STOP): no recibe ofertas",
    "fill.entry.filled": "Consiguió hora",
    "fill.entry.removed": "Quitado",
    "fill.conversation": "SMS",
    "fill.conversation.for": "SMS con {name}",
    "fill.remove": "Quitar",
    "fill.remove.for": "Quitar a {name} de la lista",
    "fill.removed": "{name} ya no está en la lista.",
    "fill.remove.question": "¿Quitar a {name} de la lista de espera?",
    "fill.remove.explain": "No recibirá más ofertas. Si se vuelve a añadir, queda al final de la lista.",
    "fill.remove.confirm": "Sí, quitar",
    "fill.remove.keep": "Mantener en la lista",
    "fill.add": "Añadir a la lista",
    "fill.add.name": "Nombre",
    "fill.add.phone": "Número de móvil",
    "fill.add.service": "Servicio (opcional)",
    "fill.add.provider": "Con (opcional)",
    "fill.add.submit": "Añadir",
    "fill.add.missing": "Hacen falta un nombre y un número de móvil.",
    "fill.add.badPhone": "No es un número de móvil al que podamos enviar SMS. Revíselo o escríbalo con el prefijo del país, como +34 612 34 56 78.",
    "fill.field.check": "Revise este campo: {problem}",
    "fill.added": "{name} está en la lista.",
    "fill.openings": "Horas libres",
    "fill.openings.empty": "No hay horas libres en los próximos {days} días.",
    "fill.openings.count.one": "{count} hora libre",
    "fill.openings.count.other": "{count} horas libres",
    "fill.openings.partial": "Se muestran las primeras {shown} horas libres.",
    "fill.openings.status": "Mostrar",
    "fill.openings.all": "Todas",
    "fill.opening.open": "Libre",
    "fill.opening.offered": "Ofrecida",
    "fill.opening.filled": "Tomada",
    "fill.opening.expired": "Vencida",
    "fill.opening.withdrawn": "Retirada",
    "fill.state.line": "{state} — {source}",
    "fill.source.cancellation": "de una cancelación",
    "fill.source.booking": "hora publicada",
    "fill.source.reschedule": "liberada por un cambio",
    "fill.service.any": "Cualquier servicio",
    "fill.taken": "{name}, {when}",
    "fill.taken.none": "–",
    "fill.taken.moved": "{name}, cambiada desde el {from}",
    "fill.publish": "Publicar una hora libre",
    "fill.publish.hint": "Una hora publicada se ofrece por SMS a quienes la esperan. Horas de {zone}.",
    "fill.publish.date": "Fecha",
    "fill.publish.time": "Hora",
    "fill.publish.duration": "Duración en minutos (opcional)",
    "fill.publish.service": "Servicio (opcional)",
    "fill.publish.provider": "Con (opcional)",
    "fill.publish.submit": "Publicar",
    "fill.publish.missing": "Hacen falta una fecha y una hora.",
    "fill.publish.past": "Esa hora ya pasó.",
    "fill.publish.badTime": "Esta hora no se puede ofrecer: demasiado pronto para que alguien de la lista llegue, o más lejos de lo que se ofrece a la lista de espera.",
    "fill.publish.badDuration": "Entre 5 y 1440 minutos.",
    "fill.publish.done": "La hora del {when} está publicada; la lista de espera recibe ofertas.",
    "fill.publish.again": "La hora del {when} ya estaba publicada.",
    "fill.withdraw": "Retirar",
    "fill.withdraw.for": "Retirar la hora del {when}",
    "fill.withdraw.question": "¿Retirar la hora del {when}?",
    "fill.withdraw.explain": "Las ofertas ya enviadas terminan y no sale ninguna más.",
    "fill.withdraw.keep": "Seguir ofreciendo",
    "fill.withdraw.confirm": "Sí, retirar",
    "fill.withdraw.done": "La hora del {when} está retirada; no sale ninguna oferta más.",
    "fill.withdraw.filled": "Ya tomada: cancele su cita en su lugar",
    "fill.offers.show": "Ofertas",
    "fill.offers.for": "Ofertas para la hora del {when}",
    "fill.offers.none": "Aún no se ha enviado ninguna oferta.",
    "fill.offer.line": "{name} · enviada {when} · {status}",
    "fill.offer.sent": "esperando respuesta",
    "fill.offer.taken": "la tomó",
    "fill.offer.lost": "demasiado tarde",
    "fill.offer.expired": "terminada",
    "fill.loading": "Cargando…",
    "fill.error": "No se hizo: {message}",
    "fill.error.load": "No se pudo cargar la lista de espera: {message}",
    "messageKind.offer": "Oferta de la lista de espera",
    "messageKind.offer_taken": "Hora ya tomada",
    "messageKind.reschedule_options": "Horas libres ofrecidas"
  });

  const el = (...args) => RV.el(...args);
  const $ = (id) => document.getElementById(id);
  const DAYS_AHEAD = 14; // the openings shown: yesterday's and the next two weeks'
  // One request per list a refresh; "Show more" adds a page and later refreshes keep it.
  const PAGE_LIMIT = 200;
  const OPENING_STATES = ["open", "offered", "filled", "expired", "withdrawn"];
  const ADD_FIELDS = ["fill-add-name", "fill-add-phone", "fill-add-service", "fill-add-provider"];
  const PUBLISH_FIELDS = ["fill-pub-date", "fill-pub-time", "fill-pub-duration", "fill-pub-service", "fill-pub-provider"];

  const state = {
    visible: false, entries: [], openings: [], offers: new Map(), expanded: new Set(), generation: 0, built: false,
    pages: { waitlist: 1, openings: 1 }, more: { waitlist: false, openings: false }, removing: null,
    withdrawing: null, withdrawErrors: new Map(),
  };

  // The first `pages` pages of a listing, and whether more follow.
  async function listPages(path, key, pages) {
    const out = [];
    let cursor = null;
    for (let page = 0; page < pages; page += 1) {
      const sep = path.includes("?") ? "&" : "?";
      const answer = await RV.api("GET", `${path}${sep}limit=${PAGE_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      out.push(...(answer[key] || []));
      cursor = answer.next_cursor;
      if (!cursor) break;
    }
    return { items: out, more: Boolean(cursor) };
  }

  function field(id, type, autocomplete, extra) {
    return el("p", {},
      el("label", { for: id, id: `${id}-label` }), " ",
      el("input", { id, type, autocomplete, "aria-describedby": `${id}-error`, ...(extra || {}) }),
      el("span", { id: `${id}-error`, class: "field-error" }));
  }

  function build() {
    if (state.built) return;
    state.built = true;
    const panel = $("view-fill");
    const stateSelect = el("select", { id: "fill-status" });
    panel.replaceChildren(
      el("h2", { id: "fill-heading" }),
      el("p", { id: "fill-message", class: "muted", role: "status" }),
      el("section", { class: "fill-waitlist", "aria-labelledby": "fill-waitlist-heading" },
        el("h3", { id: "fill-waitlist-heading", tabindex: "-1" }),
        el("p", { id: "fill-waitlist-count", class: "muted" }),
        el("div", { class: "table-wrap", id: "fill-waitlist-wrap" }, el("table", { id: "fill-waitlist-table" },
          el("thead", {}, el("tr", { id: "fill-waitlist-head" })),
          el("tbody", { id: "fill-waitlist-rows" }))),
        el("p", { id: "fill-waitlist-more", hidden: true },
          el("span", { id: "fill-waitlist-partial", class: "muted" }), " ",
          el("button", { type: "button", id: "fill-waitlist-more-button", class: "quiet" })),
        el("form", { id: "fill-add", class: "fill-add", novalidate: true, "aria-labelledby": "fill-add-heading" },
          el("h4", { id: "fill-add-heading" }),
          field("fill-add-name", "text", "name"), field("fill-add-phone", "tel", "tel"),
          field("fill-add-service", "text", "off"), field("fill-add-provider", "text", "off"),
          el("p", { id: "fill-add-error", class: "error-text", role: "alert" }),
          el("button", { type: "submit", id: "fill-add-submit" }))),
      el("section", { class: "fill-openings", "aria-labelledby": "fill-openings-heading" },
        el("h3", { id: "fill-openings-heading", tabindex: "-1" }),
        el("p", {}, el("label", { for: "fill-status", id: "fill-status-label" }), " ", stateSelect),
        el("p", { id: "fill-openings-count", class: "muted" }),
        el("div", { class: "table-wrap", id: "fill-openings-wrap" }, el("table", { id: "fill-openings-table" },
          el("thead", {}, el("tr", { id: "fill-openings-head" })),
          el("tbody", { id: "fill-openings-rows" }))),
        el("p", { id: "fill-openings-more", hidden: true },
          el("span", { id: "fill-openings-partial", class: "muted" }), " ",
          el("button", { type: "button", id: "fill-openings-more-button", class: "quiet" })),
        el("form", { id: "fill-publish", class: "fill-add", novalidate: true, "aria-labelledby": "fill-publish-heading" },
          el("h4", { id: "fill-publish-heading" }),
          el("p", { id: "fill-publish-hint", class: "muted small" }),
          field("fill-pub-date", "date", "off"), field("fill-pub-time", "time", "off"),
          field("fill-pub-duration", "number", "off", { min: "5", max: "1440", step: "5", inputmode: "numeric" }),
          field("fill-pub-service", "text", "off"), field("fill-pub-provider", "text", "off"),
          el("p", { id: "fill-publish-error", class: "error-text", role: "alert" }),
          el("button", { type: "submit", id: "fill-publish-submit" }))),
      el("dialog", { id: "fill-remove-dialog", "aria-labelledby": "fill-remove-question", "aria-describedby": "fill-remove-explain" },
        el("form", { id: "fill-remove-form", method: "dialog", novalidate: true },
          el("h2", { id: "fill-remove-question" }),
          el("p", { id: "fill-remove-explain" }),
          el("p", { id: "fill-remove-error", class: "field-error", role: "alert" }),
          el("div", { class: "dialog-actions" },
            el("button", { type: "button", id: "fill-remove-keep" }),
            el("button", { type: "submit", id: "fill-remove-confirm", class: "primary" })))),
      el("dialog", { id: "fill-withdraw-dialog", "aria-labelledby": "fill-withdraw-question", "aria-describedby": "fill-withdraw-explain" },
        el("form", { id: "fill-withdraw-form", method: "dialog", novalidate: true },
          el("h2", { id: "fill-withdraw-question" }),
          el("p", { id: "fill-withdraw-explain" }),
          el("div", { class: "dialog-actions" },
            el("button", { type: "button", id: "fill-withdraw-keep" }),
            el("button", { type: "submit", id: "fill-withdraw-confirm", class: "primary" })))));
    stateSelect.addEventListener("change", () => { state.pages.openings = 1; quietly(loadOpenings()); });
    $("fill-add").addEventListener("submit", addEntry);
    $("fill-publish").addEventListener("submit", publishOpening);
    $("fill-waitlist-rows").addEventListener("click", (event) => {
      const texts = event.target.closest("button[data-conversation]");
      if (texts) RV.openConversation(texts.dataset.conversation);
      const button = event.target.closest("button[data-entry]");
      if (button) askRemove(button.dataset.entry);
    });
    $("fill-openings-rows").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-opening]");
      if (button) toggleOffers(button.dataset.opening);
      const withdraw = event.target.closest("button[data-withdraw]");
      if (withdraw) askWithdraw(withdraw.dataset.withdraw);
    });
    // One more page; the focus stays on the button, or goes to the list's heading once
    // everything is shown and the button goes away.
    const showMore = (list, loader) => () => {
      state.pages[list] += 1;
      quietly(loader().then(() => {
        if (!state.more[list]) $(`fill-${list}-heading`).focus();
      }));
    };
    $("fill-waitlist-more-button").addEventListener("click", showMore("waitlist", loadWaitlist));
    $("fill-openings-more-button").addEventListener("click", showMore("openings", loadOpenings));
    $("fill-remove-form").addEventListener("submit", confirmRemove);
    $("fill-remove-keep").addEventListener("click", () => $("fill-remove-dialog").close());
    $("fill-remove-dialog").addEventListener("close", removeClosed);
    $("fill-withdraw-form").addEventListener("submit", confirmWithdraw);
    $("fill-withdraw-keep").addEventListener("click", () => $("fill-withdraw-dialog").close());
    $("fill-withdraw-dialog").addEventListener("close", withdrawClosed);
    translateStatic();
  }

  function translateStatic() {
    if (!state.built) return;
    const text = (id, key, params) => { $(id).textContent = t(key, params); };
    text("fill-heading", "fill.heading");
    text("fill-waitlist-heading", "fill.waitlist");
    text("fill-openings-heading", "fill.openings");
    text("fill-add-heading", "fill.add");
    text("fill-add-name-label", "fill.add.name");
    text("fill-add-phone-label", "fill.add.phone");
    text("fill-add-service-label", "fill.add.service");
    text("fill-add-provider-label", "fill.add.provider");
    text("fill-add-submit", "fill.add.submit");
    text("fill-status-label", "fill.openings.status");
    text("fill-waitlist-more-button", "fill.more");
    text("fill-openings-more-button", "fill.more");
    $("fill-waitlist-more-button").setAttribute("aria-label", t("fill.more.waitlist"));
    $("fill-openings-more-button").setAttribute("aria-label", t("fill.more.openings"));
    text("fill-publish-heading", "fill.publish");
    text("fill-publish-hint", "fill.publish.hint", { zone: RV.wall.zone() });
    text("fill-pub-date-label", "fill.publish.date");
    text("fill-pub-time-label", "fill.publish.time");
    text("fill-pub-duration-label", "fill.publish.duration");
    text("fill-pub-service-label", "fill.publish.service");
    text("fill-pub-provider-label", "fill.publish.provider");
    text("fill-publish-submit", "fill.publish.submit");
    text("fill-remove-keep", "fill.remove.keep");
    text("fill-remove-confirm", "fill.remove.confirm");
    text("fill-remove-explain", "fill.remove.explain");
    if (state.removing) text("fill-remove-question", "fill.remove.question", { name: state.removing.name });
    text("fill-withdraw-keep", "fill.withdraw.keep");
    text("fill-withdraw-confirm", "fill.withdraw.confirm");
    text("fill-withdraw-explain", "fill.withdraw.explain");
    if (state.withdrawing) text("fill-withdraw-question", "fill.withdraw.question", { when: RV.fmt.when(state.withdrawing.startsAt) });
    const select = $("fill-status");
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "" }, t("fill.openings.all")),
      ...OPENING_STATES.map((s) => el("option", { value: s }, t(`fill.opening.${s}`))));
    select.value = chosen;
    const heads = (id, keys) => $(id).replaceChildren(...keys.map((k) => el("th", { scope: "col" }, t(k))));
    heads("fill-waitlist-head", ["fill.col.who", "fill.col.wants", "fill.col.since", "fill.col.state", "fill.col.actions"]);
    heads("fill-openings-head", ["fill.col.when", "fill.col.service", "fill.col.state", "fill.col.offers", "fill.col.taken", "fill.col.actions"]);
  }

  function say(text) {
    $("fill-message").textContent = text;
  }

  function quietly(promise) {
    const generation = state.generation;
    return promise.catch((error) => {
      if (generation === state.generation) say(t("fill.error.load", { message: error.message || String(error) }));
    });
  }

  // A 422's problems next to their fields, in the console's words where we have them; the
  // first one focused. Anything not about a field goes under the form.
  function fieldErrors(error, formError, toField) {
    let first = null;
    for (const { field: path, problem } of (error && error.details) || []) {
      const [id, words] = toField(String(path || ""), String(problem || ""));
      const target = id && $(`${id}-error`);
      if (!target) continue;
      target.textContent = words;
      $(id).setAttribute("aria-invalid", "true");
      first = first || $(id);
    }
    if (first) {
      first.focus();
    } else {
      $(formError).textContent = t("fill.error", { message: (error && error.message) || String(error) });
    }
  }

  function clearErrors(ids, formError) {
    for (const id of ids) {
      $(`${id}-error`).textContent = "";
      $(id).removeAttribute("aria-invalid");
    }
    $(formError).textContent = "";
  }

  // ---- the waitlist --------------------------------------------------------------------------
  async function loadWaitlist() {
    const generation = state.generation;
    const { items, more } = await listPages("/v1/waitlist", "entries", state.pages.waitlist);
    if (generation !== state.generation) return;
    // Still on the list first, in the order they were listed; history after.
    const live = (e) => (e.status === "waiting" || e.status === "offered" ? 0 : 1);
    state.entries = items.filter((e) => e.status !== "removed")
      .sort((a, b) => live(a) - live(b) || String(a.listed_at).localeCompare(String(b.listed_at)));
    state.more.waitlist = more;
    renderWaitlist();
  }

  function wants(entry) {
    const parts = [entry.service || t("fill.wants.any")];
    if (entry.provider) parts.push(t("fill.wants.with", { provider: entry.provider }));
    if (entry.earliest) parts.push(t("fill.wants.from", { when: RV.fmt.when(entry.earliest) }));
    if (entry.latest) parts.push(t("fill.wants.until", { when: RV.fmt.when(entry.latest) }));
    return parts.join(" ");
  }

  function entryState(entry) {
    if (entry.status === "offered" && entry.offered_starts_at) {
      return t("fill.entry.offeredFor", { when: RV.fmt.when(entry.offered_starts_at) });
    }
    return t(`fill.entry.${entry.status}`);
  }

  function nameOf(entry) {
    return (entry.customer && (entry.customer.name || entry.customer.phone)) || entry.entry_id;
  }

  function renderWaitlist() {
    const count = (status) => state.entries.filter((e) => e.status === status).length;
    const counts = t("fill.waitlist.counts", { waiting: count("waiting"), offered: count("offered") });
    $("fill-waitlist-count").textContent = state.entries.length ? counts : t("fill.waitlist.empty");
    // An empty table is only its headers (and a scroll box nothing in can be focused).
    $("fill-waitlist-wrap").hidden = !state.entries.length;
    $("fill-waitlist-more").hidden = !state.more.waitlist;
    $("fill-waitlist-partial").textContent = t("fill.waitlist.partial", { shown: state.entries.length });
    $("fill-waitlist-rows").replaceChildren(...state.entries.map((entry) => {
      const name = (entry.customer && entry.customer.name) || "";
      const phone = (entry.customer && entry.customer.phone) || "";
      const removable = entry.status === "waiting" || entry.status === "offered";
      return el("tr", { "data-entry-row": entry.entry_id },
        el("td", {}, name, el("br"), el("span", { class: "muted small" }, phone),
          entry.opted_out ? el("br") : null,
          entry.opted_out ? el("span", { class: "badge badge-flag", "data-opted-out": "" }, t("fill.entry.optedOut")) : null),
        el("td", {}, wants(entry)),
        el("td", {}, el("time", { dateTime: entry.listed_at }, RV.fmt.when(entry.listed_at))),
        el("td", { "data-state": entry.status }, entryState(entry)),
        // The number's texts (its offers and "just taken" too) are one click away.
        el("td", { class: "fill-actions" },
          phone ? el("button", { type: "button", class: "quiet", "data-conversation": phone,
            "aria-label": t("fill.conversation.for", { name: name || phone }) }, t("fill.conversation")) : null,
          removable ? el("button", { type: "button", class: "quiet", "data-entry": entry.entry_id,
            "aria-label": t("fill.remove.for", { name: name || phone }) }, t("fill.remove")) : null));
    }));
  }

  function newEntryId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return `wl-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  // The API's field names and problems, as the add form says them.
  function addField(path, problem) {
    if (path === "customer.phone") return ["fill-add-phone", t("fill.add.badPhone")];
    const id = { "customer.name": "fill-add-name", service: "fill-add-service", provider: "fill-add-provider" }[path];
    return [id, t("fill.field.check", { problem })];
  }

  async function addEntry(event) {
    event.preventDefault();
    const value = (id) => $(id).value.trim();
    const name = value("fill-add-name");
    const phone = value("fill-add-phone");
    clearErrors(ADD_FIELDS, "fill-add-error");
    if (!name || !phone) {
      $("fill-add-error").textContent = t("fill.add.missing");
      $(name ? "fill-add-phone" : "fill-add-name").focus();
      return;
    }
    const body = { customer: { name, phone } };
    if (value("fill-add-service")) body.service = value("fill-add-service");
    if (value("fill-add-provider")) body.provider = value("fill-add-provider");
    $("fill-add-submit").disabled = true;
    try {
      await RV.api("PUT", `/v1/waitlist/${newEntryId()}`, body);
      for (const id of ADD_FIELDS) $(id).value = "";
      RV.announce(t("fill.added", { name }));
      say(t("fill.added", { name }));
      await loadWaitlist();
    } catch (error) {
      fieldErrors(error, "fill-add-error", addField);
    } finally {
      $("fill-add-submit").disabled = false;
    }
  }

  // Remove asks first, as the day view's cancel does; the focus returns to the row's button.
  function askRemove(entryId) {
    const entry = state.entries.find((e) => e.entry_id === entryId);
    if (!entry) return;
    state.removing = { entryId, name: nameOf(entry), done: false };
    $("fill-remove-question").textContent = t("fill.remove.question", { name: state.removing.name });
    $("fill-remove-error").textContent = "";
    $("fill-remove-dialog").showModal();
    $("fill-remove-keep").focus();
  }

  async function confirmRemove(event) {
    event.preventDefault();
    const removing = state.removing;
    if (!removing) return;
    $("fill-remove-confirm").disabled = true;
    try {
      await RV.api("DELETE", `/v1/waitlist/${encodeURIComponent(removing.entryId)}`);
      removing.done = true;
      $("fill-remove-dialog").close();
      RV.announce(t("fill.removed", { name: removing.name }));
      say(t("fill.removed", { name: removing.name }));
      await loadWaitlist();
    } catch (error) {
      $("fill-remove-error").textContent = t("fill.error", { message: error.message || String(error) });
    } finally {
      $("fill-remove-confirm").disabled = false;
    }
  }

  function removeClosed() {
    const removing = state.removing;
    state.removing = null;
    if (!removing || !state.visible) return;
    const button = $("fill-waitlist-rows").querySelector(`button[data-entry="${CSS.escape(removing.entryId)}"]`);
    if (button && !removing.done) button.focus();
    else $("fill-waitlist-heading").focus();
  }

  // ---- the openings --------------------------------------------------------------------------
  async function loadOpenings() {
    const generation = state.generation;
    const from = new Date(RV.now() - 24 * 3600 * 1000);
    const to = new Date(RV.now() + DAYS_AHEAD * 24 * 3600 * 1000);
    const status = $("fill-status").value;
    const query = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}${status ? `&status=${status}` : ""}`;
    const { items, more } = await listPages(`/v1/openings?${query}`, "openings", state.pages.openings);
    if (generation !== state.generation) return;
    state.openings = items.sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
    state.more.openings = more;
    // Only the offers someone opened are read again; who took a slot comes with the list.
    await Promise.all(state.openings.filter((o) => state.expanded.has(o.opening_id)).map((o) => loadOffers(o.opening_id)));
    if (generation !== state.generation) return;
    renderOpenings();
  }

  async function loadOffers(openingId) {
    const detail = await RV.api("GET", `/v1/openings/${encodeURIComponent(openingId)}`);
    state.offers.set(openingId, detail.offers || []);
  }

  function takenBy(opening) {
    const taker = opening.taken_by;
    if (opening.status !== "filled" || !taker) return t("fill.taken.none");
    const name = taker.name || taker.phone;
    if (taker.moved_from) return t("fill.taken.moved", { name, from: RV.fmt.when(taker.moved_from) });
    return t("fill.taken", { name, when: opening.filled_at ? RV.fmt.when(opening.filled_at) : "" });
  }

  function offersList(opening) {
    const offers = state.offers.get(opening.opening_id) || [];
    if (!offers.length) return el("p", { class: "muted" }, t("fill.offers.none"));
    return el("ul", { class: "fill-offers", "aria-label": t("fill.offers.for", { when: RV.fmt.when(opening.starts_at) }) },
      ...offers.map((o) => el("li", { "data-offer": o.entry_id }, t("fill.offer.line", {
        name: o.name || o.phone || o.entry_id, when: RV.fmt.when(o.sent_at), status: t(`fill.offer.${o.status}`),
      }))));
  }

  function renderOpenings() {
    $("fill-openings-count").textContent = state.openings.length
      ? tn("fill.openings.count", state.openings.length) : t("fill.openings.empty", { days: DAYS_AHEAD });
    $("fill-openings-wrap").hidden = !state.openings.length;
    $("fill-openings-more").hidden = !state.more.openings;
    $("fill-openings-partial").textContent = t("fill.openings.partial", { shown: state.openings.length });
    const rows = [];
    for (const opening of state.openings) {
      const open = state.expanded.has(opening.opening_id);
      const when = RV.fmt.when(opening.starts_at);
      rows.push(el("tr", { "data-opening-row": opening.opening_id, class: `opening-${opening.status}` },
        el("td", {}, el("time", { dateTime: opening.starts_at }, when)),
        el("td", {}, opening.service || t("fill.service.any"), opening.provider ? ` · ${opening.provider}` : ""),
        el("td", { "data-state": opening.status }, t("fill.state.line", {
          state: t(`fill.opening.${opening.status}`), source: t(`fill.source.${opening.source}`),
        })),
        el("td", {}, String(opening.offered_to ?? 0)),
        el("td", { "data-taken": "" }, takenBy(opening)),
        el("td", {}, el("button", { type: "button", class: "quiet", "data-opening": opening.opening_id,
          "aria-expanded": open ? "true" : "false", "aria-label": t("fill.offers.for", { when }) }, t("fill.offers.show")),
        ...withdrawControls(opening, when))));
      if (open) rows.push(el("tr", { class: "fill-offers-row" }, el("td", { colSpan: 6 }, offersList(opening))));
    }
    $("fill-openings-rows").replaceChildren(...rows);
  }

  // Only a slot still being offered can be withdrawn; its error (a 409 once someone took it
  // meanwhile) stays next to its button, which names it, until the next try.
  function withdrawControls(opening, when) {
    if (opening.status !== "open" && opening.status !== "offered") return [];
    const errorId = `fill-withdraw-error-${opening.opening_id}`;
    return [" ", el("button", { type: "button", class: "quiet", "data-withdraw": opening.opening_id,
      "aria-label": t("fill.withdraw.for", { when }), "aria-describedby": errorId }, t("fill.withdraw")),
    el("span", { id: errorId, class: "field-error" }, state.withdrawErrors.get(opening.opening_id) || "")];
  }

  // Withdraw asks first, as Remove does; the focus returns to the row's button, or to the
  // openings' heading once the row has no button any more.
  function askWithdraw(openingId) {
    const opening = state.openings.find((o) => o.opening_id === openingId);
    if (!opening) return;
    state.withdrawing = { openingId, startsAt: opening.starts_at };
    $("fill-withdraw-question").textContent = t("fill.withdraw.question", { when: RV.fmt.when(opening.starts_at) });
    $("fill-withdraw-dialog").showModal();
    $("fill-withdraw-keep").focus();
  }

  async function confirmWithdraw(event) {
    event.preventDefault();
    const withdrawing = state.withdrawing;
    if (!withdrawing) return;
    $("fill-withdraw-confirm").disabled = true;
    state.withdrawErrors.delete(withdrawing.openingId);
    try {
      const opening = await RV.api("DELETE", `/v1/openings/${encodeURIComponent(withdrawing.openingId)}`);
      state.openings = state.openings.map((o) => (o.opening_id === opening.opening_id ? opening : o));
      const words = t("fill.withdraw.done", { when: RV.fmt.when(opening.starts_at) });
      RV.announce(words);
      say(words);
    } catch (error) {
      state.withdrawErrors.set(withdrawing.openingId, error.status === 409
        ? t("fill.withdraw.filled") : t("fill.error", { message: error.message || String(error) }));
    } finally {
      $("fill-withdraw-confirm").disabled = false;
    }
    renderOpenings();
    $("fill-withdraw-dialog").close();
  }

  function withdrawClosed() {
    const withdrawing = state.withdrawing;
    state.withdrawing = null;
    if (!withdrawing || !state.visible) return;
    const button = $("fill-openings-rows").querySelector(`button[data-withdraw="${CSS.escape(withdrawing.openingId)}"]`);
    if (button) button.focus();
    else $("fill-openings-heading").focus();
  }

  async function toggleOffers(openingId) {
    if (state.expanded.has(openingId)) {
      state.expanded.delete(openingId);
    } else {
      state.expanded.add(openingId);
      try {
        await loadOffers(openingId);
      } catch (error) {
        RV.error(t("fill.error", { message: error.message || String(error) }));
      }
    }
    renderOpenings();
    const button = document.querySelector(`button[data-opening="${CSS.escape(openingId)}"]`);
    if (button) button.focus();
  }

  // The API's field names and problems, as the publish form says them.
  function publishField(path, problem) {
    if (path === "starts_at") return ["fill-pub-date", t("fill.publish.badTime")];
    if (path === "duration_minutes") return ["fill-pub-duration", t("fill.publish.badDuration")];
    const id = { service: "fill-pub-service", provider: "fill-pub-provider" }[path];
    return [id, t("fill.field.check", { problem })];
  }

  async function publishOpening(event) {
    event.preventDefault();
    const value = (id) => $(id).value.trim();
    clearErrors(PUBLISH_FIELDS, "fill-publish-error");
    const day = value("fill-pub-date");
    const hhmm = value("fill-pub-time");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !/^\d{2}:\d{2}/.test(hhmm)) {
      $("fill-publish-error").textContent = t("fill.publish.missing");
      $(day ? "fill-pub-time" : "fill-pub-date").focus();
      return;
    }
    const tz = RV.wall.zone();
    const at = RV.wall.toMs(day, hhmm.slice(0, 5), tz);
    if (at <= RV.now()) {
      $("fill-pub-date-error").textContent = t("fill.publish.past");
      $("fill-pub-date").setAttribute("aria-invalid", "true");
      $("fill-pub-date").focus();
      return;
    }
    const body = { starts_at: RV.wall.isoWithOffset(at, tz) };
    if (value("fill-pub-duration")) {
      const minutes = Number(value("fill-pub-duration"));
      if (!Number.isInteger(minutes) || minutes < 5 || minutes > 1440) {
        fieldErrors({ details: [{ field: "duration_minutes", problem: "" }] }, "fill-publish-error", publishField);
        return;
      }
      body.duration_minutes = minutes;
    }
    if (value("fill-pub-service")) body.service = value("fill-pub-service");
    if (value("fill-pub-provider")) body.provider = value("fill-pub-provider");
    $("fill-publish-submit").disabled = true;
    try {
      const opening = await RV.api("POST", "/v1/openings", body);
      const known = state.openings.some((o) => o.opening_id === opening.opening_id);
      for (const id of PUBLISH_FIELDS) $(id).value = "";
      const words = t(known ? "fill.publish.again" : "fill.publish.done", { when: RV.fmt.when(opening.starts_at) });
      RV.announce(words);
      say(words);
      await loadOpenings();
    } catch (error) {
      fieldErrors(error, "fill-publish-error", publishField);
    } finally {
      $("fill-publish-submit").disabled = false;
    }
  }

  // ---- the view ------------------------------------------------------------------------------
  function load() {
    if (!state.visible) return Promise.resolve();
    say(t("fill.loading"));
    return Promise.all([loadWaitlist(), loadOpenings()]).then(() => say(""));
  }

  function show() {
    build();
    state.visible = true;
    $("view-fill").hidden = false;
    quietly(load());
  }

  function hide() {
    state.visible = false;
    $("view-fill").hidden = true;
    if (state.built && $("fill-remove-dialog").open) $("fill-remove-dialog").close();
    if (state.built && $("fill-withdraw-dialog").open) $("fill-withdraw-dialog").close();
  }

  function reset() {
    state.generation += 1;
    Object.assign(state, { entries: [], openings: [], pages: { waitlist: 1, openings: 1 }, more: { waitlist: false, openings: false } });
    state.offers.clear();
    state.expanded.clear();
    state.withdrawErrors.clear();
    if (state.built) {
      $("fill-waitlist-rows").replaceChildren();
      $("fill-openings-rows").replaceChildren();
      say("");
    }
  }

  function relabel() {
    translateStatic();
    if (state.built && state.visible) {
      renderWaitlist();
      renderOpenings();
    }
  }

  // The shell's scheduler calls refresh() every 60 s while this view is on screen.
  RV.registerView("fill", { label: "nav.fill", roles: ["manager", "staff"], show, hide, refresh: () => load() });
  RV.onSignedIn(() => { reset(); });
  RV.onSignedOut(() => { reset(); if (state.built) hide(); });
  RV.onLocale(relabel);
})();
