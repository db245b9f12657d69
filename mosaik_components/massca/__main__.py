"""``python -m mosaik_components.massca``: the same as the ``massca`` command."""

import sys

from .cli import main

sys.exit(main())
