// lambdalite console: the one script island. Live regions over one EventSource per page,
// a bounded log tail, form posts with the CSRF token, lazy details, charts and countdowns.
// Everything user-supplied arrives as server-escaped HTML fragments or is set as textContent.
"use strict";
(() => {
  const csrf = document.body.dataset.csrf;
  const LOG_RING = 500; // lines kept in the browser; older ones are dropped and counted
  let source = null;
  let clientDropped = 0;
  let serverDropped = 0;
  let paused = false;
  const held = []; // lines that arrived while paused

  const regions = () => [...document.querySelectorAll("[data-topic]")];
  const logFilter = () => document.querySelector("[data-log-filter]");

  function connect() {
    if (source) source.close();
    const topics = new Set(regions().map((r) => r.dataset.topic));
    if (!topics.size) return;
    const params = new URLSearchParams();
    topics.forEach((t) => params.append("topic", t));
    const filter = logFilter();
    if (filter && filter.value) params.set("filter", filter.value);
    source = new EventSource("/_lambdalite/ui/stream?" + params);
    source.onmessage = (m) => handle(JSON.parse(m.data));
  }

  const pending = new Set();
  function refresh(region) {
    if (pending.has(region)) return;
    pending.add(region);
    setTimeout(async () => {
      pending.delete(region);
      const open = new Set([...region.querySelectorAll("details[open]")].map((d) => d.dataset.src));
      const response = await fetch(region.dataset.fragment, { headers: { accept: "text/html" } });
      if (!response.ok) return;
      region.innerHTML = await response.text();
      region.querySelectorAll("details[data-src]").forEach((d) => {
        if (open.has(d.dataset.src)) { d.open = true; loadDetails(d); }
      });
      wire(region);
    }, 50);
  }

  function handle(doc) {
    serverDropped = doc.dropped || 0;
    for (const event of doc.events) {
      for (const region of regions()) {
        if (region.dataset.topic !== event.topic) continue;
        if (region.dataset.fragment) refresh(region);
        else if ("logs" in region.dataset) addLine(region, event.data);
      }
    }
    showDropped();
  }

  function lineElement(line) {
    const li = document.createElement("li");
    const time = document.createElement("time");
    time.textContent = new Date(line.timestamp).toISOString();
    const msg = document.createElement("span");
    msg.className = "msg";
    msg.textContent = line.message;
    li.append(time, " ", msg);
    return li;
  }

  function addLine(region, line) {
    if (paused) {
      held.push(line);
      if (held.length > LOG_RING) { held.shift(); clientDropped++; }
      return;
    }
    region.append(lineElement(line));
    while (region.children.length > LOG_RING) { region.firstElementChild.remove(); clientDropped++; }
    region.scrollTop = region.scrollHeight;
  }

  function showDropped() {
    document.querySelectorAll("[data-log-dropped]").forEach((e) => {
      e.textContent = String(clientDropped + serverDropped);
    });
  }

  async function loadTail(region) {
    const filter = logFilter();
    const url = region.dataset.tail + (filter && filter.value ? "&filter=" + encodeURIComponent(filter.value) : "");
    const response = await fetch(url);
    // A pattern CloudWatch refuses: its error (a server-escaped fragment) beside the box.
    const error = document.querySelector("[data-log-filter-error]");
    const body = await response.text();
    if (response.ok) region.innerHTML = body;
    if (error) error.innerHTML = response.ok ? "" : body;
    region.scrollTop = region.scrollHeight;
  }

  async function loadDetails(details) {
    const body = details.querySelector(".detail");
    if (!body || details.dataset.loaded) return;
    details.dataset.loaded = "1";
    const response = await fetch(details.dataset.src);
    body.innerHTML = await response.text();
  }

  async function submit(form, event) {
    event.preventDefault();
    const target = document.querySelector(form.dataset.target);
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "x-csrf-token": csrf, accept: "text/html" },
      body: new URLSearchParams(new FormData(form)),
    });
    if (target) { target.innerHTML = await response.text(); wire(target); }
  }

  async function drawChart(figure) {
    // The URL is the page's (function.html): the twin answers on the platform clock.
    const response = await fetch(figure.dataset.src);
    if (!response.ok) {
      const note = document.createElement("p");
      note.className = "muted";
      note.textContent = "Metrics are not available on this server.";
      figure.append(note);
      figure.dataset.state = "unavailable";
      return;
    }
    const doc = await response.json();
    const pairs = doc.timestamps.map((t, i) => [t, doc.values[i]]);
    const data = [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
    figure.dataset.points = String(pairs.length);
    figure.dataset.last = pairs.length ? String(pairs[pairs.length - 1][1]) : "";
    if (window.uPlot) {
      new window.uPlot({ width: 420, height: 160, series: [{}, { label: figure.dataset.metric, stroke: "#1d2433" }] }, data, figure);
    }
    figure.dataset.state = "drawn";
  }

  function wire(root) {
    root.querySelectorAll("form[data-action]").forEach((form) => {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("submit", (e) => submit(form, e));
    });
    root.querySelectorAll("details[data-src]").forEach((d) => {
      if (d.dataset.wired) return;
      d.dataset.wired = "1";
      d.addEventListener("toggle", () => d.open && loadDetails(d));
    });
    root.querySelectorAll("[data-countdown]").forEach((e) => {
      if (document.body.dataset.clock === "virtual" || e.dataset.wired) return;
      e.dataset.wired = "1";
      let left = parseFloat(e.dataset.countdown);
      const tick = setInterval(() => {
        left = Math.max(0, left - 1);
        e.textContent = "in " + Math.round(left) + " s";
        if (!left || !e.isConnected) clearInterval(tick);
      }, 1000);
    });
  }

  document.querySelectorAll("[data-table-filter]").forEach((input) => {
    input.addEventListener("input", () => {
      const needle = input.value.toLowerCase();
      document.querySelectorAll(input.dataset.tableFilter + " tbody tr[data-name]").forEach((tr) => {
        tr.hidden = !tr.dataset.name.toLowerCase().includes(needle);
      });
    });
  });
  document.querySelectorAll("[data-log-pause]").forEach((button) => {
    button.addEventListener("click", () => {
      paused = !paused;
      button.textContent = paused ? "Resume" : "Pause";
      if (!paused) {
        const region = document.querySelector("[data-logs]");
        held.splice(0).forEach((line) => addLine(region, line));
      }
    });
  });
  const filter = logFilter();
  if (filter) {
    let timer = null;
    filter.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { document.querySelectorAll("[data-logs]").forEach(loadTail); connect(); }, 250);
    });
  }
  document.querySelectorAll("[data-logs]").forEach(loadTail);
  document.querySelectorAll("[data-chart]").forEach(drawChart);
  wire(document);
  connect();
})();
