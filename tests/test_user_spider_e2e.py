"""The ``user`` spider end to end against the replica, into SQLite and PostgreSQL: the profile, every work whole,
``type``, ``tag``, ``series=1`` and incremental re-runs.

Expectations come from the replica's own world (pixivcrawl.replica.users, app_objects), never typed in.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from pixivcrawl.replica.app_objects import user_detail
from pixivcrawl.replica.users import illust_series_ids, novel_series_ids, user_novel_ids, user_work_ids

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

#: a user of the test world with two pages of works (ugoira among them), a page of novels and a novel series
USER = 5000007
#: a user with an illust series and a novel series
SERIES_USER = 5000018
#: the most prolific user of the test world: several pages of works
PROLIFIC = 5000000


def _log(replica, prefix: str = "/") -> list[tuple[str, dict]]:
    """(path, query) of every request the replica saw under ``prefix``."""
    return [(r["path"], {k: v[0] for k, v in parse_qs(r["query"]).items()}) for r in replica.requests()
            if r["path"].startswith(prefix)]


def _json(value):
    return value if not isinstance(value, str) else json.loads(value)


@coroutine_test
async def test_user_stores_the_profile_and_every_work_whole(replica, world, db_url, tmp_path):
    works, novels = user_work_ids(world, USER), user_novel_ids(world, USER)
    assert len(works) > 30 and 0 < len(novels) <= 30
    replica.clear()
    result = await run_crawl("user", {"user_id": USER}, replica=replica, db_url=db_url, tmp_path=tmp_path,
                             images=True)
    assert result.returncode == 0 and result.stats["finish_reason"] == "finished", result.output
    assert {r[0] for r in table_rows(db_url, "select id from illusts")} == set(works)
    assert table_rows(db_url, "select count(*) from illusts where incomplete is not null") == [(0,)]
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert pages == {wid: world.work(wid).page_count for wid in works}
    ugoira = [wid for wid in works if world.work(wid).type == "ugoira"]
    assert ugoira and all(_json(f) for (f,) in table_rows(db_url, "select ugoira_frames from illusts "
                                                                  "where type = 'ugoira'"))
    # downloaded like series members: every page, and each ugoira's frame zip
    media = table_rows(db_url, "select work_id, kind, count(*) from media where status = 'downloaded' "
                               "group by work_id, kind")
    assert sorted(media) == sorted((wid, "ugoira_zip" if wid in ugoira else "page",
                                    1 if wid in ugoira else world.work(wid).page_count) for wid in works)
    texts = dict(table_rows(db_url, "select id, text from novels"))
    assert texts == {nid: world.novel_detail(nid).text for nid in novels}

    # the user record holds the whole profile, as /v1/user/detail gave it
    expected = user_detail(world, USER)
    profile = expected["profile"]
    row = table_rows(db_url, "select name, comment, total_illusts, total_manga, total_novels, total_illust_series, "
                             "total_novel_series, total_follow_users, is_premium, birth_day, workspace, profile_raw, "
                             "profile_fetched_at from users")
    assert len(row) == 1
    name, comment, *counters, premium, birth_day, workspace, raw, fetched = row[0]
    assert (name, comment) == (expected["user"]["name"], expected["user"]["comment"])
    assert counters == [profile[k] for k in ("total_illusts", "total_manga", "total_novels", "total_illust_series",
                                             "total_novel_series", "total_follow_users")]
    assert (bool(premium), birth_day) == (profile["is_premium"], profile["birth_day"] or None)
    assert _json(workspace) == expected["workspace"] and set(_json(raw)) == {"profile", "profile_publicity",
                                                                             "workspace"}
    assert fetched is not None and result.stats["pixiv/user/profiles"] == 1

    # one profile request; every page of both listings (illusts and manga in one listing), each once
    log = _log(replica)
    assert [p for p, _ in log if p == "/v1/user/detail"] == ["/v1/user/detail"]
    listed = sorted((p, q.get("offset", "0"), q.get("type")) for p, q in log if p.startswith("/v1/user/"))
    assert listed == sorted([("/v1/user/detail", "0", None)]
                            + [("/v1/user/illusts", str(o), None) for o in range(0, len(works), 30)]
                            + [("/v1/user/novels", "0", None)])
    # the works came whole from the listings: no detail request, one metadata request per ugoira
    assert not [p for p, _ in log if p in ("/v1/illust/detail", "/v2/novel/detail")]
    assert sorted(int(q["illust_id"]) for p, q in log if p == "/v1/ugoira/metadata") == sorted(ugoira)


@coroutine_test
async def test_an_incremental_rerun_with_nothing_new_costs_two_requests(replica, world, db_url, tmp_path):
    first = await run_crawl("user", {"user_id": USER}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert first.stats["finish_reason"] == "finished", first.output
    before = table_rows(db_url, "select comment, total_illusts, profile_raw, profile_fetched_at from users")
    replica.clear()
    again = await run_crawl("user", {"user_id": USER, "incremental": "1"}, replica=replica, db_url=db_url,
                            tmp_path=tmp_path)
    assert again.stats["finish_reason"] == "finished", again.output
    # the first page of each listing: no profile, no second page, no ugoira metadata, no novel text
    assert sorted((p, q.get("offset", "0")) for p, q in _log(replica, "/v1/") + _log(replica, "/webview/")) == [
        ("/v1/user/illusts", "0"), ("/v1/user/novels", "0")]
    assert again.stats["pixiv/user/profiles_known"] == 1
    assert again.stats["pixiv/incremental/stopped_listings"] == 1  # the illusts listing had a second page
    assert again.stats["pixiv/items/unchanged"] == 30 + len(user_novel_ids(world, USER))
    # the work records' user (without a profile) left the stored profile as it was
    assert table_rows(db_url, "select comment, total_illusts, profile_raw, profile_fetched_at from users") == before


def _stored(db_url: str) -> tuple[list[tuple], list[tuple]]:
    """The works and their pages, as stored."""
    return (sorted(table_rows(db_url, "select id, type, title, page_count, user_id, incomplete from illusts")),
            sorted(table_rows(db_url, "select illust_id, page, original_url from illust_pages")))


@coroutine_test
async def test_pages_are_requested_at_once_and_store_what_walking_stores(replica, world, tmp_path):
    works = user_work_ids(world, PROLIFIC)
    pages = -(-len(works) // 30)
    assert pages >= 3
    walked_db, at_once_db = (f"sqlite:///{tmp_path / name}" for name in ("walked.db", "at_once.db"))
    # incremental=1 on an empty database walks next_url after next_url and stores every work: the reference
    walked = await run_crawl("user", {"user_id": PROLIFIC, "type": "illust,manga", "incremental": "1"},
                             replica=replica, db_url=walked_db, tmp_path=tmp_path)
    assert walked.stats["finish_reason"] == "finished", walked.output
    assert "pixiv/user/pages_requested_at_once" not in walked.stats
    replica.clear()
    result = await run_crawl("user", {"user_id": PROLIFIC, "type": "illust,manga"}, replica=replica,
                             db_url=at_once_db, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert {r[0] for r in table_rows(at_once_db, "select id from illusts")} == set(works)
    assert _stored(at_once_db) == _stored(walked_db)
    assert result.stats["pixiv/user/pages_requested_at_once"] == pages - 1
    # every page once, each scheduled from the profile's callback (its Referer), none from another page's
    listing = [r for r in replica.requests() if r["path"] == "/v1/user/illusts"]
    assert sorted(parse_qs(r["query"]).get("offset", ["0"])[0] for r in listing) == sorted(
        str(o) for o in range(0, len(works), 30))
    detail = [r for r in replica.requests() if r["path"] == "/v1/user/detail"]
    assert len(detail) == 1
    assert {r["referer"].split("?")[0] for r in listing} == {"https://app-api.pixiv.net/v1/user/detail"}


@coroutine_test
async def test_type_and_tag_pick_the_works(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    manga = user_work_ids(world, USER, "manga")
    counts: dict[str, int] = {}
    for wid in manga:
        for tag in world.work_tags(wid):
            counts[tag.name] = counts.get(tag.name, 0) + 1
    tag = max(counts, key=lambda name: (counts[name], name))
    tagged = [wid for wid in manga if tag in {t.name for t in world.work_tags(wid)}]
    assert 0 < len(tagged) < len(manga)
    replica.clear()
    # a user URL and the user's id name one user, crawled once
    result = await run_crawl("user", {"user_id": f"pixiv.net/users/{USER},{USER}", "type": "manga",
                                      "tag": tag.upper()}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(tagged)
    assert table_rows(db_url, "select count(*) from novels") == [(0,)]
    assert result.stats["pixiv/user/works_without_tag"] == len(manga) - len(tagged)
    assert {q.get("type") for p, q in _log(replica, "/v1/user/illusts")} == {"manga"}
    assert not _log(replica, "/v1/user/novels") and len(_log(replica, "/v1/user/detail")) == 1


@coroutine_test
async def test_series_are_crawled_whole(replica, world, db_url, tmp_path):
    illust_series, novel_series = illust_series_ids(world, SERIES_USER), novel_series_ids(world, SERIES_USER)
    assert illust_series and novel_series
    replica.clear()
    result = await run_crawl("user", {"user_id": f"https://www.pixiv.net/en/users/{SERIES_USER}/illustrations",
                                      "series": "1"}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert sorted(r[0] for r in table_rows(db_url, "select id from illust_series")) == sorted(illust_series)
    assert sorted(r[0] for r in table_rows(db_url, "select id from novel_series")) == sorted(novel_series)
    assert {r[0] for r in table_rows(db_url, "select id from illusts")} == set(user_work_ids(world, SERIES_USER))
    # every novel once, those of a series with their place in it (left to the series' crawl)
    in_series = {nid: order for sid in novel_series
                 for order, nid in enumerate(world.novel_series[sid].member_ids, 1)}
    stored = dict(table_rows(db_url, "select id, series_order from novels"))
    assert stored == {nid: in_series.get(nid) for nid in user_novel_ids(world, SERIES_USER)}
    assert table_rows(db_url, "select count(*) from novels where text is null") == [(0,)]
    assert result.stats["pixiv/user/series"] == len(illust_series) + len(novel_series)
    assert result.stats["pixiv/user/novels_left_to_series"] == len(in_series)
    assert [p for p, _ in _log(replica, "/ajax/user/")] == [f"/ajax/user/{SERIES_USER}/profile/all"]


@coroutine_test
async def test_a_user_who_left(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    assert world.user(1) is None
    result = await run_crawl("user", {"user_id": "1", "type": "illust"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert "User has left pixiv or the user ID does not exist." in result.output
    assert result.stats["pixiv/errors/http_404"] == 1
    assert table_rows(db_url, "select count(*) from users") == [(0,)]


@pytest.mark.parametrize(("args", "message"), [
    ({}, ("Argument user_id is required (user ids or URLs, separated by commas: "
         "`11,https://www.pixiv.net/users/12`).")),
    ({"user_id": "5000007,abc"},
     "Argument user_id takes a user id or a user URL like https://www.pixiv.net/users/123, not 'abc'."),
    ({"user_id": "https://www.pixiv.net/artworks/100000001"},
     ("Argument user_id takes a user id or a user URL like https://www.pixiv.net/users/123; "
     "https://www.pixiv.net/artworks/100000001 is an illust.")),
    ({"user_id": "5000007", "type": "illust,comic"},
     "Argument type must be one of illust, manga, novel, not 'comic'."),
    ({"user_id": "5000007", "tag": ""}, "Argument tag must not be empty."),
])
@coroutine_test
async def test_wrong_arguments_stop_at_start(replica, tmp_path, args, message):
    result = await run_crawl("user", args, replica=replica, db_url=f"sqlite:///{tmp_path / 'x.db'}",
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "bad_arguments" and message in result.output
