"""Schema migrations with alembic, run from code (``pixivcrawl db upgrade`` and the SQL pipeline).

A database already at the newest schema costs one query (:func:`at_head`: its ``alembic_version`` rows against
the head revisions read from the migration files' ``revision``/``down_revision`` lines), without loading alembic;
any other database is migrated by alembic, one process at a time (:func:`upgrade`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.resources
import logging
import re
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:  # alembic is imported when a database needs migrating, not for one at head
    from alembic.config import Config


@functools.lru_cache(maxsize=1)
def script_location() -> str:
    """The migrations folder; copied out to a temporary folder when the package is zipped (a scrapyd egg),
    since alembic needs real files."""
    root = importlib.resources.files("pixivcrawl.db") / "migrations"
    if isinstance(root, Path) and root.is_dir():
        return str(root)
    target = Path(tempfile.mkdtemp(prefix="pixivcrawl-migrations-"))

    def copy(node, into: Path) -> None:
        for child in node.iterdir():
            if child.is_dir():
                if child.name != "__pycache__":
                    (into / child.name).mkdir()
                    copy(child, into / child.name)
            elif child.name.endswith((".py", ".mako")):
                (into / child.name).write_bytes(child.read_bytes())

    copy(root, target)
    return str(target)


#: ``revision = '0001'`` and ``down_revision = '0001'`` (or a tuple of them, or None) in a migration file
_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(.+?)\s*$", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The head revisions of the migrations (those no other revision comes down from), read from the version
    files' ``revision`` and ``down_revision`` lines as text: alembic's script directory is not loaded."""
    revisions, downs = set(), set()
    for node in (importlib.resources.files("pixivcrawl.db") / "migrations" / "versions").iterdir():
        if not node.name.endswith(".py") or node.name.startswith("_"):
            continue
        for name, value in _REVISION_LINE.findall(node.read_text(encoding="utf-8")):
            found = set(re.findall(r"['\"]([^'\"]+)['\"]", value))
            (revisions if name == "revision" else downs).update(found)
    return frozenset(revisions - downs)


def at_head(engine: Engine) -> bool:
    """Whether the database's ``alembic_version`` holds exactly the head revisions (one query); False when it
    has no such table or cannot be read."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    except sa.exc.SQLAlchemyError:
        return False
    return bool(rows) and set(rows) == head_revisions()


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", script_location())
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["connection"] = connection
    return cfg


#: alembic's environment is module-global: one migration at a time per process
_LOCK = threading.Lock()
#: PostgreSQL advisory lock key, so that workers starting together migrate one after another
_PG_LOCK_KEY = 0x706978_6976  # "pixiv"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``, one process at a time: a PostgreSQL advisory lock, or for an SQLite file a
    lock file beside it (crawls started together, e.g. two scrapyd jobs, must not both create tables). A database
    already at head (:func:`at_head`) is left as it is without alembic; alembic checks again under the lock."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines are plugin chatter
    with _LOCK, _sqlite_file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)


@contextlib.contextmanager
def _sqlite_file_lock(engine: Engine):
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.migrate-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
