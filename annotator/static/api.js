// Talking to the server. Every write names the pair version it was based on and carries its own id
// (client_op); writes of a pair go out one at a time, in order, so each is based on the version the
// previous one returned. No write is ever dropped unseen:
//  * no answer (network error, server killed): the same write is sent again, with the same id; the
//    server answers a write it already committed again instead of applying it twice;
//  * 409 (the pair changed elsewhere: another tab, an edit of a frame this pair shares): the page
//    loads the pair as it is now and the queued edits are sent again on top of it (undo, redo and
//    restore only mean something on the version they were made on: those are shown, not replayed);
//  * 400/413 (the edit is invalid, e.g. a stroke that cuts nothing): nothing was written; the page
//    says so;
//  * 403/404 (the server does not take this page's writes: a new token, another dataset): the queue
//    stops and keeps its writes (in the outbox, outbox.js) until a page that can send them opens;
//  * 403 naming a reviewer (accepting or rejecting a pair someone else is assigned to review): only
//    that write is refused, said like a 400; the queue goes on.
// Until the server has answered a write it stays in the outbox (IndexedDB).

import { newId, nextOrder } from "./outbox.js";

export async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, body.error || `HTTP ${r.status}`);
  return body;
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

const REBASABLE = new Set(["op"]); // undo/redo/restore act on the version they were made on
const MAX_REBASES = 3; // a write that meets a conflict this often in a row is shown instead
const MAX_SERVER_ERRORS = 3; // a write the server fails on (5xx) this often is shown instead
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/** One line saying what a queued write does (for the messages about writes not applied). */
export function describe(item) {
  const p = item.payload || {};
  if (item.kind === "restore") return `restore version ${p.version}`;
  if (item.kind !== "op") return item.kind;
  const op = p.op || {};
  const S = (op.side || "").toUpperCase(), O = op.side === "a" ? "B" : "A";
  switch (op.kind) {
    case "assign": return `assign ${S} ${op.seg} → ${O} ${(op.targets || []).join(", ")}`;
    case "unassign": return `remove matches of ${S} ${op.seg}`;
    case "no_match": return `mark ${S} ${op.seg} as having no match`;
    case "status": return `set status ${op.status}`;
    case "merge": return `merge ${S} ${(op.ids || []).join(", ")}`;
    default: return `${op.kind} in ${S}`;
  }
}

export class WriteQueue {
  /**
   * @param {string} pid pair id
   * @param {number|null} version the pair version the page shows (null: ask the server before the first write)
   * @param {object} hooks {onResult(resp, item, queue), onRefused(item, msg, status, queue),
   *   onRebase(msg, item, queue) -> the pair's view now, onState(queue), effort, user() -> the annotator's name}
   * @param {Outbox} outbox where unanswered writes are kept
   */
  constructor(pid, version, hooks, outbox) {
    this.pid = pid; this.version = version; this.hooks = hooks; this.outbox = outbox;
    this.items = []; this.busy = false; this.offline = false; this.stalled = null; this.waiters = [];
    this.report = null;
  }
  /** Writes not yet answered (the one in flight included). */
  get pending() { return this.items.length; }

  /** Queue a write: kind "op" (with an op object), "undo", "redo" or "restore" (with {version}). */
  push(kind, payload = {}) {
    // the annotator's name goes with the write (kept in the outbox with it: who made it, not who sent it)
    const user = this.hooks.user ? this.hooks.user() : "";
    if (user) payload = { ...payload, user };
    const item = { id: newId(), pid: this.pid, kind, payload, owner: this.outbox.tab, time: Date.now(),
                   order: nextOrder(), effort: this.hooks.effort ? this.hooks.effort.take() : undefined,
                   t0: performance.now() };
    this.items.push(item);
    this.outbox.put(item);
    this.pump();
  }

  /** Take over writes a page that is gone left in the outbox (sent as they are, oldest first). */
  adopt(items) {
    for (const it of items) {
      it.owner = this.outbox.tab; it.adopted = true; it.t0 = performance.now();
      this.items.push(it);
      this.outbox.put(it);
    }
    this.pump();
  }

  /** Resolves once nothing is in flight and nothing can be sent (all answered, or stalled). */
  idle() {
    return new Promise((res) => { if (this._idle()) res(); else this.waiters.push(res); });
  }
  _idle() { return !this.busy && (!this.items.length || this.stalled !== null); }

  async pump() {
    if (this.busy || this.stalled !== null) return;
    this.busy = true;
    let wait = 500;
    while (this.items.length && this.stalled === null) {
      const item = this.items[0];
      this.hooks.onState(this);
      let r, body;
      try {
        if (this.version === null) this.version = (await getJSON(`/api/pair/${this.pid}`)).version;
        item.sentBase = this.version;
        r = await fetch(`/api/pair/${this.pid}/${item.kind}`, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ...item.payload, base: item.sentBase, client_op: item.id, effort: item.effort }),
        });
        body = await r.json().catch(() => ({}));
      } catch (e) {
        if (e instanceof ApiError && (e.status === 403 || e.status === 404)) { this.stall(e.message); break; }
        // No answer: the write may have been committed or not; sending it again (same id) is safe.
        this.offline = true;
        this.hooks.onState(this);
        await sleep(wait);
        wait = Math.min(wait * 2, 4000);
        continue;
      }
      this.offline = false; wait = 500;
      const msg = body.error || `HTTP ${r.status}`;
      if (r.ok) {
        this.version = body.pair.version;
        item.ms = performance.now() - item.t0;
        try { await this.hooks.onResult(body, item, this); } catch (e) { console.error(e); }
        this.done(item);
      } else if (r.status === 409) {
        let view;
        try {
          view = await this.hooks.onRebase(msg, item, this);
        } catch (e) {
          if (e instanceof ApiError && (e.status === 403 || e.status === 404)) this.stall(e.message);
          else await sleep(1000); // no answer: try the write again
          continue;
        }
        // The same version: not another writer but this write itself is refused (an undo that would
        // discard later work). Otherwise it is sent again on top of the version there is now.
        const refuse = view.version === this.version || !REBASABLE.has(item.kind) || (item.rebases || 0) >= MAX_REBASES;
        this.version = view.version;
        if (refuse) this.refuse(item, msg, r.status);
        else { item.rebases = (item.rebases || 0) + 1; item.rebased = true; }
      } else if (r.status === 403 && body.reviewer !== undefined) {
        this.refuse(item, msg, r.status); // the reviewer's verdict: this write only, nothing was written
      } else if (r.status === 403 || r.status === 404) {
        this.stall(msg);
      } else if (r.status >= 500) {
        item.errors = (item.errors || 0) + 1;
        if (item.errors >= MAX_SERVER_ERRORS) this.refuse(item, msg, r.status); else await sleep(1000);
      } else {
        this.refuse(item, msg, r.status); // 400, 413: invalid; the server wrote nothing
      }
    }
    this.busy = false;
    this.hooks.onState(this);
    if (this._idle()) for (const w of this.waiters.splice(0)) w();
  }

  done(item) {
    this.items.shift();
    this.outbox.delete(item.id);
  }

  refuse(item, msg, status) {
    this.done(item);
    if (item.effort && this.hooks.effort && !item.adopted) this.hooks.effort.giveBack(item.effort);
    this.hooks.onRefused(item, msg, status, this);
  }

  stall(msg) { this.stalled = msg; this.hooks.onState(this); }

  /** Report effort without an operation (heartbeat / page hidden); a report whose answer is lost is
   * sent again with its id, which the server counts once. */
  flushEffort(keepalive = false) {
    const e = this.hooks.effort;
    if (!e) return;
    if (!this.report) {
      if (e.empty()) return;
      const user = this.hooks.user ? this.hooks.user() : "";
      this.report = { ...e.take(), id: newId(), ...(user ? { user } : {}) };
    }
    const rep = this.report;
    fetch(`/api/pair/${this.pid}/effort`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(rep), keepalive,
    }).then((r) => { if (this.report === rep && r.status < 500) this.report = null; }).catch(() => {});
  }
}
