"""Importers and exporters for the public formats users already have.

- :mod:`dataprep.importers.pbc`: PaintBucket-Character (BasicPBC), ``<char>/{line,gt,seg,label,
  json_color,json_index}/NNNN.*``.
- :mod:`dataprep.importers.animerun`: AnimeRun, ``{contour,Frame_Anime,Segment,SegMatching}/<scene>/``.

Each has ``import_*(src, out, cfg)`` writing a linecorr dataset (staged, resumable per clip) and
``export_*(dataset, out)`` writing the foreign layout back; a round trip gives the same pixels,
arrays and JSON values.
"""

from dataprep.importers.animerun import AnimeRunImportConfig, export_animerun, import_animerun
from dataprep.importers.pbc import PbcImportConfig, export_pbc, import_pbc

__all__ = ["AnimeRunImportConfig", "PbcImportConfig", "export_animerun", "export_pbc", "import_animerun",
           "import_pbc"]
