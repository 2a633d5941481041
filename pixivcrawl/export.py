"""``pixivcrawl export``: a dataset from the database and the file store.

Writes into one folder:

- ``metadata.parquet`` — one row per image (pages of illusts and manga, converted ugoira animations):
  work, page, user, tags with translations, rating flags, AI flag, counters, sizes, sha256, the path in
  the store, every ranking position of the work, and the split;
- ``shards/{train,validation}-NNNNNN.tar`` — WebDataset shards: for each image ``<key>.<ext>`` (the stored
  bytes) and ``<key>.json`` (its metadata row);
- ``manifest.json`` — filters, counts per split and shard, and the sha256 of every file written.

The split is deterministic: a work goes to validation when the first 8 bytes of sha256("<work id>") fall
below ``--val-fraction`` of their range, so every page of a work lands in the same split, and a re-export
of a grown database keeps every earlier work where it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from tqdm import tqdm

from pixivcrawl.db import schema
from pixivcrawl.db.store import Store

RATINGS = {"all": None, "safe": (0,), "r18": (1,), "r18g": (2,), "nsfw": (1, 2)}
AI = ("include", "exclude", "only")

ROW_SCHEMA = pa.schema([
    ("key", pa.string()), ("work_id", pa.int64()), ("page", pa.int32()), ("kind", pa.string()),
    ("type", pa.string()), ("title", pa.string()), ("user_id", pa.int64()), ("user_name", pa.string()),
    ("tags", pa.list_(pa.string())), ("tags_translated", pa.list_(pa.string())),
    ("x_restrict", pa.int8()), ("sanity_level", pa.int8()), ("is_ai", pa.bool_()), ("ai_type", pa.int8()),
    ("total_bookmarks", pa.int64()), ("total_view", pa.int64()), ("create_date", pa.timestamp("s", tz="UTC")),
    ("width", pa.int32()), ("height", pa.int32()), ("size", pa.int64()), ("sha256", pa.string()),
    ("path", pa.string()), ("url", pa.string()),
    ("ranks", pa.list_(pa.struct([("source", pa.string()), ("mode", pa.string()), ("content", pa.string()),
                                  ("date", pa.string()), ("rank", pa.int32())]))),
    ("split", pa.string()),
])


@dataclass
class Filters:
    rating: str = "all"
    ai: str = "include"
    min_bookmarks: int = 0
    since: date | None = None
    until: date | None = None
    tags: list[str] = field(default_factory=list)  # every one of them must be on the work
    types: list[str] = field(default_factory=lambda: ["illust", "manga", "ugoira"])
    #: only works this user bookmarked (a ``bookmarks`` row of theirs, public or private: the ``bookmarks`` spider)
    bookmarked_by: int | None = None
    #: only works of these users (their ``illusts.user_id``: the ``user`` spider, or any crawl that stored them)
    users: list[int] = field(default_factory=list)

    def check(self) -> None:
        if self.rating not in RATINGS:
            raise ValueError(f"--rating must be one of {', '.join(RATINGS)}, not {self.rating!r}")
        if self.ai not in AI:
            raise ValueError(f"--ai must be one of {', '.join(AI)}, not {self.ai!r}")
        unknown = set(self.types) - {"illust", "manga", "ugoira"}
        if unknown:
            raise ValueError(f"--type takes illust, manga, ugoira, not {', '.join(sorted(unknown))}")
        if self.bookmarked_by is not None and self.bookmarked_by < 1:
            raise ValueError(f"--bookmarked-by takes a pixiv user id, not {self.bookmarked_by}")
        if any(user < 1 for user in self.users):
            raise ValueError(f"--user takes pixiv user ids, not {', '.join(map(str, self.users))}")


def split_of(work_id: int, val_fraction: float) -> str:
    digest = hashlib.sha256(str(work_id).encode()).digest()
    return "validation" if int.from_bytes(digest[:8], "big") / 2**64 < val_fraction else "train"


def _query(filters: Filters) -> sa.Select:
    i, m, u = schema.illusts, schema.media, schema.users
    q = (sa.select(m.c.work_id, m.c.page, m.c.kind, m.c.path, m.c.url, m.c.size, m.c.width, m.c.height,
                   m.c.sha256, i.c.type, i.c.title, i.c.user_id, u.c.name.label("user_name"), i.c.x_restrict,
                   i.c.sanity_level, i.c.ai_type, i.c.total_bookmarks, i.c.total_view, i.c.create_date)
         .join(i, i.c.id == m.c.work_id).outerjoin(u, u.c.id == i.c.user_id)
         .where(m.c.status.in_(("downloaded", "converted")),
                m.c.kind.in_(("page", "ugoira_webp", "ugoira_apng", "ugoira_gif")),
                i.c.visible.is_(True), i.c.type.in_(filters.types), i.c.total_bookmarks >= filters.min_bookmarks)
         .order_by(m.c.work_id, m.c.kind, m.c.page))
    if RATINGS[filters.rating] is not None:
        q = q.where(i.c.x_restrict.in_(RATINGS[filters.rating]))
    if filters.ai == "exclude":
        q = q.where(sa.or_(i.c.ai_type.is_(None), i.c.ai_type != 2))
    elif filters.ai == "only":
        q = q.where(i.c.ai_type == 2)
    if filters.since:
        q = q.where(i.c.create_date >= datetime.combine(filters.since, datetime.min.time(), UTC))
    if filters.until:
        q = q.where(i.c.create_date < datetime.combine(filters.until + timedelta(days=1), datetime.min.time(),
                                                       UTC))
    for tag in filters.tags:
        q = q.where(sa.exists().where(schema.illust_tags.c.illust_id == i.c.id, schema.illust_tags.c.tag == tag))
    if filters.bookmarked_by is not None:
        b = schema.bookmarks
        q = q.where(sa.exists().where(b.c.user_id == filters.bookmarked_by, b.c.work_type == "illust",
                                      b.c.work_id == i.c.id))
    if filters.users:
        q = q.where(i.c.user_id.in_(filters.users))
    return q


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export(database_url: str, files_store: str | Path, out: str | Path, filters: Filters | None = None, *,
           shard_size: int = 1000, val_fraction: float = 0.05, webdataset: bool = True,
           progress: bool = True) -> dict[str, Any]:
    """Write the dataset of the database at ``database_url`` (SQLAlchemy URL) and the files under
    ``files_store`` into folder ``out``; returns the manifest. ValueError (one sentence naming the option) for
    filters or a ``val_fraction`` it cannot use."""
    filters = filters or Filters()
    filters.check()
    if not 0 <= val_fraction < 1:
        raise ValueError("--val-fraction must be at least 0 and below 1")
    store_root, out = Path(files_store), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows, tags, ranks = _read(database_url, filters)
    records = [_record(r, tags.get(r["work_id"], []), ranks.get(r["work_id"], []), val_fraction) for r in rows]
    table = pa.Table.from_pylist(records, schema=ROW_SCHEMA)
    pq.write_table(table, out / "metadata.parquet")
    manifest: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filters": {**filters.__dict__, "since": str(filters.since) if filters.since else None,
                    "until": str(filters.until) if filters.until else None},
        "val_fraction": val_fraction,
        "images": len(records), "works": len({r["work_id"] for r in rows}),
        "splits": {s: sum(1 for r in records if r["split"] == s) for s in ("train", "validation")},
        "files": {"metadata.parquet": {"sha256": _sha256_file(out / "metadata.parquet"), "rows": len(records)}},
        "missing_files": [],
    }
    if webdataset:
        _write_shards(records, store_root, out, shard_size, manifest, progress)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=str),
                                       encoding="utf-8")
    return manifest


def _read(database_url: str, filters: Filters) -> tuple[list[dict], dict[int, list[tuple[str, str | None]]],
                                                        dict[int, list[dict]]]:
    """The media rows the filters select (one per image, joined with its work and user), and each selected
    work's tags ``(name, translated name)`` in order and ranking positions, by work id."""
    store = Store(database_url)
    try:
        with store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(_query(filters))]
            work_ids = sorted({r["work_id"] for r in rows})
            tags: dict[int, list[tuple[str, str | None]]] = {}
            ranks: dict[int, list[dict]] = {}
            for chunk in (work_ids[n:n + 500] for n in range(0, len(work_ids), 500)):
                for wid, name, translated in conn.execute(_tags_query(chunk)):
                    tags.setdefault(wid, []).append((name, translated))
                for wid, source, mode, content, day, rank in conn.execute(_ranks_query(chunk)):
                    ranks.setdefault(wid, []).append({"source": source, "mode": mode, "content": content,
                                                      "date": str(day), "rank": rank})
    finally:
        store.dispose()
    return rows, tags, ranks


def _tags_query(work_ids: list[int]) -> sa.Select:
    t, it = schema.tags, schema.illust_tags
    return (sa.select(it.c.illust_id, it.c.tag, t.c.translated_name).join(t, t.c.name == it.c.tag, isouter=True)
            .where(it.c.illust_id.in_(work_ids)).order_by(it.c.illust_id, it.c.position))


def _ranks_query(work_ids: list[int]) -> sa.Select:
    rk = schema.rankings
    return (sa.select(rk.c.work_id, rk.c.source, rk.c.mode, rk.c.content, rk.c.date, rk.c.rank)
            .where(rk.c.work_type == "illust", rk.c.work_id.in_(work_ids))
            .order_by(rk.c.work_id, rk.c.date, rk.c.source, rk.c.mode, rk.c.content))


def _record(r: dict[str, Any], work_tags: list[tuple[str, str | None]], ranks: list[dict],
            val_fraction: float) -> dict[str, Any]:
    """One image's metadata row (:data:`ROW_SCHEMA`) from its media row, its work's tags and ranks."""
    return {
        "key": f"{r['work_id']}_{'p' + str(r['page']) if r['kind'] == 'page' else r['kind']}",
        "work_id": r["work_id"], "page": r["page"], "kind": r["kind"], "type": r["type"], "title": r["title"],
        "user_id": r["user_id"], "user_name": r["user_name"],
        "tags": [n for n, _ in work_tags], "tags_translated": [tr for _, tr in work_tags],
        "x_restrict": r["x_restrict"], "sanity_level": r["sanity_level"], "is_ai": r["ai_type"] == 2,
        "ai_type": r["ai_type"], "total_bookmarks": r["total_bookmarks"], "total_view": r["total_view"],
        "create_date": _aware(r["create_date"]), "width": r["width"], "height": r["height"], "size": r["size"],
        "sha256": r["sha256"], "path": r["path"], "url": r["url"], "ranks": ranks,
        "split": split_of(r["work_id"], val_fraction),
    }


def _write_shards(records: list[dict], store_root: Path, out: Path, shard_size: int, manifest: dict,
                  progress: bool) -> None:
    shards = out / "shards"
    shards.mkdir(exist_ok=True)
    for split in ("train", "validation"):
        members = [r for r in records if r["split"] == split]
        for n in range(0, len(members), shard_size):
            name = f"shards/{split}-{n // shard_size:06d}.tar"
            count = 0
            with tarfile.open(out / name, "w", format=tarfile.USTAR_FORMAT) as tar:
                for record in tqdm(members[n:n + shard_size], desc=name, unit="img", disable=not progress):
                    source = store_root / record["path"]
                    if not source.is_file():
                        manifest["missing_files"].append(record["path"])
                        continue
                    data = source.read_bytes()
                    ext = source.suffix.lstrip(".")
                    meta = json.dumps(record, ensure_ascii=False, default=str).encode()
                    for suffix, payload in ((ext, data), ("json", meta)):
                        info = tarfile.TarInfo(f"{record['key']}.{suffix}")
                        info.size, info.mtime, info.mode = len(payload), 0, 0o644
                        tar.addfile(info, io.BytesIO(payload))
                    count += 1
            manifest["files"][name] = {"sha256": _sha256_file(out / name), "images": count}
