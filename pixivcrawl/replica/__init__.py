"""A local server that behaves like pixiv: OAuth, App API, web Ajax API and image CDN.

Start it with ``pixivcrawl replica --port N`` (or ``python -m pixivcrawl.replica``); point the crawler at it
with ``PIXIV_MIRROR=http://127.0.0.1:N``.
"""

from .accounts import Account, replica_account
from .config import ReplicaConfig
from .server import Replica, serve
from .world import World

__all__ = ["Account", "Replica", "ReplicaConfig", "World", "replica_account", "serve"]
