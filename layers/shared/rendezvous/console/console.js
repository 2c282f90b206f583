"use strict";
// The staff console: the queue of customers' texts, the conversation, the outbox, the pause
// switch and the week's figures, from the JSON API of the same origin. No innerHTML anywhere:
// every text from the API goes in through textContent (and Trusted Types enforce it).
(() => {
  const POLL_MS = 5000; // the queue and the open conversation
  const STATUS_EVERY = 5; // ticks: the pause state
  const SLOW_EVERY = 10; // ticks: outbox and stats
  const FETCH_TIMEOUT_MS = 15000;
  const PAGE_LIMIT = 100;
  const MAX_PAGES = 5;
  const RENEW_BEFORE_MS = 3 * 60 * 1000; // re-claim while typing when the lease ends sooner
  // The tokens in sessionStorage, not localStorage: a reload keeps this tab signed in, but
  // they go with the tab, are not shared with other tabs, and a reception computer left with
  // its browser open on another page holds no token for the next person.
  const SESSION_KEY = "rendezvous.console.session";
  const REFRESH_BEFORE_MS = 5 * 60 * 1000; // new tokens this long before the ID token expires
  const REFRESH_RETRY_MS = 30 * 1000; // after a refresh that could not reach Cognito
  const ROLES = ["manager", "staff"]; // the console's people, strongest first
  // The API lives beside the page: /console -> /v1/..., /base/console -> /base/v1/...
  const API_BASE = location.pathname.replace(/\/console\/?$/, "");

  const INTENTS = {
    question: "Question",
    stop_request: "Stop request",
    reschedule: "Reschedule",
    slot_freed: "Slot freed",
    unmatched: "Unmatched reply",
  };
  const GSM7_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const GSM7_EXTENSION = "\f^{}\\[~]|€";

  const $ = (id) => document.getElementById(id);

  const state = {
    token: null, // the ID token: the API's JWT authorizer accepts its audience
    session: null, // { idToken, refreshToken, receivedAt }
    claims: null,
    sub: null,
    tenant: null,
    tab: "open",
    unresolved: new Map(), // item_id -> item (open and claimed)
    resolved: [],
    resolvedCursor: null,
    resolvedPages: 0,
    knownOpen: null, // ids of open items at the last poll, for "new item" announcements
    selected: null, // item_id
    detail: null, // GET /v1/queue/{id}
    threadKey: "",
    clockOffset: 0, // the server's clock minus ours
    dateOffset: 0,
    floorOffset: -Infinity,
    timer: null,
    tick: 0,
    polling: false,
    generation: 0, // bumps on sign-out so answers to an old session are dropped
    connectionProblem: false,
    lastRenew: 0,
    refreshTimer: null,
    refreshing: null, // the refresh under way, shared by everyone who needs it
    challenge: null, // Cognito's next question while signing in
  };

  // ---- small helpers -------------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key in node && !key.startsWith("aria") && !key.startsWith("data")) node[key] = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function now() {
    return Date.now() + state.clockOffset;
  }

  let announceTimer = null;
  function announce(message) {
    const region = $("announcer");
    region.textContent = "";
    clearTimeout(announceTimer);
    // A fresh node after a beat, so the same words twice are still read out.
    announceTimer = setTimeout(() => { region.textContent = message; }, 60);
  }

  function showError(message) {
    $("error-text").textContent = message;
    $("error-banner").hidden = false;
  }

  function clearError() {
    $("error-banner").hidden = true;
    $("error-text").textContent = "";
  }

  function setConnectionProblem(message) {
    const box = $("connection");
    if (message) {
      box.textContent = message;
      box.hidden = false;
      if (!state.connectionProblem) announce(message);
      state.connectionProblem = true;
    } else if (state.connectionProblem) {
      box.hidden = true;
      box.textContent = "";
      state.connectionProblem = false;
      announce("Connection restored.");
    }
  }

  // ---- the token -------------------------------------------------------------------------
  function decodeJwt(token) {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    try {
      const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
      const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
      const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === "object" ? claims : null;
    } catch {
      return null;
    }
  }

  function cognitoConfig() {
    try {
      const config = JSON.parse($("console-config").textContent);
      return config && config.endpoint && config.clientId && config.userPoolId ? config : null;
    } catch {
      return null;
    }
  }

  const cognito = (() => {
    const config = cognitoConfig();
    return config ? RendezvousCognito.client(config) : null;
  })();

  // manager > staff; a booking system's login (or no group) has no business here.
  function roleOf(claims) {
    const groups = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [];
    return ROLES.find((role) => groups.includes(role)) || null;
  }

  // When the ID token expires by this device's clock: its lifetime (exp - iat) from when it
  // arrived, so a clock that is minutes off neither refreshes in a loop nor too late.
  function expiresAt() {
    const claims = state.claims;
    const session = state.session;
    if (!claims || !session || typeof claims.exp !== "number") return 0;
    const lifetime = typeof claims.iat === "number" ? claims.exp - claims.iat : 0;
    return session.receivedAt + lifetime * 1000;
  }

  function keepSession(tokens) {
    // Not the access token: the page never uses it, and in a thief's hands it would call
    // the user pool as this person (enrol an authenticator of their own, sign out everywhere).
    state.session = { idToken: tokens.idToken, refreshToken: tokens.refreshToken, receivedAt: tokens.receivedAt || Date.now() };
    state.token = tokens.idToken;
    state.claims = decodeJwt(tokens.idToken);
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
    scheduleRefresh();
  }

  function storedSession() {
    try {
      const tokens = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      return tokens && tokens.idToken && tokens.refreshToken && typeof tokens.receivedAt === "number" ? tokens : null;
    } catch {
      return null;
    }
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    const wait = expiresAt() - REFRESH_BEFORE_MS - Date.now();
    state.refreshTimer = setTimeout(() => { refreshTokens(); }, Math.max(0, wait));
  }

  // New ID and access tokens from the refresh token: true when they came. A refresh token
  // Cognito refuses ends the session; one that could not be sent (a laptop waking up before
  // its network) is tried again shortly.
  function refreshTokens() {
    if (state.refreshing) return state.refreshing;
    const generation = state.generation;
    const refreshToken = state.session && state.session.refreshToken;
    if (!refreshToken) return Promise.resolve(false);
    state.refreshing = cognito.refresh(refreshToken).then((tokens) => {
      if (generation !== state.generation) return false;
      const claims = decodeJwt(tokens.idToken);
      if (!claims || !roleOf(claims)) {
        signOut("Your account no longer has access to the console. Sign in again.");
        return false;
      }
      keepSession(tokens);
      return true;
    }, (error) => {
      if (generation !== state.generation) return false;
      if (error.code === "NetworkError") {
        clearTimeout(state.refreshTimer);
        state.refreshTimer = setTimeout(() => { refreshTokens(); }, REFRESH_RETRY_MS);
      } else {
        signOut("Your sign-in has ended. Sign in again.");
      }
      return false;
    }).finally(() => {
      if (generation === state.generation) state.refreshing = null;
    });
    return state.refreshing;
  }

  // ---- the API ---------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body, refreshed) {
    const generation = state.generation;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    const headers = { Accept: "application/json", Authorization: "Bearer " + state.token };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    let text;
    const sentAt = Date.now();
    try {
      response = await fetch(API_BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: "no-store",
        credentials: "omit",
      });
      text = await response.text();
    } catch {
      throw new ApiError(0, "network", controller.signal.aborted
        ? "The server did not answer in time."
        : "The server cannot be reached. Check the connection.");
    } finally {
      clearTimeout(timer);
    }
    if (generation !== state.generation) throw new ApiError(0, "stale", "signed out");
    serverSaid(response.headers.get("Date"), sentAt);
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!response.ok) {
      const error = data && typeof data.error === "object" && data.error ? data.error : null;
      const message = (error && error.message) || (data && data.message) ||
        `The server answered ${response.status} ${response.statusText}.`.replace(" .", ".");
      const code = (error && error.code) || `http_${response.status}`;
      if (response.status === 401) {
        // An ID token that expired under us (a laptop that slept): new tokens, one more try.
        if (!refreshed && (await refreshTokens())) return api(method, path, body, true);
        if (generation === state.generation) signOut(`Your sign-in was refused (${message}). Sign in again.`);
      }
      throw new ApiError(response.status, code, message);
    }
    return data;
  }

  // ---- time --------------------------------------------------------------------------------
  let timeFormat = null;
  let dayTimeFormat = null;
  let fullFormat = null;
  let dayKeyFormat = null;
  const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

  function setTimeZone(zone) {
    const make = (options) => {
      try {
        return new Intl.DateTimeFormat(undefined, zone ? { ...options, timeZone: zone } : options);
      } catch {
        return new Intl.DateTimeFormat(undefined, options);
      }
    };
    timeFormat = make({ hour: "numeric", minute: "2-digit" });
    dayTimeFormat = make({ weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" });
    fullFormat = make({ weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" });
    dayKeyFormat = make({ year: "numeric", month: "2-digit", day: "2-digit" });
  }
  setTimeZone(undefined);

  function when(iso) {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return "";
    const sameDay = dayKeyFormat.format(at) === dayKeyFormat.format(now());
    return sameDay ? timeFormat.format(at) : dayTimeFormat.format(at);
  }

  function fullWhen(iso) {
    const at = Date.parse(iso);
    return Number.isNaN(at) ? "" : fullFormat.format(at);
  }

  function relative(iso) {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return "";
    const minutes = Math.round((at - now()) / 60000);
    const abs = Math.abs(minutes);
    if (abs < 1) return relativeFormat.format(0, "minute");
    if (abs < 90) return relativeFormat.format(minutes, "minute");
    if (abs < 48 * 60) return relativeFormat.format(Math.round(minutes / 60), "hour");
    return relativeFormat.format(Math.round(minutes / 1440), "day");
  }

  function words(code) {
    return String(code || "").replace(/_/g, " ");
  }

  function timeElement(iso, text) {
    return el("time", { dateTime: iso, title: fullWhen(iso) }, text === undefined ? when(iso) : text);
  }

  // The server's clock, not this device's, decides what is due: its Date header says where it
  // is, and whatever it stamped (or found overdue) has happened, so it is at least there.
  function serverSaid(dateHeader, sentAt) {
    const at = Date.parse(dateHeader || "");
    if (!Number.isNaN(at)) state.dateOffset = at - (sentAt + Date.now()) / 2;
    state.clockOffset = Math.max(state.dateOffset, state.floorOffset);
  }

  function serverIsAtLeast(instant) {
    if (!instant || Number.isNaN(instant)) return;
    state.floorOffset = Math.max(state.floorOffset, instant - Date.now());
    state.clockOffset = Math.max(state.dateOffset, state.floorOffset);
  }

  function learnClock(item) {
    if (!item) return;
    serverIsAtLeast(Date.parse(item.updated_at));
    serverIsAtLeast(Date.parse(item.last_message_at));
    if (item.overdue) serverIsAtLeast(Date.parse(item.due_by) + 1000);
  }

  // ---- who ----------------------------------------------------------------------------------
  function who(id) {
    if (!id) return "someone";
    return id === state.sub ? "you" : id;
  }

  function leaseLive(item) {
    if (item.status !== "claimed" || !item.claimed_by) return false;
    if (!item.lease_expires_at) return true;
    return Date.parse(item.lease_expires_at) > now();
  }

  function mine(item) {
    return item.status === "claimed" && item.claimed_by === state.sub;
  }

  // ---- SMS segments (GSM 03.38, as rendezvous.messages.gsm counts them) ----------------------
  function segmentInfo(text) {
    const gsm = [...text].every((ch) => GSM7_BASIC.includes(ch) || GSM7_EXTENSION.includes(ch));
    const units = [...text].map((ch) => (gsm ? (GSM7_EXTENSION.includes(ch) ? 2 : 1) : (ch.codePointAt(0) > 0xffff ? 2 : 1)));
    const single = gsm ? 160 : 70;
    const perPart = gsm ? 153 : 67;
    const total = units.reduce((a, b) => a + b, 0);
    let parts = 1;
    if (total > single) {
      let used = 0;
      for (const size of units) {
        if (used + size > perPart) { parts += 1; used = 0; }
        used += size;
      }
    }
    return { encoding: gsm ? "GSM-7" : "UCS-2", parts, length: total, single };
  }

  function updateReplyHint() {
    const text = $("reply-text").value;
    const info = segmentInfo(text);
    const chars = [...text].length;
    let hint = `${chars} character${chars === 1 ? "" : "s"} · ${info.parts} SMS segment${info.parts === 1 ? "" : "s"}`;
    if (info.encoding === "UCS-2") hint += " (a character outside the GSM alphabet, such as an emoji or curly quote, makes each segment 70 characters)";
    $("reply-hint").textContent = hint;
  }

  // ---- sign-in ------------------------------------------------------------------------------
  const SIGNIN_STEPS = { password: "signin-form", NEW_PASSWORD_REQUIRED: "new-password-form", SOFTWARE_TOKEN_MFA: "mfa-form" };
  const SIGNIN_FIELDS = ["username", "password", "new-password", "new-password-again", "mfa-code"];

  const SECRET_FIELDS = ["password", "new-password", "new-password-again", "mfa-code"];

  function forgetSecrets() {
    for (const id of SECRET_FIELDS) $(id).value = "";
  }

  function signinProblem(message, field) {
    $("signin-error").textContent = message || "";
    for (const id of SIGNIN_FIELDS) $(id).removeAttribute("aria-invalid");
    if (field) {
      $(field).setAttribute("aria-invalid", "true");
      $(field).focus();
    }
  }

  // One step of the sign-in on screen: the password, a new password, or the MFA code.
  function showSigninStep(step) {
    for (const [name, form] of Object.entries(SIGNIN_STEPS)) $(form).hidden = name !== step;
    $("signin-restart").hidden = step === "password";
    forgetSecrets();
    // For password managers: whose new password this is.
    $("new-password-username").value = $("username").value;
    const first = { password: $("username").value ? "password" : "username", NEW_PASSWORD_REQUIRED: "new-password", SOFTWARE_TOKEN_MFA: "mfa-code" }[step];
    $(first).focus();
  }

  function showSignIn(message) {
    $("workspace").hidden = true;
    $("account").hidden = true;
    $("pause-box").hidden = true;
    $("signin").hidden = false;
    $("tenant-name").textContent = "";
    document.title = "Sign in · Rendezvous console";
    state.challenge = null;
    showSigninStep("password");
    signinProblem(message || "");
    if (!cognito) signinProblem("This console has no sign-in configured (COGNITO_* settings). Tell your operator.");
  }

  function setSigninBusy(busy) {
    for (const id of ["signin-button", "new-password-button", "mfa-button", "signin-restart"]) $(id).disabled = busy;
  }

  // Runs one call to Cognito and goes where its answer leads; a refusal is said plainly.
  async function signinStep(call, fieldOnError) {
    setSigninBusy(true);
    signinProblem("");
    try {
      const result = await call();
      if (result.tokens) {
        state.challenge = null;
        await startSession(result.tokens);
      } else if (SIGNIN_STEPS[result.challenge.name]) {
        state.challenge = result.challenge;
        showSigninStep(result.challenge.name);
        announce(result.challenge.name === "NEW_PASSWORD_REQUIRED"
          ? "First sign-in: choose your own password."
          : "Enter the code from your authenticator app.");
      } else {
        showSignIn(`This account needs a sign-in step the console does not offer (${result.challenge.name}). Ask your manager.`);
      }
    } catch (error) {
      if (state.challenge && /session/i.test(error.message || "")) {
        // Cognito's session for the challenge ran out: only a fresh start helps.
        showSignIn(RendezvousCognito.explain(error));
      } else {
        signinProblem(RendezvousCognito.explain(error), fieldOnError);
      }
    } finally {
      // Whatever Cognito said, no password or code stays in the page.
      forgetSecrets();
      setSigninBusy(false);
    }
  }

  function submitPassword(event) {
    event.preventDefault();
    const username = $("username").value.trim();
    const password = $("password").value;
    if (!username) return signinProblem("Enter your email.", "username");
    if (!password) return signinProblem("Enter your password.", "password");
    return signinStep(() => cognito.signIn(username, password), "password");
  }

  function submitNewPassword(event) {
    event.preventDefault();
    const password = $("new-password").value;
    if (password.length < 12) return signinProblem("Choose a password of at least 12 characters.", "new-password");
    if ($("new-password-again").value !== password) {
      $("new-password-again").value = "";
      return signinProblem("The two passwords differ. Type the new password again.", "new-password-again");
    }
    return signinStep(() => cognito.newPassword(state.challenge, password), "new-password");
  }

  function submitMfaCode(event) {
    event.preventDefault();
    const code = $("mfa-code").value.replace(/\s/g, "");
    if (!/^\d{6}$/.test(code)) return signinProblem("Enter the 6 digits your authenticator app shows.", "mfa-code");
    return signinStep(() => cognito.mfaCode(state.challenge, code), "mfa-code");
  }

  // Tokens from Cognito (or this tab's sessionStorage after a reload) open the workspace.
  async function startSession(tokens) {
    const claims = decodeJwt(tokens.idToken);
    if (!claims || typeof claims.sub !== "string") {
      showSignIn("Cognito answered something that is not a sign-in token. Try again.");
      return;
    }
    if (!roleOf(claims)) {
      cognito.revoke(tokens.refreshToken).catch(() => {});
      const groups = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [];
      showSignIn(groups.includes("booking")
        ? "That login belongs to a booking system: the console is for staff and managers. Sign in with your own email."
        : "This account may not use the console: it is neither staff nor manager. Ask your manager.");
      return;
    }
    state.generation += 1;
    keepSession(tokens);
    // Who "you" are as the API records it (claimed by, author): the e-mail, else the sub.
    const email = typeof state.claims.email === "string" ? state.claims.email.trim() : "";
    state.sub = email || state.claims.sub;
    if (expiresAt() - REFRESH_BEFORE_MS <= Date.now() && !(await refreshTokens())) return;
    try {
      const status = await api("GET", "/v1/status");
      applyStatus(status);
      startWorkspace();
    } catch (error) {
      if (error.status !== 401 && error.code !== "stale") signOut(`Signing in failed: ${error.message}`);
    }
  }

  function signOut(message) {
    const refreshToken = state.session && state.session.refreshToken;
    state.generation += 1;
    clearTimeout(state.timer);
    clearTimeout(state.refreshTimer);
    state.timer = null;
    sessionStorage.removeItem(SESSION_KEY);
    // Revoked at Cognito as well, so a copy of the refresh token is worth nothing either.
    if (refreshToken && cognito) cognito.revoke(refreshToken).catch(() => {});
    Object.assign(state, {
      token: null, session: null, claims: null, sub: null, tenant: null,
      selected: null, detail: null, refreshTimer: null, refreshing: null, challenge: null,
      threadKey: "", knownOpen: null, resolved: [], resolvedCursor: null, resolvedPages: 0,
      tick: 0, polling: false, clockOffset: 0, dateOffset: 0, floorOffset: -Infinity,
    });
    state.unresolved.clear();
    $("queue-list").replaceChildren();
    $("thread").replaceChildren();
    clearError();
    setConnectionProblem(null);
    if ($("pause-dialog").open) $("pause-dialog").close();
    $("username").value = "";
    showSignIn(message || "");
    announce(message || "Signed out.");
  }

  function startWorkspace() {
    $("signin").hidden = true;
    $("workspace").hidden = false;
    $("account").hidden = false;
    $("pause-box").hidden = false;
    // Pausing, resuming and sending failed texts again are for managers (CONTRACT.md, Roles).
    const manager = roleOf(state.claims) === "manager";
    $("pause-switch").disabled = !manager;
    // Emptied rather than hidden: the switch's description names it, hidden or not.
    $("pause-managers-only").textContent = manager ? "" : "Managers only";
    $("redrive-button").hidden = !manager;
    $("redrive-managers-only").hidden = manager;
    const c = state.claims;
    $("signed-in-as").textContent = `Signed in as ${c.email || c["cognito:username"] || c.sub}`;
    selectTab("open", false);
    showConversation(null);
    announce(`Signed in to ${state.tenant ? state.tenant.name : "the console"}.`);
    $("queue-heading").focus();
    state.tick = 0;
    poll();
    refreshSlow();
  }

  // ---- status and pause ------------------------------------------------------------------
  function applyStatus(status) {
    if (!status || typeof status !== "object") return;
    const wasPaused = state.tenant ? Boolean(state.tenant.paused) : null;
    state.tenant = status;
    if (status.timezone) setTimeZone(status.timezone);
    $("tenant-name").textContent = status.name || status.tenant_id || "";
    const paused = Boolean(status.paused);
    const box = $("pause-box");
    box.classList.toggle("is-paused", paused);
    const toggle = $("pause-switch");
    toggle.setAttribute("aria-checked", paused ? "true" : "false");
    let detail;
    if (paused) {
      detail = "Automated texts are paused";
      if (status.paused_by) detail += ` by ${who(status.paused_by)}`;
      if (status.paused_at) detail += ` at ${when(status.paused_at)}`;
      if (status.paused_reason) detail += `: “${status.paused_reason}”`;
      detail += ".";
    } else {
      detail = "Confirmations and reminders are being sent";
      if (status.resumed_by) detail += ` (resumed by ${who(status.resumed_by)}`;
      if (status.resumed_by && status.resumed_at) detail += ` at ${when(status.resumed_at)}`;
      if (status.resumed_by && status.resumed_reason) detail += `: “${status.resumed_reason}”`;
      if (status.resumed_by) detail += ")";
      detail += ".";
    }
    $("pause-detail").textContent = detail;
    if (wasPaused !== null && wasPaused !== paused) announce(detail);
    updateTitle();
  }

  function openPauseDialog() {
    const paused = Boolean(state.tenant && state.tenant.paused);
    $("pause-dialog-heading").textContent = paused ? "Resume automated texts?" : "Pause automated texts?";
    $("pause-dialog-text").textContent = paused
      ? "Confirmations and reminders will be sent again. Texts held while paused are sent or skipped as their times allow."
      : "No confirmations or reminders will be sent until someone resumes them. Replies to customers still go out.";
    $("pause-confirm").textContent = paused ? "Resume" : "Pause";
    $("pause-reason").value = "";
    $("pause-error").textContent = "";
    $("pause-dialog").showModal();
    $("pause-reason").focus();
  }

  async function submitPause(event) {
    event.preventDefault();
    const reason = $("pause-reason").value.trim();
    if (!reason) {
      $("pause-error").textContent = "Give a reason, so your colleagues know why.";
      $("pause-reason").focus();
      return;
    }
    const paused = Boolean(state.tenant && state.tenant.paused);
    $("pause-confirm").disabled = true;
    try {
      const status = await api("POST", paused ? "/v1/resume" : "/v1/pause", { reason });
      $("pause-dialog").close();
      applyStatus(status);
      announce(status.paused ? "Automated texts paused." : `Automated texts resumed.${heldSummary(status.held)}`);
      $("pause-switch").focus();
    } catch (error) {
      if (error.status !== 401) $("pause-error").textContent = error.message;
    } finally {
      $("pause-confirm").disabled = false;
    }
  }

  // ---- the queue --------------------------------------------------------------------------
  async function listAll(status) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ status, limit: String(PAGE_LIMIT) });
      if (cursor) query.set("cursor", cursor);
      const answer = await api("GET", `/v1/queue?${query}`);
      items.push(...(answer.items || []));
      cursor = answer.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  async function refreshQueue() {
    const [open, claimed] = await Promise.all([listAll("open"), listAll("claimed")]);
    const fresh = new Map();
    for (const item of [...open, ...claimed]) fresh.set(item.item_id, item);
    for (const item of fresh.values()) learnClock(item);
    const openIds = new Set(open.map((item) => item.item_id));
    if (state.knownOpen) {
      const added = [...openIds].filter((id) => !state.knownOpen.has(id) && !state.unresolved.has(id));
      if (added.length) {
        const stops = added.filter((id) => fresh.get(id).intent === "stop_request").length;
        let message = added.length === 1 ? "1 new item in the queue." : `${added.length} new items in the queue.`;
        if (stops === added.length) message += added.length === 1 ? " It is a stop request." : " All are stop requests.";
        else if (stops) message += ` ${stops} of them ${stops === 1 ? "is a stop request" : "are stop requests"}.`;
        announce(message);
      }
    }
    state.knownOpen = openIds;
    state.unresolved = fresh;
    // The resolved tab's first page follows along; pages loaded by hand stay as they are.
    if (state.tab === "resolved" && state.resolvedPages <= 1) await loadResolved(false);
    renderQueue();
    $("queue-updated").textContent = `Updated ${timeFormat.format(now())}`;
  }

  async function loadResolved(more) {
    const query = new URLSearchParams({ status: "resolved", limit: "50" });
    if (more && state.resolvedCursor) query.set("cursor", state.resolvedCursor);
    const answer = await api("GET", `/v1/queue?${query}`);
    const items = answer.items || [];
    state.resolved = more ? [...state.resolved, ...items] : items;
    state.resolvedCursor = answer.next_cursor || null;
    state.resolvedPages = more ? state.resolvedPages + 1 : 1;
  }

  function sortOldestFirst(items) {
    return items.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  }

  function visibleItems() {
    if (state.tab === "resolved") return state.resolved;
    const all = sortOldestFirst([...state.unresolved.values()]);
    return state.tab === "mine" ? all.filter(mine) : all;
  }

  function updateTitle() {
    const waiting = [...state.unresolved.values()].filter((item) => !leaseLive(item)).length;
    const name = state.tenant ? state.tenant.name : "Rendezvous";
    document.title = `${waiting ? `(${waiting}) ` : ""}${name} · Rendezvous console`;
  }

  function renderQueue() {
    const all = [...state.unresolved.values()];
    $("count-open").textContent = String(all.length);
    $("count-mine").textContent = String(all.filter(mine).length);
    const items = visibleItems();
    const list = $("queue-list");
    const wanted = new Set(items.map((item) => item.item_id));
    const existing = new Map();
    for (const li of [...list.children]) {
      if (wanted.has(li.dataset.itemId)) existing.set(li.dataset.itemId, li);
      else li.remove();
    }
    // Only new rows are inserted: a node that stays is never moved, so it keeps the focus.
    let cursor = list.firstElementChild;
    for (const item of items) {
      let li = existing.get(item.item_id);
      if (!li) {
        li = el("li", { class: "queue-item", "data-item-id": item.item_id },
          el("button", { type: "button", class: "item-open" }));
      }
      fillQueueItem(li, item);
      if (li === cursor) cursor = cursor.nextElementSibling;
      else list.insertBefore(li, cursor);
    }
    const empty = $("queue-empty");
    empty.hidden = items.length > 0;
    empty.textContent = {
      open: "Nothing waiting. New texts from customers appear here.",
      mine: "You have not claimed anything. Claim an item to answer it.",
      resolved: "Nothing resolved yet.",
    }[state.tab];
    $("load-more").hidden = !(state.tab === "resolved" && state.resolvedCursor);
    updateTitle();
  }

  function fillQueueItem(li, item) {
    const overdue = Boolean(item.overdue) && item.status !== "resolved";
    li.classList.toggle("is-overdue", overdue);
    li.classList.toggle("is-stop", item.intent === "stop_request");
    const button = li.firstElementChild;
    if (item.item_id === state.selected) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    const signature = [item.version, item.status, item.claimed_by, overdue, leaseLive(item),
      item.status === "resolved" ? relative(item.resolved_at) : dueText(item), item.message_count].join("|");
    if (li.dataset.signature === signature) return; // unchanged: leave what a screen reader is on
    li.dataset.signature = signature;
    const top = el("span", { class: "item-top" },
      el("span", { class: "item-phone" }, item.phone || "Unknown number"),
      el("span", { class: `badge badge-${item.intent}` }, INTENTS[item.intent] || item.intent),
      overdue ? el("span", { class: "badge badge-overdue" }, "Overdue") : null,
      item.status === "claimed" && leaseLive(item)
        ? el("span", { class: "badge badge-claimed" }, item.claimed_by === state.sub ? "Yours" : "Claimed")
        : null);
    const meta = [];
    if (item.status === "resolved") {
      meta.push(`Resolved ${item.resolved_at ? relative(item.resolved_at) : ""} by ${who(item.resolved_by)}`);
    } else {
      meta.push(el("span", { class: overdue ? "overdue-text" : "" }, dueText(item)));
      if (leaseLive(item)) meta.push(`Claimed by ${who(item.claimed_by)}`);
    }
    const count = item.message_count || 0;
    meta.push(`${count} message${count === 1 ? "" : "s"}`);
    const metaNode = el("span", { class: "item-meta" });
    meta.forEach((part, index) => {
      if (index) metaNode.append(" · ");
      metaNode.append(part);
    });
    button.replaceChildren(top, el("span", { class: "item-preview" }, item.preview || "(no text)"), metaNode);
  }

  function dueText(item) {
    if (!item.overdue) return `Due ${relative(item.due_by)}`;
    // Relative only when this page can tell how long ago (the server's clock may have moved on).
    return Date.parse(item.due_by) < now() - 60000
      ? `Was due ${relative(item.due_by)}`
      : `Overdue since ${when(item.due_by)}`;
  }

  function selectTab(tab, focus) {
    state.tab = tab;
    for (const node of document.querySelectorAll('[role="tab"]')) {
      const selected = node.dataset.tab === tab;
      node.setAttribute("aria-selected", selected ? "true" : "false");
      node.tabIndex = selected ? 0 : -1;
      if (selected) {
        $("queue-panel").setAttribute("aria-labelledby", node.id);
        if (focus) node.focus();
      }
    }
    if (tab === "resolved" && state.token) {
      loadResolved(false).then(renderQueue, reportPollError);
    }
    renderQueue();
  }

  function onTabKey(event) {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    const index = tabs.indexOf(event.target);
    if (index < 0) return;
    let next = null;
    if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
    else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
    if (next) {
      event.preventDefault();
      selectTab(next.dataset.tab, true);
    }
  }

  // ---- the conversation --------------------------------------------------------------------
  function showConversation(itemId) {
    state.selected = itemId;
    state.detail = null;
    state.threadKey = "";
    $("conv-error").textContent = "";
    $("conv-empty").hidden = Boolean(itemId);
    $("conv-body").hidden = !itemId;
    $("conv-heading").textContent = "Conversation";
    $("thread").replaceChildren();
    $("reply-text").value = "";
    updateReplyHint();
    renderQueue();
  }

  async function openItem(itemId) {
    if (state.selected !== itemId) showConversation(itemId);
    $("conv-heading").focus();
    await refreshDetail(true);
  }

  async function refreshDetail(announceLoad) {
    const itemId = state.selected;
    if (!itemId) return;
    let detail;
    try {
      detail = await api("GET", `/v1/queue/${encodeURIComponent(itemId)}`);
    } catch (error) {
      if (error.status === 404 && state.selected === itemId) {
        $("conv-error").textContent = "This item no longer exists.";
        return;
      }
      throw error;
    }
    if (state.selected !== itemId) return;
    const before = state.detail;
    state.detail = detail;
    if (detail.item && detail.item.status === "resolved") state.unresolved.delete(itemId);
    else if (detail.item) state.unresolved.set(itemId, detail.item);
    renderConversation(before, announceLoad);
  }

  function renderConversation(before, announceLoad) {
    const { item, messages = [], appointment } = state.detail;
    $("conv-heading").textContent = `Conversation with ${item.phone || "a customer"}`;
    $("conv-stop").hidden = item.intent !== "stop_request";
    const summary = [INTENTS[item.intent] || item.intent, `started ${when(item.created_at)}`];
    if (item.status !== "resolved") {
      summary.push(item.overdue ? `overdue: was due ${when(item.due_by)}` : `due ${relative(item.due_by)} (${when(item.due_by)})`);
    }
    $("conv-summary").textContent = summary.join(" · ");
    renderState(item, before);
    renderAppointment(appointment);
    renderThread(messages, before, announceLoad);
  }

  function renderState(item, before) {
    const stateLine = $("conv-state");
    const live = leaseLive(item);
    const isMine = live && item.claimed_by === state.sub;
    const isOther = live && !isMine;
    let text;
    if (item.status === "resolved") {
      text = `Resolved by ${who(item.resolved_by)}${item.resolved_at ? ` at ${when(item.resolved_at)}` : ""}.`;
    } else if (isMine) {
      text = `Claimed by you until ${when(item.lease_expires_at)}.`;
    } else if (isOther) {
      text = `Claimed by ${item.claimed_by} until ${when(item.lease_expires_at)}. Only they can reply or resolve it.`;
    } else if (item.status === "claimed") {
      const holder = who(item.claimed_by);
      text = `${holder[0].toUpperCase()}${holder.slice(1)} claimed it, but the claim lapsed ${relative(item.lease_expires_at)}. Anyone can claim it.`;
    } else {
      text = "Not claimed. Claim it to answer the customer.";
    }
    stateLine.textContent = text;
    stateLine.classList.toggle("is-mine", isMine);
    stateLine.classList.toggle("is-other", isOther);

    const resolved = item.status === "resolved";
    $("claim-button").disabled = resolved || live;
    $("claim-button").textContent = isMine ? "Claimed" : "Claim";
    $("release-button").disabled = !isMine;
    $("resolve-button").disabled = !isMine;
    $("reply-text").disabled = !isMine;
    $("send-button").disabled = !isMine;
    $("reply-why").textContent = isMine ? ""
      : resolved ? "This item is resolved."
        : isOther ? `You cannot reply: ${item.claimed_by} has claimed this item.`
          : "Claim the item to reply.";

    if (before && before.item && before.item.item_id === item.item_id) {
      const was = before.item;
      if (was.claimed_by !== item.claimed_by || was.status !== item.status) {
        if (isOther) announce(`Claimed by ${item.claimed_by}.`);
        else if (resolved && item.resolved_by !== state.sub) announce(`Resolved by ${who(item.resolved_by)}.`);
      }
    }
  }

  function renderAppointment(appointment) {
    const details = $("appt-details");
    $("appt-none").hidden = Boolean(appointment);
    details.hidden = !appointment;
    if (!appointment) {
      details.replaceChildren();
      return;
    }
    const rows = [];
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      rows.push(el("dt", {}, label), el("dd", {}, value));
    };
    const customer = appointment.customer || {};
    add("Customer", customer.name);
    add("Phone", customer.phone);
    if (appointment.starts_at) add("When", timeElement(appointment.starts_at, fullWhen(appointment.starts_at)));
    if (appointment.duration_minutes) add("Length", `${appointment.duration_minutes} min`);
    add("Status", appointment.status);
    add("Service", appointment.service);
    add("With", appointment.provider || appointment.staff);
    add("Where", appointment.location);
    add("Reference", appointment.appointment_id);
    details.replaceChildren(...rows);
  }

  function authorLabel(message) {
    if (message.author === "customer") return "Customer";
    if (message.author === "automation") return "Automated text";
    if (message.author === state.sub) return "You";
    return message.author || (message.direction === "inbound" ? "Customer" : "Staff");
  }

  function renderThread(messages, before, announceLoad) {
    const last = messages[messages.length - 1];
    const key = `${messages.length}|${last ? last.at + last.body : ""}`;
    if (key === state.threadKey) return;
    const previousCount = before && before.item && state.detail && before.item.item_id === state.detail.item.item_id
      ? (before.messages || []).length : null;
    state.threadKey = key;
    const thread = $("thread");
    thread.replaceChildren(...messages.map((message) => el("li", { class: `msg msg-${message.direction}` },
      el("p", { class: "visually-hidden" }, message.direction === "inbound" ? "Received:" : "Sent:"),
      el("p", { class: "msg-body" }, message.body),
      el("p", { class: "msg-meta" }, authorLabel(message), " · ", timeElement(message.at)))));
    thread.scrollTop = thread.scrollHeight;
    if (previousCount !== null && messages.length > previousCount) {
      const added = messages.slice(previousCount);
      const fromCustomer = added.filter((m) => m.direction === "inbound").length;
      if (fromCustomer) announce(`New message from the customer: ${added[added.length - 1].body}`);
    } else if (announceLoad) {
      announce(`${messages.length} message${messages.length === 1 ? "" : "s"} with ${state.detail.item.phone}.`);
    }
  }

  async function act(action, body) {
    const itemId = state.selected;
    if (!itemId) return null;
    $("conv-error").textContent = "";
    const buttons = ["claim-button", "release-button", "resolve-button", "send-button"].map($);
    const wasDisabled = buttons.map((b) => b.disabled);
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const answer = await api("POST", `/v1/queue/${encodeURIComponent(itemId)}/${action}`, body);
      if (answer && answer.item) {
        learnClock(answer.item);
        if (answer.item.status === "resolved") state.unresolved.delete(itemId);
        else state.unresolved.set(itemId, answer.item);
      }
      refreshStats().catch(() => {});
      return answer;
    } catch (error) {
      buttons.forEach((b, i) => { b.disabled = wasDisabled[i]; });
      if (error.status === 401) return null;
      let message = error.message;
      if (error.code === "opted_out") message = `Not sent: the customer has opted out of texts. ${error.message}`;
      $("conv-error").textContent = message;
      // Whatever happened, show the item as it is now (the detail is refreshed below).
      refreshQueue().catch(() => {});
      return null;
    } finally {
      if (state.detail) {
        try { await refreshDetail(false); } catch { /* the next poll tries again */ }
      }
      renderQueue();
    }
  }

  async function claim() {
    const answer = await act("claim");
    if (answer) {
      announce(`Claimed. It is yours until ${when(answer.lease_expires_at || answer.item.lease_expires_at)}.`);
      $("reply-text").focus();
    }
  }

  async function release() {
    if (await act("release")) {
      announce("Released. Anyone can claim it now.");
      $("claim-button").focus();
    }
  }

  async function resolve() {
    if (await act("resolve")) {
      announce("Resolved.");
      showConversation(null);
      $("queue-heading").focus();
    }
  }

  async function sendReply(event) {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) {
      $("conv-error").textContent = "Write a reply first.";
      $("reply-text").focus();
      return;
    }
    const answer = await act("reply", { body: text });
    if (answer) {
      $("reply-text").value = "";
      updateReplyHint();
      announce("Reply sent.");
      $("reply-text").focus();
    }
  }

  function renewWhileTyping() {
    updateReplyHint();
    const item = state.detail && state.detail.item;
    if (!item || !mine(item) || !item.lease_expires_at) return;
    const left = Date.parse(item.lease_expires_at) - now();
    if (left > RENEW_BEFORE_MS || Date.now() - state.lastRenew < 30000) return;
    state.lastRenew = Date.now();
    api("POST", `/v1/queue/${encodeURIComponent(item.item_id)}/claim`).then((answer) => {
      if (answer && answer.item && state.detail && state.detail.item.item_id === answer.item.item_id) {
        learnClock(answer.item);
        state.detail.item = answer.item;
        renderState(answer.item, null);
      }
    }, () => {});
  }

  // ---- outbox and stats -------------------------------------------------------------------
  async function refreshOutbox() {
    const hours = $("outbox-hours").value;
    const answer = await api("GET", `/v1/outbox?hours=${encodeURIComponent(hours)}`);
    const messages = answer.messages || [];
    const label = $("outbox-hours").selectedOptions[0].textContent;
    $("outbox-empty").hidden = messages.length > 0;
    $("outbox-empty").textContent = `No automated texts are due in the next ${label}.`;
    $("outbox-table").hidden = messages.length === 0;
    $("outbox-rows").replaceChildren(...messages.map((m) => el("tr", {},
      el("td", {}, timeElement(m.send_at)),
      el("td", {}, m.customer_name || m.phone || "", m.customer_name && m.phone ? el("br") : null,
        m.customer_name && m.phone ? el("span", { class: "muted small" }, m.phone) : null),
      el("td", {}, words(m.kind),
        el("span", { class: `outbox-status status-${m.status}` },
          words(m.status), m.reason ? ` (${words(m.reason)})` : "")))));
    // Texts whose every retry met an outage wait for someone to send them again.
    const failed = messages.filter((m) => m.status === "failed" && m.reason === "retries_exhausted");
    $("redrive-box").hidden = failed.length === 0;
    $("redrive-text").textContent = failed.length === 1
      ? "1 text could not be sent after every retry."
      : `${failed.length} texts could not be sent after every retry.`;
  }

  // What a resume or a redrive did with the texts it found: "3 sent again, 1 not sent (too late)".
  function heldSummary(result) {
    if (!result) return "";
    const skipped = Object.entries(result.suppressed || {});
    let message = result.queued ? ` Sending ${result.queued} held text${result.queued === 1 ? "" : "s"}.` : "";
    if (skipped.length) {
      message += ` Not sent: ${skipped.map(([reason, n]) => `${n} ${words(reason)}`).join(", ")}.`;
    }
    return message;
  }

  const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  async function redrive() {
    $("redrive-button").disabled = true;
    try {
      const answer = await api("POST", "/v1/outbox/redrive");
      const result = answer.redrive || {};
      const skipped = Object.entries(result.suppressed || {});
      let message = `Sending ${result.queued || 0} again.`;
      if (skipped.length) {
        message += ` Not sent: ${skipped.map(([reason, n]) => `${n} ${words(reason)}`).join(", ")}.`;
      }
      announce(message);
      // The sender works from the queue a moment later: look again until the failed texts
      // have gone out (or failed again), instead of showing them as failed meanwhile.
      $("redrive-box").hidden = true;
      for (const wait of [1500, 4000, 8000]) {
        await pause(wait);
        await Promise.all([refreshOutbox(), refreshStats()]);
        if ($("redrive-box").hidden) break;
      }
    } catch (error) {
      if (error.status !== 401) showError(error.message);
    } finally {
      $("redrive-button").disabled = false;
    }
  }

  async function refreshStats() {
    const s = await api("GET", "/v1/stats?days=7");
    const queue = s.queue || {};
    const suppressed = Object.entries(s.suppressed || {});
    const suppressedTotal = suppressed.reduce((sum, [, n]) => sum + n, 0);
    const stat = (label, value, note) => el("div", { class: "stat" },
      el("dt", {}, label), el("dd", {}, String(value ?? "–"), note ? el("small", {}, note) : null));
    $("stats-heading").textContent = `Last ${s.days || 7} days`;
    $("stats").replaceChildren(
      stat("Sent", s.sent),
      stat("Delivered", s.delivered),
      stat("Failed", s.failed),
      stat("Not sent", suppressedTotal, suppressed.map(([reason, n]) => `${words(reason)}: ${n}`).join(", ")),
      stat("Confirmed", s.confirmed),
      stat("Cancelled", s.cancelled),
      stat("Opt-outs", s.opt_outs),
      stat("Replies", s.replies),
      stat("Waiting now", queue.open, queue.overdue ? `${queue.overdue} overdue` : null),
      stat("Being answered", queue.claimed),
      stat("Resolved", queue.resolved),
      stat("Median wait", queue.median_wait_minutes === null || queue.median_wait_minutes === undefined
        ? "–" : `${Math.round(queue.median_wait_minutes)} min`),
    );
  }

  // ---- polling -----------------------------------------------------------------------------
  function reportPollError(error) {
    if (!error || error.code === "stale" || error.status === 401) return;
    if (error.status === 0) setConnectionProblem(`${error.message} Retrying every few seconds.`);
    else showError(error.message);
  }

  async function refreshSlow() {
    const generation = state.generation;
    const results = await Promise.allSettled([refreshOutbox(), refreshStats()]);
    if (generation !== state.generation) return;
    for (const result of results) if (result.status === "rejected") reportPollError(result.reason);
  }

  async function poll() {
    const generation = state.generation;
    if (!state.token || state.polling) return;
    // Timers stop while a laptop sleeps: tokens that expired meanwhile are renewed first.
    if (expiresAt() - REFRESH_BEFORE_MS <= Date.now()) {
      await refreshTokens();
      if (generation !== state.generation || !state.token) return;
    }
    state.polling = true;
    state.tick += 1;
    try {
      const jobs = [refreshQueue(), refreshDetail(false)];
      if (state.tick % STATUS_EVERY === 0) jobs.push(api("GET", "/v1/status").then(applyStatus));
      const results = await Promise.allSettled(jobs);
      if (generation !== state.generation) return;
      const failed = results.find((r) => r.status === "rejected");
      if (failed) reportPollError(failed.reason);
      else setConnectionProblem(null);
      if (state.tick % SLOW_EVERY === 0) refreshSlow();
    } finally {
      if (generation === state.generation) {
        state.polling = false;
        state.timer = setTimeout(poll, POLL_MS);
      }
    }
  }

  // ---- wiring ------------------------------------------------------------------------------
  function wire() {
    $("signin-form").addEventListener("submit", submitPassword);
    $("new-password-form").addEventListener("submit", submitNewPassword);
    $("mfa-form").addEventListener("submit", submitMfaCode);
    $("signin-restart").addEventListener("click", () => showSignIn(""));
    $("sign-out").addEventListener("click", () => signOut("Signed out."));
    $("error-dismiss").addEventListener("click", clearError);
    $("pause-switch").addEventListener("click", openPauseDialog);
    $("pause-form").addEventListener("submit", submitPause);
    $("pause-cancel").addEventListener("click", () => {
      $("pause-dialog").close();
      $("pause-switch").focus();
    });
    $("pause-dialog").addEventListener("close", () => { $("pause-confirm").disabled = false; });
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      tab.addEventListener("click", () => selectTab(tab.dataset.tab, true));
      tab.addEventListener("keydown", onTabKey);
    }
    $("queue-list").addEventListener("click", (event) => {
      const li = event.target.closest(".queue-item");
      if (li) openItem(li.dataset.itemId).catch(reportPollError);
    });
    $("load-more").addEventListener("click", () => {
      loadResolved(true).then(renderQueue, reportPollError);
    });
    $("claim-button").addEventListener("click", claim);
    $("release-button").addEventListener("click", release);
    $("resolve-button").addEventListener("click", resolve);
    $("reply-form").addEventListener("submit", sendReply);
    $("reply-text").addEventListener("input", renewWhileTyping);
    $("reply-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        $("reply-form").requestSubmit();
      }
    });
    $("outbox-hours").addEventListener("change", () => { refreshOutbox().catch(reportPollError); });
    $("redrive-button").addEventListener("click", redrive);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && state.token && !state.polling) {
        clearTimeout(state.timer);
        poll();
      }
    });
  }

  function boot() {
    wire();
    updateReplyHint();
    const tokens = cognito && storedSession();
    if (tokens) startSession(tokens);
    else showSignIn("");
  }

  boot();
})();
