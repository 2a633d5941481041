"""``python -m pixivcrawl.replica``: the same as ``pixivcrawl replica``."""

from pixivcrawl.replica.cli import main

main()
