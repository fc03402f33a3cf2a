"""Studio: the web app for one book (Starlette behind the guard) and the uvicorn server that runs it."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass

from ..errors import NarrateError
from .rendering import Renderer
from .security import Guard, GuardMiddleware, new_token
from .workspace import Workspace

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


def create_app(ws: Workspace, token: str, port: int, renderer: Renderer | None = None):
    """The ASGI app: the studio's routes, every request checked by the Guard first."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    from .api import build_routes

    renderer = renderer or Renderer(ws)
    app = Starlette(routes=build_routes(ws, renderer),
                    middleware=[Middleware(GuardMiddleware, guard=Guard(token, port))])
    app.state.renderer = renderer
    return app


@dataclass
class Studio:
    """A running studio server: its URL (with the token) and how to stop it."""

    url: str
    port: int
    token: str
    server: object
    thread: threading.Thread | None = None

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def make_studio(ws: Workspace, port: int = 0, token: str | None = None) -> Studio:
    """A studio server for `ws` on 127.0.0.1 (port 0: a free one), not yet started."""
    import uvicorn

    token = token or new_token()
    port = port or free_port()
    app = create_app(ws, token, port)
    config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    return Studio(f"http://{HOST}:{port}/?token={token}", port, token, server)


def run(studio: Studio) -> None:
    """Serve until Ctrl-C (in this thread)."""
    try:
        studio.server.run()
    except OSError as exc:
        raise NarrateError(f"cannot listen on {HOST}:{studio.port}: {exc.strerror or exc}") from None


def start_in_thread(studio: Studio, timeout_s: float = 10.0) -> Studio:
    """Serve from a background thread (tests, embedding); returns once it accepts connections."""
    import time

    studio.thread = threading.Thread(target=studio.server.run, name="narrate-studio", daemon=True)
    studio.thread.start()
    deadline = time.monotonic() + timeout_s
    while not studio.server.started:
        if time.monotonic() > deadline or not studio.thread.is_alive():
            raise NarrateError(f"the studio did not start on {HOST}:{studio.port}")
        time.sleep(0.02)
    return studio
