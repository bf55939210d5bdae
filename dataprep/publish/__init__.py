"""Publishing a linecorr dataset with Hugging Face ``datasets``: parquet shards, a DatasetDict,
a dataset card, and an optional push to the Hub.

Example:
    >>> from dataprep.publish import PublishConfig, publish_dataset        # doctest: +SKIP
    >>> res = publish_dataset("data/toy", "hf/toy", PublishConfig())       # doctest: +SKIP
    >>> res.splits                                                          # doctest: +SKIP
    {'train': 3, 'val': 3, 'test': 3}

Heavy imports (``datasets``, ``pyarrow``) happen inside the functions, so importing this package
is cheap.
"""

from __future__ import annotations

from dataprep.publish.export import PublishConfig, PublishResult, publish_dataset
from dataprep.publish.hf_dataset import decode_label_image, decode_segment_image, hf_features
from dataprep.publish.hub import check_push_ready

__all__ = ["PublishConfig", "PublishResult", "check_push_ready", "decode_label_image", "decode_segment_image",
           "hf_features", "publish_dataset"]
