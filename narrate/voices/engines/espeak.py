"""The default engine: espeak-ng through pyttsx3, with the library shipped by espeakng-loader."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import re
import signal
import threading
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

from ...errors import EngineError
from ...model import Voice
from . import VoiceInfo

log = logging.getLogger(__name__)

# A voice is "<espeak voice>[+<variant>]", e.g. "en-us+f3": the variant (m1..m8, f1..f5,
# named ones like "klatt") changes the timbre and pitch range of the base voice.
_VOICE_RE = re.compile(r"^(?P<base>[^+\s]+)(?:\+(?P<variant>[^+\s]+))?$")
RATE_RANGE = (80, 450)
_PHONEMES_IPA = 0x02
"""espeak_SetPhonemeTrace mode: write the phonemes spoken as IPA."""
PITCH_RANGE = (0, 99)


# Ctrl-C and the stop signals the CLI turns into KeyboardInterrupt. Raised inside espeak's ctypes
# callback, that exception is printed ("Exception ignored on calling ctypes callback") and lost.
_HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Note those signals while espeak calls into Python, and run their handlers once it has returned.

    Blocking them would not do: another thread may receive the signal, and Python still runs the
    handler in the main thread, inside the callback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # Python handlers run in the main thread only
        return
    caught: list[int] = []
    previous = {}
    for sig in _HELD_SIGNALS:
        handler = signal.getsignal(sig)
        if callable(handler):  # SIG_DFL and SIG_IGN never raise in Python: left alone (as in workers)
            previous[sig] = handler
            signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in caught:
            previous[signum](signum, None)


_GENDER_LINE = re.compile(rb"^\s*gender\s+(male|female)\b", re.MULTILINE | re.IGNORECASE)


def _variant_gender(path: Path) -> str:
    """The gender a variant file declares ("gender female" in whisperf); else espeak's own default, male
    (f1..f5 aside)."""
    try:
        m = _GENDER_LINE.search(path.read_bytes())
    except OSError:
        m = None
    if m:
        return m.group(1).decode().lower()
    return "female" if re.fullmatch(r"f\d+", path.name) else "male"


class EspeakEngine:
    """espeak-ng via pyttsx3. One espeak instance per process (espeak cannot be re-initialised)."""

    name = "espeak"
    fast = True
    """Synthesis is far quicker than MP3 encoding, so chapters are enough parallel work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine = None  # pyttsx3.Engine, created lazily; a strong ref keeps pyttsx3 from dropping it
        self._espeak = None  # pyttsx3's ctypes binding of libespeak-ng
        self._callback = None
        self._chunks: list[bytes] = []

    # -- loading -----------------------------------------------------------------------
    @cached_property
    def data_path(self) -> Path:
        import espeakng_loader

        return Path(espeakng_loader.get_data_path())

    def _tts(self):
        """The pyttsx3 engine, created once per process on top of the wheel's espeak-ng."""
        if self._engine is not None:
            return self._engine
        try:
            import espeakng_loader
        except ImportError:
            raise EngineError("espeak engine needs the espeakng-loader package: pip install espeakng-loader") from None
        try:
            # pyttsx3 dlopens "libespeak-ng.so.1" by name; loading the wheel's copy first with
            # RTLD_GLOBAL makes that lookup succeed without a system espeak-ng.
            ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
            import pyttsx3
            from pyttsx3.drivers import _espeak
            from pyttsx3.drivers.espeak import EspeakDriver

            if not EspeakDriver._moduleInitialized:
                # pyttsx3 would initialise espeak in RETRIEVAL mode, where synthesis runs on
                # espeak's own thread and races pyttsx3's 10 ms polling loop: under load its
                # save_to_file returns before the WAV is written or cancels the utterance
                # (empty clips). SYNCHRONOUS mode runs synthesis inside Synth(), in order.
                rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000,
                                          str(self.data_path.parent).encode(), 0)
                if rate == -1:
                    raise RuntimeError("espeak_Initialize failed")
                EspeakDriver._defaultVoice = "en-us"
                EspeakDriver._moduleInitialized = True
            self._espeak = _espeak
            self._engine = pyttsx3.init("espeak")
            # Kept on self: ctypes callbacks must outlive their registration.
            self._callback = _espeak.t_espeak_callback(self._on_audio)
        except (OSError, RuntimeError, ImportError) as exc:
            raise EngineError(f"espeak-ng could not be loaded: {exc}") from None
        return self._engine

    @cached_property
    def sample_rate(self) -> int:
        # pyttsx3's espeak driver always writes 22050 Hz WAVs.
        return 22050

    # -- voices ------------------------------------------------------------------------
    @cached_property
    def _variants(self) -> list[str]:
        folder = self.data_path / "voices" / "!v"
        return sorted(p.name for p in folder.iterdir() if p.is_file())

    @cached_property
    def _base_voices(self) -> list[VoiceInfo]:
        tts = self._tts()
        out = []
        with self._lock:
            for v in tts.getProperty("voices"):
                gender = (v.gender or "unknown").lower()
                out.append(VoiceInfo(id=v.id.split("/")[-1], name=v.name, gender=gender,
                                     languages=tuple(v.languages or ())))
        return out

    def voices(self) -> list[VoiceInfo]:
        """Base voices by language id (e.g. "en-us"), then the variants usable with "+name"."""
        out = list(self._base_voices)
        folder = self.data_path / "voices" / "!v"
        for var in self._variants:
            gender = _variant_gender(folder / var)
            out.append(VoiceInfo(id=f"en-us+{var}", name=f"variant {var}", gender=gender,
                                 languages=("en-us",), description=f"any voice + {var}"))
        return out

    @cached_property
    def _base_ids(self) -> dict[str, str]:
        """Every name a base voice answers to (id, display name, language tag), casefolded -> its id.

        espeak-ng selects a voice only by its id or name: "en-gb" is the language tag of the voice
        "en" and SetVoiceByName("en-gb") fails, although it is what people write (and what casts made
        by earlier narrate versions wrote). Ids and names win over language tags.
        """
        out: dict[str, str] = {}
        for v in self._base_voices:
            for lang in v.languages:
                out.setdefault(lang.casefold(), v.id)
        for v in self._base_voices:
            out[v.name.casefold()] = v.id
        for v in self._base_voices:
            out[v.id.casefold()] = v.id
        return out

    def _base_id(self, base: str) -> str | None:
        return self._base_ids.get(base.casefold())

    def resolve(self, voice: Voice) -> str:
        """The voice string espeak-ng selects for `voice.voice`: the base voice's id plus the variant."""
        self.check_voice(voice)
        m = _VOICE_RE.match(voice.voice)
        base = self._base_id(m["base"])
        return f"{base}+{m['variant']}" if m["variant"] else base

    def check_voice(self, voice: Voice) -> None:
        m = _VOICE_RE.match(voice.voice or "")
        if not m:
            raise EngineError(f"malformed espeak voice {voice.voice!r} (expected e.g. 'en-us+f3')")
        if self._base_id(m["base"]) is None:
            raise EngineError(f"unknown espeak voice {m['base']!r} (see `narrate voices`)")
        if m["variant"] and m["variant"] not in self._variants:
            raise EngineError(f"unknown espeak variant {m['variant']!r} in {voice.voice!r} "
                              f"(e.g. m1..m8, f1..f5; `narrate voices` lists all {len(self._variants)})")
        if not RATE_RANGE[0] <= voice.rate <= RATE_RANGE[1]:
            raise EngineError(f"espeak rate {voice.rate} out of range {RATE_RANGE[0]}-{RATE_RANGE[1]} wpm")
        if not PITCH_RANGE[0] <= voice.pitch <= PITCH_RANGE[1]:
            raise EngineError(f"espeak pitch {voice.pitch} out of range {PITCH_RANGE[0]}-{PITCH_RANGE[1]}")

    def fingerprint(self, voice: Voice) -> str:
        import pyttsx3

        return f"espeak-ng/{getattr(pyttsx3, '__version__', '?')}/{self.data_path.parent.name}"

    def phonemes_to_ipa(self, mnemonics: str, language_voice: str = "en-us") -> str:
        """espeak phoneme mnemonics (what goes inside ``[[ ]]``, e.g. ``r'o@ri``) as IPA (``ɹˈɔːɹi``).

        espeak-ng writes the phonemes of what it says to a trace stream (``espeak-ng -x --ipa``): the
        mnemonics are said once, silently discarded, and the trace is read back. Neural engines that
        take IPA (piper's own ``[[ ]]``) use this so a lexicon's phoneme entries work for them too.
        """
        import tempfile

        self._tts()
        base = self._base_id(language_voice.split("+")[0]) or "en-us"
        try:
            libc = ctypes.CDLL(None)  # the C library's fopen: espeak writes its trace to a FILE *
            libc.fopen
        except (OSError, TypeError, AttributeError):
            raise EngineError("espeak phoneme entries cannot be converted for this engine on this system; "
                              "use a respelling instead") from None
        libc.fopen.restype = ctypes.c_void_p
        libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        libc.fclose.argtypes = [ctypes.c_void_p]
        es = self._espeak
        with self._lock, tempfile.TemporaryDirectory() as folder:
            trace = Path(folder) / "phonemes.txt"
            stream = libc.fopen(str(trace).encode(), b"w")
            if not stream:
                raise EngineError(f"espeak cannot convert phonemes: cannot open {trace}")
            self._chunks = []
            try:
                es.cSetSynthCallback(self._callback)
                es.SetVoiceByName(base.encode("utf-8"))
                es.SetPhonemeTrace(_PHONEMES_IPA, stream)
                with _signals_held():
                    es.Synth(f"[[{mnemonics}]]".encode("utf-8"), flags=es.CHARS_UTF8 | es.PHONEMES)
                    es.Synchronize()
            finally:
                es.SetPhonemeTrace(0, None)
                libc.fclose(stream)
                self._chunks = []
            ipa = " ".join(trace.read_text(encoding="utf-8", errors="replace").split())
        if not ipa:
            raise EngineError(f"espeak made no phonemes of [[{mnemonics}]]")
        return ipa

    # -- synthesis ---------------------------------------------------------------------
    def _on_audio(self, wav, numsamples, events) -> int:
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    def synthesize(self, text: str, voice: Voice):
        from pydub import AudioSegment

        if not text.strip():
            return AudioSegment.silent(duration=0, frame_rate=self.sample_rate)
        self._tts()
        selected = self.resolve(voice)
        es = self._espeak
        with self._lock:
            self._chunks = []
            # pyttsx3's Engine.setProperty is queued until runAndWait and its save_to_file
            # keeps one file per loop; we call the same espeak binding directly, in order.
            # espeak-ng's pitch flutter runs on from the previous utterance (a static counter in
            # wavegen.c that no API resets), so the same text said again can differ by a few
            # samples: clips are made once and cached (README, "Voices").
            es.cSetSynthCallback(self._callback)
            try:
                if es.SetVoiceByName(selected.encode("utf-8")) != 0:
                    raise EngineError(f"espeak cannot select voice {voice.voice!r}")
                es.SetParameter(es.RATE, voice.rate, 0)
                es.SetParameter(es.PITCH, voice.pitch, 0)
                es.SetParameter(es.VOLUME, 100, 0)
                with _signals_held():
                    # PHONEMES: [[...]] is phoneme mnemonics (the pronunciation lexicon's phoneme entries).
                    es.Synth(text.encode("utf-8"), flags=es.CHARS_UTF8 | es.PHONEMES)
                    es.Synchronize()
            except (ctypes.ArgumentError, OSError) as exc:
                raise EngineError(f"espeak failed on {text[:40]!r}: {exc}") from None
            chunks, self._chunks = self._chunks, []
        return AudioSegment(data=b"".join(chunks), sample_width=2, frame_rate=self.sample_rate, channels=1)
