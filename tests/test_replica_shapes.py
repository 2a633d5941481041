"""The replica answers with the key trees and value types of pixiv's real captures (tests/fixtures)."""

from __future__ import annotations

import pytest

from pixivcrawl.parsers.app_api import parse_webview_novel
from pixivcrawl.protocol import CLIENT_ID, CLIENT_SECRET
from pixivcrawl.replica.world import USER_BASE

from .captures import FIXTURES, load_fixture
from .shapes import compare, key_tree

#: fields that newer captures document (pixivpy's 2025 dumps, the protocol notes) but 2019-2020 doc-extracts lack
NEWER_ILLUST_FIELDS = frozenset({"illust_ai_type", "illust_book_style", "restriction_attributes"})
NEWER_NOVEL_FIELDS = frozenset({"novel_ai_type"})


def _first_series_member(world, kind: str) -> tuple[int, int]:
    series = world.illust_series if kind == "illust" else world.novel_series
    first = next(iter(series.values()))
    return first.id, first.member_ids[0]


@pytest.fixture(scope="module")
def bearer(replica) -> dict:
    return {"Authorization": f"Bearer {replica.token()}"}


def _assert_same_shape(replica_value, fixture_value, extra_ok=frozenset()):
    problems = compare(key_tree(replica_value), key_tree(fixture_value), extra_ok)
    assert problems == []


def _ugoira_id(world) -> int:
    return next(w.id for w in world.works if w.type == "ugoira")


@pytest.mark.parametrize("fixture", [
    "app-api/v1_illust_detail/pixivpy__126839540.json",
    "app-api/v1_illust_detail/anowlbear.json",
])
def test_illust_detail(replica, world, bearer, fixture):
    wid = next(w.id for w in world.works if w.page_count == 1)
    status, body = replica.json(f"/v1/illust/detail?illust_id={wid}", headers=bearer)
    assert status == 200
    extra = frozenset({"total_comments", "comment_access_control"}) | NEWER_ILLUST_FIELDS
    _assert_same_shape(body, load_fixture(fixture), extra)


def test_illust_detail_multi_page_matches_capture(replica, world, bearer):
    wid = next(w.id for w in world.works if w.page_count == 3)
    status, body = replica.json(f"/v1/illust/detail?illust_id={wid}", headers=bearer)
    assert status == 200
    # a multi-page work: meta_single_page is {} and meta_pages lists every page, as in the series capture
    capture = load_fixture("app-api/v1_illust_series/anowlbear.json")["illust_series_first_illust"]
    _assert_same_shape(body["illust"]["meta_pages"], capture["meta_pages"])
    assert body["illust"]["meta_single_page"] == {} and len(body["illust"]["meta_pages"]) == 3


def test_illust_series(replica, world, bearer):
    sid, _ = _first_series_member(world, "illust")
    status, body = replica.json(f"/v1/illust/series?illust_series_id={sid}&filter=for_android", headers=bearer)
    assert status == 200
    # the capture's works are all multi-page (meta_single_page {}); single-page works carry
    # meta_single_page.original_image_url as in the illust detail capture
    _assert_same_shape(body, load_fixture("app-api/v1_illust_series/anowlbear.json"),
                       NEWER_ILLUST_FIELDS | {"original_image_url"})
    assert len(body["illusts"]) == 30 and "offset=30" in body["next_url"]


def test_illust_series_illust(replica, world, bearer):
    _, wid = _first_series_member(world, "illust")
    second = world.illust_series[_first_series_member(world, "illust")[0]].member_ids[1]
    status, body = replica.json(f"/v1/illust-series/illust?illust_id={second}", headers=bearer)
    assert status == 200
    _assert_same_shape(body, load_fixture("app-api/v1_illust-series_illust/anowlbear.json"), NEWER_ILLUST_FIELDS)
    assert body["illust_series_context"]["prev"]["id"] == wid


def test_novel_series(replica, world, bearer):
    sid, _ = _first_series_member(world, "novel")
    status, body = replica.json(f"/v2/novel/series?series_id={sid}", headers=bearer)
    assert status == 200
    _assert_same_shape(body, load_fixture("app-api/v2_novel_series/anowlbear.json"), NEWER_NOVEL_FIELDS)


def test_novel_detail(replica, world, bearer):
    _, nid = _first_series_member(world, "novel")
    status, body = replica.json(f"/v2/novel/detail?novel_id={nid}", headers=bearer)
    assert status == 200
    _assert_same_shape(body, load_fixture("app-api/v2_novel_detail/anowlbear.json"), NEWER_NOVEL_FIELDS)


def test_ugoira_metadata(replica, world, bearer):
    status, body = replica.json(f"/v1/ugoira/metadata?illust_id={_ugoira_id(world)}", headers=bearer)
    assert status == 200
    _assert_same_shape(body, load_fixture("app-api/v1_ugoira_metadata/pixko__126473222.json"))


@pytest.mark.parametrize("fixture", [
    "app-api/webview_v2_novel/pixiv-shaft__21688446.novel.json",
    "app-api/webview_v2_novel/pixko__19713880.novel.json",
])
def test_webview_novel_object(replica, world, bearer, fixture):
    _, nid = _first_series_member(world, "novel")
    status, _, html = replica.call(f"/webview/v2/novel?id={nid}&viewer_version=20221031_ai", headers=bearer)
    assert status == 200
    text = html.decode()
    # both parsers known in the wild find the object: pixivpy's (…, isOwnWork) and gallery-dl's (up to ",\n")
    assert ",\n            isOwnWork" in text
    webview = parse_webview_novel(text)
    _assert_same_shape({**webview.raw, "text": webview.text}, load_fixture(fixture))


@pytest.mark.parametrize("fixture", sorted(
    path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob("app-api/v1_user_detail/*.json")))
def test_user_detail(replica, world, bearer, fixture):
    uid = world.works[0].user_id
    status, body = replica.json(f"/v1/user/detail?user_id={uid}&filter=for_ios", headers=bearer)
    assert status == 200 and body["user"]["id"] == uid
    _assert_same_shape(body, load_fixture(fixture))


def _refresh(replica, refresh_token: str):
    form = (f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=refresh_token"
            f"&refresh_token={refresh_token}").encode()
    return replica.json("/auth/token", host="oauth.secure.pixiv.net", data=form)


def test_oauth_token(replica):
    status, body = _refresh(replica, "replica-refresh-token-1")
    assert status == 200
    capture = load_fixture("app-api/oauth_auth_token/everpcpc__refresh_token.json")
    _assert_same_shape({"response": body["response"]}, capture, frozenset({"require_policy_agreement"}))
    top = {k: v for k, v in body.items() if k != "response"}
    assert key_tree(top) == key_tree(body["response"])  # both copies, as pixiv sends them
    assert body["expires_in"] == 3600 and isinstance(body["user"]["id"], str)


def test_oauth_rejects_bad_refresh_token(replica):
    status, body = _refresh(replica, "not-a-token")
    assert status == 400
    capture = load_fixture("app-api/oauth_auth_token/everpcpc__error_invalid_refresh_token.json")
    _assert_same_shape(body, capture, frozenset({"error"}))
    assert body["errors"]["system"]["message"] == "Invalid refresh token" and body["error"] == "invalid_grant"


def test_app_rankings(replica, bearer):
    status, body = replica.json("/v1/illust/ranking?mode=day&filter=for_ios", headers=bearer)
    assert status == 200 and len(body["illusts"]) == 30 and "offset=30" in body["next_url"]
    _assert_same_shape(body, load_fixture("app-api/v1_illust_ranking/pixivpy__day_2025-02-04.json"))
    status, body = replica.json("/v1/novel/ranking?mode=day", headers=bearer)
    assert status == 200 and body["novels"]
    capture = load_fixture("app-api/v1_novel_ranking/anowlbear.json")
    for novel in capture["novels"]:
        novel.pop("etc", None)  # the doc-extract's "etc": "etc" placeholder (INDEX.md)
    # the capture's novels are all outside series ({}); series members carry {id, title} as in the series capture
    body["novels"] = [n for n in body["novels"] if n["series"] == {}]
    assert body["novels"]
    _assert_same_shape(body, capture, NEWER_NOVEL_FIELDS)


def test_compare_catches_a_missing_key():
    """The comparison itself can fail: a dropped key and a changed type are reported."""
    capture = {"illust": {"id": 1, "title": "a", "tags": [{"name": "x", "translated_name": None}]}}
    broken = {"illust": {"id": "1", "tags": [{"name": "x"}]}}
    problems = compare(key_tree(broken), key_tree(capture))
    assert "$.illust.title: missing in the replica" in problems
    assert "$.illust.id: replica has str, capture has int" in problems
    assert "$.illust.tags[].translated_name: missing in the replica" in problems


#: keys the Go client's structs add when they re-serialise an answer (PROVENANCE.json: everpcpc's captures are
#: "RE-SERIALIZED by Go structs (null->"", extra keys)"): pixiv's list objects do not carry them
GO_STRUCT_KEYS = {"total_comments": (), "original": ("image_urls",), "comment": ("user",)}


def _without_go_struct_keys(work: dict) -> dict:
    for key, parents in GO_STRUCT_KEYS.items():
        holder = work
        for parent in parents:
            holder = holder[parent]
        holder.pop(key, None)
    return work


@pytest.mark.parametrize("fixture", sorted(
    path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob("app-api/v1_user_bookmarks_*/*.json")))
def test_user_bookmarks(replica, bearer, fixture):
    kind = "novel" if "bookmarks_novel" in fixture else "illust"
    key = f"{kind}s"
    # account 0's user (the bearer's) has more than a page of each
    status, body = replica.json(f"/v1/user/bookmarks/{kind}?user_id={USER_BASE}&restrict=public&filter=for_ios",
                                headers=bearer)
    assert status == 200 and body[key] and "&max_bookmark_id=" in body["next_url"]
    capture = load_fixture(fixture)
    capture[key] = [work for work in capture[key] if work != {"etc": "etc"}]  # a doc-extract's placeholder
    if "everpcpc" in fixture:
        capture[key] = [_without_go_struct_keys(work) for work in capture[key]]
    if kind == "novel":  # the capture's novel is in no series ({}); members carry {id, title} (series capture)
        body[key] = [novel for novel in body[key] if novel["series"] == {}]
        assert body[key]
    _assert_same_shape(body, capture, NEWER_ILLUST_FIELDS | NEWER_NOVEL_FIELDS)


#: the answer's ``user``: the protocol notes (§2.3) and pixiv's answers since 2021 list it; the 2020 captures lack it
NEWER_USER_WORKS_FIELDS = frozenset({"user"})


@pytest.mark.parametrize("fixture", sorted(
    path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob("app-api/v1_user_illusts/*.json")))
def test_user_illusts(replica, world, bearer, fixture):
    uid = max(world.users, key=lambda u: len(world.users[u].work_ids))
    status, body = replica.json(f"/v1/user/illusts?user_id={uid}&filter=for_ios", headers=bearer)
    assert status == 200 and len(body["illusts"]) == 30 and "offset=30" in body["next_url"]
    capture = load_fixture(fixture)
    capture["illusts"] = [obj for obj in capture["illusts"] if set(obj) != {"etc"}]  # a doc-extract's trimming
    # the doc-extract's works are multi-page (meta_single_page {}), the other capture's single-page
    _assert_same_shape(body, capture, NEWER_USER_WORKS_FIELDS | NEWER_ILLUST_FIELDS | {"original_image_url"})


def test_user_novels(replica, world, bearer):
    # the capture's novel is in no series ({}): a user of many novels, none in a series
    uid = max((u for u in world.users if all(world.novel(n).series_id is None for n in world.users[u].novel_ids)),
              key=lambda u: len(world.users[u].novel_ids))
    status, body = replica.json(f"/v1/user/novels?user_id={uid}&filter=for_ios", headers=bearer)
    assert status == 200 and len(body["novels"]) > 1
    _assert_same_shape(body, load_fixture("app-api/v1_user_novels/anowlbear.json"),
                       NEWER_USER_WORKS_FIELDS | NEWER_NOVEL_FIELDS)
# -- follows (pixivcrawl.replica.follows) ---------------------------------------------------------------

#: the doc-extracts end their lists with this stand-in for the entries they left out
TRIMMED = {"etc": "etc"}


def _trimmed(values: list) -> list:
    return [value for value in values if value != TRIMMED]


def test_user_following(replica, world, bearer):
    uid = next(iter(world.users))  # the replica's account 0, who follows more than a page of users
    status, body = replica.json(f"/v1/user/following?user_id={uid}&restrict=public&filter=for_ios", headers=bearer)
    assert status == 200 and len(body["user_previews"]) == 30 and "offset=30" in body["next_url"]
    capture = load_fixture("app-api/v1_user_following/anowlbear.json")
    for preview in capture["user_previews"]:
        preview["illusts"] = _trimmed(preview["illusts"])
        # the doc-extract writes the string "false" here; the same source's follower, mypixiv and recommended
        # previews send a boolean, as do pixivpy's models
        preview["is_muted"] = preview["is_muted"] == "true"
    # this capture shows no `novels`; the same source's mypixiv previews have them
    _assert_same_shape(body, capture, NEWER_ILLUST_FIELDS | {"novels"})
    mypixiv = _trimmed(load_fixture("app-api/v1_user_mypixiv/anowlbear.json")["user_previews"])
    for preview in mypixiv:
        preview["illusts"] = _trimmed(preview["illusts"])
    _assert_same_shape(body["user_previews"], mypixiv, NEWER_ILLUST_FIELDS)
    # the previews' novels are the App API's novel objects, as the novel feed sends them
    novels = [n for p in body["user_previews"] for n in p["novels"] if n["series"] == {}]
    assert novels
    _assert_same_shape(novels, _trimmed(load_fixture("app-api/v1_novel_follow/anowlbear.json")["novels"]),
                       NEWER_NOVEL_FIELDS)


@pytest.mark.parametrize("fixture", sorted(
    path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob("app-api/v2_illust_follow/*.json")))
def test_illust_follow(replica, bearer, fixture):
    status, body = replica.json("/v2/illust/follow?restrict=all", headers=bearer)
    assert status == 200 and len(body["illusts"]) == 30 and "offset=30" in body["next_url"]
    capture = load_fixture(fixture)
    capture["illusts"] = _trimmed(capture["illusts"])
    _assert_same_shape(body, capture, NEWER_ILLUST_FIELDS)


def test_novel_follow(replica, bearer):
    status, body = replica.json("/v1/novel/follow?restrict=all", headers=bearer)
    assert status == 200 and len(body["novels"]) == 30 and "offset=30" in body["next_url"]
    capture = load_fixture("app-api/v1_novel_follow/anowlbear.json")
    capture["novels"] = _trimmed(capture["novels"])
    # the capture's novels are all outside series ({}); series members carry {id, title} as in the series capture
    body["novels"] = [n for n in body["novels"] if n["series"] == {}]
    assert body["novels"]
    _assert_same_shape(body, capture, NEWER_NOVEL_FIELDS)
