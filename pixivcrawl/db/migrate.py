"""Schema migrations with alembic, run from code (``pixivcrawl db upgrade`` and the SQL pipeline)."""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "pixivcrawl.db:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["connection"] = connection
    return cfg


#: alembic's environment is module-global: one migration at a time per process
_LOCK = threading.Lock()
#: PostgreSQL advisory lock key, so that workers starting together migrate one after another
_PG_LOCK_KEY = 0x706978_6976  # "pixiv"


def upgrade(engine: Engine, revision: str = "head") -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines are plugin chatter
    with _LOCK, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
