"""pixiv's host names and base URLs, shared by the crawler and the replica."""

from __future__ import annotations

OAUTH_HOST = "oauth.secure.pixiv.net"
APP_API_HOST = "app-api.pixiv.net"
WEB_HOST = "www.pixiv.net"
IMAGE_HOST = "i.pximg.net"
STATIC_HOST = "s.pximg.net"
ACCOUNTS_HOST = "accounts.pixiv.net"  # the web login (pixivcrawl login)

#: Every host a request may be redirected to a replica for (``PIXIV_MIRROR``).
PIXIV_HOSTS = frozenset({OAUTH_HOST, APP_API_HOST, WEB_HOST, IMAGE_HOST, STATIC_HOST})
#: Hosts of the image CDN (need a pixiv Referer, no credentials).
CDN_HOSTS = frozenset({IMAGE_HOST, STATIC_HOST})

OAUTH_TOKEN_URL = f"https://{OAUTH_HOST}/auth/token"
APP_API = f"https://{APP_API_HOST}"
WEB = f"https://{WEB_HOST}"

#: The public client of pixiv's Android app, used by every current client (see docs/pixiv-protocol.md §1.1).
CLIENT_ID = "MOBrBDS8blbauoSck0ZfDbtuzpyT"
CLIENT_SECRET = "lsACyCD94FhDUtGTXi3QzcFE2uU1hqtDaKeqrdwj"  # noqa: S105 - pixiv's public app client, the same in every client
HASH_SECRET = "28c1fdd170a5204386cb1313c7077b34f83e4aaf4aa829ce78c231e05b0bae2c"  # noqa: S105 - pixiv's public X-Client-Hash salt, the same in every client
