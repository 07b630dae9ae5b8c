"""Small PNG avatars for the demo world, written with zlib and struct only.

A coloured square with a lighter diagonal band and a centred disc: enough to
tell contacts apart in the chat list without Qt or Pillow on the server side.
"""

from __future__ import annotations

import struct
import zlib

SIZE = 48


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _lighter(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    r, g, b = (int(c + (255 - c) * amount) for c in rgb)
    return r, g, b


def _pixel(x: int, y: int, rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    centre = (SIZE - 1) / 2
    if (x - centre) ** 2 + (y - centre) ** 2 <= (SIZE / 4) ** 2:
        return _lighter(rgb, 0.75)
    if abs(x - y) < SIZE // 8:
        return _lighter(rgb, 0.35)
    return rgb


def avatar_png(rgb: tuple[int, int, int], size: int = SIZE) -> bytes:
    """An RGB PNG of ``size`` x ``size`` pixels in the colour ``rgb``."""
    rows = bytearray()
    scale = SIZE / size
    for y in range(size):
        rows.append(0)  # filter type None for this scanline
        for x in range(size):
            rows.extend(_pixel(int(x * scale), int(y * scale), rgb))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b""))
