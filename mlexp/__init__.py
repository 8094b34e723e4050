"""mlexp: data, inference and training helpers for interactive ML experiments.

Importing mlexp (and `mlexp.load`) never imports TensorFlow; only `mlexp.training` does.
"""
from mlexp.core.litert import ModelMissing
from mlexp.experiments import EXPERIMENTS, Experiment, evaluate, get, load
from mlexp.inputs.drawings import BadDrawing
from mlexp.predictors.drawing import Classifier, Prediction

__all__ = ["EXPERIMENTS", "Experiment", "get", "load", "evaluate", "Classifier", "Prediction", "BadDrawing",
           "ModelMissing"]
