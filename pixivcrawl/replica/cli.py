"""``pixivcrawl replica``: run the pixiv replica in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import socket
import sys
from dataclasses import fields

from .config import KNOBS, ReplicaConfig
from .server import serve

_HELP = {
    "seed": "seed of the generated world",
    "works": "number of illust/manga/ugoira works (novels: a quarter of that)",
    "accounts": "number of accounts (account k: refresh token replica-refresh-token-k)",
    "token_lifetime": "access token lifetime in seconds",
    "rate_limit": "requests per account and API family allowed per window (0: unlimited)",
    "rate_window": "rate-limit window in seconds",
    "app_limit_status": "HTTP status of the App API 'Rate Limit' error",
    "retry_after": "Retry-After seconds sent with 429s (0: none)",
    "fault_5xx": "probability of a 5xx answer",
    "fault_reset": "probability of a connection reset",
    "fault_truncate": "probability of a truncated body",
    "fault_slow": "probability of a slow answer",
    "fault_html": "probability of an answer with Cloudflare's 'Just a moment...' HTML page instead of the JSON "
                  "or image bytes (on fault_hosts; add oauth.secure.pixiv.net there to reach the token endpoint)",
    "fault_html_status": "HTTP status of that page (200, 403, 429, 503, ...)",
    "slow_seconds": "delay of a slow answer",
    "fault_seed": "seed of the fault dice",
    "fault_hosts": "comma-separated hosts the fault_* probabilities apply to (fault_paths: any host)",
    "fault_paths": "comma-separated path prefixes that always fail with fault_paths_status (e.g. /v1/ugoira/metadata)",
    "fault_paths_status": "HTTP status of the fault_paths answers",
    "search_page_cap": "deepest search page served (pixiv caps how deep a search can page)",
    "app_sanity_limit": "highest sanity_level the App API shows each account, any whole number (pixiv's levels are "
                        "2, 4 and 6: 2 shows only all-ages works, 6 every work); works above it come back "
                        "as limit_sanity_level placeholders there, whole on the web Ajax API "
                        "(one account: POST /_replica/account {\"account\": k, \"app_sanity_limit\": n})",
    "image_cache": "folder where rendered images are kept across runs, e.g. for a test session (empty: memory only)",
    "ugoira_delays": "comma-separated frame delays in ms given to every ugoira, its zip holding as many frames, "
                     "e.g. 6,6,0,15 (empty: each work's own)",
}


def _option_type(name: str):
    """The argparse type of knob ``name``'s flag: its text checked as POST /_replica/config checks the knob, so
    that a bad value is one argparse error (exit status 2)."""
    knob = KNOBS[name]

    def convert(text: str):
        raw: object = text
        if knob.numeric:
            for number in (int, float):
                with contextlib.suppress(ValueError):
                    raw = number(text)
                    break
        try:
            return knob.check(raw)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"takes {knob.what}, not {text!r}") from None

    convert.__name__ = name
    return convert


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"takes a port number from 0 to 65535 (0: any free port), not {text!r}")
    return port


def _shown(default: object) -> str:
    return repr(",".join(map(str, default))) if isinstance(default, tuple) else repr(default)


#: the control API, on any host of the replica (shown under the options)
CONTROL = """control endpoints (any host):
  GET  /_replica/requests             the request log (host, path, query, status, account, Referer, fault)
  POST /_replica/requests/clear       empty it
  GET|POST /_replica/config           the knobs; POST a JSON object of knobs to change them live
  GET  /_replica/world                the series and their members, the newest ranking day
  POST /_replica/reupload             {"ids": [...], "add_page": true}: re-upload works (new URLs and bytes)
  POST /_replica/account              {"account": 0, "app_sanity_limit": 2}: the highest sanity_level the App API
                                      shows that account (null: back to --app-sanity-limit)
  GET|POST /_replica/block            {"host": "app-api.pixiv.net", "path": "/v1/illust/series",
                                      "query": {"offset": "30"}, "status": 403, "times": 1}: the next `times`
                                      requests matching host, path and these query values (each optional) get
                                      Cloudflare's 'Just a moment...' page with `status` (default 403, once);
                                      {"clear": true} drops every rule; the answer lists the rules left
  GET|POST /_replica/hide             {"illusts": {"<id>": "<how>"}, "novels": {"<id>": "<how>"}}: pixiv hides
                                      these works from then on, how one of sanity_level, mypixiv, unviewable,
                                      unknown, r18, r18g (visible: false, limit_<how> placeholder URLs) or
                                      visible_placeholder (visible: true, limit_sanity_level URLs); null shows a
                                      work again; the answer (and GET) lists the works hidden
a POST with a bad value answers 400 with why, and changes nothing"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = CONTROL
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8321, help="port to bind; 0 picks a free one (default 8321)")
    defaults = ReplicaConfig()
    for f in fields(ReplicaConfig):
        if f.name not in _HELP:
            continue
        default = getattr(defaults, f.name)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=_option_type(f.name), default=default,
                            help=f"{_HELP[f.name]} (default {_shown(default)})")


def config_from_args(args: argparse.Namespace) -> ReplicaConfig:
    return ReplicaConfig(**{f.name: getattr(args, f.name) for f in fields(ReplicaConfig) if f.name in _HELP})


class _CannotListen(Exception):
    """The replica cannot bind its address (the message says why, in one sentence)."""


async def _run(args: argparse.Namespace) -> None:
    try:
        server, port = await serve(config_from_args(args), args.host, args.port)
    except OSError as exc:
        raise _CannotListen(_listen_error(args.host, args.port, exc)) from None
    print(f"pixiv replica listening on http://{args.host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def _listen_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use; pick another with --port or --port 0"
    if exc.errno == errno.EACCES:
        return f"port {port} needs privileges to bind; pick one above 1023 with --port or --port 0"
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {host!r}: no such address; give an address of this machine with --host"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host!r}: not an address of this machine; give one with --host"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def run(args: argparse.Namespace) -> None:
    """Serve until interrupted; a replica that cannot listen prints why on stderr and exits with status 2."""
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(args))
    except _CannotListen as exc:
        print(f"pixivcrawl replica: error: {exc}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pixivcrawl replica", description=__doc__)
    add_arguments(parser)
    run(parser.parse_args(argv if argv is not None else sys.argv[1:]))
