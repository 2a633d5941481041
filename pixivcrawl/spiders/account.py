"""The crawl's own pixiv account, for spiders whose default subject is "mine" (``following``, ``feed``).

pixiv says which user an account is in the token endpoint's answer (``user.id`` of ``POST /auth/token``);
:meth:`PixivAuthMiddleware.account_user_id <pixivcrawl.middlewares.auth.PixivAuthMiddleware.account_user_id>` keeps
it (never the token). A spider awaits it in its ``start()``, before its first request.
"""

from __future__ import annotations

from scrapy.exceptions import CloseSpider

from pixivcrawl.exceptions import NoAccessToken
from pixivcrawl.middlewares.auth import PixivAuthMiddleware


class OwnAccountMixin:
    """Needs the spider's ``crawler`` and ``logger``."""

    async def own_user_id(self) -> int | None:
        """The pixiv user id of the crawl's account, waiting for its access token; None when the crawl has no
        refresh token or cannot get a token (the auth middleware stops the crawl and says why). Closes the spider
        (``bad_arguments``) when pixiv's token answer names no user."""
        auth = self.crawler.get_downloader_middleware(PixivAuthMiddleware)
        if auth is None or auth.credentials.refresh_token is None:
            return None
        try:
            user_id = await auth.account_user_id()
        except NoAccessToken:  # logged where the token was given up; the crawl is stopping
            return None
        if user_id is None:
            self.logger.error("pixiv's token answer does not say which user the account is: give -a user_id=….")
            raise CloseSpider("bad_arguments")
        return user_id
