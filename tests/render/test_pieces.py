"""Chapters spliced from MP3 pieces: exact timing, clean joins, re-encoding only what changed, bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from narrate.audio.export import Encoding
from narrate.audio.loudness import integrated_lufs
from narrate.audio.pieces import SilentFrames, encode_piece, frame_samples
from narrate.audio.splice import Placer

ROOT = Path(__file__).resolve().parents[2]
FRAME_MS = 576 * 1000 / 22050  # one MPEG-2 frame at 22.05 kHz: 26.1 ms


def decode(path: Path) -> tuple[np.ndarray, int]:
    import miniaudio

    d = miniaudio.decode_file(str(path), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1)
    return np.asarray(d.samples, dtype=np.int16), d.sample_rate


@pytest.mark.parametrize("rate,kbps", [(22050, 64), (44100, 192)])
def test_pieces_and_silent_frames_splice_into_an_exact_timeline(rate, kbps):
    """Pieces encoded alone, joined by silent frames, sound exactly where the placer says."""
    import miniaudio

    enc = Encoding(bitrate_kbps=kbps)
    rng = np.random.default_rng(3)
    t = np.arange(int(0.7 * rate)) / rate
    tone = (8000 * np.sin(2 * np.pi * 300 * t) * np.hanning(t.size)).astype(np.int16)
    noise = (rng.standard_normal(int(0.5 * rate)) * 3000).astype(np.int16)
    silent = SilentFrames(rate, enc)
    out = bytearray()
    placer = Placer(rate, int(0.3 * rate))
    starts = []
    for x, pause_s in ((tone, 0.25), (noise, 0.4), (tone, 0.22)):
        frames, n = encode_piece(x, rate, enc)
        gap, start = placer.place(x.size, n)
        out += silent.frames(gap) + frames
        starts.append((start, x))
        placer.pause(int(pause_s * rate))
    out += silent.frames(placer.end(int(0.5 * rate)))
    d = np.asarray(miniaudio.decode(bytes(out), nchannels=1, sample_rate=rate).samples, dtype=np.int16)
    assert d.size == placer.cursor * frame_samples(rate)
    for start, x in starts:
        got = d[start:start + x.size].astype(np.float64)
        # The decoded piece lines up with its source to the sample (correlation peaks at lag 0).
        lags = [float(np.dot(d[start + lag:start + lag + x.size].astype(np.float64), x)) for lag in range(-3, 4)]
        assert int(np.argmax(lags)) == 3
        assert np.corrcoef(got, x)[0, 1] > 0.8
    # Between pieces: silence (no click at any join).
    for (s1, x1), (s2, _) in zip(starts, starts[1:]):
        assert np.abs(d[s1 + x1.size + 600:s2 - 600].astype(np.int32)).max() < 200


def test_the_limiters_loudness_is_estimated_without_filtering_again():
    """limited_profile (plain-energy ratios) agrees with K-weighting the limited clip: within 0.02 LU at the
    default target's gain (about +5.5 dB), 0.05 LU when the limiter works much harder."""
    from narrate.audio.pieces import gated_lufs, levelled, limited_profile, profile
    from narrate.model import Voice
    from narrate.voices.synth import sentences, synthesize_sentence

    text = (ROOT / "texts" / "rory-and-jess" / "02-chapter-4.txt").read_text(encoding="utf-8")
    x16s = [np.frombuffer(synthesize_sentence(s, Voice()).raw_data, dtype=np.int16)
            for s in sentences(" ".join(text.split()))[:40]]
    xs = [x / 32768 for x in x16s]
    ceiling = 10 ** (-3 / 20)
    for gain_db, tolerance in ((5.5, 0.02), (8.0, 0.05)):
        gain = 10 ** (gain_db / 20)
        filtered = np.concatenate([np.pad(profile(levelled(x, gain, ceiling), 22050).k, (0, 12)) for x in xs])
        estimated = np.concatenate([np.pad(limited_profile(profile(x, 22050), x16, 22050, gain, ceiling).k, (0, 12))
                                    for x, x16 in zip(xs, x16s, strict=True)])
        assert gated_lufs(estimated, 22050) == pytest.approx(gated_lufs(filtered, 22050), abs=tolerance)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The sample book rendered once with its own cache."""
    from narrate.render.pipeline import RenderOptions, render_book, script_book
    from narrate.text.reader import load_book
    from narrate.voices.casting import speaker_stats, update_voice_map_file

    tmp = tmp_path_factory.mktemp("pieces")
    book = load_book(ROOT / "texts" / "rory-and-jess")
    update_voice_map_file(tmp / "voices" / f"{book.slug}.toml", book.title, speaker_stats(script_book(book)))
    opts = RenderOptions(out_dir=tmp / "out", voices_dir=tmp / "voices", cache_dir=tmp / "cache", jobs=1)
    result = render_book(ROOT / "texts" / "rory-and-jess", opts)
    return tmp, opts, result


def test_spliced_chapter_has_exact_times_and_clean_joins(rendered):
    from mutagen.id3 import ID3

    tmp, _, result = rendered
    for ch in result.manifest["chapters"]:
        path = result.book_dir / ch["file"]
        x, rate = decode(path)
        assert abs(x.size * 1000 / rate - ch["duration_ms"]) <= FRAME_MS
        chaps = sorted(ID3(path).getall("CHAP"), key=lambda c: c.start_time)
        assert chaps[0].start_time == 0 and chaps[-1].end_time == ch["duration_ms"]
        gain = 10 ** (ch["gain_db"] / 20)
        level = np.abs(x.astype(np.int32))
        segs = ch["segments"]
        for seg in segs:
            # Speech is heard from the segment's start: the first sample over the clip trimmer's threshold
            # (1% of full scale before the chapter gain) lies within one frame of it, past the 15 ms margin.
            lo = int((seg["start_ms"] - 60) * rate / 1000)
            onset = lo + int(np.argmax(level[lo:] > 0.01 * 32768 * gain))
            assert abs(onset * 1000 / rate - (seg["start_ms"] + 15)) <= FRAME_MS, seg["text"][:30]
        for a, b in zip(segs, segs[1:]):
            # Every join between pieces lies in a pause: near-silence there, no click.
            gap = level[int((a["end_ms"] + 30) * rate / 1000):int((b["start_ms"] - 30) * rate / 1000)]
            if gap.size:
                assert gap.max() < 0.01 * 32768, (a["text"][-30:], b["text"][:30])
        jumps = np.abs(np.diff(x.astype(np.int32)))
        assert jumps.max() < 0.6 * 32768  # no sample-to-sample spike anywhere
        assert integrated_lufs(x, rate) == pytest.approx(-19.0, abs=0.25)


def _jess_clips(chapter: dict) -> int:
    from narrate.voices.synth import sentences

    return sum(len(sentences(s["text"])) for s in chapter["segments"] if s["speaker"] == "Jess")


def test_a_speaker_tweak_reencodes_only_that_speakers_pieces(rendered, tmp_path):
    import shutil

    from narrate.render.pipeline import render_book

    tmp, opts, first = rendered
    out = tmp_path / "out"
    shutil.copytree(first.book_dir.parent, out)
    voices = opts.voices_dir / f"{first.book_dir.name}.toml"
    text = voices.read_text(encoding="utf-8")
    head, table = text.split("[speakers.Jess]", 1)
    rate_line = next(line for line in table.splitlines() if line.startswith("rate"))
    new_rate = int(rate_line.split("=")[1]) + 20
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / voices.name).write_text(
        head + "[speakers.Jess]" + table.replace(rate_line, f"rate = {new_rate}", 1), encoding="utf-8")
    import dataclasses

    again = render_book(ROOT / "texts" / "rory-and-jess",
                        dataclasses.replace(opts, out_dir=out, voices_dir=tmp_path / "voices"))
    before = {c["index"]: c for c in first.manifest["chapters"]}
    checked = 0
    for ch in again.manifest["chapters"]:
        jess = _jess_clips(ch)
        if not jess:
            assert ch["index"] not in again.rendered
            continue
        assert ch["synthesized_clips"] == jess
        if ch["gain_db"] == before[ch["index"]]["gain_db"]:
            assert ch["encoded_pieces"] == jess
            assert ch["cached_pieces"] == ch["cached_clips"]
            checked += 1
    assert checked


def test_one_corrected_line_reencodes_one_piece(rendered, tmp_path):
    import dataclasses
    import shutil

    from narrate.render.pipeline import render_book, write_scripts
    from narrate.text.reader import load_book

    tmp, opts, first = rendered
    out = tmp_path / "out"
    shutil.copytree(first.book_dir.parent, out)
    opts = dataclasses.replace(opts, out_dir=out)
    book = load_book(ROOT / "texts" / "rory-and-jess")
    chapter, path, _ = write_scripts(book, out)[0]
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = data["segments"] if "segments" in data else data["lines"]
    target = next(s for s in lines if s.get("kind") == "dialogue" and s.get("speaker") == "Jess"
                  and len(s["text"].split(".")) <= 2)
    target["speaker"] = "Rory"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    again = render_book(ROOT / "texts" / "rory-and-jess", opts)
    assert again.rendered == (chapter.index,)
    entry = next(c for c in again.manifest["chapters"] if c["index"] == chapter.index)
    before = next(c for c in first.manifest["chapters"] if c["index"] == chapter.index)
    if entry["gain_db"] == before["gain_db"]:
        assert entry["encoded_pieces"] == entry["synthesized_clips"] <= 2


def peak_code() -> str:
    """Code for a child process to print its own peak RSS in KB.

    /proc's VmHWM belongs to the program after exec; ru_maxrss would also count the pages of the
    (large) pytest process the child was forked from.
    """
    return ("import resource\n"
            "def peak_kb():\n"
            "    try:\n"
            "        for line in open('/proc/self/status'):\n"
            "            if line.startswith('VmHWM:'):\n"
            "                return int(line.split()[1])\n"
            "    except OSError:\n"
            "        pass\n"
            "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n")


MEMORY_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from fake_engine import FakeEngine
from narrate.voices.engines import register_engine
from narrate.model import TITLE, Chapter, Line, Voice
from narrate.audio.export import Tags
from narrate.audio.stitch import Pacing
from narrate.render.job import ChapterJob, render_chapter
from narrate.render.options import RenderOptions
register_engine("fake", FakeEngine)
out, hours = Path(sys.argv[2]), float(sys.argv[3])
voice = Voice("fake", "low")
words = "one two three four five six seven eight nine ten".split()
# Each paragraph: 5 sentences of 10 words (5 s of tone) and its pauses; sentences cycle through 40 variants.
per_line_s = 5 * 1.0 + 4 * 0.28 + 0.7
n_lines = int(hours * 3600 / per_line_s)
lines = [Line(TITLE, "Chapter one", voice, None, -1, "head")]
for i in range(n_lines):
    text = " ".join(" ".join(words[:9]) + f" v{(i * 5 + k) % 40}." for k in range(5))
    lines.append(Line("narration", text, voice, None, i, "paragraph"))
chapter = Chapter(1, "Chapter one", "", out / "1.txt", slug="01")
job = ChapterJob(chapter, tuple(lines), Tags("Chapter one", "Book", "A", 1, 1), out / "01.mp3",
                 RenderOptions(pacing=Pacing(), cache_dir=out / "cache"), fingerprint="x", cache_dir=out / "cache")
t = time.time()
entry = render_chapter(job)
print(entry["duration_ms"], peak_kb(), entry["encoded_pieces"],
      entry["cached_pieces"], round(time.time() - t, 1))
"""


def test_a_ten_hour_chapter_renders_in_bounded_memory(tmp_path):
    """Memory does not grow with a chapter's length: 10 hours of (fake, tone) speech stay under 300 MB."""
    res = subprocess.run([sys.executable, "-c", peak_code() + MEMORY_SCRIPT, str(ROOT / "tests"), str(tmp_path),
                          "10"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    duration_ms, peak_kb, encoded, cached, _ = res.stdout.split()
    assert int(duration_ms) > 9.5 * 3600 * 1000
    assert int(peak_kb) / 1024 <= 300, res.stdout
    x_size = (tmp_path / "01.mp3").stat().st_size
    assert x_size > 9.5 * 3600 * 64000 / 8 * 0.95


HUGE_PARAGRAPH_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import numpy as np
from fake_engine import FakeEngine, RATE
from narrate.audio.values import from_samples
from narrate.voices.engines import register_engine
from narrate.render.pipeline import RenderOptions, render_book

class Ticks(FakeEngine):
    name = "ticks"
    def synthesize(self, text, voice):  # 5 ms of tone per word: hours of text in minutes of audio
        t = np.arange(int(RATE * 0.005) * len(text.split())) / RATE
        return from_samples(0.3 * 32767 * np.sin(2 * np.pi * 300 * t), RATE)

register_engine("ticks", Ticks)
tmp = Path(sys.argv[2])
book = tmp / "huge"
book.mkdir()
sentence = "The wind was cold and the road was long, said nobody at all. "
(book / "01.txt").write_text("Chapter 1\n\n" + sentence * (5 * 1024 * 1024 // len(sentence)), encoding="utf-8")
(tmp / "v.toml").write_text('[narrator]\nengine = "ticks"\nvoice = "low"\n', encoding="utf-8")
t = time.time()
result = render_book(book, RenderOptions(out_dir=tmp / "out", voices_path=tmp / "v.toml", jobs=1,
                                         cache_dir=tmp / "cache"))
print(result.manifest["chapters"][0]["duration_ms"], peak_kb(),
      round(time.time() - t, 1))
"""


def test_a_five_megabyte_paragraph_renders(tmp_path):
    """A 5 MB file of one paragraph renders (no MemoryError), in bounded memory."""
    res = subprocess.run([sys.executable, "-c", peak_code() + HUGE_PARAGRAPH_SCRIPT, str(ROOT / "tests"),
                          str(tmp_path)],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    duration_ms, peak_kb, _ = res.stdout.split()
    assert int(duration_ms) > 3600 * 1000
    assert int(peak_kb) / 1024 <= 300, res.stdout


NOOP_SCRIPT = (
    "import sys\nfrom pathlib import Path\nfrom narrate.render.pipeline import RenderOptions, render_book\n"
    "r = render_book(Path(sys.argv[1]), RenderOptions(out_dir=Path(sys.argv[2]), jobs=1))\n"
    "heavy = [m for m in ('numpy', 'pydub', 'lameenc', 'scipy', 'narrate.attribution.attribute') if m in sys.modules]\n"
    "print(len(r.rendered), *heavy)\n"
)


def test_a_render_with_nothing_to_do_loads_no_audio_code_and_does_not_attribute(tmp_path):
    import os

    book = tmp_path / "book"
    book.mkdir()
    (book / "01.txt").write_text('Chapter 1\n\n"Hello," said Ann. It was late.\n', encoding="utf-8")
    env = dict(os.environ, NARRATE_CACHE_DIR=str(tmp_path / "cache"))
    runs = [subprocess.run([sys.executable, "-c", NOOP_SCRIPT, str(book), str(tmp_path / "out")], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=300) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr[-2000:]
    assert runs[0].stdout.split()[0] == "1"
    assert runs[1].stdout.split() == ["0"]


def test_piece_samples_are_the_levelled_limited_clip():
    """piece_samples (one float array) gives what to_int16(levelled(...)) gives, with and without room tone,
    on real espeak-ng speech driven into the limiter."""
    from narrate.audio.pieces import levelled, piece_samples, to_int16
    from narrate.audio.stitch import room_tone
    from narrate.model import Voice
    from narrate.voices.synth import synthesize_sentence

    x = np.frombuffer(synthesize_sentence("Jess said, I always pay, and I always will.", Voice()).raw_data,
                      dtype=np.int16)
    ceiling = 10 ** (-3 / 20)
    for gain_db in (5.5, 12.0):
        gain = 10 ** (gain_db / 20)
        for room in (None, np.resize(room_tone(-75.0), x.size)):
            want = to_int16(levelled(x / 32768, gain, ceiling), room)
            got = piece_samples(x, gain, ceiling, room)
            assert np.abs(got.astype(np.int32) - want).max() <= 1
            assert np.count_nonzero(got != want) <= x.size // 1000
        assert np.abs(piece_samples(x, gain, ceiling)).max() <= ceiling * 32768 + 0.5  # rounded to the nearest step


def test_clips_past_the_budget_are_spilled_to_one_unnamed_file_and_read_back(tmp_path):
    """--no-cache: clips past the memory budget go to a spill file (not the cache), read back as made."""
    from narrate.audio.values import from_samples
    from narrate.voices.synth import HeldClips

    rng = np.random.default_rng(3)
    clips = {f"k{i}": from_samples((rng.standard_normal(1000 + i) * 3000).astype(np.int16), 22050 + i)
             for i in range(4)}
    with HeldClips(2100, tmp_path) as memo:
        for key, clip in clips.items():
            if memo.has_room(clip):
                memo.keep(key, clip)
            else:
                assert memo.spill(key, clip)
        assert [memo.holds(k) for k in clips] == [True, False, False, False]
        assert all(k in memo for k in clips)
        for key, clip in clips.items():
            got = memo.get(key)
            assert (got.raw_data, got.frame_rate) == (clip.raw_data, clip.frame_rate)
        assert list(tmp_path.iterdir()) == []  # the file has no name
    assert memo.get("k3") is None and memo.get("k0") is not None
    assert not HeldClips(0).spill("k0", clips["k0"])  # no folder: the caller stores it in the cache
