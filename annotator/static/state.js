// The pair being corrected, as the page holds it: the server's view of the pair, the two decoded label
// maps, the match index and the overlay colour tables. Local match edits (assign, remove, no-match)
// are applied here at once, mirroring annotator/ops.py, and replaced by the server's answer.

import { loadSegMap, applyPatch, Segments } from "./segmap.js";
import { HATCH, groupColor, rgba } from "./view.js";

export const SIDES = ["a", "b"];
export const other = (side) => (side === "a" ? "b" : "a");
const NO_MATCH = rgba(230, 40, 40, 150);
const OVERLAY_ALPHA = 120;

export class PairState {
  constructor(view) {
    this.view = view; this.maps = {}; this.segs = {}; this.luts = { a: new Uint32Array(1), b: new Uint32Array(1) };
    this.index();
  }

  static async load(view) {
    const st = new PairState(view);
    await Promise.all(SIDES.map(async (s) => {
      const f = view.frames[s];
      st.maps[s] = await loadSegMap(view.clip, f.id, f.version);
      st.segs[s] = new Segments(f.segments);
    }));
    return st;
  }

  get version() { return this.view.version; }
  frame(side) { return this.view.frames[side]; }

  /** Match index: side -> Map(id -> Set(ids of the other frame)). */
  index() {
    const ma = new Map(), mb = new Map(), ea = new Map(), eb = new Map();
    for (const m of this.view.matches) {
      const [a, b] = m;
      if (!ma.has(a)) { ma.set(a, new Set()); ea.set(a, []); } ma.get(a).add(b); ea.get(a).push(m);
      if (!mb.has(b)) { mb.set(b, new Set()); eb.set(b, []); } mb.get(b).add(a); eb.get(b).push(m);
    }
    this.matchOf = { a: ma, b: mb };
    this.edges = { a: ea, b: eb };
    this.unmatched = { a: new Set(this.view.unmatched_a), b: new Set(this.view.unmatched_b) };
  }

  matchesOf(side, id) { return this.matchOf[side].get(id) || new Set(); }
  /** Whether a segment was corrected in the neighbouring pair that shares its frame (view.chain). */
  chainHint(side, id) {
    if (!this.chainSets || this.chainSets.view !== this.view) {
      const c = this.view.chain || { a: [], b: [] };
      this.chainSets = { view: this.view, a: new Set(c.a), b: new Set(c.b) };
    }
    return this.chainSets[side].has(id);
  }
  /** Whether a segment is the frame's background (label -1 and touching the border, as the server
   * sends it in view.frames[side].background): drawn plainly, never unlabelled, skipped by J. A
   * person may still match it; then it shows and counts like any matched segment. */
  isBackground(side, id) {
    if (!this.bgSets || this.bgSets.view !== this.view) {
      const f = this.view.frames;
      this.bgSets = { view: this.view, a: new Set(f.a.background || []), b: new Set(f.b.background || []) };
    }
    return this.bgSets[side].has(id);
  }
  /** LUT value of a segment the pair says nothing about (neither matched nor marked): nothing (the
   * image shows through) for the background, else HATCH, which view.js paints as stripes. */
  unsaidLut(side, id) { return this.isBackground(side, id) ? 0 : HATCH; }
  /** The matches [a, b, source, confidence] of a segment. */
  edgesOf(side, id) { return this.edges[side].get(id) || []; }
  /** Segments of a side neither matched nor marked "no match", the background left out. */
  unlabelledCount(side) {
    let n = 0;
    for (const id of this.segs[side].t.ids) {
      if (!this.matchOf[side].has(id) && !this.unmatched[side].has(id) && !this.isBackground(side, id)) n++;
    }
    return n;
  }

  /** Recompute both colour tables; returns {side: [changed ids]} against the previous tables. */
  recolor() {
    // Connected components of the match graph; each group's colour comes from its smallest A id.
    const seed = { a: new Map(), b: new Map() };
    const seen = new Set();
    for (const a of [...this.matchOf.a.keys()].sort((x, y) => x - y)) {
      if (seen.has(`a${a}`)) continue;
      const stack = [["a", a]];
      seen.add(`a${a}`);
      while (stack.length) {
        const [s, id] = stack.pop();
        seed[s].set(id, a);
        for (const o of this.matchesOf(s, id)) {
          const k = `${other(s)}${o}`;
          if (!seen.has(k)) { seen.add(k); stack.push([other(s), o]); }
        }
      }
    }
    const changed = {};
    for (const s of SIDES) {
      const segs = this.segs[s];
      const n = Math.max(segs.maxId, this.maps[s] ? 0 : 0) + 1;
      const lut = new Uint32Array(n);
      for (const [id, sd] of seed[s]) if (id < n) lut[id] = groupColor(sd, OVERLAY_ALPHA);
      for (const id of this.unmatched[s]) if (id < n) lut[id] = NO_MATCH;
      for (const id of segs.t.ids) if (id < n && !lut[id]) lut[id] = this.unsaidLut(s, id); // unlabelled: hatched, background: plain
      const old = this.luts[s];
      changed[s] = segs.t.ids.filter((id) => (id < old.length ? old[id] : 0) !== lut[id]);
      this.luts[s] = lut;
    }
    return changed;
  }

  /** Apply a match operation locally (same rules as annotator/ops.py) for an instant repaint. */
  applyLocal(op) {
    const v = this.view;
    const key = (s, id, o) => (s === "a" ? [id, o] : [o, id]);
    const touches = (m, s, id) => m[s === "a" ? 0 : 1] === id;
    let ua = new Set(v.unmatched_a), ub = new Set(v.unmatched_b);
    const mine = op.side === "a" ? ua : ub, theirs = op.side === "a" ? ub : ua;
    if (op.kind === "assign") {
      const add = op.targets.map((t) => [...key(op.side, op.seg, t), "manual", 1.0]);
      const addKeys = new Set(add.map((m) => `${m[0]},${m[1]}`));
      v.matches = v.matches.filter((m) => !(op.replace && touches(m, op.side, op.seg)) && !addKeys.has(`${m[0]},${m[1]}`)).concat(add);
      mine.delete(op.seg); op.targets.forEach((t) => theirs.delete(t));
    } else if (op.kind === "unassign") {
      const drop = op.targets ? new Set(op.targets) : null;
      const o = op.side === "a" ? 1 : 0;
      v.matches = v.matches.filter((m) => !(touches(m, op.side, op.seg) && (!drop || drop.has(m[o]))));
      if (!op.targets) mine.delete(op.seg);
    } else if (op.kind === "accept") {
      const k = op.side === "a" ? 0 : 1;
      const manual = new Set(v.matches.filter((m) => m[2] === "manual").map((m) => m[k]));
      const take = op.edges.filter((e) => op.replace_manual || !manual.has(e[k]));
      const segs = new Set(take.map((e) => e[k])), pairs = new Set(take.map((e) => `${e[0]},${e[1]}`));
      v.matches = v.matches.filter((m) => !segs.has(m[k]) && !pairs.has(`${m[0]},${m[1]}`))
        .concat(take.map(([a, b, c]) => [a, b, op.source, op.source === "manual" ? 1.0 : c]));
      for (const [a, b] of take) { ua.delete(a); ub.delete(b); }
    } else if (op.kind === "no_match") {
      v.matches = v.matches.filter((m) => !touches(m, op.side, op.seg));
      mine.add(op.seg);
    } else return;
    v.unmatched_a = [...ua]; v.unmatched_b = [...ub];
    this.index();
  }

  /** Take the server's answer to a write: new view, label map patches. Returns boxes to repaint. */
  async applyServer(resp) {
    const boxes = { a: [], b: [] };
    for (const [side, patch] of Object.entries(resp.patches || {})) {
      await applyPatch(this.maps[side], patch);
      boxes[side].push(patch.bbox);
    }
    this.view = resp.pair;
    for (const s of SIDES) this.segs[s] = new Segments(this.view.frames[s].segments);
    this.index();
    return boxes;
  }
}

/** Union of boxes [x, y, w, h] (null for none). */
export function unionBox(boxes) {
  if (!boxes.length) return null;
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (const [x, y, w, h] of boxes) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + w); y1 = Math.max(y1, y + h); }
  return [x0, y0, x1 - x0, y1 - y0];
}
