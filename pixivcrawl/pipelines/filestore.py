"""The local files store of the files pipeline: a file appears under its name only once it is complete.

Files are written to a temporary name (``.<name>.<random>.part`` beside the target), synced to disk and renamed
into place (:func:`write_atomically`), so a crash never leaves a partial file where a later run would take it as
complete; :func:`remove_stale_parts` removes the temporaries a killed process left. :class:`AtomicFSFilesStore`
is Scrapy's ``FSFilesStore`` writing that way (pixivcrawl.pipelines.files uses it for local ``FILES_STORE``s);
:class:`StoreFailed` is a file the store could not write (an OS error, recorded in ``media.error``).
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import re
import stat
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from scrapy.pipelines.files import FSFilesStore
from scrapy.pipelines.media import FileException

#: the names write_atomically gives its temporaries (8 random hex digits; tempfile.mkstemp's, which earlier
#: versions used: 8 random characters)
STALE_PART = re.compile(r"\..+\.[a-z0-9_]{8}\.part")


def write_atomically(target: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``target`` (``.<name>.<random>.part``), sync it to disk and rename
    it into place, then sync the folder: ``target`` is either absent, its old version, or complete — never partial,
    even after a power cut. With ``sync_folder`` false the folder is not synced: the caller syncs it before anything
    relies on the rename (AtomicFSFilesStore.sync_folders). A temporary removed before its rename (another crawl
    starting on the same store takes it for a killed process's) is written once more. Raises OSError (the disk is
    full, the store read-only, …).

    A folder made already is not made again, and writes renamed in one folder at the same time share one sync of
    it (:class:`_Folders`). Each step that releases the GIL costs a worker thread a wait for it while the reactor
    runs: the file is written with a few plain ``os`` calls."""
    folder = target.parent
    where = str(folder)
    if not _FOLDERS.made(where):
        folder.mkdir(parents=True, exist_ok=True)
    for attempt in (1, 2):
        temporary, fd = _create_temporary(target)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)  # the bytes are on disk before the name points at them
            finally:
                os.close(fd)
            Path(temporary).replace(target)
        except BaseException as exc:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(exc, FileNotFoundError) and attempt == 1 and folder.is_dir():
                continue  # the temporary was removed under us: write it again
            raise
        if sync_folder:
            _FOLDERS.sync(where)  # the rename itself is on disk
        return


#: how many folders a store remembers having made (a work's pages arrive together; older ones are made again,
#: which costs one ``mkdir`` that finds them)
MADE_FOLDERS = 4096
#: a new file only: the temporary's name is ours alone
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _create_temporary(target: Path) -> tuple[str, int]:
    """A new temporary beside ``target``, ``.<name>.<8 random hex digits>.part`` (:data:`STALE_PART`), open for
    writing with the mode ``open()`` gives any new file under the umask: its name and descriptor. A name taken
    already is drawn again; a folder removed since it was made is made again (once)."""
    folder = target.parent
    remade = False
    for _ in range(100):
        name = f"{folder}/.{target.name}.{random.getrandbits(32):08x}.part"
        try:
            return name, os.open(name, _CREATE, 0o666)
        except FileExistsError:
            continue
        except FileNotFoundError:
            if remade:
                raise
            folder.mkdir(parents=True, exist_ok=True)
            remade = True
    raise FileExistsError(errno.EEXIST, "No usable temporary name found", str(folder))


class _Folders:
    """The folders a store made, and the syncs of them in progress, shared by the threads that write files.

    :meth:`sync` is a group commit: a thread whose rename happened while another thread was syncing the same
    folder waits for that sync to end and then runs one more, for every rename made meanwhile; a sync started
    after a rename covers it. Every rename is on disk when its :meth:`sync` returns, as with a sync of its own."""

    def __init__(self) -> None:
        self._made: set[str] = set()
        self._lock = threading.Lock()
        self._syncing: dict[str, _FolderSync] = {}

    def made(self, folder: str) -> bool:
        """Whether ``folder`` was made (or found) already; remembers it as made from now on (the caller makes
        it). Remembers the last :data:`MADE_FOLDERS` folders at most: a crawl's memory stays flat."""
        if folder in self._made:
            return True
        if len(self._made) >= MADE_FOLDERS:
            self._made.clear()
        self._made.add(folder)
        return False

    def sync(self, folder: str) -> None:
        with self._lock:
            state = self._syncing.get(folder)
            if state is None:
                state = self._syncing[folder] = _FolderSync(self._lock)
            state.requested += 1
            mine = state.requested
            while state.synced < mine:
                if state.running:
                    state.done.wait()
                    continue
                state.running, covered = True, state.requested
                self._lock.release()
                synced = False
                try:
                    _sync_folder(folder)
                    synced = True
                finally:
                    self._lock.acquire()
                    state.running = False
                    if synced:
                        state.synced = covered
                    state.done.notify_all()
            if not state.running and state.synced == state.requested:
                self._syncing.pop(folder, None)


class _FolderSync:
    """One folder's syncs: how many renames asked for one, how many of them the last sync covered."""

    __slots__ = ("done", "requested", "running", "synced")

    def __init__(self, lock: threading.Lock) -> None:
        self.requested = self.synced = 0
        self.running = False
        self.done = threading.Condition(lock)


#: the folders this process's writes made and is syncing (every store and the ugoira pipeline share them)
_FOLDERS = _Folders()


def _sync_folder(folder: Path | str) -> None:
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

    def hash_and_persist(self, path: str, data: bytes, sync_folder: bool = True) -> str:
        """sha256 of ``data``, stored under ``path``: one call for a worker thread. With ``sync_folder`` false the
        file is synced and renamed into place but its folder is not synced: the caller calls :meth:`sync_folders`
        before anything relies on the rename (the files pipeline: once for all the files of a work, before the
        work goes on to the database)."""
        write_atomically(self._get_filesystem_path(path), data, sync_folder=sync_folder)
        return hashlib.sha256(data).hexdigest()

    def folder_of(self, path: str) -> str:
        """The folder (on disk) of the file stored under ``path``."""
        return str(self._get_filesystem_path(path).parent)

    def sync_folders(self, folders: Iterable[str]) -> None:
        """Sync each of ``folders`` (the renames made in them are on disk when this returns)."""
        for folder in folders:
            _FOLDERS.sync(folder)

    def remove_stale_parts(self, before: float) -> tuple[int, list[str]]:
        """Remove the temporaries a killed process left in the store's ``works/`` tree (see
        :func:`remove_stale_parts`)."""
        return remove_stale_parts(Path(self.basedir) / "works", before)
