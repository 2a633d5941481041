"""Configuration and storage errors, end to end: a crawl that cannot start ends with one ERROR sentence naming the
setting and the cause, finish reason ``start_failed``, no traceback, no request to pixiv, and the database as it
was; a files store that fails every file stops the crawl with ``storage_failed`` after PIXIV_FILES_MAX_ERRORS."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from pixivcrawl.db import schema
from pixivcrawl.db.store import open_store
from pixivcrawl.pipelines import filestore

from .conftest import ROOT, run_crawl, table_rows
from .decorators import coroutine_test

#: a series of 2 works (11 files) in the session world: each crawl here takes a second or two
SMALL_SERIES = 10033


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " ERROR: " in line]


def _assert_one_sentence(result, reason: str, sentence: str) -> None:
    assert "Traceback" not in result.output, result.output
    errors = _error_lines(result.output)
    assert len(errors) == 1, result.output
    assert errors[0].endswith(sentence), errors[0]
    assert result.stats["finish_reason"] == reason, result.output


def _existing_database(db_url: str) -> None:
    """A database an earlier run left: migrated, with one user row."""
    store = open_store(db_url)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with store.engine.begin() as conn:
        conn.execute(schema.users.insert(), [{"id": 7, "name": "kept", "account": "kept", "profile_image_url": None,
                                              "raw": {"id": 7}, "first_seen_at": now, "updated_at": now}])
    store.dispose()


def _contents(db_url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return {t: sorted(map(tuple, conn.execute(sa.text(f'SELECT * FROM "{t}"'))), key=repr) for t in tables}
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- bad settings ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "sentence"), [
    ({"PIXIV_UGOIRA_FORMAT": "mp4"}, "PIXIV_UGOIRA_FORMAT must be one of none, webp, apng, gif, not 'mp4'"),
    ({"PIXIV_THROTTLE_POLICY": "foo"}, "PIXIV_THROTTLE_POLICY must be one of wait, skip, stop, not 'foo'"),
    ({"PIXIV_FILES_IMAGE_SIZE": "huge"},
     "PIXIV_FILES_IMAGE_SIZE must be one of original, regular, small, none, not 'huge'"),
    ({"PIXIV_FILES_IMAGE_TYPES": "foo"}, "PIXIV_FILES_IMAGE_TYPES takes illust, manga, ugoira, not foo"),
    ({"PIXIV_THROTTLE_APP_RATE": "-1"},
     "PIXIV_THROTTLE_APP_RATE must be a number of requests per second (0 or more, 0 for no limit), not '-1'"),
    ({"PIXIV_API_DELAY": "abc"}, "PIXIV_API_DELAY must be a number of seconds (0 or more), not 'abc'"),
    ({"PIXIV_API_DELAY": "-1"}, "PIXIV_API_DELAY must be a number of seconds (0 or more), not '-1'"),
    ({"PIXIV_FILES_MAX_ERRORS": "0"}, "PIXIV_FILES_MAX_ERRORS must be a whole number (1 or more), not '0'"),
])
@coroutine_test
async def test_a_bad_setting_stops_the_crawl_with_one_sentence(replica, tmp_path, settings, sentence):
    db_url = f"sqlite:///{tmp_path / 'kept.db'}"
    _existing_database(db_url)
    before = _contents(db_url)
    replica.clear()
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings=settings, images=True)
    _assert_one_sentence(result, "start_failed", f"Not starting: {sentence}.")
    assert result.stats["pixiv/errors/start_failed"] == f"Not starting: {sentence}."
    assert replica.requests() == []  # nothing went to pixiv
    assert _contents(db_url) == before
    assert not (tmp_path / "files").exists()  # nor to the files store


@coroutine_test
async def test_two_bad_settings_are_named_in_the_one_sentence(replica, tmp_path):
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica,
                             db_url=f"sqlite:///{tmp_path / 'x.db'}", tmp_path=tmp_path,
                             settings={"PIXIV_UGOIRA_FORMAT": "mp4", "PIXIV_API_CONCURRENCY": "many"})
    _assert_one_sentence(result, "start_failed", "Not starting: PIXIV_API_CONCURRENCY must be a whole number "
                         "(1 or more), not 'many'; PIXIV_UGOIRA_FORMAT must be one of none, webp, apng, gif, "
                         "not 'mp4'.")
    assert not (tmp_path / "x.db").exists()


# -- unusable databases -------------------------------------------------------------------------------------

@coroutine_test
async def test_a_stopped_postgresql_stops_the_crawl_with_one_sentence(replica, tmp_path):
    port = _free_port()  # nothing listens there
    db_url = f"postgresql://postgres:not-shown@127.0.0.1:{port}/test"
    replica.clear()
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    _assert_one_sentence(result, "start_failed", f'Cannot use the database DATABASE_URL=postgresql+psycopg://'
                         f'postgres:***@127.0.0.1:{port}/test: connection failed: connection to server at '
                         f'"127.0.0.1", port {port} failed: Connection refused.')
    assert "not-shown" not in result.output and "not-shown" not in repr(result.stats)
    assert replica.requests() == []


@coroutine_test
async def test_a_corrupted_sqlite_file_stops_the_crawl_and_is_left_as_it_was(replica, tmp_path):
    path = tmp_path / "corrupt.db"
    garbage = b"not a database, " * 512
    path.write_bytes(garbage)
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica,
                             db_url=f"sqlite:///{path}", tmp_path=tmp_path)
    _assert_one_sentence(result, "start_failed",
                         f"Cannot use the database DATABASE_URL=sqlite:///{path}: file is not a database.")
    assert path.read_bytes() == garbage


@pytest.mark.parametrize(("make_url", "cause"), [
    (lambda tmp: f"sqlite:///{tmp / 'missing' / 'pixivcrawl.db'}",
     lambda tmp: f"the folder {tmp / 'missing'} does not exist"),
    (lambda tmp: "foo://somewhere/db", lambda tmp: "unknown kind of database (use sqlite:///path or "
                                                    "postgresql://user@host/db)"),
])
@coroutine_test
async def test_an_unusable_database_url_stops_the_crawl_with_one_sentence(replica, tmp_path, make_url, cause):
    url = make_url(tmp_path)
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica, db_url=url,
                             tmp_path=tmp_path)
    _assert_one_sentence(result, "start_failed", f"Cannot use the database DATABASE_URL={url}: {cause(tmp_path)}.")
    assert not (tmp_path / "missing").exists()  # the folder is not made: a typo stays a typo


@pytest.mark.parametrize("action", [["db", "upgrade"], ["db", "counts"], ["demo", "--works", "20"]])
def test_the_commands_say_one_sentence_for_an_unusable_database(tmp_path, action):
    url = f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", *action, "--database-url", url], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 2  # could not start
    assert proc.stderr.strip() == (f"pixivcrawl: Cannot use the database DATABASE_URL={url}: the folder "
                                   f"{tmp_path / 'missing'} does not exist."), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


# -- files store ---------------------------------------------------------------------------------------------

@coroutine_test
async def test_a_files_store_that_cannot_be_written_stops_the_crawl(replica, db_url, tmp_path):
    _existing_database(db_url)
    before = _contents(db_url)
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    store = blocker / "files"  # a real OS error, whoever runs the tests (root writes read-only folders)
    replica.clear()
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"FILES_STORE": str(store)}, images=True)
    _assert_one_sentence(result, "start_failed",
                         f"Cannot write files to FILES_STORE={store}: [Errno 20] Not a directory.")
    assert replica.requests() == []
    assert _contents(db_url) == before


@coroutine_test
async def test_a_full_disk_stops_the_crawl_after_max_errors_and_keeps_what_is_stored(replica, db_url, tmp_path,
                                                                                     monkeypatch):
    first = await run_crawl("illust_series", {"series_id": 10015}, replica=replica, db_url=db_url,
                            tmp_path=tmp_path, images=True)
    assert first.stats["finish_reason"] == "finished", first.output
    stored = table_rows(db_url, "select work_id, kind, page, url, path, sha256, status from media order by 1, 2, 3")
    files = {p: p.read_bytes() for p in (tmp_path / "files").rglob("*") if p.is_file()}
    assert stored and len(files) == len(stored)

    def full_disk(target, data, **options):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(filestore, "write_atomically", full_disk)
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_FILES_MAX_ERRORS": "3"}, images=True)
    _assert_one_sentence(result, "storage_failed", f"Stopping: 3 files in a row could not be written to FILES_STORE="
                         f"{tmp_path / 'files'}: [Errno 28] No space left on device (PIXIV_FILES_MAX_ERRORS=3).")
    warnings = [line for line in result.output.splitlines() if "No space left on device" in line and " WARNING: "
                in line]
    assert len(warnings) == 1  # once per cause, not once per file
    failed = table_rows(db_url, "select error from media where status = 'failed'")
    assert failed and {e for (e,) in failed} == {"could not store: [Errno 28] No space left on device"}
    assert result.stats["pixiv/media/store_failed"] == len(failed)
    # the first crawl's rows and files are as they were
    assert table_rows(db_url, "select work_id, kind, page, url, path, sha256, status from media "
                              "where status = 'downloaded' order by 1, 2, 3") == stored
    assert {p: p.read_bytes() for p in (tmp_path / "files").rglob("*") if p.is_file()} == files


@coroutine_test
async def test_an_unreachable_redis_stops_the_worker_with_one_sentence(replica, tmp_path):
    """PIXIV_REDIS_URL at a port where nothing listens: a configuration error at start, not a traceback."""
    port = _free_port()
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    replica.clear()
    result = await run_crawl("illust_series", {"series_id": SMALL_SERIES}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    assert "Traceback" not in result.output, result.output
    errors = _error_lines(result.output)
    assert len(errors) == 1 and "Cannot reach Redis at PIXIV_REDIS_URL (ConnectionError: " in errors[0], errors
    assert errors[0].endswith("start it or correct the URL.")
    assert result.stats["finish_reason"] == "start_failed"
    assert replica.requests() == []
