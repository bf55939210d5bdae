"""Scalar logging in TensorBoard's event-file format, without needing the tensorboard package.

``torch.utils.tensorboard`` imports ``tensorboard``, which is not a dependency of this project.
Scalars only need a few protobuf fields, so :class:`EventWriter` writes them by hand:
TFRecord framing (length, masked CRC-32C of the length, payload, masked CRC-32C of the
payload) around ``Event{wall_time, step, summary{value{tag, simple_value}}}`` messages. The
files open in TensorBoard like any ``SummaryWriter`` output.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as TFRecord uses."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC: rotate right by 15 and add a constant."""
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, wire: int, payload: bytes) -> bytes:
    key = _varint((num << 3) | wire)
    return key + (_varint(len(payload)) + payload if wire == 2 else payload)


def scalar_event(tag: str, value: float, step: int, wall_time: float) -> bytes:
    """A serialized ``Event`` holding one scalar summary."""
    val = _field(1, 2, tag.encode()) + _field(2, 5, struct.pack("<f", float(value)))
    summary = _field(1, 2, val)
    return _field(1, 1, struct.pack("<d", wall_time)) + _field(2, 0, _varint(int(step))) + _field(5, 2, summary)


def record(payload: bytes) -> bytes:
    """TFRecord framing of one payload."""
    head = struct.pack("<Q", len(payload))
    return head + struct.pack("<I", masked_crc(head)) + payload + struct.pack("<I", masked_crc(payload))


class EventWriter:
    """Append scalars to ``<logdir>/events.out.tfevents.<time>.<host>``."""

    def __init__(self, logdir: str | os.PathLike) -> None:
        Path(logdir).mkdir(parents=True, exist_ok=True)
        self.path = Path(logdir) / f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
        self._f = open(self.path, "ab")  # noqa: SIM115 (open for the whole run)
        version = _field(1, 1, struct.pack("<d", time.time())) + _field(3, 2, b"brain.Event:2")
        self._f.write(record(version))

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        self._f.write(record(scalar_event(tag, value, step, time.time())))

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def read_scalars(path: str | os.PathLike) -> list[tuple[str, float, int]]:
    """``(tag, value, step)`` of every scalar in an event file written by :class:`EventWriter`
    (checks the CRCs; used by tests)."""
    data = Path(path).read_bytes()
    out, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack_from("<Q", data, pos)
        if struct.unpack_from("<I", data, pos + 8)[0] != masked_crc(data[pos:pos + 8]):
            raise ValueError("bad length CRC")
        payload = data[pos + 12:pos + 12 + n]
        if struct.unpack_from("<I", data, pos + 12 + n)[0] != masked_crc(payload):
            raise ValueError("bad payload CRC")
        pos += 16 + n
        ev = _parse(payload)
        if 5 in ev:
            val = _parse(_parse(ev[5])[1])
            out.append((val[1].decode(), struct.unpack("<f", val[2])[0], ev.get(2, 0)))
    return out


def _parse(buf: bytes) -> dict:
    """Minimal protobuf parse: field number -> last value (bytes for fixed/length fields)."""
    out, i = {}, 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            out[num], i = _read_varint(buf, i)
        elif wire == 1:
            out[num], i = buf[i:i + 8], i + 8
        elif wire == 5:
            out[num], i = buf[i:i + 4], i + 4
        else:
            n, i = _read_varint(buf, i)
            out[num], i = buf[i:i + n], i + n
    return out


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i
