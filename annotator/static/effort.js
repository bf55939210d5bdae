// Effort log (AnT's user study): clicks, key presses and active seconds on the pair page. The clock runs
// only while the page is visible and stops after IDLE_MS without input. Reports go with every operation
// and every 10 s, and with a keepalive request when the page is hidden or closed.

const IDLE_MS = 60000;

export class Effort {
  constructor() {
    this.clicks = 0; this.keys = 0; this.ms = 0; this.last = null;
    document.addEventListener("pointerdown", () => { this.clicks++; this.tick(); }, true);
    document.addEventListener("keydown", (e) => { if (!e.repeat) this.keys++; this.tick(); }, true);
    document.addEventListener("pointermove", () => this.tick(), { passive: true });
    document.addEventListener("wheel", () => this.tick(), { passive: true });
    document.addEventListener("visibilitychange", () => { this.last = null; });
  }
  tick() {
    const now = performance.now();
    if (document.visibilityState === "visible" && this.last !== null && now - this.last < IDLE_MS) this.ms += now - this.last;
    this.last = now;
  }
  /** The counts since the last call, reset. */
  take() {
    const out = { seconds: Math.round(this.ms) / 1000, clicks: this.clicks, keys: this.keys };
    this.clicks = 0; this.keys = 0; this.ms = 0;
    return out;
  }
  /** Put counts back after a failed report. */
  giveBack(rep) { this.clicks += rep.clicks; this.keys += rep.keys; this.ms += rep.seconds * 1000; }
  empty() { return this.clicks === 0 && this.keys === 0 && this.ms < 1; }
}
