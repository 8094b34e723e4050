"""mlexp: data, inference and training helpers for interactive ML experiments.

Importing mlexp (and `mlexp.load`) never imports TensorFlow; only `mlexp.training` does.
"""
from .drawing import Classifier, Prediction
from .experiments import EXPERIMENTS, Experiment, evaluate, get, load
from .litert import ModelMissing
from .preprocess import BadDrawing

__all__ = ["EXPERIMENTS", "Experiment", "get", "load", "evaluate", "Classifier", "Prediction", "BadDrawing",
           "ModelMissing"]
