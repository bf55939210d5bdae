"""``python -m benchmark COMMAND`` = ``linecorr COMMAND`` for train / score / leaderboard."""

import sys

from dataprep.cli import main

sys.exit(main(sys.argv[1:]))
