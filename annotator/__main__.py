"""``python -m annotator`` = ``linecorr annotate``."""

import sys

from dataprep.cli import main

sys.exit(main(["annotate", *sys.argv[1:]]))
