# SPDX-License-Identifier: MIT
"""``python -m waitscope_introspect``: see :func:`waitscope_introspect.cli.main`."""

import sys

from .cli import main

sys.exit(main())
