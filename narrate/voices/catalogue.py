"""Voice catalogue: the piper voices one can download (a voices.json index), installed into the user's data folder."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DownloadError
from .download import Expected, FetchProgress, fetch_bytes, fetch_file, install_parts

log = logging.getLogger(__name__)

DEFAULT_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main/"
URL_ENV = "NARRATE_VOICES_URL"
DATA_ENV = "NARRATE_DATA_DIR"
INDEX = "voices.json"
SAVED_INDEX = "catalogue.json"
"""The last index fetched, kept beside the voices: render names the download command from it, offline."""
VOICE_SUFFIXES = (".onnx", ".onnx.json")
"""The files of a catalogue entry that make a voice (piper's index also lists a MODEL_CARD)."""


def data_dir() -> Path:
    """narrate's data folder: NARRATE_DATA_DIR, else the platform's user data folder."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("narrate"))


def voices_dir() -> Path:
    """Where `narrate voices download` puts voices, and where the piper engine looks for them."""
    return data_dir() / "voices"


def base_url(url: str | None = None) -> str:
    """The catalogue's base URL: `url`, else NARRATE_VOICES_URL, else piper's voice repository; ends in '/'."""
    chosen = url or os.environ.get(URL_ENV) or DEFAULT_URL
    return chosen if chosen.endswith("/") else chosen + "/"


@dataclass(frozen=True)
class CatalogueFile:
    """One file of a voice, by its path under the catalogue's base URL."""

    path: str
    size_bytes: int
    md5: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CatalogueVoice:
    """One entry of voices.json."""

    key: str
    """The voice's name, also its files' stem: "en_US-lessac-medium"."""
    language: str
    """Language code, e.g. "en_US"."""
    family: str
    """Language family, e.g. "en"."""
    quality: str
    num_speakers: int
    speakers: dict[str, int]
    files: tuple[CatalogueFile, ...]

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    @classmethod
    def from_dict(cls, key: str, entry: dict) -> CatalogueVoice:
        """Parse an index entry; KeyError, TypeError or ValueError when it lacks what a download needs."""
        language = entry.get("language") or {}
        files = tuple(CatalogueFile(path, int(info["size_bytes"]), str(info["md5_digest"]))
                      for path, info in entry["files"].items() if path.endswith(VOICE_SUFFIXES))
        if {f.name for f in files} != {key + s for s in VOICE_SUFFIXES}:
            raise ValueError(f"expected {key}.onnx and {key}.onnx.json among its files")
        return cls(key=key, language=str(language.get("code", "")), family=str(language.get("family", "")),
                   quality=str(entry.get("quality", "")), num_speakers=int(entry.get("num_speakers", 1)),
                   speakers={str(k): int(v) for k, v in (entry.get("speaker_id_map") or {}).items()}, files=files)


@dataclass(frozen=True)
class Catalogue:
    """The voices a base URL offers."""

    url: str
    voices: dict[str, CatalogueVoice]

    def get(self, name: str) -> CatalogueVoice:
        """The entry called `name` (DownloadError listing close names when there is none)."""
        if name in self.voices:
            return self.voices[name]
        import difflib

        close = difflib.get_close_matches(name, list(self.voices), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else " (`narrate voices --available` lists them)"
        raise DownloadError(f"no voice {name!r} in the catalogue at {self.url}{hint}")

    def matching(self, language: str | None = None) -> list[CatalogueVoice]:
        """Voices whose language code or family starts with `language` ("en", "en_GB", "en-gb"), by name."""
        want = (language or "").replace("-", "_").casefold()
        return [v for _, v in sorted(self.voices.items())
                if not want or v.language.casefold().startswith(want) or v.family.casefold() == want]


def parse_index(data: dict, url: str) -> Catalogue:
    """A Catalogue from voices.json's data; entries without a model and config are skipped with a warning."""
    if not isinstance(data, dict):
        raise DownloadError(f"{url}: not a voice catalogue (expected a JSON object of voices)")
    voices = {}
    for key, entry in data.items():
        try:
            voices[key] = CatalogueVoice.from_dict(key, entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("%s: skipping voice %r: %s", url, key, exc)
    return Catalogue(url=url, voices=voices)


def fetch_catalogue(url: str | None = None) -> Catalogue:
    """Download the index at `url` (see base_url) and keep a copy in the data folder."""
    base = base_url(url)
    index_url = base + INDEX
    raw = fetch_bytes(index_url)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DownloadError(f"{index_url}: not a voice catalogue ({exc})") from None
    catalogue = parse_index(data, base)
    try:
        from ..audio.export import write_atomic

        voices_dir().mkdir(parents=True, exist_ok=True)
        write_atomic(voices_dir() / SAVED_INDEX, json.dumps({"url": base, "voices": data}).encode("utf-8"))
    except OSError as exc:
        log.warning("cannot keep a copy of the voice catalogue in %s (%s)", voices_dir(), exc.strerror or exc)
    return catalogue


def saved_catalogue() -> Catalogue | None:
    """The catalogue last fetched, from the data folder (no network), or None."""
    path = voices_dir() / SAVED_INDEX
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return parse_index(saved["voices"], saved["url"])
    except (OSError, ValueError, KeyError, TypeError, DownloadError):
        return None


def installed_names() -> set[str]:
    """Names of the voices in the data folder (a model with its config)."""
    folder = voices_dir()
    if not folder.is_dir():
        return set()
    return {p.name[: -len(".onnx")] for p in folder.glob("*.onnx") if p.with_name(p.name + ".json").is_file()}


def download_voice(catalogue: Catalogue, name: str, progress: FetchProgress | None = None) -> Path:
    """Fetch voice `name`'s model and config into voices_dir(); return the model's path.

    Every file is checked against the catalogue's size and MD5 before any is moved into place, so a
    failure leaves nothing installed (only `.part` files, which the next try resumes).
    """
    voice = catalogue.get(name)
    folder = voices_dir()
    parts = {}
    for f in voice.files:
        dest = folder / f.name
        parts[dest] = fetch_file(catalogue.url + f.path, dest, Expected(f.size_bytes, f.md5), progress)
    install_parts(parts)
    return folder / f"{voice.key}.onnx"


def remove_voice(name: str) -> list[Path]:
    """Delete a downloaded voice's files (and any part files); DownloadError when it is not installed."""
    folder = voices_dir()
    found = [p for s in VOICE_SUFFIXES for p in (folder / f"{name}{s}", folder / f"{name}{s}.part") if p.exists()]
    if not found:
        listing = ", ".join(sorted(installed_names())) or "none"
        raise DownloadError(f"voice {name!r} is not installed in {folder} (installed: {listing})")
    for p in found:
        p.unlink()
    return found
