"""Recorder: while a class's button is held, which camera frames become its samples. No widgets:
the teach view asks it about each frame, and tests drive it directly with a clock of their own."""
from __future__ import annotations

import time
from typing import Callable


class Recorder:
    """Frames become samples of the class being recorded at `rate` a second on average, whatever
    the camera's frame rate: a token bucket (credit accrues with time, up to `burst` samples, and
    each sample spends 1; a recording starts with credit for one, so its first frame is taken).
    `clock` gives the time in seconds (tests replace it)."""

    def __init__(self, rate: float = 10.0, clock: Callable[[], float] = time.monotonic, burst: float = 1.5):
        self.rate, self.clock, self.burst = rate, clock, burst
        self.recording: int | None = None  # the class whose button is held
        self._credit, self._credit_at = 1.0, None

    def start(self, index: int) -> None:
        """Class `index`'s button was pressed: its frames become samples from now on."""
        self.recording, self._credit, self._credit_at = index, 1.0, None

    def stop(self, index: int | None = None) -> int | None:
        """Stop recording (only class `index`'s, when given: a release of another button changes
        nothing); the class that was recording and stopped, or None."""
        if self.recording is None or index not in (None, self.recording):
            return None
        index, self.recording = self.recording, None
        return index

    def camera_stopped(self) -> int | None:
        """The camera stopped (denied, unplugged): no frame will come, so the recording ends; the
        class that was recording (its samples stay), or None."""
        return self.stop()

    def take(self) -> int | None:
        """For a frame that just arrived: the class it becomes a sample of, or None."""
        if self.recording is None:
            return None
        now = self.clock()
        if self._credit_at is not None:
            self._credit = min(self.burst, self._credit + (now - self._credit_at) * self.rate)
        self._credit_at = now
        if self._credit < 1:
            return None
        self._credit -= 1
        return self.recording
