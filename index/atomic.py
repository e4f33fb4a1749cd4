"""The index directory's atomic replacement: a locked temporary sibling, the swap, the leftovers.

A build writes into a temporary sibling directory and swaps it into place, so a crash or
Ctrl-C never leaves a half-written index and the previous index stays loadable until the
swap. The build holds an advisory lock (flock) on its temporary directory; one left by a
killed build is unlocked, and the next build or load removes it.
"""

from __future__ import annotations

import ctypes
import fcntl
import glob
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from index.errors import IndexBuildError

logger = logging.getLogger(__name__)


def _temp_prefix(index_dir: Path) -> str:
    return f".{index_dir.name}.tmp-"


def _old_prefix(index_dir: Path) -> str:
    """Where the fallback swap (no renameat2) moves the previous index aside."""
    return f".{index_dir.name}.old-"


def _make_temp_dir(index_dir: Path, prefix: str) -> Path:
    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=index_dir.parent))
    except OSError as exc:
        raise IndexBuildError(
            f"cannot write next to {index_dir} ({exc.strerror}); choose a writable "
            "--index-dir or set MINUSMA_INDEX_DIR"
        ) from exc


@contextmanager
def locked_temp_dir(index_dir: Path, prefix: str | None = None) -> Iterator[Path]:
    """A new temporary sibling of `index_dir` (named `prefix`..., default the build's
    prefix), flock-ed for as long as the build runs.

    The kernel drops the lock when the process dies, even by SIGKILL, so an unlocked
    temporary directory is one no live build is writing (`remove_stale_temp_dirs`).
    """
    while True:
        tmp = _make_temp_dir(index_dir, prefix or _temp_prefix(index_dir))
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue  # a cleaner removed it before we could lock it: make another
        # Waits only while a cleaner deletes it. Without flock on this filesystem the
        # cleaners cannot lock it either, so they keep it.
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        if _still_at(fd, tmp):
            break
        os.close(fd)  # a cleaner removed it between mkdtemp and flock: make another
    try:
        yield tmp
    finally:
        os.close(fd)


def remove_stale_temp_dirs(index_dir: Path) -> list[Path]:
    """Delete the temporary build directories of `index_dir` that no live build holds.

    Returns the directories removed. A directory a running build is writing is locked by
    that build and always kept; so is every one when the filesystem has no flock.
    """
    prefixes = [_temp_prefix(index_dir)]
    if (index_dir / "manifest.json").is_file():
        # An index is in place, so a previous one moved aside by the fallback swap and not
        # deleted (the build was killed between its last rename and the delete) is garbage.
        prefixes.append(_old_prefix(index_dir))
    paths = [
        Path(path)
        for prefix in prefixes
        for path in sorted(glob.glob(glob.escape(str(index_dir.parent / prefix)) + "*"))
    ]
    removed = [path for path in paths if _remove_if_unlocked(path)]
    for path in removed:
        logger.info("removed %s, left by an index build that did not finish", path)
    return removed


def _remove_if_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False  # removed meanwhile, or not a directory
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False  # a live build holds it (or the filesystem has no flock)
    try:
        if not _still_at(fd, path):
            return False
        shutil.rmtree(path, ignore_errors=True)
        return not path.exists()
    finally:
        os.close(fd)


def _still_at(fd: int, path: Path) -> bool:
    """True when the directory open as `fd` is the one at `path`."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def swap_into_place(tmp: Path, index_dir: Path) -> None:
    """Put the finished build at `index_dir`; at every instant one complete index is there."""
    if index_dir.exists() and exchange(tmp, index_dir):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous index
        return
    # No atomic exchange (not Linux, or a filesystem without it): move the old index aside
    # first; `recover` puts it back if a crash falls between the two renames, and a later
    # build or load removes it if the crash falls after them. Locked meanwhile, so neither
    # touches it while this build runs.
    if not index_dir.exists():
        os.rename(tmp, index_dir)
        return
    with locked_temp_dir(index_dir, _old_prefix(index_dir)) as old:
        os.rename(index_dir, old / "index")
        os.rename(tmp, index_dir)
        shutil.rmtree(old, ignore_errors=True)


def exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return bool(done == 0)


def recover(index_dir: Path) -> None:
    """Restore the previous index if a crash left it moved aside with nothing in its place."""
    if index_dir.exists() or not index_dir.parent.is_dir():
        return
    moved = sorted(
        index_dir.parent.glob(f"{glob.escape(_old_prefix(index_dir))}*/index"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for candidate in moved:
        if (candidate / "manifest.json").is_file() and not _locked(candidate.parent):
            os.rename(candidate, index_dir)
            return


def _locked(path: Path) -> bool:
    """Whether a live build holds `path`'s lock (False without flock on this filesystem)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing also releases a lock taken just now
    return False
