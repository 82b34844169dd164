"""The output folder of a run: built beside the old one, swapped in whole, never shared.

A run never writes into `<output>/` directly.  It builds every file in a hidden sibling folder
(`.<name>.building-<pid>`) and, only when the whole run succeeded, swaps that folder in with
one atomic rename (Linux `renameat2(RENAME_EXCHANGE)`; two renames elsewhere); the output it
replaces is kept as `<output>.previous` (one generation).  A failed or killed run therefore
leaves the previous output whole, and its half-built folder is removed by the next run.

Every folder linkage writes carries a marker file (`.linkage-output.json`) listing the files
it wrote.  A run refuses an output folder that holds anything else — a folder of the user's own
files, an input folder, a run folder someone added files to — so it never deletes or
overwrites a file it did not write.  A lock file beside the output (`.<name>.lock`, held with
`flock` and released by the kernel even when the process is killed) stops two runs sharing one
output folder.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import polars as pl

from linkage.errors import OutputError

MARKER = ".linkage-output.json"
PREVIOUS_SUFFIX = ".previous"
# files an operating system or office suite drops into any folder a person opens
_SYSTEM_JUNK = {".DS_Store", "Thumbs.db", "desktop.ini"}


def _is_junk(name: str) -> bool:
    return name in _SYSTEM_JUNK or name.startswith("~$")


def read_marker(folder: Path) -> dict | None:
    """The marker of a folder linkage wrote, or None."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("tool") == "linkage" else None


def foreign_files(folder: Path) -> list[str]:
    """Files under `folder` that linkage did not write (relative paths, sorted); a folder
    without a marker has every file foreign."""
    marker = read_marker(folder)
    ours = set(marker.get("files", [])) if marker else set()
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(folder).as_posix()
        if rel == MARKER and marker is not None:
            continue
        if rel not in ours and not _is_junk(path.name):
            found.append(rel)
    return found


def _listing(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" … ({len(names)} in all)" if len(names) > limit else "")


def check_target(target: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output folder that is, contains or sits inside an input's folder, or that
    holds files linkage did not write (it or its `.previous`)."""
    target = target.resolve()
    for path in inputs:
        path = Path(path).resolve()
        folder = path if path.is_dir() else path.parent
        if target == folder or folder.is_relative_to(target):
            raise OutputError(
                f"output folder {target} holds the input {path}: a run would move it aside; "
                "choose an output folder of its own (for example `output: out/run`)")
    for folder in (target, previous_of(target)):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise OutputError(f"output {folder} exists and is not a folder; choose another output")
        if folder.is_dir():
            foreign = foreign_files(folder)
            if foreign:
                what = "is not the output of a linkage run" if read_marker(folder) is None else \
                    "holds files linkage did not write"
                raise OutputError(
                    f"output folder {folder} {what}: {_listing(foreign)}; a run never deletes "
                    "or overwrites files it did not write — move them or choose an empty folder")


def previous_of(target: Path) -> Path:
    return target.with_name(target.name + PREVIOUS_SUFFIX)


def write_marker(folder: Path, state: str, files: list[str]) -> None:
    """Write the marker that says linkage wrote `files` in `folder` (state: building or complete)."""
    marker = {"tool": "linkage", "state": state, "files": files,
              "written": dt.datetime.now().isoformat(timespec="seconds")}
    from linkage import __version__
    marker["version"] = __version__
    tmp = folder / (MARKER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(marker, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / MARKER)


def _files_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name != MARKER)


def register_files(folder: Path, names: Iterable[str]) -> None:
    """Add files a later command (report, evaluate) wrote into a run's folder to its marker."""
    marker = read_marker(folder)
    if marker is None:
        raise OutputError(f"{folder} is not the output of a linkage run (no {MARKER})")
    files = sorted(set(marker.get("files", [])) | set(names))
    write_marker(folder, marker.get("state", "complete"), files)


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write `path` through a temporary file in the same folder and one rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write a CSV a person will open in Excel: a text cell that starts like a formula
    (= + - @) gets a leading apostrophe, so opening the file never runs what a header held."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.Utf8]
    safe = frame.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text_columns)
    safe.write_csv(path)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _remove_ours(folder: Path) -> None:
    """Delete a folder linkage wrote (checked again right before deleting)."""
    if folder.exists():
        if foreign_files(folder):
            raise OutputError(f"{folder} holds files linkage did not write; left as it is")
        shutil.rmtree(folder)


def _locked(target: Path):
    return lock(target, f"another linkage run is writing to {target}",
                "wait for it to finish or choose another output folder")


@contextmanager
def lock(target: Path, busy: str, advice: str = "wait for it to finish") -> Iterator[None]:
    """Hold the lock file `.<name>.lock` beside `target`; refuse with `busy (holder); advice`
    when another process holds it."""
    lock_path = target.with_name(f".{target.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another process"
            raise OutputError(f"{busy} ({holder}); {advice}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started "
                      f"{dt.datetime.now().isoformat(timespec='seconds')}".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def building(target: Path, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Build a run's output: yields a fresh folder to write into; when the block ends without
    an exception, its files become `target` in one swap and the old output `target.previous`.
    On an exception (or a kill) `target` is left exactly as it was."""
    target = Path(target).resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {target.parent}: {exc.strerror}") from None
    check_target(target, inputs)
    with _locked(target):
        for stale in target.parent.glob(f".{target.name}.building-*"):
            if read_marker(stale) is not None:  # a killed run's half-built folder
                shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-{os.getpid()}-",
                                     dir=target.parent))
        write_marker(work, "building", [])
        try:
            yield work
            check_target(target, inputs)  # nothing foreign arrived while the run was going
            write_marker(work, "complete", _files_of(work))
            _swap_in(work, target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise


def _swap_in(work: Path, target: Path) -> None:
    previous = previous_of(target)
    _fsync_dir(work)
    if not target.exists():
        os.rename(work, target)
    elif _exchange(work, target):
        # target is the new output now; `work` holds the old one, kept as .previous
        _remove_ours(previous)
        os.rename(work, previous)
    else:
        _remove_ours(previous)
        os.rename(target, previous)
        os.rename(work, target)
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def updating(folder: Path) -> Iterator[Path]:
    """Rewrite files of a finished run in place (`linkage report`, `evaluate`), under its lock;
    write them with `write_file_atomically` and name them with `register_files`."""
    folder = Path(folder).resolve()
    if read_marker(folder) is None:
        raise OutputError(f"{folder} is not the output of a linkage run (no {MARKER}); "
                          "run `linkage run` first")
    with _locked(folder):
        yield folder
