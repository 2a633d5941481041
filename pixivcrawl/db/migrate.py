"""Schema migrations with alembic, run from code (``pixivcrawl db upgrade`` and the SQL pipeline)."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.resources
import logging
import tempfile
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine


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


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
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
    lock file beside it (crawls started together, e.g. two scrapyd jobs, must not both create tables)."""
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
