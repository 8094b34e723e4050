"""mlexp: data, inference and training helpers for interactive ML experiments.

Importing mlexp (and `mlexp.load`) never imports TensorFlow; only `mlexp.training` does.
"""
from .experiments import EXPERIMENTS, Experiment, get
from .preprocess import BadDrawing
from .runtime import Classifier, ModelMissing, Prediction, load

__all__ = ["EXPERIMENTS", "Experiment", "get", "load", "Classifier", "Prediction", "BadDrawing",
           "ModelMissing"]
