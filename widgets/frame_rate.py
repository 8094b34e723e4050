"""A fair share of the CPU for every camera: the kernel's frame rate, adapted to its own cost and
the server's load (the pattern of WebRTC's CPU-overuse detector: measure, step down fast, step up
slowly).

Each camera's share is the server's CPU capacity (cores) divided by the number of cameras sending
frames now (`ActiveCameras`: one small file per camera in a shared folder, its mtime a heartbeat).
Every `CHECK_SECONDS` the governor compares what this camera uses (CPU seconds per frame x frames
per second) with its share: two readings in a row over `OVER` of the share while the machine is
over `BUSY` busy step the rate down (x`DOWN`, or straight to what fits); `UP_AFTER` seconds of
readings under `UNDER` of the share (or of a machine under `ROOMY` busy) step it up by `UP_STEP`.
The rate stays between `FLOOR` and the dashboard's `fps`.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import psutil

CHECK_SECONDS = 2.5  # how often the rate is reconsidered
OVER = 0.85          # over this much of its share (and the machine busy): overuse
BUSY = 0.85          # the machine is this busy (0-1): CPU is contended
UNDER = 0.40         # under this much of its share: underuse
ROOMY = 0.60         # the machine is less busy than this: room for everyone to step up
DOWN = 0.7           # step down: at least x0.7 ...
FIT = 0.7            # ... or straight to the rate that uses this much of the share
UP_AFTER = 10.0      # seconds of underuse before each step up
UP_STEP = 1.0        # frames/s added per step up
FLOOR = 2.0          # never below this many frames/s (unless the dashboard asks for fewer)
HEARTBEAT_STALE = 4 * CHECK_SECONDS  # a camera whose file is older than this is not active


class FrameRateGovernor:
    """The frame rate one camera may use: `frame(seconds)` after each frame (its CPU cost); when
    `due()`, `check(machine_busy, cameras)` reconsiders the rate (`observe` is the pure rule).
    `capacity`: the server's cores; `ceiling`: the dashboard's fps; `clock`: seconds, injectable."""

    def __init__(self, ceiling: float, capacity: float, clock: Callable[[], float] = time.monotonic):
        self.ceiling, self.capacity, self.clock = float(ceiling), float(capacity), clock
        self.rate = self.ceiling
        self.usage = 0.0  # the last reading: this camera's use of its share (1 = all of it)
        self._over = 0
        self._under_since: float | None = None
        self._start()

    def _start(self) -> None:
        self._since, self._frames, self._seconds = self.clock(), 0, 0.0

    def set_ceiling(self, fps: float) -> None:
        """The dashboard changed `fps`: a rate that was not held down follows it."""
        held = self.rate < self.ceiling
        self.ceiling = float(fps)
        self.rate = min(self.rate, self.ceiling) if held else self.ceiling

    def frame(self, seconds: float) -> None:
        """One frame was handled, costing `seconds` of CPU."""
        self._frames += 1
        self._seconds += max(seconds, 0.0)

    def due(self) -> bool:
        return self.clock() - self._since >= CHECK_SECONDS

    def check(self, machine_busy: float, cameras: int) -> float:
        """Reconsider the rate from the frames since the last check; the rate."""
        elapsed, frames, seconds = self.clock() - self._since, self._frames, self._seconds
        self._start()
        if frames < 2 or elapsed <= 0:  # too few frames to judge (paused, starting)
            self._over, self._under_since = 0, None
            return self.rate
        return self.observe(seconds / frames, machine_busy, cameras, frames / elapsed)

    def observe(self, seconds_per_frame: float, machine_busy: float, cameras: int,
                frames_per_second: float | None = None) -> float:
        """One reading: CPU seconds per frame, the machine's busy fraction (0-1), the cameras
        active on the server (this one included), the frames/s received (default: the rate).
        Returns the new rate."""
        share = self.capacity / max(int(cameras), 1)
        fps = self.rate if frames_per_second is None else frames_per_second
        self.usage = seconds_per_frame * fps / share
        now = self.clock()
        if self.usage > OVER and machine_busy > BUSY:
            self._under_since = None
            self._over += 1
            if self._over >= 2:
                self._over = 0
                fits = FIT * share / seconds_per_frame if seconds_per_frame > 0 else self.rate
                self.rate = self._bounded(min(self.rate * DOWN, fits))
        elif self.usage < UNDER or machine_busy < ROOMY:
            self._over = 0
            if self._under_since is None:
                self._under_since = now
            elif now - self._under_since >= UP_AFTER:
                self._under_since = now
                self.rate = self._bounded(self.rate + UP_STEP)
        else:
            self._over, self._under_since = 0, None
        return self.rate

    def _bounded(self, rate: float) -> float:
        return min(self.ceiling, max(FLOOR, rate))


def cpu_capacity() -> float:
    """The cores this process may use: its CPU affinity, lowered by a cgroup (v2) CPU quota."""
    try:
        cores = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cores = float(psutil.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, int(quota) / int(period))
    except (OSError, ValueError):
        pass
    return max(cores, 0.1)


class MachineLoad:
    """The whole machine's busy fraction (0-1) since the previous call, from psutil's CPU times
    (its own samples: psutil.cpu_percent(interval=None) shares one last sample per process, so
    another caller would shorten our interval; its first call returns a meaningless 0)."""

    def __init__(self):
        self._last = psutil.cpu_times()

    def busy(self) -> float:
        now = psutil.cpu_times()
        total = sum(now) - sum(self._last)
        idle = sum(getattr(now, k, 0.0) - getattr(self._last, k, 0.0) for k in ("idle", "iowait"))
        self._last = now
        return min(max(1.0 - idle / total, 0.0), 1.0) if total > 0 else 0.0


def share_folder() -> Path:
    """Where cameras announce themselves: $MLEXP_SHARE_DIR/mlexp-cameras, else in the temp folder."""
    return Path(os.environ.get("MLEXP_SHARE_DIR") or tempfile.gettempdir()) / "mlexp-cameras"


class ActiveCameras:
    """How many cameras on this server are sending frames: each beats (touches its own file in a
    shared folder) while it receives frames; files touched in the last HEARTBEAT_STALE seconds
    count. Any failure (a read-only folder) counts this camera alone."""

    def __init__(self, name: str, folder: Path | None = None):
        self.folder = Path(folder) if folder else share_folder()
        self.path = self.folder / f"{os.getpid()}-{name}"

    def beat(self) -> None:
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True, exist_ok=True)
                os.chmod(self.folder, 0o1777)  # every user's kernels announce themselves here
            self.path.touch()
        except OSError:
            pass

    def count(self) -> int:
        now, active = time.time(), 0
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    try:
                        age = now - entry.stat().st_mtime
                    except OSError:
                        continue
                    if age <= HEARTBEAT_STALE:
                        active += 1
                    elif age > 3600:  # a kernel that died without leaving (best effort)
                        self._remove(Path(entry.path))
        except OSError:
            return 1
        return max(active, 1)

    def leave(self) -> None:
        self._remove(self.path)

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass
