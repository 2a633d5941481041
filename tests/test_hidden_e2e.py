"""Works pixiv hides (``POST /_replica/hide``), crawled by every spider family against the replica, into SQLite and
PostgreSQL: a hidden or placeholder record updates only ``visible`` and ``restriction`` of a stored work — its
title, caption, tags, pages, URLs, ``media`` rows and files, ugoira frames and text stay — and costs no webview,
ugoira metadata, detail or CDN request; a work first seen hidden is stored hidden, as pixiv gave it.

Expectations come from the replica's own world and models, never typed in.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from pixivcrawl.replica.commissions import Commissions
from pixivcrawl.replica.rankings import Rankings
from pixivcrawl.replica.search import Query, Search

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

ILLUST = ("title, caption, type, user_id, series_id, page_count, width, height, sanity_level, x_restrict, "
          "total_view, total_bookmarks, ugoira_zip_url, ugoira_frames, image_stamp")
NOVEL = ("title, caption, user_id, series_id, series_order, text_length, x_restrict, total_view, total_bookmarks, "
         "cover_url, text, language, image_stamp")
#: what a sub-request of a work looks like in the replica's request log: (path, query key naming the work)
SUB_REQUESTS = (("/v1/illust/detail", "illust_id"), ("/v1/ugoira/metadata", "illust_id"),
                ("/v2/novel/detail", "novel_id"), ("/webview/v2/novel", "id"))


def _in(ids) -> str:
    return ",".join(str(int(i)) for i in ids) or "0"


def _illust_state(db_url: str, ids) -> dict:
    """Everything a hidden record must leave as it was, per illust."""
    ids = _in(ids)
    return {
        "illusts": table_rows(db_url, f"select id, {ILLUST} from illusts where id in ({ids}) order by id"),
        "pages": table_rows(db_url, f"select * from illust_pages where illust_id in ({ids}) order by 1, 2"),
        "tags": table_rows(db_url, f"select * from illust_tags where illust_id in ({ids}) order by 1, 3"),
        "media": table_rows(db_url, "select work_id, kind, page, url, path, size, width, height, sha256, status "
                                    f"from media where work_id in ({ids}) order by 1, 2, 3"),
    }


def _novel_state(db_url: str, ids) -> dict:
    ids = _in(ids)
    return {
        "novels": table_rows(db_url, f"select id, {NOVEL} from novels where id in ({ids}) order by id"),
        "tags": table_rows(db_url, f"select * from novel_tags where novel_id in ({ids}) order by 1, 3"),
    }


def _visibility(db_url: str, table: str, ids) -> dict[int, tuple[bool, str | None]]:
    rows = table_rows(db_url, f"select id, visible, restriction from {table} where id in ({_in(ids)})")
    return {wid: (bool(visible), restriction) for wid, visible, restriction in rows}


def _files(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def _sub_requests(replica, ids) -> list[tuple[str, int]]:
    """Detail, ugoira metadata and novel text requests the replica saw for these works."""
    ids = {int(i) for i in ids}
    seen = []
    for r in replica.requests():
        for path, key in SUB_REQUESTS:
            wid = parse_qs(r["query"]).get(key, ["0"])[0]
            if r["path"] == path and int(wid) in ids:
                seen.append((path, int(wid)))
    return seen


def _cdn(replica) -> list[str]:
    return [r["path"] for r in replica.requests() if r["host"] in ("i.pximg.net", "s.pximg.net")
            and "/user-profile/" not in r["path"]]


def _hide(replica, illusts: dict | None = None, novels: dict | None = None) -> None:
    replica.control("hide", {"illusts": {str(k): v for k, v in (illusts or {}).items()},
                             "novels": {str(k): v for k, v in (novels or {}).items()}})


@pytest.fixture
def hiding_replica(replica):
    """The session's replica, on which a test may hide works: every one is shown again afterwards, so that the
    other tests of the session see the world as it was."""
    yield replica
    hidden = replica.control("hide")
    replica.control("hide", {key: dict.fromkeys(ids) for key, ids in hidden.items()})
    assert replica.control("hide") == {"illusts": {}, "novels": {}}


def _finished(result) -> None:
    assert result.returncode == 0 and result.stats.get("finish_reason") == "finished", result.output


def _hidden_visibility(hidden: dict, restriction_of=None) -> dict:
    """What ``visible, restriction`` become for works hidden the ways ``hidden`` names."""
    return {wid: (how == "visible_placeholder", restriction_of(how) if restriction_of else
                  ("sanity_level" if how == "visible_placeholder" else how)) for wid, how in hidden.items()}


# -- series ------------------------------------------------------------------------------------------

def _small_series_with_every_type(world):
    return min((s for s in world.illust_series.values()
                if {world.work(w).type for w in s.member_ids} == {"illust", "manga", "ugoira"}),
               key=lambda s: len(s.member_ids))


@coroutine_test
async def test_illust_series_hidden_after_download_keeps_record_and_files(hiding_replica, world, db_url, tmp_path):
    series = _small_series_with_every_type(world)
    members = series.member_ids
    first_of = {kind: next(w for w in members if world.work(w).type == kind) for kind in ("manga", "illust", "ugoira")}
    # a manga hidden after its pages were downloaded (its placeholder must not replace their media rows), a
    # visible work whose URLs became the sanity placeholder (case 07), an ugoira hidden (no metadata request)
    hidden = {first_of["manga"]: "mypixiv", first_of["illust"]: "visible_placeholder",
              first_of["ugoira"]: "sanity_level"}
    args = {"series_id": series.id}
    _finished(await run_crawl("illust_series", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path,
                              images=True))
    before, files = _illust_state(db_url, members), _files(tmp_path / "files")
    assert len(before["media"]) == sum(1 if world.work(w).type == "ugoira" else world.work(w).page_count
                                       for w in members) and files
    assert {m[9] for m in before["media"]} == {"downloaded"}

    _hide(hiding_replica, hidden)
    hiding_replica.clear()
    again = await run_crawl("illust_series", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path,
                            images=True)
    _finished(again)
    assert _illust_state(db_url, members) == before  # titles, captions, tags, pages, URLs, media rows, frames
    assert _files(tmp_path / "files") == files
    assert _visibility(db_url, "illusts", members) == {**dict.fromkeys(members, (True, None)),
                                                       **_hidden_visibility(hidden)}
    assert _sub_requests(hiding_replica, hidden) == [] and _cdn(hiding_replica) == []
    stats = again.stats
    assert (stats["pixiv/works/hidden"], stats["pixiv/works/hidden/sanity_level"], stats["pixiv/works/hidden/mypixiv"],
            stats["pixiv/items/hidden"], stats["pixiv/media/skipped_hidden"]) == (3, 2, 1, 3, 3)
    assert "pixiv/items/updated" not in stats and stats["pixiv/items/unchanged"] == len(members) - 3

    # pixiv shows them again: a whole record sets the restriction back to NULL, nothing else moved
    _hide(hiding_replica, dict.fromkeys(hidden))
    _finished(await run_crawl("illust_series", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path,
                              images=True))
    assert _visibility(db_url, "illusts", members) == dict.fromkeys(members, (True, None))
    assert _illust_state(db_url, members) == before and _files(tmp_path / "files") == files


@coroutine_test
async def test_novel_series_hidden_chapter_keeps_title_caption_tags_and_text(hiding_replica, world, db_url, tmp_path):
    """Case 05 on the replica: a chapter turned friends-only (blank title, caption and tags, text_length 0, its
    webview refused) keeps what was stored."""
    series = min((s for s in world.novel_series.values() if len(s.member_ids) >= 3), key=lambda s: len(s.member_ids))
    members = series.member_ids
    chapter = members[1]
    args = {"series_id": series.id}
    _finished(await run_crawl("novel_series", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path))
    before = _novel_state(db_url, members)
    assert all(row[11] for row in before["novels"]) and before["tags"]  # texts and tags stored

    _hide(hiding_replica, novels={chapter: "mypixiv"})
    hiding_replica.clear()
    again = await run_crawl("novel_series", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path)
    _finished(again)
    assert _novel_state(db_url, members) == before
    assert _visibility(db_url, "novels", members) == {**dict.fromkeys(members, (True, None)),
                                                      chapter: (False, "mypixiv")}
    webviews = [wid for path, wid in _sub_requests(hiding_replica, members) if path == "/webview/v2/novel"]
    assert sorted(webviews) == sorted(n for n in members if n != chapter)  # no webview for the hidden chapter
    assert (again.stats["pixiv/works/hidden/mypixiv"], again.stats["pixiv/items/hidden"]) == (1, 1)
    assert "pixiv/novels/text_missing" not in again.stats and "pixiv/items/updated" not in again.stats


@coroutine_test
async def test_works_first_seen_hidden_are_stored_hidden(hiding_replica, world, db_url, tmp_path):
    series = _small_series_with_every_type(world)
    ugoira = next(w for w in series.member_ids if world.work(w).type == "ugoira")
    manga = next(w for w in series.member_ids if world.work(w).type == "manga")
    novels = next(iter(world.novel_series.values()))
    chapter = novels.member_ids[2]
    _hide(hiding_replica, {ugoira: "unviewable", manga: "visible_placeholder"}, {chapter: "mypixiv"})
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=hiding_replica, db_url=db_url,
                             tmp_path=tmp_path, images=True)
    _finished(result)
    assert _visibility(db_url, "illusts", [ugoira, manga]) == {ugoira: (False, "unviewable"),
                                                               manga: (True, "sanity_level")}
    # what pixiv gave: the placeholder's blank title for one, the kept title for the other
    assert table_rows(db_url, f"select id, title from illusts where id in ({ugoira}, {manga}) order by id") == \
        sorted([(ugoira, ""), (manga, world.work_detail(manga).title)])
    state = _illust_state(db_url, [ugoira, manga])
    assert (state["pages"], state["tags"], state["media"]) == ([], [], [])  # no placeholder stored as a page or file
    others = [w for w in series.member_ids if w not in (ugoira, manga)]
    assert {r[0] for r in _illust_state(db_url, others)["pages"]} == set(others)  # the rest stored whole
    assert _sub_requests(hiding_replica, [ugoira, manga]) == []
    assert all(f"/{ugoira}_" not in p and f"/{manga}_" not in p and "/common/images/" not in p
               for p in _cdn(hiding_replica))
    assert (result.stats["pixiv/items/new"], result.stats["pixiv/items/hidden"]) == (len(series.member_ids), 2)

    novel_result = await run_crawl("novel_series", {"series_id": novels.id}, replica=hiding_replica, db_url=db_url,
                                   tmp_path=tmp_path)
    _finished(novel_result)
    assert table_rows(db_url, f"select title, text, text_length from novels where id = {chapter}") == [("", None, 0)]
    assert _visibility(db_url, "novels", [chapter]) == {chapter: (False, "mypixiv")}
    assert _novel_state(db_url, [chapter])["tags"] == []
    assert [wid for _, wid in _sub_requests(hiding_replica, novels.member_ids)].count(chapter) == 0


# -- search ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def few_results(world):
    """(tag, artworks found, novels found) of the search with the fewest results that still has every work type."""
    search = Search(world)
    best = None
    for tag in world.tags:
        works = search.results(Query(kind="artworks", word=tag.name, mode="all"))
        novels = search.results(Query(kind="novels", word=tag.name, mode="all"))
        every_type = {world.work(w).type for w in works} == {"illust", "manga", "ugoira"}
        if every_type and len(novels) >= 3 and (best is None or len(works) + len(novels) < len(best[1]) + len(best[2])):
            best = (tag.name, works, novels)
    return best


@pytest.mark.parametrize(("kind", "details"), [("artworks", "0"), ("artworks", "1"), ("novels", "1")])
@coroutine_test
async def test_search_hidden_hits_keep_what_was_stored(hiding_replica, world, few_results, tmp_path, kind, details):
    """A hidden hit is a masked thumbnail: no detail request even with details=1 (novels: no text either)."""
    db_url = f"sqlite:///{tmp_path / 'x.db'}"  # the same rows as the series tests write on both databases
    word, works, novels = few_results
    args = {"word": word, "type": kind, "details": details}
    if kind == "novels":
        ids, table, state = list(novels), "novels", _novel_state
        hidden = {novels[0]: "mypixiv", novels[1]: "unknown"}
        hide = {"novels": hidden}
    else:
        ids, table, state = list(works), "illusts", _illust_state
        by_type = {t: next(w for w in works if world.work(w).type == t) for t in ("manga", "illust", "ugoira")}
        hidden = {by_type["manga"]: "mypixiv", by_type["illust"]: "visible_placeholder",
                  by_type["ugoira"]: "sanity_level"}
        hide = {"illusts": hidden}
    _finished(await run_crawl("search", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path))
    before, hits = state(db_url, ids), table_rows(db_url, "select * from search_hits order by work_id")
    assert len(hits) == len(ids) and len(before[table]) == len(ids)

    _hide(hiding_replica, **hide)
    hiding_replica.clear()
    again = await run_crawl("search", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path)
    _finished(again)
    assert state(db_url, ids) == before
    # the hits are still recorded, hidden or not
    assert [h[:3] + h[4:6] for h in table_rows(db_url, "select * from search_hits order by work_id")] == \
        [h[:3] + h[4:6] for h in hits]
    # thumbnails carry no visible flag: a masked one or one with a placeholder is not shown; a whole record
    # (details=1) of a visible_placeholder work would say visible, but none is fetched for a hidden hit
    expected = {w: (False, "sanity_level" if how == "visible_placeholder" else how) for w, how in hidden.items()}
    # (the App API shows about one work in a hundred only as its sanity placeholder: with the crawl's cookie,
    # details=1 fetches those whole from the web, tests/test_recover_e2e.py)
    assert _visibility(db_url, table, ids) == {**dict.fromkeys(ids, (True, None)), **expected}
    assert _sub_requests(hiding_replica, hidden) == []
    if details == "1":  # every other hit had its whole record fetched again
        assert {wid for _, wid in _sub_requests(hiding_replica, ids)} == set(ids) - set(hidden)
    assert again.stats["pixiv/works/hidden"] == len(hidden)
    assert "pixiv/items/updated" not in again.stats


# -- ranking -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("api", "work"), [("web", "illust"), ("app", "illust"), ("app", "novel")])
@coroutine_test
async def test_ranking_hidden_entries_keep_what_was_stored(hiding_replica, world, tmp_path, api, work):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"  # the same rows as the series and commission tests write on both
    rankings = Rankings(world)
    day = rankings.latest - timedelta(days=1)
    if api == "web":
        args = {"mode": "daily", "date": day.isoformat(), "max_pages": "1"}
        ranked = rankings.ranked(day, "daily", "all")[:50]
    elif work == "illust":
        args = {"api": "app", "mode": "day", "date": day.isoformat(), "max_pages": "1"}
        ranked = rankings.ranked(day, "daily", "all")[:30]
    else:
        args = {"api": "app", "work": "novel", "mode": "day", "date": day.isoformat(), "max_pages": "1"}
        ranked = rankings.novels_ranked(day, "day")[:30]
    if work == "novel":
        table, state = "novels", _novel_state
        hidden = {ranked[0]: "mypixiv", ranked[3]: "r18"}
    else:
        table, state = "illusts", _illust_state
        ugoira = next((w for w in ranked if world.work(w).type == "ugoira"), ranked[1])
        hidden = {ranked[0]: "mypixiv", ugoira: "sanity_level", ranked[4]: "visible_placeholder"}
    _finished(await run_crawl("ranking", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path))
    before = state(db_url, ranked)
    positions = table_rows(db_url, "select rank, work_id, work_type from rankings order by rank")
    assert [p[1] for p in positions] == list(ranked)

    _hide(hiding_replica, **({"novels": hidden} if work == "novel" else {"illusts": hidden}))
    hiding_replica.clear()
    again = await run_crawl("ranking", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path)
    _finished(again)
    assert state(db_url, ranked) == before
    assert table_rows(db_url, "select rank, work_id, work_type from rankings order by rank") == positions
    # the App API's visible_placeholder says visible; ranking.php entries have no flag: a placeholder is not shown
    expected = {w: (api == "app" and how == "visible_placeholder",
                    "sanity_level" if how == "visible_placeholder" else how) for w, how in hidden.items()}
    assert _visibility(db_url, table, ranked) == {**dict.fromkeys(ranked, (True, None)), **expected}
    assert _sub_requests(hiding_replica, hidden) == []
    if api == "app" and work == "illust":  # the other ugoira of the page still got their frames
        others = [w for w in ranked if world.work(w).type == "ugoira" and w not in hidden]
        assert sorted(wid for _, wid in _sub_requests(hiding_replica, others)) == sorted(others)
    assert again.stats["pixiv/works/hidden"] == len(hidden) == again.stats["pixiv/items/hidden"]


# -- commission --------------------------------------------------------------------------------------

@coroutine_test
async def test_commission_hidden_thumbnails_keep_what_was_stored(hiding_replica, world, db_url, tmp_path):
    args = {"section": "complete", "type": "illust,manga", "max_pages": "1"}
    _finished(await run_crawl("commission", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path))
    ids = [r[0] for r in table_rows(db_url, "select id from illusts order by id")]
    posted = {r[0] for r in table_rows(db_url, "select post_work_id from commission_requests "
                                               "where post_work_id is not null")} & set(ids)
    assert len(posted) >= 2 and Commissions(world)  # the fulfilling works of the pages were stored
    before = _illust_state(db_url, ids)
    assert before["tags"]
    first, second = sorted(posted)[:2]
    hidden = {first: "mypixiv", second: "visible_placeholder"}

    _hide(hiding_replica, hidden)
    hiding_replica.clear()
    again = await run_crawl("commission", args, replica=hiding_replica, db_url=db_url, tmp_path=tmp_path)
    _finished(again)
    assert _illust_state(db_url, ids) == before
    expected = {w: (False, "sanity_level" if how == "visible_placeholder" else how) for w, how in hidden.items()}
    assert _visibility(db_url, "illusts", ids) == {**dict.fromkeys(ids, (True, None)), **expected}
    assert again.stats["pixiv/works/hidden"] == 2 and _cdn(hiding_replica) == []
