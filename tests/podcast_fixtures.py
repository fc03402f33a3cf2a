"""Test helpers: tiny MP3s made with lameenc and a matching rendered-book folder."""

from __future__ import annotations

import json
from pathlib import Path

import lameenc
import numpy as np


def encode_mp3(signal: np.ndarray, rate: int = 22050, kbps: int = 64) -> bytes:
    """Mono float signal in -1..1 -> CBR MP3 bytes."""
    enc = lameenc.Encoder()
    enc.set_bit_rate(kbps)
    enc.set_in_sample_rate(rate)
    enc.set_channels(1)
    enc.set_quality(7)
    pcm = (np.clip(signal, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return bytes(enc.encode(pcm) + enc.flush())


def sine(seconds: float, rate: int = 22050, freq: float = 440.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def make_book(root: Path, slug: str = "rory-and-jess", cover: bool = True) -> Path:
    """Write output/<slug>/ with two chapter MP3s, an optional cover and book.json."""
    book = root / slug
    book.mkdir(parents=True)
    chapters = []
    specs = [(1, "Come away with me", "01-come-away-with-me.mp3", 1.5),
             (2, "Stars & <Hollow>", "02-stars-hollow.mp3", 2.0)]
    for index, title, name, seconds in specs:
        data = encode_mp3(sine(seconds, freq=330 + 110 * index))
        (book / name).write_bytes(data)
        ms = int(seconds * 1000)
        chapters.append({
            "index": index, "title": title, "subtitle": None, "file": name,
            "bytes": 1,  # deliberately wrong: the feed must stat the file
            "duration_ms": ms,
            "sections": [{"title": title, "start_ms": 0, "end_ms": 500},
                         {"title": "Later", "start_ms": 500, "end_ms": ms}],
            "segments": [
                {"kind": "title", "speaker": None, "voice": "en-us+m3", "text": title,
                 "start_ms": 0, "end_ms": 400},
                {"kind": "narration", "speaker": None, "voice": "en-us+m3",
                 "text": "She said,\nquietly:", "start_ms": 400, "end_ms": 900},
                {"kind": "dialogue", "speaker": "Jess", "voice": "en-us+m7",
                 "text": "Come away with me.", "start_ms": 900, "end_ms": ms},
                {"kind": "narration", "speaker": None, "voice": "en-us+m3", "text": "  ",
                 "start_ms": ms, "end_ms": ms},
            ],
        })
    if cover:
        (book / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0fakejpeg")
    manifest = {
        "narrate_version": "0.1.0", "slug": slug, "title": "Rory and Jess", "author": "A. Writer",
        "language": "en", "description": "Two people in a small town.",
        "cover": "cover.jpg" if cover else None, "chapters": chapters,
    }
    (book / "book.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return book
