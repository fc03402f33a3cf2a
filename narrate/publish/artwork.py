"""Cover art as podcast apps want it: the size of a PNG or JPEG, read from its header, and what is wrong with it."""

from __future__ import annotations

import struct

APPLE_MIN_PX = 1400
APPLE_MAX_PX = 3000
"""Apple Podcasts wants square artwork of 1400 to 3000 pixels a side (other apps take what Apple takes)."""

# JPEG markers that start a frame (and hold its size): SOF0-SOF15 but DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG image, or None when its header cannot be read."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF:
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def artwork_problem(data: bytes | None, settings: str = "book.toml") -> str | None:
    """What a podcast app would make of this cover (None: nothing wrong with it); `settings` names the file where
    the book's cover is set (book.toml in a book folder, `novel.toml` beside `novel.md`)."""
    if data is None:
        return ("no cover: podcast apps show a blank tile (Apple Podcasts refuses a feed without one); "
                f"set cover in {settings} to a square JPEG or PNG of {APPLE_MIN_PX}-{APPLE_MAX_PX} px")
    size = image_size(data)
    if size is None:
        return None  # the cover was checked as an image when the book was read; its size is not for us to guess
    width, height = size
    if width != height:
        return f"the cover is {width}x{height}: podcast apps want a square image ({APPLE_MIN_PX}-{APPLE_MAX_PX} px)"
    if not APPLE_MIN_PX <= width <= APPLE_MAX_PX:
        return f"the cover is {width}x{height}: Apple Podcasts wants {APPLE_MIN_PX}-{APPLE_MAX_PX} px a side"
    return None
