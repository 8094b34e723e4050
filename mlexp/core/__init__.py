"""The runtime every dashboard uses: LiteRT models and predictors, the LiteRT writer, metrics,
errors, paths. numpy and LiteRT only."""
