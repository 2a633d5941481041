"""SQL storage: schema, migrations, and batched idempotent writes.

:func:`default_database_url` is the database a ``pixivcrawl`` command uses when none is given.
"""

from __future__ import annotations

import os

#: Where pixivcrawl stores when neither ``--database-url`` nor ``DATABASE_URL`` says: a SQLite file in the
#: working directory.
DEFAULT_DATABASE_URL = "sqlite:///pixivcrawl.db"


def default_database_url(given: str | None = None) -> str:
    """The SQLAlchemy URL a command uses: ``given`` (a ``--database-url`` option), else the ``DATABASE_URL``
    environment variable, else :data:`DEFAULT_DATABASE_URL`; an empty value counts as not given. (A crawl reads
    the ``DATABASE_URL`` setting instead, where an empty value switches storage off.)"""
    return given or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
