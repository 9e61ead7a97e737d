"""``python -m properties``: the conformance report (see :mod:`properties.report.cli`)."""

import sys

from properties.report.cli import main

sys.exit(main())
