"""``python -m fcnn``: the same command as the ``fcnn`` console script."""

import sys

from fcnn.cli import main

sys.exit(main())
