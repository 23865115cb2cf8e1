// sarlake browse page: faceted search, product page with tagging, map. Plain JS, no build step.
// Every request goes to the same origin with Airflow's session cookie; a 401 sends the browser to the login.
"use strict";
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const FACET_TITLES = {aoi: "AOI", track: "Track", direction: "Direction", product_type: "Product type",
  status: "Data-quality status", pge_version: "PGE version", predicted_uwe: "Predicted UWE class",
  tag: "Consensus tags", baseline: "Temporal baseline", coherence: "Mean coherence", p_error: "p(error)",
  reference_year: "Reference year", tier: "Storage tier", event: "Event"};
let state = new URLSearchParams();
let config = {tag_types: {}};
let map = null;

function showError(msg) { const e = $("#error"); e.textContent = msg; e.hidden = !msg; }
// an error's detail: a message, or (a request the API refused) a list of {loc, msg}
const detailText = (d) => typeof d === "string" ? d : Array.isArray(d) ? d.map((e) => (e.loc || []).join(".") + ": " + e.msg).join("; ") : JSON.stringify(d);

async function api(path, opts = {}) {
  const r = await fetch(path, Object.assign({credentials: "same-origin", headers: {"Accept": "application/json"}}, opts));
  if (r.status === 401) { showError("You are not logged in (or your session ended): log in to Airflow again."); throw new Error("401"); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {  // an answer without a detail (a proxy's error page) still says something
    showError(body.detail === undefined ? `the server answered ${r.status} ${r.statusText}` : detailText(body.detail));
    throw new Error(String(r.status));
  }
  showError("");
  return body;
}

function route() {
  const h = location.hash.slice(1);
  const [view, query] = h.split("?");
  for (const v of ["search", "product", "map", "aoi"]) $("#view-" + v).hidden = true;
  if (view.startsWith("aoi/")) { $("#view-aoi").hidden = false; return loadAoi(decodeURIComponent(view.slice(4))); }
  if (view.startsWith("product/")) { $("#view-product").hidden = false; return loadProduct(decodeURIComponent(view.slice(8))); }
  if (view === "map") { $("#view-map").hidden = false; return loadMap(); }
  state = new URLSearchParams(query || "");
  $("#view-search").hidden = false;
  return loadSearch();
}

function go(params) { location.hash = "search?" + params.toString(); }

function toggle(facet, value) {
  const p = new URLSearchParams(state);
  const vals = p.getAll(facet);
  p.delete(facet); p.delete("page");
  (vals.includes(value) ? vals.filter((v) => v !== value) : [...vals, value]).forEach((v) => p.append(facet, v));
  go(p);
}

async function loadSearch() {
  for (const k of ["q", "ref_from", "ref_to", "sec_from", "sec_to"]) $("#f-" + k).value = state.get(k) || "";
  $("#sort").value = state.get("sort") || "reference_date"; $("#order").value = state.get("order") || "desc";
  const t0 = performance.now();
  let r;
  try { r = await api("api/search?" + state.toString()); } catch (e) { return; }
  const fl = $("#facet-list"); fl.innerHTML = "";
  for (const [facet, items] of Object.entries(r.facets)) {
    if (!items.length && !state.getAll(facet).length) continue;
    const div = document.createElement("div"); div.className = "facet"; div.dataset.facet = facet;
    div.innerHTML = `<h4>${esc(FACET_TITLES[facet] || facet)}</h4>` + items.map((i) =>
      `<label class="${i.count ? "" : "zero"}"><input type="checkbox" data-facet="${esc(facet)}" data-value="${esc(i.value)}" ${i.selected ? "checked" : ""}> ${esc(i.value)} <span class="count" data-count-for="${esc(facet)}:${esc(i.value)}">${i.count}</span></label>`).join("");
    fl.appendChild(div);
  }
  fl.querySelectorAll("input[type=checkbox]").forEach((cb) => cb.addEventListener("change", () => toggle(cb.dataset.facet, cb.dataset.value)));
  $("#total").textContent = `${r.total} products`;
  const pages = Math.max(1, Math.ceil(r.total / r.page_size));
  $("#pageinfo").textContent = `page ${r.page} of ${pages}`;
  $("#prev").disabled = r.page <= 1; $("#next").disabled = r.page >= pages;
  $("#grid").innerHTML = r.results.map((p) => `<div class="card" data-product="${esc(p.product_id)}">
      <a href="#product/${encodeURIComponent(p.product_id)}"><img loading="lazy" alt="browse of ${esc(p.product_id)}" src="${esc(p.thumbnail)}"></a>
      <a class="pid" href="#product/${encodeURIComponent(p.product_id)}">${esc(p.product_id)}</a><br>
      <a class="aoi" href="#aoi/${encodeURIComponent(p.aoi)}">${esc(p.aoi)}</a>${p.track == null ? "" : ` · T${esc(p.track)}${esc(p.direction)}`} · <span class="span">${esc(p.first_date)} &rarr; ${esc(p.last_date)}</span><br>
      ${p.product_type === "L2_IFG" ? `p(error) ${p.p_error == null ? "–" : p.p_error.toFixed(2)} · predicted <span class="chip ${p.predicted_uwe >= 2 ? "bad" : ""}">${p.predicted_uwe == null ? "unscored" : "UWE_" + p.predicted_uwe}</span>` : esc(p.product_type)}
      coh ${p.coherence_mean == null ? "–" : p.coherence_mean.toFixed(2)}<br>
      ${(p.tags || []).map((t) => `<span class="chip">${esc(t)}</span>`).join("")}</div>`).join("") || "<p>No product matches these filters.</p>";
  $("#sql").value = r.sql.results; $("#facet-sql").value = r.sql.facets;
  $("#timing").textContent = `server ${r.server_ms} ms · page ${Math.round(performance.now() - t0)} ms`;
}

// products.quality_failures: a JSON list of the failed expectations (lake: sarlake.workflows.quality)
function failedChecks(text) {
  try { return JSON.parse(text).join("; "); } catch (e) { return text || "no reason recorded"; }
}

async function loadProduct(id) {
  const el = $("#view-product");
  let d;
  try { d = await api("api/products/" + encodeURIComponent(id)); } catch (e) { el.innerHTML = ""; return; }
  const p = d.product;
  const me = $("#user").textContent;
  const mine = Object.fromEntries(d.tags.filter((t) => t.user === me).map((t) => [t.tag.slice(0, 3), t.tag]));
  const pred = d.qa_predictions[0];
  // the shortcuts the server would accept for this product (d.actions); a refused one is left out, but for
  // restore, shown disabled with the server's reason (a hot product: the button says there is nothing to restore)
  el.innerHTML = `<p><a href="#search?${state.toString()}">&larr; back to results</a></p>
    <h2 id="product-id">${esc(p.product_id)}</h2>
    <p>${esc(p.product_type)} · AOI <a href="#aoi/${encodeURIComponent(p.aoi)}">${esc(p.aoi)}</a> · tier <span id="tier">${esc({archive: "archived", cached: "restored"}[p.tier] || p.tier || "hot")}${p.tier === "cached" && p.cache_expires_at ? ` until ${esc(p.cache_expires_at.slice(0, 16).replace("T", " "))} UTC` : ""}</span>${p.track == null ? "" : ` · track ${esc(p.track)} ${esc(p.direction)}`} · <span class="span">${esc(p.first_date)} &rarr; ${esc(p.last_date)}</span> · status ${esc(p.status)}</p>
    ${p.status === "quarantined" ? `<p id="quality-failures" class="warn">Quarantined by the data-quality gate (left out of time series and archive delivery); it failed: ${esc(failedChecks(p.quality_failures))} (<a id="data-docs" href="data-docs/index.html">the gate's validations in the Data Docs</a>)</p>` : ""}
    <div class="shortcuts">${d.actions.filter((a) => a.available || a.action === "restore").map((a) =>
      `<button class="shortcut" data-action="${esc(a.action)}" ${a.available ? "" : `disabled title="${esc(a.reason)}"`}>${esc(a.label)}</button>`).join("\n")}
      <span class="run-result"></span></div>
    <img class="full" alt="browse image" src="${esc(d.browse_url)}">
    <h3>Layers</h3><div class="layers">${d.layers.map((l) => `<figure><img alt="${esc(l.name)}" src="${esc(l.url)}"><figcaption>${esc(l.title)}</figcaption></figure>`).join("") || "none"}</div>
    <h3>QA prediction</h3>${pred ? `<p id="prediction">p(error) ${pred.p_error?.toFixed(3)} · predicted UWE_${esc(pred.uwe_class)} · model ${esc(pred.model_name)} v${esc(pred.model_version)}${pred.degraded ? " (degraded inputs)" : ""}</p>` : p.product_type === "L2_IFG" ? "<p>not scored yet</p>" : `<p id="prediction">QA scores interferograms (L2_IFG) only: this is ${esc(p.product_type)}</p>`}
    <h3>At the DAAC</h3>${d.deliveries.length ? `<table id="deliveries"><tr><th>version</th><th>latest step</th><th>when (UTC)</th><th>archive folder</th></tr>${d.deliveries.map((v) =>
      `<tr><td>${esc(v.version)}</td><td>${esc(v.step)}${v.held ? " (held by the DAAC)" : ""}${v.waiting ? " (sent; waiting for the DAAC's answer)" : ""}${v.replaced_by ? ` (replaced by version ${esc(v.replaced_by)} in the same archive folder)` : ""}${v.reason ? ` (${esc(v.reason)})` : ""}</td><td>${esc((v.recorded_at || "").slice(0, 19).replace("T", " "))}</td><td>${esc(v.archive_folder)}</td></tr>`).join("")}</table>
      ${d.deliveries.some((v) => v.held) ? `<p>Copy a version the DAAC holds out of the archive: <code>sarlake archive retrieve ${esc(p.product_id)} --version VERSION --to FOLDER</code></p>` : ""}` : "<p>not delivered yet</p>"}
    <h3>Tag this product</h3><p>Your tags are highlighted (as <b>${esc(me)}</b>). Comment: <input id="tag-comment" size="50" maxlength="${esc(document.body.dataset.maxCommentLength)}"></p>
    <table id="tag-buttons">${Object.entries(d.tag_types).map(([t, what]) => `<tr class="tagrow"><th title="${esc(what)}">${esc(t)}</th><td>${esc(what)}</td><td>${[0, 1, 2, 3].map((i) =>
      `<button class="tag ${mine[t] === t + "_" + i ? "mine" : ""}" data-tag="${t}_${i}">${i}</button>`).join("")}</td></tr>`).join("")}</table>
    <h3>Tags</h3><table id="tags"><tr><th>user</th><th>tag</th><th>comment</th><th>source</th><th>when</th></tr>${d.tags.map((t) =>
      `<tr><td>${esc(t.user)}</td><td>${esc(t.tag)}</td><td class="comment">${esc(t.comment)}</td><td>${esc(t.source)}</td><td>${esc(t.tagged_at)}</td></tr>`).join("")}</table>
    <h3>Consensus</h3><table><tr><th>type</th><th>label</th><th>raters</th><th>agreement</th></tr>${d.consensus.map((c) =>
      `<tr><td>${esc(c.tag_type)}</td><td>${esc(c.tag_type)}_${esc(c.intensity)}</td><td>${esc(c.raters)}</td><td>${esc(c.agreement)}</td></tr>`).join("")}</table>
    <h3>Provenance</h3>${d.provenance.map((v) => `<p>PGE ${esc(v.pge_name)} ${esc(v.pge_version)} (${esc(v.pge_image)}) · run
      ${v.dag_id ? `<a target="_top" href="/dags/${encodeURIComponent(v.dag_id)}/runs/${encodeURIComponent(v.run_id)}">${esc(v.run_id)}</a>` : esc(v.run_id)}</p>
      <p>inputs: ${(v.inputs || []).map(esc).join(", ")}</p><pre>${esc(v.parameters)}</pre>`).join("") || `<p>run ${esc(p.run_id)} · PGE ${esc(p.pge_name)} ${esc(p.pge_version)}</p>`}
    <h3>QA features</h3><pre>${esc(JSON.stringify(d.qa_features.map((f) => f.features && JSON.parse(f.features)), null, 1))}</pre>
    <h3>met.json</h3><pre id="met">${esc(d.met ? JSON.stringify(d.met, null, 1) : d.met_error || "none")}</pre>`;
  el.querySelectorAll("button.shortcut").forEach((b) => b.addEventListener("click", () =>
    runShortcut(b.dataset.action, new URLSearchParams({product: id}), el.querySelector(".run-result"))));
  el.querySelectorAll("button.tag").forEach((b) => b.addEventListener("click", async () => {
    const comment = $("#tag-comment").value || null;
    try {
      await api("../api/products/" + encodeURIComponent(id) + "/tags", {method: "POST",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify({tag: b.dataset.tag, comment})});
    } catch (e) { return; }
    loadProduct(id);
  }));
}

// The operator's yes or no, asked in the page: in the Airflow UI this page is an iframe sandboxed without
// allow-modals, where the browser ignores window.confirm() and answers no.
function confirmInPage(out, question) {
  return new Promise((resolve) => {
    out.innerHTML = `<span class="confirm">${esc(question)} <button type="button" class="confirm-run">Run</button>
      <button type="button" class="confirm-cancel">Cancel</button></span>`;
    out.querySelector(".confirm-run").addEventListener("click", () => resolve(true), {once: true});
    out.querySelector(".confirm-cancel").addEventListener("click", () => resolve(false), {once: true});
  });
}

// An operator shortcut: the browse app prepares (and checks) the DAG id and conf; after the operator confirms,
// the page posts it to Airflow's own REST API with the session cookie, so Airflow checks the user's permission
// and records them as the run's triggering user. The result links to the run in the Airflow UI.
async function runShortcut(action, params, out) {
  let s;
  try { s = await api("api/shortcuts/" + action + "?" + params.toString()); } catch (e) { return; }
  if (!(await confirmInPage(out, s.confirm))) { out.textContent = "cancelled"; return; }
  out.textContent = "starting…";
  const r = await fetch("/api/v2/dags/" + encodeURIComponent(s.dag_id) + "/dagRuns", {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "Accept": "application/json"},
    body: JSON.stringify({logical_date: null, conf: s.conf, note: s.note})});
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { showError(`Airflow refused the ${s.dag_id} run (${r.status}): ${detailText(body.detail)}`); out.textContent = ""; return; }
  showError("");
  const href = "/dags/" + encodeURIComponent(body.dag_id) + "/runs/" + encodeURIComponent(body.dag_run_id);
  out.innerHTML = `run <a class="run-link" target="_top" href="${esc(href)}">${esc(body.dag_run_id)}</a> of ${esc(body.dag_id)}: ${esc(body.state)}, triggered by <b class="run-user">${esc(body.triggering_user_name)}</b>`;
}

async function loadAoi(name) {
  const el = $("#view-aoi");
  let d;
  try { d = await api("api/aois/" + encodeURIComponent(name)); } catch (e) { el.innerHTML = ""; return; }
  const a = d.aoi, od = d.actions.find((x) => x.action === "on_demand");
  el.innerHTML = `<p><a href="#search?${state.toString()}">&larr; back to results</a></p>
    <h2 id="aoi-name">${esc(a.name)}</h2>
    <p>${a.description ? esc(a.description) + " · " : ""}bbox ${[a.west, a.south, a.east, a.north].map((v) => v == null ? "–" : (+v).toFixed(3)).join(", ")} · tracks ${esc(a.tracks.join(", ") || "default")} · ${a.active ? "monitored by forward processing" : "not monitored (inactive)"}</p>
    <p><a href="#search?aoi=${encodeURIComponent(a.name)}">all products of this AOI</a></p>
    <table id="aoi-products"><tr><th>product type</th><th>tier</th><th>products</th></tr>${d.products.map((c) =>
      `<tr><td>${esc(c.product_type)}</td><td>${esc(c.tier)}</td><td>${c.count}</td></tr>`).join("") || "<tr><td colspan=3>none yet</td></tr>"}</table>
    ${d.events.length ? `<h3>Event</h3>${d.events.map((e) => `<p>${esc(e.event_id)} · M${esc(e.magnitude)} · ${esc(e.place || "")} · ${esc(e.time)}</p>`).join("")}` : ""}
    <h3>Processing</h3>
    <div class="shortcuts"><p><button class="shortcut" id="run-forward" data-action="forward">Run forward processing</button> for this AOI (the forward DAG, this AOI only)</p>
    <p><button class="shortcut" id="run-on-demand" data-action="on_demand">Process on demand</button> from <input id="od-start" value="${esc(od.conf.start_date)}" size="10"> to <input id="od-end" value="${esc(od.conf.end_date)}" size="10"> (the on_demand DAG)</p>
    <span class="run-result" id="aoi-run"></span></div>`;
  el.querySelectorAll("button.shortcut").forEach((b) => b.addEventListener("click", () => {
    const p = new URLSearchParams({aoi: a.name});
    if (b.dataset.action === "on_demand") { p.set("start_date", $("#od-start").value.trim()); p.set("end_date", $("#od-end").value.trim()); }
    runShortcut(b.dataset.action, p, $("#aoi-run"));
  }));
}

async function loadMap() {
  if (typeof L === "undefined") { $("#map-info").textContent = "Leaflet is not installed: run `make browse-assets`."; return; }
  let d;
  try { d = await api("api/map?" + state.toString()); } catch (e) { return; }
  if (!map) {
    map = L.map("map");
    if (config.tile_url) L.tileLayer(config.tile_url, {maxZoom: 18}).addTo(map);
    map.layers = L.layerGroup().addTo(map);
    setupMapDrawing();
  }
  map.layers.clearLayers();
  const aois = L.geoJSON(d.aois, {style: {color: "#d95f02", weight: 2, fill: false},
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name).on("click", () => { location.hash = "aoi/" + encodeURIComponent(f.properties.name); })});
  const prods = L.geoJSON(d.products, {style: {color: "#1b9e77", weight: 1, fillOpacity: 0.05},
    onEachFeature: (f, l) => l.bindTooltip(f.properties.product_id).on("click", () => { location.hash = "product/" + encodeURIComponent(f.properties.product_id); })});
  aois.addTo(map.layers); prods.addTo(map.layers);
  const b = L.featureGroup([aois, prods]).getBounds();
  if (b.isValid()) map.fitBounds(b, {padding: [20, 20]}); else map.setView([0, 0], 2);
  $("#map-info").textContent = `${d.aois.features.length} AOIs, ${d.products.features.length} product footprints${d.truncated ? " (first only)" : ""}` + (config.tile_url ? "" : " · no tile server configured: outlines only");
  setTimeout(() => map.invalidateSize(), 0);
}

function setupMapDrawing() {
  let pts = [], line = null;
  $("#draw").addEventListener("click", () => { pts = []; if (line) line.remove(); $("#finish").disabled = true;
    $("#map-info").textContent = "click the map to add corners, then 'Search this region'";
    map.once("click", function add(e) { pts.push([e.latlng.lng, e.latlng.lat]); if (line) line.remove();
      line = L.polygon(pts.map(([x, y]) => [y, x]), {color: "#7570b3"}).addTo(map); $("#finish").disabled = pts.length < 3; map.once("click", add); }); });
  $("#finish").addEventListener("click", () => { map.off("click");
    const ring = [...pts, pts[0]].map(([x, y]) => `${x.toFixed(5)} ${y.toFixed(5)}`).join(", ");
    go(new URLSearchParams({region: `POLYGON((${ring}))`})); });
}

document.addEventListener("DOMContentLoaded", async () => {
  try { config = await api("api/config"); } catch (e) { /* the error is shown */ }
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); const p = new URLSearchParams(state);
    for (const k of ["q", "ref_from", "ref_to", "sec_from", "sec_to"]) { const v = $("#f-" + k).value.trim(); if (v) p.set(k, v); else p.delete(k); }
    p.delete("page"); go(p); });
  $("#clear").addEventListener("click", () => go(new URLSearchParams()));
  for (const id of ["sort", "order"]) $("#" + id).addEventListener("change", () => { const p = new URLSearchParams(state); p.set(id, $("#" + id).value); go(p); });
  $("#prev").addEventListener("click", () => { const p = new URLSearchParams(state); p.set("page", Math.max(1, (+p.get("page") || 1) - 1)); go(p); });
  $("#next").addEventListener("click", () => { const p = new URLSearchParams(state); p.set("page", (+p.get("page") || 1) + 1); go(p); });
  window.addEventListener("hashchange", route);
  if (!location.hash) location.hash = "search"; else route();
});
