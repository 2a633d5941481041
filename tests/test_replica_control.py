"""The replica's control API (``/_replica/...``) and its command line refuse bad input whole: a bad POST answers 400
with one sentence saying what was expected and changes nothing; a bad flag is an argparse error (exit status 2)."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pixivcrawl.replica.cli import add_arguments, config_from_args
from pixivcrawl.replica.config import ControlError, ReplicaConfig

#: the ``pixivcrawl`` console script of the environment running the tests
PIXIVCRAWL = str(Path(sys.executable).with_name("pixivcrawl"))
#: what a 400 message of the control API must never show
INTERNALS = ("Traceback", "object has no attribute", "Error(", "'list'", "'dict'", "'str'", "NoneType", "<class")


def _post(replica, endpoint: str, body: bytes) -> tuple[int, dict]:
    status, headers, raw = replica.call(f"/_replica/{endpoint}", data=body, method="POST")
    assert headers["Content-Type"].startswith("application/json"), (endpoint, body, raw[:300])
    return status, json.loads(raw)


def _refused(replica, endpoint: str, payload, *expected: str) -> str:
    """POST ``payload`` (an object, or raw bytes); assert a 400 with one plain message holding ``expected``."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    status, answer = _post(replica, endpoint, body)
    assert status == 400, (endpoint, payload, answer)
    assert set(answer) == {"error"} and isinstance(answer["error"], str), answer
    message = answer["error"]
    assert "\n" not in message and not any(bit in message for bit in INTERNALS), message
    for part in expected:
        assert part in message, (payload, message)
    return message


# -- atomicity: a refused request changes nothing ------------------------------------------------------------------


def test_rejected_hide_changes_nothing(fresh_replica, world):
    first, second, third = (w.id for w in world.works[27:30])
    novel = world.novels[3].id
    before = {"illusts": {str(third): "r18"}, "novels": {str(novel): "mypixiv"}}
    assert fresh_replica.control("hide", before) == before
    bad = [
        {"illusts": {str(first): "mypixiv", str(second): "bogus"}},           # one unknown way
        {"illusts": {str(first): "mypixiv", str(third): None, "1": "r18"}},   # one unknown work, after an unhide
        {"illusts": {str(first): "mypixiv"}, "novels": {"12": "mypixiv"}},   # a bad novel after a good illust
        {"illusts": {str(first): "mypixiv"}, "pictures": {str(second): "r18"}},  # an unknown field
        {"novels": {str(novel): None}, "illusts": ["not", "a", "map"]},
    ]
    for payload in bad:
        message = _refused(fresh_replica, "hide", payload, "bad hide request", "nothing changed")
        assert fresh_replica.control("hide") == before, (payload, message)
    # the App API still shows the first work whole
    bearer = {"Authorization": f"Bearer {fresh_replica.token()}"}
    status, body = fresh_replica.json(f"/v1/illust/detail?illust_id={first}", headers=bearer)
    assert status == 200 and body["illust"]["visible"] is True


def test_rejected_config_changes_nothing(fresh_replica):
    before = fresh_replica.control("config")
    bad = [
        {"fault_reset": 0.3, "nosuch": 1},
        {"fault_5xx": 0.5, "fault_reset": 1.5},
        {"rate_limit": 5, "seed": 3},
        {"token_lifetime": 10, "fault_hosts": [1, 2]},
        {"fault_paths": "/v1/illust/detail", "fault_paths_status": 42},
    ]
    for payload in bad:
        _refused(fresh_replica, "config", payload, "nothing changed")
        assert fresh_replica.control("config") == before, payload
    # the request log shows the knobs had no effect either: no faults, no limit
    fresh_replica.clear()
    for _ in range(6):
        assert fresh_replica.call("/v1/illust/detail?illust_id=1")[0] == 400  # no bearer: pixiv's OAuth error
    assert [r["fault"] for r in fresh_replica.requests()] == [None] * 6


def test_rejected_reupload_account_and_block_change_nothing(fresh_replica, world):
    wid = world.works[5].id
    _refused(fresh_replica, "reupload", {"ids": [wid, 5]}, "no illust 5", "nothing changed")
    _refused(fresh_replica, "reupload", {"ids": [wid], "add_page": "yes"}, "reupload expects")
    # the first work was not re-uploaded by either: its first re-upload now counts 1
    assert fresh_replica.control("reupload", {"ids": [wid]})["revisions"] == {str(wid): 1}

    assert fresh_replica.control("account", {"account": 1, "app_sanity_limit": 4})["app_sanity_limits"] == {"1": 4}
    _refused(fresh_replica, "account", {"account": 7, "app_sanity_limit": 2}, "no account 7", "accounts 0 to 2")
    _refused(fresh_replica, "account", {"account": 1, "app_sanity_limit": "2"}, "app_sanity_limit takes a whole")
    _refused(fresh_replica, "account", {"account": 1}, "account expects")
    assert fresh_replica.control("account", {"account": 0, "app_sanity_limit": None})["app_sanity_limits"] == \
        {"1": 4}

    rule = fresh_replica.control("block", {"host": "www.pixiv.net", "times": 2})["blocks"]
    for payload in ({"host": "www.pixiv.net", "times": 0}, {"path": "no-slash"}, {"query": [1]},
                    {"status": 42}, {"host": 5}, {"clear": True, "host": "x"}, {"clear": False}):
        _refused(fresh_replica, "block", payload, "bad block request")
    assert fresh_replica.control("block")["blocks"] == rule


# -- types and ranges ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "expected"), [
    ({"fault_5xx": 1.5}, "fault_5xx takes a probability from 0 to 1, not 1.5"),
    ({"fault_reset": -0.1}, "fault_reset takes a probability from 0 to 1"),
    ({"fault_truncate": 2}, "fault_truncate takes a probability"),
    ({"fault_slow": "0.5"}, "fault_slow takes a probability"),
    ({"fault_html": True}, "fault_html takes a probability"),
    ({"fault_html_status": 700}, "fault_html_status takes an HTTP status"),
    ({"rate_limit": -3}, "rate_limit takes a whole number of requests of at least 0"),
    ({"rate_limit": 2.5}, "rate_limit takes a whole number"),
    ({"rate_window": 0}, "rate_window takes seconds above 0"),
    ({"token_lifetime": -1}, "token_lifetime takes seconds above 0"),
    ({"fault_hosts": 5}, "fault_hosts takes a list of host names"),
    ({"fault_paths": ["v1/no-slash"]}, "fault_paths takes a list of path prefixes starting with /"),
    ({"ugoira_delays": [6, -1]}, "ugoira_delays takes a list of whole ms of at least 0"),
    ({"search_page_cap": 0}, "search_page_cap takes a whole number of at least 1"),
    ({"app_sanity_limit": None}, "app_sanity_limit takes a whole number"),
    ({"works": 50}, "works cannot change while the replica runs"),
    ({"log_limit": 5}, "log_limit cannot change while the replica runs"),
    ({"nosuch": 1}, "no knob named nosuch"),
])
def test_config_checks_every_knob(payload, expected):
    config = ReplicaConfig()
    with pytest.raises(ControlError) as caught:
        config.update(payload)
    assert expected in str(caught.value)
    assert config == ReplicaConfig()


def test_host_and_path_lists_take_either_form(fresh_replica, world):
    answer = fresh_replica.control("config", {"fault_hosts": "app-api.pixiv.net",
                                              "fault_paths": ["/v1/ugoira/metadata"]})
    assert (answer["fault_hosts"], answer["fault_paths"]) == (["app-api.pixiv.net"], "/v1/ugoira/metadata")
    answer = fresh_replica.control("config", {"fault_hosts": ["www.pixiv.net", " I.PXIMG.NET "],
                                              "fault_paths": "/v1/ugoira/metadata, /webview/v2/novel"})
    assert (answer["fault_hosts"], answer["fault_paths"]) == \
        (["www.pixiv.net", "i.pximg.net"], "/v1/ugoira/metadata,/webview/v2/novel")
    # both paths fail for good, and the 5xx dice now roll on the web host only
    fresh_replica.control("config", {"fault_5xx": 1.0})
    fresh_replica.clear()
    assert fresh_replica.call("/v1/ugoira/metadata?illust_id=1")[0] == 503
    assert fresh_replica.call("/webview/v2/novel?id=1")[0] == 503
    assert fresh_replica.call(f"/v1/illust/detail?illust_id={world.works[0].id}")[0] == 400  # app host: no fault
    assert fresh_replica.call("/ajax/illust/1", host="www.pixiv.net")[0] in (500, 502, 503, 504)
    assert [r["fault"] for r in fresh_replica.requests()] == ["path", "path", None, "5xx"]


def test_config_keeps_its_types(replica):
    config = replica.control("config")
    assert isinstance(config["fault_hosts"], list) and all(isinstance(h, str) and "." in h
                                                          for h in config["fault_hosts"])
    assert isinstance(config["fault_paths"], str) and isinstance(config["ugoira_delays"], list)


# -- bodies that are not the expected object -------------------------------------------------------------------------


#: each control endpoint that takes a JSON object, and how its 400 says what it expected
EXPECTS = {
    "config": "config expects a JSON object of knobs",
    "block": 'block expects {"host"',
    "hide": 'hide expects {"illusts": {id: how}, "novels": {id: how}}',
    "reupload": 'reupload expects {"ids": [id, ...]',
    "account": 'account expects {"account": k, "app_sanity_limit": n or null}',
}


def test_bodies_that_are_not_objects_get_400(fresh_replica):
    before = {name: fresh_replica.control(name) for name in ("config", "hide", "block")}
    for endpoint, expects in EXPECTS.items():
        for body in (b"[1,2]", b"garbage", b'"text"', b"3", b"null"):
            _refused(fresh_replica, endpoint, body, expects)
    _refused(fresh_replica, "reupload", {"ids": "x"}, EXPECTS["reupload"])
    _refused(fresh_replica, "hide", {"pictures": {}}, EXPECTS["hide"], "no field named pictures")
    assert {name: fresh_replica.control(name) for name in before} == before
    assert fresh_replica.control("health")["ok"] is True  # the replica still serves


def test_request_log_refuses_a_bad_since(replica):
    status, body = replica.json("/_replica/requests?since=x")
    assert status == 400 and body == {"error": 'since takes a whole number of at least 0, not "x"'}


# -- command line ----------------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PIXIVCRAWL, "replica", *args], capture_output=True, text=True, timeout=30, check=False)


def _one_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stdout == "", proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("pixivcrawl replica: error: "), proc.stderr
    return errors[0].removeprefix("pixivcrawl replica: error: ")


def test_cli_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = _one_error(_cli("--port", str(port), "--works", "10"))
    assert message == f"port {port} is in use; pick another with --port or --port 0"


@pytest.mark.parametrize(("args", "expected"), [
    (("--port", "-1"), "argument --port: takes a port number from 0 to 65535 (0: any free port), not '-1'"),
    (("--port", "70000"), "argument --port: takes a port number from 0 to 65535"),
    (("--works", "0"), "argument --works: takes a whole number of at least 10, not '0'"),
    (("--fault-5xx", "2"), "argument --fault-5xx: takes a probability from 0 to 1, not '2'"),
    (("--app-sanity-limit", "high"), "argument --app-sanity-limit: takes a whole number"),
    (("--ugoira-delays", "6,x"), "argument --ugoira-delays: takes a list of whole ms"),
])
def test_cli_bad_values_are_one_sentence(args, expected):
    assert expected in _one_error(_cli(*args))


def test_cli_help_lists_hide_and_the_values_flags_take():
    proc = _cli("--help")
    assert proc.returncode == 0, proc.stderr
    help_text = " ".join(proc.stdout.split())
    assert 'POST /_replica/hide {"illusts": {"<id>": "<how>"}, "novels": {"<id>": "<how>"}}' in help_text
    sanity = "--app-sanity-limit APP_SANITY_LIMIT highest sanity_level the App API shows each account, any whole number"
    assert sanity in help_text
    # what the help promises is accepted; the list flags take comma-separated text
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--app-sanity-limit", "3", "--fault-hosts", "a.example, B.example",
                                                 "--fault-paths", "/x,/y", "--ugoira-delays", "6,0"]))
    assert (config.app_sanity_limit, config.fault_hosts, config.fault_paths, config.ugoira_delays) == \
        (3, ("a.example", "b.example"), "/x,/y", (6, 0))


def test_a_new_fault_seed_replays_the_same_faults(fresh_replica):
    """Setting fault_seed live restarts the fault dice: the same seed gives the same faults again."""
    def faults() -> list[str | None]:
        fresh_replica.clear()
        fresh_replica.control("config", {"fault_5xx": 0.5, "fault_seed": 42, "fault_hosts": ["www.pixiv.net"]})
        for _ in range(12):
            fresh_replica.call("/ranking.php?mode=daily&format=json&p=1", host="www.pixiv.net")
        return [r["fault"] for r in fresh_replica.requests()]

    first = faults()
    assert "5xx" in first and None in first
    assert faults() == first
