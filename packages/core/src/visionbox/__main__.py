"""``python -m visionbox``: the ``visionbox`` command."""

import sys

from visionbox.core.cli import main

sys.exit(main())
