// linecorr annotate: the page controller. Loads a pair, paints it, turns clicks, strokes and keys into
// operations, and keeps the page in step with the server's answers. See docs/ANNOTATOR.md.
//
// Each pair has its own write queue (api.js), kept for the life of the page: the writes of a pair left
// behind still go out while another is shown, and an answer is applied to the page only while its
// pair is the one shown, on the version it was based on. Opening a pair waits until every queue is
// idle (an edit of a frame two pairs share changes both pairs).

import { describe, getJSON, WriteQueue } from "./api.js";
import { Effort } from "./effort.js";
import { Outbox } from "./outbox.js";
import { PairState, SIDES, other, unionBox } from "./state.js";
import { Pane, ViewTransform, rgba } from "./view.js";
import { bindInput } from "./input.js";
import { Panels } from "./panels.js";
import { Suggestions, describeSuggestions, nextToCheck } from "./suggest.js";

const SELECT = rgba(255, 220, 0, 170), HOVER = rgba(255, 255, 255, 150), HOVER_MATCH = rgba(0, 230, 255, 170);
const SUGGESTED = rgba(255, 0, 255, 150);
const USER_KEY = "linecorr.annotator";
const $ = (sel) => document.querySelector(sel);

export const app = {
  info: null, pid: null, st: null, queue: null, effort: new Effort(),
  panes: { a: new Pane($("#pane-a"), "a"), b: new Pane($("#pane-b"), "b") },
  tool: "select", sel: { side: null, ids: [] }, hover: { side: null, id: 0 },
  showColor: false, showOverlay: true, width: { split: 1, brush: 2, erase: 6 }, radius: 2,
  perf: [], opTimes: [], busyFrameOp: false,
  queues: new Map(), outbox: null, openGen: 0, loading: false, bannerFromWrite: false, bannerAt: 0, adopted: 0,
  sugg: null, suggLoading: null, user: "", colorize: false, clipColors: null, colorRef: null,

  async boot() {
    this.view = new ViewTransform([this.panes.a, this.panes.b]);
    this.panels = new Panels(this);
    bindInput(this);
    this.info = await getJSON("/api/info");
    this.outbox = await Outbox.open(this.info.dataset_id);
    document.title = `annotate ${this.info.name}`;
    // the annotator's name: the one this browser was given, else the server's --annotator
    this.setUser(localStorage.getItem(USER_KEY) || this.info.annotator || "", false);
    $("#user").addEventListener("change", () => this.setUser($("#user").value, true));
    $("#threshold").value = String(this.info.low);
    $("#threshold").addEventListener("change", () => this.repaint());
    document.body.dataset.suggester = this.info.suggester || "";
    window.addEventListener("hashchange", () => this.route());
    setInterval(() => this.queue && this.queue.flushEffort(), 10000);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden" && this.queue) this.queue.flushEffort(true); });
    window.addEventListener("pagehide", () => this.queue && this.queue.flushEffort(true));
    window.addEventListener("beforeunload", (e) => { if (this.unsaved()) { e.preventDefault(); e.returnValue = ""; } });
    window.addEventListener("resize", () => this.st && this.fit());
    $("#notice-close").addEventListener("click", () => { $("#notice").hidden = true; $("#notice-list").replaceChildren(); });
    await this.adoptOrphans();
    await this.route();
  },

  /** Writes not yet answered, over every pair. */
  unsaved() { let n = 0; for (const q of this.queues.values()) n += q.pending; return n; },

  /** The queue of a pair (made on first use; its version is learnt from the server if not given). */
  queueOf(pid, version = null) {
    let q = this.queues.get(pid);
    if (!q) {
      q = new WriteQueue(pid, version, {
        effort: this.effort,
        onResult: (resp, item, queue) => this.onServer(resp, item, queue),
        onRefused: (item, msg, status, queue) => this.refused(item, msg, status, queue),
        onRebase: (msg, item, queue) => this.rebase(msg, queue),
        onState: (queue) => this.showSaveState(queue),
        user: () => this.user,
      }, this.outbox);
      this.queues.set(pid, q);
    }
    return q;
  },

  /** Send again the writes that pages now gone (closed, crashed, reloaded) left in the outbox. */
  async adoptOrphans() {
    const items = await this.outbox.orphans();
    const byPid = new Map();
    for (const it of items) { if (!byPid.has(it.pid)) byPid.set(it.pid, []); byPid.get(it.pid).push(it); }
    for (const [pid, list] of byPid) this.queueOf(pid).adopt(list);
    this.adopted = items.length; // said once the first pair shows
  },

  async route() {
    const m = location.hash.match(/^#pair=(.+)$/);
    if (m) return this.open(decodeURIComponent(m[1]));
    const q = (await getJSON("/api/pairs")).pairs;
    const next = q.find((p) => p.status === "todo" || p.status === "in_progress") || q[0];
    if (next) location.hash = `pair=${next.id}`; else this.message("this dataset has no pairs");
  },

  async open(pid) {
    const gen = ++this.openGen;
    if (this.queue) this.queue.flushEffort();
    this.loading = true;
    this.message(`loading ${pid}…`);
    // Every write still on its way is answered first: until then a pair sharing a frame with the
    // edited one is not at its final version, and an answer must reach the page of its own pair.
    const busy = [...this.queues.values()].filter((q) => q.pending && q.stalled === null);
    if (busy.length) {
      this.message(`saving, then loading ${pid}…`);
      await Promise.all(busy.map((q) => q.idle()));
    }
    if (gen !== this.openGen) return; // another pair was asked for meanwhile
    let view, st;
    try {
      view = await getJSON(`/api/pair/${pid}`);
      if (gen !== this.openGen) return;
      st = await PairState.load(view);
    } catch (e) {
      if (gen === this.openGen) { this.loading = false; this.message(e.message, true); }
      return;
    }
    if (gen !== this.openGen) return;
    this.pid = pid; this.st = st; this.sel = { side: null, ids: [] }; this.hover = { side: null, id: 0 };
    this.sugg = null;
    if (this.colorize) this.clipColors = null; // the pairs before this one may have changed since: chain again
    const q = this.queueOf(pid, view.version);
    if (!q.pending) q.version = view.version;
    this.queue = q;
    this.show(st);
    this.fit();
    this.loading = false;
    this.endFrameOp();
    this.message(this.adopted ? `${this.adopted} edit(s) an earlier page of this browser left unsaved were sent` : "",
      false, true);
    this.adopted = 0;
    this.showSaveState(q);
    this.panels.refresh();
    document.body.dataset.loaded = pid;
    document.body.dataset.version = view.version;
  },

  /** The annotator's name (recorded with every write; kept in this browser). */
  setUser(name, save) {
    this.user = name.trim().slice(0, 64);
    $("#user").value = this.user;
    if (save) { if (this.user) localStorage.setItem(USER_KEY, this.user); else localStorage.removeItem(USER_KEY); }
    document.body.dataset.user = this.user;
  },

  /** The match threshold of the page: below it an automatic match is "low confidence"; Shift+Y
   * accepts every suggestion at or above it. */
  threshold() { const t = parseFloat($("#threshold").value); return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : this.info.low; },

  /** Fetch the suggestions for the pair as shown (once per frame versions); a no-op without a suggester. */
  async loadSuggestions() {
    if (!this.info.suggester || !this.st) return;
    const key = Suggestions.keyOf(this.st.view);
    if ((this.sugg && this.sugg.key === key) || this.suggLoading === key) return;
    this.suggLoading = key;
    document.body.dataset.suggestions = "loading";
    try {
      const sugg = await Suggestions.load(this.st.view);
      if (this.st && Suggestions.keyOf(this.st.view) === sugg.key) {
        this.sugg = sugg;
        document.body.dataset.suggestions = sugg.key;
        if (this.colorize) this.repaint(); // the colorize view chains through the suggestions
        this.paintHighlights(); this.hoverInfo();
      }
    } catch (e) {
      this.message(`suggestions: ${e.message}`, true);
    } finally {
      if (this.suggLoading === key) this.suggLoading = null;
    }
  },

  /** Y: take the best suggestion of each selected segment. */
  acceptSuggestion() {
    if (!this.sugg) { this.message(this.info.suggester ? "the suggestions are still loading" : "no suggester: start linecorr annotate with --suggest NAME", true); return; }
    if (!this.sel.side || !this.sel.ids.length) { this.message("select a segment to accept its suggestion", true); return; }
    let n = 0;
    for (const id of this.sel.ids) {
      const op = this.sugg.acceptOne(this.sel.side, id);
      if (op) { this.matchOp(op); n++; }
    }
    if (!n) this.message("no suggestion for the selection", true);
  },

  /** Shift+Y: take every suggestion at or above the threshold (manual matches are kept). */
  acceptAll() {
    if (!this.sugg) { this.message(this.info.suggester ? "the suggestions are still loading" : "no suggester: start linecorr annotate with --suggest NAME", true); return; }
    const t = this.threshold(), op = this.sugg.acceptAll(t);
    if (!op) { this.message(`no suggestion at or above ${t}`, true); return; }
    this.matchOp(op);
    this.message(`accepted ${op.edges.length} suggestion(s) at or above ${t}`, false, true);
  },

  /** J / Shift+J: select the next (previous) segment still to check and bring it into view. */
  jump(dir = 1) {
    const cur = this.sel.side && this.sel.ids.length ? { side: this.sel.side, id: this.sel.ids[0] } : null;
    const nx = nextToCheck(this.st, cur, this.threshold(), dir);
    if (!nx) { this.message("nothing left to check in this pair: no segment unlabelled, below the threshold or corrected next door"); return; }
    this.sel = { side: nx.side, ids: [nx.id] };
    const pane = this.panes[nx.side], c = pane.segs.centroid(nx.id), r = pane.stage.getBoundingClientRect();
    const [x, y] = c, p = { x: r.left + this.view.tx + x * this.view.s, y: r.top + this.view.ty + y * this.view.s };
    if (p.x < r.left || p.y < r.top || p.x > r.right || p.y > r.bottom) this.view.centre(x, y);
    this.paintHighlights();
    this.hover = { side: nx.side, id: nx.id }; this.hoverInfo(); this.hover = { side: null, id: 0 };
    document.body.dataset.selected = `${nx.side}${nx.id}`;
  },

  /** Put a pair state on the panes, whole (a pair opened, or loaded again after a conflict). */
  show(st) {
    const view = st.view;
    for (const s of SIDES) {
      const f = view.frames[s];
      this.panes[s].setFrame(f.width, f.height, this.imageUrl(s));
      this.panes[s].map = st.maps[s]; this.panes[s].segs = st.segs[s];
      this.panes[s].section.querySelector(".label span").textContent = `${view.clip}/${f.id}`;
    }
    st.recolor();
    const luts = this.colorize && this.clipColors ? this.colorLuts() : st.luts;
    for (const s of SIDES) this.panes[s].paintOverlay(luts[s]);
    this.paintHighlights();
    this.refreshBar();
    this.loadSuggestions();
    if (this.colorize && (!this.clipColors || this.clipColors.pid !== view.id)) this.loadColors();
  },

  /** P: the colorize view (AnT's user study): the clip colorized from its first frame through the
   * pairs, B's colors following this pair's matches at once; a wrong color is fixed by matching the
   * segment to one of the right color (select it, click that one): the fix is saved as a match, and
   * the next pair's colors follow it through the chain. */
  async toggleColorize() {
    this.colorize = !this.colorize;
    document.body.dataset.colorize = this.colorize ? "on" : "";
    document.body.classList.toggle("colorize", this.colorize);
    if (this.colorize) await this.loadColors(); else this.show(this.st);
  },

  /** Shift+P: colorize from frame A of the pair shown (the colored reference), in the colorize view. */
  async colorizeFromHere() {
    this.colorRef = { clip: this.st.view.clip, frame: this.st.view.frame_a };
    if (!this.colorize) await this.toggleColorize(); else await this.loadColors();
    this.message(`colorized from ${this.colorRef.clip}/${this.colorRef.frame}`);
  },

  /** The clip's colors as the server chains them now (frame A's colors come from the pairs before),
   * from the reference frame chosen with Shift+P (default: the clip's first frame). */
  async loadColors() {
    const clip = this.st.view.clip, pid = this.st.view.id;
    // with a suggester, the clip is colorized with that matcher (a person's manual matches on top)
    const q = new URLSearchParams();
    if (this.colorRef && this.colorRef.clip === clip) q.set("ref", this.colorRef.frame);
    if (this.info.suggester) q.set("matcher", "1");
    q.set("until", this.st.view.frame_b); // the chain is needed only up to the pair shown
    let body;
    try {
      body = await getJSON(`/api/clip/${clip}/colors?${q}`);
    } catch (e) {
      this.message(`colorize: ${e.message}`, true);
      return;
    }
    if (!this.st || this.st.view.id !== pid || !this.colorize) return;
    this.clipColors = { clip, pid, ...body };
    this.show(this.st);
    document.body.dataset.colors = `${clip}:${Date.now()}`;
  },

  /** Opaque color tables: A's colors from the chain, each B segment the color of its best match in A
   * (manual first, then confidence, then the smaller id: as the server chains); no color: hatched
   * (the background: plain). */
  colorLuts() {
    const v = this.st.view, fa = this.clipColors.frames[v.frame_a] || {};
    const col = (c) => rgba(c[0], c[1], c[2], 255);
    const lut = { a: new Uint32Array(this.st.segs.a.maxId + 1), b: new Uint32Array(this.st.segs.b.maxId + 1) };
    for (const id of this.st.segs.a.t.ids) lut.a[id] = fa[id] ? col(fa[id]) : this.st.unsaidLut("a", id);
    const best = new Map();
    let edges = v.matches;
    if (this.clipColors.matcher) { // as the server chains with a matcher: its suggestions where no person decided
      if (!this.sugg) return lut; // B is painted once the suggestions come
      const manual = new Set(v.matches.filter((m) => m[2] === "manual").map((m) => m[1]));
      edges = v.matches.filter((m) => m[2] === "manual").concat(
        this.sugg.edges.filter((e) => !manual.has(e[1])).map(([a, b, c]) => [a, b, "auto", c]));
    }
    for (const [a, b, src, conf] of edges) {
      if (!fa[a]) continue;
      const k = [src === "manual" ? 1 : 0, conf, -a], cur = best.get(b);
      if (!cur || k[0] > cur[0][0] || (k[0] === cur[0][0] && (k[1] > cur[0][1] || (k[1] === cur[0][1] && k[2] > cur[0][2])))) best.set(b, [k, a]);
    }
    for (const id of this.st.segs.b.t.ids) { const m = best.get(id); lut.b[id] = m ? col(fa[m[1]]) : this.st.unsaidLut("b", id); }
    return lut;
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

  /** Load the pair of a queue as the server has it now and show it with the queue's edits still
   * waiting applied locally (after a conflict or a refused match edit). Returns the server's view. */
  async reload(queue) {
    const view = await getJSON(`/api/pair/${queue.pid}`);
    const stale = () => queue.pid !== this.pid || this.loading || this.st.view.version > view.version;
    if (stale()) return view; // not shown, or an answer already brought a later version
    const st = await PairState.load(view);
    if (stale()) return view;
    for (const it of queue.items) if (it.kind === "op") st.applyLocal(it.payload.op);
    this.st = st;
    if (this.sel.side) this.sel.ids = this.sel.ids.filter((id) => st.segs[this.sel.side].has(id));
    if (!this.sel.ids.length) this.sel.side = null;
    this.show(st);
    return view;
  },

  /** A write met a conflict: show the pair as it is now; the queue sends its edits again on top. */
  async rebase(msg, queue) {
    const view = await this.reload(queue);
    if (queue.pid === this.pid && queue.pending) {
      this.rebased = (this.rebased || 0) + 1;
      document.body.dataset.rebased = String(this.rebased);
      this.message(`the pair changed on the server (${msg.replace(/: reload.*$/, "")}); your ${queue.pending} ` +
        `unsaved edit(s) are applied again on top of it`, false, true);
    }
    return view;
  },

  /** A write the server did not apply: said in the banner when it was just made on what the page
   * showed, else (sent again after a conflict, or from an earlier page) kept in the notice list. */
  refused(item, msg, status, queue) {
    const current = queue.pid === this.pid;
    msg = `${describe(item)} not applied: ${msg.replace(/: reload the pair.*$/, "")}`; // the page shows it as it is now
    if (current && item.kind === "op" && item.payload.op && ["assign", "unassign", "no_match"].includes(item.payload.op.kind)) {
      this.reload(queue).catch(() => {}); // the page applied it locally: show the server's state again
    }
    if (current) this.endFrameOp();
    if (current && !item.rebased && !item.adopted) { this.message(msg, true, true); return; }
    const li = document.createElement("li");
    li.textContent = `${queue.pid}: ${msg}`;
    $("#notice-list").append(li);
    $("#notice").hidden = false;
  },

  /** The save state of the pair shown: saved, saving, offline (kept in this browser), or stopped. */
  showSaveState(queue) {
    document.body.dataset.unsaved = String(this.unsaved());
    if (queue !== this.queue) return;
    const n = queue.pending, kept = this.outbox.persistent ? "kept in this browser" : "kept in this page";
    let text = "all changes saved";
    if (queue.stalled !== null) text = `not saved: ${n} edit(s) ${kept}`;
    else if (queue.offline) text = `server unreachable: ${n} edit(s) ${kept}, retrying`;
    else if (n) text = `saving… (${n})`;
    $("#save-state").textContent = text;
    if (queue.stalled !== null) {
      this.message(`the server does not take this page's edits (${queue.stalled}); they are ${kept}: open the URL ` +
        "that linecorr annotate printed and they will be sent", true);
    }
  },

  /** The banner. ``fromWrite``: about a write, so cleared by the next write that succeeds. */
  message(text, error = false, fromWrite = false) {
    const b = $("#banner");
    b.hidden = !text; b.textContent = text; b.classList.toggle("error", error);
    this.bannerFromWrite = Boolean(text) && fromWrite;
    this.bannerAt = performance.now();
  },

  /** Repaint what changed colour (and the given boxes), then the highlights. */
  repaint(boxes = { a: [], b: [] }) {
    if (this.colorize && this.clipColors) { // a B color follows its whole group: repaint both overlays whole
      this.st.recolor();
      const luts = this.colorLuts();
      for (const s of SIDES) { this.panes[s].segs = this.st.segs[s]; this.panes[s].paintOverlay(luts[s]); }
      this.paintHighlights(); this.refreshBar();
      return;
    }
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
    if (this.sugg && this.sel.side && this.sel.ids.length === 1) {
      // the best suggestion of the selection, unless it is already a match (then cyan says it all)
      const best = this.sugg.of(this.sel.side, this.sel.ids[0])[0];
      if (best && !this.st.matchesOf(this.sel.side, this.sel.ids[0]).has(best[0])) g[other(this.sel.side)].push({ ids: [best[0]], color: SUGGESTED });
    }
    $("#sugg").textContent = this.sugg && this.sel.side && this.sel.ids.length === 1
      ? describeSuggestions(this.sugg, this.sel.side, this.sel.ids[0]) : "";
    document.body.dataset.selected = this.sel.side && this.sel.ids.length ? `${this.sel.side}${this.sel.ids[0]}` : "";
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
    $("#btn-colorize").classList.toggle("active", this.colorize);
    const n = v.matches.length, t = this.threshold();
    const low = v.matches.filter((m) => m[2] !== "manual" && m[3] < t).length;
    const ua = this.st.unlabelledCount("a"), ub = this.st.unlabelledCount("b");
    const ch = v.chain ? v.chain.a.length + v.chain.b.length : 0;
    $("#counts").textContent = `${n} matches (${low} below ${t}) · unlabelled A ${ua} / B ${ub} · ` +
      (ch ? `${ch} corrected next door · ` : "") +
      `A ${this.st.segs.a.count} / B ${this.st.segs.b.count} segments`;
    document.body.dataset.unlabelled = String(ua + ub);
    document.body.dataset.version = v.version;
  },

  hoverInfo() {
    const h = this.hover;
    if (!h.side || !h.id) { $("#hover").textContent = ""; return; }
    // each match with its source and confidence: "matches B 3 (render 1.00), 7 (manual)"
    const k = h.side === "a" ? 1 : 0;
    const m = [...this.st.edgesOf(h.side, h.id)].sort((x, y) => x[k] - y[k])
      .map((e) => `${e[k]} (${e[2]}${e[2] === "manual" ? "" : ` ${Number(e[3]).toFixed(2)}`})`);
    const un = this.st.unmatched[h.side].has(h.id);
    const chain = this.st.chainHint(h.side, h.id)
      ? ` · corrected in ${h.side === "a" ? "the pair before" : "the pair after"}` : "";
    $("#hover").textContent = `${h.side.toUpperCase()} #${h.id} · ${this.st.segs[h.side].area(h.id)} px · ` +
      (m.length ? `matches ${other(h.side).toUpperCase()} ${m.join(", ")}` : un ? "no match (marked)"
        : this.st.isBackground(h.side, h.id) ? "background" : "unlabelled") + chain;
  },

  // ---- writes -----------------------------------------------------------------------------------
  /** Whether an edit can be made now (not while the next pair is loading). */
  ready() {
    if (!this.loading) return true;
    this.message("the next pair is loading: make the edit once it shows");
    return false;
  },
  /** A match operation: applied locally at once, then saved. */
  matchOp(op) {
    if (!this.ready()) return;
    this.st.applyLocal(op);
    this.repaint();
    this.queue.push("op", { op });
  },
  /** A segment operation: the server computes the new label map; the page applies its patch. */
  frameOp(op) {
    if (!this.ready()) return;
    this.busyFrameOp = true;
    document.body.classList.add("busy");
    this.queue.push("op", { op });
  },
  write(kind, payload = {}) {
    if (!this.ready()) return;
    this.busyFrameOp = true;
    this.queue.push(kind, payload);
  },

  /** A write's answer: applied only to its own pair, and patched in only onto the version it was
   * based on (else the answer's state is loaded whole). */
  async onServer(resp, item, queue) {
    this.opTimes.push({ kind: item.payload.op ? item.payload.op.kind : item.kind, ms: item.ms });
    if (queue.pid !== this.pid || resp.pair.id !== this.pid) return; // saved; that pair is not shown
    // a message about an earlier write, or any shown before this write was made, is out of date now
    if (this.bannerFromWrite || item.t0 > this.bannerAt) this.message("");
    let boxes;
    if (this.st.view.version === item.sentBase) {
      boxes = await this.st.applyServer(resp);
    } else {
      const st = await PairState.load(resp.pair);
      if (queue.pid !== this.pid) return;
      this.st = st;
      this.show(st);
      boxes = { a: [], b: [] };
    }
    // later queued match edits stay visible until their own answers come
    for (const it of queue.items.slice(1)) if (it.kind === "op") this.st.applyLocal(it.payload.op);
    // drop selected ids that no longer exist
    if (this.sel.side) this.sel.ids = this.sel.ids.filter((id) => this.st.segs[this.sel.side].has(id));
    if (!this.sel.ids.length) this.sel.side = null;
    this.repaint(boxes);
    if (queue.items.length <= 1) this.endFrameOp();
    this.panels.refreshHistory();
    this.loadSuggestions(); // a segment edit changed a frame: suggestions for the new version
    if (this.colorize && Object.keys(resp.patches || {}).length) this.loadColors(); // ids changed: chain again
  },

  endFrameOp() { this.busyFrameOp = false; document.body.classList.remove("busy"); },

  setStatus(status) {
    if (!this.ready()) return;
    this.queue.push("op", { op: { kind: "status", status, comment: $("#comment").value } });
  },
};

app.boot().catch((e) => app.message(`cannot start: ${e.message}`, true));
window.__annot = app; // for the browser tests and the latency benchmark
