"""Clip cache on fsspec storage (s3://bucket/narrate-cache, ...), for cluster workers that share no folder."""

from __future__ import annotations

import io
import logging
import wave
from typing import TYPE_CHECKING

from ..storage import open_filesystem, pipe_whole

if TYPE_CHECKING:
    from ..audio.values import AudioSegment

log = logging.getLogger(__name__)

class RemoteClipCache:
    """synth.ClipCache on fsspec storage (ClipCache(url) makes one): the same keys, layout and methods as a local
    cache, each clip written whole.

    `touch` is not kept (object stores keep no access time), so pruning removes the oldest clips
    first; on S3 a lifecycle rule on the bucket is the cheaper way to bound it.
    """

    def __init__(self, root: str, max_bytes: int, blob_kinds: tuple[str, ...]) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.blob_kinds = blob_kinds
        """What the cache keeps besides clips (synth.BLOB_KINDS)."""
        self.fs, self.base, self.atomic_put = open_filesystem(root)

    def _path(self, key: str) -> str:
        return f"{self.base}/{key[:2]}/{key}.wav"

    def _blob_path(self, kind: str, key: str) -> str:
        return f"{self.base}/{kind}/{key[:2]}/{key}"

    def __contains__(self, key: str) -> bool:
        try:
            return bool(self.fs.exists(self._path(key)))
        except OSError:
            return False

    def touch(self, key: str) -> None:
        pass

    def _read(self, path: str) -> bytes | None:
        try:
            return self.fs.cat_file(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            # Worded as the local cache words it, so it is said once however many clips meet it.
            log.warning("clip cache %s cannot be read (%s); clips are synthesized again", self.root, exc)
            return None

    def _write(self, path: str, data: bytes) -> bool:
        try:
            pipe_whole(self.fs, path, data, self.atomic_put)
        except OSError as exc:
            log.warning("clip cache %s cannot be written (%s); clips are not kept for the next render", self.root, exc)
            return False
        return True

    def get(self, key: str) -> AudioSegment | None:
        from ..audio.values import AudioSegment

        data = self._read(self._path(key))
        if data is None:
            return None
        try:
            with wave.open(io.BytesIO(data), "rb") as w:
                return AudioSegment(data=w.readframes(w.getnframes()), sample_width=w.getsampwidth(),
                                    frame_rate=w.getframerate(), channels=w.getnchannels())
        except (EOFError, wave.Error):
            return None

    def put(self, key: str, audio: AudioSegment) -> None:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(audio.channels)
            w.setsampwidth(audio.sample_width)
            w.setframerate(audio.frame_rate)
            w.writeframes(audio.raw_data)
        self._write(self._path(key), buffer.getvalue())

    def get_blob(self, kind: str, key: str) -> bytes | None:
        return self._read(self._blob_path(kind, key))

    def put_blob(self, kind: str, key: str, data: bytes) -> bool:
        return self._write(self._blob_path(kind, key), data)

    def _listing(self) -> dict[str, dict]:
        try:
            found = self.fs.find(self.base, detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return {}
        return {path: info for path, info in found.items() if not path.endswith(".tmp")}

    def files(self) -> list[str]:
        return [p for p in self._listing() if p.endswith(".wav") and p.count("/") == self.base.count("/") + 2]

    def all_files(self) -> list[str]:
        kinds = tuple(f"{self.base}/{kind}/" for kind in self.blob_kinds)
        return [p for p in self._listing() if p.startswith(kinds)] + self.files()

    def size_bytes(self) -> int:
        listing = self._listing()
        return sum(int(listing[p].get("size") or 0) for p in self.all_files() if p in listing)

    def prune(self) -> int:
        listing = self._listing()
        entries = sorted((_modified(listing[p]), int(listing[p].get("size") or 0), p)
                         for p in self.all_files() if p in listing)
        total = sum(size for _, size, _ in entries)
        doomed = []
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            doomed.append(path)
            total -= size
        if doomed:
            self.fs.rm(doomed)
        return len(doomed)

    def clear(self) -> int:
        files = self.all_files()
        if files:
            self.fs.rm(files)
        return len(files)


def _modified(info: dict) -> float:
    """When an object was written, as a number to sort by (S3: LastModified; local: mtime)."""
    when = info.get("LastModified") or info.get("mtime") or info.get("created") or 0
    return when.timestamp() if hasattr(when, "timestamp") else float(when)
