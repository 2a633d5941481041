"""``pixivcrawl replica``: run the pixiv replica in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from dataclasses import fields

from .server import ReplicaConfig, serve

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
    "fault_paths": "comma-separated path prefixes that always fail with fault_paths_status (e.g. /v1/ugoira/metadata)",
    "fault_paths_status": "HTTP status of the fault_paths answers",
    "search_page_cap": "deepest search page served (pixiv caps how deep a search can page)",
    "app_sanity_limit": "highest sanity_level (2, 4, 6) the App API shows each account; works above it come back "
                        "as limit_sanity_level placeholders there, whole on the web Ajax API "
                        "(one account: POST /_replica/account {\"account\": k, \"app_sanity_limit\": n})",
    "image_cache": "folder where rendered images are kept across runs, e.g. for a test session (empty: memory only)",
    "ugoira_delays": "comma-separated frame delays in ms given to every ugoira, its zip holding as many frames, "
                     "e.g. 6,6,0,15 (empty: each work's own)",
}


def _delays(text: str) -> tuple[int, ...]:
    """``--ugoira-delays 6,6,0,15`` → (6, 6, 0, 15); empty → ()."""
    delays = tuple(int(part) for part in text.split(",") if part.strip())
    if any(delay < 0 for delay in delays):
        raise argparse.ArgumentTypeError("delays are ms of at least 0")
    return delays


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
                                      {"clear": true} drops every rule; the answer lists the rules left"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = CONTROL
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8321, help="port to bind; 0 picks a free one (default 8321)")
    defaults = ReplicaConfig()
    for f in fields(ReplicaConfig):
        if f.name not in _HELP:
            continue
        default = getattr(defaults, f.name)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=_delays if isinstance(default, tuple) else
                            type(default), default=default,
                            help=f"{_HELP[f.name]} (default {default!r})")


def config_from_args(args: argparse.Namespace) -> ReplicaConfig:
    return ReplicaConfig(**{f.name: getattr(args, f.name) for f in fields(ReplicaConfig) if f.name in _HELP})


async def _run(args: argparse.Namespace) -> None:
    server, port = await serve(config_from_args(args), args.host, args.port)
    print(f"pixiv replica listening on http://{args.host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def run(args: argparse.Namespace) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pixivcrawl replica", description=__doc__)
    add_arguments(parser)
    run(parser.parse_args(argv if argv is not None else sys.argv[1:]))
