"""The cameras' fair share of the CPU: the governor's rule under simulated load, then a Camera
whose callbacks cost simulated CPU on a simulated busy machine, and the nobody-in-view stop."""
from __future__ import annotations

import io
import os
import time

import pytest
from PIL import Image

from widgets import frame_rate
from widgets.camera import Camera
from widgets.frame_rate import CHECK_SECONDS, FLOOR, ActiveCameras, FrameRateGovernor, MachineLoad


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(governor, clock, seconds, spf, busy, cameras, fps=None):
    """Readings every CHECK_SECONDS for `seconds`; the rates after each."""
    rates = []
    for _ in range(round(seconds / CHECK_SECONDS)):
        clock.now += CHECK_SECONDS
        rates.append(governor.observe(spf, busy, cameras, fps))
    return rates


def test_sustained_overuse_steps_down_within_two_checks():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=20, capacity=2, clock=clock)
    # 10 cameras on 2 cores: a share of 0.2 core; 20 ms a frame at 20 frames/s is 0.4 core.
    first, second = run(governor, clock, 2 * CHECK_SECONDS, spf=0.020, busy=0.98, cameras=10)
    assert first == 20 and second < 20
    assert second == pytest.approx(0.7 * 0.2 / 0.020)  # straight to what fits: 7 frames/s
    assert run(governor, clock, 10, spf=0.020, busy=0.98, cameras=10, fps=7) == pytest.approx([7] * 4)  # 70%: stays


def test_one_busy_reading_is_not_enough_and_a_calm_machine_is_not_throttled():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=15, capacity=2, clock=clock)
    rates = [governor.observe(0.05, 0.95, 10), governor.observe(0.05, 0.5, 10), governor.observe(0.05, 0.95, 10)]
    assert rates == [15, 15, 15]  # over its share, but never two contended readings in a row
    assert run(governor, clock, 30, spf=0.05, busy=0.7, cameras=10) == [15] * 12  # not contended


def test_mild_overuse_steps_by_at_least_x07():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=10, capacity=2, clock=clock)
    # share 0.5 core; 45 ms x 10 frames/s = 0.45 core = 90% of it
    assert run(governor, clock, 2 * CHECK_SECONDS, spf=0.045, busy=0.9, cameras=4)[-1] == pytest.approx(7)


def test_long_underuse_steps_up_slowly_to_the_ceiling():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=12, capacity=2, clock=clock)
    governor.rate = 5.0
    rates = run(governor, clock, 60, spf=0.005, busy=0.95, cameras=10)  # 5 ms x 5/s: 12% of its share
    assert rates[:3] == [5, 5, 5]                # nothing for the first 10 s
    assert max(b - a for a, b in zip(rates, rates[1:])) <= 1  # +1 at a time
    assert rates[4] == 6 and rates[8] == 7 and max(rates) <= 12
    assert run(governor, clock, 200, spf=0.005, busy=0.95, cameras=10)[-1] == 12  # never above fps


def test_an_idle_machine_lets_the_rate_climb_even_over_the_share():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=15, capacity=2, clock=clock)
    governor.rate = 4.0
    assert run(governor, clock, 40, spf=0.1, busy=0.3, cameras=10)[-1] > 4


def test_the_floor_is_two_frames_per_second_unless_fps_is_lower():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=20, capacity=1, clock=clock)
    rates = run(governor, clock, 60, spf=0.2, busy=1.0, cameras=30)
    assert min(rates) == FLOOR == rates[-1]
    low = FrameRateGovernor(ceiling=1, capacity=1, clock=clock)
    assert run(low, clock, 20, spf=0.2, busy=1.0, cameras=30)[-1] == 1


def test_a_lower_fps_caps_the_rate_and_a_higher_one_is_followed_unless_held_down():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=15, capacity=2, clock=clock)
    governor.set_ceiling(20)
    assert governor.rate == 20
    governor.rate = 6.0  # held down by load
    governor.set_ceiling(30)
    assert governor.rate == 6
    governor.set_ceiling(4)
    assert governor.rate == 4


def test_check_uses_the_frames_since_the_last_check():
    clock = Clock()
    governor = FrameRateGovernor(ceiling=20, capacity=2, clock=clock)
    for _ in range(2):
        for _ in range(51):  # 20 frames/s, 20 ms each
            clock.now += 0.05
            governor.frame(0.020)
        assert governor.due()
        governor.check(machine_busy=1.0, cameras=10)
    assert governor.usage == pytest.approx(0.020 * 20 / 0.2) and governor.rate == pytest.approx(7)
    clock.now += 10
    assert governor.check(1.0, 10) == pytest.approx(7)  # no frames (a hidden page): nothing judged


def test_active_cameras_count_fresh_heartbeats(tmp_path):
    first, second = ActiveCameras("a", tmp_path), ActiveCameras("b", tmp_path)
    assert first.count() == 1  # none yet: this one alone
    first.beat()
    second.beat()
    assert first.count() == 2
    old = time.time() - 2 * frame_rate.HEARTBEAT_STALE
    os.utime(second.path, (old, old))
    assert first.count() == 1
    first.leave()
    assert not first.path.exists()
    assert ActiveCameras("c", tmp_path / "missing").count() == 1


def test_machine_load_is_a_fraction():
    load = MachineLoad()
    sum(i * i for i in range(200_000))
    assert 0.0 <= load.busy() <= 1.0


# The Camera, kernel side ---------------------------------------------------------------------
def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


class Load:
    """A machine whose busy fraction and camera count the test sets."""

    def __init__(self, busy: float, cameras: int):
        self.value, self.cameras = busy, cameras

    def busy(self) -> float:
        return self.value

    def count(self) -> int:
        return self.cameras

    def beat(self) -> None:
        pass

    def leave(self) -> None:
        pass


@pytest.fixture
def camera(monkeypatch):
    """A Camera on a simulated clock (wall and CPU) and a simulated 2-core server; `camera.sent`."""
    clock = Clock()
    widget = Camera(fps=15)
    widget.sent, widget.clock, widget.cpu_clock = [], clock, clock
    widget.governor = FrameRateGovernor(widget.fps, capacity=2.0, clock=clock)
    widget.machine = widget.cameras = Load(busy=0.2, cameras=1)
    monkeypatch.setattr(widget.comm, "send", lambda data=None, metadata=None, buffers=None:
                        data and data.get("method") == "custom" and widget.sent.append(data["content"]))
    yield widget
    widget.close()


def stream(camera, seconds: float, cost: float, frame=jpeg()) -> list[float]:
    """Frames as fast as the camera's rate allows for `seconds` of simulated time, each callback
    costing `cost` CPU seconds (the clock advances; nothing sleeps); the rates the acks carried."""
    clock, end, rates = camera.clock, camera.clock.now + seconds, []
    while clock.now < end:
        start = clock.now
        content = {"type": "frame", "id": len(camera.sent), "width": 32, "height": 24}
        camera.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}},
                                "buffers": [memoryview(frame)]})
        rates.append(camera.sent[-1]["rate"])
        clock.now = max(clock.now, start + 1 / rates[-1])
    return rates


def slow(clock, cost):
    def callback(frame):
        clock.now += cost  # a model costing `cost` s of CPU
    return callback


def test_a_busy_server_lowers_the_camera_rate_then_it_recovers(camera):
    camera.on_frame(slow(camera.clock, 0.030))
    assert stream(camera, 10, 0.030)[-1] == 15 and camera.rate == 15  # alone on an idle machine
    camera.machine.value, camera.cameras.cameras = 0.97, 8  # 8 cameras on 2 cores: 0.25 core each
    busy = stream(camera, 6, 0.030)
    assert busy[-1] < 15 and camera.rate == busy[-1] == pytest.approx(0.7 * 0.25 / 0.030, rel=0.01)
    assert camera.sent[-1] == {"type": "ack", "id": len(camera.sent) - 1, "rate": camera.rate}
    camera.machine.value, camera.cameras.cameras = 0.3, 1  # the class went home
    calm = stream(camera, 120, 0.030)
    assert all(b - a <= 1 for a, b in zip(calm, calm[1:])) and calm[-1] == 15


def test_not_adaptive_keeps_the_rate_at_fps(camera):
    camera.adaptive = False
    camera.on_frame(slow(camera.clock, 0.030))
    camera.machine.value, camera.cameras.cameras = 1.0, 30
    assert set(stream(camera, 10, 0.030)) == {15}
    camera.fps = 8
    assert camera.rate == 8


def test_nobody_in_view_stops_the_camera_and_starting_again_clears_it(camera):
    camera.away_after = 5
    camera.on_frame(lambda frame: camera.seen(False))
    stream(camera, 4.9, 0)
    assert camera.running and camera.notice == ""
    def found(frame):
        camera.seen(True)
    camera.on_frame(found)
    stream(camera, 1, 0)
    assert camera.running  # someone came back in time
    camera.on_frame(found, remove=True)
    stream(camera, 6, 0)
    assert not camera.running
    assert camera.notice.startswith("Nobody has been in view for 5 seconds") and "Start again" in camera.notice
    camera.running = True  # the button
    assert camera.notice == "" and camera.running
    stream(camera, 3, 0)
    assert camera.running


def test_away_after_zero_never_stops(camera):
    camera.away_after = 0
    camera.on_frame(lambda frame: camera.seen(False))
    stream(camera, 30, 0)
    assert camera.running
