"""``pixivcrawl login``'s options and exit status; the login itself is :func:`pixivcrawl.login.run`."""

from __future__ import annotations

import argparse
import os
import sys

from .browser import run as run_login
from .options import LoginError, LoginOptions, find_chromium

#: what the credentials file may hold, as the closing line names it
_WRITTEN = {"refresh_token": "refresh token", "phpsessid": "PHPSESSID cookie"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cookie", action="store_true",
                        help="also log in to the web site and store its PHPSESSID cookie (for the web API)")
    parser.add_argument("--headless", action="store_true",
                        help="no browser window (needs --username/--password or PIXIV_USERNAME/PIXIV_PASSWORD)")
    parser.add_argument("--username", default=None, help="fill the login form with this pixiv ID or email "
                                                         "(default $PIXIV_USERNAME; else you type it)")
    parser.add_argument("--password", default=None,
                        help="fill in this password (prefer $PIXIV_PASSWORD: arguments show in the process list)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the login (default 300)")
    parser.add_argument("--chromium", default=None,
                        help="the Chromium executable (default $PIXIV_CHROMIUM_PATH, else chromium on the PATH)")
    parser.add_argument("--credentials-file", default=None, help="where to write (default $PIXIV_CREDENTIALS_FILE, "
                                                                 "else ~/.config/pixivcrawl/credentials.json)")
    parser.add_argument("--mirror", default=None,
                        help="log in to a replica at this origin, e.g. http://127.0.0.1:8321 (default $PIXIV_MIRROR)")


def options_from_args(args: argparse.Namespace) -> LoginOptions:
    """The login's options: the arguments, else ``PIXIV_USERNAME``, ``PIXIV_PASSWORD``, ``PIXIV_MIRROR``,
    ``PIXIV_CREDENTIALS_FILE`` and ``PIXIV_CHROMIUM_PATH``; :class:`LoginError` when no Chromium is found."""
    from scrapy.settings import BaseSettings

    from pixivcrawl.credentials import credentials_file

    return LoginOptions(
        credentials_file=credentials_file(BaseSettings({"PIXIV_CREDENTIALS_FILE": args.credentials_file})),
        chromium=find_chromium(args.chromium),
        headless=args.headless,
        timeout=args.timeout,
        username=args.username or os.environ.get("PIXIV_USERNAME") or None,
        password=args.password or os.environ.get("PIXIV_PASSWORD") or None,
        mirror=args.mirror or os.environ.get("PIXIV_MIRROR") or None,
        cookie=args.cookie,
    )


def run(args: argparse.Namespace) -> int:
    """``pixivcrawl login`` with parsed arguments; the exit status: 0 written, 1 the login failed (one sentence
    on stderr), 130 interrupted."""
    try:
        options = options_from_args(args)
        written = run_login(options)
    except LoginError as exc:
        print(f"pixivcrawl login: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pixivcrawl login: interrupted; nothing was written.", file=sys.stderr)
        return 130
    what = " and ".join(_WRITTEN[k] for k in ("refresh_token", "phpsessid") if k in written)
    print(f"{what} written to {options.credentials_file} (mode 0600)")
    return 0
