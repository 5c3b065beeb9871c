"""A bar chart written straight to PNG with the standard library (zlib), for the class report.

Why not matplotlib: it is a large optional dependency and a second of import time for one picture,
and its output changes between versions. This draws labelled bars with a built-in 5x7 pixel font,
and the same counts always give the same bytes, so a resumed batch writes the same picture as an
uninterrupted one.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

Color = tuple[int, int, int]
WHITE, INK, AXIS = (255, 255, 255), (40, 40, 40), (150, 150, 150)
BAR, HIGHLIGHT = (70, 120, 180), (60, 150, 90)

# 5x7 glyphs: seven rows, five bits each (bit 4 is the leftmost column).
_FONT = {
    "A": "0E11111F111111", "B": "1E11111E11111E", "C": "0E11101010110E", "D": "1C12111111121C",
    "E": "1F10101E10101F", "F": "1F10101E101010", "G": "0E11101711110F", "H": "1111111F111111",
    "I": "0E04040404040E", "J": "0702020202120C", "K": "11121418141211", "L": "1010101010101F",
    "M": "111B1515111111", "N": "11111915131111", "O": "0E11111111110E", "P": "1E11111E101010",
    "Q": "0E11111115120D", "R": "1E11111E141211", "S": "0F10100E01011E", "T": "1F040404040404",
    "U": "1111111111110E", "V": "11111111110A04", "W": "1111111515150A",
    "X": "11110A040A1111", "Y": "1111110A040404", "Z": "1F01020408101F",
    "0": "0E11131519110E", "1": "040C040404040E", "2": "0E11010204081F", "3": "1F02040201110E",
    "4": "02060A121F0202", "5": "1F101E0101110E", "6": "0608101E11110E", "7": "1F010204080808",
    "8": "0E11110E11110E", "9": "0E11110F01020C", " ": "00000000000000", "-": "0000001F000000",
    ".": "00000000000C0C", ",": "00000000000C04", "(": "02040808080402", ")": "08040202020408",
    "=": "00001F001F0000", "/": "00010204081000", "%": "18190204081303", ":": "000C0C000C0C00",
    "?": "0E110102040004",
}
GLYPH_W, GLYPH_H = 5, 7


class Canvas:
    """An RGB picture in memory, drawn with rectangles and text."""

    def __init__(self, width: int, height: int, background: Color = WHITE):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the pixels with x0 <= x < x1 and y0 <= y < y1 (clipped to the picture)."""
        x0, x1 = max(0, min(x0, self.width)), max(0, min(x1, self.width))
        y0, y1 = max(0, min(y0, self.height)), max(0, min(y1, self.height))
        if x0 >= x1:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(row)] = row

    @staticmethod
    def text_width(text: str, scale: int = 1) -> int:
        return max(0, len(text) * (GLYPH_W + 1) * scale - scale)

    def text(self, x: int, y: int, text: str, color: Color = INK, scale: int = 1) -> None:
        """Draw `text` (upper-cased; unknown characters as '?') with its top-left corner at (x, y)."""
        for char in text.upper():
            bits = bytes.fromhex(_FONT.get(char, _FONT["?"]))
            for row, value in enumerate(bits):
                for column in range(GLYPH_W):
                    if value & (1 << (GLYPH_W - 1 - column)):
                        px, py = x + column * scale, y + row * scale
                        self.rect(px, py, px + scale, py + scale, color)
            x += (GLYPH_W + 1) * scale

    def centered_text(self, cx: int, y: int, text: str, color: Color = INK, scale: int = 1) -> None:
        self.text(cx - self.text_width(text, scale) // 2, y, text, color, scale)

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        stride = self.width * 3
        raw = b"".join(b"\x00" + bytes(self.pixels[y * stride:(y + 1) * stride]) for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bar_chart(counts: list[int], labels: list[str], title: str, x_title: str,
              highlight: set[int] = frozenset(), width: int = 720, height: int = 420) -> bytes:
    """A PNG of one bar per count, its count above it and its label below; `highlight` bars in green."""
    canvas = Canvas(width, height)
    scale = 2
    line = (GLYPH_H + 3) * scale
    canvas.centered_text(width // 2, 12, title, INK, scale)
    left, right, top, bottom = 30, width - 30, 12 + line + 10 + line, height - 2 * line - 16
    n = max(1, len(counts))
    slot = (right - left) / n
    gap = max(2, int(slot * 0.15))
    tallest = max(counts, default=0) or 1
    for i, count in enumerate(counts):
        x0, x1 = left + int(i * slot) + gap // 2, left + int((i + 1) * slot) - gap // 2
        y0 = bottom - round((bottom - top) * count / tallest)
        canvas.rect(x0, y0, x1, bottom, HIGHLIGHT if i in highlight else BAR)
        cx = (x0 + x1) // 2
        if count:
            canvas.centered_text(cx, y0 - line, str(count), INK, scale)
        if i < len(labels):
            label_scale = scale if canvas.text_width(labels[i], scale) <= slot else 1
            canvas.centered_text(cx, bottom + 6, labels[i], INK, label_scale)
    canvas.rect(left, bottom, right, bottom + 1, AXIS)
    canvas.centered_text(width // 2, height - line, x_title, INK, scale)
    return canvas.png()

