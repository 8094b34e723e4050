"""One predictor class per kind of experiment, behind `mlexp.load(name)`."""
