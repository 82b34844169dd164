"""`linkage review OUTPUT_DIR`: review a finished run in the browser, or share its labels.

Serves the review app (`linkage.review.app`) on 127.0.0.1, on a free port (or `--port`), with
a random token in the address it prints and opens; Ctrl+C stops it.  Decisions go to the
labels file beside the run's config (`review.labels`), which the next `linkage run` honours.
`--export FILE` writes every label row to FILE; `--import FILE` merges another reviewer's file
into this one (rows it lacks are appended, the later decision per pair wins) and lists the
pairs the two decided differently.  Neither starts the app.
"""

from __future__ import annotations

import getpass
import secrets
import socket
import threading
import time
import webbrowser
from pathlib import Path

import click

from linkage.errors import OutputError
from linkage.review.finished import FinishedRun
from linkage.review.store import LabelStore

CONFLICTS_SHOWN = 20


@click.command()
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--reviewer", default=None, help="Name recorded with each decision "
              "(default: the login name).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1; 0 picks a free one.")
@click.option("--no-browser", is_flag=True, help="Print the address, do not open a browser.")
@click.option("--export", "export_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every label row to this CSV file and stop.")
@click.option("--import", "import_from", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Merge another reviewer's labels file into this run's and stop.")
def review(output_dir: Path, reviewer: str | None, port: int, no_browser: bool,
           export_to: Path | None, import_from: Path | None) -> None:
    """Review the links of the run in OUTPUT_DIR in the browser (or share its labels)."""
    run = FinishedRun(output_dir)
    try:
        if export_to or import_from:
            share(run, export_to, import_from)
            return
        from linkage.review.session import ReviewSession

        session = ReviewSession(run, reviewer or _login())
        serve(session, port, open_browser=not no_browser)
    finally:
        run.close()


def share(run: FinishedRun, export_to: Path | None, import_from: Path | None) -> None:
    store = LabelStore(run.labels_path)
    if import_from:
        merged = store.merge(import_from)
        click.echo(f"{import_from}: {merged.rows_read:,} rows, {merged.rows_added:,} new, "
                   f"merged into {store.path}")
        if merged.conflicts.height:
            click.echo(f"{merged.conflicts.height:,} pair(s) decided differently "
                       "(the later decision stands):")
            for row in merged.conflicts.head(CONFLICTS_SHOWN).iter_rows(named=True):
                click.echo(f"  {row['source_l']}:{row['key_l']} – {row['source_r']}:{row['key_r']}"
                           f"  here {row['decision_here']}, there {row['decision_there']}"
                           f" → {row['now'] or 'undecided'}")
            if merged.conflicts.height > CONFLICTS_SHOWN:
                click.echo(f"  … and {merged.conflicts.height - CONFLICTS_SHOWN:,} more")
    if export_to:
        if export_to.resolve().is_relative_to(run.output_dir):
            raise OutputError(f"{export_to}: the run's output folder is linkage's own; "
                              "export the labels somewhere else")
        rows = store.export(export_to)
        click.echo(f"{rows:,} label rows written to {export_to}")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


def serve(session, port: int, open_browser: bool = True) -> None:
    """Serve the app on 127.0.0.1:`port` (0: a free port) until interrupted."""
    import uvicorn

    from linkage.review.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        raise OutputError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    url = f"http://127.0.0.1:{port}/?token={token}"
    server = uvicorn.Server(uvicorn.Config(create_app(session, token, port), log_level="warning",
                                           lifespan="off", access_log=False))
    click.echo(url)
    click.echo(f"labels: {session.store.path} — Ctrl+C stops", err=True)
    if open_browser:
        def opener():
            while not server.started:
                time.sleep(0.05)
            webbrowser.open(url)
        threading.Thread(target=opener, daemon=True).start()
    server.run(sockets=[sock])
