"""``pixivcrawl login``: log in to pixiv in a real browser and store the refresh token (and ``PHPSESSID``).

pixiv's app login is OAuth with PKCE (docs: pixiv-protocol.md §1.4): open the login page with a
``code_challenge``, let a person (or ``--username``/``--password``) log in, catch the ``code`` of the final
redirect to ``pixiv://account/login?code=…`` (or of the ``…/auth/pixiv/callback?code=…`` request before it),
and exchange it with the ``code_verifier`` for a refresh token. The browser is the system's Chromium, driven
by Playwright's async API (the stack scrapy-playwright uses); no browser is downloaded.

With ``--mirror`` (or ``PIXIV_MIRROR``) every browser request for a pixiv host is fetched from a replica
instead, with the pixiv host in ``X-Forwarded-Host``, and requests for any other host are refused, so the
whole flow runs offline. Tokens and cookies are written to the credentials file (mode 0600), never printed.

One module per job:

- :mod:`~pixivcrawl.login.pkce`: PKCE, the login URL, the code in a redirect, the code exchange;
- :mod:`~pixivcrawl.login.options`: the options of a login, the Chromium to drive, :class:`LoginError`;
- :mod:`~pixivcrawl.login.browser`: the browser driver (the app login, the web login, writing the credentials);
- :mod:`~pixivcrawl.login.mirror`: the offline routing of the browser's requests to a replica (``--mirror``);
- :mod:`~pixivcrawl.login.cli`: the ``pixivcrawl login`` subcommand.

The names below are this package's interface; import them from ``pixivcrawl.login``.
"""

from __future__ import annotations

from pixivcrawl.protocol import CALLBACK_PATH, CALLBACK_URL, LOGIN_PATH, s256

from .browser import browser_login, run
from .options import DEFAULT_TIMEOUT, LoginError, LoginOptions, find_chromium
from .pkce import EXCHANGE_USER_AGENT, CodeCatcher, Pkce, code_from_url, exchange_code, login_url, new_pkce

__all__ = [
    "CALLBACK_PATH",
    "CALLBACK_URL",
    "DEFAULT_TIMEOUT",
    "EXCHANGE_USER_AGENT",
    "LOGIN_PATH",
    "CodeCatcher",
    "LoginError",
    "LoginOptions",
    "Pkce",
    "browser_login",
    "code_from_url",
    "exchange_code",
    "find_chromium",
    "login_url",
    "new_pkce",
    "run",
    "s256",
]
