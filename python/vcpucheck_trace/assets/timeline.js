// vcpucheck-trace html: draws the timeline from the trace data embedded in the page.
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("trace-data").textContent);
  const N = T.events.length;
  const SVG = "http://www.w3.org/2000/svg";
  const LANE = 38, TOP = 24, STEP_H = 16, HOLD_H = 5;
  const E = (i) => ({ tid: T.events[i][0], op: T.events[i][1], object: T.events[i][2], value: T.events[i][3],
                      text: T.events[i][4], loc: T.events[i][5], fn: T.events[i][6], kind: T.events[i][7] });
  let colW = N > 600 ? 7 : 12;
  let selected = -1;

  // Steps that stay visible whatever is folded: the violation's and the ends of IPIs. (A lock
  // hold or a happens-before link that ends inside a fold is drawn to the fold.)
  const keep = new Set(T.involved);
  T.links.forEach((l) => { if (l[0] === "ipi") { keep.add(l[1]); keep.add(l[2]); } });
  T.events.forEach((e, s) => { if (e[7] === "lapic") keep.add(s); });  // a LAPIC access: an IPI being sent
  // Runs: maximal stretches of one thread's consecutive steps. Inside a run, a gap between
  // steps that must stay visible (and the run's ends) folds when it is long, keeping CONTEXT
  // steps on either side of it in view.
  const FOLD_MIN = 12, CONTEXT = 4;
  const folds = [];
  for (let i = 0; i < N;) {
    let j = i;
    while (j + 1 < N && T.events[j + 1][0] === T.events[i][0]) j++;
    const anchors = [i - 1];
    for (let s = i; s <= j; s++) if (keep.has(s)) anchors.push(s);
    anchors.push(j + 1);
    for (let k = 0; k + 1 < anchors.length; k++) {
      const first = anchors[k] + 1 + CONTEXT, last = anchors[k + 1] - 1 - CONTEXT;
      if (last - first + 1 >= FOLD_MIN) folds.push({ tid: T.events[i][0], first, last, folded: true });
    }
    i = j + 1;
  }
  const foldAt = new Array(N).fill(null);
  folds.forEach((f) => { for (let s = f.first; s <= f.last; s++) foldAt[s] = f; });
  const hiddenStep = (s) => foldAt[s] !== null && foldAt[s].folded;
  function foldAll(on) { folds.forEach((f) => { f.folded = on; }); }
  const foldWidth = (f) => colW * (2 + Math.floor(Math.log10(f.last - f.first + 1)));

  const isCpu = (name) => /^(bsp|ap\d+|cpu\d+|vcpu\d+)$/.test(name) ||
    T.events.some((e) => T.threads[e[0]] === name && (e[7] === "guest" || e[7] === "lapic"));
  const lanes = document.getElementById("lanes");
  T.threads.forEach((name, tid) => {
    const d = document.createElement("div");
    d.className = "lane" + (isCpu(name) ? " cpu" : "");
    d.dataset.thread = name;
    d.dataset.tid = tid;
    d.textContent = name;
    d.title = name;
    lanes.appendChild(d);
  });

  const svg = document.getElementById("chart");
  const el = (tag, attrs, parent) => {
    const n = document.createElementNS(SVG, tag);
    for (const k in attrs) n.setAttribute(k, attrs[k]);
    (parent || svg).appendChild(n);
    return n;
  };

  function layout() {
    const x = new Array(N).fill(0);
    const shown = [];
    let pos = 0;
    for (let s = 0; s < N; s++) {
      const f = foldAt[s];
      if (f && f.folded) {
        if (s === f.first) { shown.push({ fold: f, x: pos }); pos += foldWidth(f); }
        x[s] = shown[shown.length - 1].x;
        continue;
      }
      x[s] = pos;
      pos += colW;
    }
    return { x, folds: shown, width: pos + 2 * colW };
  }

  function arrow(id, color) {
    const m = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
                             orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, m);
  }
  let defs;

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    defs = el("defs", {});
    arrow("arrow-ipi", "#ff7f0e"); arrow("arrow-race", "#d62728"); arrow("arrow-hb", "#1f77b4");
    const L = layout();
    const height = TOP + LANE * T.threads.length;
    svg.setAttribute("width", L.width);
    svg.setAttribute("height", height);
    const y = (tid) => TOP + LANE * tid;
    T.threads.forEach((_, tid) => el("rect", { class: "lane-bg" + (tid % 2 ? " odd" : ""), x: 0, y: y(tid),
                                               width: L.width, height: LANE }));
    const every = colW >= 10 ? 10 : colW >= 5 ? 20 : 50;
    for (let s = 0; s < N; s += every) {
      if (hiddenStep(s)) continue;
      el("line", { class: "tick", x1: L.x[s], x2: L.x[s], y1: TOP - 6, y2: height });
      el("text", { class: "tick-label", x: L.x[s] + 1, y: TOP - 9 }).textContent = s;
    }
    T.holds.forEach((h) => {
      const [tid, lock, a, b, open] = h;
      const r = el("rect", { class: "hold" + (open ? " open-end" : ""), x: L.x[a], y: y(tid) + 4 + STEP_H + 3,
                             width: Math.max(L.x[b] - L.x[a] + colW, 2), height: HOLD_H, "data-lock": lock });
      el("title", {}, r).textContent = `${T.threads[tid]} holds ${lock}: steps ${a}-${b}${open ? " (still held at the end)" : ""}`;
    });
    const inv = new Set(T.involved);
    for (let s = 0; s < N; s++) {
      const e = E(s);
      const hidden = hiddenStep(s);
      const cls = `step k-${e.kind}${inv.has(s) ? " involved" : ""}${hidden ? " folded" : ""}${s === selected ? " selected" : ""}`;
      const rect = el("rect", { class: cls, x: L.x[s] + 0.5, y: y(e.tid) + 4, width: Math.max(colW - 1, 1.5),
                                height: STEP_H, "data-step": s, "data-thread": T.threads[e.tid] });
      el("title", {}, rect).textContent = `${s}: ${e.text}`;
    }
    L.folds.forEach(({ fold: f, x }) => {
      const n = f.last - f.first + 1;
      const w = foldWidth(f);
      const g = el("rect", { class: "fold", x: x + 1, y: y(f.tid) + 4, width: w - 2, height: STEP_H,
                             "data-first": f.first, "data-last": f.last });
      el("title", {}, g).textContent = `${n} steps of ${T.threads[f.tid]} folded (${f.first}-${f.last}): click to unfold`;
      g.addEventListener("click", () => { f.folded = false; draw(); });
      const label = n.toLocaleString("en-US");
      if (w >= label.length * 6 + 4) el("text", { class: "fold-label", x: x + 3, y: y(f.tid) + 4 + STEP_H - 4 }).textContent = label;
    });
    // The operation that failed before it completed (a double free, an invariant checked in
    // it) is the step after the last: drawn at the end of its thread's lane.
    T.involvedText.forEach(([step, thread]) => {
      const tid = T.threads.indexOf(thread);
      if (step !== N || tid < 0) return;
      const r = el("rect", { class: "step failing involved", x: L.width - colW + 0.5, y: y(tid) + 4,
                             width: Math.max(colW - 1, 1.5), height: STEP_H, "data-failing": step });
      el("title", {}, r).textContent = `${step}: the operation that failed (${thread})`;
    });
    const mid = (s) => [L.x[s] + colW / 2, y(E(s).tid) + 4 + STEP_H / 2];
    const curve = (a, b, cls) => {
      const [x1, y1] = mid(a), [x2, y2] = mid(b);
      const dy = y2 === y1 ? -LANE * 0.6 : 0;
      el("path", { class: cls, d: `M${x1},${y1} C${x1 + 20},${y1 + dy} ${x2 - 20},${y2 + dy} ${x2},${y2}`,
                   "data-from": a, "data-to": b });
    };
    const hb = el("g", { id: "hb-links" });
    T.links.forEach((l) => {
      if (l[0] === "ipi") return;
      const [x1, y1] = mid(l[1]), [x2, y2] = mid(l[2]);
      el("path", { class: "hb", d: `M${x1},${y1} L${x2},${y2}`, "data-kind": l[0] }, hb);
    });
    svg.classList.toggle("hb-hidden", !document.getElementById("show-hb").checked);
    T.links.forEach((l) => { if (l[0] === "ipi") curve(l[1], l[2], "ipi"); });
    if (T.involved.length >= 2) curve(T.involved[0], T.involved[T.involved.length - 1], "race-arrow");
    document.body.dataset.width = L.width;
  }

  const detail = document.getElementById("detail");
  function show(s) {
    const e = E(s);
    detail.textContent = `step ${s} · ${T.threads[e.tid]} · ${e.op} ${e.object}${e.object ? " = " + e.value : ""}\n` +
      `${e.text}\n${e.fn}\n${e.loc}` + (T.involved.includes(s) ? "\n(one of the violation's accesses)" : "");
  }
  svg.addEventListener("mouseover", (ev) => { const s = ev.target.dataset && ev.target.dataset.step; if (s !== undefined) show(+s); });
  svg.addEventListener("click", (ev) => {
    const s = ev.target.dataset && ev.target.dataset.step;
    if (s === undefined) return;
    selected = +s;
    show(selected);
    draw();
  });
  function focus(s) {
    if (foldAt[s]) foldAt[s].folded = false;
    selected = s;
    draw();
    show(s);
    const L = layout();
    document.getElementById("scroller").scrollLeft = Math.max(0, L.x[s] - 200);
  }

  const list = document.getElementById("involved");
  T.involvedText.forEach(([step, thread, what, loc]) => {
    const li = document.createElement("li");
    li.textContent = `${step >= 0 ? "step " + step : "(seen in the search)"}  ${thread}: ${what || "the failing operation"}  at ${loc}`;
    if (step >= 0 && step < N) li.addEventListener("click", () => focus(step));
    list.appendChild(li);
  });

  const legend = document.getElementById("legend");
  [["k-memory", "memory access"], ["k-lock", "lock operation"], ["k-guest", "guest instruction"],
   ["k-lapic", "LAPIC access"], ["k-other", "other"], ["involved", "the violation's accesses"],
   ["hold", "lock held"], ["ipi", "IPI sender → receiver"], ["race-arrow", "the violation"],
   ["hb", "happens-before link"], ["fold", "folded steps"]].forEach(([cls, text]) => {
    const item = document.createElement("span");
    const sw = document.createElementNS(SVG, "svg");
    sw.setAttribute("width", 14); sw.setAttribute("height", 10);
    const shape = document.createElementNS(SVG, cls === "ipi" || cls === "race-arrow" || cls === "hb" ? "line" : "rect");
    if (shape.tagName === "line") { shape.setAttribute("x1", 0); shape.setAttribute("y1", 5); shape.setAttribute("x2", 14); shape.setAttribute("y2", 5); }
    else { shape.setAttribute("width", 14); shape.setAttribute("height", 10); }
    shape.setAttribute("class", (cls.startsWith("k-") || cls === "involved" ? "step " : "") + cls);
    sw.appendChild(shape);
    item.appendChild(sw);
    item.appendChild(document.createTextNode(" " + text));
    item.className = "legend-item";
    legend.appendChild(item);
  });

  const zoom = (f) => { colW = Math.min(40, Math.max(3, Math.round(colW * f))); draw(); };
  document.getElementById("zoom-in").addEventListener("click", () => zoom(1.5));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(1 / 1.5));
  document.getElementById("unfold-all").addEventListener("click", () => { foldAll(false); draw(); });
  document.getElementById("fold-all").addEventListener("click", () => { foldAll(true); draw(); });
  document.getElementById("show-hb").addEventListener("change", draw);
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "+" || ev.key === "=") zoom(1.5);
    if (ev.key === "-") zoom(1 / 1.5);
  });
  draw();
  document.body.dataset.rendered = "ok";
})();
