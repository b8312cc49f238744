// Tandem's web console: plain JavaScript, no framework, no build step. Everything it shows comes
// from the server's own API: the control plane (json 1.1), /endpoints/NAME/overview, /logs,
// /transform-jobs/NAME/progress and InvokeEndpoint itself. When the server has access keys, each
// request is signed with SigV4 (WebCrypto) with the key the user signs in with, kept in this tab's
// sessionStorage only.
"use strict";

const main = document.getElementById("main");
const encoder = new TextEncoder();
let refreshTimer = null;
let logTimer = null;

// ---------- signing and calling the API ----------

function credentials() {
  const stored = sessionStorage.getItem("tandem.credentials");
  return stored ? JSON.parse(stored) : null;
}

function hex(buffer) {
  return [...new Uint8Array(buffer)].map(b => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(data) {
  return crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data);
}

async function hmac(key, data) {
  const imported = await crypto.subtle.importKey(
    "raw", typeof key === "string" ? encoder.encode(key) : key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", imported, encoder.encode(data));
}

// RFC 3986: everything but unreserved characters, as AWS canonicalizes.
function rfc3986(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, c => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Adds SigV4 headers for `sagemaker` to a request of `method` to `path` (with its query) and `body`. */
async function sign(method, url, headers, body, creds) {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  headers["x-amz-date"] = amzDate;
  const signed = { host: location.host, ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()])) };
  const names = Object.keys(signed).sort();
  const canonicalPath = url.pathname.split("/").map(rfc3986).join("/");
  const query = [...url.searchParams.entries()].map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort((a, b) => a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : (a[0] < b[0] ? -1 : 1)).map(p => p.join("=")).join("&");
  const payloadHash = hex(await sha256(body || ""));
  const canonical = [method, canonicalPath, query, names.map(n => n + ":" + signed[n] + "\n").join(""), names.join(";"), payloadHash].join("\n");
  const scope = `${day}/${creds.region}/sagemaker/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(await sha256(canonical))].join("\n");
  let key = await hmac("AWS4" + creds.secret, day);
  key = await hmac(key, creds.region);
  key = await hmac(key, "sagemaker");
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, toSign));
  headers["Authorization"] = `AWS4-HMAC-SHA256 Credential=${creds.key}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
}

class ApiError extends Error {
  constructor(status, code, message, response) { super(message); this.status = status; this.code = code; this.response = response; }
}

/** Calls the API; resolves with the Response, or rejects with an ApiError in SageMaker's words. */
async function call(method, path, body, headers = {}, creds = credentials()) {
  const url = new URL(path, location.origin);
  if (creds) {
    await sign(method, url, headers, body, creds);
  }
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : body });
  if (response.ok) {
    return response;
  }
  const text = await response.text();
  let code = response.headers.get("x-amzn-ErrorType") || "HTTP " + response.status;
  let message = text;
  try {
    const parsed = JSON.parse(text);
    message = parsed.message || parsed.Message || text;
    code = (parsed.__type || code).split("#").pop().split(":")[0];
  } catch (ignored) { /* not JSON */ }
  code = code.split(":")[0];
  const error = new ApiError(response.status, code, message, response);
  if (response.status === 403 && /Authentication|Signature|UnrecognizedClient/.test(code)) {
    askToSignIn(creds ? "The key was refused: " + message : "");
  }
  throw error;
}

async function control(operation, request = {}) {
  const response = await call("POST", "/", JSON.stringify(request), {
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker." + operation });
  return response.json();
}

async function json(path) {
  return (await call("GET", path)).json();
}

// ---------- signing in ----------

function askToSignIn(message) {
  const dialog = document.getElementById("sign-in");
  document.getElementById("sign-in-error").textContent = message || "";
  if (!dialog.open) {
    dialog.showModal();
    document.getElementById("access-key").focus();
  }
}

document.getElementById("sign-in-form").addEventListener("submit", async event => {
  event.preventDefault();
  const creds = {
    key: document.getElementById("access-key").value.trim(),
    secret: document.getElementById("secret-key").value,
    region: document.getElementById("region").value.trim() || "us-east-1",
  };
  try {
    await call("POST", "/", "{}", { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.ListEndpoints" }, creds);
    sessionStorage.setItem("tandem.credentials", JSON.stringify(creds));
    document.getElementById("sign-in").close();
    showWho();
    route();
  } catch (error) {
    document.getElementById("sign-in-error").textContent = "Sign-in failed: " + error.message;
  }
});

function showWho() {
  const who = document.getElementById("who");
  const creds = credentials();
  who.replaceChildren();
  if (creds) {
    who.append("Signed in as " + creds.key);
    const out = el("button", { class: "secondary", type: "button" }, "Sign out");
    out.addEventListener("click", () => { sessionStorage.removeItem("tandem.credentials"); showWho(); route(); });
    who.append(out);
  }
}

// ---------- building the page ----------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) {
      node.setAttribute(name, value === true ? "" : value);
    }
  }
  node.append(...children.flat().filter(c => c !== undefined && c !== null));
  return node;
}

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function status(text, extra = "") {
  return el("span", { class: `status ${text} ${extra}` }, text);
}

function stageList(stages) {
  return el("ol", { class: "stages", "aria-label": "Pipeline stages in order" },
    stages.map(stage => el("li", { "data-stage": stage.Hostname, title: stage.Image },
      stage.Hostname, el("span", { class: "runtime" }, stage.Runtime))));
}

const colors = ["var(--stage-0)", "var(--stage-1)", "var(--stage-2)", "var(--stage-3)", "var(--stage-4)"];

/** A horizontal waterfall: each stage's time after the one before, then Tandem's own. */
function waterfall(stages, totalMillis, label) {
  const total = Math.max(totalMillis, stages.reduce((sum, s) => sum + s.millis, 0), 0.001);
  const bar = el("div", { class: "waterfall", role: "img", "aria-label": label });
  let at = 0;
  stages.forEach((stage, i) => {
    const part = el("div", { class: "bar", "data-stage": stage.hostname, title: `${stage.hostname}: ${stage.millis.toFixed(3)} ms` });
    part.style.left = (100 * at / total) + "%";
    part.style.width = Math.max(0.5, 100 * stage.millis / total) + "%";
    part.style.background = colors[i % colors.length];
    bar.append(part);
    at += stage.millis;
  });
  if (total > at) {
    const own = el("div", { class: "bar", "data-stage": "tandem", title: `tandem: ${(total - at).toFixed(3)} ms` });
    own.style.left = (100 * at / total) + "%";
    own.style.width = (100 * (total - at) / total) + "%";
    own.style.background = "var(--tandem)";
    bar.append(own);
  }
  return bar;
}

function legend(stages) {
  return el("ul", { class: "legend" },
    stages.map((stage, i) => {
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = colors[i % colors.length];
      return el("li", { "data-stage": stage.hostname }, swatch,
        `${stage.hostname} ${stage.millis.toFixed(3)} ms` + (stage.bytes >= 0 ? `, ${stage.bytes} B` : "") + (stage.type ? `, ${stage.type}` : ""));
    }));
}

/** A line chart of the last 15 minutes, one line per series. */
function chart(title, points, series) {
  const width = 300, height = 100;
  const max = Math.max(...series.flatMap(s => points.map(p => p[s.key])), 0.001);
  const lines = series.map(s => svg("polyline", {
    class: "line", stroke: s.color,
    points: points.map((p, i) => `${(i / Math.max(1, points.length - 1) * width).toFixed(1)},${(height - 4 - p[s.key] / max * (height - 12)).toFixed(1)}`).join(" "),
  }));
  const last = points.length ? points[points.length - 1] : {};
  const summary = series.map(s => `${s.label} ${Number(last[s.key] || 0).toFixed(s.digits ?? 1)}`).join(", ");
  return el("figure", {},
    el("figcaption", {}, `${title} — now: ${summary}`),
    svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": `${title} over the last 15 minutes; now ${summary}` }, ...lines));
}

function setPage(title, ...content) {
  document.title = title + " — Tandem";
  main.replaceChildren(el("h2", {}, title), ...content);
}

function failure(error) {
  return el("p", { class: "error", role: "alert" }, `${error.code || "Error"}: ${error.message}`);
}

// ---------- the endpoints page ----------

async function endpointsPage() {
  const listed = await control("ListEndpoints", { MaxResults: 100 });
  const rows = [];
  for (const summary of listed.Endpoints || []) {
    const name = summary.EndpointName;
    let overview = null;
    try { overview = await json(`/endpoints/${encodeURIComponent(name)}/overview`); } catch (ignored) { /* not running here */ }
    const variants = overview ? overview.Variants : [];
    const traffic = overview ? overview.Traffic : [];
    const last = traffic.slice(-6);
    const rate = last.reduce((sum, p) => sum + p.RequestsPerSecond, 0) / Math.max(1, last.length);
    const errors = last.reduce((sum, p) => sum + p.ErrorsPerSecond, 0) / Math.max(1, last.length);
    const busy = last.filter(p => p.RequestsPerSecond > 0);
    const p50 = busy.length ? Math.max(...busy.map(p => p.P50Millis)) : 0;
    const p99 = busy.length ? Math.max(...busy.map(p => p.P99Millis)) : 0;
    rows.push(el("tr", { "data-endpoint": name },
      el("td", {}, el("a", { href: `#/endpoints/${encodeURIComponent(name)}` }, name)),
      el("td", {}, status(summary.EndpointStatus)),
      el("td", {}, variants.map(v => el("div", {},
        `${v.VariantName} (weight ${v.Weight}, ${v.Instances.filter(i => i.Healthy).length}/${v.Instances.length} healthy${v.Serverless ? ", serverless" : ""})`))),
      el("td", {}, variants.length ? stageList(variants[0].Stages) : el("span", { class: "muted" }, "—")),
      el("td", {}, `${rate.toFixed(1)} req/s`, el("br"), el("span", { class: errors > 0 ? "error" : "muted" }, `${errors.toFixed(1)} err/s`),
        el("br"), el("span", { class: "muted" }, busy.length ? `p50 ≤ ${p50.toFixed(2)} ms, p99 ≤ ${p99.toFixed(2)} ms` : "idle"))));
  }
  setPage("Endpoints",
    el("section", { class: "card" },
      rows.length
        ? el("table", { id: "endpoints" },
            el("caption", { class: "muted" }, "Request and error rates over the last minute"),
            el("thead", {}, el("tr", {}, ["Endpoint", "Status", "Variants", "Stages", "Traffic"].map(h => el("th", { scope: "col" }, h)))),
            el("tbody", {}, rows))
        : el("p", {}, "No endpoints yet. Start one with ./tandem serve PIPELINE.json, or CreateEndpoint.")));
}

// ---------- one endpoint ----------

function recentRow(invocation) {
  const stages = invocation.stages.map(s => ({ hostname: s.hostname, millis: s.millis }));
  const between = invocation.stages.map(s => `${s.hostname} ${s.millis.toFixed(3)} ms` +
    (s.responseBytes >= 0 ? ` → ${s.responseBytes} B${s.responseType ? " " + s.responseType : ""}` : "")).join(" · ");
  const failed = invocation.status !== 200;
  return el("tr", { class: failed ? "failed" : "ok", "data-request": invocation.requestId },
    el("td", {}, new Date(invocation.epochMillis).toLocaleTimeString()),
    el("td", {}, status(failed ? String(invocation.status) : "200", failed ? "bad" : "ok")),
    el("td", {}, invocation.totalMillis.toFixed(3) + " ms" + (invocation.streamed ? " (streamed)" : "")),
    el("td", {}, failed
      ? el("span", { class: "error" }, `${invocation.errorCode}${invocation.failedStage ? " in " + invocation.failedStage : ""}: ${invocation.message}`)
      : [waterfall(stages, invocation.totalMillis, between), el("div", { class: "muted between" }, between)]),
    el("td", {}, `${invocation.requestBytes} B ${invocation.requestType || ""}`));
}

/** Stage timings from an answer's Server-Timing and X-Tandem-Stages headers. */
function timingsOf(response) {
  const timing = response.headers.get("Server-Timing") || "";
  const sizes = {};
  for (const entry of (response.headers.get("X-Tandem-Stages") || "").split(",")) {
    const [name, ...params] = entry.trim().split(";");
    const found = Object.fromEntries(params.map(p => { const [k, ...v] = p.split("="); return [k.trim(), v.join("=").replace(/^"|"$/g, "")]; }));
    if (name) sizes[name] = found;
  }
  const entries = timing.split(",").map(e => e.trim()).filter(Boolean).map(e => {
    const [name, ...params] = e.split(";");
    const dur = params.map(p => p.trim()).find(p => p.startsWith("dur="));
    return { hostname: name.trim(), millis: dur ? parseFloat(dur.slice(4)) : 0 };
  });
  const own = entries.find(e => e.hostname === "tandem");
  const stages = entries.filter(e => e.hostname !== "tandem").map(e => ({
    ...e, bytes: sizes[e.hostname] ? parseInt(sizes[e.hostname].bytes, 10) : -1, type: sizes[e.hostname] ? sizes[e.hostname].type : "" }));
  return { stages, tandem: own ? own.millis : 0 };
}

function tryIt(name) {
  const result = el("div", { id: "try-result", "aria-live": "polite" });
  const form = el("form", { class: "try", id: "try-form" },
    el("label", {}, "Content-Type ", el("input", { id: "try-content-type", value: "text/csv" })),
    el("label", {}, "Accept ", el("input", { id: "try-accept", value: "" })),
    el("label", {}, "Body", el("textarea", { id: "try-body" }, "")),
    el("button", { type: "submit", id: "try-send" }, "Send"));
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const headers = { "Content-Type": document.getElementById("try-content-type").value, "X-Tandem-Debug": "stages" };
    const accept = document.getElementById("try-accept").value;
    if (accept) headers["Accept"] = accept;
    result.replaceChildren(el("p", { class: "muted" }, "Sending…"));
    const started = performance.now();
    try {
      const response = await call("POST", `/endpoints/${encodeURIComponent(name)}/invocations`, document.getElementById("try-body").value, headers);
      const took = performance.now() - started;
      const { stages, tandem } = timingsOf(response);
      const body = await response.text();
      const total = stages.reduce((sum, s) => sum + s.millis, 0) + tandem;
      result.replaceChildren(
        el("p", {}, status("200", "ok"), ` in ${took.toFixed(1)} ms at the browser; ${total.toFixed(3)} ms in the server (Tandem's own ${tandem.toFixed(3)} ms)`),
        waterfall(stages, total, "This request's stages: " + stages.map(s => `${s.hostname} ${s.millis.toFixed(3)} ms`).join(", ")),
        legend(stages),
        el("pre", { id: "try-answer" }, body));
    } catch (error) {
      const container = error.response ? error.response.headers.get("X-Tandem-Failed-Container") : null;
      result.replaceChildren(el("p", { class: "error", role: "alert", id: "try-error" },
        `${error.code}${container ? " in stage " + container : ""} (${error.status}): ${error.message}`));
    }
  });
  return el("section", { class: "card", "aria-labelledby": "try-title" }, el("h3", { id: "try-title" }, "Try it"), form, result);
}

function logsPanel(name, containers) {
  const select = el("select", { id: "log-container", "aria-label": "Container" },
    el("option", { value: "" }, "all containers"), containers.map(c => el("option", { value: c }, c)));
  const follow = el("input", { type: "checkbox", id: "log-follow", checked: true });
  const output = el("pre", { id: "log", tabindex: "0", "aria-label": "Container log", "aria-live": "off" });
  let since = 0;
  const seen = new Set();
  async function poll() {
    if (!output.isConnected) return; // the page changed
    if (follow.checked) {
      const query = new URLSearchParams({ since: String(since), limit: "500" });
      if (select.value) query.set("container", select.value);
      try {
        const answer = await json(`/endpoints/${encodeURIComponent(name)}/logs?${query}`);
        for (const line of answer.Lines) {
          const id = `${line.Instance}/${line.Container}/${line.Sequence}`;
          if (seen.has(id)) continue;
          seen.add(id);
          since = Math.max(since, line.Time);
          output.append(`${new Date(line.Time).toLocaleTimeString()} ${line.Container} ${line.Stream}: ${line.Message}\n`);
        }
        output.scrollTop = output.scrollHeight;
      } catch (ignored) { /* shown by the next refresh */ }
    }
    logTimer = setTimeout(poll, 1000);
  }
  select.addEventListener("change", () => { since = 0; seen.clear(); output.replaceChildren(); });
  logTimer = setTimeout(poll, 0); // once the panel is on the page
  return el("section", { class: "card", "aria-labelledby": "logs-title" }, el("h3", { id: "logs-title" }, "Logs"),
    el("label", {}, "Show ", select), " ", el("label", {}, follow, " follow"), output);
}

function containerCell(c) {
  return el("div", {}, `${c.Hostname}: `, status(c.Phase), c.Restarts ? ` (${c.Restarts} restarts)` : "",
    c.Reason && c.Phase !== "HEALTHY" ? ` — ${c.Reason}` : "");
}

function instanceRow(i) {
  return el("tr", {},
    el("td", {}, i.Id),
    el("td", {}, status(i.Healthy ? "HEALTHY" : "UNHEALTHY")),
    el("td", {}, `${i.InFlight} / ${i.MaxInFlight}`),
    el("td", {}, String(i.Served)),
    el("td", {}, i.Containers.map(containerCell)));
}

function variantBlock(v) {
  return el("div", { "data-variant": v.VariantName },
    el("p", {}, el("strong", {}, v.VariantName), ` — weight ${v.Weight}, ${v.Mode} mode${v.Serverless ? ", serverless" : ""}`),
    stageList(v.Stages),
    el("table", {},
      el("thead", {}, el("tr", {}, ["Instance", "Health", "In flight", "Served", "Containers"].map(h => el("th", { scope: "col" }, h)))),
      el("tbody", {}, v.Instances.map(instanceRow))));
}

async function endpointPage(name) {
  const described = await control("DescribeEndpoint", { EndpointName: name });
  const overview = await json(`/endpoints/${encodeURIComponent(name)}/overview`);
  const variants = overview.Variants;
  const containers = [...new Set(variants.flatMap(v => v.Stages.map(s => s.Hostname)))];
  const dynamic = el("div", { id: "live" });
  function fill(data) {
    const points = data.Traffic;
    dynamic.replaceChildren(
      el("section", { class: "card", "aria-labelledby": "traffic-title" }, el("h3", { id: "traffic-title" }, "Traffic, last 15 minutes"),
        el("div", { class: "charts" },
          chart("Requests per second", points, [{ key: "RequestsPerSecond", label: "req/s", color: "var(--accent)" }]),
          chart("Errors per second", points, [{ key: "ErrorsPerSecond", label: "err/s", color: "var(--bad)" }]),
          chart("Latency (ms)", points, [{ key: "P50Millis", label: "p50", color: "var(--ok)", digits: 2 }, { key: "P99Millis", label: "p99", color: "var(--warn)", digits: 2 }]))),
      el("section", { class: "card", "aria-labelledby": "variants-title" }, el("h3", { id: "variants-title" }, "Variants and instances"),
        data.Variants.map(variantBlock)),
      el("section", { class: "card", "aria-labelledby": "recent-title" }, el("h3", { id: "recent-title" }, "Latest requests"),
        data.Recent.length
          ? el("table", { id: "recent" },
              el("thead", {}, el("tr", {}, ["Time", "Status", "Took", "Stages (or what failed)", "Request"].map(h => el("th", { scope: "col" }, h)))),
              el("tbody", {}, data.Recent.map(recentRow)))
          : el("p", { class: "muted" }, "No requests yet: send one with Try it.")));
  }
  fill(overview);
  setPage(`Endpoint ${name}`,
    el("p", {}, status(described.EndpointStatus), ` — config ${described.EndpointConfigName}`,
      described.FailureReason ? el("span", { class: "error" }, " — " + described.FailureReason) : ""),
    tryIt(name), dynamic, logsPanel(name, containers));
  refreshTimer = setInterval(async () => {
    try { fill(await json(`/endpoints/${encodeURIComponent(name)}/overview`)); } catch (ignored) { /* next time */ }
  }, 2000);
}

// ---------- jobs and queues ----------

async function jobsPage() {
  const jobs = await control("ListTransformJobs", { MaxResults: 100 });
  const rows = [];
  for (const job of jobs.TransformJobSummaries || []) {
    let progress = el("span", { class: "muted" }, "—");
    try {
      const answer = await json(`/transform-jobs/${encodeURIComponent(job.TransformJobName)}/progress`);
      const p = answer.Progress;
      if (p) {
        const total = p.FilesTotal || 0;
        const done = p.FilesDone || 0;
        const bar = el("span", { class: "progress", role: "progressbar", "aria-label": "Input files transformed",
          "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done) }, el("span"));
        bar.firstChild.style.width = (total ? 100 * done / total : 0) + "%";
        progress = el("span", {}, bar, ` ${done}/${total} files, ${p.Records} records`);
      } else if (job.TransformJobStatus === "Completed") {
        progress = el("span", {}, "all inputs transformed");
      }
    } catch (ignored) { /* no progress kept */ }
    rows.push(el("tr", { "data-job": job.TransformJobName },
      el("td", {}, job.TransformJobName), el("td", {}, status(job.TransformJobStatus)),
      el("td", {}, progress), el("td", {}, job.FailureReason || "")));
  }
  // Asynchronous endpoints' queues, from the server's own metrics.
  let backlog = [];
  try {
    const metrics = await (await call("GET", "/metrics")).text();
    backlog = [...metrics.matchAll(/^sagemaker_approximate_backlog_size\{endpoint="([^"]+)"[^}]*\} ([0-9.eE+-]+)$/gm)]
      .map(m => ({ endpoint: m[1], size: Number(m[2]) }));
  } catch (ignored) { /* metrics off */ }
  let groups = [];
  try { groups = (await control("ListFeatureGroups", { MaxResults: 100 })).FeatureGroupSummaries || []; } catch (ignored) { /* none */ }
  setPage("Jobs and queues",
    el("section", { class: "card", "aria-labelledby": "jobs-title" }, el("h3", { id: "jobs-title" }, "Batch transform jobs"),
      rows.length ? el("table", { id: "jobs" }, el("thead", {}, el("tr", {}, ["Job", "Status", "Progress", "Failure"].map(h => el("th", { scope: "col" }, h)))), el("tbody", {}, rows))
        : el("p", { class: "muted" }, "No transform jobs.")),
    el("section", { class: "card", "aria-labelledby": "queues-title" }, el("h3", { id: "queues-title" }, "Asynchronous queues"),
      backlog.length ? el("table", { id: "queues" }, el("thead", {}, el("tr", {}, ["Endpoint", "Requests waiting"].map(h => el("th", { scope: "col" }, h)))),
        el("tbody", {}, backlog.map(b => el("tr", { "data-queue": b.endpoint }, el("td", {}, b.endpoint), el("td", {}, String(b.size))))))
        : el("p", { class: "muted" }, "No asynchronous endpoints.")),
    el("section", { class: "card", "aria-labelledby": "groups-title" }, el("h3", { id: "groups-title" }, "Feature groups"),
      groups.length ? el("table", { id: "groups" }, el("thead", {}, el("tr", {}, ["Group", "Status"].map(h => el("th", { scope: "col" }, h)))),
        el("tbody", {}, groups.map(g => el("tr", {}, el("td", {}, g.FeatureGroupName), el("td", {}, status(g.FeatureGroupStatus))))))
        : el("p", { class: "muted" }, "No feature groups.")));
  // Redrawn while a job runs (its progress moves); otherwise left alone, so focus stays where it is.
  if ((jobs.TransformJobSummaries || []).some(job => job.TransformJobStatus === "InProgress")) {
    refreshTimer = setInterval(() => { if (location.hash.startsWith("#/jobs")) route(); }, 2000);
  }
}

// ---------- routing ----------

async function route() {
  clearInterval(refreshTimer);
  clearTimeout(logTimer);
  const hash = location.hash || "#/endpoints";
  document.querySelectorAll("header nav a").forEach(a => a.removeAttribute("aria-current"));
  try {
    const endpoint = hash.match(/^#\/endpoints\/(.+)$/);
    if (endpoint) {
      document.getElementById("nav-endpoints").setAttribute("aria-current", "page");
      await endpointPage(decodeURIComponent(endpoint[1]));
    } else if (hash.startsWith("#/jobs")) {
      document.getElementById("nav-jobs").setAttribute("aria-current", "page");
      await jobsPage();
    } else {
      document.getElementById("nav-endpoints").setAttribute("aria-current", "page");
      await endpointsPage();
    }
  } catch (error) {
    setPage("Something went wrong", failure(error));
  }
}

window.addEventListener("hashchange", route);
showWho();
route();
