"""CLI: the feed, serve and check commands (registered on the main group by narrate.cli.main)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

# Library modules are imported inside the commands so `narrate --help` stays light.


@click.command("feed")
@click.argument("book_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--base-url", required=True, metavar="URL",
              help="http(s) URL at which BOOK_DIR is served, e.g. http://192.168.1.5:8000/my-book/")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the path of the feed.")
def feed_command(book_dir: Path, base_url: str, quiet: bool) -> None:
    """Write a podcast feed for a rendered book.

    Reads BOOK_DIR/book.json and writes feed.xml (RSS with iTunes and Podcasting 2.0 tags),
    plus a JSON chapters file and a WebVTT transcript per chapter, next to the MP3s.
    """
    from ..publish.feed import write_feed

    path = write_feed(book_dir, base_url)
    if not quiet:
        click.echo(str(path))


@click.command("serve")
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --allow-remote.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--allow-remote", is_flag=True,
              help="Allow listening on a non-loopback address, so other devices can connect, and "
                   "answering requests for any Host name (otherwise only localhost names).")
@click.option("-v", "--verbose", is_flag=True, help="Log each request to stderr.")
def serve_command(output_dir: Path, host: str, port: int, allow_remote: bool,
                  verbose: bool) -> None:
    """Serve rendered books over HTTP until Ctrl-C.

    Serves the files under OUTPUT_DIR with byte ranges (for seeking in podcast players).
    A folder URL returns its feed.xml; nothing else is listed. Write feeds first with
    `narrate feed BOOK_DIR --base-url URL/BOOK/` using the URL printed here.
    """
    from ..publish import serve as serve_module

    def ready(url: str) -> None:
        click.echo(f"Serving {output_dir} at {url} (Ctrl-C to stop)")
        for feed, at in serve_module.served_feeds(output_dir, url):
            click.echo(f"  {at}feed.xml")
            elsewhere = serve_module.misplaced_feed(feed, at)
            if elsewhere is not None:
                # A podcast app would subscribe, then find none of the episodes (404): say so now.
                logging.getLogger(__name__).warning(
                    "%s: its episodes are at %s, but this server has them at %s; write it for here: "
                    "narrate feed %s --base-url %s", feed, elsewhere, at, feed.parent, at)

    logger = (lambda line: click.echo(line, err=True)) if verbose else None
    serve_module.serve(output_dir, host, port, allow_remote=allow_remote, logger=logger,
                       on_ready=ready)


@click.command("check")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--acx", is_flag=True,
              help="Apply ACX (Audible) rules: RMS, peak, noise floor, 44.1 kHz, 192 kbps CBR, "
                   "room tone.")
@click.option("--target-lufs", default=-19.0, show_default=True, type=float,
              help="Integrated loudness target of the default profile (±1 LU).")
def check_command(files: tuple[Path, ...], acx: bool, target_lufs: float) -> None:
    """Check MP3 files for loudness, peaks and format.

    Prints each rule as PASS or FAIL with the measured value; exits with status 1 if any
    rule fails or any file cannot be read (the other files are still checked). Without
    --acx: integrated loudness within 1 LU of --target-lufs and peak at most -1.5 dBFS.
    """
    from ..audio.check import check_file
    from ..errors import NarrateError

    failed = False
    unreadable: list[Path] = []
    for path in files:
        try:
            report = check_file(path, "acx" if acx else "default", target_lufs=target_lufs)
        except NarrateError as exc:
            # One unreadable file must not hide the verdicts on the others; it fails the run at the end.
            unreadable.append(path)
            click.echo(f"{path}: ERROR\n  {exc}")
            continue
        verdict = "PASS" if report.passed else "FAIL"
        click.echo(f"{path}: {verdict} ({report.profile})")
        for rule in report.rules:
            mark = "PASS" if rule.passed else "FAIL"
            click.echo(f"  {mark}  {rule.name:<15} {rule.measured_text():>14}   "
                       f"({rule.requirement})")
        failed = failed or not report.passed
    if unreadable:
        raise NarrateError(f"{len(unreadable)} of {len(files)} file(s) could not be checked: "
                           + ", ".join(map(str, unreadable)))
    if failed:
        click.get_current_context().exit(1)


COMMANDS = (feed_command, serve_command, check_command)
"""Commands for the main group: `for c in COMMANDS: cli.add_command(c)`."""
