"""write_atomically's cheaper steps keep its guarantees: a temporary the sweep recognises, a folder made again when
it was removed since, and renames in one folder at the same time sharing one sync of it — each rename on disk
before its write returns."""

from __future__ import annotations

import os
import shutil
import threading
import time

from pixivcrawl.pipelines import filestore
from pixivcrawl.pipelines.filestore import STALE_PART, write_atomically
from tests.decorators import coroutine_test

from .helpers import illust_item, work_ids
from .test_files import files_pipeline, store_path


def test_temporaries_have_the_names_the_sweep_removes(tmp_path, monkeypatch):
    real_replace = filestore.Path.replace
    names = []

    def replace(self, target):
        names.append(self.name)
        return real_replace(self, target)

    monkeypatch.setattr(filestore.Path, "replace", replace)
    for page in range(3):
        write_atomically(tmp_path / "works" / "0100" / "100000275" / f"100000275_p{page}.jpg", b"page bytes")
    assert len(set(names)) == 3 and all(STALE_PART.fullmatch(name) for name in names)
    assert all(name.startswith(f".100000275_p{page}.jpg.") for page, name in enumerate(names))


def test_a_folder_removed_after_a_write_is_made_again(tmp_path):
    folder = tmp_path / "works" / "0100" / "100000275"
    write_atomically(folder / "100000275_p0.jpg", b"first")
    shutil.rmtree(tmp_path / "works")  # the store's folder remembered as made is gone
    write_atomically(folder / "100000275_p1.jpg", b"second")
    assert [(p.name, p.read_bytes()) for p in folder.iterdir()] == [("100000275_p1.jpg", b"second")]


def test_renames_during_a_folder_sync_share_the_next_one(tmp_path, monkeypatch):
    """Three pages of a work: the first write's folder sync is slow; the two renamed meanwhile wait for it and then
    share one sync; none returns before a sync that started after its rename has ended."""
    folder = tmp_path / "works" / "0100" / "100000275"
    release = threading.Event()
    syncs: list[tuple[float, float]] = []  # (start, end) of each folder sync
    real_sync = filestore._sync_folder

    def sync_folder(path):
        start = time.monotonic()
        if not syncs:
            release.wait(5)
        real_sync(path)
        syncs.append((start, time.monotonic()))

    monkeypatch.setattr(filestore, "_sync_folder", sync_folder)
    renamed: dict[str, float] = {}
    returned: dict[str, float] = {}
    real_replace = filestore.Path.replace

    def replace(self, target):
        result = real_replace(self, target)
        renamed[target.name] = time.monotonic()
        return result

    monkeypatch.setattr(filestore.Path, "replace", replace)

    def write(page: int) -> None:
        name = f"100000275_p{page}.jpg"
        write_atomically(folder / name, f"page {page}".encode())
        returned[name] = time.monotonic()

    first = threading.Thread(target=write, args=(0,))
    first.start()
    while not renamed:  # the first page is renamed and its sync is running
        time.sleep(0.001)
    others = [threading.Thread(target=write, args=(page,)) for page in (1, 2)]
    for thread in others:
        thread.start()
    while len(renamed) < 3:
        time.sleep(0.001)
    time.sleep(0.05)
    assert not returned  # all wait for a sync
    release.set()
    for thread in (first, *others):
        thread.join(5)
    assert len(syncs) == 2  # the first page's, and one for both others
    for name, at in renamed.items():
        assert any(start >= at and end <= returned[name] for start, end in syncs), name
    assert sorted(p.name for p in folder.iterdir()) == [f"100000275_p{page}.jpg" for page in range(3)]
    assert not filestore._FOLDERS._syncing  # nothing left behind


def test_a_new_file_gets_the_mode_open_gives_under_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomically(tmp_path / "a.jpg", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.jpg").stat().st_mode & 0o777 == 0o640


@coroutine_test
async def test_a_works_folder_is_synced_once_after_all_its_pages_are_renamed(tmp_path, monkeypatch):
    """The files pipeline leaves each page's folder sync out of its write and syncs the work's folder once, after
    the last rename and before the work goes on (to the database)."""
    events: list[tuple[str, str]] = []
    real_sync, real_replace = filestore._sync_folder, filestore.Path.replace

    def sync_folder(folder):
        events.append(("sync", str(folder)))
        real_sync(folder)

    def replace(self, target):
        events.append(("rename", str(target.parent)))
        return real_replace(self, target)

    monkeypatch.setattr(filestore, "_sync_folder", sync_folder)
    monkeypatch.setattr(filestore.Path, "replace", replace)
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("manga", pages=3)[0])
    await pipeline.process_item(item)
    folder = str(store_path(pipeline, item.media[0].path).parent)
    assert [m.status for m in item.media] == ["downloaded"] * item.page_count
    assert events == [("rename", folder)] * item.page_count + [("sync", folder)]
