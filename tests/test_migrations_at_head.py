"""The migration check at start: a database at the newest schema costs one query and never loads alembic; one
behind head is migrated by alembic, under the same lock as before (pixivcrawl.db.migrate)."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from pixivcrawl.db.migrate import alembic_config, at_head, current_revision, head_revisions, upgrade
from pixivcrawl.db.store import Store, make_engine


def test_the_heads_read_from_the_files_are_alembics():
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_at_head_only_when_alembic_version_holds_the_heads(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    assert not at_head(engine)  # no alembic_version table yet
    upgrade(engine, "0005")
    assert not at_head(engine)
    upgrade(engine)
    assert at_head(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'from-a-newer-pixivcrawl'"))
    assert not at_head(engine)
    engine.dispose()


def _new_process(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_database_at_head_is_not_migrated_and_alembic_is_not_loaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    Store(url).upgrade()
    code = (f"import sys; from pixivcrawl.db.store import open_store; s = open_store({url!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    assert _new_process(code) == "[]"


def test_a_database_behind_head_is_migrated_by_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store(url)
    upgrade(store.engine, "0005")
    store.engine.dispose()
    code = (f"import sys; from pixivcrawl.db.store import open_store; s = open_store({url!r}); "
            "print('alembic' in sys.modules)")
    assert _new_process(code) == "True"
    assert current_revision(Store(url).engine) in head_revisions()


@pytest.mark.parametrize(("revision", "waits"), [("0005", True), ("head", False)])
def test_only_a_database_behind_head_waits_for_the_migration_lock(tmp_path, revision, waits):
    """Another process holds the migration lock (it is migrating): a database behind head waits for it, then is
    migrated; a database at head goes on at once."""
    database = tmp_path / "p.db"
    store = Store(f"sqlite:///{database}")
    upgrade(store.engine, revision)
    done = threading.Event()
    with Path(f"{database}.migrate-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            worker = threading.Thread(target=lambda: (store.upgrade(), done.set()), daemon=True)
            worker.start()
            assert done.wait(2.0) is not waits
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        worker.join(60)
    assert done.is_set()
    assert current_revision(store.engine) in head_revisions()
    store.dispose()
