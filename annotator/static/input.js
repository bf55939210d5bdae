// Mouse, pen and keyboard: every action has a key (listed in the help overlay, ?) and most a button.

import { SIDES, other } from "./state.js";

const STROKE_COLOR = { split: "rgba(255,60,60,0.9)", brush: "rgba(0,0,0,0.9)", erase: "rgba(255,255,255,0.9)" };
const MAX_POINTS = 10000;
const TIMED_KEYS = new Set(["accept_suggestion", "accept_all", "jump"]);

/** The actions, by name: keys and buttons both call these. */
export function makeActions(app) {
  const sel = () => app.sel;
  const need = (n, what) => {
    if (!sel().side || sel().ids.length < n) { app.message(`select ${n > 1 ? "two or more segments of one frame (Shift+click)" : "a segment"} to ${what}`, true); return false; }
    return true;
  };
  const go = (pid) => { if (pid) location.hash = `pair=${pid}`; };
  return {
    tool_select: () => setTool(app, "select"), tool_split: () => setTool(app, "split"),
    tool_bucket: () => setTool(app, "bucket"), tool_brush: () => setTool(app, "brush"), tool_erase: () => setTool(app, "erase"),
    merge: () => { if (need(2, "merge")) { app.frameOp({ kind: "merge", side: sel().side, ids: [...sel().ids] }); } },
    no_match: () => { if (need(1, "mark as having no match")) for (const id of sel().ids) app.matchOp({ kind: "no_match", side: sel().side, seg: id }); },
    clear: () => { if (need(1, "clear the matches of")) for (const id of sel().ids) app.matchOp({ kind: "unassign", side: sel().side, seg: id }); },
    undo: () => app.st.view.can_undo && app.write("undo"),
    redo: () => app.st.view.can_redo && app.write("redo"),
    color: () => { app.showColor = !app.showColor; for (const s of SIDES) app.panes[s].setImage(app.imageUrl(s)); app.refreshBar(); },
    overlay: () => { app.showOverlay = !app.showOverlay; document.body.classList.toggle("no-overlay", !app.showOverlay); app.refreshBar(); },
    done: () => app.setStatus("done"),
    accept: () => app.setStatus("accepted"),
    reject: () => {
      if (!document.querySelector("#comment").value.trim()) { app.message("write a comment saying what is wrong, then reject", true); document.querySelector("#comment").focus(); return; }
      app.setStatus("rejected");
    },
    accept_suggestion: () => app.acceptSuggestion(), accept_all: () => app.acceptAll(),
    colorize: () => app.toggleColorize(), colorize_here: () => app.colorizeFromHere(),
    jump: () => app.jump(1), jump_prev: () => app.jump(-1),
    next: () => go(app.st.view.next), prev: () => go(app.st.view.prev),
    next_todo: () => app.panels.openNextTodo(),
    queue: () => app.panels.toggle("queue"), history: () => app.panels.toggle("history"), help: () => app.panels.toggle("help"),
    escape: () => { app.sel = { side: null, ids: [] }; app.panels.closeAll(); app.message(""); app.paintHighlights(); },
    fit: () => app.fit(),
    zoom_in: () => zoomCenter(app, 1.25), zoom_out: () => zoomCenter(app, 0.8),
    wider: () => changeWidth(app, 1), thinner: () => changeWidth(app, -1),
  };
}

function setTool(app, t) { app.tool = t; document.body.dataset.tool = t; app.refreshBar(); }
function zoomCenter(app, k) { const r = app.panes.a.stage.getBoundingClientRect(); app.view.zoom(k, r.width / 2, r.height / 2); }
function changeWidth(app, d) {
  const t = app.tool in app.width ? app.tool : "brush";
  app.width[t] = Math.max(1, Math.min(64, app.width[t] + d));
  app.message(`${t} width ${app.width[t]} px`);
}

/** Key -> action name. Letters are matched lower-case; Shift/Ctrl variants spelled out. */
export const KEYS = [
  ["v", "tool_select", "Select / assign tool"], ["k", "tool_split", "Split tool: draw across a segment"],
  ["g", "tool_bucket", "Bucket refill (closes gaps) tool"], ["b", "tool_brush", "Boundary brush tool"],
  ["e", "tool_erase", "Boundary eraser tool"], ["m", "merge", "Merge the selected segments"],
  ["n", "no_match", "Mark selected as having no match"], ["x", "clear", "Remove the matches of the selected (also Delete)"],
  ["Ctrl+z", "undo", "Undo"], ["Ctrl+Shift+z", "redo", "Redo (also Ctrl+Y)"],
  ["c", "color", "Show color / line art"], ["p", "colorize", "Colorize view: the clip colored from its first frame through the pairs"],
  ["Shift+p", "colorize_here", "Colorize from frame A of this pair (the colored reference)"], ["o", "overlay", "Show / hide the match overlay"],
  ["d", "done", "Mark the pair done"], ["Shift+a", "accept", "Review: accept (with the comment)"],
  ["Shift+r", "reject", "Review: reject (comment required)"],
  ["y", "accept_suggestion", "Accept the suggestion for the selected segment"],
  ["Shift+y", "accept_all", "Accept every suggestion at or above the threshold (manual matches kept)"],
  ["j", "jump", "Next segment to check: unlabelled (the background never), or only low-confidence matches"],
  ["Shift+j", "jump_prev", "Previous segment to check"],
  ["]", "next", "Next pair (also →)"], ["[", "prev", "Previous pair (also ←)"], ["Shift+n", "next_todo", "Next pair to do"],
  ["q", "queue", "Queue"], ["h", "history", "History (restore any version)"], ["?", "help", "This help"],
  ["Escape", "escape", "Clear selection, close panels"], ["0", "fit", "Fit to window"],
  ["+", "zoom_in", "Zoom in (also wheel)"], ["-", "zoom_out", "Zoom out"],
  ["}", "wider", "Wider stroke"], ["{", "thinner", "Thinner stroke"],
];
const ALIASES = { "Ctrl+y": "redo", Delete: "clear", Backspace: "clear", ArrowRight: "next", ArrowLeft: "prev", "=": "zoom_in" };

function keyName(e) {
  let k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if ("?+-{}[]=".includes(e.key) && e.key.length === 1) return e.key; // shifted symbols stand for themselves
  const mods = (e.ctrlKey || e.metaKey ? "Ctrl+" : "") + (e.shiftKey ? "Shift+" : "");
  return mods + k;
}

export function bindInput(app) {
  const actions = makeActions(app);
  app.actions = actions;
  const byKey = Object.fromEntries(KEYS.map(([k, a]) => [k, a]));
  Object.assign(byKey, ALIASES);
  let space = false;

  window.addEventListener("keydown", (e) => {
    if (e.target.matches("input, textarea, select")) {
      if (e.key === "Escape" || e.key === "Enter") e.target.blur();
      return;
    }
    if (e.key === " ") { space = true; e.preventDefault(); return; }
    const a = byKey[keyName(e)];
    if (a && app.st) {
      e.preventDefault();
      const t0 = performance.now();
      actions[a]();
      const t1 = performance.now();
      // the keys of the suggestion loop are timed as clicks are (benchmarks/bench_annotator.py)
      if (TIMED_KEYS.has(a)) requestAnimationFrame(() => app.perf.push({ kind: a, handler_ms: t1 - t0, frame_ms: performance.now() - e.timeStamp }));
    }
  });
  window.addEventListener("keyup", (e) => { if (e.key === " ") space = false; });
  for (const b of document.querySelectorAll("[data-action]")) b.addEventListener("click", () => app.st && actions[b.dataset.action]());

  let drag = null;
  for (const side of SIDES) {
    const pane = app.panes[side], el = pane.stage;
    el.addEventListener("contextmenu", (e) => e.preventDefault());
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      app.view.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    el.addEventListener("pointerdown", (e) => {
      if (!app.st) return;
      el.setPointerCapture(e.pointerId);
      const pan = e.button === 1 || e.button === 2 || space;
      const stroke = !pan && ["split", "brush", "erase"].includes(app.tool);
      drag = { side, x0: e.clientX, y0: e.clientY, x: e.clientX, y: e.clientY, mode: pan ? "pan" : stroke ? "stroke" : "click", points: [] };
      if (stroke) { const p = pane.toImage(e.clientX, e.clientY, app.view) || clampPoint(pane, e, app.view); drag.points.push([p.x, p.y]); }
    });
    el.addEventListener("pointermove", (e) => {
      if (!app.st) return;
      if (drag && drag.side === side) {
        if (drag.mode === "click" && Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) > 4) drag.mode = "pan";
        if (drag.mode === "pan") { app.view.pan(e.clientX - drag.x, e.clientY - drag.y); }
        if (drag.mode === "stroke") {
          const p = clampPoint(pane, e, app.view), last = drag.points[drag.points.length - 1];
          if ((p.x !== last[0] || p.y !== last[1]) && drag.points.length < MAX_POINTS) drag.points.push([p.x, p.y]);
          pane.drawStroke(drag.points, app.width[app.tool], STROKE_COLOR[app.tool]);
        }
        drag.x = e.clientX; drag.y = e.clientY;
        return;
      }
      const id = pane.idAt(pane.toImage(e.clientX, e.clientY, app.view));
      if (app.hover.side !== side || app.hover.id !== id) {
        app.hover = { side, id };
        app.paintHighlights(); app.hoverInfo();
      }
    });
    el.addEventListener("pointerleave", () => {
      if (!app.st || drag) return;
      app.hover = { side: null, id: 0 }; app.paintHighlights(); app.hoverInfo();
    });
    el.addEventListener("pointerup", (e) => {
      if (!drag || drag.side !== side) return;
      const d = drag; drag = null;
      if (d.mode === "click") click(app, side, e);
      if (d.mode === "stroke") finishStroke(app, side, d.points);
    });
  }
}

function clampPoint(pane, e, view) {
  const r = pane.stage.getBoundingClientRect();
  const x = Math.floor((e.clientX - r.left - view.tx) / view.s), y = Math.floor((e.clientY - r.top - view.ty) / view.s);
  return { x: Math.max(0, Math.min(pane.map.width - 1, x)), y: Math.max(0, Math.min(pane.map.height - 1, y)) };
}

function finishStroke(app, side, points) {
  const pane = app.panes[side];
  pane.drawStroke([], 1, "");
  const width = app.width[app.tool];
  if (app.tool === "split") {
    const s = app.sel;
    const seg = s.side === side && s.ids.length === 1 ? s.ids[0] : null;
    app.frameOp({ kind: "split", side, seg, points, width });
  } else app.frameOp({ kind: app.tool, side, points, width });
}

/** A click: select, multi-select (Shift), assign to the selection in the other frame (Shift: add/remove). */
function click(app, side, e) {
  const t0 = performance.now();
  const pane = app.panes[side];
  const p = pane.toImage(e.clientX, e.clientY, app.view);
  let kind = "select";
  if (app.tool === "bucket") {
    if (p) app.frameOp({ kind: "bucket", side, x: p.x, y: p.y, radius: app.radius });
    kind = "bucket";
  } else {
    const id = pane.idAt(p);
    const s = app.sel;
    if (!id) { app.sel = { side: null, ids: [] }; }
    else if (s.side && s.side !== side && !e.altKey) {
      kind = "assign";
      for (const src of s.ids) {
        if (e.shiftKey && app.st.matchesOf(s.side, src).has(id)) app.matchOp({ kind: "unassign", side: s.side, seg: src, targets: [id] });
        else app.matchOp({ kind: "assign", side: s.side, seg: src, targets: [id], replace: !e.shiftKey });
      }
    } else if (e.shiftKey && s.side === side) {
      const i = s.ids.indexOf(id);
      if (i >= 0) s.ids.splice(i, 1); else s.ids.push(id);
      if (!s.ids.length) s.side = null;
    } else app.sel = { side, ids: [id] };
    app.paintHighlights();
    app.hoverInfo();
  }
  const t1 = performance.now();
  // handler_ms: work done in the click handler (hit-test, local update, repaint of the canvases);
  // frame_ms: from the input event to the next animation frame, i.e. until the repaint can be shown.
  requestAnimationFrame(() => app.perf.push({ kind, handler_ms: t1 - t0, frame_ms: performance.now() - e.timeStamp }));
}
