"""The ``work`` spider end to end against the replica, into SQLite and PostgreSQL: single works by id, URL and
ids file, each stored whole (pages, tags, user, ugoira frames, novel text, files) without its series; deleted
works counted and the crawl going on; incremental re-runs that cost one detail request per work.

Expectations come from the World the replica serves."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

#: an id no world holds (the replica answers pixiv's 404, as for a deleted work)
DELETED = 99_999_999


def _pick(world):
    """A manga in a series, an ugoira, and a novel in a series, from the world."""
    manga = next(w for w in world.works if w.series_id is not None and w.type == "manga")
    ugoira = next(w for w in world.works if w.type == "ugoira")
    novel = next(n for n in world.novels if n.series_id is not None)
    return manga, ugoira, novel


def _paths(replica) -> list[tuple[str, int]]:
    """(path, id) of every App API request the replica saw."""
    seen = []
    for r in replica.requests():
        if r["host"] != "app-api.pixiv.net":
            continue
        query = parse_qs(r["query"])
        ident = (query.get("illust_id") or query.get("novel_id") or query.get("id") or ["0"])[0]
        seen.append((r["path"], int(ident)))
    return seen


@coroutine_test
async def test_single_works_by_id_and_url_are_stored_whole_without_their_series(replica, world, db_url, tmp_path):
    manga, ugoira, novel = _pick(world)
    replica.clear()
    args = {"illust_id": f"{manga.id},https://www.pixiv.net/en/artworks/{ugoira.id}",
            "novel_id": f"https://www.pixiv.net/novel/show.php?id={novel.id}"}
    result = await run_crawl("work", args, replica=replica, db_url=db_url, tmp_path=tmp_path, images=True)
    assert result.returncode == 0, result.output
    assert result.stats["pixiv/exit_code"] == 0
    assert result.stats["pixiv/work/requested"] == 3

    assert sorted(table_rows(db_url, "select id, page_count from illusts")) == \
        sorted([(manga.id, manga.page_count), (ugoira.id, 1)])
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert pages == {manga.id: manga.page_count, ugoira.id: 1}
    tags = [r[0] for r in table_rows(db_url, f"select tag from illust_tags where illust_id = {manga.id} "
                                             "order by position")]
    assert tags == [t.name for t in world.work_detail(manga.id).tags]
    frames = table_rows(db_url, f"select ugoira_frames from illusts where id = {ugoira.id}")[0][0]
    frames = frames if isinstance(frames, list) else json.loads(frames)
    assert [f["delay"] for f in frames] == list(world.work_detail(ugoira.id).frames)
    assert table_rows(db_url, "select id, text from novels") == [(novel.id, world.novel_detail(novel.id).text)]
    assert sorted(r[0] for r in table_rows(db_url, "select id from users")) == \
        sorted({manga.user_id, ugoira.user_id, novel.user_id})
    # the files: every page of the manga and the ugoira's zip
    media = table_rows(db_url, "select work_id, count(*) from media group by work_id")
    assert dict(media) == {manga.id: manga.page_count, ugoira.id: 1}

    # one detail per work, the ugoira's metadata, the novel's text; no series listing
    assert sorted(_paths(replica)) == sorted([
        ("/v1/illust/detail", manga.id), ("/v1/illust/detail", ugoira.id),
        ("/v1/ugoira/metadata", ugoira.id), ("/v2/novel/detail", novel.id), ("/webview/v2/novel", novel.id)])


@coroutine_test
async def test_ids_file_and_a_deleted_work(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    manga, ugoira, novel = _pick(world)
    ids = tmp_path / "works.txt"
    ids.write_text(f"# works to keep\n{manga.id}\n\nhttps://www.pixiv.net/artworks/{DELETED}  # gone\n"
                   f"https://i.pximg.net/img-zip-ugoira/img/2024/01/02/03/04/05/{ugoira.id}_ugoira600x600.zip\n"
                   f"https://www.pixiv.net/novel/show.php?id={novel.id}\n", encoding="utf-8")
    result = await run_crawl("work", {"ids_file": str(ids)}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.returncode == 0, result.output
    # the deleted work is logged and counted; the others are stored; the crawl reports its loss
    assert f"illust {DELETED}: pixiv answered HTTP 404" in result.output
    assert result.stats["pixiv/errors/http_404"] == 1
    assert result.stats["pixiv/exit_code"] == 3
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted([manga.id, ugoira.id])
    assert table_rows(db_url, "select id from novels where text is not null") == [(novel.id,)]


@coroutine_test
async def test_a_crawl_of_only_deleted_works_exits_non_zero(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("work", {"illust_id": str(DELETED), "novel_id": str(DELETED)}, replica=replica,
                             db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/errors/http_404"] == 2
    assert result.stats["pixiv/exit_code"] == 3
    assert "Crawl summary: finished with losses" in result.output


@coroutine_test
async def test_incremental_rerun_costs_one_detail_request_per_work(replica, world, db_url, tmp_path):
    _, ugoira, novel = _pick(world)
    args = {"illust_id": str(ugoira.id), "novel_id": str(novel.id)}
    first = await run_crawl("work", args, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert first.returncode == 0 and first.stats["pixiv/exit_code"] == 0, first.output
    replica.clear()
    second = await run_crawl("work", {**args, "incremental": "1"}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert second.stats["pixiv/exit_code"] == 0, second.output
    assert sorted(_paths(replica)) == \
        sorted([("/v1/illust/detail", ugoira.id), ("/v2/novel/detail", novel.id)])
    assert second.stats["pixiv/items/unchanged"] == 2
    # the frames and the text the first run stored stay
    assert table_rows(db_url, f"select ugoira_frames is not null from illusts where id = {ugoira.id}") == [(True,)]
    assert table_rows(db_url, "select text from novels") == [(world.novel_detail(novel.id).text,)]


@coroutine_test
async def test_a_url_of_another_kind_stops_the_crawl_at_start(replica, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    replica.clear()
    result = await run_crawl("work", {"illust_id": "https://www.pixiv.net/users/5000000"}, replica=replica,
                             db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "bad_arguments"
    assert ("Argument illust_id takes an illust id or an artworks URL like https://www.pixiv.net/artworks/123; "
            "https://www.pixiv.net/users/5000000 is a user.") in result.output
    assert replica.requests() == []
