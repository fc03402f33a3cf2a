"""Export stage: chapter audio -> MP3 (lameenc, in-process) with ID3v2.3 tags and chapter frames."""

from __future__ import annotations

import math
import mimetypes
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..errors import ExportError

if TYPE_CHECKING:  # numpy and pydub load only when audio is made: a render with nothing to do needs neither
    import numpy as np

    from .values import AudioSegment

MAX_CHAPTER_TITLE = 48
# LAME's encoder delay (576) plus the decoder's (529). lameenc writes no gapless-playback
# header, so players sound these samples before the first stitched one; timelines shift by it.
MP3_DELAY_SAMPLES = 1105


def mp3_delay_ms(frame_rate: int) -> int:
    return round(MP3_DELAY_SAMPLES * 1000 / frame_rate)  # ffmpeg and Apple's parser keep short CHAP titles intact


@dataclass(frozen=True)
class Section:
    """A CHAP frame: a titled span of the file."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Tags:
    """What a podcast or audiobook player shows for one file."""

    title: str
    album: str
    artist: str
    track: int
    track_total: int
    subtitle: str | None = None
    language: str = "en"
    genre: str = "Audiobook"
    cover: Path | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Encoding:
    """MP3 encoder settings."""

    bitrate_kbps: int = 64
    """Constant bit rate; 64 kbps mono is transparent for synthetic speech."""
    quality: int = 5
    """LAME quality 0 (best, slowest) to 9; 5 costs half as much as 2 with no audible loss for speech."""


def check_bitrate(kbps: int, rate: int) -> None:
    """ExportError unless an MP3 at `rate` Hz can have `kbps` (LAME would quietly take another rate)."""
    from .mp3frames import bit_rates

    allowed = bit_rates(rate)
    if kbps not in allowed:
        raise ExportError(f"bit rate {kbps} kbps: an MP3 at {rate} Hz has one of {', '.join(map(str, allowed))} kbps")


ENCODE_CHUNK = 1 << 20  # samples handed to LAME at a time: no second copy of the chapter


def encode_pcm(x: np.ndarray, frame_rate: int, enc: Encoding) -> bytes:
    """Encode mono int16 samples as CBR MP3 bytes, in-process (no ffmpeg)."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(enc.bitrate_kbps)
    encoder.set_in_sample_rate(frame_rate)
    encoder.set_out_sample_rate(frame_rate)
    encoder.set_channels(1)
    encoder.set_quality(enc.quality)
    out = bytearray()
    try:
        for start in range(0, x.size, ENCODE_CHUNK):
            out += encoder.encode(x[start:start + ENCODE_CHUNK].tobytes())
        out += encoder.flush()
    except Exception as exc:  # lameenc raises plain RuntimeError/ValueError
        raise ExportError(f"MP3 encoding failed: {exc}") from None
    return bytes(out)


# LAME's output measures quieter than its input (espeak speech at 22.05 kHz: ~0.45 LU, at 64 kbps as
# at 160), enough to miss a loudness target; it depends on the sound, so it is measured on a few
# excerpts of the chapter itself.
LOSS_EXCERPT_S = 10.0
LOSS_EXCERPTS = 3


def mp3_loudness_loss(x: np.ndarray, frame_rate: int, enc: Encoding) -> float:
    """How many LU quieter mono int16 samples `x` will measure once encoded with `enc` (0.0 if unmeasurable)."""
    import miniaudio
    import numpy as np

    from .loudness import integrated_lufs

    n = int(LOSS_EXCERPT_S * frame_rate)
    if x.size <= n * LOSS_EXCERPTS:
        windows = [x]
    else:
        windows = [x[int((k + 0.5) * x.size / LOSS_EXCERPTS) - n // 2:][:n] for k in range(LOSS_EXCERPTS)]
    before, after = [], []
    for w in windows:
        try:
            decoded = miniaudio.mp3_read_s16(encode_pcm(w, frame_rate, enc))
        except miniaudio.MiniaudioError:
            return 0.0
        # Skip the encoder's and decoder's delay so both sides hold the same stretch of sound.
        y = np.frombuffer(decoded.samples, dtype=np.int16)[MP3_DELAY_SAMPLES:MP3_DELAY_SAMPLES + w.size]
        before.append(w[:y.size])
        after.append(y)
    pcm = integrated_lufs(np.concatenate(before), frame_rate)
    mp3 = integrated_lufs(np.concatenate(after), frame_rate)
    return pcm - mp3 if math.isfinite(pcm) and math.isfinite(mp3) else 0.0


def encode_mp3(audio: AudioSegment, enc: Encoding) -> bytes:
    """Encode a mono 16-bit pydub value as CBR MP3 bytes."""
    if audio.channels != 1 or audio.sample_width != 2:
        raise ExportError("internal: expected mono 16-bit audio for MP3 encoding")
    import numpy as np

    return encode_pcm(np.frombuffer(audio.raw_data, dtype=np.int16), audio.frame_rate, enc)


def short_title(title: str, limit: int = MAX_CHAPTER_TITLE) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def build_tags(tags: Tags, sections: list[Section], duration_ms: int):
    """An ID3 tag with text frames, cover and a CTOC over one CHAP per section."""
    from mutagen.id3 import (
        APIC,
        CHAP,
        COMM,
        CTOC,
        ID3,
        TALB,
        TCON,
        TIT2,
        TIT3,
        TLAN,
        TLEN,
        TPE1,
        TPE2,
        TRCK,
        CTOCFlags,
        PictureType,
    )

    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    if tags.subtitle:
        id3.add(TIT3(encoding=3, text=tags.subtitle))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(TPE2(encoding=3, text=tags.artist))
    id3.add(TRCK(encoding=3, text=f"{tags.track}/{tags.track_total}"))
    id3.add(TCON(encoding=3, text=tags.genre))
    id3.add(TLEN(encoding=3, text=str(duration_ms)))
    if tags.language:
        id3.add(TLAN(encoding=3, text=tags.language))
    if tags.comment:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=tags.comment))
    if tags.cover:
        mime = mimetypes.guess_type(tags.cover.name)[0] or "image/jpeg"
        try:
            data = tags.cover.read_bytes()
        except OSError as exc:
            raise ExportError(f"{tags.cover}: cannot read cover image ({exc.strerror})") from None
        id3.add(APIC(encoding=3, mime=mime, type=PictureType.COVER_FRONT, desc="Cover", data=data))
    sections = sorted(sections, key=lambda sec: sec.start_ms)
    ids = [f"chp{i}" for i in range(len(sections))]
    id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                 child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=short_title(tags.title))]))
    for eid, sec in zip(ids, sections, strict=True):
        id3.add(CHAP(element_id=eid, start_time=sec.start_ms, end_time=sec.end_ms,
                     sub_frames=[TIT2(encoding=3, text=short_title(sec.title))]))
    return id3


def _why(exc: OSError, path: Path) -> str:
    """What went wrong, for people: a file standing where a folder is needed is named."""
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        for parent in (path, *path.parents):
            if parent.exists() and not parent.is_dir():
                return f"{parent} is a file, not a folder"
    return exc.strerror or str(exc)


def ensure_folder(path: Path) -> None:
    """Create the output folder `path` (and its parents) and check a file can be written in it.

    Raises ExportError naming the folder, so a read-only or misnamed output fails before any work.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".narrate-probe-"):
            pass
    except OSError as exc:
        raise ExportError(f"{path}: cannot write in this folder ({_why(exc, path)})") from None


def check_output_file(path: Path) -> None:
    """Check that a file the user named can be written: its folder exists (it is not created,
    so a typo in a path does not make folders) and `path` is not a folder; ExportError if not."""
    parent = path.parent
    if path.is_dir():
        raise ExportError(f"{path}: is a folder, expected a file name")
    if not parent.is_dir():
        blocker = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker else f"folder {parent} does not exist"
        raise ExportError(f"{path}: cannot write ({why})")


def save_id3(id3, path: Path) -> None:
    """Save an ID3v2.3 tag into `path` (a temporary file: the save is not atomic), CHAP frames in time order.

    v2.3 because many players (and Windows) still ignore v2.4 frames. mutagen stores frames
    sorted by size (quodlibet/mutagen#506), and players list chapter frames as stored.
    """
    id3.save(str(path), v2_version=3)
    _order_chapter_frames(path)


def _order_chapter_frames(path: Path) -> None:
    """Rewrite the CHAP frames of the file's ID3v2.3 tag in start-time order, in the slots they held."""
    with open(path, "r+b") as fh:
        header = fh.read(10)
        if header[:3] != b"ID3" or header[3] != 3 or header[5] & 0xC0:
            return  # not a v2.3 tag as mutagen writes it (no unsynchronisation, no extended header)
        size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
        body = fh.read(size)
        ordered = _ordered_chapter_frames(body)
        if ordered != body:
            fh.seek(10)
            fh.write(ordered)


def _ordered_chapter_frames(body: bytes) -> bytes:
    """An ID3v2.3 tag's body (after its header) with its CHAP frames in start-time order, in the slots they held."""
    frames: list[bytes] = []
    pos = 0
    while pos + 10 <= len(body) and body[pos:pos + 4] != b"\0\0\0\0":
        length = 10 + int.from_bytes(body[pos + 4:pos + 8], "big")
        frames.append(body[pos:pos + length])
        pos += length
    chaps = [f for f in frames if f[:4] == b"CHAP"]

    def start_ms(frame: bytes) -> int:
        at = frame.index(b"\0", 10) + 1  # after the element id
        return int.from_bytes(frame[at:at + 4], "big")

    timeline = iter(sorted(chaps, key=start_ms))
    return b"".join(next(timeline) if f[:4] == b"CHAP" else f for f in frames) + body[pos:]


TAG_PADDING = 1024
"""Spare bytes left in a tag written before its timeline is known (mutagen leaves about as many)."""


def tag_room(tags: Tags, n_sections: int) -> int:
    """Bytes that hold the ID3 tag of a file with `tags` and at most `n_sections` sections, whatever their
    titles and times: the frames can be written after it before the tag is known (see put_tag)."""
    widest = "\U0001F3A7" * MAX_CHAPTER_TITLE  # four bytes a character in UTF-8 and UTF-16 alike
    sections = [Section(widest, 0, 0) for _ in range(max(1, n_sections))]
    return len(id3_bytes(build_tags(tags, sections, 10**13), 0)) + TAG_PADDING


def id3_bytes(id3, room: int) -> bytes:
    """The tag as save_id3 writes it into a file, padded to fill `room` bytes (no padding if it needs more)."""
    import io

    buf = io.BytesIO()
    id3.save(buf, v2_version=3, padding=lambda info: 0)
    need = len(buf.getvalue())
    if need < room:
        buf = io.BytesIO()
        id3.save(buf, v2_version=3, padding=lambda info: room - need)
    tag = buf.getvalue()
    return tag[:10] + _ordered_chapter_frames(tag[10:])


def put_tag(out: BinaryIO, id3, room: int) -> None:
    """Write the tag in front of frames written `room` bytes into `out`: in that room, padded to fill it, or
    (a tag that outgrew it) with the frames moved up to make way."""
    tag = id3_bytes(id3, room)
    if len(tag) > room:
        _move_up(out, room, len(tag) - room)
    out.seek(0)
    out.write(tag)


def _move_up(fh: BinaryIO, start: int, by: int) -> None:
    """Move the bytes of `fh` from `start` to its end `by` bytes later, a chunk at a time from the end."""
    from .mp3frames import COPY_CHUNK

    end = fh.seek(0, os.SEEK_END)
    pos = end
    while pos > start:
        n = min(COPY_CHUNK, pos - start)
        pos -= n
        fh.seek(pos)
        chunk = fh.read(n)
        fh.seek(pos + by)
        fh.write(chunk)


@contextmanager
def atomic_path(final: Path):
    """Yield a temp path beside `final`; on success it replaces `final`, on any error it vanishes.

    Any OSError (a read-only folder, a file where a folder should be, a full disk) becomes an
    ExportError naming `final`.
    """
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"{final}: cannot write ({_why(exc, final.parent)})") from None
    tmp_path = Path(tmp)
    try:
        # mkstemp makes 0600 files; outputs are meant to be served and shared like any other file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        yield tmp_path
        os.replace(tmp_path, final)
    except OSError as exc:
        raise ExportError(f"{final}: cannot write ({_why(exc, final)})") from None
    finally:
        tmp_path.unlink(missing_ok=True)


def write_atomic(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def retag_mp3(source: Path, dest: Path, tags: Tags, sections: list[Section], duration_ms: int) -> int:
    """Write `source`'s audio frames, untouched, to `dest` (atomically) under a new ID3 tag; return its size.

    `dest` may be `source`. Tags are not audio: a new track total, title or cover needs no re-encoding.
    """
    import shutil

    from .mp3frames import COPY_CHUNK, audio_start

    id3 = build_tags(tags, sections, duration_ms)
    try:
        src = open(source, "rb")
    except OSError as exc:
        raise ExportError(f"{source}: cannot read ({exc.strerror})") from None
    try:
        with src, atomic_path(dest) as tmp:
            # The new tag first, then the audio copied a chunk at a time: no file-sized buffer, and
            # no rewrite of the file to make room for the tag.
            save_id3(id3, tmp)
            src.seek(audio_start(src.read(10)))
            with open(tmp, "ab") as out:
                shutil.copyfileobj(src, out, COPY_CHUNK)
    except OSError as exc:
        raise ExportError(f"{dest}: cannot write ({exc.strerror})") from None
    return dest.stat().st_size


def write_mp3(path: Path, audio: AudioSegment, tags: Tags, sections: list[Section], enc: Encoding) -> int:
    """Encode, tag (ID3v2.3) and atomically write one MP3 from a pydub value; return its size."""
    import numpy as np

    return write_pcm_mp3(path, np.frombuffer(audio.raw_data, dtype=np.int16), audio.frame_rate, tags, sections, enc)


def write_pcm_mp3(path: Path, x: np.ndarray, frame_rate: int, tags: Tags, sections: list[Section],
                  enc: Encoding) -> int:
    """Encode int16 samples, tag (ID3v2.3) and atomically write one MP3; return its size in bytes."""
    mp3 = encode_pcm(x, frame_rate, enc)
    id3 = build_tags(tags, sections, round(x.size * 1000 / frame_rate) + mp3_delay_ms(frame_rate))
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(mp3)
            save_id3(id3, tmp)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc.strerror})") from None
    return path.stat().st_size
