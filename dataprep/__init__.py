"""linecorr data preparation: the dataset format, segmentation, pseudo-labels, import/export."""

__version__ = "0.1.0"
