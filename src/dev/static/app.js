// The dev UI's page script: polls /api/state, shows the live tiles (MJPEG <img>), the
// panels, the charts (uPlot) and the metrics, and drives start, stop, sources and the
// line and zone editor. Plain browser JavaScript, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const tiles = new Map(); // source id -> { el, img, canvas, progress, text }
const charts = new Map(); // algo -> { el, plot, output, info }
let state = null;
let formFilled = false;
let drawing = null; // { source, points: [[x, y]] } while the editor collects points
let errorShown = "";
let lastRunError; // the state's error last seen

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text };
  }
  if (!response.ok) throw new Error((data && data.error) || "HTTP " + response.status);
  return data;
}

function showError(message) {
  const el = $("error");
  errorShown = message || "";
  el.textContent = errorShown;
  el.hidden = !errorShown;
}

async function act(fn) {
  try {
    showError("");
    await fn();
  } catch (e) {
    showError(e.message);
  }
  await refresh();
}

function number(id) {
  const v = $(id).value.trim();
  return v === "" ? undefined : Number(v);
}

function startRequest() {
  const sources = $("sources").value.split("\n").map((l) => l.trim()).filter((l) => l)
    .map((line) => {
      const m = /^([A-Za-z0-9_-]+)=(.+)$/.exec(line);
      return m ? { id: m[1], url: m[2].trim() } : { url: line };
    });
  const request = {
    width: number("width"),
    height: number("height"),
    fps: number("fps"),
    position: number("position"),
    mode: $("mode").value,
    use: [...document.querySelectorAll("#algos input:checked")].map((c) => Number(c.value)),
    plugins: $("plugins").value.split(",").map((p) => p.trim()).filter((p) => p),
    interval: number("interval"),
  };
  if ($("format").value) request.format = $("format").value;
  if (sources.length) request.sources = sources;
  return request;
}

function fillForm(s) {
  if (formFilled) return;
  formFilled = true;
  const c = s.config;
  $("config-file").textContent = c.file || "no config file";
  $("sources").value = c.sources.map((x) => (x.id === "main" ? x.url : x.id + "=" + x.url))
    .join("\n");
  if (c.width) $("width").value = c.width;
  if (c.height) $("height").value = c.height;
  if (c.fps) $("fps").value = c.fps;
  if (c.position) $("position").value = c.position;
  if (c.format) $("format").value = c.format;
  if (c.file) $("mode").value = c.mode || "offline";
  $("algos").replaceChildren(...c.algos.map((a) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = String(a.index);
    label.append(box, " " + a.label);
    return label;
  }));
  $("tracked").replaceChildren(...c.tracked.map((t) => {
    const o = document.createElement("option");
    o.value = t;
    return o;
  }));
  if (c.tracked.length) $("shape-on").value = c.tracked[0];
}

function tileOf(source) {
  let t = tiles.get(source.id);
  if (t) return t;
  const el = document.createElement("div");
  el.className = "tile";
  el.dataset.source = source.id;
  el.innerHTML = '<div class="frame"><img class="live" alt=""><canvas></canvas></div>' +
    '<div class="bar"><b class="name"></b><progress max="1" value="0"></progress>' +
    '<span class="where"></span><button class="remove" title="remove this source">×</button></div>';
  t = {
    el,
    img: el.querySelector("img"),
    canvas: el.querySelector("canvas"),
    progress: el.querySelector("progress"),
    text: el.querySelector(".where"),
  };
  el.querySelector(".name").textContent = source.id;
  el.querySelector(".remove").onclick = () =>
    act(() => api("DELETE", "/api/control/sources/" + encodeURIComponent(source.id)));
  t.canvas.addEventListener("click", (e) => addPoint(source.id, t, e));
  t.img.addEventListener("load", () => drawShapes(source.id, t));
  $("tiles").append(el);
  tiles.set(source.id, t);
  const option = document.createElement("option");
  option.value = option.textContent = source.id;
  $("shape-source").append(option);
  return t;
}

function watch(t, id) {
  const want = $("show-frames").checked ? "/video/" + encodeURIComponent(id) + ".mjpg" : "";
  if (want && !t.img.src.endsWith(want)) t.img.src = want;
  if (!want && t.img.getAttribute("src")) t.img.removeAttribute("src");
}

function clock(s) {
  const m = Math.floor(s / 60);
  return m + ":" + String(Math.floor(s % 60)).padStart(2, "0");
}

function renderTiles(s) {
  const seen = new Set();
  for (const source of s.sources) {
    if (source.state === "removed") continue;
    seen.add(source.id);
    const t = tileOf(source);
    watch(t, source.id);
    if (source.live || !source.duration) {
      t.progress.removeAttribute("value");
      t.text.textContent = (source.live ? "live " : "") + clock(source.position) + " " +
        source.state;
    } else {
      t.progress.value = Math.min(1, source.position / source.duration);
      t.text.textContent = clock(source.position) + " / " + clock(source.duration) + " " +
        source.state;
    }
    t.el.title = source.error || source.url;
    drawShapes(source.id, t);
  }
  for (const [id, t] of tiles) {
    if (seen.has(id)) continue;
    t.img.removeAttribute("src");
    t.el.remove();
    tiles.delete(id);
    for (const o of [...$("shape-source").options]) if (o.value === id) o.remove();
  }
}

function chartOf(name) {
  let c = charts.get(name);
  if (c) return c;
  const el = document.createElement("div");
  el.className = "panel";
  el.dataset.algo = name;
  el.innerHTML = '<h3></h3><div class="muted info"></div><pre class="output"></pre>' +
    '<div class="chart"></div>';
  el.querySelector("h3").textContent = name;
  $("panels").append(el);
  const plot = new uPlot(
    {
      width: 340,
      height: 120,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ stroke: "#8fa1b3", grid: { stroke: "#2a323c" } }, {
        stroke: "#8fa1b3",
        grid: { stroke: "#2a323c" },
      }],
      series: [{}, { label: name, stroke: "#4ea1ff", fill: "rgba(78,161,255,0.15)" }],
    },
    [[], []],
    el.querySelector(".chart"),
  );
  c = { el, plot, output: el.querySelector(".output"), info: el.querySelector(".info") };
  charts.set(name, c);
  return c;
}

function renderPanels(s) {
  for (const [name, p] of Object.entries(s.algos)) {
    const c = chartOf(name);
    c.output.textContent = p.output || "(no result yet)";
    const what = p.counts ? "count" : "detections/s";
    c.info.textContent = p.runs + " runs" + (p.errors ? ", " + p.errors + " errors" : "") +
      (p.runMs !== undefined ? ", run " + p.runMs + " ms" : "") +
      (p.lagMs !== undefined ? ", lag " + p.lagMs + " ms" : "") +
      (p.frame >= 0 ? ", " + p.source + " frame " + p.frame : "") + " · chart: " + what +
      " per second of run";
    c.plot.setData([p.series.map((x) => x[0]), p.series.map((x) => x[1])]);
  }
  const counters = Object.entries(s.algos).filter(([, p]) => p.counts);
  $("counters").replaceChildren(...counters.map(([name, p]) => {
    const el = document.createElement("div");
    el.className = "counter";
    el.dataset.analytics = name;
    el.innerHTML = "<b></b><span></span>";
    el.querySelector("b").textContent = name;
    el.querySelector("span").textContent = Object.entries(p.counts)
      .map(([k, v]) => k + " " + v).join("  ");
    return el;
  }));
  $("messages").replaceChildren(
    ...s.messages.slice(-8).map((m) => {
      const li = document.createElement("li");
      li.textContent = m;
      return li;
    }),
  );
}

function renderMetrics(s) {
  const m = s.metrics;
  const rows = [
    ["fps", m.fps],
    ["lag p50", m.lagMs === undefined ? "-" : m.lagMs + " ms"],
    ["run time", clock(m.seconds)],
    ["dropped", m.dropped],
    ["reconnects", m.reconnects],
  ];
  $("metrics").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = String(v);
    dd.dataset.metric = k;
    return [dt, dd];
  }));
}

function renderShapes(s) {
  $("shapes").replaceChildren(...s.shapes.map((shape) => {
    const li = document.createElement("li");
    li.textContent = shape.type + " " + shape.name + " on " + shape.on + " (" +
      shape.points.length + " points" + (shape.saved ? ", saved" : ", not saved") + ")";
    return li;
  }));
}

function render(s) {
  fillForm(s);
  const status = $("status");
  status.textContent = s.starting ? "starting" : s.running ? "running (" + s.mode + ")" : "stopped";
  status.className = "status" + (s.running ? " running" : "");
  $("start").disabled = s.running || s.starting;
  $("stop").disabled = !s.running;
  $("frames").hidden = !$("show-frames").checked;
  $("results").hidden = !$("show-results").checked;
  // a run's own error (a source that failed later, say), shown once when it is new
  if (s.error !== lastRunError) {
    lastRunError = s.error;
    if (s.error) showError(s.error);
  }
  renderTiles(s);
  renderPanels(s);
  renderMetrics(s);
  renderShapes(s);
}

async function refresh() {
  try {
    state = await api("GET", "/api/state");
    render(state);
  } catch (e) {
    showError("the server did not answer: " + e.message);
  }
}

// ---- the line and zone editor ----

function framePoint(t, e) {
  const rect = t.canvas.getBoundingClientRect();
  const w = t.img.naturalWidth || rect.width;
  const h = t.img.naturalHeight || rect.height;
  return [
    Math.round((e.clientX - rect.left) * w / rect.width),
    Math.round((e.clientY - rect.top) * h / rect.height),
  ];
}

function addPoint(id, t, e) {
  if (!drawing) return;
  if (drawing.source !== id) drawing = { source: id, points: [] };
  drawing.points.push(framePoint(t, e));
  $("shape-source").value = id;
  $("preview").disabled = $("save").disabled = drawing.points.length < 2;
  $("shape-hint").textContent = drawing.points.length + " points on " + id;
  drawShapes(id, t);
}

function drawShapes(id, t) {
  const c = t.canvas;
  const w = t.img.naturalWidth;
  const h = t.img.naturalHeight;
  if (!w || !h) return;
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  const g = c.getContext("2d");
  g.clearRect(0, 0, w, h);
  c.classList.toggle("drawing", drawing !== null);
  if (!drawing || drawing.source !== id || drawing.points.length === 0) return;
  g.strokeStyle = "#ffcc00";
  g.fillStyle = "#ffcc00";
  g.lineWidth = Math.max(2, h / 300);
  g.beginPath();
  drawing.points.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  if ($("shape-type").value === "zone" && drawing.points.length > 2) g.closePath();
  g.stroke();
  for (const [x, y] of drawing.points) g.fillRect(x - 4, y - 4, 8, 8);
}

function shapeBody() {
  if (!drawing || drawing.points.length === 0) throw new Error("draw the shape first");
  return {
    type: $("shape-type").value,
    name: $("shape-name").value.trim(),
    on: $("shape-on").value.trim(),
    points: drawing.points,
    source: drawing.source,
  };
}

function stopDrawing() {
  drawing = null;
  $("preview").disabled = $("save").disabled = true;
  $("shape-hint").textContent = "Draw, then click points on a frame.";
  for (const [id, t] of tiles) drawShapes(id, t);
}

$("draw").onclick = () => {
  const id = $("shape-source").value || [...tiles.keys()][0];
  if (!id) return showError("start a run first: shapes are drawn on a frame");
  drawing = { source: id, points: [] };
  $("shape-hint").textContent = "click points on " + id;
  for (const [sid, t] of tiles) drawShapes(sid, t);
};
$("clear").onclick = () =>
  act(async () => {
    const name = $("shape-name").value.trim();
    stopDrawing();
    if (name) await api("DELETE", "/api/shapes/" + encodeURIComponent(name));
  });
$("preview").onclick = () =>
  act(async () => {
    await api("POST", "/api/shapes", shapeBody());
  });
$("save").onclick = () =>
  act(async () => {
    await api("POST", "/api/shapes/save", shapeBody());
    stopDrawing();
  });

// ---- run controls ----

$("start").onclick = () =>
  act(async () => {
    $("start").disabled = true;
    await api("POST", "/api/start", startRequest());
  });
$("stop").onclick = () => act(() => api("POST", "/api/stop"));
$("add-source").onclick = () =>
  act(async () => {
    const body = { id: $("add-id").value.trim(), url: $("add-url").value.trim() };
    const producer = {};
    if (number("width") !== undefined) producer.width = number("width");
    if (number("height") !== undefined) producer.height = number("height");
    if (Object.keys(producer).length) body.producer = producer;
    await api("POST", "/api/control/sources", body);
    $("add-id").value = $("add-url").value = "";
  });
$("show-frames").onchange = () => state && render(state);
$("show-results").onchange = () => state && render(state);

refresh();
setInterval(refresh, 500);
