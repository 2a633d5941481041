"""The parsers of one user's works and series (pixivcrawl.parsers.users) on every real capture of their endpoints,
and the user record with its profile (``profile_record``) on every ``/v1/user/detail`` capture."""

from __future__ import annotations

import re

import pytest

from pixivcrawl.db.rows import item_rows
from pixivcrawl.db.schema import PROFILE_COLUMNS
from pixivcrawl.parsers.ajax import AjaxError, ajax_body
from pixivcrawl.parsers.app_api import parse_illust, parse_novel, parse_user_detail
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.parsers.users import parse_profile_all, parse_user_illusts, parse_user_novels, profile_record

from .captures import FIXTURES, load_fixture


def _captures(pattern: str) -> list[str]:
    return sorted(path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob(pattern))


USER_ILLUSTS = _captures("app-api/v1_user_illusts/*.json")
USER_NOVELS = _captures("app-api/v1_user_novels/*.json")
PROFILE_ALL = [*_captures("web/ajax_user_profile_all/*.json"), "ajax/ajax/user/9153585/profile/all.json"]
USER_DETAILS = _captures("app-api/v1_user_detail/*.json")


@pytest.mark.parametrize("fixture", USER_ILLUSTS + USER_NOVELS)
def test_works_page_of_every_capture(fixture):
    data = load_fixture(fixture)
    novels = "novels" in data
    page = (parse_user_novels if novels else parse_user_illusts)(data)
    assert page.works == tuple(data["novels" if novels else "illusts"]) and page.next_url == data["next_url"]
    # a doc-extract ends its list with {"etc": …}: a malformed object, skipped alone by the spider
    trimmed = [obj for obj in page.works if set(obj) == {"etc"}]
    for obj in trimmed:
        with pytest.raises(ParseError, match="has no 'id'"):
            (parse_novel if novels else parse_illust)(obj)
    items = [(parse_novel if novels else parse_illust)(obj) for obj in page.works if obj not in trimmed]
    assert [item.id for item in items] == [obj["id"] for obj in page.works if obj not in trimmed]
    assert items and len({item.user_id for item in items}) == 1  # one user's works


def test_works_page_values():
    assert (len(USER_ILLUSTS), len(USER_NOVELS)) == (2, 1)  # the parametrized test above sees every capture
    page = parse_user_illusts(load_fixture("app-api/v1_user_illusts/everpcpc__490219.json"))
    assert len(page.works) == 30 and page.works[0]["id"] == 79834843
    assert page.next_url == "https://app-api.pixiv.net/v1/user/illusts?filter=for_ios&type=illust&user_id=490219&offset=30"
    last = parse_user_novels(load_fixture("app-api/v1_user_novels/anowlbear.json"))
    assert [obj["id"] for obj in last.works] == [9706345] and last.next_url is None


@pytest.mark.parametrize(("parse", "change", "message"), [
    (parse_user_illusts, lambda d: d.pop("illusts"), "user_illusts has no 'illusts'"),
    (parse_user_illusts, lambda d: d.update(illusts={}), "user_illusts.illusts is dict '{}', expected list"),
    (parse_user_illusts, lambda d: d.update(next_url="https://example.com/v1/user/illusts?offset=30"),
     "user_illusts.next_url 'https://example.com/v1/user/illusts?offset=30' is not an App API URL"),
    (parse_user_novels, lambda d: d.pop("novels"), "user_novels has no 'novels'"),
])
def test_malformed_works_page(parse, change, message):
    data = load_fixture("app-api/v1_user_illusts/everpcpc__490219.json")
    data["novels"] = data["illusts"]
    change(data)
    with pytest.raises(ParseError, match=re.escape(message)):
        parse(data)


@pytest.mark.parametrize("fixture", PROFILE_ALL)
def test_profile_all_of_every_capture(fixture):
    data = load_fixture(fixture)
    if data["error"]:  # the capture of a user who left
        with pytest.raises(AjaxError, match=re.escape("User has left pixiv or the user ID does not exist.")):
            ajax_body(data)
        return
    body = ajax_body(data)
    found = parse_profile_all(body)
    for field, key in (("illust_ids", "illusts"), ("manga_ids", "manga"), ("novel_ids", "novels")):
        assert sorted(getattr(found, field)) == sorted(int(k) for k in (body[key] or {})), field
        assert list(getattr(found, field)) == sorted(getattr(found, field), reverse=True)  # newest first
    assert found.illust_series_ids == tuple(int(s["id"]) for s in body["mangaSeries"])
    assert found.novel_series_ids == tuple(int(s["id"]) for s in body["novelSeries"])
    assert found.raw is body


def test_profile_all_values():
    assert len(PROFILE_ALL) == 6
    found = parse_profile_all(load_fixture("ajax/ajax/user/9153585/profile/all.json")["body"])
    assert found.illust_series_ids == (139494, 137061) and found.manga_ids == (94691329,)
    assert (len(found.illust_ids), found.novel_ids, found.novel_series_ids) == (29, (), ())
    empty = parse_profile_all(load_fixture("web/ajax_user_profile_all/pixivutil2__1233_noimage.json")["body"])
    assert (empty.illust_ids, empty.manga_ids, empty.illust_series_ids) == ((), (), ())
    mixed = parse_profile_all(load_fixture("web/ajax_user_profile_all/pixivutil2__4991959.json")["body"])
    assert mixed.novel_ids == (8683379, 3135323)


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b.update(illusts=[1, 2]), "profile_all.illusts is list, not a map of ids"),
    (lambda b: b.update(manga={"abc": None}), "profile_all.manga has a key that is not an id"),
    (lambda b: b.update(mangaSeries={}), "profile_all.mangaSeries is dict '{}', expected list"),
    (lambda b: b["mangaSeries"][0].pop("id"), "profile_all.mangaSeries[0] has no 'id'"),
    (lambda b: b["mangaSeries"][1].update(id="x1"), "profile_all.mangaSeries[1].id is 'x1', not a series id"),
])
def test_malformed_profile_all(change, message):
    body = load_fixture("ajax/ajax/user/9153585/profile/all.json")["body"]
    change(body)
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_profile_all(body)
    with pytest.raises(ParseError, match="profile_all body is list, not an object"):
        parse_profile_all([])


@pytest.mark.parametrize("fixture", USER_DETAILS)
def test_profile_record_of_every_user_detail(fixture):
    data = load_fixture(fixture)
    detail = parse_user_detail(data)
    user = profile_record(detail)
    assert (user.id, user.name, user.whole) == (detail.user.id, detail.user.name, True)
    profile = user.profile
    assert profile is detail.profile and profile.comment == detail.profile.comment
    assert profile.workspace == data["workspace"] and set(profile.raw) == {"profile", "profile_publicity", "workspace"}
    assert detail.user.profile is None  # the parser's record is left as it was
    row = item_rows(user).rows["users"][0]
    assert set(PROFILE_COLUMNS) <= set(row) and row["profile_raw"] == profile.raw
    assert row["birth_year"] == (data["profile"]["birth_year"] or None)
    assert "comment" not in item_rows(detail.user).rows["users"][0]  # a user without a profile has no such column
