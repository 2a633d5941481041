"""The table itself: pixiv's four APIs (:data:`APIS`) and every endpoint pixivcrawl calls (:data:`ENDPOINTS`).

Each entry cites pixiv's endpoint as the crawler sends it; docs/pixiv-protocol.md says what pixiv accepts and
returns there (with the sources it was read from), tests/fixtures holds the real answers the parsers are tested on.
"""

from __future__ import annotations

from pixivcrawl.parsers.ajax import (
    parse_commission_page,
    parse_illust_thumbnail,
    parse_novel_thumbnail,
    parse_ranking_page,
    parse_search_page,
    thumbnail_user,
)
from pixivcrawl.parsers.ajax_work import (
    ajax_work_user,
    parse_ajax_illust,
    parse_ajax_novel,
    parse_ajax_pages,
    parse_ajax_ugoira_meta,
)
from pixivcrawl.parsers.app_api import (
    next_url,
    parse_illust,
    parse_illust_series_detail,
    parse_novel,
    parse_novel_series_detail,
    parse_ugoira_metadata,
    parse_user_detail,
    parse_webview_novel,
)
from pixivcrawl.parsers.bookmarks import parse_bookmarks_page
from pixivcrawl.parsers.follows import parse_user_preview
from pixivcrawl.parsers.users import parse_profile_all, parse_user_illusts, parse_user_novels
from pixivcrawl.protocol import APP_API_HOST, IMAGE_HOST, OAUTH_HOST, STATIC_HOST, WEB_HOST

from .model import Api, Endpoint

# -- the APIs -------------------------------------------------------------------------------------------

APP = Api(name="app", hosts=(APP_API_HOST,), budget="app", client="app", credential="bearer",
          concurrency="PIXIV_API_CONCURRENCY", unlisted=(("/webview/", "webview"), ("", "json")),
          description="pixiv's App API, as the iOS app calls it: JSON, the OAuth access token as bearer.")
WEB = Api(name="web", hosts=(WEB_HOST,), budget="web", client="browser", credential="cookie",
          concurrency="PIXIV_API_CONCURRENCY", unlisted=(("/ajax/", "json"),),
          description="www.pixiv.net as a browser calls it: the Ajax API and ranking.php (JSON), the PHPSESSID "
                      "cookie; its other pages are HTML, not checked.")
OAUTH = Api(name="oauth", hosts=(OAUTH_HOST,), budget=None, client="app", credential=None, concurrency=1,
            unlisted=(("", "json"),),
            description="pixiv's OAuth server, as the iOS app calls it: JSON, no budget, one request at a time.")
CDN = Api(name="cdn", hosts=(IMAGE_HOST, STATIC_HOST), budget="cdn", client="referer", credential=None,
          concurrency="PIXIV_CDN_CONCURRENCY", unlisted=(("", "media"),),
          description="pixiv's image CDN: images and ugoira zips, with a pixiv Referer and no credentials.")

#: every API, in the order of their download slots (pixivcrawl.addon)
APIS: tuple[Api, ...] = (APP, WEB, OAUTH, CDN)

# -- App API (app-api.pixiv.net) ------------------------------------------------------------------------

ILLUST_DETAIL = Endpoint(
    name="illust_detail", api=APP, path="/v1/illust/detail", params=("illust_id",), answers="json",
    parser=(parse_illust,), budget="app",
    description="App API GET /v1/illust/detail?illust_id=: one illust, manga or ugoira whole, {illust}.")
UGOIRA_METADATA = Endpoint(
    name="ugoira_metadata", api=APP, path="/v1/ugoira/metadata", params=("illust_id",), answers="json",
    parser=(parse_ugoira_metadata,), budget="app",
    description="App API GET /v1/ugoira/metadata?illust_id=: an ugoira's zip URLs and frame delays, "
                "{ugoira_metadata}.")
ILLUST_SERIES = Endpoint(
    name="illust_series", api=APP, path="/v1/illust/series", params=("illust_series_id", "filter", "offset"),
    answers="json", parser=(parse_illust_series_detail, parse_illust, next_url), budget="app",
    description="App API GET /v1/illust/series?illust_series_id=&filter=for_ios: a series and a page of its "
                "works, newest first, {illust_series_detail, illusts, next_url} (cursor offset).")
ILLUST_SERIES_ILLUST = Endpoint(
    name="illust_series_illust", api=APP, path="/v1/illust-series/illust", params=("illust_id", "filter"),
    answers="json", parser=(parse_illust_series_detail, parse_illust), budget="app",
    description="App API GET /v1/illust-series/illust?illust_id=: a work's series and its neighbours, "
                "{illust_series_detail, illust_series_context} (no spider calls it yet; the replica serves it).")
NOVEL_SERIES = Endpoint(
    name="novel_series", api=APP, path="/v2/novel/series", params=("series_id", "filter", "last_order"),
    answers="json", parser=(parse_novel_series_detail, parse_novel, next_url), budget="app",
    description="App API GET /v2/novel/series?series_id=&filter=for_ios: a novel series and a page of its "
                "novels, oldest first, {novel_series_detail, novels, next_url} (cursor last_order).")
NOVEL_DETAIL = Endpoint(
    name="novel_detail", api=APP, path="/v2/novel/detail", params=("novel_id",), answers="json",
    parser=(parse_novel,), budget="app",
    description="App API GET /v2/novel/detail?novel_id=: one novel whole but its text, {novel}.")
NOVEL_TEXT = Endpoint(
    name="novel_text", api=APP, path="/webview/v2/novel", params=("id", "viewer_version"), answers="webview",
    parser=(parse_webview_novel,), budget="app",
    description="App API GET /webview/v2/novel?id=&viewer_version=20221031_ai: an HTML page holding the novel's "
                "text in a `novel: {…}` object.")
ILLUST_RANKING = Endpoint(
    name="illust_ranking", api=APP, path="/v1/illust/ranking", params=("mode", "date", "filter", "offset"),
    answers="json", parser=(parse_illust, next_url), budget="app",
    description="App API GET /v1/illust/ranking?mode=&date=&filter=for_ios: a page of a day's ranked works, "
                "{illusts, next_url} (cursor offset).")
NOVEL_RANKING = Endpoint(
    name="novel_ranking", api=APP, path="/v1/novel/ranking", params=("mode", "date", "filter", "offset"),
    answers="json", parser=(parse_novel, next_url), budget="app",
    description="App API GET /v1/novel/ranking?mode=&date=&filter=for_ios: a page of a day's ranked novels, "
                "{novels, next_url} (cursor offset).")

USER_DETAIL = Endpoint(
    name="user_detail", api=APP, path="/v1/user/detail", params=("user_id", "filter"), answers="json",
    parser=(parse_user_detail,), budget="app",
    description="App API GET /v1/user/detail?user_id=&filter=for_ios: a user and their profile, {user, profile, "
                "profile_publicity, workspace}; 404 for a user who left.")
USER_ILLUSTS = Endpoint(
    name="user_illusts", api=APP, path="/v1/user/illusts", params=("user_id", "type", "filter", "offset"),
    answers="json", parser=(parse_user_illusts, parse_illust, next_url), budget="app",
    description="App API GET /v1/user/illusts?user_id=&type=illust|manga&filter=for_ios: a page of a user's works, "
                "newest first, {illusts, next_url} (cursor offset, 30 a page); without type illusts, manga and "
                "ugoira together.")
USER_NOVELS = Endpoint(
    name="user_novels", api=APP, path="/v1/user/novels", params=("user_id", "filter", "offset"), answers="json",
    parser=(parse_user_novels, parse_novel, next_url), budget="app",
    description="App API GET /v1/user/novels?user_id=&filter=for_ios: a page of a user's novels, newest first, "
                "{novels, next_url} (cursor offset, 30 a page).")

USER_BOOKMARKS_ILLUST = Endpoint(
    name="user_bookmarks_illust", api=APP, path="/v1/user/bookmarks/illust",
    params=("user_id", "restrict", "filter", "tag", "max_bookmark_id"), answers="json",
    parser=(parse_bookmarks_page, parse_illust), budget="app",
    description="App API GET /v1/user/bookmarks/illust?user_id=&restrict=public|private&filter=for_ios&tag=: a page "
                "of the illusts (and manga, ugoira) a user bookmarked, newest bookmark first, {illusts, next_url} "
                "(30 a page, cursor max_bookmark_id); private ones only for the account's own user.")
USER_BOOKMARKS_NOVEL = Endpoint(
    name="user_bookmarks_novel", api=APP, path="/v1/user/bookmarks/novel",
    params=("user_id", "restrict", "filter", "tag", "max_bookmark_id"), answers="json",
    parser=(parse_bookmarks_page, parse_novel), budget="app",
    description="App API GET /v1/user/bookmarks/novel?user_id=&restrict=public|private&filter=for_ios&tag=: a page "
                "of the novels a user bookmarked, newest bookmark first, {novels, next_url} (30 a page, cursor "
                "max_bookmark_id); private ones only for the account's own user.")
USER_FOLLOWING = Endpoint(
    name="user_following", api=APP, path="/v1/user/following", params=("user_id", "restrict", "filter", "offset"),
    answers="json", parser=(parse_user_preview, next_url), budget="app",
    description="App API GET /v1/user/following?user_id=&restrict=public|private&filter=for_ios: a page of the users "
                "a user follows, newest follow first, {user_previews: [{user, illusts, novels, is_muted}], next_url} "
                "(cursor offset, at most 5000); private follows for the account's own user only.")
ILLUST_FOLLOW = Endpoint(
    name="illust_follow", api=APP, path="/v2/illust/follow", params=("restrict", "offset"), answers="json",
    parser=(parse_illust, next_url), budget="app",
    description="App API GET /v2/illust/follow?restrict=public|private|all: a page of the account's follow feed, "
                "the newest illusts and manga of the users it follows, {illusts, next_url} (cursor offset; pixiv "
                "ends it after a fixed depth).")
NOVEL_FOLLOW = Endpoint(
    name="novel_follow", api=APP, path="/v1/novel/follow", params=("restrict", "offset"), answers="json",
    parser=(parse_novel, next_url), budget="app",
    description="App API GET /v1/novel/follow?restrict=public|private|all: a page of the account's novel follow "
                "feed, newest first, {novels, next_url} (cursor offset; pixiv ends it after a fixed depth).")

# -- web (www.pixiv.net) --------------------------------------------------------------------------------

SEARCH = Endpoint(
    name="search", api=WEB, path="/ajax/search/{kind}/{word}",
    params=("word", "order", "mode", "s_mode", "type", "wlt", "wgt", "hlt", "hgt", "ratio", "tool", "ai_type",
            "work_lang", "lang", "blt", "bgt", "scd", "ecd", "p"),
    answers="json", parser=(parse_search_page, parse_illust_thumbnail, parse_novel_thumbnail, thumbnail_user),
    budget="web",
    description="Ajax GET /ajax/search/{artworks|illustrations|manga|novels}/{word}?word=&p=…: a page of search "
                "thumbnails, {error, body: {illustManga|illust|manga|novel: {data, total, lastPage}}}.")
RANKING_PHP = Endpoint(
    name="ranking_php", api=WEB, path="/ranking.php", params=("mode", "content", "date", "p", "format"),
    answers="json", parser=(parse_ranking_page,), budget="web",
    description="web GET /ranking.php?mode=&content=&date=&p=&format=json: a page of a day's ranking, "
                "{contents, mode, date, next, …} (not Ajax: no error envelope).")
COMMISSION_OVERVIEW = Endpoint(
    name="commission_overview", api=WEB, path="/ajax/commission/page/request", answers="json",
    parser=(parse_commission_page,), budget="web",
    description="Ajax GET /ajax/commission/page/request: the request (commission) overview, {error, body}.")
COMMISSION_LISTING = Endpoint(
    name="commission_listing", api=WEB, path="/ajax/commission/page/request/{section}/{work_type}",
    params=("mode", "p"), answers="json", parser=(parse_commission_page,), budget="web",
    description="Ajax GET /ajax/commission/page/request/{complete|creators|in_progress}/{type}?mode=&p=: a page "
                "of a request listing, {error, body}.")
AJAX_ILLUST = Endpoint(
    name="ajax_illust", api=WEB, path="/ajax/illust/{illust_id}", params=("lang",), answers="json",
    parser=(parse_ajax_illust, ajax_work_user), budget="web",
    description="Ajax GET /ajax/illust/{id}?lang=: a work's page as the web shows it, {error, body}.")
AJAX_ILLUST_PAGES = Endpoint(
    name="ajax_illust_pages", api=WEB, path="/ajax/illust/{illust_id}/pages", params=("lang",), answers="json",
    parser=(parse_ajax_pages,), budget="web",
    description="Ajax GET /ajax/illust/{id}/pages?lang=: the image URLs of every page of a work, {error, body}.")
AJAX_UGOIRA_META = Endpoint(
    name="ajax_ugoira_meta", api=WEB, path="/ajax/illust/{illust_id}/ugoira_meta", params=("lang",),
    answers="json", parser=(parse_ajax_ugoira_meta,), budget="web",
    description="Ajax GET /ajax/illust/{id}/ugoira_meta?lang=: an ugoira's zip URLs and frames, {error, body}.")
AJAX_NOVEL = Endpoint(
    name="ajax_novel", api=WEB, path="/ajax/novel/{novel_id}", params=("lang",), answers="json",
    parser=(parse_ajax_novel, ajax_work_user), budget="web",
    description="Ajax GET /ajax/novel/{id}?lang=: a novel whole with its text (body.content), {error, body}.")

USER_PROFILE_ALL = Endpoint(
    name="user_profile_all", api=WEB, path="/ajax/user/{user_id}/profile/all", params=("lang",), answers="json",
    parser=(parse_profile_all,), budget="web",
    description="Ajax GET /ajax/user/{id}/profile/all: the ids of a user's works and their series, {error, body: "
                "{illusts, manga, novels, mangaSeries, novelSeries, pickup, …}}.")

# -- OAuth (oauth.secure.pixiv.net) ---------------------------------------------------------------------

OAUTH_TOKEN = Endpoint(
    name="oauth_token", api=OAUTH, method="POST", path="/auth/token", answers="json", budget=None,
    description="OAuth POST /auth/token (form: client_id, client_secret, grant_type refresh_token or "
                "authorization_code, …): {access_token, expires_in, refresh_token, …, response: {…}}; read by "
                "pixivcrawl.middlewares.auth (and pixivcrawl.login's code exchange).")

# -- image CDN (i.pximg.net) ----------------------------------------------------------------------------

ORIGINAL_IMAGE = Endpoint(
    name="original_image", api=CDN, path="/img-original/img/{date_path:[0-9/]+}/{filename}", answers="media",
    budget="cdn", description="CDN GET /img-original/img/{date}/{id}_p{n}.{ext}: a page's original image.")
MASTER_IMAGE = Endpoint(
    name="master_image", api=CDN, path="/img-master/img/{date_path:[0-9/]+}/{filename}", answers="media",
    budget="cdn", description="CDN GET /img-master/img/{date}/{id}_p{n}_master1200.jpg: a page's 1200 px JPEG.")
RESIZED_IMAGE = Endpoint(
    name="resized_image", api=CDN, path="/c/{size}/img-master/img/{date_path:[0-9/]+}/{filename}",
    answers="media", budget="cdn",
    description="CDN GET /c/{box}/img-master/img/{date}/{id}_p{n}_master1200.jpg: a page resized into a box "
                "(540x540_70 medium, 600x1200_90 large).")
UGOIRA_ZIP = Endpoint(
    name="ugoira_zip", api=CDN, path="/img-zip-ugoira/img/{date_path:[0-9/]+}/{filename}", answers="media",
    budget="cdn",
    description="CDN GET /img-zip-ugoira/img/{date}/{id}_ugoira{600x600|1920x1080}.zip: an ugoira's frames.")

#: every endpoint, by API
ENDPOINTS: tuple[Endpoint, ...] = (
    ILLUST_DETAIL, UGOIRA_METADATA, ILLUST_SERIES, ILLUST_SERIES_ILLUST, NOVEL_SERIES, NOVEL_DETAIL, NOVEL_TEXT,
    ILLUST_RANKING, NOVEL_RANKING, USER_DETAIL, USER_ILLUSTS, USER_NOVELS,
    USER_BOOKMARKS_ILLUST, USER_BOOKMARKS_NOVEL, USER_FOLLOWING, ILLUST_FOLLOW, NOVEL_FOLLOW,
    SEARCH, RANKING_PHP, COMMISSION_OVERVIEW, COMMISSION_LISTING, AJAX_ILLUST, AJAX_ILLUST_PAGES, AJAX_UGOIRA_META,
    AJAX_NOVEL, USER_PROFILE_ALL,
    OAUTH_TOKEN,
    ORIGINAL_IMAGE, MASTER_IMAGE, RESIZED_IMAGE, UGOIRA_ZIP,
)
