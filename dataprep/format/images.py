"""Reading and writing the images of the format, with one-line errors on bad input.

Conventions (see docs/FORMAT.md):
- line image: PNG, 8-bit L / LA / RGB / RGBA. Loaded raw as stored, or as ``(H, W) uint8`` gray
  with alpha composited over white (0 = ink, 255 = paper).
- color image: PNG (or JPEG on import), 8-bit RGB / RGBA. Loaded as ``(H, W, 3) uint8`` RGB plus an
  optional ``(H, W) uint8`` alpha.
- segment label map: ``(H, W) int32``, 0 = line pixels, 1..N segments. Stored as a 16-bit gray PNG
  when every id fits (<= 65535), else as an 8-bit RGB PNG with id = R*256^2 + G*256 + B (PBC's
  encoding), which holds ids up to 2^24 - 1.
- pixel label map (optional): ``(H, W) int32`` correspondence id per pixel, -1 = none. Stored RGB
  encoded as above, with alpha 0 meaning -1 (PBC's ``label/`` images).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from dataprep.errors import FormatError

#: Largest id a 16-bit PNG holds.
MAX_ID_16 = 65535
#: Largest id the RGB encoding holds.
MAX_ID_RGB = 256**3 - 1

# Refuse decompression bombs with a clear message rather than PIL's warning.
Image.MAX_IMAGE_PIXELS = 32768 * 32768


def _open(path: Path, data: bytes | None = None) -> Image.Image:
    """Open and fully decode an image file, turning every decoder failure into a FormatError.

    Args:
        path: the file; with ``data``, only the name that messages give.
        data: the file's bytes when they come from elsewhere (a published dataset's parquet row).
    """
    if data is None and not path.is_file():
        raise FormatError("file is missing", path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path if data is None else io.BytesIO(data))
            img.load()  # decode now: truncated data raises here, not later deep in numpy
    except FormatError:
        raise
    except Exception as e:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError... for bad files
        raise FormatError(f"cannot decode image ({type(e).__name__}: {e})", path) from None
    return img


def read_image_raw(path: str | os.PathLike, data: bytes | None = None) -> np.ndarray:
    """Read an 8-bit or 16-bit image as stored.

    Args:
        path: the image file; with ``data``, only the name that messages give.
        data: the file's bytes, decoded instead of reading ``path``.

    Returns:
        ``(H, W)`` uint8/uint16 for gray images, ``(H, W, C)`` uint8 for LA (C=2), RGB (C=3)
        and RGBA (C=4). Palette images are expanded to RGB(A).
    """
    path = Path(path)
    img = _open(path, data)
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode in ("1", "CMYK", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGB" if mode != "1" else "L")
    elif mode in ("I", "F"):
        arr = np.asarray(img)
        if mode == "F" or arr.min() < 0 or arr.max() > MAX_ID_16:
            raise FormatError(f"unsupported image mode {mode!r} (expected 8/16-bit PNG)", path)
        return arr.astype(np.uint16)
    arr = np.asarray(img)
    if arr.dtype == np.int32 or img.mode.startswith("I;16"):
        arr = arr.astype(np.uint16)
    return np.ascontiguousarray(arr)


def to_8bit(arr: np.ndarray) -> np.ndarray:
    """An image of :func:`read_image_raw` as uint8: 16-bit values are rounded to 8 bits.

    Args:
        arr: ``(H, W)`` / ``(H, W, C)`` uint8 (returned as is) or uint16.

    Returns:
        The same shape, uint8 (``round(v * 255 / 65535)`` for 16-bit).
    """
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype != np.uint16:
        raise FormatError(f"image must be 8-bit or 16-bit, got {arr.dtype}")
    return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def read_image_8bit(path: str | os.PathLike) -> np.ndarray:
    """:func:`read_image_raw`, with 16-bit gray scans and exports brought to 8 bits (line images)."""
    return to_8bit(read_image_raw(path))


def read_line(path: str | os.PathLike) -> np.ndarray:
    """Read a line image as ``(H, W) uint8`` gray, 0 = ink, 255 = paper.

    Alpha is composited over white, so PBC's black-on-transparent lines read as black on white;
    16-bit images are rounded to 8 bits. Colored lines (PBC's shading lines) become their
    luminance; use :func:`read_image_8bit` to keep their color.
    """
    return to_gray(read_image_8bit(path), path)


def to_gray(arr: np.ndarray, path: str | os.PathLike | None = None) -> np.ndarray:
    """Convert a raw line image (see :func:`read_image_raw`) to ``(H, W) uint8`` over white."""
    if arr.dtype != np.uint8:
        raise FormatError(f"line image must be 8-bit, got {arr.dtype}", path)
    if arr.ndim == 2:
        return arr
    rgb, alpha = split_alpha(arr)
    # ITU-R 601 luma, the same weights as PIL's convert("L").
    gray = (rgb[..., 0] * 299 + rgb[..., 1] * 587 + rgb[..., 2] * 114 + 500) // 1000
    if alpha is not None:
        a = alpha.astype(np.uint32)
        gray = (gray * a + 255 * (255 - a) + 127) // 255
    return gray.astype(np.uint8)


def split_alpha(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Split ``(H, W, C)`` uint8 into ``(H, W, 3)`` RGB (uint32 for math) and alpha or None."""
    c = arr.shape[2]
    if c == 2:  # LA
        rgb = np.repeat(arr[..., :1], 3, axis=2).astype(np.uint32)
        return rgb, arr[..., 1]
    rgb = arr[..., :3].astype(np.uint32)
    return rgb, (arr[..., 3] if c == 4 else None)


def read_color(path: str | os.PathLike, data: bytes | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a color image (from ``data``, its bytes, when given; ``path`` then only names it).

    Returns:
        ``(rgb, alpha)``: ``(H, W, 3) uint8`` RGB as stored (not composited) and
        ``(H, W) uint8`` alpha, or None for images without alpha.
    """
    arr = read_image_raw(path, data)
    if arr.dtype != np.uint8:
        raise FormatError(f"color image must be 8-bit, got {arr.dtype}", path)
    if arr.ndim == 2:
        return np.repeat(arr[..., None], 3, axis=2), None
    rgb, alpha = split_alpha(arr)
    return rgb.astype(np.uint8), alpha


def decode_ids(arr: np.ndarray, path: str | os.PathLike | None = None) -> np.ndarray:
    """Decode a stored label image into ``(H, W) int32`` ids.

    16-bit or 8-bit gray images hold the id directly; RGB images hold R*256^2 + G*256 + B; RGBA
    images do too, with alpha 0 decoding to -1 (PBC's transparent background).
    """
    if arr.ndim == 2:
        if arr.dtype not in (np.uint8, np.uint16):
            raise FormatError(f"label map must be integer, got {arr.dtype}", path)
        return arr.astype(np.int32)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.dtype != np.uint8:
        raise FormatError(
            f"label map must be 16-bit gray or 8-bit RGB(A), got shape {arr.shape} {arr.dtype}", path
        )
    a = arr.astype(np.int32)
    ids = (a[..., 0] << 16) | (a[..., 1] << 8) | a[..., 2]
    if arr.shape[2] == 4:
        ids[arr[..., 3] == 0] = -1
    return ids


def read_ids(path: str | os.PathLike, data: bytes | None = None) -> np.ndarray:
    """Read a label image (segment map or pixel label map) as ``(H, W) int32`` (from ``data`` when given)."""
    return decode_ids(read_image_raw(path, data), path)


def check_int_map(ids: np.ndarray, what: str, allow_negative: bool, path=None) -> np.ndarray:
    """Check that ``ids`` is a 2-D integer array in the encodable range; return it as int64."""
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise FormatError(f"{what} must be 2-D (H, W), got shape {ids.shape}", path)
    if not (np.issubdtype(ids.dtype, np.integer) or ids.dtype == np.bool_):
        raise FormatError(f"{what} must be an integer array, got {ids.dtype}", path)
    if ids.size == 0:
        raise FormatError(f"{what} is empty (shape {ids.shape})", path)
    lo, hi = int(ids.min()), int(ids.max())
    if lo < (-1 if allow_negative else 0):
        raise FormatError(f"{what} has id {lo}; ids must be >= {-1 if allow_negative else 0}", path)
    if hi > MAX_ID_RGB:
        raise FormatError(f"{what} has id {hi}, more than the encoding holds ({MAX_ID_RGB})", path)
    return ids.astype(np.int64)


def encode_png(arr: np.ndarray) -> bytes:
    """Encode a uint8 (H, W) / (H, W, 2|3|4) or uint16 (H, W) array as PNG bytes."""
    if arr.dtype == np.uint16:
        img = Image.fromarray(arr)  # mode I;16, a true 16-bit PNG
    else:
        img = Image.fromarray(np.ascontiguousarray(arr, dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=3)  # level 3: ~as small as 9 for flat maps, far faster
    return buf.getvalue()


def encode_segment_map(seg: np.ndarray, path=None) -> bytes:
    """Encode a ``(H, W)`` segment map (0 = line, 1..N) as PNG bytes, 16-bit when it fits."""
    ids = check_int_map(seg, "segment map", allow_negative=False, path=path)
    if ids.max() <= MAX_ID_16:
        return encode_png(ids.astype(np.uint16))
    return encode_png(encode_rgb_ids(ids))


#: RGB of the transparent (-1) pixels of a label map as BasicPBC's np_2_labelpng writes them; some
#: of its files hold (0, 0, 0, 0) instead, and readers treat both as -1 (only alpha counts).
PBC_TRANSPARENT_RGB = (255, 255, 255)


def encode_rgb_ids(ids: np.ndarray, with_alpha: bool = False,
                   background: tuple[int, int, int] = PBC_TRANSPARENT_RGB) -> np.ndarray:
    """Encode ``(H, W)`` int ids as PBC's RGB(A): id = R*256^2 + G*256 + B; -1 -> alpha 0.

    Args:
        ids: ``(H, W)`` int ids, -1 = none.
        with_alpha: write an alpha channel (255, and 0 on -1 pixels).
        background: RGB of the -1 pixels under alpha 0.

    Returns:
        ``(H, W, 3|4) uint8``. With alpha, -1 pixels are ``(*background, 0)``: by default
        (255, 255, 255, 0) as PBC writes them.
    """
    ids = np.asarray(ids, dtype=np.int64)
    out = np.empty(ids.shape + (4 if with_alpha else 3,), dtype=np.uint8)
    safe = np.where(ids < 0, 0, ids)
    out[..., 0] = (safe >> 16) & 255
    out[..., 1] = (safe >> 8) & 255
    out[..., 2] = safe & 255
    if with_alpha:
        out[..., 3] = 255
        out[ids < 0] = (*background, 0)
    return out


def encode_label_map(labels: np.ndarray, path=None) -> bytes:
    """Encode a ``(H, W)`` pixel label map (-1 = none) as an RGBA PNG (PBC's ``label/``)."""
    ids = check_int_map(labels, "pixel label map", allow_negative=True, path=path)
    return encode_png(encode_rgb_ids(ids, with_alpha=True))
