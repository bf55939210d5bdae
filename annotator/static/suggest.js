// Model suggestions and the "what is left to check" cursor (issue #19, point 7).
//
// The server asks its suggester (linecorr annotate --suggest NAME) for the pair as it is now and
// answers edges [a, b, confidence], highest first; they are fetched once per pair and frame
// versions. Selecting a segment shows its best suggestions in the other frame; Y takes the best
// one (op "accept", replacing the segment's matches), Shift+Y every suggestion at or above the
// threshold (never over a manual match). J / Shift+J walk the segments still to check: unlabelled
// ones (neither matched nor marked "no match"), those whose matches are all automatic and below
// the threshold, and those a person corrected in the neighbouring pair (the chain) not yet
// decided here; never the frame's background (PairState.isBackground).

import { getJSON } from "./api.js";
import { SIDES, other } from "./state.js";

export class Suggestions {
  constructor(name, view) {
    this.name = name; this.key = Suggestions.keyOf(view); this.edges = [];
    this.by = { a: new Map(), b: new Map() };
  }

  /** Frame versions the suggestions were made for (a segment edit makes them stale). */
  static keyOf(view) { return `${view.id}@${view.frames.a.version},${view.frames.b.version}`; }

  static async load(view) {
    const body = await getJSON(`/api/pair/${view.id}/suggest`);
    const s = new Suggestions(body.name, view);
    s.key = `${view.id}@${body.versions.a},${body.versions.b}`;
    s.edges = body.edges;
    for (const [a, b, c] of body.edges) {
      if (!s.by.a.has(a)) s.by.a.set(a, []); s.by.a.get(a).push([b, c]);
      if (!s.by.b.has(b)) s.by.b.set(b, []); s.by.b.get(b).push([a, c]);
    }
    return s;
  }

  /** [[other id, confidence], ...] for a segment, best first. */
  of(side, id) { return this.by[side].get(id) || []; }

  /** The accept op taking the best suggestion of (side, id), or null when there is none. */
  acceptOne(side, id) {
    const best = this.of(side, id)[0];
    if (!best) return null;
    const [o, c] = best;
    const edge = side === "a" ? [id, o, c] : [o, id, c];
    // a person accepted it for this segment: manual (confidence 1); the op records which matcher ("by")
    return { kind: "accept", side, edges: [edge], source: "manual", by: this.name, replace_manual: true };
  }

  /** The accept op taking every suggestion at or above ``t`` (targets in B; manual matches kept). */
  acceptAll(t) {
    const edges = this.edges.filter((e) => e[2] >= t);
    if (!edges.length) return null;
    // unchecked: automatic, with the matcher's confidence (J still finds the low ones)
    return { kind: "accept", side: "b", edges, source: "auto", by: this.name, replace_manual: false };
  }
}

/** Whether a segment still needs a look: unlabelled, or only automatic matches below ``t``; never the
 * background (the paper around the character, unmatched in every rendered pair). */
export function needsCheck(st, side, id, t) {
  if (st.isBackground(side, id)) return false;
  const edges = st.edgesOf(side, id);
  // corrected in the neighbouring pair (the chain): to look at here too, until a person decided here
  if (st.chainHint(side, id) && !edges.some((m) => m[2] === "manual")) return true;
  if (st.unmatched[side].has(id)) return false;
  if (!edges.length) return true;
  return edges.every((m) => m[2] !== "manual" && m[3] < t);
}

/** The next segment to check after ``cur`` ({side, id} or null), A's ids then B's, wrapping; ``dir`` -1
 * walks backwards. Returns {side, id} or null when none is left. */
export function nextToCheck(st, cur, t, dir = 1) {
  const all = [];
  for (const s of SIDES) for (const id of st.segs[s].t.ids) all.push([s, id]);
  if (dir < 0) all.reverse();
  let i = cur && cur.side ? all.findIndex(([s, id]) => s === cur.side && id === cur.id) : -1;
  for (let k = 1; k <= all.length; k++) {
    const [s, id] = all[(i + k + all.length) % all.length];
    if (needsCheck(st, s, id, t)) return { side: s, id };
  }
  return null;
}

/** "B 12 (0.93), B 5 (0.41)": the best suggestions of a segment, for the footer. */
export function describeSuggestions(sugg, side, id, n = 3) {
  const list = sugg.of(side, id).slice(0, n);
  if (!list.length) return `${sugg.name}: no suggestion`;
  const O = other(side).toUpperCase();
  return `${sugg.name} suggests ${list.map(([o, c]) => `${O} ${o} (${c.toFixed(2)})`).join(", ")} · Y accepts`;
}
