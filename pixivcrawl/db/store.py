"""Batched, idempotent writes: one transaction per batch, upserts keyed on pixiv ids.

A re-crawl updates rows and never duplicates them; a work's pages and tags are replaced as a whole in the
same transaction as the work, so a crash leaves either the old or the new version, never a mix.
"""

from __future__ import annotations

import logging
import operator
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import schema
from .rows import ItemRows
from .upsert import upsert

logger = logging.getLogger(__name__)

#: parents before children, in the order a batch writes them
WRITE_ORDER = ("users", "tags", "illust_series", "novel_series", "illusts", "novels",
               "illust_pages", "illust_tags", "novel_tags", "media", "search_hits", "rankings", "commission_requests",
               "commission_creators", "bookmarks", "follows", "feed_entries")
#: what Batch._merge_parent returns when the batch keeps a whole record over a listing or hidden one
_KEPT = "<kept>"
#: the time columns a write sets, per table: ``first_seen_at`` (on insert only: an upsert never updates it) and
#: ``updated_at`` or ``last_seen_at`` (on every write)
_STAMPS = {t.name: tuple(c for c in ("first_seen_at", "updated_at", "last_seen_at") if c in t.c)
           for t in schema.metadata.tables.values()}


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs (drivers: psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _json_dumps(value: Any) -> str:
    """JSON columns are written with orjson (several times faster than the json module SQLAlchemy uses
    by default; the text is UTF-8 rather than \\u-escaped, and reads back to the same values)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, json_serializer=_json_dumps)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            if not url.endswith(":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps)


@dataclass(slots=True)
class BatchRow:
    """One row of a batch: its column values, and whether it is written whole."""

    #: column name -> value, as pixivcrawl.db.rows made them
    values: dict[str, Any]
    #: None for a row written whole (inserted, or every column updated); for the row of a listing or hidden record
    #: (``ItemRows.whole`` False): the only columns it may update on an existing row (a new row is inserted whole)
    only: tuple[str, ...] | None = None


class Batch:
    """Rows of many items, merged per primary key (the last version of a row wins)."""

    def __init__(self) -> None:
        #: table -> primary key -> row
        self.rows: dict[str, dict[tuple, BatchRow]] = {}
        self.replace: dict[str, set[int]] = {}
        #: how many items were added
        self.item_count = 0
        #: every item's rows as added, to write them one by one if the batch as a whole is refused
        self.members: list[ItemRows] = []
        #: table -> column -> value -> keys of the rows added with that value (a row's value may have changed
        #: since: checked when used), so that replacing a parent's children needs no scan of the whole table
        self._by_value: dict[str, dict[str, dict[Any, list[tuple]]]] = {}

    def __len__(self) -> int:
        return self.item_count

    def add(self, item_rows: ItemRows) -> None:
        """Merge one item's rows. A listing or hidden record after a whole record of the same work never displaces
        it: a listing adds nothing, a hidden record its ``visible`` and ``restriction`` (as if written after it).
        A listing or hidden record after another updates the earlier one's row with its own columns (as two
        writes one after the other would)."""
        self.item_count += 1
        self.members.append(item_rows)
        merged_parent = partial_parent = None
        if not item_rows.whole and item_rows.parent:
            partial_parent = item_rows.parent[0]  # its row updates only ``item_rows.columns`` of a stored one
            merged_parent = self._merge_parent(item_rows)
            if merged_parent is _KEPT:
                return
        for table, (col, parent_id) in item_rows.replace.items():
            parents = self.replace.setdefault(table, set())
            bucket = self.rows.get(table)
            if parent_id in parents and bucket:
                # an earlier version of this parent in the same batch: drop its children (only a parent
                # already listed here can have children in the batch)
                for key in self._keys_with(table, col, parent_id):
                    del bucket[key]
            parents.add(parent_id)
        for table, rows in item_rows.rows.items():
            if table == merged_parent:
                continue
            only = item_rows.columns if table == partial_parent else None
            key_of = _KEY_OF[table]
            bucket = self.rows.setdefault(table, {})
            keep = schema.KEEP_IF_NULL.get(table, ())
            indexes = self._by_value.get(table)
            for row in rows:
                key = key_of(row)
                if indexes:
                    for col, index in indexes.items():
                        index.setdefault(row[col], []).append(key)
                old = bucket.get(key)
                # a column the new row lacks (a user's profile) keeps the earlier version's value
                values = row if old is None else {
                    **old.values, **row,
                    **{c: old.values[c] for c in keep if row.get(c) is None and old.values.get(c) is not None}}
                bucket[key] = BatchRow(values, only)

    def _keys_with(self, table: str, col: str, value: Any) -> list[tuple]:
        """The keys of ``table``'s rows in the batch whose ``col`` is ``value`` (the index of ``col`` is built on
        the first call, from the rows in the batch, then kept up to date by :meth:`add`)."""
        bucket = self.rows[table]
        indexes = self._by_value.setdefault(table, {})
        index = indexes.get(col)
        if index is None:
            index = indexes[col] = {}
            for key, r in bucket.items():
                index.setdefault(r.values[col], []).append(key)
        found = []
        for key in dict.fromkeys(index.pop(value, ())):
            r = bucket.get(key)
            if r is not None and r.values[col] == value:
                found.append(key)
        return found

    def _merge_parent(self, item_rows: ItemRows) -> str | None:
        """The parent row of a listing or hidden record, against a row of the same work already in the batch:
        :data:`_KEPT` when a whole record is there (it stays; a hidden record's columns are written over it); the
        parent's table when it was merged into an earlier listing or hidden record's row; None when the batch
        has no row of it yet."""
        table, key = item_rows.parent
        bucket = self.rows.setdefault(table, {})
        columns = item_rows.columns
        keep = schema.KEEP_IF_NULL.get(table, ())
        merged = None
        for row in item_rows.rows.get(table, ()):
            existing = bucket.get((key,))
            if existing is None:
                continue
            if existing.only is None:  # the batch holds the whole record: it stays
                if item_rows.hidden:
                    existing.values = {**existing.values, **{c: row[c] for c in columns}}
                return _KEPT
            existing.values = {**existing.values,
                               **{c: row[c] for c in columns if row[c] is not None or c not in keep}}
            existing.only = tuple(dict.fromkeys((*existing.only, *columns)))
            merged = table
        return merged


def _key_getter(table: sa.Table):
    """A function giving a row's primary key as a tuple."""
    names = [c.name for c in table.primary_key]
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    return operator.itemgetter(*names)


#: table -> a function giving a row's primary key as a tuple
_KEY_OF = {name: _key_getter(table) for name, table in schema.metadata.tables.items()}


def _chunks(values: Iterable[int], size: int = 500) -> Iterable[list[int]]:
    values = sorted(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


#: PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back and may be run again
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
TRANSIENT_RETRIES = 5


class UnusableDatabase(Exception):
    """``DATABASE_URL`` cannot be used: its message is one sentence naming the database (password hidden) and the
    cause, e.g. ``Cannot use the database DATABASE_URL=sqlite:////x/pixivcrawl.db: file is not a database.``"""


def _shown(url: str) -> str:
    """``DATABASE_URL=<url>`` as it may be shown: password hidden; a text that is not a URL is not shown at all
    (it may hold a password)."""
    try:
        return "DATABASE_URL=" + sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "DATABASE_URL"


def database_problem(exc: BaseException) -> str:
    """The cause of a database failure in a few words (the first line of the driver's message, or the OS
    error's text), without a traceback."""
    if isinstance(exc, sa.exc.NoSuchModuleError):
        return "unknown kind of database (use sqlite:///path or postgresql://user@host/db)"
    if isinstance(exc, sa.exc.ArgumentError):
        return f"not a database URL ({_first_line(exc)})"
    if isinstance(exc, ModuleNotFoundError):
        return f"its driver is not installed (no module {exc.name!r})"
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        return _first_line(exc.orig)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip()[:300] if text else type(exc).__name__


def open_store(url: str, *, migrate: bool = True) -> Store:
    """A Store on ``url`` that was just reached (and migrated to the newest schema with ``migrate``).

    Raises UnusableDatabase with one sentence for every way ``DATABASE_URL`` can be unusable: an unknown scheme
    or a missing driver, a server that does not answer or refuses the login, an SQLite file in a folder that
    does not exist or that is not a database, a schema alembic cannot migrate. Nothing is written to the
    database before it was reached; an SQLite file is created only in a folder that exists."""
    shown = _shown(normalise_url(url))
    try:
        store = Store(url)
    except Exception as exc:  # create_engine: unknown dialect, driver missing, unparseable URL
        raise UnusableDatabase(f"Cannot use the database {shown}: {database_problem(exc)}.") from None
    try:
        database = store.engine.url.database if store.engine.dialect.name == "sqlite" else None
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().absolute().parent
            if not folder.is_dir():
                raise UnusableDatabase(f"Cannot use the database {shown}: the folder {folder} "
                                       f"does not exist.")
        with store.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        if migrate:
            store.upgrade()
    except UnusableDatabase:
        store.dispose()
        raise
    except Exception as exc:
        store.dispose()
        raise UnusableDatabase(f"Cannot use the database {shown}: {database_problem(exc)}.") from None
    return store


class Store:
    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        #: transactions written again after a deadlock or serialization failure
        self.transient_retries = 0

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade(self) -> None:
        from .migrate import upgrade

        upgrade(self.engine)

    def write(self, batch: Batch) -> dict[str, int]:
        """Write a batch in one transaction; returns rows written per table.

        Rows are written table by table in WRITE_ORDER and by primary key within a table, so that crawls writing
        to one PostgreSQL database at once (distributed workers) take row locks in the same order. A transaction
        PostgreSQL still aborts to break a deadlock, or for a serialization failure, is written again (up to
        TRANSIENT_RETRIES times, after a short random pause): nothing of it was kept."""
        for attempt in range(TRANSIENT_RETRIES + 1):
            try:
                return self._write(batch)
            except sa.exc.OperationalError as exc:
                if attempt == TRANSIENT_RETRIES or getattr(exc.orig, "sqlstate", None) not in TRANSIENT_SQLSTATES:
                    raise
                self.transient_retries += 1
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
        raise AssertionError("unreachable")

    def _write(self, batch: Batch) -> dict[str, int]:
        now = datetime.now(UTC)
        counts: dict[str, int] = {}
        with self.engine.begin() as conn:
            for table_name in WRITE_ORDER:
                table = schema.metadata.tables[table_name]
                parents = batch.replace.get(table_name)
                if parents:
                    parent_col = table.c[next(iter(c.name for c in table.primary_key))]
                    for chunk in _chunks(parents):
                        conn.execute(table.delete().where(parent_col.in_(chunk)))
                bucket = batch.rows.get(table_name, {})
                rows = [bucket[key] for key in sorted(bucket)]
                if not rows:
                    continue
                stamp = dict.fromkeys(_STAMPS[table_name], now)
                whole = len(table.c) - len(stamp)
                upsert(conn, table, [r.values for r in rows if r.only is None and len(r.values) == whole],
                       stamp=stamp)
                by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
                for r in rows:
                    # a row without some columns (a user without a profile) updates only those it has
                    only = r.only if r.only is not None or len(r.values) == whole else tuple(sorted(r.values))
                    if only is not None:
                        by_columns.setdefault(only, []).append(r.values)
                for columns, listed in by_columns.items():
                    upsert(conn, table, listed, only=columns, stamp=stamp)
                counts[table_name] = len(rows)
        return counts

    def count_rows(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for name, t in sorted(schema.metadata.tables.items())}

    def dispose(self) -> None:
        self.engine.dispose()
