"""Reproducible stratified splits: every class keeps its share in train, validation and test."""
from __future__ import annotations

import numpy as np


def stratified_split(y: np.ndarray, validation: float = 0.1, test: float = 0.1, seed: int = 0):
    """Index arrays (train, validation, test) of labels `y`: for each class, a seeded shuffle of
    its examples, the first `test` fraction to test, the next `validation` fraction to validation.
    The same labels and seed always give the same split (`mlexp evaluate` relies on it)."""
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise ValueError("The validation and test fractions must be between 0 and 1, with room left to train.")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test, n_val = round(test * len(members)), round(validation * len(members))
        parts[2].append(members[:n_test])
        parts[1].append(members[n_test : n_test + n_val])
        parts[0].append(members[n_test + n_val :])
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) for p in parts)
