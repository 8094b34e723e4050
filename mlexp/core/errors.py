"""The one base of every error a person can cause and read in one sentence (`MlexpError`): the
command line and the widgets catch it and show its message; anything else is a bug, which keeps
its traceback (the command line) or has it logged (the widgets: `widgets.common.sentence`)."""
from __future__ import annotations


class MlexpError(Exception):
    """Something a person asked for cannot be done; the message says why, in one sentence."""

    for_people = True  # how `widgets` (which import nothing of mlexp) tell it from a bug


class ModelMissing(MlexpError, FileNotFoundError):
    """An exported model file is not there; the message says how to make it."""


class DataUnavailable(MlexpError, RuntimeError):
    """Neither the local mirror nor the internet could provide a data file."""


class UnknownExperiment(MlexpError, KeyError):
    """No experiment or taught model has that name."""

    def __str__(self) -> str:  # KeyError would quote the sentence
        return str(self.args[0]) if self.args else ""
