"""``python -m halite <tool> ...``: the same as the ``halite`` console script."""

import sys

from halite.commands import main

sys.exit(main())
