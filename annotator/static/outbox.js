// The outbox: every write this page has not yet had an answer for, kept in IndexedDB (one database per
// dataset) until the server answers it. A closed tab, a crash or a reload loses none of them: the next
// page of this browser that starts sends them again. Each write carries its id (client_op); the server
// remembers the ids it committed and answers such a write again instead of applying it twice, so
// sending a write whose answer was lost is always safe.
//
// A page owns the writes it made; it takes over the writes of pages that are gone. Each page holds a
// Web Lock named after it while it lives, so "gone" is "its lock is free" (where Web Locks are missing,
// e.g. plain http on another host: writes older than ORPHAN_MS).

const STORE = "writes";
const ORPHAN_MS = 60000;
let counter = 0;

/** A random id of 32 hex digits (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A number that orders the writes of this page after every earlier one, across reloads. */
export function nextOrder() { counter = (counter + 1) % 1000; return Date.now() * 1000 + counter; }

const lockName = (tab) => `linecorr-page-${tab}`;

export class Outbox {
  constructor(db, tab) { this.db = db; this.tab = tab; }

  /** The outbox of a dataset; an outbox in memory only where IndexedDB cannot be opened. */
  static async open(datasetId) {
    const tab = newId();
    // Held until the page goes away (the callback's promise never settles).
    if (navigator.locks) navigator.locks.request(lockName(tab), () => new Promise(() => {})).catch(() => {});
    let db = null;
    try {
      db = await new Promise((resolve, reject) => {
        const rq = indexedDB.open(`linecorr-outbox-${datasetId}`, 1);
        rq.onupgradeneeded = () => rq.result.createObjectStore(STORE, { keyPath: "id" });
        rq.onsuccess = () => resolve(rq.result);
        rq.onerror = () => reject(rq.error);
        rq.onblocked = () => reject(new Error("IndexedDB is blocked by another page"));
      });
    } catch (e) {
      console.warn(`outbox kept in memory only: ${e}`);
    }
    return new Outbox(db, tab);
  }

  get persistent() { return this.db !== null; }

  _run(mode, fn) {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(STORE, mode);
      const rq = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(rq.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  /** Keep a write (or update it). Transactions on one store run in the order they are made, so a
   * delete made after a put is never undone by it. */
  put(item) {
    if (!this.db) return Promise.resolve();
    return this._run("readwrite", (s) => s.put(item)).catch((e) => console.warn(`outbox: ${e}`));
  }

  delete(id) {
    if (!this.db) return Promise.resolve();
    return this._run("readwrite", (s) => s.delete(id)).catch((e) => console.warn(`outbox: ${e}`));
  }

  async all() {
    if (!this.db) return [];
    try { return await this._run("readonly", (s) => s.getAll()); } catch (e) { console.warn(`outbox: ${e}`); return []; }
  }

  /** Writes of pages that are gone (closed, crashed, reloaded), oldest first. */
  async orphans() {
    const items = await this.all();
    let held = null;
    if (navigator.locks) {
      try { held = new Set((await navigator.locks.query()).held.map((l) => l.name)); } catch { held = null; }
    }
    const now = Date.now();
    return items.filter((it) => it.owner !== this.tab &&
      (held ? !held.has(lockName(it.owner)) : now - it.time > ORPHAN_MS)).sort((a, b) => a.order - b.order);
  }
}
