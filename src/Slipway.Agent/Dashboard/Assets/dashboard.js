// Slipway dashboard: plain JavaScript, no dependencies. Every value from the server is put in the page as text, never as HTML.
"use strict";

const api = "/dashboard/api";
const state = { environments: new Map(), session: { loggedIn: false, csrfToken: null, loginEnabled: false } };

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "style") Object.assign(node.style, value);   // through CSSOM: the page's CSP forbids inline style attributes
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const short = sha => (sha ? sha.slice(0, 12) : "none");
const digestOf = image => (image && image.includes("@") ? image.slice(image.lastIndexOf("@") + 1) : image);
const when = iso => (iso ? new Date(iso).toLocaleString() : "never");
const percent = rate => (rate === null || rate === undefined ? "n/a" : (rate * 100).toFixed(1) + "%");
const milliseconds = value => (value === null || value === undefined ? "n/a" : value.toFixed(0) + " ms");

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "n/a";
  if (seconds < 120) return seconds.toFixed(0) + " s";
  if (seconds < 7200) return (seconds / 60).toFixed(0) + " min";
  if (seconds < 172800) return (seconds / 3600).toFixed(1) + " h";
  return (seconds / 86400).toFixed(1) + " days";
}

async function getJson(path) {
  const response = await fetch(api + path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

async function post(path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.session.csrfToken) headers["X-Slipway-CSRF"] = state.session.csrfToken;
  const response = await fetch(api + path, { method: "POST", headers, body: JSON.stringify(body || {}), credentials: "same-origin" });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `${response.status} ${response.statusText}`);
  return answer;
}

// ---- session --------------------------------------------------------------------------------------------------------

function showSession(session) {
  state.session = session;
  document.getElementById("login-form").hidden = session.loggedIn || !session.loginEnabled;
  document.getElementById("logged-in").hidden = !session.loggedIn;
  document.getElementById("read-only-note").hidden = session.loggedIn;
  renderEnvironments();
}

async function logIn(event) {
  event.preventDefault();
  const field = document.getElementById("operator-token");
  const error = document.getElementById("login-error");
  error.textContent = "";
  try {
    showSession(await post("/login", { token: field.value }));
    field.value = "";
  } catch (failure) {
    error.textContent = failure.message;
  }
}

async function logOut() {
  try {
    showSession(await post("/logout"));
  } catch (failure) {
    document.getElementById("login-error").textContent = failure.message;
  }
}

// ---- environments ---------------------------------------------------------------------------------------------------

function badge(text) {
  return el("span", { class: "badge " + String(text).toLowerCase(), text });
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.filter(Boolean).flatMap(([term, value]) => [el("dt", { text: term }), el("dd", {}, value)]));
}

function rolloutView(rollout) {
  if (!rollout) return null;
  const weight = rollout.canaryWeight;
  const rows = rollout.analysis.map(window => el("tr", {},
    el("td", { text: window.step }),
    el("td", { text: window.canaryWeight + "%" }),
    el("td", { text: `${window.canaryRequests} req, ${percent(window.canaryErrorRate)} errors, p95 ${milliseconds(window.canaryP95Ms)}` }),
    el("td", { text: `${window.stableRequests} req, ${percent(window.stableErrorRate)} errors, p95 ${milliseconds(window.stableP95Ms)}` }),
    el("td", {}, badge(window.verdict), " ", window.reason)));
  return el("div", { class: "rollout", "data-rollout-phase": rollout.phase },
    el("h4", {}, `${rollout.strategy} rollout of ${short(rollout.revision)} `, badge(rollout.phase)),
    facts([
      ["Step", el("span", { "data-testid": "rollout-step", text: `${rollout.step} of ${rollout.stepCount}` })],
      ["Weights", el("span", { "data-testid": "rollout-weights", text: `canary ${weight}%, stable ${100 - weight}%` })],
      rollout.message ? ["Message", rollout.message] : null,
      rollout.rollbackRevision ? ["Reverted by", el("code", { text: short(rollout.rollbackRevision) })] : null,
    ]),
    el("div", { class: "weights", role: "img", "aria-label": `canary ${weight}% of traffic, stable ${100 - weight}%` },
      el("div", { class: "canary", style: { width: weight + "%" } }), el("div", { class: "stable", style: { width: (100 - weight) + "%" } })),
    rows.length === 0 ? null : el("div", { class: "table-wrap" }, el("table", {},
      el("caption", { class: "visually-hidden", text: "Analysis windows" }),
      el("thead", {}, el("tr", {}, ["Step", "Canary weight", "Canary", "Stable", "Verdict"].map(h => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows))));
}

function actionsView(view) {
  if (!state.session.loggedIn) return null;
  const buttons = [];
  if (view.promotion && view.promotion.waiting)
    buttons.push(el("button", { type: "button", onclick: () => act(view.name, "approve") },
      `Approve promotion of ${short(digestOf(view.promotion.candidateImage))} from ${view.promotion.from}`));
  const confirm = el("button", { type: "button", class: "danger", hidden: true, onclick: () => act(view.name, "rollback") },
    `Confirm: roll ${view.name} back`);
  buttons.push(el("button", { type: "button", class: "secondary", onclick: event => { event.target.hidden = true; confirm.hidden = false; confirm.focus(); } },
    `Roll ${view.name} back…`), confirm);
  return el("div", { class: "actions" }, buttons);
}

function environmentCard(view) {
  const status = view.status;
  const change = view.lastChange;
  const trailers = change ? change.trailers : {};
  const promotion = view.promotion;
  return el("article", { class: "card", id: "environment-" + view.name, "aria-labelledby": "environment-title-" + view.name },
    el("h3", { id: "environment-title-" + view.name }, view.name, " ", badge(status.health)),
    facts([
      ["Digest", el("code", { "data-testid": "digest", text: status.imageDigest || "none yet" })],
      ["Version", view.version || "unknown"],
      ["Replicas", `${status.replicasReady} ready of ${status.replicasDesired}`],
      ["URL", view.url ? el("a", { href: view.url, text: view.url }) : "not serving yet"],
      ["Applied", `${short(status.appliedRevision)} at ${when(status.lastApplied)}`],
      change ? ["Last change", el("span", {}, el("code", { text: short(change.sha) }), " ", change.subject)] : null,
      trailers["Slipway-Source-Commit"] ? ["Source commit", el("code", { text: short(trailers["Slipway-Source-Commit"]) })] : null,
      status.refusedRevision ? ["Last refusal", el("span", { class: "error" }, el("code", { text: short(status.refusedRevision) }), ": ", status.lastError || "")] : null,
      !status.refusedRevision && status.lastError ? ["Problem", status.lastError] : null,
      promotion ? ["Promotion", `from ${promotion.from} (${promotion.approval})` +
        (promotion.alreadyThere ? ": up to date" : promotion.waiting ? `: waiting for approval of ${short(digestOf(promotion.candidateImage))}` :
          promotion.approved ? ": approved" : "")] : null,
    ]),
    rolloutView(status.rollout),
    actionsView(view));
}

function renderEnvironments() {
  const container = document.getElementById("environments");
  container.replaceChildren(...[...state.environments.values()].map(environmentCard));
}

async function loadEnvironments() {
  const views = await getJson("/environments");
  state.environments = new Map(views.map(view => [view.name, view]));
  renderEnvironments();
  fillEnvironmentChoices(views.map(view => view.name));
}

async function act(environment, action) {
  const result = document.getElementById("action-result");
  result.textContent = `${action} ${environment}…`;
  try {
    const answer = await post(`/environments/${encodeURIComponent(environment)}/${action}`);
    result.textContent = `${answer.message} (config commit ${short(answer.commit)}${answer.changed ? "" : ", nothing new"})`;
    result.dataset.commit = answer.commit;
    await Promise.all([loadEnvironments(), loadHistory()]);
  } catch (failure) {
    result.textContent = `${action} refused: ${failure.message}`;
  }
}

// ---- live feed ------------------------------------------------------------------------------------------------------

function connectFeed() {
  const feedState = document.getElementById("feed-state");
  const source = new EventSource(api + "/events");
  source.onopen = () => { feedState.textContent = "connected"; };
  source.onerror = () => { feedState.textContent = "reconnecting…"; };
  source.addEventListener("status", event => {
    const status = JSON.parse(event.data);
    const view = state.environments.get(status.name);
    if (!view) return;
    const applied = view.status.appliedRevision;
    view.status = status;
    const card = document.getElementById("environment-" + status.name);
    if (card) card.replaceWith(environmentCard(view));
    // A new revision applied: its commit, version and promotion state changed too.
    if (status.appliedRevision !== applied) Promise.all([loadEnvironments(), loadHistory(), loadFlags(), loadDora()]).catch(() => {});
  });
}

// ---- history and diffs ----------------------------------------------------------------------------------------------

function fillEnvironmentChoices(names) {
  for (const id of ["history-environment", "dora-environment"]) {
    const select = document.getElementById(id);
    if (select.options.length === names.length) continue;
    const chosen = select.value || (id === "dora-environment" && names.includes("production") ? "production" : names[0]);
    select.replaceChildren(...names.map(name => el("option", { value: name, text: name, selected: name === chosen })));
  }
}

async function loadHistory() {
  const environment = document.getElementById("history-environment").value;
  const list = document.getElementById("history");
  if (!environment) return;
  try {
    const entries = await getJson(`/environments/${encodeURIComponent(environment)}/history`);
    list.replaceChildren(...entries.map(entry => el("li", {},
      badge(entry.kind), " ", el("code", { text: short(entry.sha) }), " ", entry.subject, " ",
      el("span", { class: "note", text: when(entry.time) }), " ",
      el("button", { type: "button", class: "secondary", "aria-label": `Show the diff of ${short(entry.sha)}`, onclick: () => showCommit(entry.sha) }, "Diff"),
      el("div", { class: "trailers", text: Object.entries(entry.trailers).map(([key, value]) => `${key}: ${value}`).join(" · ") }))));
    if (entries.length === 0) list.replaceChildren(el("li", { text: "No commit changed this environment yet." }));
  } catch (failure) {
    list.replaceChildren(el("li", { class: "error", text: failure.message }));
  }
}

async function showCommit(sha) {
  const section = document.getElementById("diff-section");
  const pre = document.getElementById("diff");
  section.hidden = false;
  document.getElementById("diff-heading").textContent = "Commit " + short(sha);
  const response = await fetch(`${api}/commits/${encodeURIComponent(sha)}`);
  pre.textContent = response.ok ? await response.text() : `Could not show ${sha}: ${(await response.json().catch(() => ({}))).error || response.status}`;
  pre.focus();
}

// ---- DORA -----------------------------------------------------------------------------------------------------------

function figure(title, value, detail) {
  return el("div", { class: "figure" }, el("div", { text: title }), el("div", { class: "value", text: value }), el("div", { class: "note", text: detail }));
}

function deploysChart(days) {
  const svgNs = "http://www.w3.org/2000/svg";
  const width = 600, height = 160, left = 24, bottom = 20;
  const max = Math.max(1, ...days.map(day => day.deployments));
  const barWidth = (width - left) / Math.max(1, days.length);
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  const total = days.reduce((sum, day) => sum + day.deployments, 0);
  svg.setAttribute("aria-label", `Deployments per day: ${total} in ${days.length} days, at most ${max} in a day`);
  const shape = (name, attributes, text) => {
    const node = document.createElementNS(svgNs, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  days.forEach((day, index) => {
    const barHeight = (height - bottom - 10) * day.deployments / max;
    const failedHeight = (height - bottom - 10) * day.failed / max;
    const x = left + index * barWidth + 1;
    shape("rect", { class: "bar", x, y: height - bottom - barHeight, width: Math.max(1, barWidth - 2), height: barHeight });
    if (day.failed > 0) shape("rect", { class: "failed", x, y: height - bottom - failedHeight, width: Math.max(1, barWidth - 2), height: failedHeight });
  });
  shape("line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom });
  shape("text", { x: 0, y: 12 }, String(max));
  shape("text", { x: 0, y: height - bottom }, "0");
  if (days.length > 0) {
    shape("text", { x: left, y: height - 4 }, days[0].day);
    shape("text", { x: width - 60, y: height - 4 }, days[days.length - 1].day);
  }
  return svg;
}

async function loadDora() {
  const environment = document.getElementById("dora-environment").value;
  const windowDays = document.getElementById("dora-window").value;
  const container = document.getElementById("dora");
  if (!environment) return;
  container.replaceChildren(el("p", { class: "note", text: "Computing…" }));
  try {
    const report = await getJson(`/dora?environment=${encodeURIComponent(environment)}&window=${encodeURIComponent(windowDays)}`);
    const cluster = value => (value ? ` · ${value}` : "");
    container.replaceChildren(
      el("div", { class: "figures" },
        figure("Deployment frequency", `${report.deploymentFrequency.perWeek.toFixed(1)} / week`,
          `${report.deploymentFrequency.deployments} deploys in ${report.window.days} days${cluster(report.deploymentFrequency.cluster)}`),
        figure("Lead time for changes (median)", duration(report.leadTime.median),
          `p90 ${duration(report.leadTime.p90)}, ${report.leadTime.changes} changes${cluster(report.leadTime.cluster)}`),
        figure("Change failure rate", percent(report.changeFailureRate.rate),
          `${report.changeFailureRate.failed} of ${report.changeFailureRate.deployments}${cluster(report.changeFailureRate.cluster)}`),
        figure("Time to restore (median)", duration(report.recoveryTime.median),
          `${report.recoveryTime.restored} restored, ${report.recoveryTime.unresolved} unresolved${cluster(report.recoveryTime.cluster)}`),
        figure("Rework rate", percent(report.reworkRate.rate), `${report.reworkRate.fixes} fixes of ${report.reworkRate.deployments}`)),
      el("h3", { text: `Deployments per day (${report.window.firstDay} to ${report.window.lastDay}; failed in red)` }),
      deploysChart(report.deploysPerDay));
  } catch (failure) {
    container.replaceChildren(el("p", { class: "error", text: failure.message }));
  }
}

// ---- flags ----------------------------------------------------------------------------------------------------------

async function loadFlags() {
  const container = document.getElementById("flags");
  const cards = [];
  for (const name of state.environments.keys()) {
    let body;
    try {
      const flags = await getJson(`/environments/${encodeURIComponent(name)}/flags`);
      body = flags.length === 0 ? el("p", { class: "note", text: "No flags (not deployed yet)." }) : el("div", { class: "table-wrap" }, el("table", {},
        el("caption", { class: "visually-hidden", text: `Feature flags of ${name}` }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Flag" }), el("th", { scope: "col", text: "Value" }))),
        el("tbody", {}, flags.map(flag => el("tr", {}, el("td", {}, el("code", { text: flag.flag })), el("td", { text: flag.value }))))));
    } catch (failure) {
      body = el("p", { class: "error", text: failure.message });
    }
    cards.push(el("article", { class: "card", "aria-label": `Feature flags of ${name}` }, el("h3", { text: name }), body));
  }
  container.replaceChildren(...cards);
}

// ---- start ----------------------------------------------------------------------------------------------------------

async function start() {
  document.getElementById("login-form").addEventListener("submit", logIn);
  document.getElementById("logout").addEventListener("click", logOut);
  document.getElementById("history-environment").addEventListener("change", loadHistory);
  document.getElementById("dora-environment").addEventListener("change", loadDora);
  document.getElementById("dora-window").addEventListener("change", loadDora);
  showSession(await getJson("/session"));
  try {
    await loadEnvironments();
  } catch (failure) {
    document.getElementById("environments").replaceChildren(el("p", { class: "error", text: failure.message }));
  }
  connectFeed();
  await Promise.all([loadHistory(), loadDora(), loadFlags()]);
  document.body.dataset.loaded = "true";
}

start();
