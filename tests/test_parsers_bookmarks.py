"""The bookmark list parser (pixivcrawl.parsers.bookmarks) on every capture of ``/v1/user/bookmarks/illust`` and
``/v1/user/bookmarks/novel``, and on malformed pages."""

from __future__ import annotations

import re

import pytest

from pixivcrawl.parsers.app_api import ParseError, parse_illust, parse_novel
from pixivcrawl.parsers.bookmarks import bookmark_cursor, parse_bookmarks_page

from .captures import FIXTURES, load_fixture

#: every capture of the two lists, with its work type
CAPTURES = sorted((path.relative_to(FIXTURES).as_posix(), path.parent.name.rsplit("_", 1)[1])
                  for path in FIXTURES.glob("app-api/v1_user_bookmarks_*/*.json"))


@pytest.mark.parametrize(("fixture", "work_type"), CAPTURES)
def test_every_capture(fixture, work_type):
    data = load_fixture(fixture)
    page = parse_bookmarks_page(data, work_type)
    key = "illusts" if work_type == "illust" else "novels"
    assert page.work_type == work_type and page.works == tuple(data[key]) and page.next_url == data["next_url"]
    assert page.max_bookmark_id == int(data["next_url"].rsplit("max_bookmark_id=", 1)[1])
    # the works are the App API's whole work objects: each parses as any other (but a doc-extract's placeholder)
    parse = parse_illust if work_type == "illust" else parse_novel
    works = [parse(obj) for obj in page.works if obj != {"etc": "etc"}]
    assert works and all(w.whole and w.id == obj["id"] for w, obj in zip(works, page.works, strict=False))


def test_the_captures_values():
    assert len(CAPTURES) == 3  # the parametrized test above sees every capture
    page = parse_bookmarks_page(load_fixture("app-api/v1_user_bookmarks_illust/everpcpc__490219.json"), "illust")
    assert (page.max_bookmark_id, parse_illust(page.works[0]).id) == (5225812345, 100363262)
    assert page.next_url == ("https://app-api.pixiv.net/v1/user/bookmarks/illust?filter=for_ios&restrict=public"
                             "&user_id=490219&max_bookmark_id=5225812345")
    novels = parse_bookmarks_page(load_fixture("app-api/v1_user_bookmarks_novel/anowlbear.json"), "novel")
    novel = parse_novel(novels.works[0])
    assert (novels.max_bookmark_id, novel.id, novel.text_length) == (535297535, 9703231, 1901)
    illusts = parse_bookmarks_page(load_fixture("app-api/v1_user_bookmarks_illust/anowlbear.json"), "illust")
    assert illusts.max_bookmark_id == 6638389887 and len(illusts.works) == 2
    with pytest.raises(ParseError, match="has no 'id'"):
        parse_illust(illusts.works[1])  # the doc-extract's {"etc": "etc"}: a spider skips it as malformed


def test_the_last_page():
    page = parse_bookmarks_page({"illusts": [], "next_url": None}, "illust")
    assert (page.works, page.next_url, page.max_bookmark_id) == ((), None, None)


@pytest.mark.parametrize(("data", "work_type", "message"), [
    ([], "illust", "bookmarks page (illust) is list, not an object"),
    ({"novels": [], "next_url": None}, "illust", "bookmarks page (illust) has no 'illusts'"),
    ({"novels": {}, "next_url": None}, "novel", "bookmarks page (novel).novels is dict, not a list"),
    ({"illusts": [], "next_url": "https://example.com/v1/user/bookmarks/illust?max_bookmark_id=1"}, "illust",
     ("bookmarks page (illust).next_url 'https://example.com/v1/user/bookmarks/illust?max_bookmark_id=1' is not an "
      "App API URL")),
    ({"illusts": [], "next_url": "https://app-api.pixiv.net/v1/user/bookmarks/illust?user_id=1&offset=30"},
     "illust", "bookmarks page (illust).next_url has no max_bookmark_id cursor"),
    ({"illusts": [], "next_url": "https://app-api.pixiv.net/v1/user/bookmarks/illust?max_bookmark_id=-1"},
     "illust", "bookmarks page (illust).next_url has no max_bookmark_id cursor"),
])
def test_malformed_pages_raise_a_clear_error(data, work_type, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_bookmarks_page(data, work_type)


def test_the_cursor_and_the_work_type():
    assert bookmark_cursor("https://app-api.pixiv.net/v1/user/bookmarks/novel?user_id=1&max_bookmark_id=42") == 42
    with pytest.raises(ValueError, match="illust or novel"):
        parse_bookmarks_page({"illusts": []}, "manga")
