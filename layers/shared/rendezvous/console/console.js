"use strict";
// The staff console: the shell (sign-in, views, the one refresh scheduler, the language) and
// the queue view (customers' texts, the conversation, the outbox, the pause switch and the
// week's figures), from the JSON API of the same origin. No innerHTML anywhere: every text
// from the API goes in through textContent (and Trusted Types enforce it).
//
// RV is what desk.js and manage.js build on (their scripts follow this one), filled below:
//   RV.api(method, path, body) -> Promise<json>; throws {status, code, message}
//   RV.role() -> "manager" | "staff";  RV.tenant() -> {name, timezone, locale, country}
//   RV.fmt.time(iso), RV.fmt.when(iso) (the date too when not today; the business's zone and
//     the console's language), RV.fmt.full(iso), RV.fmt.relative(iso)
//   RV.announce(text) (aria-live, polite), RV.error(text) (the error banner)
//   RV.onSignedIn(fn), RV.onSignedOut(fn), RV.onLocale(fn) (render again in the new language)
//   RV.registerView(name, {label: key, roles, show(changed), hide(), refresh()}), RV.showView(name)
//   RV.openConversation(phone, appointmentId?) (the queue view: the number's open item, or its
//     history read-only)
//   RV.poll(name, everyMs, fn) (the one scheduler: budget, hidden tab, backoff), RV.pollNow(name)
//   RV.el(tag, props, ...children) (textContent only), RV.kindText(kind) (a text's kind in words)
const RV = {};
(() => {
  // The refresh budget of an idle, visible console: at most 5.5 API requests a minute.
  // Open queue 3/min + the visible view's refresh 1/min + status 1/min + outbox and stats
  // 0.4/min = 5.4/min. The open conversation is fetched again only when its item changed.
  const QUEUE_EVERY_MS = 20 * 1000; // the open items: new texts are announced from these
  const STATUS_EVERY_MS = 60 * 1000; // the pause state
  const VIEW_EVERY_MS = 60 * 1000; // whatever the visible view shows (the queue: claimed items)
  const SLOW_EVERY_MS = 5 * 60 * 1000; // outbox and stats
  const MAX_BACKOFF_MS = 5 * 60 * 1000;
  const LOCALE_KEY = "rendezvous.console.locale"; // the person's own choice, in this browser
  const VIEW_ORDER = ["day", "queue", "fill", "results", "manage"];
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
    openPages: null, // {count, signature of the first page, items beyond it} when they are more
    selected: null, // item_id
    detail: null, // GET /v1/queue/{id}
    threadKey: "",
    clockOffset: 0, // the server's clock minus ours
    dateOffset: 0,
    floorOffset: -Infinity,
    view: null, // the view on screen
    unseen: new Set(), // open items that arrived while nobody was looking at the queue
    detailSignature: "", // what the lists said of the open item when its detail was fetched
    history: null, // a number's read-only history (GET /v1/recipients/{phone})
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
      announce(t("common.connectionRestored"));
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
        signOut(t("account.noLongerAllowed"));
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
        signOut(t("account.ended"));
      }
      return false;
    }).finally(() => {
      if (generation === state.generation) state.refreshing = null;
    });
    return state.refreshing;
  }

  // ---- the API ---------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      // A 422's [{field, problem}], so a form can say each next to its field.
      this.details = Array.isArray(details) ? details : [];
    }
  }

  // options.headers: more request headers (If-Match for the settings). options.raw: the
  // answer as it came ({text, contentType, filename}) rather than JSON, e.g. a CSV export;
  // options.accept: what to ask for then.
  async function api(method, path, body, refreshed, options) {
    const generation = state.generation;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    const accept = (options && options.raw && options.accept) || "application/json";
    const headers = { ...(options && options.headers), Accept: accept, Authorization: "Bearer " + state.token };
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
      throw new ApiError(0, "network", t(controller.signal.aborted ? "api.timeout" : "api.unreachable"));
    } finally {
      clearTimeout(timer);
    }
    if (generation !== state.generation) throw new ApiError(0, "stale", "signed out");
    serverSaid(response.headers.get("Date"), sentAt);
    if (response.ok && options && options.raw) {
      const disposition = response.headers.get("Content-Disposition") || "";
      const filename = /filename="([^"]+)"/.exec(disposition);
      return { text, contentType: response.headers.get("Content-Type") || "", filename: filename ? filename[1] : null };
    }
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!response.ok) {
      const error = data && typeof data.error === "object" && data.error ? data.error : null;
      const message = (error && error.message) || (data && data.message) ||
        t("api.answered", { status: `${response.status} ${response.statusText}`.trim() });
      const code = (error && error.code) || `http_${response.status}`;
      if (response.status === 401) {
        // An ID token that expired under us (a laptop that slept): new tokens, one more try.
        if (!refreshed && (await refreshTokens())) return api(method, path, body, true, options);
        if (generation === state.generation) signOut(t("account.refused", { message }));
      }
      throw new ApiError(response.status, code, message, error && error.details);
    }
    return data;
  }

  // ---- time --------------------------------------------------------------------------------
  // In the business's time zone (from /v1/status) and the console's language: a receptionist
  // in Lyon reads 14:30 for a visit at the salon, wherever the laptop's clock is set.
  let timeFormat = null;
  let dayTimeFormat = null;
  let fullFormat = null;
  let dayKeyFormat = null;
  let relativeFormat = null;
  let timeZone;

  function makeFormats() {
    const locale = currentLocale();
    const make = (options) => {
      try {
        return new Intl.DateTimeFormat(locale, timeZone ? { ...options, timeZone } : options);
      } catch {
        return new Intl.DateTimeFormat(locale, options);
      }
    };
    // French writes 08:05; English 8:05 AM, Spanish 8:05.
    const hour = locale === "fr" ? "2-digit" : "numeric";
    timeFormat = make({ hour, minute: "2-digit" });
    dayTimeFormat = make({ weekday: "short", day: "numeric", month: "short", hour, minute: "2-digit" });
    fullFormat = make({ weekday: "long", day: "numeric", month: "long", year: "numeric", hour, minute: "2-digit", timeZoneName: "short" });
    dayKeyFormat = make({ year: "numeric", month: "2-digit", day: "2-digit" });
    relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  }

  function setTimeZone(zone) {
    timeZone = zone || undefined;
    makeFormats();
  }
  setTimeZone(undefined);

  function clockTime(iso) {
    const at = Date.parse(iso);
    return Number.isNaN(at) ? "" : timeFormat.format(at);
  }

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
    if (!id) return t("common.someone");
    return id === state.sub ? t("common.you") : id;
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
    let hint = `${tn("reply.characters", chars)} · ${tn("reply.segments", info.parts)}`;
    if (info.encoding === "UCS-2") hint += ` ${t("reply.ucs2")}`;
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
    state.unseen.clear();
    updateTitle();
    state.challenge = null;
    showSigninStep("password");
    signinProblem(message || "");
    if (!cognito) signinProblem(t("signin.notConfigured"));
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
        announce(t(result.challenge.name === "NEW_PASSWORD_REQUIRED" ? "signin.announceNewPassword" : "signin.announceMfa"));
      } else {
        showSignIn(t("signin.unsupportedStep", { step: result.challenge.name }));
      }
    } catch (error) {
      if (state.challenge && /session/i.test(error.message || "")) {
        // Cognito's session for the challenge ran out: only a fresh start helps.
        showSignIn(explainSignIn(error));
      } else {
        signinProblem(explainSignIn(error), fieldOnError);
      }
    } finally {
      // Whatever Cognito said, no password or code stays in the page.
      forgetSecrets();
      setSigninBusy(false);
    }
  }

  // What to tell the person for each way Cognito says no, in the console's language.
  function explainSignIn(error) {
    const code = error && error.code;
    const said = (error && error.message) || "";
    switch (code) {
      case "NotAuthorizedException":
        if (/attempts exceeded/i.test(said)) return t("cognito.tooManyPasswords");
        if (/disabled/i.test(said)) return t("cognito.disabled");
        if (/session/i.test(said)) return t("cognito.tooLong");
        return t("cognito.wrong");
      case "UserNotFoundException":
        return t("cognito.wrong");
      case "PasswordResetRequiredException":
        return t("cognito.resetRequired");
      case "UserNotConfirmedException":
        return t("cognito.notConfirmed");
      case "TooManyRequestsException":
      case "TooManyFailedAttemptsException":
      case "LimitExceededException":
        return t("cognito.tooManyAttempts");
      case "InvalidPasswordException": {
        const rules = said.replace(/^Password does not conform to policy:\s*/i, "").replace(/\.$/, "");
        return rules ? t("cognito.passwordRulesSaid", { rules }) : t("cognito.passwordRules");
      }
      case "CodeMismatchException":
        return t("cognito.codeWrong");
      case "ExpiredCodeException":
        return t("cognito.codeExpired");
      case "NetworkError":
        return t("cognito.unreachable");
      default:
        return t("cognito.failed", { code: code || "?" });
    }
  }

  function submitPassword(event) {
    event.preventDefault();
    const username = $("username").value.trim();
    const password = $("password").value;
    if (!username) return signinProblem(t("signin.needEmail"), "username");
    if (!password) return signinProblem(t("signin.needPassword"), "password");
    return signinStep(() => cognito.signIn(username, password), "password");
  }

  function submitNewPassword(event) {
    event.preventDefault();
    const password = $("new-password").value;
    if (password.length < 12) return signinProblem(t("signin.shortPassword"), "new-password");
    if ($("new-password-again").value !== password) {
      $("new-password-again").value = "";
      return signinProblem(t("signin.passwordsDiffer"), "new-password-again");
    }
    return signinStep(() => cognito.newPassword(state.challenge, password), "new-password");
  }

  function submitMfaCode(event) {
    event.preventDefault();
    const code = $("mfa-code").value.replace(/\s/g, "");
    if (!/^\d{6}$/.test(code)) return signinProblem(t("signin.needCode"), "mfa-code");
    return signinStep(() => cognito.mfaCode(state.challenge, code), "mfa-code");
  }

  // Tokens from Cognito (or this tab's sessionStorage after a reload) open the workspace.
  async function startSession(tokens) {
    const claims = decodeJwt(tokens.idToken);
    if (!claims || typeof claims.sub !== "string") {
      showSignIn(t("signin.badToken"));
      return;
    }
    if (!roleOf(claims)) {
      cognito.revoke(tokens.refreshToken).catch(() => {});
      const groups = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [];
      showSignIn(t(groups.includes("booking") ? "signin.bookingLogin" : "signin.notStaff"));
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
      if (error.status !== 401 && error.code !== "stale") signOut(t("signin.failed", { message: error.message }));
    }
  }

  function signOut(message) {
    const refreshToken = state.session && state.session.refreshToken;
    const wasSignedIn = Boolean(state.token);
    state.generation += 1;
    clearTimeout(schedulerTimer);
    clearTimeout(state.refreshTimer);
    schedulerTimer = null;
    sessionStorage.removeItem(SESSION_KEY);
    // Revoked at Cognito as well, so a copy of the refresh token is worth nothing either.
    if (refreshToken && cognito) cognito.revoke(refreshToken).catch(() => {});
    Object.assign(state, {
      token: null, session: null, claims: null, sub: null, tenant: null,
      selected: null, detail: null, refreshTimer: null, refreshing: null, challenge: null,
      threadKey: "", knownOpen: null, openPages: null, resolved: [], resolvedCursor: null, resolvedPages: 0,
      clockOffset: 0, dateOffset: 0, floorOffset: -Infinity, detailSignature: "", history: null,
    });
    state.unresolved.clear();
    state.unseen.clear();
    if (state.view) {
      const panel = $(`view-${state.view}`);
      if (panel) panel.hidden = true;
      const view = views.get(state.view);
      if (view && view.hide) view.hide();
      state.view = null;
    }
    renderNav();
    $("queue-list").replaceChildren();
    $("thread").replaceChildren();
    clearError();
    setConnectionProblem(null);
    if ($("pause-dialog").open) $("pause-dialog").close();
    $("username").value = "";
    showSignIn(message || "");
    announce(message || t("account.signedOut"));
    if (wasSignedIn) notify(signedOutListeners);
  }

  function startWorkspace() {
    $("signin").hidden = true;
    $("workspace").hidden = false;
    $("account").hidden = false;
    $("pause-box").hidden = false;
    // Pausing, resuming and sending failed texts again are for managers (CONTRACT.md, Roles).
    const manager = roleOf(state.claims) === "manager";
    $("pause-switch").disabled = !manager;
    $("redrive-button").hidden = !manager;
    $("redrive-managers-only").hidden = manager;
    renderShell();
    selectTab("open", false);
    showConversation(null);
    announce(t("account.signedInTo", { name: state.tenant ? state.tenant.name : "Rendezvous" }));
    renderNav();
    restartTasks();
    // The first look at everything, then the scheduler keeps it fresh.
    refreshQueue().catch(reportPollError);
    refreshSlow().catch(reportPollError);
    notify(signedInListeners);
    showView(firstView());
  }

  // ---- status and pause ------------------------------------------------------------------
  function applyStatus(status, quiet) {
    if (!status || typeof status !== "object") return;
    const wasPaused = state.tenant ? Boolean(state.tenant.paused) : null;
    const hadLocale = state.tenant ? state.tenant.locale : undefined;
    state.tenant = status;
    if (status.timezone && status.timezone !== timeZone) setTimeZone(status.timezone);
    if (status.locale !== hadLocale) chooseLocale();
    $("tenant-name").textContent = status.name || status.tenant_id || "";
    const paused = Boolean(status.paused);
    const box = $("pause-box");
    box.classList.toggle("is-paused", paused);
    const toggle = $("pause-switch");
    toggle.setAttribute("aria-checked", paused ? "true" : "false");
    const detail = paused ? pausedDetail(status) : runningDetail(status);
    $("pause-detail").textContent = detail;
    if (!quiet && wasPaused !== null && wasPaused !== paused) announce(detail);
    updateTitle();
  }

  function pausedDetail(status) {
    const by = status.paused_by ? who(status.paused_by) : "";
    const at = status.paused_at ? when(status.paused_at) : "";
    let detail = by && at ? t("pause.pausedByAt", { who: by, when: at })
      : by ? t("pause.pausedBy", { who: by }) : t("pause.paused");
    if (status.paused_reason) detail += t("pause.reasonSuffix", { reason: status.paused_reason });
    return detail + ".";
  }

  function runningDetail(status) {
    let detail = t("pause.running");
    if (status.resumed_by) {
      let resumed = status.resumed_at
        ? t("pause.resumedByAt", { who: who(status.resumed_by), when: when(status.resumed_at) })
        : t("pause.resumedBy", { who: who(status.resumed_by) });
      if (status.resumed_reason) resumed += t("pause.reasonSuffix", { reason: status.resumed_reason });
      detail += ` (${resumed})`;
    }
    return detail + ".";
  }

  function openPauseDialog() {
    const paused = Boolean(state.tenant && state.tenant.paused);
    $("pause-dialog-heading").textContent = t(paused ? "pause.resumeQuestion" : "pause.pauseQuestion");
    $("pause-dialog-text").textContent = t(paused ? "pause.resumeExplain" : "pause.pauseExplain");
    $("pause-confirm").textContent = t(paused ? "pause.resume" : "pause.pause");
    $("pause-reason").value = "";
    $("pause-error").textContent = "";
    $("pause-dialog").showModal();
    $("pause-reason").focus();
  }

  async function submitPause(event) {
    event.preventDefault();
    const reason = $("pause-reason").value.trim();
    if (!reason) {
      $("pause-error").textContent = t("pause.needReason");
      $("pause-reason").focus();
      return;
    }
    const paused = Boolean(state.tenant && state.tenant.paused);
    $("pause-confirm").disabled = true;
    try {
      const status = await api("POST", paused ? "/v1/resume" : "/v1/pause", { reason });
      $("pause-dialog").close();
      applyStatus(status);
      announce(status.paused ? t("pause.announcePaused") : `${t("pause.announceResumed")}${heldSummary(status.held)}`);
      $("pause-switch").focus();
    } catch (error) {
      if (error.status !== 401) $("pause-error").textContent = error.message;
    } finally {
      $("pause-confirm").disabled = false;
    }
  }

  // ---- the queue --------------------------------------------------------------------------
  function listPage(status, cursor) {
    const query = new URLSearchParams({ status, limit: String(PAGE_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    return api("GET", `/v1/queue?${query}`);
  }

  // Every item of a status, from the page after `first` (already fetched) on.
  async function listAll(status, first) {
    const page1 = first || await listPage(status, null);
    const items = [...(page1.items || [])];
    let cursor = page1.next_cursor;
    for (let page = 1; page < MAX_PAGES && cursor; page += 1) {
      const answer = await listPage(status, cursor);
      items.push(...(answer.items || []));
      cursor = answer.next_cursor;
    }
    return items;
  }

  function pageSignature(items) {
    return items.map((item) => `${item.item_id}:${item.version}`).join(",");
  }

  // The open items. Each refresh asks for the first, most urgent page alone (its answer
  // counts them all): the pages after it are fetched again only when that page or the
  // count changed, so an idle console's requests do not grow with the queue.
  async function listOpen() {
    const first = await listPage("open", null);
    const items = first.items || [];
    const known = state.openPages;
    let open;
    if (!first.next_cursor) open = items;
    else if (known && known.count === first.count && known.signature === pageSignature(items)) {
      open = [...items, ...known.beyond];
    } else open = await listAll("open", first);
    state.openPages = first.next_cursor
      ? { count: first.count, signature: pageSignature(items), beyond: open.slice(items.length) }
      : null;
    return open;
  }

  // Two answers may cross: an item's higher version is the newer truth.
  function keepNewer(item) {
    const known = state.unresolved.get(item.item_id);
    if (!known || !(known.version > item.version)) state.unresolved.set(item.item_id, item);
  }

  // The open items, every 20 s whatever the view: new ones are announced and counted in the
  // tab's title until someone looks at the queue.
  async function refreshOpen() {
    const open = await listOpen();
    const openIds = new Set(open.map((item) => item.item_id));
    for (const item of open) learnClock(item);
    if (state.knownOpen) {
      const added = open.filter((item) => !state.knownOpen.has(item.item_id) && !state.unresolved.has(item.item_id));
      if (added.length) announceNew(added);
    }
    let left = false;
    for (const [id, item] of state.unresolved) {
      if (item.status === "open" && !openIds.has(id)) {
        state.unresolved.delete(id);
        left = true;
      }
    }
    for (const id of state.unseen) if (!openIds.has(id)) state.unseen.delete(id);
    for (const item of open) keepNewer(item);
    state.knownOpen = openIds;
    afterLists();
    // Someone claimed or resolved one: the queue on screen shows who, now rather than later.
    if (left && state.view === "queue") await refreshClaimed();
  }

  // The claimed items: the queue view's own refresh (every 60 s while it is on screen).
  async function refreshClaimed() {
    const claimed = await listAll("claimed");
    const ids = new Set(claimed.map((item) => item.item_id));
    for (const item of claimed) learnClock(item);
    for (const [id, item] of state.unresolved) {
      if (item.status === "claimed" && !ids.has(id)) state.unresolved.delete(id);
    }
    for (const item of claimed) keepNewer(item);
    state.claimedAt = Date.now();
    afterLists();
  }

  async function refreshQueue() {
    await Promise.all([refreshOpen(), refreshClaimed()]);
  }

  function refreshQueueView() {
    return refreshClaimed();
  }

  function showQueueView(changed) {
    if (changed) renderQueue();
    markSeen();
    if (!state.claimedAt || Date.now() - state.claimedAt > VIEW_EVERY_MS) refreshClaimed().catch(reportPollError);
    if (!state.slowAt || Date.now() - state.slowAt > SLOW_EVERY_MS) refreshSlow().catch(reportPollError);
  }

  function announceNew(added) {
    const stops = added.filter(isStop).length;
    let message = tn("queue.newItems", added.length);
    if (stops === added.length) message += ` ${tn("queue.newAllStops", added.length)}`;
    else if (stops) message += ` ${tn("queue.newSomeStops", stops)}`;
    announce(message);
    for (const item of added) state.unseen.add(item.item_id);
    markSeen();
  }

  function isStop(item) {
    return item.intent === "stop_request" || (item.flags || []).includes("stop_request");
  }

  // New items count as seen once the queue is on screen in a window that has the focus.
  function markSeen() {
    if (state.view === "queue" && !document.hidden && document.hasFocus()) state.unseen.clear();
    updateTitle();
  }

  // The open conversation is fetched again only when the lists say its item changed.
  function itemSignature(item) {
    return item ? `${item.version}|${item.status}|${item.message_count}` : "gone";
  }

  function afterLists() {
    const selected = state.selected;
    if (selected && state.detail && state.detail.item.item_id === selected) {
      const listed = itemSignature(state.unresolved.get(selected));
      const shown = itemSignature(state.detail.item);
      const settled = listed === "gone" && state.detail.item.status === "resolved";
      if (listed !== shown && !settled && listed !== state.detailSignature) {
        state.detailSignature = listed;
        refreshDetail(false).catch((error) => {
          state.detailSignature = ""; // the next refresh tries again
          reportPollError(error);
        });
      }
    }
    renderQueue();
    $("queue-updated").textContent = t("queue.updated", { time: timeFormat.format(now()) });
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

  // The most urgent first: what is due soonest (overdue items are due in the past).
  function sortByDue(items) {
    const at = (item) => Date.parse(item.due_by) || Date.parse(item.created_at) || 0;
    return items.sort((a, b) => at(a) - at(b) || Date.parse(a.created_at) - Date.parse(b.created_at));
  }

  function visibleItems() {
    if (state.tab === "resolved") return state.resolved;
    const all = sortByDue([...state.unresolved.values()]);
    return state.tab === "mine" ? all.filter(mine) : all;
  }

  function updateTitle() {
    const name = state.tenant ? state.tenant.name : "";
    const count = state.unseen.size;
    document.title = `${count ? `(${count}) ` : ""}${name ? t("title.console", { name }) : t("title.signIn")}`;
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
    // Only rows out of place move: a node that stays is never moved, so it keeps the focus.
    let cursor = list.firstElementChild;
    for (const item of items) {
      let li = existing.get(item.item_id);
      if (!li) {
        li = el("li", { class: "queue-item", "data-item-id": item.item_id, "data-phone": item.phone || "" },
          el("button", { type: "button", class: "item-open" }));
      }
      fillQueueItem(li, item);
      if (li === cursor) cursor = cursor.nextElementSibling;
      else list.insertBefore(li, cursor);
    }
    const empty = $("queue-empty");
    empty.hidden = items.length > 0;
    empty.textContent = t({ open: "queue.emptyOpen", mine: "queue.emptyMine", resolved: "queue.emptyResolved" }[state.tab]);
    $("load-more").hidden = !(state.tab === "resolved" && state.resolvedCursor);
    updateTitle();
  }

  // "+33 ••• 5678": enough to tell two nameless customers apart, not a number to read out
  // across the desk. The conversation shows it whole.
  function maskedPhone(phone) {
    if (!phone) return t("queue.unknownNumber");
    return phone.length > 7 ? `${phone.slice(0, 3)} ••• ${phone.slice(-4)}` : phone;
  }

  function label(prefix, code) {
    return hasText(`${prefix}.${code}`) ? t(`${prefix}.${code}`) : words(code);
  }

  function fillQueueItem(li, item) {
    const overdue = Boolean(item.overdue) && item.status !== "resolved";
    li.classList.toggle("is-overdue", overdue);
    li.classList.toggle("is-stop", isStop(item));
    const button = li.firstElementChild;
    if (item.item_id === state.selected) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    const signature = [currentLocale(), item.version, item.status, item.claimed_by, overdue, leaseLive(item),
      item.status === "resolved" ? relative(item.resolved_at) : dueText(item), item.message_count,
      item.customer_name, item.appointment_status, when(item.visit_at)].join("|");
    if (li.dataset.signature === signature) return; // unchanged: leave what a screen reader is on
    li.dataset.signature = signature;
    const flags = (item.flags || []).filter((flag) => flag !== item.intent);
    const top = el("span", { class: "item-top" },
      el("span", { class: item.customer_name ? "item-name" : "item-phone" }, item.customer_name || maskedPhone(item.phone)),
      el("span", { class: `badge badge-${item.intent}` }, label("intent", item.intent)),
      ...flags.map((flag) => el("span", { class: `badge badge-flag badge-${flag}` }, label("flag", flag))),
      overdue ? el("span", { class: "badge badge-overdue" }, t("queue.overdue")) : null,
      item.status === "claimed" && leaseLive(item)
        ? el("span", { class: "badge badge-claimed" }, t(item.claimed_by === state.sub ? "queue.yours" : "queue.claimed"))
        : null);
    const visit = item.visit_at ? el("span", { class: "item-visit" },
      item.appointment_status && item.appointment_status !== "scheduled"
        ? t("queue.visitStatus", { when: when(item.visit_at), status: label("appointment", item.appointment_status) })
        : t("queue.visit", { when: when(item.visit_at) })) : null;
    const meta = [];
    if (item.status === "resolved") {
      meta.push(t("queue.resolvedBy", { when: item.resolved_at ? relative(item.resolved_at) : "", who: who(item.resolved_by) }));
    } else {
      meta.push(el("span", { class: overdue ? "overdue-text" : "" }, dueText(item)));
      if (leaseLive(item)) meta.push(t("queue.claimedBy", { who: who(item.claimed_by) }));
    }
    meta.push(tn("queue.messages", item.message_count || 0));
    const metaNode = el("span", { class: "item-meta" });
    meta.forEach((part, index) => {
      if (index) metaNode.append(" · ");
      metaNode.append(part);
    });
    const preview = el("span", { class: "item-preview" }, item.preview || t("queue.noText"));
    button.replaceChildren(...[top, visit, preview, metaNode].filter(Boolean));
  }

  function dueText(item) {
    if (!item.overdue) return t("queue.due", { when: relative(item.due_by) });
    // Relative only when this page can tell how long ago (the server's clock may have moved on).
    return Date.parse(item.due_by) < now() - 60000
      ? t("queue.wasDue", { when: relative(item.due_by) })
      : t("queue.overdueSince", { when: when(item.due_by) });
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
    state.history = null;
    state.threadKey = "";
    state.detailSignature = "";
    $("conv-error").textContent = "";
    $("conv-empty").hidden = Boolean(itemId);
    $("conv-body").hidden = !itemId;
    $("conv-readonly").hidden = true;
    $("conv-actions").hidden = false;
    $("reply-form").hidden = false;
    $("conv-heading").textContent = t("conv.heading");
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
        $("conv-error").textContent = t("conv.gone");
        return;
      }
      throw error;
    }
    if (state.selected !== itemId) return;
    const before = state.detail;
    state.detail = detail;
    if (detail.item) {
      learnClock(detail.item);
      if (detail.item.status === "resolved") state.unresolved.delete(itemId);
      else state.unresolved.set(itemId, detail.item);
      state.detailSignature = itemSignature(detail.item);
    }
    renderConversation(before, announceLoad);
  }

  function customerLabel(name, phone) {
    if (name && phone) return `${name} (${phone})`;
    return name || phone || t("conv.aCustomer");
  }

  function renderConversation(before, announceLoad) {
    const { item, messages = [], appointment } = state.detail;
    const name = item.customer_name || (appointment && appointment.customer && appointment.customer.name);
    $("conv-heading").textContent = t("conv.with", { who: customerLabel(name, item.phone) });
    $("conv-stop").hidden = !isStop(item);
    const summary = [label("intent", item.intent), t("conv.started", { when: when(item.created_at) })];
    if (item.status !== "resolved") {
      summary.push(item.overdue
        ? t("conv.overdue", { when: when(item.due_by) })
        : t("conv.dueAt", { relative: relative(item.due_by), when: when(item.due_by) }));
    }
    for (const flag of item.flags || []) if (flag !== item.intent) summary.push(label("flag", flag));
    $("conv-summary").textContent = summary.join(" · ");
    renderState(item, before);
    renderAppointment(appointment, item, messages);
    renderThread(messages, before, announceLoad, item.phone);
  }

  function renderState(item, before) {
    const stateLine = $("conv-state");
    const live = leaseLive(item);
    const isMine = live && item.claimed_by === state.sub;
    const isOther = live && !isMine;
    let text;
    if (item.status === "resolved") {
      text = item.resolved_at
        ? t("conv.resolvedByAt", { who: who(item.resolved_by), when: when(item.resolved_at) })
        : t("conv.resolvedBy", { who: who(item.resolved_by) });
    } else if (isMine) {
      text = t("conv.claimedByYou", { when: when(item.lease_expires_at) });
    } else if (isOther) {
      text = t("conv.claimedByOther", { who: item.claimed_by, when: when(item.lease_expires_at) });
    } else if (item.status === "claimed") {
      text = t("conv.claimLapsed", { who: who(item.claimed_by), when: relative(item.lease_expires_at) });
    } else {
      text = t("conv.notClaimed");
    }
    stateLine.textContent = text;
    stateLine.classList.toggle("is-mine", isMine);
    stateLine.classList.toggle("is-other", isOther);

    const resolved = item.status === "resolved";
    $("claim-button").disabled = resolved || live;
    $("claim-button").textContent = t(isMine ? "conv.claimed" : "conv.claim");
    $("release-button").disabled = !isMine;
    $("resolve-button").disabled = !isMine;
    $("reply-text").disabled = !isMine;
    $("send-button").disabled = !isMine;
    $("reply-why").textContent = isMine ? ""
      : resolved ? t("conv.whyResolved")
        : isOther ? t("conv.whyOther", { who: item.claimed_by })
          : t("conv.whyClaim");

    if (before && before.item && before.item.item_id === item.item_id) {
      const was = before.item;
      if (was.claimed_by !== item.claimed_by || was.status !== item.status) {
        if (isOther) announce(t("conv.announceClaimed", { who: item.claimed_by }));
        else if (resolved && item.resolved_by !== state.sub) announce(t("conv.announceResolved", { who: who(item.resolved_by) }));
      }
    }
  }

  // The appointment as it is now; its status stands out when it changed after the customer's
  // last text (they confirmed, then a colleague cancelled: the reply must not say "see you").
  function renderAppointment(appointment, item, messages) {
    const details = $("appt-details");
    const changed = $("appt-changed");
    $("appt-none").hidden = Boolean(appointment);
    details.hidden = !appointment;
    changed.hidden = true;
    if (!appointment) {
      details.replaceChildren();
      return;
    }
    const status = (item && item.appointment_status) || appointment.status;
    const lastText = [...(messages || [])].reverse().find((m) => m.direction === "inbound");
    const changedAt = item && Date.parse(item.appointment_changed_at);
    const isChanged = Boolean(changedAt) && (!lastText || changedAt > Date.parse(lastText.at));
    const rows = [];
    const add = (term, value, className) => {
      if (value === null || value === undefined || value === "") return;
      rows.push(el("dt", {}, term), el("dd", { class: className || null }, value));
    };
    const customer = appointment.customer || {};
    add(t("appt.customer"), customer.name);
    add(t("appt.phone"), customer.phone);
    if (appointment.starts_at) add(t("appt.when"), timeElement(appointment.starts_at, fullWhen(appointment.starts_at)));
    if (appointment.duration_minutes) add(t("appt.length"), t("common.minutes", { count: appointment.duration_minutes }));
    add(t("appt.status"), status ? label("appointment", status) : "", isChanged ? "is-changed" : null);
    add(t("appt.service"), appointment.service);
    add(t("appt.with"), appointment.provider || appointment.staff);
    add(t("appt.where"), appointment.location);
    add(t("appt.reference"), appointment.appointment_id);
    details.replaceChildren(...rows);
    if (isChanged && status) {
      changed.textContent = t("appt.changedSince", { status: label("appointment", status), when: when(item.appointment_changed_at) });
      changed.hidden = false;
    }
  }

  const KEYWORD_MEANINGS = {
    C: "confirm", CONFIRM: "confirm", Y: "confirm", OK: "confirm", OUI: "confirm", SI: "confirm",
    X: "cancel", R: "reschedule", RESCHEDULE: "reschedule", YES: "yes", HELP: "help", INFO: "help",
    STOP: "stop", STOPALL: "stop", UNSUBSCRIBE: "stop", END: "stop", QUIT: "stop", CANCEL: "stop",
    REVOKE: "stop", OPTOUT: "stop", START: "start", UNSTOP: "start",
  };

  // What a text is: an automated reminder, a keyword reply ("Replied C (confirm)"), a
  // person's answer, an acknowledgement, or the customer's own words.
  function kindLabel(message) {
    switch (message.kind) {
      case "automated":
        return t("thread.automated", { kind: messageKindText(message.message_kind) });
      case "keyword": {
        const keyword = String(message.keyword || message.body || "").trim().toUpperCase();
        const meaning = KEYWORD_MEANINGS[keyword];
        return meaning
          ? t("thread.keyword", { keyword, meaning: t(`keyword.${meaning}`) })
          : t("thread.keywordBare", { keyword });
      }
      case "auto_reply":
        return t("thread.autoReply");
      case "staff":
        return message.author === state.sub ? t("thread.you") : (message.author || t("thread.staff"));
      case "text":
        return t("thread.customer");
      default:
        return authorLabel(message);
    }
  }

  // reminder_24h -> "Reminder (24 h before)"; reminder_90m -> "Reminder (90 min before)".
  function messageKindText(kind) {
    const reminder = /^reminder_(\d+)([hm])$/.exec(String(kind || ""));
    if (!reminder) return label("messageKind", kind);
    const lead = reminder[2] === "h" ? `${reminder[1]} h` : t("common.minutes", { count: reminder[1] });
    return t("messageKind.reminderIn", { lead });
  }

  function authorLabel(message) {
    if (message.author === "customer") return t("thread.customer");
    if (message.author === "automation") return t("thread.automatedText");
    if (message.author === state.sub) return t("thread.you");
    return message.author || t(message.direction === "inbound" ? "thread.customer" : "thread.staff");
  }

  function renderThread(messages, before, announceLoad, phone) {
    const last = messages[messages.length - 1];
    const key = `${currentLocale()}|${messages.length}|${last ? last.at + last.body : ""}|${messages.map((m) => m.status || "").join(",")}`;
    if (key === state.threadKey) return;
    const previousCount = before && before.item && state.detail && before.item.item_id === state.detail.item.item_id
      ? (before.messages || []).length : null;
    state.threadKey = key;
    const thread = $("thread");
    thread.replaceChildren(...messages.map((message) => {
      const kind = message.kind || (message.author === "automation" ? "automated" : "");
      const meta = [timeElement(message.at)];
      if (message.direction === "outbound" && message.status) {
        meta.push(" · ", el("span", { class: `msg-status status-${message.status}` }, label("delivery", message.status)));
      }
      return el("li", { class: `msg msg-${message.direction}${kind ? ` msg-${kind}` : ""}` },
        el("p", { class: "visually-hidden" }, t(message.direction === "inbound" ? "thread.received" : "thread.sent")),
        el("p", { class: "msg-kind" }, kindLabel(message)),
        el("p", { class: "msg-body" }, message.body),
        el("p", { class: "msg-meta" }, ...meta));
    }));
    thread.scrollTop = thread.scrollHeight;
    if (previousCount !== null && messages.length > previousCount) {
      const added = messages.slice(previousCount);
      const fromCustomer = added.filter((m) => m.direction === "inbound").length;
      if (fromCustomer) announce(t("thread.announceNew", { body: added[added.length - 1].body }));
    } else if (announceLoad) {
      announce(tn("thread.announceLoad", messages.length, { who: phone || "" }));
    }
  }

  // ---- RV.openConversation: from the day view, a customer's texts ---------------------------
  // The open item of that number when there is one; else the number's history, read-only.
  async function openConversation(phone, appointmentId) {
    showView("queue");
    const listed = [...state.unresolved.values()].find((item) => item.phone === phone);
    if (listed) return openItem(listed.item_id);
    let recipient;
    try {
      recipient = await api("GET", `/v1/recipients/${encodeURIComponent(phone)}`);
    } catch (error) {
      if (error.status !== 401) showError(error.message);
      return undefined;
    }
    if (recipient.open_item_id) return openItem(recipient.open_item_id);
    showHistory(phone, recipient, appointmentId);
    return undefined;
  }

  function showHistory(phone, recipient, appointmentId) {
    showConversation(null);
    state.history = { phone, recipient, appointmentId };
    $("conv-empty").hidden = true;
    $("conv-body").hidden = false;
    $("conv-actions").hidden = true;
    $("reply-form").hidden = true;
    $("conv-state").textContent = "";
    $("conv-stop").hidden = true;
    renderHistory();
    $("conv-heading").focus();
  }

  function renderHistory() {
    const { phone, recipient, appointmentId } = state.history;
    $("conv-heading").textContent = t("conv.historyWith", { who: customerLabel(recipient.name, phone) });
    const notes = [t("conv.readOnly")];
    if (recipient.opted_out) notes.push(t("conv.optedOut"));
    if (recipient.undeliverable) notes.push(t("conv.undeliverable"));
    $("conv-readonly").textContent = notes.join(" ");
    $("conv-readonly").hidden = false;
    $("conv-summary").textContent = "";
    const appointments = recipient.appointments || [];
    const chosen = appointments.find((a) => a.appointment_id === appointmentId) || null;
    renderAppointment(chosen && { ...chosen, customer: { name: recipient.name, phone } }, null, recipient.messages);
    state.threadKey = "";
    renderThread(recipient.messages || [], null, true, phone);
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
      if (error.code === "opted_out") message = t("conv.optedOutError", { message: error.message });
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
      announce(t("conv.announceYours", { when: when(answer.lease_expires_at || answer.item.lease_expires_at) }));
      $("reply-text").focus();
    }
  }

  async function release() {
    if (await act("release")) {
      announce(t("conv.announceReleased"));
      $("claim-button").focus();
    }
  }

  async function resolve() {
    if (await act("resolve")) {
      announce(t("conv.announceResolvedSelf"));
      showConversation(null);
      $("queue-heading").focus();
    }
  }

  async function sendReply(event) {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) {
      $("conv-error").textContent = t("conv.writeFirst");
      $("reply-text").focus();
      return;
    }
    const answer = await act("reply", { body: text });
    if (answer) {
      $("reply-text").value = "";
      updateReplyHint();
      announce(t("conv.announceSent"));
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
    state.outbox = { hours: Number(hours), messages: answer.messages || [] };
    renderOutbox();
  }

  function renderOutbox() {
    if (!state.outbox) return;
    const { hours, messages } = state.outbox;
    $("outbox-empty").hidden = messages.length > 0;
    $("outbox-empty").textContent = tn("outbox.empty", hours);
    $("outbox-table").hidden = messages.length === 0;
    $("outbox-rows").replaceChildren(...messages.map((m) => el("tr", {},
      el("td", {}, timeElement(m.send_at)),
      el("td", {}, m.customer_name || m.phone || "", m.customer_name && m.phone ? el("br") : null,
        m.customer_name && m.phone ? el("span", { class: "muted small" }, m.phone) : null),
      el("td", {}, messageKindText(m.kind), " ",
        el("span", { class: `outbox-status status-${m.status}` },
          label("delivery", m.status), m.reason ? ` (${label("reason", m.reason)})` : "")))));
    // Texts whose every retry met an outage wait for someone to send them again.
    const failed = messages.filter((m) => m.status === "failed" && m.reason === "retries_exhausted");
    $("redrive-box").hidden = failed.length === 0;
    $("redrive-text").textContent = tn("outbox.failedAfterRetries", failed.length);
  }

  function skippedSummary(suppressed) {
    const skipped = Object.entries(suppressed || {});
    if (!skipped.length) return "";
    return ` ${t("outbox.notSent", { list: skipped.map(([reason, n]) => `${n} ${label("reason", reason)}`).join(", ") })}`;
  }

  // What a resume or a redrive did with the texts it found: "3 sent again, 1 not sent (too late)".
  function heldSummary(result) {
    if (!result) return "";
    const message = result.queued ? ` ${tn("outbox.sendingHeld", result.queued)}` : "";
    return message + skippedSummary(result.suppressed);
  }

  async function refreshSlow() {
    const generation = state.generation;
    state.slowAt = Date.now();
    const results = await Promise.allSettled([refreshOutbox(), refreshStats()]);
    if (generation !== state.generation) return;
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  async function refreshStats() {
    state.stats = await api("GET", "/v1/stats?days=7");
    renderStats();
  }

  function renderStats() {
    const s = state.stats;
    if (!s) return;
    const queue = s.queue || {};
    const fill = s.fill || {};
    const suppressed = Object.entries(s.suppressed || {});
    const suppressedTotal = suppressed.reduce((sum, [, n]) => sum + n, 0);
    const stat = (key, value, note) => el("div", { class: "stat" },
      el("dt", {}, t(key)), el("dd", {}, String(value ?? "–"), note ? el("small", {}, note) : null));
    $("stats-heading").textContent = tn("stats.heading", s.days || 7);
    $("stats").replaceChildren(
      stat("stats.sent", s.sent),
      stat("stats.delivered", s.delivered),
      stat("stats.failed", s.failed),
      stat("stats.notSent", suppressedTotal, suppressed.map(([reason, n]) => `${label("reason", reason)}: ${n}`).join(", ")),
      stat("stats.confirmed", s.confirmed),
      stat("stats.cancelled", s.cancelled),
      stat("stats.optOuts", s.opt_outs),
      stat("stats.replies", s.replies),
      stat("stats.waiting", queue.open, queue.overdue ? t("stats.overdue", { count: queue.overdue }) : null),
      stat("stats.claimed", queue.claimed),
      stat("stats.resolved", queue.resolved),
      stat("stats.medianWait", queue.median_wait_minutes === null || queue.median_wait_minutes === undefined
        ? "–" : t("common.minutes", { count: Math.round(queue.median_wait_minutes) })),
      // Vacancy fill: freed slots, the offers they made, and how they ended.
      stat("stats.openings", fill.openings),
      stat("stats.offersSent", fill.offers_sent),
      stat("stats.filled", fill.filled),
      stat("stats.timeToFill", fill.median_time_to_fill_minutes === null || fill.median_time_to_fill_minutes === undefined
        ? "–" : t("common.minutes", { count: Math.round(fill.median_time_to_fill_minutes) })),
      stat("stats.expiredUnfilled", fill.expired_unfilled),
    );
  }

  // Everything on screen in the current language (after a switch, or once signed in).
  function renderShell() {
    translatePage();
    for (const option of $("outbox-hours").options) option.textContent = tn("common.hours", Number(option.value));
    $("locale-select").value = currentLocale();
    const c = state.claims;
    $("signed-in-as").textContent = c ? t("account.signedInAs", { who: c.email || c["cognito:username"] || c.sub }) : "";
    // Emptied rather than hidden: the switch's description names it, hidden or not.
    $("pause-managers-only").textContent = c && roleOf(c) !== "manager" ? t("pause.managersOnly") : "";
    if (!$("stats").childElementCount) $("stats-heading").textContent = tn("stats.heading", 7);
    if (state.tenant) applyStatus(state.tenant, true);
    renderNav();
    updateReplyHint();
    for (const li of $("queue-list").children) delete li.dataset.signature;
    renderQueue();
    if (state.token && $("queue-updated").textContent) $("queue-updated").textContent = t("queue.updated", { time: timeFormat.format(now()) });
    if (state.detail) {
      state.threadKey = "";
      renderConversation(state.detail, false);
    } else if (state.history) {
      renderHistory();
    } else if (state.selected === null) {
      $("conv-heading").textContent = t("conv.heading");
    }
    renderOutbox();
    renderStats();
  }

  // ---- the one scheduler (RV.poll) --------------------------------------------------------
  // Every refresh of every view goes through here, so the budget, the hidden-tab rule and the
  // backoff hold for all: nothing runs while signed out or while the tab is hidden; a tab
  // that becomes visible runs what fell due, once; a refresh that fails waits twice as long
  // each time, up to 5 minutes.
  const tasks = new Map(); // name -> { everyMs, fn, due, failures, running }
  let schedulerTimer = null;

  function registerPoll(name, everyMs, fn) {
    const previous = tasks.get(name);
    tasks.set(name, {
      everyMs, fn, failures: 0, running: previous ? previous.running : false,
      due: previous ? previous.due : Date.now() + everyMs,
    });
    schedule();
  }

  // Never sooner than the task's own interval: a task polled every 15 minutes that fails is
  // not tried again every 5.
  function backoff(task) {
    return Math.min(Math.max(MAX_BACKOFF_MS, task.everyMs), task.everyMs * 2 ** task.failures);
  }

  function schedule() {
    clearTimeout(schedulerTimer);
    schedulerTimer = null;
    if (!state.token || document.hidden) return;
    let next = Infinity;
    for (const task of tasks.values()) if (!task.running) next = Math.min(next, task.due);
    if (next !== Infinity) schedulerTimer = setTimeout(runDue, Math.max(0, next - Date.now()));
  }

  // A task to run at the next turn (after an action, or a view that just came on screen).
  function pollNow(name) {
    const task = tasks.get(name);
    if (!task) return;
    task.due = Date.now();
    schedule();
  }

  function restartTasks() {
    const at = Date.now();
    for (const task of tasks.values()) Object.assign(task, { due: at + task.everyMs, failures: 0, running: false });
    schedule();
  }

  async function runDue() {
    schedulerTimer = null;
    const generation = state.generation;
    if (!state.token || document.hidden) return;
    // Timers stop while a laptop sleeps: tokens that expired meanwhile are renewed first.
    if (expiresAt() - REFRESH_BEFORE_MS <= Date.now()) {
      await refreshTokens();
      if (generation !== state.generation || !state.token) return;
    }
    const at = Date.now();
    const due = [...tasks.values()].filter((task) => !task.running && task.due <= at);
    for (const task of due) task.running = true;
    schedule();
    const results = await Promise.allSettled(due.map((task) => Promise.resolve().then(task.fn)));
    if (generation !== state.generation) return;
    let failure = null;
    due.forEach((task, index) => {
      task.running = false;
      const result = results[index];
      if (result.status === "fulfilled" || result.reason?.code === "stale" || result.reason?.status === 401) {
        task.failures = 0;
        task.due = Date.now() + task.everyMs;
      } else {
        task.failures += 1;
        task.due = Date.now() + backoff(task);
        failure = failure || { error: result.reason, retryMs: backoff(task) };
      }
    });
    if (failure) reportPollError(failure.error, failure.retryMs);
    else if (due.length) setConnectionProblem(null);
    schedule();
  }

  function reportPollError(error, retryMs) {
    if (!error || error.code === "stale" || error.status === 401) return;
    if (error.status === 0) {
      const seconds = Math.round((retryMs || QUEUE_EVERY_MS) / 1000);
      setConnectionProblem(`${error.message} ${seconds < 60
        ? tn("common.retrySeconds", seconds)
        : tn("common.retryMinutes", Math.round(seconds / 60))}`);
    } else showError(error.message);
  }

  function onVisibility() {
    if (document.hidden) {
      clearTimeout(schedulerTimer);
      schedulerTimer = null;
    } else {
      schedule(); // what fell due while hidden runs now, once
      markSeen();
    }
  }

  // ---- views (RV.registerView / RV.showView) -------------------------------------------------
  const views = new Map(); // name -> { label, roles, show, hide, refresh }

  function allowed(view) {
    const role = state.claims ? roleOf(state.claims) : null;
    return Boolean(role) && (!view.roles || view.roles.includes(role));
  }

  function registerView(name, view) {
    views.set(name, view);
    renderNav();
  }

  function orderedViews() {
    const rank = (name) => (VIEW_ORDER.includes(name) ? VIEW_ORDER.indexOf(name) : VIEW_ORDER.length);
    return [...views.entries()].sort(([a], [b]) => rank(a) - rank(b));
  }

  function renderNav() {
    const nav = $("views");
    const buttons = orderedViews().filter(([, view]) => allowed(view)).map(([name, view]) => {
      const button = el("button", { type: "button", class: "quiet", "data-view": name }, t(view.label));
      if (name === state.view) button.setAttribute("aria-current", "page");
      button.addEventListener("click", () => showView(name));
      return button;
    });
    nav.replaceChildren(...buttons);
    nav.hidden = !state.token || buttons.length < 2;
  }

  function showView(name) {
    const view = views.get(name);
    if (!view || !allowed(view)) return false;
    const previous = state.view;
    if (previous && previous !== name) {
      const panel = $(`view-${previous}`);
      if (panel) panel.hidden = true;
      const old = views.get(previous);
      if (old && old.hide) old.hide();
    }
    state.view = name;
    const panel = $(`view-${name}`);
    if (panel) panel.hidden = false;
    for (const button of $("views").querySelectorAll("button[data-view]")) {
      if (button.dataset.view === name) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
    if (view.show) view.show(previous !== name);
    return true;
  }

  function firstView() {
    if (views.has("day") && allowed(views.get("day"))) return "day";
    const found = orderedViews().find(([, view]) => allowed(view));
    return found ? found[0] : null;
  }

  function refreshVisibleView() {
    const view = state.view && views.get(state.view);
    return view && view.refresh ? view.refresh() : undefined;
  }

  // ---- the language ------------------------------------------------------------------------
  function storedLocale() {
    try { return supportedLocale(localStorage.getItem(LOCALE_KEY)); } catch { return null; }
  }

  // The person's own choice first, then the business's language, then the browser's.
  function chooseLocale() {
    const tenantLocale = state.tenant && supportedLocale(state.tenant.locale);
    const browser = (navigator.languages || [navigator.language]).map(supportedLocale).find(Boolean);
    setLocale(storedLocale() || tenantLocale || browser || "en");
    $("locale-select").value = currentLocale();
  }

  function pickLocale() {
    const code = $("locale-select").value;
    try { localStorage.setItem(LOCALE_KEY, code); } catch { /* private mode: this page only */ }
    // The last announcement is in the old language; a screen reader would still find it.
    clearTimeout(announceTimer);
    $("announcer").textContent = "";
    setLocale(code);
  }

  const signedInListeners = [];
  const signedOutListeners = [];

  function notify(listeners, ...args) {
    for (const listener of listeners) {
      try { listener(...args); } catch (error) { console.error(error); }
    }
  }

  // ---- wiring ------------------------------------------------------------------------------
  function wire() {
    $("signin-form").addEventListener("submit", submitPassword);
    $("new-password-form").addEventListener("submit", submitNewPassword);
    $("mfa-form").addEventListener("submit", submitMfaCode);
    $("signin-restart").addEventListener("click", () => showSignIn(""));
    $("sign-out").addEventListener("click", () => signOut(t("account.signedOut")));
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
    // Sending them again has one home, the managers' view (manage.js).
    $("redrive-button").addEventListener("click", () => { showView("manage"); });
    $("locale-select").addEventListener("change", pickLocale);
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("focus", markSeen);
  }

  // What desk.js and manage.js build on (COMMON interface of issue 13).
  Object.assign(RV, {
    api: (method, path, body, options) => api(method, path, body, false, options),
    role: () => (state.claims ? roleOf(state.claims) : null),
    // The tenant the token is for (its custom:tenant_id claim), for what a page keeps per tenant.
    tenantId: () => (state.claims && typeof state.claims["custom:tenant_id"] === "string" ? state.claims["custom:tenant_id"] : null),
    tenant: () => (state.tenant ? {
      name: state.tenant.name, timezone: state.tenant.timezone,
      locale: state.tenant.locale || null, country: state.tenant.country || null,
    } : null),
    fmt: { time: clockTime, when, full: fullWhen, relative },
    announce,
    error: showError,
    onSignedIn: (fn) => { signedInListeners.push(fn); },
    onSignedOut: (fn) => { signedOutListeners.push(fn); },
    onLocale: (fn) => { onLocaleChange(fn); },
    registerView,
    showView,
    openConversation,
    poll: registerPoll,
    pollNow,
    el,
    segments: segmentInfo,
    kindText: messageKindText, // reminder_24h -> "Reminder (24 h before)"
    // The server's clock (its Date header): the local stack's virtual clock in tests.
    now,
  });

  registerView("queue", {
    label: "nav.queue",
    roles: ["manager", "staff"],
    show: showQueueView,
    hide: () => {},
    refresh: refreshQueueView,
  });
  registerPoll("queue", QUEUE_EVERY_MS, () => refreshOpen());
  registerPoll("status", STATUS_EVERY_MS, () => api("GET", "/v1/status").then(applyStatus));
  registerPoll("view", VIEW_EVERY_MS, refreshVisibleView);
  registerPoll("slow", SLOW_EVERY_MS, () => (state.view === "queue" ? refreshSlow() : undefined));

  function boot() {
    wire();
    onLocaleChange(() => {
      makeFormats();
      renderShell();
    });
    chooseLocale();
    renderShell();
    const tokens = cognito && storedSession();
    if (tokens) startSession(tokens);
    else showSignIn("");
  }

  boot();
})();
