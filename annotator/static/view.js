// One frame's pane: the image, the correspondence overlay, the highlight layer (selection and hover) and
// the stroke preview, stacked in one transformed layer so that zoom and pan are a CSS transform shared
// by both panes. Overlays are painted from the Int32Array label map through an id -> RGBA table, and
// only over the box that changed.

export function rgba(r, g, b, a) { return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0; } // little-endian ImageData
export const HATCH = 1; // the LUT value of unlabelled segments (state.js), painted as stripes
const HATCH_COLOR = rgba(255, 140, 0, 200);

export class Pane {
  constructor(section, side) {
    this.side = side;
    this.section = section;
    this.stage = section.querySelector(".stage");
    this.layer = section.querySelector(".layer");
    this.img = section.querySelector("img");
    this.ovl = section.querySelector("canvas.ovl");
    this.hl = section.querySelector("canvas.hl");
    this.ink = section.querySelector("canvas.ink");
    this.map = null; this.segs = null; this.prevHl = [];
  }

  /** New frame: sizes the canvases (clearing them) and loads the image. */
  setFrame(width, height, imgUrl) {
    for (const c of [this.ovl, this.hl, this.ink]) { c.width = width; c.height = height; }
    this.layer.style.width = `${width}px`; this.layer.style.height = `${height}px`;
    this.img.width = width; this.img.height = height;
    if (this.img.getAttribute("src") !== imgUrl) this.img.src = imgUrl;
    this.ovlCtx = this.ovl.getContext("2d");
    this.hlCtx = this.hl.getContext("2d");
    this.ovlData = this.ovlCtx.createImageData(width, height);
    this.ovl32 = new Uint32Array(this.ovlData.data.buffer);
    this.hlData = this.hlCtx.createImageData(width, height);
    this.hl32 = new Uint32Array(this.hlData.data.buffer);
    this.prevHl = [];
  }

  setImage(url) { if (this.img.getAttribute("src") !== url) this.img.src = url; }

  /** Image pixel under a client point, or null outside the frame. */
  toImage(clientX, clientY, view) {
    const r = this.stage.getBoundingClientRect();
    const x = Math.floor((clientX - r.left - view.tx) / view.s);
    const y = Math.floor((clientY - r.top - view.ty) / view.s);
    if (!this.map || x < 0 || y < 0 || x >= this.map.width || y >= this.map.height) return null;
    return { x, y };
  }

  idAt(p) { return p ? this.map.ids[p.y * this.map.width + p.x] : 0; }

  /** Repaint the overlay inside rect [x, y, w, h] (the whole frame when omitted) from lut[id]. */
  paintOverlay(lut, rect) {
    const W = this.map.width, ids = this.map.ids, out = this.ovl32;
    const [x0, y0, w, h] = rect || [0, 0, W, this.map.height];
    const n = lut.length;
    for (let y = y0; y < y0 + h; y++) {
      let i = y * W + x0;
      for (let x = 0; x < w; x++, i++) {
        const id = ids[i], c = id < n ? lut[id] : 0;
        // HATCH (unlabelled): diagonal stripes in image coordinates, so they line up across repaints
        out[i] = c === HATCH ? (((x0 + x + y) & 7) < 2 ? HATCH_COLOR : 0) : c;
      }
    }
    this.ovlCtx.putImageData(this.ovlData, 0, 0, x0, y0, w, h);
  }

  /** Show highlights: [{ids: [...], color}] replaces what was highlighted before. */
  highlight(groups) {
    const W = this.map.width, ids = this.map.ids, out = this.hl32;
    const boxes = [];
    for (const b of this.prevHl) { // clear the old boxes
      const [bx, by, bw, bh] = b;
      for (let y = by; y < by + bh; y++) out.fill(0, y * W + bx, y * W + bx + bw);
      boxes.push(b);
    }
    this.prevHl = [];
    for (const g of groups) {
      for (const id of g.ids) {
        const bb = this.segs && this.segs.bbox(id);
        if (!bb) continue;
        const [bx, by, bw, bh] = bb;
        for (let y = by; y < by + bh; y++) {
          let i = y * W + bx;
          for (let x = 0; x < bw; x++, i++) if (ids[i] === id) out[i] = g.color;
        }
        this.prevHl.push(bb); boxes.push(bb);
      }
    }
    if (!boxes.length) return;
    let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
    for (const [bx, by, bw, bh] of boxes) { x0 = Math.min(x0, bx); y0 = Math.min(y0, by); x1 = Math.max(x1, bx + bw); y1 = Math.max(y1, by + bh); }
    this.hlCtx.putImageData(this.hlData, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }

  /** Preview of a stroke being drawn (image coordinates). */
  drawStroke(points, width, color) {
    const c = this.ink.getContext("2d");
    c.clearRect(0, 0, this.ink.width, this.ink.height);
    if (!points.length) return;
    c.strokeStyle = color; c.lineWidth = Math.max(1, width); c.lineCap = "round"; c.lineJoin = "round";
    c.beginPath(); c.moveTo(points[0][0] + 0.5, points[0][1] + 0.5);
    for (const [x, y] of points.slice(1)) c.lineTo(x + 0.5, y + 0.5);
    if (points.length === 1) c.lineTo(points[0][0] + 0.6, points[0][1] + 0.6);
    c.stroke();
  }
}

/** Zoom and pan shared by both panes. */
export class ViewTransform {
  constructor(panes, onChange) { this.panes = panes; this.s = 1; this.tx = 0; this.ty = 0; this.onChange = onChange; }
  apply() {
    for (const p of this.panes) p.layer.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.s})`;
    const pix = this.s >= 2;
    for (const p of this.panes) p.layer.classList.toggle("pixelated", pix);
    if (this.onChange) this.onChange(this);
  }
  fit(width, height) {
    const r = this.panes[0].stage.getBoundingClientRect();
    this.s = Math.min(r.width / width, r.height / height) * 0.98;
    this.tx = (r.width - width * this.s) / 2; this.ty = (r.height - height * this.s) / 2;
    this.apply();
  }
  /** Zoom by factor k keeping the stage point (sx, sy) fixed. */
  zoom(k, sx, sy) {
    const s = Math.min(64, Math.max(0.05, this.s * k));
    k = s / this.s;
    this.tx = sx - (sx - this.tx) * k; this.ty = sy - (sy - this.ty) * k; this.s = s;
    this.apply();
  }
  pan(dx, dy) { this.tx += dx; this.ty += dy; this.apply(); }
  /** Put image point (x, y) at the centre of the stages, zooming in to at least ``minScale``. */
  centre(x, y, minScale = 0) {
    const r = this.panes[0].stage.getBoundingClientRect();
    this.s = Math.max(this.s, minScale);
    this.tx = r.width / 2 - x * this.s; this.ty = r.height / 2 - y * this.s;
    this.apply();
  }
}

/** Distinct, stable colour of a correspondence group from a seed id: golden-ratio hues, and lightness
 * and saturation cycling with the seed, so neighbouring groups of near hues still differ. */
export function groupColor(seed, alpha) {
  const h = ((seed * 0.618033988749895) % 1) * 6, s = [0.8, 0.6, 0.95][seed % 3], l = [0.55, 0.42, 0.68][(seed >> 1) % 3];
  const c = (1 - Math.abs(2 * l - 1)) * s, x = c * (1 - Math.abs((h % 2) - 1)), m = l - c / 2;
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return rgba(Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255), alpha);
}
