"""Data loading: a local mirror (`MLEXP_DATA_DIR`), else a cache filled from the real source."""
from __future__ import annotations

from mlexp.data.mnist import load_mnist
from mlexp.data.quickdraw import load_quickdraw, load_quickdraw_splits, load_quickdraw_strokes
from mlexp.data.rps import RPS_LABELS, group_split, load_rps, rps_files
from mlexp.data.sources import DataUnavailable, cache_dir, fetch, mirror_dir
from mlexp.data.split import stratified_split
from mlexp.data.testing import TESTING_PHOTOS, testing_predictions

__all__ = ["DataUnavailable", "fetch", "mirror_dir", "cache_dir", "load_mnist", "load_quickdraw",
           "load_quickdraw_splits", "load_quickdraw_strokes", "stratified_split", "RPS_LABELS",
           "load_rps", "rps_files", "group_split", "TESTING_PHOTOS",
           "testing_predictions"]
