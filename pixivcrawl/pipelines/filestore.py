"""The local files store of the files pipeline: a file appears under its name only once it is complete.

Files are written to a temporary name (``.<name>.<random>.part`` beside the target), synced to disk and renamed
into place (:func:`write_atomically`), so a crash never leaves a partial file where a later run would take it as
complete; :func:`remove_stale_parts` removes the temporaries a killed process left. :class:`AtomicFSFilesStore`
is Scrapy's ``FSFilesStore`` writing that way (pixivcrawl.pipelines.files uses it for local ``FILES_STORE``s);
:class:`StoreFailed` is a file the store could not write (an OS error, recorded in ``media.error``).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections import defaultdict
from pathlib import Path

from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.media import FileException


def _file_mode() -> int:
    """0o666 less the process umask (read once, at import, when no other thread can be creating files)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: the mode of the files the store writes: what ``open()`` would give a new file under the process umask
FILE_MODE = _file_mode()


#: the names write_atomically gives its temporaries (tempfile.mkstemp: 8 random characters)
STALE_PART = re.compile(r"\..+\.[a-z0-9_]{8}\.part")


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target`` (``.<name>.<random>.part``), sync it to disk and rename
    it into place, then sync the folder: ``target`` is either absent, its old version, or complete — never partial,
    even after a power cut. A temporary removed before its rename (another crawl starting on the same store takes
    it for a killed process's) is written once more. Raises OSError (the disk is full, the store read-only, …)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in (1, 2):
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            os.fchmod(fd, FILE_MODE)  # mkstemp makes it 0600: the store's files get the mode any new file would
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())  # the bytes are on disk before the name points at them
            Path(temporary).replace(target)
        except BaseException as exc:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(exc, FileNotFoundError) and attempt == 1 and target.parent.is_dir():
                continue  # the temporary was removed under us: write it again
            raise
        _sync_folder(target.parent)  # the rename itself is on disk
        return


def _sync_folder(folder: Path) -> None:
    """fsync ``folder`` (best effort: not every system lets a folder be opened or synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_parts(root: Path, before: float) -> tuple[int, list[str]]:
    """Remove write_atomically's temporaries (``.<name>.<random>.part``, regular files) under ``root`` last modified
    before ``before`` (seconds since the epoch): what a killed process left. Returns how many were removed and the
    OS errors of those that could not be (``strerror: path``); a missing ``root`` has none."""
    removed, errors = 0, []
    for folder, _folders, names in os.walk(root):
        for name in names:
            if not STALE_PART.fullmatch(name):
                continue
            path = Path(folder) / name
            try:
                info = path.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_mtime < before:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                errors.append(f"{exc.strerror or type(exc).__name__}: {path}")
    return removed, errors


def os_problem(exc: OSError) -> str:
    """An OS error's errno and text, the same for every file it hits (no path): ``[Errno 28] No space left on
    device``."""
    if exc.errno is not None and exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}"
    return str(exc) or type(exc).__name__


class StoreFailed(FileException):
    """A downloaded file could not be written to the files store (an OS error: a read-only store, a full disk);
    the message is ``could not store: [Errno N] <the OS's text>`` (what ``media.error`` records)."""


class AtomicFSFilesStore(FSFilesStore):
    """Scrapy's local store, but a file appears under its name only once it is complete.

    A store folder that cannot be created is not an error when the store is built (Scrapy's makes it there): it
    is reported by :meth:`check_writable`, which the pipeline calls when the spider opens."""

    def __init__(self, basedir) -> None:
        self.problem: OSError | None = None
        try:
            super().__init__(basedir)
        except OSError as exc:
            self.problem = exc
            self.basedir = str(basedir).split("://", 1)[-1]
            self.created_directories = defaultdict(set)

    def check_writable(self) -> None:
        """Create the store's folder if needed and write and remove a probe file in it; raises the OSError that
        prevents it."""
        if self.problem is not None:
            raise self.problem
        root = Path(self.basedir)
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".pixivcrawl-probe-", suffix=".part", dir=root)
        os.close(fd)
        Path(probe).unlink()

    def persist_file(self, path, buf, info, meta=None, headers=None) -> None:
        # write_atomically makes the folder (exist_ok: safe when two pages of a work are written at once
        # from threads, where FSFilesStore._mkdir's check-then-create is not)
        write_atomically(self._get_filesystem_path(path), buf.getvalue())

    def hash_and_persist(self, path: str, data: bytes) -> str:
        """sha256 of ``data``, stored under ``path``: one call for a worker thread."""
        write_atomically(self._get_filesystem_path(path), data)
        return hashlib.sha256(data).hexdigest()

    def remove_stale_parts(self, before: float) -> tuple[int, list[str]]:
        """Remove the temporaries a killed process left in the store's ``works/`` tree (see
        :func:`remove_stale_parts`)."""
        return remove_stale_parts(Path(self.basedir) / "works", before)
