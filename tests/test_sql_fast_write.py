"""SQLite upserts are sent to the driver without SQLAlchemy's per-row executemany (pixivcrawl.db.store
._execute_many): what they store must be exactly what ``conn.execute(statement, rows)`` stores."""

from __future__ import annotations

import copy
import sqlite3

import pytest

from pixivcrawl.db import upsert as store_module
from pixivcrawl.db.rows import item_rows
from pixivcrawl.db.store import Batch, Store
from pixivcrawl.parsers.app_api import parse_illust, parse_novel

from .captures import load_fixture


def _plain(conn, stmt, rows, stamp):
    conn.execute(stmt, [{**row, **stamp} for row in rows])


def _items() -> list:
    from pixivcrawl.parsers.app_api import parse_user_detail
    from pixivcrawl.parsers.users import profile_record

    illusts = [parse_illust(o) for o in load_fixture("app-api/v1_illust_series/anowlbear.json")["illusts"]]
    novel = parse_novel(load_fixture("app-api/v2_novel_detail/anowlbear.json")["novel"])
    novel.text = "本文 \u2028 \"quoted\""
    profile = profile_record(parse_user_detail(load_fixture("app-api/v1_user_detail/pixivutil2__1039353.json")))
    plain = copy.deepcopy(profile)
    plain.id, plain.profile = plain.id + 1, None  # a user without the profile columns
    listed = copy.deepcopy(illusts[0])
    listed.id, listed.whole, listed.caption = listed.id + 10**6, False, ""
    return [*illusts, novel, profile, plain, listed]


def _stored(path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'alembic_version'"):
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if not r[1].endswith("_at")]
        picked = ", ".join(f'typeof("{c}"), quote("{c}")' for c in columns)
        out[table] = sorted(conn.execute(f'SELECT {picked} FROM "{table}"'))
    conn.close()
    return out


def _write(path, items, monkeypatch, fast: bool) -> dict[str, list]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(store_module, "_execute_many", _plain)
        store = Store(f"sqlite:///{path}")
        store.upgrade()
        for _round in range(2):  # inserts, then updates of the same rows
            batch = Batch()
            for item in items:
                batch.add(item_rows(copy.deepcopy(item)))
            store.write(batch)
        store.dispose()
    return _stored(path)


def test_the_fast_sqlite_write_stores_what_sqlalchemy_stores(tmp_path, monkeypatch):
    items = _items()
    fast = _write(tmp_path / "fast.db", items, monkeypatch, fast=True)
    plain = _write(tmp_path / "plain.db", items, monkeypatch, fast=False)
    assert {t: len(r) for t, r in fast.items() if r}.keys() >= {"illusts", "illust_pages", "novels", "users", "tags"}
    assert fast == plain


def test_the_fast_write_is_used_on_sqlite(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(store_module, "_execute_many", lambda *args: calls.append(args[1]) or _plain(*args))
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.upgrade()
    batch = Batch()
    batch.add(item_rows(_items()[0]))
    store.write(batch)
    store.dispose()
    assert len(calls) >= 3  # illusts, illust_pages, tags, …


@pytest.mark.parametrize("keys", [("id",), ("id", "name")])
def test_a_statement_is_compiled_once_per_row_shape(tmp_path, keys):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    stmt = store_module._upsert_statement("sqlite", "users", None)
    first = store_module._compiled(store.engine.dialect, stmt, keys)
    assert store_module._compiled(store.engine.dialect, stmt, keys) is first
    assert first[1] == keys
    store.dispose()


def _naive_children(items) -> dict[str, set]:
    """The child rows a batch of ``items`` must hold: each work's from its last version only."""
    last = {}
    for item in items:
        last[item.id] = item_rows(copy.deepcopy(item))
    out: dict[str, set] = {}
    for out_rows in last.values():
        for table in ("illust_pages", "illust_tags"):
            out.setdefault(table, set()).update(tuple(sorted(r.items())) for r in out_rows.rows.get(table, ()))
    return out


def test_a_work_met_again_in_a_batch_replaces_only_its_own_children():
    """Works met several times in one batch (a work ranked on several days), in any interleaving: each keeps the
    pages and tags of its last version, none of another work's are dropped."""
    first = parse_illust(load_fixture("app-api/v1_illust_series/anowlbear.json")["illusts"][0])
    assert len(first.pages) > 1 and len(first.tags) > 3
    base = [first, *(copy.deepcopy(first) for _ in range(2))]
    for n, work in enumerate(base):
        work.id += n
    versions = []
    for round_ in range(4):
        for n, work in enumerate(base):
            version = copy.deepcopy(work)
            version.tags = work.tags[(round_ + n) % 3:]  # another set of tags each time
            version.pages = work.pages[:len(work.pages) - round_ % 2]
            versions.append(version)
    versions += [copy.deepcopy(base[1])]  # the second work last, as it was first
    batch = Batch()
    for version in versions:
        batch.add(item_rows(copy.deepcopy(version)))
    held = {table: {tuple(sorted(r.values.items())) for r in batch.rows.get(table, {}).values()}
            for table in ("illust_pages", "illust_tags")}
    assert held == _naive_children(versions)
    assert held["illust_tags"] and held["illust_pages"]
