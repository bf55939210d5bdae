"""``python -m blender_scripts`` = ``linecorr render``."""

import sys

from dataprep.cli import main

sys.exit(main(["render", *sys.argv[1:]]))
