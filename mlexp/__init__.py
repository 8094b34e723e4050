"""mlexp: data, inference and training helpers for interactive ML experiments.

The public face: `load(name)`, `evaluate(name)`, `get(name)`, `EXPERIMENTS`, and `MlexpError`, the
base of every error a person can cause (`ModelMissing`, `BadDrawing`, ...). The sub-packages are
layers (docs/architecture.md). Importing mlexp (and `mlexp.load`) never imports TensorFlow; only
`mlexp.training` does, on first use of its helpers.
"""
from mlexp.core.errors import DataUnavailable, MlexpError, ModelMissing
from mlexp.experiments import EXPERIMENTS, Experiment, evaluate, get, load
from mlexp.inputs.drawings import BadDrawing
from mlexp.predictors.drawing import Classifier, Prediction

__all__ = ["EXPERIMENTS", "Experiment", "get", "load", "evaluate", "Classifier", "Prediction", "BadDrawing",
           "ModelMissing", "DataUnavailable", "MlexpError"]
