// Label maps in the browser: decoded once from lossless RGB-id PNGs (id = R*65536 + G*256 + B) into an
// Int32Array, patched in place after each edit. Hit-testing and overlay painting read this array.

/** Decode a PNG (Blob) of RGB-encoded ids into {width, height, ids: Int32Array}. */
export async function decodeIds(blob) {
  // No color management or premultiplication: the bytes are ids, not colors.
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const { width, height } = bmp;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true, colorSpace: "srgb" });
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const ids = new Int32Array(width * height);
  for (let i = 0, j = 0; i < ids.length; i++, j += 4) ids[i] = (rgba[j] << 16) | (rgba[j + 1] << 8) | rgba[j + 2];
  return { width, height, ids };
}

/** Fetch and decode the label map of a frame version (immutable URL, so the browser caches it). */
export async function loadSegMap(clip, frame, version) {
  const r = await fetch(`/api/frame/${clip}/${frame}/seg/${version}.png`);
  if (!r.ok) throw new Error(`label map ${clip}/${frame} v${version}: HTTP ${r.status}`);
  return decodeIds(await r.blob());
}

/** Write a patch {bbox: [x, y, w, h], png: base64} from the server into a decoded map. */
export async function applyPatch(map, patch) {
  const bin = Uint8Array.from(atob(patch.png), (c) => c.charCodeAt(0));
  const sub = await decodeIds(new Blob([bin], { type: "image/png" }));
  const [x, y, w, h] = patch.bbox;
  for (let r = 0; r < h; r++) map.ids.set(sub.ids.subarray(r * w, r * w + w), (y + r) * map.width + x);
}

/** Segment table from the server ({ids, area, bbox, centroid, color, label}) indexed by id. */
export class Segments {
  constructor(t) {
    this.t = t;
    this.row = new Map();
    t.ids.forEach((id, i) => this.row.set(id, i));
    this.maxId = t.ids.length ? t.ids[t.ids.length - 1] : 0;
  }
  has(id) { return this.row.has(id); }
  bbox(id) { const i = this.row.get(id); return i === undefined ? null : this.t.bbox[i]; }
  area(id) { const i = this.row.get(id); return i === undefined ? 0 : this.t.area[i]; }
  centroid(id) { const i = this.row.get(id); return i === undefined ? null : this.t.centroid[i]; }
  get count() { return this.t.ids.length; }
}
