"""The Teams app icons, drawn in pure Python (zlib + struct, no imaging library).

Teams wants two PNGs in the app package:

- ``color.png``, 192x192, full colour and full bleed: here a white speech bubble with a "€"
  cut out of it on the accent colour, every pixel opaque (RGB, no alpha channel at all);
- ``outline.png``, 32x32, a white glyph on a transparent background: the same bubble in white
  with the "€" cut out (RGBA; every pixel is white, only the alpha channel varies).

Shapes are described in unit coordinates (0..1, y pointing down) and rendered by
supersampling, so the edges are anti-aliased. The output is deterministic: the same bytes on
every run, so packages built twice are identical.

    python -m adapters.teams.icons DIR     # write color.png and outline.png into DIR
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

COLOR_SIZE = 192
OUTLINE_SIZE = 32
COLOR_FILE = "color.png"
OUTLINE_FILE = "outline.png"
ACCENT_COLOR = "#1F5FA8"  # the manifest's accentColor; the colour icon's background

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPE_RGB = 2
COLOUR_TYPE_RGBA = 6

RGB = tuple[int, int, int]
Shape = Callable[[float, float], bool]


@dataclass(frozen=True)
class PngHeader:
    """The fields of a PNG's IHDR chunk that matter for Teams icons."""

    width: int
    height: int
    bit_depth: int
    colour_type: int

    @property
    def has_alpha(self) -> bool:
        """Colour types 4 (grey + alpha) and 6 (RGBA) carry an alpha channel."""
        return self.colour_type in (4, 6)


# --- PNG encoding --------------------------------------------------------------------------


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def encode_png(width: int, height: int, pixels: bytes, *, alpha: bool) -> bytes:
    """An 8-bit RGB or RGBA PNG from packed pixel bytes, row by row, top to bottom."""
    channels = 4 if alpha else 3
    stride = width * channels
    if width <= 0 or height <= 0 or len(pixels) != stride * height:
        raise ValueError(f"expected {stride * height} pixel bytes for {width}x{height}")
    # Filter type 0 (none) on every row: simple, and zlib still compresses flat areas well.
    raw = b"".join(b"\x00" + pixels[row * stride : (row + 1) * stride] for row in range(height))
    colour_type = COLOUR_TYPE_RGBA if alpha else COLOUR_TYPE_RGB
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def read_header(data: bytes) -> PngHeader:
    """The IHDR of a PNG; ValueError when the bytes are not a PNG."""
    if len(data) < 33 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file (signature or IHDR chunk missing)")
    width, height, bit_depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return PngHeader(width, height, bit_depth, colour_type)


# --- shapes in unit coordinates ------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """The speech bubble with a euro sign, scaled for one icon size."""

    left: float
    top: float
    right: float
    bottom: float
    corner: float
    tail: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    euro_x: float
    euro_y: float
    euro_radius: float
    euro_stroke: float
    bar_half: float  # half the thickness of the euro's two bars

    def bubble(self, x: float, y: float) -> bool:
        return _in_rounded_rect(
            x, y, self.left, self.top, self.right, self.bottom, self.corner
        ) or _in_triangle(x, y, *self.tail)

    def euro(self, x: float, y: float) -> bool:
        dx, dy = x - self.euro_x, y - self.euro_y
        distance2 = dx * dx + dy * dy
        inner = self.euro_radius - self.euro_stroke
        # The "C": a ring, open on the right where |dy| < 0.72 * dx (about +-36 degrees).
        in_ring = inner * inner <= distance2 <= self.euro_radius**2 and not (
            dx > 0 and abs(dy) < 0.72 * dx
        )
        if in_ring:
            return True
        bar_left = self.euro_x - self.euro_radius - 0.32 * self.euro_radius
        bar_right = self.euro_x + 0.28 * self.euro_radius
        if not bar_left <= x <= bar_right:
            return False
        offset = 0.24 * self.euro_radius
        return (
            abs(y - (self.euro_y - offset)) <= self.bar_half
            or abs(y - (self.euro_y + offset)) <= self.bar_half
        )

    def glyph(self, x: float, y: float) -> bool:
        """White paint: the bubble minus the euro sign."""
        return self.bubble(x, y) and not self.euro(x, y)


def _in_rounded_rect(
    x: float, y: float, left: float, top: float, right: float, bottom: float, radius: float
) -> bool:
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius


def _in_triangle(
    x: float,
    y: float,
    a: tuple[float, float],
    b: tuple[float, float],
    c: tuple[float, float],
) -> bool:
    def side(p: tuple[float, float], q: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    has_negative = d1 < 0 or d2 < 0 or d3 < 0
    has_positive = d1 > 0 or d2 > 0 or d3 > 0
    return not (has_negative and has_positive)


# The colour icon keeps the bubble inside Teams' safe area (about the middle two thirds); the
# outline icon fills its 32 pixels and uses thicker strokes so the "€" stays legible.
COLOR_DESIGN = Design(
    left=0.18,
    top=0.21,
    right=0.82,
    bottom=0.69,
    corner=0.11,
    tail=((0.30, 0.66), (0.47, 0.66), (0.25, 0.83)),
    euro_x=0.535,
    euro_y=0.45,
    euro_radius=0.165,
    euro_stroke=0.047,
    bar_half=0.02,
)
OUTLINE_DESIGN = Design(
    left=0.03,
    top=0.09,
    right=0.97,
    bottom=0.75,
    corner=0.16,
    tail=((0.16, 0.70), (0.44, 0.70), (0.09, 0.97)),
    euro_x=0.545,
    euro_y=13 / 32,  # with the radius below, each bar covers exactly two pixel rows
    euro_radius=0.26,
    euro_stroke=0.085,
    bar_half=1 / 32,
)


def coverage(shape: Shape, size: int, samples: int) -> list[float]:
    """Per pixel, the share of samples x samples sub-pixel points inside the shape (row-major)."""
    step = 1.0 / (size * samples)
    offsets = [(index + 0.5) * step for index in range(samples)]
    total = samples * samples
    result: list[float] = []
    for row in range(size):
        y0 = row / size
        for column in range(size):
            x0 = column / size
            hits = sum(1 for dy in offsets for dx in offsets if shape(x0 + dx, y0 + dy))
            result.append(hits / total)
    return result


def hex_to_rgb(colour: str) -> RGB:
    """'#1F5FA8' -> (31, 95, 168)."""
    value = colour.removeprefix("#")
    if len(value) != 6:
        raise ValueError(f"not a #RRGGBB colour: {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@cache
def color_icon(accent: str = ACCENT_COLOR) -> bytes:
    """color.png: 192x192 RGB, the accent colour full bleed, the white bubble on top."""
    background = hex_to_rgb(accent)
    pixels = bytearray()
    for share in coverage(COLOR_DESIGN.glyph, COLOR_SIZE, samples=3):
        pixels += bytes(round(b + (255 - b) * share) for b in background)
    return encode_png(COLOR_SIZE, COLOR_SIZE, bytes(pixels), alpha=False)


@cache
def outline_icon() -> bytes:
    """outline.png: 32x32 RGBA, white everywhere, opaque only where the glyph is."""
    pixels = bytearray()
    for share in coverage(OUTLINE_DESIGN.glyph, OUTLINE_SIZE, samples=4):
        pixels += bytes((255, 255, 255, round(255 * share)))
    return encode_png(OUTLINE_SIZE, OUTLINE_SIZE, bytes(pixels), alpha=True)


def icons() -> dict[str, bytes]:
    """Both icons by their file name in the app package."""
    return {COLOR_FILE: color_icon(), OUTLINE_FILE: outline_icon()}


def write_icons(directory: Path) -> list[Path]:
    """Write color.png and outline.png into the directory (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, data in icons().items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a convenience for designers
    for written_path in write_icons(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written_path)
