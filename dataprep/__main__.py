"""``python -m dataprep`` = the ``linecorr`` command."""

import sys

from dataprep.cli import main

sys.exit(main())
