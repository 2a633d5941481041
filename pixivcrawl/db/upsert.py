"""Upserts: insert rows, update those whose primary key exists (pixivcrawl.db.store writes every table with them).

On SQLite the statement is compiled once per table, ``only`` and row shape, and the rows are sent to the driver's
``executemany`` after SQLAlchemy's own bind processors (datetimes, JSON, booleans): the values stored are the ones
``conn.execute(statement, rows)`` stores, without its per-row work (a third of a batch's write).
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema


def upsert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], *,
           only: tuple[str, ...] | None = None, stamp: dict[str, Any] | None = None) -> None:
    """Insert ``rows``; on a key that exists, update every column (or just ``only`` and ``updated_at``).
    ``stamp`` (column -> value) is added to every row (the time columns of a write)."""
    if not rows:
        return
    stmt = _upsert_statement(conn.dialect.name, table.name, only)
    if conn.dialect.name == "sqlite":
        _execute_many(conn, stmt, rows, stamp or {})
    else:
        conn.execute(stmt, [{**row, **stamp} for row in rows] if stamp else rows)


@functools.lru_cache(maxsize=512)
def _upsert_statement(dialect: str, table_name: str, only: tuple[str, ...] | None) -> sa.Insert:
    """The upsert of :func:`upsert`, built once per dialect, table and ``only``."""
    table = schema.metadata.tables[table_name]
    if dialect == "postgresql":  # the dialect's module only where it is used: a SQLite crawl never loads PostgreSQL's
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    pk = [c.name for c in table.primary_key]
    keep = schema.KEEP_IF_NULL.get(table.name, ())
    updates = {
        c.name: (sa.func.coalesce(stmt.excluded[c.name], table.c[c.name]) if c.name in keep else stmt.excluded[c.name])
        for c in table.columns if c.name not in pk and c.name != "first_seen_at"
        and (only is None or c.name in only or c.name == "updated_at")
    }
    return stmt.on_conflict_do_update(index_elements=pk, set_=updates) if updates else \
        stmt.on_conflict_do_nothing(index_elements=pk)


def _execute_many(conn: Connection, stmt: sa.Insert, rows: list[dict[str, Any]], stamp: dict[str, Any]) -> None:
    """``conn.execute(stmt, [{**row, **stamp} for row in rows])`` on SQLite, with the statement compiled once and
    the rows turned into the driver's parameters by the same bind processors SQLAlchemy would use (the values
    stored are the same): the per-row work of SQLAlchemy's executemany cost a third of the write. ``stamp``'s
    values are processed once."""
    keys = (*rows[0], *(c for c in stamp if c not in rows[0]))
    compiled = _compiled(conn.dialect, stmt, keys)
    if compiled is None:
        conn.execute(stmt, [{**row, **stamp} for row in rows])
        return
    sql, names, processors = compiled
    plan = [(name, processors.get(name), name in stamp,
             (processors[name](stamp[name]) if name in processors else stamp[name]) if name in stamp else None)
            for name in names]
    params = [tuple([value if fixed else (process(row[name]) if process else row[name])
                     for name, process, fixed, value in plan]) for row in rows]
    conn.exec_driver_sql(sql, params)


#: dialect -> (statement, row keys) -> what :func:`_compiled` returns
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(dialect: Any, stmt: sa.Insert, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...], dict] | None:
    """(SQL, bind names in order, bind processors) of ``stmt`` for rows with ``keys``; None when the statement is
    not a plain positional one (a column default to compute, an expanding parameter)."""
    cache = _COMPILED.setdefault(dialect, {})
    if (stmt, keys) not in cache:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
        plain = compiled.positional and not compiled.insert_prefetch and not compiled.postfetch \
            and not compiled.literal_execute_params and not compiled.post_compile_params \
            and set(compiled.positiontup or ()) <= set(keys)
        cache[stmt, keys] = (compiled.string, tuple(compiled.positiontup), dict(compiled._bind_processors)) \
            if plain else None
    return cache[stmt, keys]
