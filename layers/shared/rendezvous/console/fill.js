// The fill view: who waits for a slot (the waitlist: add and remove people), and the slots
// free to offer (openings: when, what, their state, the offers sent and who took it). Reads
// and writes the same waitlist and openings API a booking system uses.
(() => {
  Object.assign(I18N.en, {
    "nav.fill": "Waitlist",
    "fill.heading": "Waitlist and openings",
    "fill.waitlist": "Waiting list",
    "fill.waitlist.empty": "Nobody is waiting.",
    "fill.waitlist.count": "{count} waiting",
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
    "fill.entry.filled": "Got a slot",
    "fill.entry.removed": "Removed",
    "fill.remove": "Remove",
    "fill.remove.for": "Remove {name} from the list",
    "fill.removed": "{name} is off the list.",
    "fill.add": "Add to the list",
    "fill.add.name": "Name",
    "fill.add.phone": "Mobile number",
    "fill.add.service": "Service (optional)",
    "fill.add.provider": "With (optional)",
    "fill.add.submit": "Add",
    "fill.add.missing": "A name and a mobile number are needed.",
    "fill.added": "{name} is on the list.",
    "fill.openings": "Openings",
    "fill.openings.empty": "No openings in the next {days} days.",
    "fill.openings.count.one": "{count} opening",
    "fill.openings.count.other": "{count} openings",
    "fill.openings.status": "Show",
    "fill.openings.all": "All",
    "fill.opening.open": "Open",
    "fill.opening.offered": "Offered",
    "fill.opening.filled": "Filled",
    "fill.opening.expired": "Expired",
    "fill.opening.withdrawn": "Withdrawn",
    "fill.source.cancellation": "cancelled",
    "fill.source.booking": "published",
    "fill.source.reschedule": "moved away",
    "fill.service.any": "Any service",
    "fill.taken": "{name}, {when}",
    "fill.taken.none": "–",
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
    "fill.error.load": "The waitlist could not be loaded: {message}"
  });
  Object.assign(I18N.fr, {
    "nav.fill": "Liste d’attente",
    "fill.heading": "Liste d’attente et créneaux libres",
    "fill.waitlist": "Liste d’attente",
    "fill.waitlist.empty": "Personne n’attend.",
    "fill.waitlist.count": "{count} en attente",
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
    "fill.entry.filled": "A eu un créneau",
    "fill.entry.removed": "Retiré",
    "fill.remove": "Retirer",
    "fill.remove.for": "Retirer {name} de la liste",
    "fill.removed": "{name} n’est plus sur la liste.",
    "fill.add": "Ajouter à la liste",
    "fill.add.name": "Nom",
    "fill.add.phone": "Numéro de portable",
    "fill.add.service": "Prestation (facultatif)",
    "fill.add.provider": "Avec (facultatif)",
    "fill.add.submit": "Ajouter",
    "fill.add.missing": "Il faut un nom et un numéro de portable.",
    "fill.added": "{name} est sur la liste.",
    "fill.openings": "Créneaux libres",
    "fill.openings.empty": "Aucun créneau libre dans les {days} prochains jours.",
    "fill.openings.count.one": "{count} créneau",
    "fill.openings.count.other": "{count} créneaux",
    "fill.openings.status": "Afficher",
    "fill.openings.all": "Tous",
    "fill.opening.open": "Libre",
    "fill.opening.offered": "Proposé",
    "fill.opening.filled": "Pris",
    "fill.opening.expired": "Expiré",
    "fill.opening.withdrawn": "Retiré",
    "fill.source.cancellation": "annulé",
    "fill.source.booking": "publié",
    "fill.source.reschedule": "déplacé",
    "fill.service.any": "Toute prestation",
    "fill.taken": "{name}, {when}",
    "fill.taken.none": "–",
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
    "fill.error.load": "La liste d’attente n’a pas pu être chargée : {message}"
  });
  Object.assign(I18N.es, {
    "nav.fill": "Lista de espera",
    "fill.heading": "Lista de espera y horas libres",
    "fill.waitlist": "Lista de espera",
    "fill.waitlist.empty": "Nadie está esperando.",
    "fill.waitlist.count": "{count} esperando",
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
    "fill.entry.filled": "Consiguió hora",
    "fill.entry.removed": "Quitado",
    "fill.remove": "Quitar",
    "fill.remove.for": "Quitar a {name} de la lista",
    "fill.removed": "{name} ya no está en la lista.",
    "fill.add": "Añadir a la lista",
    "fill.add.name": "Nombre",
    "fill.add.phone": "Número de móvil",
    "fill.add.service": "Servicio (opcional)",
    "fill.add.provider": "Con (opcional)",
    "fill.add.submit": "Añadir",
    "fill.add.missing": "Hacen falta un nombre y un número de móvil.",
    "fill.added": "{name} está en la lista.",
    "fill.openings": "Horas libres",
    "fill.openings.empty": "No hay horas libres en los próximos {days} días.",
    "fill.openings.count.one": "{count} hora libre",
    "fill.openings.count.other": "{count} horas libres",
    "fill.openings.status": "Mostrar",
    "fill.openings.all": "Todas",
    "fill.opening.open": "Libre",
    "fill.opening.offered": "Ofrecida",
    "fill.opening.filled": "Tomada",
    "fill.opening.expired": "Vencida",
    "fill.opening.withdrawn": "Retirada",
    "fill.source.cancellation": "cancelada",
    "fill.source.booking": "publicada",
    "fill.source.reschedule": "cambiada",
    "fill.service.any": "Cualquier servicio",
    "fill.taken": "{name}, {when}",
    "fill.taken.none": "–",
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
    "fill.error.load": "No se pudo cargar la lista de espera: {message}"
  });

  const el = (...args) => RV.el(...args);
  const $ = (id) => document.getElementById(id);
  const DAYS_AHEAD = 14; // the openings shown: yesterday's and the next two weeks'
  const PAGE_LIMIT = 100;
  const MAX_PAGES = 5;
  const OPENING_STATES = ["open", "offered", "filled", "expired", "withdrawn"];

  const state = { visible: false, entries: [], openings: [], offers: new Map(), expanded: new Set(), generation: 0, built: false };

  // Every page of a listing (up to MAX_PAGES), whatever the list's name in the answer.
  async function listAll(path, key) {
    const out = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const sep = path.includes("?") ? "&" : "?";
      const answer = await RV.api("GET", `${path}${sep}limit=${PAGE_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      out.push(...(answer[key] || []));
      cursor = answer.next_cursor;
      if (!cursor) break;
    }
    return out;
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
        el("h3", { id: "fill-waitlist-heading" }),
        el("p", { id: "fill-waitlist-count", class: "muted" }),
        el("div", { class: "table-wrap" }, el("table", { id: "fill-waitlist-table" },
          el("thead", {}, el("tr", { id: "fill-waitlist-head" })),
          el("tbody", { id: "fill-waitlist-rows" }))),
        el("form", { id: "fill-add", class: "fill-add", novalidate: true },
          el("h4", { id: "fill-add-heading" }),
          ...[["fill-add-name", "text", "name"], ["fill-add-phone", "tel", "tel"], ["fill-add-service", "text", "off"],
            ["fill-add-provider", "text", "off"]].map(([id, type, autocomplete]) => el("p", {},
            el("label", { for: id, id: `${id}-label` }), " ", el("input", { id, type, autocomplete }))),
          el("p", { id: "fill-add-error", class: "error-text", role: "alert" }),
          el("button", { type: "submit", id: "fill-add-submit" }))),
      el("section", { class: "fill-openings", "aria-labelledby": "fill-openings-heading" },
        el("h3", { id: "fill-openings-heading" }),
        el("p", {}, el("label", { for: "fill-status", id: "fill-status-label" }), " ", stateSelect),
        el("p", { id: "fill-openings-count", class: "muted" }),
        el("div", { class: "table-wrap" }, el("table", { id: "fill-openings-table" },
          el("thead", {}, el("tr", { id: "fill-openings-head" })),
          el("tbody", { id: "fill-openings-rows" })))));
    stateSelect.addEventListener("change", () => { quietly(loadOpenings()); });
    $("fill-add").addEventListener("submit", addEntry);
    $("fill-waitlist-rows").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-entry]");
      if (button) removeEntry(button.dataset.entry);
    });
    $("fill-openings-rows").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-opening]");
      if (button) toggleOffers(button.dataset.opening);
    });
    translateStatic();
  }

  function translateStatic() {
    if (!state.built) return;
    $("fill-heading").textContent = t("fill.heading");
    $("fill-waitlist-heading").textContent = t("fill.waitlist");
    $("fill-openings-heading").textContent = t("fill.openings");
    $("fill-add-heading").textContent = t("fill.add");
    $("fill-add-name-label").textContent = t("fill.add.name");
    $("fill-add-phone-label").textContent = t("fill.add.phone");
    $("fill-add-service-label").textContent = t("fill.add.service");
    $("fill-add-provider-label").textContent = t("fill.add.provider");
    $("fill-add-submit").textContent = t("fill.add.submit");
    $("fill-status-label").textContent = t("fill.openings.status");
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

  // ---- the waitlist --------------------------------------------------------------------------
  async function loadWaitlist() {
    const generation = state.generation;
    const entries = await listAll("/v1/waitlist", "entries");
    if (generation !== state.generation) return;
    // Still on the list first, in the order they were listed; history after.
    const live = (e) => (e.status === "waiting" || e.status === "offered" ? 0 : 1);
    state.entries = entries.filter((e) => e.status !== "removed")
      .sort((a, b) => live(a) - live(b) || String(a.listed_at).localeCompare(String(b.listed_at)));
    renderWaitlist();
  }

  function wants(entry) {
    const parts = [entry.service || t("fill.wants.any")];
    if (entry.provider) parts.push(t("fill.wants.with", { provider: entry.provider }));
    if (entry.earliest) parts.push(t("fill.wants.from", { when: RV.fmt.when(entry.earliest) }));
    if (entry.latest) parts.push(t("fill.wants.until", { when: RV.fmt.when(entry.latest) }));
    return parts.join(" ");
  }

  function renderWaitlist() {
    const waiting = state.entries.filter((e) => e.status === "waiting" || e.status === "offered").length;
    $("fill-waitlist-count").textContent = state.entries.length
      ? t("fill.waitlist.count", { count: waiting }) : t("fill.waitlist.empty");
    $("fill-waitlist-rows").replaceChildren(...state.entries.map((entry) => {
      const name = (entry.customer && entry.customer.name) || "";
      const phone = (entry.customer && entry.customer.phone) || "";
      const removable = entry.status === "waiting" || entry.status === "offered";
      return el("tr", { "data-entry-row": entry.entry_id },
        el("td", {}, name, el("br"), el("span", { class: "muted small" }, phone)),
        el("td", {}, wants(entry)),
        el("td", {}, el("time", { dateTime: entry.listed_at }, RV.fmt.when(entry.listed_at))),
        el("td", {}, t(`fill.entry.${entry.status}`)),
        el("td", {}, removable ? el("button", { type: "button", class: "quiet", "data-entry": entry.entry_id,
          "aria-label": t("fill.remove.for", { name: name || phone }) }, t("fill.remove")) : null));
    }));
  }

  function newEntryId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return `wl-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  async function addEntry(event) {
    event.preventDefault();
    const value = (id) => $(id).value.trim();
    const name = value("fill-add-name");
    const phone = value("fill-add-phone");
    $("fill-add-error").textContent = "";
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
      for (const id of ["fill-add-name", "fill-add-phone", "fill-add-service", "fill-add-provider"]) $(id).value = "";
      RV.announce(t("fill.added", { name }));
      say(t("fill.added", { name }));
      await loadWaitlist();
    } catch (error) {
      $("fill-add-error").textContent = t("fill.error", { message: error.message || String(error) });
    } finally {
      $("fill-add-submit").disabled = false;
    }
  }

  async function removeEntry(entryId) {
    const entry = state.entries.find((e) => e.entry_id === entryId);
    const name = entry ? (entry.customer.name || entry.customer.phone) : entryId;
    try {
      await RV.api("DELETE", `/v1/waitlist/${encodeURIComponent(entryId)}`);
      RV.announce(t("fill.removed", { name }));
      say(t("fill.removed", { name }));
      await loadWaitlist();
      $("fill-add-name").focus();
    } catch (error) {
      RV.error(t("fill.error", { message: error.message || String(error) }));
    }
  }

  // ---- the openings --------------------------------------------------------------------------
  async function loadOpenings() {
    const generation = state.generation;
    const from = new Date(RV.now() - 24 * 3600 * 1000);
    const to = new Date(RV.now() + DAYS_AHEAD * 24 * 3600 * 1000);
    const status = $("fill-status").value;
    const query = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}${status ? `&status=${status}` : ""}`;
    const openings = await listAll(`/v1/openings?${query}`, "openings");
    if (generation !== state.generation) return;
    state.openings = openings.sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
    // Who took a slot: the winner's name is in the opening's offers.
    await Promise.all(state.openings.filter((o) => o.status === "filled" || state.expanded.has(o.opening_id))
      .map((o) => loadOffers(o.opening_id)));
    if (generation !== state.generation) return;
    renderOpenings();
  }

  async function loadOffers(openingId) {
    const detail = await RV.api("GET", `/v1/openings/${encodeURIComponent(openingId)}`);
    state.offers.set(openingId, detail.offers || []);
  }

  function takenBy(opening) {
    if (opening.status !== "filled") return t("fill.taken.none");
    const offers = state.offers.get(opening.opening_id) || [];
    const winner = offers.find((o) => o.status === "taken");
    const who = winner ? winner.name || winner.phone : (opening.filled_appointment_id || "");
    return t("fill.taken", { name: who, when: opening.filled_at ? RV.fmt.when(opening.filled_at) : "" });
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
    const rows = [];
    for (const opening of state.openings) {
      const open = state.expanded.has(opening.opening_id);
      rows.push(el("tr", { "data-opening-row": opening.opening_id, class: `opening-${opening.status}` },
        el("td", {}, el("time", { dateTime: opening.starts_at }, RV.fmt.when(opening.starts_at))),
        el("td", {}, opening.service || t("fill.service.any"), opening.provider ? ` · ${opening.provider}` : ""),
        el("td", {}, t(`fill.opening.${opening.status}`), " ",
          el("span", { class: "muted small" }, `(${t(`fill.source.${opening.source}`)})`)),
        el("td", {}, String(opening.offered_to ?? 0)),
        el("td", { "data-taken": "" }, takenBy(opening)),
        el("td", {}, el("button", { type: "button", class: "quiet", "data-opening": opening.opening_id,
          "aria-expanded": open ? "true" : "false" }, t("fill.offers.show")))));
      if (open) rows.push(el("tr", { class: "fill-offers-row" }, el("td", { colSpan: 6 }, offersList(opening))));
    }
    $("fill-openings-rows").replaceChildren(...rows);
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
  }

  function reset() {
    state.generation += 1;
    Object.assign(state, { entries: [], openings: [] });
    state.offers.clear();
    state.expanded.clear();
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
