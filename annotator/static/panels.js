// Side panels: the queue (pairs with status and filters), the history (every version, restorable) and
// the help overlay listing every shortcut.

import { getJSON } from "./api.js";
import { KEYS } from "./input.js";

const $ = (sel) => document.querySelector(sel);

/** A frame's thumbnail in the strip (lazy: a long clip loads only what is scrolled into view). */
function thumb(clip, frame, view) {
  const img = document.createElement("img");
  img.loading = "lazy"; img.alt = frame; img.title = `${clip}/${frame}`;
  img.src = `/api/frame/${clip}/${frame}/line`;
  if (frame === view.frame_a || frame === view.frame_b) img.className = "shown";
  return img;
}

export class Panels {
  constructor(app) {
    this.app = app;
    $("#f-status").addEventListener("change", () => this.refreshQueue());
    $("#f-clip").addEventListener("input", () => this.refreshQueue());
    for (const id of ["#f-sort", "#f-flag", "#f-mine"]) $(id).addEventListener("change", () => this.refreshQueue());
    $("#btn-assign").addEventListener("click", () => this.assignShown());
    const help = $("#help-keys");
    for (const [k, , text] of KEYS) {
      const tr = document.createElement("tr");
      tr.innerHTML = `<td><kbd></kbd></td><td></td>`;
      tr.querySelector("kbd").textContent = k;
      tr.lastChild.textContent = text;
      help.append(tr);
    }
  }

  toggle(name) {
    const el = $(`#${name}`);
    const show = el.hidden;
    this.closeAll();
    el.hidden = !show;
    if (show && name === "queue") this.refreshQueue();
    if (show && name === "history") this.refreshHistory();
  }
  closeAll() { for (const n of ["queue", "history", "help"]) $(`#${n}`).hidden = true; }
  refresh() {
    if (!$("#queue").hidden) this.refreshQueue();
    if (!$("#history").hidden) this.refreshHistory();
    this.refreshStrip().catch(() => {}); // the strip is a convenience: a failed refresh leaves the old one
  }

  async refreshQueue() {
    const status = $("#f-status").value, clip = $("#f-clip").value.trim();
    const params = new URLSearchParams({ low: String(this.app.threshold()) });
    if (status) params.set("status", status);
    if ($("#f-sort").value) params.set("sort", $("#f-sort").value);
    if ($("#f-flag").value) params.set("flag", $("#f-flag").value);
    if ($("#f-mine").checked && this.app.user) params.set("mine", this.app.user);
    const gen = this.queueGen = (this.queueGen || 0) + 1;
    const [q0, prog] = await Promise.all([getJSON(`/api/pairs?${params}`), getJSON("/api/progress")]);
    if (gen !== this.queueGen) return; // filters changed meanwhile: a later refresh shows them
    const q = q0.pairs.filter((p) => !clip || p.id.includes(clip));
    this.shown = q.map((p) => p.id);
    $("#progress").replaceChildren(...prog.clips.map((c) => {
      // progress per clip: accepted, then done, then in progress, of all its pairs
      const div = document.createElement("div");
      div.className = "progress";
      const pct = (n) => `${(100 * n / c.pairs).toFixed(1)}%`;
      div.innerHTML = `<span class="name"></span><span class="bar"><i class="accepted"></i><i class="done"></i><i class="in_progress"></i></span><span class="n"></span>`;
      div.querySelector(".name").textContent = c.clip;
      div.querySelector(".accepted").style.width = pct(c.accepted);
      div.querySelector(".done").style.width = pct(c.done);
      div.querySelector(".in_progress").style.width = pct(c.in_progress);
      div.querySelector(".n").textContent = `${c.accepted + c.done}/${c.pairs}`;
      div.title = `${c.clip}: ${c.accepted} accepted, ${c.done} done, ${c.in_progress} in progress of ${c.pairs} pairs`;
      return div;
    }));
    const ol = $("#queue-list");
    ol.replaceChildren(...q.map((p) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `#pair=${p.id}`; a.textContent = p.id;
      const b = document.createElement("span");
      b.className = `badge ${p.status}`; b.textContent = p.status.replace("_", " ");
      const info = document.createElement("small");
      // what the sorts are on: lowest automatic confidence, unlabelled segments; who it is assigned to
      info.textContent = ` ${p.min_conf === null ? "" : `min ${p.min_conf.toFixed(2)} · `}${p.low ? `${p.low} low · ` : ""}` +
        `${p.unlabelled} unlabelled${p.annotator ? ` · ${p.annotator}` : ""}${p.reviewer ? ` → ${p.reviewer}` : ""}`;
      li.append(a, " ", b, info);
      if (p.id === this.app.pid) li.className = "current";
      if (p.comment) li.title = p.comment;
      return li;
    }));
    $("#queue-count").textContent = `${q.length} pairs`;
  }

  /** Assign every pair the queue lists (its filters applied) to a person, as annotator or reviewer. */
  async assignShown() {
    if (!this.shown || !this.shown.length) { this.app.message("no pair listed to assign", true); return; }
    const name = $("#assign-name").value.trim();
    const r = await fetch("/api/assign", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ pairs: this.shown, [$("#assign-role").value]: name || null }),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { this.app.message(`assign: ${body.error || `HTTP ${r.status}`}`, true); return; }
    this.app.message(`${this.shown.length} pair(s) assigned to ${name || "nobody"} as ${$("#assign-role").value}`);
    this.refreshQueue();
  }

  /** The frame strip of the clip shown: its frames in clip order, each once, and between two
   * neighbours their pair (coloured by status, the one shown outlined); clicking opens it. A pair
   * across a gap (0000__0003) has no place between neighbours: it is in the queue, and when shown
   * the strip outlines its two frames. */
  async refreshStrip() {
    const v = this.app.st && this.app.st.view;
    if (!v) return;
    const clip = v.clip, pid = v.id;
    const pairs = (await getJSON(`/api/pairs?clip=${encodeURIComponent(clip)}`)).pairs;
    if (!this.app.st || this.app.st.view.id !== pid) return; // another pair opened meanwhile
    const byName = new Map(pairs.map((p) => [p.id.split("/")[1], p]));
    const paired = new Set([...byName.keys()].flatMap((n) => n.split("__")));
    const frames = v.clip_frames.filter((f) => paired.has(f));
    const strip = $("#strip"), items = [];
    frames.forEach((f, i) => {
      items.push(thumb(clip, f, v));
      const p = byName.get(`${f}__${frames[i + 1]}`);
      if (!p) return;
      const bar = document.createElement("a");
      bar.href = `#pair=${p.id}`; bar.className = `link badge ${p.status}${p.id === pid ? " current" : ""}`;
      bar.title = `${p.id}: ${p.status.replace("_", " ")}, ${p.unlabelled} unlabelled` +
        (p.min_conf === null ? "" : `, lowest confidence ${p.min_conf.toFixed(2)}`);
      bar.textContent = p.unlabelled ? String(p.unlabelled) : "✓";
      items.push(bar);
    });
    strip.replaceChildren(...items);
    const cur = strip.querySelector(".current") || strip.querySelector(".shown");
    if (cur) cur.scrollIntoView({ block: "nearest", inline: "center" });
  }

  async openNextTodo() {
    const q = (await getJSON("/api/pairs")).pairs;
    const i = q.findIndex((p) => p.id === this.app.pid);
    const rest = [...q.slice(i + 1), ...q.slice(0, Math.max(0, i))];
    const next = rest.find((p) => p.status === "todo" || p.status === "in_progress");
    if (next) location.hash = `pair=${next.id}`; else this.app.message("no pair left to do");
  }

  async refreshHistory() {
    if ($("#history").hidden || !this.app.pid) return;
    const pid = this.app.pid;
    const vs = (await getJSON(`/api/pair/${pid}/history`)).versions;
    if (pid !== this.app.pid) return; // another pair was opened meanwhile: its own refresh shows it
    const cur = this.app.st.view.version;
    $("#history-list").replaceChildren(...vs.map((v) => {
      const li = document.createElement("li");
      li.textContent = `v${v.version} ${v.kind} · ${v.status}${v.user ? ` · ${v.user}` : ""}${v.time ? " · " + v.time.slice(11, 19) : ""} `;
      if (v.version === cur) li.className = "current";
      else {
        const b = document.createElement("button");
        b.textContent = "restore";
        b.onclick = () => this.app.write("restore", { version: v.version });
        li.append(b);
      }
      return li;
    }));
  }
}
