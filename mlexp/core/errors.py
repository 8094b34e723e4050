"""The one base of every error a person can cause and read in one sentence (`MlexpError`): the
command line and the widgets catch it and show its message; anything else is a bug, logged with
its traceback (`mlexp.core.errors.log`) and shown as one sentence."""
from __future__ import annotations

import logging

log = logging.getLogger("mlexp")


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
