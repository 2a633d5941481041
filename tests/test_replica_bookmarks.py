"""The replica's bookmarks (pixivcrawl.replica.bookmarks): the world's users' bookmarks, deterministic, newest first,
public and private; and ``/v1/user/bookmarks/{illust,novel}`` paging them by ``max_bookmark_id`` as pixiv does, with
pixiv's errors. (Their key trees against the captures: tests/test_replica_shapes.py.)"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from pixivcrawl.replica.bookmarks import BOOKMARK_PAGE_SIZE, LARGE_LIST, Bookmarks
from pixivcrawl.replica.world import USER_BASE, World

from .test_replica_behaviour import OAUTH_ERROR

ME = USER_BASE  # account 0's user: the bearer of ``auth``


@pytest.fixture(scope="module")
def model(world) -> Bookmarks:
    return Bookmarks(world)


@pytest.fixture(scope="module")
def auth(replica) -> dict:
    return {"Authorization": f"Bearer {replica.token()}"}


def _walk(replica, auth, kind: str, **params) -> tuple[list[int], list[dict]]:
    """Every work of a bookmark list, page after page through ``next_url``, and each page's query."""
    path, works, queries = f"/v1/user/bookmarks/{kind}?{urlencode(params)}", [], []
    while path:
        status, body = replica.json(path, headers=auth)
        assert status == 200, body
        queries.append(dict(parse_qsl(urlsplit(path).query)))
        assert len(body[f"{kind}s"]) <= BOOKMARK_PAGE_SIZE
        works += [work["id"] for work in body[f"{kind}s"]]
        url = body["next_url"]
        path = None if url is None else url.split("app-api.pixiv.net", 1)[1]
    return works, queries


def test_the_worlds_bookmarks_are_drawn_once_and_alike_everywhere(world, model):
    again = Bookmarks(World(seed=world.seed, works=world.n_works))
    for uid in (ME, ME + 1, ME + 7):
        for kind in ("illust", "novel"):
            for restrict in ("public", "private"):
                marks = model.of(uid, kind, restrict)
                assert marks == again.of(uid, kind, restrict)
                assert [b.id for b in marks] == sorted((b.id for b in marks), reverse=True)  # newest first
                assert all(b.restrict == restrict and len(b.tags) <= 2 for b in marks)
    # the sizes the module promises; nobody bookmarks their own works, nor one work twice
    sizes = {(kind, r): len(model.of(ME, kind, r)) for kind in ("illust", "novel") for r in ("public", "private")}
    assert sizes == {("illust", "public"): 75, ("illust", "private"): 35, ("novel", "public"): 40,
                     ("novel", "private"): 12}
    assert len(model.of(ME + 1, "illust", "public")) == min(LARGE_LIST, world.n_works // 3)
    mine = model.of(ME, "illust", "public") + model.of(ME, "illust", "private")
    assert len({b.work_id for b in mine}) == len(mine)
    assert all(world.work(b.work_id).user_id != ME for b in mine)
    assert model.of(1, "illust", "public") == ()  # a user the world lacks


def test_pages_follow_the_cursor_to_the_end(replica, auth, model):
    works, queries = _walk(replica, auth, "illust", user_id=ME, restrict="public", filter="for_ios")
    marks = model.of(ME, "illust", "public")
    assert works == [b.work_id for b in marks]
    # next_url keeps the request's own query and moves max_bookmark_id to the next page's first bookmark
    assert [q.get("max_bookmark_id") for q in queries] == [None, str(marks[30].id), str(marks[60].id)]
    assert all((q["user_id"], q["restrict"], q["filter"]) == (str(ME), "public", "for_ios") for q in queries)
    novels, _ = _walk(replica, auth, "novel", user_id=ME, restrict="private")
    assert novels == [b.work_id for b in model.of(ME, "novel", "private")]


def test_a_tag_narrows_the_list(replica, auth, model):
    other = ME + 3
    marks = model.of(other, "illust", "public")
    tag = max({t for b in marks for t in b.tags}, key=lambda t: (sum(t in b.tags for b in marks), t))
    works, queries = _walk(replica, auth, "illust", user_id=other, tag=tag)
    assert works == [b.work_id for b in marks if tag in b.tags] and all(q["tag"] == tag for q in queries)


def test_private_bookmarks_are_the_accounts_own(replica, auth, model):
    works, _ = _walk(replica, auth, "illust", user_id=ME, restrict="private")
    assert works == [b.work_id for b in model.of(ME, "illust", "private")]
    status, body = replica.json(f"/v1/user/bookmarks/illust?user_id={ME + 1}&restrict=private", headers=auth)
    assert (status, body["error"]["user_message"]) == (403, "Your access is currently restricted.")
    assert set(body["error"]) == {"user_message", "message", "reason", "user_message_details"}


@pytest.mark.parametrize(("query", "status", "message"), [
    (f"user_id={ME}&restrict=hidden", 400, '{"restrict":["restrict contains invalid value"]}'),
    ("restrict=public", 400, '{"user_id":["User Id is required"]}'),
    ("user_id=abc", 400, '{"user_id":["User Id must be an integer (0-9)"]}'),
])
def test_pixivs_errors(replica, auth, query, status, message):
    got, body = replica.json(f"/v1/user/bookmarks/novel?{query}", headers=auth)
    assert (got, body["error"]["message"]) == (status, message)


def test_a_user_the_world_lacks_has_none_and_the_bearer_is_checked(replica, auth):
    assert replica.json("/v1/user/bookmarks/illust?user_id=1", headers=auth) == (200, {"illusts": [],
                                                                                       "next_url": None})
    status, body = replica.json(f"/v1/user/bookmarks/illust?user_id={ME}")
    assert status == 400 and body["error"]["message"] == OAUTH_ERROR + "invalid_request"
    requests = [r for r in replica.requests() if r["path"] == "/v1/user/bookmarks/illust"]
    assert requests[-2]["account"] == ME  # the request log names the asking account
