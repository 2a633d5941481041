"""``pixivcrawl export`` from a real crawl's database and files: Parquet, WebDataset shards, manifest."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile

import pyarrow.parquet as pq
import pytest

from pixivcrawl.export import split_of
from pixivcrawl.items import BookmarkItem

from .components.helpers import store_items
from .conftest import crawl_env, run_crawl_blocking, table_rows


@pytest.fixture(scope="module")
def crawled(replica, world, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    db_url = f"sqlite:///{tmp / 'x.db'}"
    series = list(world.illust_series.values())[:2]
    for s in series:
        result = run_crawl_blocking("illust_series", {"series_id": s.id}, replica=replica, db_url=db_url,
                                    tmp_path=tmp, settings={"PIXIV_UGOIRA_FORMAT": "webp"}, images=True)
        assert result.stats["finish_reason"] == "finished", result.output
    run_crawl_blocking("ranking", {"mode": "weekly", "content": "manga"}, replica=replica, db_url=db_url, tmp_path=tmp)
    return tmp, db_url


def _export(tmp, db_url, out, *extra):
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "export", str(out), "--database-url", db_url,
                           "--files-store", str(tmp / "files"), "--shard-size", "100", *extra],
                          env=crawl_env(tmp), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "manifest.json").read_text())


def test_export_everything(crawled, world):
    tmp, db_url = crawled
    out = tmp / "all"
    manifest = _export(tmp, db_url, out)
    images = table_rows(db_url, "select count(*) from media where status in ('downloaded', 'converted') "
                                "and kind in ('page', 'ugoira_webp')")[0][0]
    table = pq.read_table(out / "metadata.parquet")
    assert table.num_rows == images == manifest["images"] and manifest["missing_files"] == []
    rows = table.to_pylist()
    for row in rows[:50]:
        assert row["tags"] == [t.name for t in world.work_detail(row["work_id"]).tags]
        assert row["split"] == split_of(row["work_id"], 0.05)
        assert row["sha256"] == hashlib.sha256((tmp / "files" / row["path"]).read_bytes()).hexdigest()
    assert {r["split"] for r in rows} <= {"train", "validation"}
    assert sum(1 for r in rows if r["split"] == "train") == manifest["splits"]["train"]
    ranked = [r for r in rows if r["ranks"]]
    assert all(r["ranks"][0]["mode"] == "weekly" for r in ranked)
    # shards: every image with its JSON, checksums as in the manifest
    in_shards = 0
    for name, info in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"]
        if name.endswith(".tar"):
            with tarfile.open(out / name) as tar:
                names = tar.getnames()
                assert len(names) == 2 * info["images"]
                first = json.loads(tar.extractfile(names[1]).read())
                image = tar.extractfile(names[0]).read()
                assert hashlib.sha256(image).hexdigest() == first["sha256"]
            in_shards += info["images"]
    assert in_shards == images


def test_export_filters_and_loads_with_datasets(crawled, world):
    tmp, db_url = crawled
    out = tmp / "filtered"
    manifest = _export(tmp, db_url, out, "--rating", "safe", "--ai", "exclude", "--min-bookmarks", "50",
                       "--type", "manga", "--no-webdataset")
    rows = pq.read_table(out / "metadata.parquet").to_pylist()
    assert rows and len(rows) == manifest["images"]
    for row in rows:
        detail = world.work_detail(row["work_id"])
        assert row["type"] == "manga" and row["x_restrict"] == 0 and detail.ai_type != 2
        assert row["total_bookmarks"] >= 50
    assert not (out / "shards").exists()
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    from datasets import load_dataset

    loaded = load_dataset("parquet", data_files=str(out / "metadata.parquet"), split="train",
                          cache_dir=str(tmp / "hf-cache"))
    assert loaded.num_rows == len(rows) and loaded[0]["work_id"] == rows[0]["work_id"]


def test_export_refuses_bad_filters(crawled):
    tmp, db_url = crawled
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "export", str(tmp / "x"), "--database-url", db_url,
                           "--rating", "spicy"], env=crawl_env(tmp), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--rating must be one of all, safe, r18, r18g, nsfw, not 'spicy'" in proc.stderr


def test_export_options_offer_exactly_the_filters_values(capsys, tmp_path):
    """``--rating``/``--ai`` are argparse choices (shown in the usage) with the export's own values; a wrong one is
    refused before anything is read, with the same one sentence."""
    from pixivcrawl import export
    from pixivcrawl.cli import export as export_cli, main

    assert tuple(export.RATINGS) == export_cli.RATINGS and export_cli.AI == export.AI
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(tmp_path / "out"), "--ai", "sometimes"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "[--ai {include,exclude,only}]" in err
    assert err.rstrip().endswith("--ai must be one of include, exclude, only, not 'sometimes'")
    assert not (tmp_path / "out").exists()


def test_export_keeps_the_works_a_user_bookmarked(crawled):
    tmp, db_url = crawled
    works = [r[0] for r in table_rows(db_url, "select distinct work_id from media where kind = 'page' "
                                              "order by work_id")]
    reader, other = 5000009, 5000010
    chosen, elsewhere = works[:3], works[3:5]
    store_items(db_url, *(BookmarkItem(user_id=reader, work_type="illust", work_id=w, restrict=r, position=n)
                          for n, (w, r) in enumerate(zip(chosen, ("public", "private", "public"), strict=True))),
                *(BookmarkItem(user_id=other, work_type="illust", work_id=w, restrict="public") for w in elsewhere),
                BookmarkItem(user_id=reader, work_type="novel", work_id=elsewhere[0], restrict="public"))
    out = tmp / "bookmarked"
    manifest = _export(tmp, db_url, out, "--bookmarked-by", f"https://www.pixiv.net/users/{reader}/bookmarks/artworks",
                       "--no-webdataset")
    rows = pq.read_table(out / "metadata.parquet").to_pylist()
    assert {r["work_id"] for r in rows} == set(chosen) and manifest["filters"]["bookmarked_by"] == reader
    pages = table_rows(db_url, "select count(*) from media where kind in ('page', 'ugoira_webp') and status in "
                               f"('downloaded', 'converted') and work_id in ({', '.join(map(str, chosen))})")[0][0]
    assert len(rows) == manifest["images"] == pages
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "export", str(tmp / "y"), "--database-url", db_url,
                           "--bookmarked-by", "https://www.pixiv.net/artworks/1"], env=crawl_env(tmp),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert ("Argument --bookmarked-by takes a user id or a user URL like https://www.pixiv.net/users/123; "
            "https://www.pixiv.net/artworks/1 is an illust." in proc.stderr)


def test_export_keeps_the_works_of_the_users_given(crawled):
    tmp, db_url = crawled
    owners = table_rows(db_url, "select i.user_id, count(distinct m.work_id) from media m join illusts i on "
                                "i.id = m.work_id where m.kind = 'page' and m.status = 'downloaded' group by i.user_id "
                                "order by i.user_id")
    assert len(owners) >= 2
    (first, _), (second, _) = owners[0], owners[1]
    out = tmp / "by_user"
    manifest = _export(tmp, db_url, out, "--user", f"{first},https://www.pixiv.net/users/{second}/illustrations",
                       "--no-webdataset")
    rows = pq.read_table(out / "metadata.parquet").to_pylist()
    assert rows and {r["user_id"] for r in rows} == {first, second} and manifest["filters"]["users"] == [first, second]
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "export", str(tmp / "z"), "--database-url", db_url,
                           "--user", "https://www.pixiv.net/novel/show.php?id=5"], env=crawl_env(tmp),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Argument --user takes a user id or a user URL" in proc.stderr
    assert not (tmp / "z").exists()
