"""MP3 frame walking: find Layer III frames without decoding, to join or inspect files."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# MPEG audio Layer III header tables (version bits 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5).
_L3_KBPS = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def bit_rates(rate: int) -> tuple[int, ...]:
    """The bit rates (kbps) a Layer III frame can have at sample rate `rate`."""
    if rate >= 32000:
        return _L3_KBPS[1][1:]
    return _L3_KBPS[2][1:] if rate >= 16000 else _L3_KBPS[2][1:9]


@dataclass(frozen=True)
class Frame:
    offset: int
    length: int
    kbps: int
    sample_rate: int
    samples: int
    """PCM samples per channel this frame decodes to (1152 for MPEG-1, 576 otherwise)."""


def audio_start(data: bytes) -> int:
    """Offset of the first byte after a leading ID3v2 tag (0 when there is none)."""
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        return 10 + size + (10 if data[5] & 0x10 else 0)
    return 0


def iter_frames(data: bytes) -> Iterator[Frame]:
    """Layer III frames from the start of the audio until the first thing that is not one.

    Stops quietly at trailing tags or junk; raises ValueError on free-format or invalid
    headers, which cannot be walked.
    """
    pos = audio_start(data)
    while pos + 4 <= len(data):
        b1, b2 = data[pos + 1], data[pos + 2]
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        if data[pos] != 0xFF or b1 & 0xE0 != 0xE0 or version == 1 or layer != 1:
            return
        index, rate_index = b2 >> 4, (b2 >> 2) & 3
        if index in (0, 15) or rate_index == 3:
            raise ValueError(f"unwalkable MP3 frame header at byte {pos}")
        kbps = _L3_KBPS[1 if version == 3 else 2][index]
        rate = _RATES[version][rate_index]
        per_frame = 144 if version == 3 else 72
        length = per_frame * kbps * 1000 // rate + ((b2 >> 1) & 1)
        yield Frame(pos, length, kbps, rate, 1152 if version == 3 else 576)
        pos += length


def run_of_frames(data: bytes, start: int) -> tuple[int, int]:
    """How many frames from the one at `start` have its header but for the padding bit, and where they end.

    A CBR encoder's frames differ only in that bit, so its output is walked without a Frame per frame
    (iter_frames builds one each: a chapter holds ~140,000 frames an hour). (0, start) if none is there.
    """
    first = next(iter_frames(data[start:start + 4]), None)
    if first is None:
        return 0, start
    h0, h1, h2 = data[start], data[start + 1], data[start + 2] & ~0x02
    base = first.length - ((data[start + 2] >> 1) & 1)
    pos, n, size = start, 0, len(data)
    while pos + 4 <= size and data[pos] == h0 and data[pos + 1] == h1 and data[pos + 2] & ~0x02 == h2:
        end = pos + base + ((data[pos + 2] >> 1) & 1)
        if end > size:  # a frame cut short is not one
            break
        pos, n = end, n + 1
    return n, pos


COPY_CHUNK = 1 << 20


def copy_frames(src: BinaryIO, dst: BinaryIO) -> tuple[int, int]:
    """Copy the Layer III frames of an open MP3 file (after its ID3v2 tag) to `dst`, a chunk at a time.

    Returns (decoded samples per channel, sample rate of the first frame; 0 when there are no frames).
    Memory stays at one chunk, whatever the length of the file.
    """
    samples, rate = 0, 0
    for data, frames in _file_chunks(src):
        if frames and not rate:
            rate = frames[0].sample_rate
        samples += sum(frame.samples for frame in frames)
        dst.write(data)
    return samples, rate


def iter_file_frames(src: BinaryIO) -> Iterator[Frame]:
    """iter_frames over an open file, a chunk at a time (offsets are relative to each chunk)."""
    for _, frames in _file_chunks(src):
        yield from frames


def _file_chunks(src: BinaryIO) -> Iterator[tuple[bytes, list[Frame]]]:
    """An open MP3 file's audio (after its ID3v2 tag) as chunks of whole frames: (bytes, their frames).

    A frame cut by the end of a chunk is carried into the next; the walk ends at the end of the file
    or at the first thing that is not a frame (a trailing tag, junk).
    """
    head = src.read(10)
    start = audio_start(head)
    buf = head[start:] if start <= len(head) else b""
    if start > len(head):
        src.seek(start)
    while True:
        more = src.read(COPY_CHUNK)
        buf += more
        frames = []
        for frame in iter_frames(buf):
            if frame.offset + frame.length > len(buf):
                break
            frames.append(frame)
        used = frames[-1].offset + frames[-1].length if frames else 0
        yield buf[:used], frames
        buf = buf[used:]
        if not more or (len(buf) >= 4 and not _is_header(buf)):
            return


def _is_header(data: bytes) -> bool:
    return data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and (data[1] >> 3) & 3 != 1 and (data[1] >> 1) & 3 == 1
