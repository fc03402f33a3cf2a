"""Whole-book export: one MP3 with a CHAP per chapter, or an M4B with chapter marks via ffmpeg."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..audio.export import Section, Tags, atomic_path, build_tags, put_tag, tag_room
from ..audio.mp3frames import copy_frames
from ..errors import ExportError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChapterFile:
    title: str
    path: Path


def join_mp3(chapters: list[ChapterFile], dest: Path, tags: Tags) -> list[Section]:
    """Concatenate chapter MP3s frame by frame (no re-encoding) and tag one CHAP per chapter.

    All chapters come from one render, so they share sample rate, bit rate and channel
    count, and their frames can follow one another. Chapter times are counted in decoded
    samples, so marks land exactly where each chapter's audio begins.
    """
    sections: list[Section] = []
    position = 0  # samples
    rate = None
    # The frames are written after room enough for the tag, which goes in front of them once the
    # timeline is known: the tag is never inserted in front of hours of audio (which rewrites the file).
    room = tag_room(tags, len(chapters))
    try:
        with atomic_path(dest) as tmp, open(tmp, "r+b") as out:
            out.seek(room)
            for ch in chapters:
                try:
                    with open(ch.path, "rb") as src:
                        n, ch_rate = copy_frames(src, out)
                except OSError as exc:
                    raise ExportError(f"{ch.path}: cannot read ({exc.strerror})") from None
                except ValueError as exc:
                    raise ExportError(f"{ch.path}: {exc}") from None
                if not n:
                    raise ExportError(f"{ch.path}: no MP3 audio frames found")
                if rate is None:
                    rate = ch_rate
                elif ch_rate != rate:
                    raise ExportError(f"{ch.path}: sample rate {ch_rate} differs from {rate}; "
                                      "render the whole book with the same settings")
                sections.append(Section(ch.title, round(position * 1000 / rate), round((position + n) * 1000 / rate)))
                position += n
            duration_ms = round(position * 1000 / rate) if rate else 0
            put_tag(out, build_tags(tags, sections, duration_ms), room)
    except OSError as exc:
        raise ExportError(f"{dest}: cannot write ({exc.strerror or exc})") from None
    return sections


def find_ffmpeg() -> str:
    """A system ffmpeg, or the one the `imageio-ffmpeg` extra ships; ExportError if neither."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ExportError("M4B output needs ffmpeg: install it on the system, or "
                          "pip install 'narrate-audiobook[m4b]' (ships an ffmpeg binary)") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str]) -> None:
    """The one place an external program runs: check its exit code, raise with its stderr."""
    exe = find_ffmpeg()
    proc = subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-nostdin", *args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ExportError(f"ffmpeg failed (exit {proc.returncode}): {tail}")


def _ffmeta_escape(text: str) -> str:
    return "".join("\\" + c if c in "=;#\\\n" else c for c in text)


def make_m4b(joined_mp3: Path, sections: list[Section], dest: Path, tags: Tags, bitrate_kbps: int = 64) -> None:
    """Transcode the joined book MP3 to an AAC .m4b audiobook with chapter marks and cover."""
    meta = [";FFMETADATA1", f"title={_ffmeta_escape(tags.album)}", f"album={_ffmeta_escape(tags.album)}",
            f"artist={_ffmeta_escape(tags.artist)}", "genre=Audiobook"]
    for sec in sections:
        meta += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={sec.start_ms}", f"END={sec.end_ms}",
                 f"title={_ffmeta_escape(sec.title)}"]
    with tempfile.TemporaryDirectory(prefix="narrate-m4b-") as work, atomic_path(dest) as tmp:
        meta_path = Path(work) / "chapters.ffmeta"
        meta_path.write_text("\n".join(meta) + "\n", encoding="utf-8")
        args = ["-y", "-i", str(joined_mp3), "-i", str(meta_path)]
        if tags.cover:
            args += ["-i", str(tags.cover), "-map", "0:a", "-map", "2:v", "-c:v", "copy",
                     "-disposition:v:0", "attached_pic"]
        else:
            args += ["-map", "0:a"]
        args += ["-map_metadata", "1", "-map_chapters", "1", "-c:a", "aac", "-b:a", f"{bitrate_kbps}k",
                 "-f", "mp4", "-movflags", "+faststart", str(tmp)]
        run_ffmpeg(args)
