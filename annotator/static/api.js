// Talking to the server. Every write names the pair version it was based on; writes go out one at a
// time in order, so each is based on the version the previous one returned. A 409 (the pair changed
// elsewhere) stops the queue and asks the user to reload; a network error keeps the write and retries.

export async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, body.error || `HTTP ${r.status}`);
  return body;
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export class WriteQueue {
  /**
   * @param {string} pid pair id
   * @param {number} version the pair version this page shows
   * @param {object} hooks {onResult(resp), onError(msg, status), onConflict(msg), onState(text), effort}
   */
  constructor(pid, version, hooks) {
    this.pid = pid; this.version = version; this.hooks = hooks;
    this.items = []; this.busy = false; this.stopped = false;
  }
  get pending() { return this.items.length + (this.busy ? 1 : 0); }

  /** Queue a write: kind "op" (with an op object), "undo", "redo" or "restore" (with {version}). */
  push(kind, payload = {}) {
    if (this.stopped) { this.hooks.onConflict("this page is out of date: reload the pair"); return; }
    this.items.push({ kind, payload, t0: performance.now() });
    this.pump();
  }

  async pump() {
    if (this.busy) return;
    this.busy = true;
    while (this.items.length && !this.stopped) {
      const item = this.items[0];
      const effort = this.hooks.effort ? this.hooks.effort.take() : undefined;
      this.hooks.onState(`saving… (${this.items.length})`);
      let r, body;
      try {
        r = await fetch(`/api/pair/${this.pid}/${item.kind}`, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ...item.payload, base: this.version, effort }),
        });
        body = await r.json().catch(() => ({}));
      } catch (e) {
        if (effort) this.hooks.effort.giveBack(effort);
        this.hooks.onState("server unreachable: retrying (nothing is lost)");
        await new Promise((res) => setTimeout(res, 1000));
        continue;
      }
      this.items.shift();
      if (r.ok) {
        this.version = body.pair.version;
        item.ms = performance.now() - item.t0;
        await this.hooks.onResult(body, item);
      } else if (r.status === 409) {
        this.stopped = true; this.items = [];
        this.hooks.onConflict(body.error || "the pair changed on the server");
      } else {
        this.hooks.onError(body.error || `HTTP ${r.status}`, r.status);
      }
    }
    this.busy = false;
    if (!this.stopped) this.hooks.onState("all changes saved");
  }

  /** Report effort without an operation (heartbeat / page hidden). */
  flushEffort(keepalive = false) {
    const e = this.hooks.effort;
    if (!e || e.empty()) return;
    const rep = e.take();
    fetch(`/api/pair/${this.pid}/effort`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(rep), keepalive,
    }).catch(() => e.giveBack(rep));
  }
}
