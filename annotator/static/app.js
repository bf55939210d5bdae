// linecorr annotate: the page controller. Loads a pair, paints it, turns clicks, strokes and keys into
// operations, and keeps the page in step with the server's answers. See docs/ANNOTATOR.md.

import { getJSON, WriteQueue } from "./api.js";
import { Effort } from "./effort.js";
import { PairState, SIDES, other, unionBox } from "./state.js";
import { Pane, ViewTransform, rgba } from "./view.js";
import { bindInput } from "./input.js";
import { Panels } from "./panels.js";

const SELECT = rgba(255, 220, 0, 170), HOVER = rgba(255, 255, 255, 150), HOVER_MATCH = rgba(0, 230, 255, 170);
const $ = (sel) => document.querySelector(sel);

export const app = {
  info: null, pid: null, st: null, queue: null, effort: new Effort(),
  panes: { a: new Pane($("#pane-a"), "a"), b: new Pane($("#pane-b"), "b") },
  tool: "select", sel: { side: null, ids: [] }, hover: { side: null, id: 0 },
  showColor: false, showOverlay: true, width: { split: 1, brush: 2, erase: 6 }, radius: 2,
  perf: [], opTimes: [], busyFrameOp: false,

  async boot() {
    this.view = new ViewTransform([this.panes.a, this.panes.b]);
    this.panels = new Panels(this);
    bindInput(this);
    this.info = await getJSON("/api/info");
    document.title = `annotate ${this.info.name}`;
    window.addEventListener("hashchange", () => this.route());
    setInterval(() => this.queue && this.queue.flushEffort(), 10000);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden" && this.queue) this.queue.flushEffort(true); });
    window.addEventListener("pagehide", () => this.queue && this.queue.flushEffort(true));
    window.addEventListener("beforeunload", (e) => { if (this.queue && this.queue.pending) { e.preventDefault(); e.returnValue = ""; } });
    window.addEventListener("resize", () => this.st && this.fit());
    await this.route();
  },

  async route() {
    const m = location.hash.match(/^#pair=(.+)$/);
    if (m) return this.open(decodeURIComponent(m[1]));
    const q = (await getJSON("/api/pairs")).pairs;
    const next = q.find((p) => p.status === "todo" || p.status === "in_progress") || q[0];
    if (next) location.hash = `pair=${next.id}`; else this.message("this dataset has no pairs");
  },

  async open(pid) {
    if (this.queue) this.queue.flushEffort();
    this.message(`loading ${pid}…`);
    let view;
    try { view = await getJSON(`/api/pair/${pid}`); } catch (e) { this.message(e.message, true); return; }
    const st = await PairState.load(view);
    this.pid = pid; this.st = st; this.sel = { side: null, ids: [] }; this.hover = { side: null, id: 0 };
    this.queue = new WriteQueue(pid, view.version, {
      effort: this.effort,
      onResult: (resp, item) => this.onServer(resp, item),
      onError: (msg) => { this.message(msg, true); this.endFrameOp(); this.resync(); },
      onConflict: (msg) => this.conflict(msg),
      onState: (t) => { $("#save-state").textContent = t; },
    });
    for (const s of SIDES) {
      const f = view.frames[s];
      this.panes[s].setFrame(f.width, f.height, this.imageUrl(s));
      this.panes[s].map = st.maps[s]; this.panes[s].segs = st.segs[s];
      this.panes[s].section.querySelector(".label span").textContent = `${view.clip}/${f.id}`;
    }
    st.recolor();
    for (const s of SIDES) this.panes[s].paintOverlay(st.luts[s]);
    this.fit();
    this.refreshBar();
    this.message("");
    $("#save-state").textContent = "all changes saved";
    this.panels.refresh();
    document.body.dataset.loaded = pid;
    document.body.dataset.version = view.version;
  },

  /** Client coordinates of the centre of image pixel (x, y) of a side (tests, benchmark). */
  screenPoint(side, x, y) {
    const r = this.panes[side].stage.getBoundingClientRect();
    return { x: r.left + this.view.tx + (x + 0.5) * this.view.s, y: r.top + this.view.ty + (y + 0.5) * this.view.s };
  },

  imageUrl(side) {
    const f = this.st.view.frames[side];
    const kind = this.showColor && f.has_color ? "color" : "line";
    return `/api/frame/${this.st.view.clip}/${f.id}/${kind}`;
  },
  fit() { const f = this.st.view.frames.a; this.view.fit(f.width, f.height); },

  async resync() { // after a refused write: show the server's state again
    const view = await getJSON(`/api/pair/${this.pid}`);
    if (view.version !== this.queue.version) return this.conflict("the pair changed on the server");
    this.st.view = view; this.st.index(); this.repaint();
  },

  conflict(msg) {
    this.message(`${msg} — your page is out of date. Reload to continue (nothing you saved is lost).`, true, true);
    document.body.dataset.conflict = "1";
  },

  message(text, error = false, reload = false) {
    const b = $("#banner");
    b.hidden = !text; b.textContent = text; b.classList.toggle("error", error);
    if (reload) {
      const btn = document.createElement("button");
      btn.textContent = "Reload"; btn.id = "btn-reload"; btn.onclick = () => location.reload();
      b.append(" ", btn);
    }
  },

  /** Repaint what changed colour (and the given boxes), then the highlights. */
  repaint(boxes = { a: [], b: [] }) {
    const changed = this.st.recolor();
    for (const s of SIDES) {
      const pane = this.panes[s];
      pane.segs = this.st.segs[s];
      const bb = [...boxes[s], ...changed[s].map((id) => this.st.segs[s].bbox(id)).filter(Boolean)];
      const u = unionBox(bb);
      if (u) pane.paintOverlay(this.st.luts[s], u);
    }
    this.paintHighlights();
    this.refreshBar();
  },

  paintHighlights() {
    const g = { a: [], b: [] };
    if (this.sel.side) g[this.sel.side].push({ ids: this.sel.ids, color: SELECT });
    const h = this.hover;
    if (h.side && h.id) {
      g[h.side].push({ ids: [h.id], color: HOVER });
      g[other(h.side)].push({ ids: [...this.st.matchesOf(h.side, h.id)], color: HOVER_MATCH });
    }
    if (this.sel.side && this.sel.ids.length === 1 && !(h.side === this.sel.side && h.id === this.sel.ids[0])) {
      g[other(this.sel.side)].push({ ids: [...this.st.matchesOf(this.sel.side, this.sel.ids[0])], color: HOVER_MATCH });
    }
    for (const s of SIDES) this.panes[s].highlight(g[s]);
  },

  refreshBar() {
    const v = this.st.view;
    $("#pair-id").textContent = v.id;
    const badge = $("#status");
    badge.textContent = v.status.replace("_", " "); badge.className = `badge ${v.status}`;
    $("#btn-undo").disabled = !v.can_undo; $("#btn-redo").disabled = !v.can_redo;
    $("#btn-undo").title = v.can_undo ? `Undo ${v.undo_kind} (Ctrl+Z)` : "Nothing to undo (Ctrl+Z)";
    $("#btn-redo").title = v.can_redo ? `Redo ${v.redo_kind} (Ctrl+Shift+Z)` : "Nothing to redo (Ctrl+Shift+Z)";
    $("#comment").value = document.activeElement === $("#comment") ? $("#comment").value : v.comment;
    for (const b of document.querySelectorAll("[data-tool]")) b.classList.toggle("active", b.dataset.tool === this.tool);
    $("#btn-color").classList.toggle("active", this.showColor);
    $("#btn-overlay").classList.toggle("active", this.showOverlay);
    const n = v.matches.length;
    $("#counts").textContent = `${n} matches · A ${this.st.segs.a.count} / B ${this.st.segs.b.count} segments`;
    document.body.dataset.version = v.version;
  },

  hoverInfo() {
    const h = this.hover;
    if (!h.side || !h.id) { $("#hover").textContent = ""; return; }
    const m = [...this.st.matchesOf(h.side, h.id)].sort((x, y) => x - y);
    const un = this.st.unmatched[h.side].has(h.id);
    $("#hover").textContent = `${h.side.toUpperCase()} #${h.id} · ${this.st.segs[h.side].area(h.id)} px · ` +
      (m.length ? `matches ${other(h.side).toUpperCase()} ${m.join(", ")}` : un ? "no match (marked)" : "unlabelled");
  },

  // ---- writes -----------------------------------------------------------------------------------
  /** A match operation: applied locally at once, then saved. */
  matchOp(op) {
    this.st.applyLocal(op);
    this.repaint();
    this.queue.push("op", { op });
  },
  /** A segment operation: the server computes the new label map; the page applies its patch. */
  frameOp(op) {
    this.busyFrameOp = true;
    document.body.classList.add("busy");
    this.queue.push("op", { op });
  },
  write(kind, payload = {}) { this.busyFrameOp = true; this.queue.push(kind, payload); },

  async onServer(resp, item) {
    const boxes = await this.st.applyServer(resp);
    // drop selected ids that no longer exist
    if (this.sel.side) this.sel.ids = this.sel.ids.filter((id) => this.st.segs[this.sel.side].has(id));
    if (!this.sel.ids.length) this.sel.side = null;
    this.repaint(boxes);
    this.opTimes.push({ kind: item.payload.op ? item.payload.op.kind : item.kind, ms: item.ms });
    this.endFrameOp();
    this.panels.refreshHistory();
  },

  endFrameOp() { this.busyFrameOp = false; document.body.classList.remove("busy"); },

  setStatus(status) {
    this.queue.push("op", { op: { kind: "status", status, comment: $("#comment").value } });
  },
};

app.boot().catch((e) => app.message(`cannot start: ${e.message}`, true));
window.__annot = app; // for the browser tests and the latency benchmark
