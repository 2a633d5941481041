"""Run gallery-dl (installed in the peers' virtualenv) against the replica.

    python gallerydl_replica.py ORIGIN [gallery-dl arguments…]

Only the transport is redirected (mirror.py); everything else is gallery-dl's own ``main()`` with the
arguments given (the bench passes ``--config`` with the refresh token and options)."""

import sys

import mirror

if __name__ == "__main__":
    mirror.install(sys.argv[1])
    sys.argv = ["gallery-dl", *sys.argv[2:]]
    import gallery_dl

    sys.exit(gallery_dl.main())
