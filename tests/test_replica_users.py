"""The replica's lists of one user's works (pixivcrawl.replica.user_api): paged as pixiv pages them, agreeing with
the world and with ``/v1/user/detail``'s counters, behind the App API's bearer check."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from pixivcrawl.replica.app_objects import user_detail
from pixivcrawl.replica.users import illust_series_ids, novel_series_ids, user_novel_ids, user_work_ids

OAUTH_ERROR = "Error occurred at the OAuth process. Please check your Access Token to fix this. Error Message: "
#: the most prolific user of the test world: several pages of works and of novels, a series of each kind
PROLIFIC = 5000000


@pytest.fixture(scope="module")
def bearer(replica) -> dict:
    return {"Authorization": f"Bearer {replica.token()}"}


def _walk(replica, bearer, path: str, key: str) -> tuple[list[int], list[str]]:
    """Every id of a listing, following next_url; and each page's offset."""
    ids, offsets = [], []
    while path:
        status, body = replica.json(path, headers=bearer)
        assert status == 200, body
        assert len(body[key]) <= 30 and body["user"]["id"] == PROLIFIC
        ids += [obj["id"] for obj in body[key]]
        offsets.append(parse_qs(urlsplit(path).query).get("offset", ["0"])[0])
        url = body["next_url"]
        path = url[len("https://app-api.pixiv.net"):] if url else None
        assert url is None or url.startswith("https://app-api.pixiv.net/")
    return ids, offsets


@pytest.mark.parametrize("kind", [None, "illust", "manga"])
def test_user_illusts_pages_through_the_users_works(replica, world, bearer, kind):
    expected = user_work_ids(world, PROLIFIC, kind)
    path = f"/v1/user/illusts?user_id={PROLIFIC}&filter=for_ios" + (f"&type={kind}" if kind else "")
    ids, offsets = _walk(replica, bearer, path, "illusts")
    assert ids == expected  # newest first, each once
    assert offsets == [str(o) for o in range(0, len(expected), 30)]
    types = {world.work(wid).type for wid in ids}
    assert types == {"illust": {"illust", "ugoira"}, "manga": {"manga"}, None: {"illust", "ugoira", "manga"}}[kind]
    assert [world.work(wid).created for wid in ids] == sorted((world.work(w).created for w in ids), reverse=True)


def test_user_novels_pages_through_the_users_novels(replica, world, bearer):
    ids, offsets = _walk(replica, bearer, f"/v1/user/novels?user_id={PROLIFIC}&filter=for_ios", "novels")
    assert ids == user_novel_ids(world, PROLIFIC) == sorted(world.user(PROLIFIC).novel_ids, reverse=True)
    assert len(offsets) > 1


def test_the_lists_agree_with_the_profile(replica, world, bearer):
    profile = user_detail(world, PROLIFIC)["profile"]
    assert profile["total_illusts"] == len(user_work_ids(world, PROLIFIC, "illust"))
    assert profile["total_manga"] == len(user_work_ids(world, PROLIFIC, "manga"))
    assert profile["total_novels"] == len(user_novel_ids(world, PROLIFIC))
    status, body = replica.json(f"/ajax/user/{PROLIFIC}/profile/all", host="www.pixiv.net")
    assert status == 200 and body["error"] is False
    found = body["body"]
    assert [int(i) for i in found["illusts"]] == user_work_ids(world, PROLIFIC, "illust")
    assert [int(i) for i in found["manga"]] == user_work_ids(world, PROLIFIC, "manga")
    assert [int(i) for i in found["novels"]] == user_novel_ids(world, PROLIFIC)
    assert [int(s["id"]) for s in found["mangaSeries"]] == illust_series_ids(world, PROLIFIC)
    assert [int(s["id"]) for s in found["novelSeries"]] == novel_series_ids(world, PROLIFIC)
    assert (len(found["mangaSeries"]), len(found["novelSeries"])) == (profile["total_illust_series"],
                                                                     profile["total_novel_series"])
    first = found["mangaSeries"][0]
    assert first["total"] == len(world.illust_series[int(first["id"])].member_ids)


def test_a_user_who_left_lists_nothing(replica, bearer):
    for path in ("/v1/user/illusts?user_id=1", "/v1/user/novels?user_id=1", "/v1/user/illusts?user_id=abc"):
        status, body = replica.json(path, headers=bearer)
        assert status == 200 and body["user"]["id"] == 0 and body["next_url"] is None
        assert body.get("illusts", body.get("novels")) == []
    status, body = replica.json("/ajax/user/1/profile/all", host="www.pixiv.net")
    assert (status, body) == (404, {"error": True, "message": "User has left pixiv or the user ID does not exist.",
                                    "body": []})


def test_the_app_api_lists_need_a_bearer(replica):
    for path in (f"/v1/user/illusts?user_id={PROLIFIC}", f"/v1/user/novels?user_id={PROLIFIC}"):
        status, body = replica.json(path)
        assert status == 400 and body["error"]["message"] == OAUTH_ERROR + "invalid_request"
