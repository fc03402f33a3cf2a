"""Studio: render_book in a background thread, one at a time, with its progress for the page to poll."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from ..errors import NarrateError
from ..render.job import Progress
from ..render.pipeline import render_book
from .workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class RenderState:
    """What the page shows of the current or last render."""

    running: bool = False
    chapters: list[int] = field(default_factory=list)
    progress: dict[int, dict] = field(default_factory=dict)
    error: str | None = None
    rendered: list[int] = field(default_factory=list)
    started: float | None = None
    finished: float | None = None
    runs: int = 0

    def to_dict(self) -> dict:
        return {"running": self.running, "chapters": self.chapters, "error": self.error,
                "rendered": self.rendered, "runs": self.runs,
                "progress": {str(k): v for k, v in sorted(self.progress.items())}}


class Renderer:
    """Starts renders of chosen chapters in a thread; a second start while one runs is refused."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.state = RenderState()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, chapters: list[int]) -> RenderState:
        for index in chapters:
            self.workspace.chapter(index)  # InputError for a chapter the book does not have
        if not chapters:
            raise NarrateError("no chapter to render")
        with self._lock:
            if self.state.running:
                raise NarrateError("a render is already running; wait for it to finish")
            self.state = RenderState(running=True, chapters=sorted(set(chapters)), started=time.time(),
                                     runs=self.state.runs + 1)
            self._thread = threading.Thread(target=self._run, name="narrate-studio-render", daemon=True)
            self._thread.start()
            return self.state

    def wait(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _progress(self, p: Progress) -> None:
        self.state.progress[p.index] = {"title": p.title, "done": p.done, "total": p.total, "status": p.status}

    def _run(self) -> None:
        state = self.state
        spec = ",".join(str(i) for i in state.chapters)
        try:
            # Script files and the voice map are replaced atomically, so an edit made meanwhile is either
            # in this render or waits for the next one.
            result = render_book(self.workspace.config.source, self.workspace.render_options(spec), self._progress)
            state.rendered = list(result.rendered)
        except NarrateError as exc:
            state.error = str(exc)
        except Exception as exc:  # noqa: BLE001 (the page must hear of any failure, not a thread traceback)
            log.exception("studio render failed")
            state.error = f"render failed: {exc}"
        finally:
            state.finished = time.time()
            state.running = False
