"""The replica's follows (pixivcrawl.replica.follow_graph) and its follow endpoints (pixivcrawl.replica.follows),
in process: the same graph in every process, pages in pixiv's order, private follows for their owner only, pixiv's
offset cap on /v1/user/following and the fixed depth of the follow feeds."""

from __future__ import annotations

import json
import urllib.parse

from aiohttp.test_utils import TestClient, TestServer

from pixivcrawl.protocol import APP_API_HOST, CLIENT_ID, CLIENT_SECRET, OAUTH_HOST
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.config import ReplicaConfig
from pixivcrawl.replica.follow_graph import FIRST_USER_FOLLOWS, PREVIEW_WORKS, FollowGraph
from pixivcrawl.replica.server import Replica
from pixivcrawl.replica.world import World

from .decorators import coroutine_test


def test_the_graph_is_the_same_in_every_process(world):
    graph, again = FollowGraph(world), FollowGraph(World(seed=world.seed, works=world.n_works))
    assert all(graph.following(uid) == again.following(uid) for uid in world.users)
    first = next(iter(world.users))
    follows = graph.following(first)
    assert len(follows) == FIRST_USER_FOLLOWS and first not in {f.user_id for f in follows}
    assert len({f.user_id for f in follows}) == len(follows)  # each user followed once
    assert {f.restrict for f in follows} == {"public", "private"}
    assert graph.followed(first, "all") == [f.user_id for f in follows]
    assert sorted(graph.followed(first, "public") + graph.followed(first, "private")) == sorted(
        graph.followed(first, "all"))
    # every user follows someone or no one, never a user the world lacks
    assert all(f.user_id in world.users for uid in world.users for f in graph.following(uid))
    assert graph.following(1) == ()


def test_feeds_are_the_newest_works_of_the_users_followed(world):
    graph = FollowGraph(world)
    first = next(iter(world.users))
    followed = set(graph.followed(first, "private"))
    feed = graph.illust_feed(first, "private")
    assert feed == sorted((w for u in followed for w in world.users[u].work_ids), reverse=True)
    assert [world.work(w).created for w in feed] == sorted((world.work(w).created for w in feed), reverse=True)
    novels = graph.novel_feed(first, "all")
    assert set(novels) == {n for u in graph.followed(first, "all") for n in world.users[u].novel_ids}
    assert FollowGraph(world, feed_depth=7).illust_feed(first, "all") == graph.illust_feed(first, "all")[:7]
    illusts, novels = graph.preview_works(first)
    assert illusts == world.users[first].work_ids[::-1][:PREVIEW_WORKS]
    assert novels == world.users[first].novel_ids[::-1][:PREVIEW_WORKS]


async def _started(replica: Replica) -> tuple[TestClient, dict]:
    client = TestClient(TestServer(replica.app))
    await client.start_server()
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token",
            "refresh_token": replica_account(0).refresh_token}
    async with client.post("/auth/token", data=form, headers={"X-Forwarded-Host": OAUTH_HOST}) as response:
        token = (await response.json())["access_token"]
    return client, {"X-Forwarded-Host": APP_API_HOST, "Authorization": f"Bearer {token}"}


async def _get(client: TestClient, headers: dict, path: str) -> tuple[int, dict]:
    async with client.get(path, headers=headers) as response:
        return response.status, json.loads(await response.read())


def _offset(url: str) -> int:
    return int(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["offset"][0])


@coroutine_test
async def test_following_pages_and_refusals():
    replica = Replica(ReplicaConfig(works=1500))
    graph, me = replica.apis["follows"].graph, replica_account(0).user_id
    client, headers = await _started(replica)
    try:
        listed, path = [], f"/v1/user/following?user_id={me}&restrict=public&filter=for_ios"
        while path:
            status, body = await _get(client, headers, path)
            assert status == 200
            listed += [p["user"]["id"] for p in body["user_previews"]]
            assert all(p["user"]["is_followed"] and len(p["illusts"]) <= PREVIEW_WORKS for p in body["user_previews"])
            path = body["next_url"] and urllib.parse.urlsplit(body["next_url"])._replace(scheme="", netloc="").geturl()
        assert listed == graph.followed(me, "public") and len(listed) > 30  # newest follow first, page after page
        status, body = await _get(client, headers, f"/v1/user/following?user_id={me}&restrict=private")
        assert (status, [p["user"]["id"] for p in body["user_previews"]]) == (200, graph.followed(me, "private"))
        other = next(u for u in replica.world.users if u != me and graph.following(u))
        status, body = await _get(client, headers, f"/v1/user/following?user_id={other}&restrict=public")
        viewed = {p["user"]["id"]: p["user"]["is_followed"] for p in body["user_previews"]}
        assert status == 200 and viewed == {u: graph.follows(me, u) for u in graph.followed(other, "public")}
        # another user's private follows, an unknown restrict or user, and offsets past pixiv's cap are refused
        status, body = await _get(client, headers, f"/v1/user/following?user_id={other}&restrict=private")
        assert (status, body["error"]["user_message"]) == (403, "Your access is currently restricted.")
        status, body = await _get(client, headers, f"/v1/user/following?user_id={me}&restrict=friends")
        assert (status, body["error"]["message"]) == (400, '{"restrict":["restrict contains invalid value"]}')
        status, body = await _get(client, headers, "/v1/user/following?user_id=1")
        assert (status, body["error"]["user_message"]) == (404, "User has left pixiv or the user ID does not exist.")
        status, body = await _get(client, headers, f"/v1/user/following?user_id={me}&offset=5010")
        assert (status, body["error"]["message"]) == (400, '{"offset":["offset must be no more than 5000"]}')
        status, body = await _get(client, {"X-Forwarded-Host": APP_API_HOST}, f"/v1/user/following?user_id={me}")
        assert status == 400 and "OAuth process" in body["error"]["message"]
        assert {e["account"] for e in replica.log.since(0) if e["path"] == "/v1/user/following"} == {me, None}
    finally:
        await client.close()


@coroutine_test
async def test_the_feeds_end_at_their_depth():
    replica = Replica(ReplicaConfig(works=1500))
    follows = replica.apis["follows"]
    follows.graph.feed_depth = 45  # pixiv's is FEED_DEPTH; a small one shows where next_url ends
    me = replica_account(0).user_id
    client, headers = await _started(replica)
    try:
        status, body = await _get(client, headers, "/v2/illust/follow?restrict=all")
        assert status == 200 and [w["id"] for w in body["illusts"]] == follows.graph.illust_feed(me, "all")[:30]
        assert _offset(body["next_url"]) == 30 and "restrict=all" in body["next_url"]
        status, body = await _get(client, headers, "/v2/illust/follow?restrict=all&offset=30")
        assert [w["id"] for w in body["illusts"]] == follows.graph.illust_feed(me, "all")[30:45]
        assert body["next_url"] is None  # the feed ends at its depth, however many works the users have
        status, body = await _get(client, headers, "/v1/novel/follow?restrict=private")
        assert status == 200 and [n["id"] for n in body["novels"]] == follows.graph.novel_feed(me, "private")[:30]
        status, body = await _get(client, headers, "/v1/novel/follow?restrict=nobody")
        assert (status, body["error"]["message"]) == (400, '{"restrict":["restrict contains invalid value"]}')
    finally:
        await client.close()
