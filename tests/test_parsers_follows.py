"""The parsers of the App API's follow endpoints, on pixiv's real captures (tests/fixtures/app-api): the user previews
of ``/v1/user/following``, and the work lists of the follow feeds ``/v2/illust/follow`` and ``/v1/novel/follow``."""

from __future__ import annotations

import re

import pytest

from pixivcrawl.parsers.app_api import next_url, parse_illust, parse_novel
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.parsers.follows import parse_user_preview

from .captures import FIXTURES, load_fixture


def _captures(endpoint: str) -> list[str]:
    return sorted(path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob(f"app-api/{endpoint}/*.json"))


FOLLOWING = _captures("v1_user_following")
ILLUST_FEEDS = _captures("v2_illust_follow")
NOVEL_FEEDS = _captures("v1_novel_follow")

#: the doc-extracts end their lists with a ``{"etc": "etc"}`` stand-in for the entries they left out
TRIMMED = {"etc": "etc"}


def test_every_capture_is_seen():
    assert (len(FOLLOWING), len(ILLUST_FEEDS), len(NOVEL_FEEDS)) == (1, 2, 1)


@pytest.mark.parametrize("fixture", FOLLOWING)
def test_user_previews_of_every_capture(fixture):
    data = load_fixture(fixture)
    for obj in data["user_previews"]:
        preview = parse_user_preview(obj)
        user = obj["user"]
        assert (preview.user.id, preview.user.name, preview.user.account) == (user["id"], user["name"],
                                                                             user["account"])
        assert preview.user.profile_image_url == user["profile_image_urls"]["medium"] and preview.user.whole
        works = [w for w in obj.get("illusts", []) if w != TRIMMED]
        assert [i.id for i in preview.illusts] == [w["id"] for w in works]
        assert preview.unreadable == len(obj.get("illusts", [])) - len(works) + len(obj.get("novels", [])) - len(
            preview.novels)
        assert preview.is_muted is False and preview.raw is obj
    assert next_url(data) == data["next_url"]


def test_user_preview_values():
    preview = parse_user_preview(load_fixture("app-api/v1_user_following/anowlbear.json")["user_previews"][0])
    assert (preview.user.id, preview.user.account) == (38525559, "wmmq_oavl1998")
    illust = preview.illusts[0]
    assert (illust.id, illust.type, illust.user_id, illust.page_count, illust.image_stamp) == (
        78142063, "illust", 38525559, 1, "2019/12/05/00/00/07")
    # the 2020 doc-extract shows no novels and one work left out ({"etc": "etc"})
    assert (preview.novels, preview.unreadable) == ((), 1)
    assert [w.id for w in preview.works()] == [78142063]


@pytest.mark.parametrize("fixture", ILLUST_FEEDS)
def test_illust_feed_of_every_capture(fixture):
    data = load_fixture(fixture)
    works = [w for w in data["illusts"] if w != TRIMMED]
    items = [parse_illust(w) for w in works]
    assert [i.id for i in items] == [w["id"] for w in works] and all(i.whole for i in items)
    dates = [i.create_date for i in items]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert next_url(data) == data["next_url"] and "offset=30" in data["next_url"]


def test_illust_feed_values():
    items = [parse_illust(w) for w in load_fixture("app-api/v2_illust_follow/everpcpc__public.json")["illusts"]]
    assert len(items) == 30 and {i.type for i in items} == {"illust", "manga"}
    assert (items[0].id, items[0].page_count, len(items[0].pages)) == (80607495, 11, 11)
    assert {i.user_id for i in items} == {11, 490219}  # the works of every user followed, mixed


@pytest.mark.parametrize("fixture", NOVEL_FEEDS)
def test_novel_feed_of_every_capture(fixture):
    data = load_fixture(fixture)
    works = [w for w in data["novels"] if w != TRIMMED]
    items = [parse_novel(w) for w in works]
    assert [(n.id, n.user_id, n.text_length) for n in items] == [
        (w["id"], w["user"]["id"], w["text_length"]) for w in works]
    assert all(n.text is None for n in items)  # the feed carries no text: /webview/v2/novel does
    assert next_url(data) == data["next_url"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("user"), "user_preview has no 'user'"),
    (lambda d: d.update(user=[]), "user_preview.user is list '[]', expected dict"),
    (lambda d: d["user"].update(id=0), "user_preview 0.user.id is 0, not a pixiv id"),
    (lambda d: d["user"].pop("name"), "user_preview 38525559.user has no 'name'"),
    (lambda d: d.update(illusts={}), "user_preview 38525559.illusts is dict '{}', expected list"),
    (lambda d: d.update(novels="none"), "user_preview 38525559.novels is str 'none', expected list"),
    (lambda d: d.update(is_muted="maybe"), "user_preview 38525559.is_muted is str 'maybe', expected bool"),
])
def test_malformed_user_preview_raises_a_clear_error(change, message):
    data = load_fixture("app-api/v1_user_following/anowlbear.json")["user_previews"][0]
    change(data)
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_user_preview(data)


def test_a_preview_work_that_is_not_a_work_is_counted_not_raised():
    data = load_fixture("app-api/v1_user_following/anowlbear.json")["user_previews"][0]
    data["novels"] = [{"id": 1}, load_fixture("app-api/v1_novel_follow/anowlbear.json")["novels"][0]]
    data["is_muted"] = True
    preview = parse_user_preview(data)
    assert ([n.id for n in preview.novels], preview.unreadable, preview.is_muted) == ([12116635], 2, True)
