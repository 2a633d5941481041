"""Rewrite README.md's spider argument tables from the spiders' argument models.

    python scripts/update_readme_arguments.py          # rewrites README.md in place
    python scripts/update_readme_arguments.py --check  # exit status 1 if a table is out of date

Each table sits between ``<!-- spider-arguments NAME -->`` and ``<!-- /spider-arguments -->``
(pixivcrawl.spiders.reference); tests/test_spider_reference.py fails while one differs from the models.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pixivcrawl.spiders.reference import readme_blocks, update_readme

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when a table is out of date")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    updated = update_readme(text)
    stale = sorted(name for name, block in readme_blocks(text).items() if readme_blocks(updated)[name] != block)
    if args.check:
        print(f"out of date: {', '.join(stale)}" if stale else "README.md's argument tables are up to date")
        return 1 if stale else 0
    README.write_text(updated, encoding="utf-8")
    print(f"rewrote {', '.join(stale)}" if stale else "README.md's argument tables were up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
