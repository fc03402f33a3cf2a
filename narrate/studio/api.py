"""Studio: the HTTP routes, each a thin adapter over the workspace and narrate's library functions."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import InputError, NarrateError
from ..model import DIALOGUE, Voice
from .listen import speak
from .rendering import Renderer
from .workspace import (
    StaleEdit,
    Workspace,
    cast_view,
    chapter_entry,
    chapter_lines,
    chapter_summaries,
    pending,
    voice_of,
)

STATIC = {"studio.js": "text/javascript; charset=utf-8", "studio.css": "text/css; charset=utf-8"}
MAX_BODY = 64 * 1024
BOOK_VERSION = "x-narrate-book"
"""The header in which the page says which numbering of the chapters it shows (Workspace.version)."""

Endpoint = Callable[[Request], Awaitable[Response]]
# The page loads nothing from elsewhere and is never framed by another site (clickjacking).
PAGE_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff", "x-frame-options": "DENY",
                "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"}


def _static(name: str) -> bytes:
    return resources.files("narrate.studio").joinpath("static", name).read_bytes()


def _errors(endpoint: Endpoint) -> Endpoint:
    """A NarrateError (a malformed request is an InputError) becomes 400 with its message, as the CLI turns it
    into one line."""
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except NarrateError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return wrapped


async def _body(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InputError(f"request body over {MAX_BODY} bytes")
    try:
        data = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError("the request body must be a JSON object")
    return data


def said(ws: Workspace, text: str, voice: Voice) -> str:
    """`text` as a render hands it to `voice`: with the book's and the voice's pronunciations."""
    from ..render.plan import Pronouncer

    return Pronouncer(ws.book.pronunciations).spoken(text, voice) or text


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(f"{what} must be a whole number, found {value!r}")
    return value


def build_routes(ws: Workspace, renderer: Renderer) -> list[Route]:
    """The studio's routes over one workspace."""

    async def index(request: Request) -> Response:
        return Response(_static("index.html"), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:  # a fixed list: nothing else under the package is ever served
            return JSONResponse({"error": f"no such file: {name}"}, status_code=404)
        return Response(_static(name), media_type=STATIC[name], headers=PAGE_HEADERS)

    async def book(request: Request) -> Response:
        chapters = await run_in_threadpool(chapter_summaries, ws)
        cast = await run_in_threadpool(cast_view, ws)
        speakers = [r["speaker"] for r in cast["rows"] if r["speaker"]]
        return JSONResponse({"title": ws.book.title, "author": ws.book.author, "chapters": chapters,
                             "speakers": speakers, "voices_file": cast["file"], "can_undo": bool(ws.undo_stack),
                             "can_redo": bool(ws.redo_stack),
                             "render": renderer.state.to_dict(), "version": ws.version,
                             "warning": ws.source_problem})

    async def chapter(request: Request) -> Response:
        index = request.path_params["index"]
        return JSONResponse(await run_in_threadpool(chapter_lines, ws, index))

    async def chapter_audio(request: Request) -> Response:
        index = request.path_params["index"]
        entry = await run_in_threadpool(chapter_entry, ws, index)
        path = _inside(ws.book_dir, entry.get("file")) if entry else None
        if path is None or not path.is_file():
            return JSONResponse({"error": f"chapter {index} is not rendered"}, status_code=404)
        return FileResponse(path, media_type="audio/mpeg", headers={"cache-control": "no-store"})

    async def line_audio(request: Request) -> Response:
        index, i = request.path_params["index"], request.path_params["line"]

        def make() -> bytes:
            lines = chapter_lines(ws, index)["lines"]
            if not 0 <= i < len(lines):
                raise InputError(f"chapter {index} has no line {i}")
            cast = ws.voices()
            line = lines[i]
            voice = cast.narrator if line["kind"] != DIALOGUE else voice_of(ws, line["speaker"], cast)
            return speak(said(ws, " ".join(line["text"].split()), voice), voice)

        return Response(await run_in_threadpool(make), media_type="audio/wav")

    async def edit_line(request: Request) -> Response:
        index, i = request.path_params["index"], request.path_params["line"]
        data = await _body(request)
        unknown = set(data) - {"speaker", "kind"}
        if unknown:
            raise InputError(f"unknown field(s): {', '.join(sorted(unknown))} (expected speaker, kind)")
        if "kind" in data:
            await run_in_threadpool(ws.set_kind, index, i, data["kind"], data.get("speaker"))
        elif "speaker" in data:
            await run_in_threadpool(ws.set_speaker, index, i, data["speaker"])
        else:
            raise InputError("give a speaker or a kind")
        return JSONResponse(await run_in_threadpool(chapter_lines, ws, index))

    async def merge(request: Request) -> Response:
        data = await _body(request)
        old, new = data.get("old"), data.get("new")
        if not isinstance(old, str) or not isinstance(new, str):
            raise InputError('give "old" and "new" speaker names')
        await run_in_threadpool(ws.merge, old, new)
        return JSONResponse(await run_in_threadpool(cast_view, ws))

    async def cast(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(cast_view, ws))

    async def set_voice(request: Request) -> Response:
        data = await _body(request)
        unknown = set(data) - {"speaker", "engine", "voice", "rate", "pitch", "was"}
        if unknown:
            raise InputError(f"unknown field(s): {', '.join(sorted(unknown))}")
        speaker = data.get("speaker")
        if speaker is not None and not isinstance(speaker, str):
            raise InputError(f"speaker must be a name or null, found {speaker!r}")
        engine, voice_id = data.get("engine", "espeak"), data.get("voice")
        if not isinstance(engine, str) or not isinstance(voice_id, str) or not voice_id.strip():
            raise InputError("engine and voice must be non-empty strings")
        rate, pitch = _int(data.get("rate"), "rate"), _int(data.get("pitch"), "pitch")
        if not 20 <= rate <= 1000 or not 0 <= pitch <= 100:
            raise InputError(f"rate must be 20-1000 and pitch 0-100, found {rate} and {pitch}")
        was = data.get("was")
        if was is not None and not isinstance(was, dict):
            raise InputError(f"was must be an object (engine, voice, rate, pitch), found {was!r}")
        try:
            await run_in_threadpool(ws.set_voice, speaker, Voice(engine, voice_id.strip(), rate, pitch), was)
        except StaleEdit as exc:
            return JSONResponse({"error": str(exc), "reload": True}, status_code=409)
        return JSONResponse(await run_in_threadpool(cast_view, ws))

    async def preview(request: Request) -> Response:
        speaker = request.query_params.get("speaker") or None

        def make() -> bytes:
            from ..voices.casting import speaker_lines

            cast = ws.voices()
            voice = cast.narrator if speaker is None else voice_of(ws, speaker, cast)
            text = " ".join(speaker_lines(ws.scripts(), cast, speaker, [c.body_start for c in ws.book.chapters]))
            return speak(said(ws, text or "Hello. This is how I sound.", voice), voice)

        return Response(await run_in_threadpool(make), media_type="audio/wav")

    async def undo(request: Request) -> Response:
        label = await run_in_threadpool(ws.undo)
        return JSONResponse({"undone": label, "can_undo": bool(ws.undo_stack), "can_redo": bool(ws.redo_stack)})

    async def redo(request: Request) -> Response:
        label = await run_in_threadpool(ws.redo)
        return JSONResponse({"redone": label, "can_undo": bool(ws.undo_stack), "can_redo": bool(ws.redo_stack)})

    async def render_status(request: Request) -> Response:
        return JSONResponse(renderer.state.to_dict())

    async def render_start(request: Request) -> Response:
        data = await _body(request)
        unknown = set(data) - {"chapters"}
        if unknown:
            raise InputError(f"unknown field(s): {', '.join(sorted(unknown))} (expected chapters)")
        chosen = data.get("chapters")
        if chosen is None:
            chosen = await run_in_threadpool(pending, ws)
            if not chosen:
                raise InputError("every chapter is rendered and up to date")
        if not isinstance(chosen, list):
            raise InputError("chapters must be a list of chapter numbers")
        state = renderer.start([_int(c, "a chapter") for c in chosen])
        return JSONResponse(state.to_dict(), status_code=202)

    routes = [
        ("/", index, ["GET"]),
        ("/static/{name}", static, ["GET"]),
        ("/api/book", book, ["GET"]),
        ("/api/chapters/{index:int}", chapter, ["GET"]),
        ("/api/chapters/{index:int}/audio", chapter_audio, ["GET"]),
        ("/api/chapters/{index:int}/lines/{line:int}/audio", line_audio, ["GET"]),
        ("/api/chapters/{index:int}/lines/{line:int}", edit_line, ["PUT"]),
        ("/api/characters/merge", merge, ["POST"]),
        ("/api/cast", cast, ["GET"]),
        ("/api/cast/voice", set_voice, ["PUT"]),
        ("/api/cast/preview", preview, ["GET"]),
        ("/api/undo", undo, ["POST"]),
        ("/api/redo", redo, ["POST"]),
        ("/api/render", render_status, ["GET"]),
        ("/api/render", render_start, ["POST"]),
    ]
    def fresh(endpoint: Endpoint) -> Endpoint:
        """The book read again first if its files changed while the studio runs (see Workspace.refresh). A page
        that numbers the chapters otherwise (its X-Narrate-Book is another version) may not change a line or
        render by its numbers: 409, and it reads the book again."""
        async def wrapped(request: Request) -> Response:
            await run_in_threadpool(ws.refresh)
            seen = request.headers.get(BOOK_VERSION)
            if seen is not None and seen != ws.version and (
                    request.method != "GET" or request.url.path.startswith("/api/chapters/")):
                return JSONResponse({"error": "the book's chapters changed on disk (one edited, added, removed or "
                                              "renamed): the page shows them again; do it once more", "reload": True},
                                    status_code=409)
            return await endpoint(request)
        return wrapped

    return [Route(path, _errors(fresh(fn) if path.startswith("/api/") else fn), methods=methods)
            for path, fn, methods in routes]


def _inside(folder: Path, name: object) -> Path | None:
    """`folder/name` if it stays inside `folder` (book.json is a file a user can edit), else None."""
    if not isinstance(name, str) or not name:
        return None
    path = (folder / name).resolve()
    return path if path.is_relative_to(folder.resolve()) else None
