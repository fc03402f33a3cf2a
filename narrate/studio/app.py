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
    """A studio server for one book: its listening socket, its URL (with the token) and how to stop it."""

    url: str
    port: int
    token: str
    server: object
    sock: socket.socket
    thread: threading.Thread | None = None

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.sock.close()


def listen(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:`port` (0: a free port), or NarrateError naming the address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise NarrateError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    return sock


def make_studio(ws: Workspace, port: int = 0, token: str | None = None) -> Studio:
    """A studio server for `ws` on 127.0.0.1 (port 0: a free one), listening but not yet serving.

    The socket is bound here, not by uvicorn, so a port in use is one NarrateError rather than uvicorn's exit.
    """
    import uvicorn

    token = token or new_token()
    sock = listen(port)
    port = sock.getsockname()[1]
    app = create_app(ws, token, port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return Studio(f"http://{HOST}:{port}/?token={token}", port, token, uvicorn.Server(config), sock)


def run(studio: Studio) -> None:
    """Serve until Ctrl-C (in this thread)."""
    try:
        studio.server.run(sockets=[studio.sock])
    finally:
        studio.sock.close()


def start_in_thread(studio: Studio, timeout_s: float = 10.0) -> Studio:
    """Serve from a background thread (tests, embedding); returns once it accepts connections."""
    import time

    studio.thread = threading.Thread(target=studio.server.run, kwargs={"sockets": [studio.sock]},
                                     name="narrate-studio", daemon=True)
    studio.thread.start()
    deadline = time.monotonic() + timeout_s
    while not studio.server.started:
        if time.monotonic() > deadline or not studio.thread.is_alive():
            raise NarrateError(f"the studio did not start on {HOST}:{studio.port}")
        time.sleep(0.02)
    return studio
