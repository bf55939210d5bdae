"""The linecorr dataset format (docs/FORMAT.md): records, reading, writing, validation."""

from dataprep.format.dataset import Dataset, Frame, read_json
from dataprep.format.opener import dataset_specs, open_dataset, open_datasets
from dataprep.format.schema import (
    MATCH_SOURCES,
    PAIR_STATUSES,
    SCHEMA_VERSION,
    ClipInfo,
    Manifest,
    Match,
    Pair,
    Producer,
    pair_id,
    parse_pair_id,
)
from dataprep.format.segtable import SegmentTable, compute_segment_table
from dataprep.format.writer import DatasetWriter, make_producer

__all__ = [
    "MATCH_SOURCES", "PAIR_STATUSES", "SCHEMA_VERSION", "ClipInfo", "Dataset", "DatasetWriter", "Frame",
    "Manifest", "Match", "Pair", "Producer", "SegmentTable", "compute_segment_table", "dataset_specs", "make_producer",
    "open_dataset", "open_datasets", "pair_id", "parse_pair_id", "read_json",
]
