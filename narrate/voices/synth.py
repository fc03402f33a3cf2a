"""Synthesis stage: text + voice -> trimmed, levelled sentence clips, through a content-addressed cache."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NarrateError
from ..model import Voice
from ..storage import is_remote, location
from ..text.reading import PHONEMES, around_phonemes
from .engines import get_engine

if TYPE_CHECKING:  # audio code loads when a clip is made or read, not to plan a render
    from ..audio.pieces import Profile
    from ..audio.values import AudioSegment

Profiles = dict[str, "tuple[int, Profile]"]
"""Clip cache key -> (sample rate, profile as a piece) of clips just made, measured as they were levelled."""

log = logging.getLogger(__name__)

# Bump when trimming/levelling changes, so cached clips made the old way are not reused
# (and chapters rendered from them are rendered again: it is part of their fingerprint).
CLIP_FORMAT = "clip-v2"
# Clips are levelled by K-weighted loudness, which is what a listener compares between voices
# (equal RMS is not equal loudness: espeak is brighter than neural voices). The chapter is
# normalized and limited afterwards, so this level only has to be the same for every clip and
# leave int16 headroom: speech peaks reach ~21 dB above this loudness (piper), so -24 keeps
# them under the -1 dBFS cap, which only a rare peaky clip meets (it then stays a little quiet).
CLIP_LEVEL_LUFS = -24.0
CLIP_PEAK_DBFS = -1.0
DEFAULT_CACHE_BYTES = 2 * 1024**3
BLOB_KINDS = ("pieces", "profiles", "scripts")
"""What the cache keeps besides clips: encoded MP3 pieces, their loudness profiles, attributed chapter scripts."""

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=\S)")
_DASHES = re.compile(r"\s*(?:--+|—|–)\s*")


def speakable(text: str) -> str:
    """Normalize text for a TTS engine: no quote marks or markup, single spaces.

    espeak phoneme blocks (``[[r'o@ri]]``, from the pronunciation lexicon) pass through untouched:
    their apostrophes are stress marks, not quotes.
    """
    return around_phonemes(text, _normalize)


def _normalize(text: str) -> str:
    t = text.replace("_", " ")
    t = _DASHES.sub(", ", t)
    t = re.sub(r"[\"“”«»„]", " ", t)
    # Quote-like single marks at word edges (not apostrophes inside words like "don't").
    t = re.sub(r"(?<!\w)['‘’]|['‘’](?!\w)", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"\s+([,.;:!?…])", r"\1", t)
    t = re.sub(r"^[,;:\s]+", "", t)
    return t


# Words whose full stop ends no sentence: titles before a name ("Mr. Weston", "Dr. Perry") and the like.
# ("No.", "etc." and the like end sentences often enough to be left out.)
_ABBREVIATIONS = frozenset("""mr mrs ms messrs mme mlle dr st mt prof rev revd hon capt col gen lt sgt maj cmdr adm
    gov sen jr sr esq fr vs""".split())
_BEFORE_NUMBERS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec fig figs approx vol vols pp chap".split())
_BEFORE_LOWER = frozenset("etc approx cf viz ca incl esp misc ibid al dept govt inc ltd co bros".split())
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.$")


def _sentence_ends(text: str) -> list[re.Match]:
    """The breaks between sentences: none inside an espeak phoneme block ("[[h@w'aI? i]]" is one word), after a
    title ("Mr. Weston", "Dr.\nPerry": a pause there splits a name) or after an initial ("J. R. Hartley")."""
    blocks = [m.span() for m in PHONEMES.finditer(text)]
    ends = []
    for m in _SENTENCE_END.finditer(text):
        if any(a < m.start() < b for a, b in blocks):
            continue
        word = _WORD_BEFORE.search(text, max(0, m.start() - 12), m.start())
        following = text[m.end():m.end() + 1]
        if word and not m.group().strip() and (  # a closing quote after the stop ends the sentence anyway
                word.group(1).lower() in _ABBREVIATIONS
                or len(word.group(1)) == 1 and word.group(1).isupper() and word.group(1) != "I"
                and following.isupper()
                # "the U.S. embassy", "etc. and more", "a.k.a. the Boss": an abbreviation's stop, with lower case
                # going on; "Jan. 5", "Fig. 3", "approx. 10": a number after these is no new sentence either.
                or following.islower() and (word.group(1).lower() in _BEFORE_LOWER
                                            or text[word.start() - 1:word.start()] == ".")
                or following.isdigit() and word.group(1).lower() in _BEFORE_NUMBERS):
            continue
        ends.append(m)
    return ends


def sentences(text: str) -> list[str]:
    """Split one segment's text into sentences to synthesize (and pause between) separately."""
    parts, start = [], 0
    for m in _sentence_ends(text):
        parts.append(text[start:m.start()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [p for p in (speakable(x) for x in parts) if re.search(r"\w", p)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each of `sentences(text)` is in `text` (start, end), its closing quote marks included: for
    captions timed sentence by sentence."""
    spans, start = [], 0
    for m in _sentence_ends(text):
        spans.append((start, m.start() + len(m.group().rstrip())))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if re.search(r"\w", speakable(text[a:b]))]


CACHE_MAX_ENV = "NARRATE_CACHE_MAX_MB"


def default_cache_bytes() -> int:
    """The clip cache size limit: NARRATE_CACHE_MAX_MB if set, else DEFAULT_CACHE_BYTES."""
    raw = os.environ.get(CACHE_MAX_ENV, "").strip()
    if not raw:
        return DEFAULT_CACHE_BYTES
    try:
        mb = float(raw)
    except ValueError:
        mb = -1
    if mb < 0:
        raise NarrateError(f"{CACHE_MAX_ENV}={raw!r}: expected a size in megabytes, e.g. 500")
    return int(mb * 1024 * 1024)


def default_cache_dir() -> Path | str:
    if os.environ.get("NARRATE_CACHE_DIR"):
        return location(os.environ["NARRATE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "narrate" / "clips"


@dataclass
class ClipCache:
    """Synthesized clips on disk, addressed by a hash of everything that shapes them.

    A `root` that is a URL (s3://bucket/narrate-cache) makes a RemoteClipCache, on fsspec storage.
    """

    root: Path
    max_bytes: int = field(default_factory=default_cache_bytes)
    _made: set = field(default_factory=set, repr=False, compare=False)

    def __new__(cls, root: Path | str, *args: Any, **kwargs: Any) -> ClipCache:
        if cls is ClipCache and is_remote(root):
            from .remote_cache import RemoteClipCache  # fsspec is imported only for a cache that needs it

            max_bytes = args[0] if args else kwargs.get("max_bytes", default_cache_bytes())
            return RemoteClipCache(str(root), int(max_bytes), BLOB_KINDS)  # type: ignore[return-value]
        return super().__new__(cls)

    @staticmethod
    def key(voice: Voice, text: str, fingerprint: str) -> str:
        material = "\x1f".join([CLIP_FORMAT, fingerprint, *map(str, voice.key()), text])
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def __contains__(self, key: str) -> bool:
        return self._path(key).is_file()

    def touch(self, key: str) -> None:
        """Mark a clip as just used, so pruning (least recently used first) keeps it."""
        try:
            os.utime(self._path(key))
        except OSError:
            pass

    def get(self, key: str) -> AudioSegment | None:
        from ..audio.values import AudioSegment

        path = self._path(key)
        try:
            with wave.open(str(path), "rb") as w:
                data = w.readframes(w.getnframes())
                audio = AudioSegment(data=data, sample_width=w.getsampwidth(),
                                     frame_rate=w.getframerate(), channels=w.getnchannels())
        except (FileNotFoundError, EOFError, wave.Error):
            return None
        except OSError as exc:
            # Said the same way for every clip, so it can be said once (a cache folder that is a file).
            log.warning("clip cache %s cannot be read (%s); clips are synthesized again", self.root,
                        exc.strerror or exc)
            return None
        return audio

    def put(self, key: str, audio: AudioSegment) -> None:
        path = self._path(key)
        try:
            if path.parent not in self._made:  # a folder made once per render, not once per clip
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh, wave.open(fh, "wb") as w:
                w.setnchannels(audio.channels)
                w.setsampwidth(audio.sample_width)
                w.setframerate(audio.frame_rate)
                w.writeframes(audio.raw_data)
            os.replace(tmp, path)
        except OSError as exc:
            # A full or read-only cache must not stop a render; it only makes the next one slower.
            log.warning("clip cache %s cannot be written (%s); clips are not kept for the next render", self.root,
                        exc.strerror or exc)

    def _blob_path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / key

    def get_blob(self, kind: str, key: str) -> bytes | None:
        """Bytes stored under `kind` (e.g. "pieces": encoded MP3 frames) and `key`, or None."""
        try:
            return self._blob_path(kind, key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            # Worded as get() words it, so the warning is said once (a cache folder that is a file).
            log.warning("clip cache %s cannot be read (%s); clips are synthesized again", self.root,
                        exc.strerror or exc)
            return None

    def put_blob(self, kind: str, key: str, data: bytes) -> bool:
        """Store bytes atomically; False (with a warning) when the cache cannot be written."""
        path = self._blob_path(kind, key)
        try:
            if path.parent not in self._made:  # a folder made once per render, not once per piece
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            # Worded as put() words it, so the warning every clip and piece repeats is said once.
            log.warning("clip cache %s cannot be written (%s); clips are not kept for the next render", self.root,
                        exc.strerror or exc)
            return False
        return True

    def files(self) -> list[Path]:
        """The clips the cache holds."""
        return list(self.root.glob("??/*.wav")) if self.root.exists() else []

    def all_files(self) -> list[Path]:
        """Clips and everything else kept beside them (pieces, profiles, scripts)."""
        if not self.root.exists():
            return []
        return [*self.files(), *(p for kind in BLOB_KINDS for p in self.root.glob(f"{kind}/??/*")
                                 if p.suffix != ".tmp")]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.all_files())

    def prune(self) -> int:
        """Delete least recently used clips until the cache fits `max_bytes`; return files removed."""
        entries = []
        for p in self.all_files():
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append((st.st_atime, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, p in sorted(entries):
            if total <= self.max_bytes:
                break
            p.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed

    def clear(self) -> int:
        files = self.all_files()
        for p in files:
            p.unlink(missing_ok=True)
        for tmp in [*self.root.glob("??/*.tmp"), *self.root.glob("*/??/*.tmp")] if self.root.exists() else []:
            tmp.unlink(missing_ok=True)
        return len(files)


def synthesize_sentence(sentence: str, voice: Voice, cache: ClipCache | None = None,
                        stats: dict | None = None, fingerprint: str | None = None,
                        profiles: Profiles | None = None) -> AudioSegment:
    """One sentence (as `sentences()` splits it) as a trimmed, levelled clip at the engine's rate.

    `fingerprint` is the engine's fingerprint of `voice`, when the caller already has it. A clip
    made (not found in the cache) has its profile put in `profiles`, if given, so the chapter
    need not K-weight it a second time.
    """
    from ..audio.pieces import level_and_profile
    from ..audio.values import conform, trim

    engine = get_engine(voice.engine)
    if fingerprint is None:
        fingerprint = engine.fingerprint(voice)
    key = ClipCache.key(voice, sentence, fingerprint)
    clip = cache.get(key) if cache else None
    if clip is not None:
        if stats is not None:
            stats["cached"] = stats.get("cached", 0) + 1
        return clip
    raw = engine.synthesize(sentence, voice)
    clip = trim(conform(raw, raw.frame_rate))
    if len(clip) == 0:
        # e.g. a lone symbol the voice has no word for: nothing to hear, nothing to time.
        log.warning("%s produced no sound for %r; skipped", voice.engine, sentence[:40])
    else:
        levelled = level_and_profile(clip, CLIP_LEVEL_LUFS, CLIP_PEAK_DBFS)
        clip = levelled.audio
        if profiles is not None:
            profiles[key] = (clip.frame_rate, levelled.profile)
        if levelled.short_db > 0:
            log.info("%s: %r left %.1f dB quiet so its peaks do not clip", voice.engine, sentence[:40],
                     levelled.short_db)
    if cache:
        cache.put(key, clip)
    if stats is not None:
        stats["synthesized"] = stats.get("synthesized", 0) + 1
    return clip


@dataclass
class HeldClips:
    """Clips a chapter keeps in memory instead of the clip cache: any the cache could not store, and,
    up to `budget_bytes`, the clips it makes for a cache that dies with the render (--no-cache), which
    nothing else reads: writing, reading back and deleting a clip file costs ~2 ms, a sixth of
    encoding it. Past the budget, such clips go to one unnamed file in `spill_dir` (see spill)."""

    budget_bytes: int = 0
    spill_dir: Path | None = None
    clips: dict[str, AudioSegment] = field(default_factory=dict)
    held_bytes: int = 0
    spilled: dict[str, tuple[int, int, int, int, int]] = field(default_factory=dict)
    """key -> (offset, bytes, frame rate, sample width, channels) of a clip in the spill file."""
    _file: Any = field(default=None, repr=False)

    def __contains__(self, key: str) -> bool:
        return key in self.clips or key in self.spilled

    def holds(self, key: str) -> bool:
        """Whether the clip is in memory (not only in the spill file)."""
        return key in self.clips

    def get(self, key: str) -> AudioSegment | None:
        clip = self.clips.get(key)
        if clip is None and key in self.spilled:
            from ..audio.values import AudioSegment

            offset, size, rate, width, channels = self.spilled[key]
            self._file.seek(offset)
            data = self._file.read(size)
            clip = AudioSegment(data=data, sample_width=width, frame_rate=rate, channels=channels)
        return clip

    def keep(self, key: str, clip: AudioSegment) -> None:
        self.held_bytes += len(clip.raw_data) - (len(self.clips[key].raw_data) if key in self.clips else 0)
        self.clips[key] = clip

    def has_room(self, clip: AudioSegment) -> bool:
        return self.held_bytes + len(clip.raw_data) <= self.budget_bytes

    def spill(self, key: str, clip: AudioSegment) -> bool:
        """Append a clip past the budget to the spill file; False when there is none or it cannot be written.

        One file written in order and read back in place, where the cache would take a temporary file,
        a rename and a WAV header per clip. It has no name, so it goes with the process, whatever happens.
        """
        if self.spill_dir is None:
            return False
        data = clip.raw_data
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(dir=self.spill_dir, prefix=".clips-")
            offset = self._file.seek(0, os.SEEK_END)
            self._file.write(data)
            self._file.flush()
        except OSError as exc:
            log.debug("clips cannot be spilled to %s (%s)", self.spill_dir, exc)
            self.spill_dir = None
            return False
        self.spilled[key] = (offset, len(data), clip.frame_rate, clip.sample_width, clip.channels)
        return True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.spilled.clear()

    def __enter__(self) -> HeldClips:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def clip_keys(text: str, voice: Voice, cache: ClipCache, stats: dict | None = None,
              memo: HeldClips | None = None, profiles: Profiles | None = None) -> list[str]:
    """The cache keys of `text`'s sentence clips, synthesizing those not cached yet.

    A clip the cache could not store is kept in `memo` instead, so the render still finds it, and so
    are clips made while `memo` has room in its budget. The profiles of clips made are put in
    `profiles` (see synthesize_sentence).
    """
    fingerprint = get_engine(voice.engine).fingerprint(voice)
    keys = []
    for sentence in sentences(text):
        key = ClipCache.key(voice, sentence, fingerprint)
        keys.append(key)
        if (memo is not None and key in memo) or key in cache:
            if stats is not None:
                stats["cached"] = stats.get("cached", 0) + 1
        elif memo is not None and memo.budget_bytes:
            clip = synthesize_sentence(sentence, voice, None, stats, fingerprint, profiles)
            if memo.has_room(clip):
                memo.keep(key, clip)
            elif not memo.spill(key, clip):
                cache.put(key, clip)
                if key not in cache:
                    memo.keep(key, clip)
        else:
            clip = synthesize_sentence(sentence, voice, cache, stats, fingerprint, profiles)
            if key not in cache and memo is not None:
                memo.keep(key, clip)
    return keys


def synthesize_text(text: str, voice: Voice, frame_rate: int, cache: ClipCache | None = None,
                    stats: dict | None = None) -> list[AudioSegment]:
    """One clip per sentence of `text` at `frame_rate`, trimmed of engine silence and levelled."""
    from ..audio.values import conform

    fingerprint = get_engine(voice.engine).fingerprint(voice)  # once: piper's looks up package metadata
    clips = []
    for sentence in sentences(text):
        clip = synthesize_sentence(sentence, voice, cache, stats, fingerprint)
        if len(clip):
            clips.append(conform(clip, frame_rate))
    return clips
