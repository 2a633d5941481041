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
    "fault_html": "probability of a 200 answer with an HTML page instead of JSON",
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
