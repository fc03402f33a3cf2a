"""CLI: the studio command, a local web app to review who speaks (registered by narrate.cli.main)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from ..errors import NarrateError

EXTRA = "studio"


def missing_extra() -> str | None:
    """The first web package of the [studio] extra that is not installed, or None."""
    for module in ("starlette", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


@click.command("studio")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"),
              show_default=True, help="Output folder; scripts and MP3s are in DIR/<book>/.")
@click.option("--voices", "voices_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Voice map to edit (default: VOICES_DIR/<book>.toml, created if missing).")
@click.option("--voices-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("voices"),
              show_default=True, help="Folder of voice maps, one <book>.toml per book.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: a free one).")
@click.option("--no-browser", is_flag=True, help="Print the link instead of opening a browser.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Worker processes for re-renders.")
def studio_command(source: Path, out_dir: Path, voices_path: Path | None, voices_dir: Path, port: int,
                   no_browser: bool, jobs: int | None) -> None:
    """Open SOURCE in the studio: review who speaks each line, fix it, and hear the result in the browser.

    Scripts the book first if `narrate script` has not, and creates the voice map if `narrate cast`
    has not. Every change is saved at once to the same files those commands write
    (DIR/<book>/script/*.json and the voice map), with undo. The studio listens on 127.0.0.1 only,
    and answers only requests that carry the secret token of the link it prints.
    """
    missing = missing_extra()
    if missing is not None:
        raise NarrateError(f"the studio needs the [{EXTRA}] extra ({missing} is not installed): "
                           f"pip install 'narrate-audiobook[{EXTRA}]'")
    from ..studio.app import make_studio, run
    from ..studio.workspace import StudioConfig, open_workspace

    ws = open_workspace(StudioConfig(source, out_dir, voices_path, voices_dir, jobs))
    studio = make_studio(ws, port)
    click.echo(f"narrate studio: {ws.book.title} at {studio.url}")
    click.echo("Ctrl-C stops it; every change is already saved.")
    if not no_browser:
        import webbrowser

        webbrowser.open(studio.url)
    run(studio)


COMMANDS = [studio_command]
