"""Ink under the pen, before and after: the digits_cnn dashboard in Chromium through Voila, with a
delaying TCP proxy between the browser and the server (half the round trip added each way), at
0, 100 and 300 ms round trip, for two trees of the project side by side:

  before  the ipycanvas pad (every mouse move to the kernel, which sends the segment back), from a
          checkout of an older commit (`--before PATH`, or `--before-commit C`: a temporary git
          worktree, removed at the end);
  after   this tree's pad (the page draws the ink; one message per stroke).

For each, per stroke (a straight line drawn with the mouse, a move every MOVE_PX pixels):
  pen -> ink        ms from a mouse move until the canvas pixel under the pen turns to ink
                    (read back in the page at every animation frame);
  stroke end -> bars  ms from the mouse up until the probability bars' DOM changes;
  messages          websocket frames on the kernel's websocket from the pen down until the dashboard
                    is quiet again, each direction (Playwright's framesent / framereceived).

Everything runs on 127.0.0.1: two `mlexp demo` servers (one per tree, each kernel importing its
own tree's `widgets` and `mlexp`), the proxies, headless Chromium.

Run: .venv/bin/python benchmarks/ink.py --before-commit <commit before the anywidget pad>
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

from playwright.sync_api import sync_playwright  # noqa: E402

from mlexp.app.cli import demo_command  # noqa: E402

from voila_server import _answers, _stop, free_port, launch_chromium, wait_for_pad  # noqa: E402

NOTEBOOK = "notebooks/digits_cnn/demo.ipynb"
RTTS_MS = (0, 100, 300)
STROKES = 6          # strokes per tree and round trip
MOVES = 10           # mouse moves per stroke
MOVE_PX = 20         # pad pixels between moves (more than the brush's radius: each move's pixel is new)
MOVE_MS = 30         # between moves (~670 px/s, a quick hand)
CHUNK = 65536

# In the page: probes for pen -> ink and stroke end -> bars, and the helpers to read them.
PROBES = """() => {
    const canvas = document.querySelector('canvas.mlexp-pad');
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    window.inkTimes = []; window.barTimes = []; window.pending = [];
    let up = null;
    const pixel = (event) => {  // the backing-store pixel under the event
        const box = canvas.getBoundingClientRect();
        return [Math.floor((event.clientX - box.left - canvas.clientLeft) * canvas.width / canvas.clientWidth),
                Math.floor((event.clientY - box.top - canvas.clientTop) * canvas.height / canvas.clientHeight)];
    };
    const ink = ([x, y]) => ctx.getImageData(x, y, 1, 1).data[0] < 128;
    window.addEventListener('pointermove', (event) => {
        if (event.target !== canvas || !event.buttons) return;
        const at = pixel(event);
        if (!ink(at)) window.pending.push({at, t: performance.now()});  // paper under the pen now
    }, {capture: true});
    window.addEventListener('pointerup', (event) => { if (event.target === canvas) up = performance.now(); },
                            {capture: true});
    const frame = (now) => {
        window.pending = window.pending.filter(probe => {
            if (ink(probe.at)) { window.inkTimes.push(performance.now() - probe.t); return false; }
            if (performance.now() - probe.t > 5000) { window.inkTimes.push(null); return false; }
            return true;
        });
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    new MutationObserver(() => {
        if (up !== null) { window.barTimes.push(performance.now() - up); up = null; }
    }).observe(document.querySelector('.mlexp-bars'), {subtree: true, childList: true, characterData: true});
}"""


# The delaying proxy ----------------------------------------------------------------------------
class DelayProxy:
    """A TCP proxy on 127.0.0.1 to `target_port` adding `one_way_ms` to every chunk, each direction,
    order kept (a queue per direction). Runs its own asyncio loop in a thread."""

    def __init__(self, target_port: int):
        self.target_port, self.port, self.one_way_ms = target_port, free_port(), 0.0
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._started.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._started.set()
        self.loop.run_forever()

    async def _client(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        for w in (writer, up_writer):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)

    async def _pipe(self, reader, writer) -> None:
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(CHUNK):
                queue.put_nowait((time.monotonic() + self.one_way_ms / 1000, data))
        finally:
            queue.put_nowait((0, None))
            try:
                await sender
            finally:
                writer.close()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# Servers ---------------------------------------------------------------------------------------
@contextmanager
def server_for(tree: Path, log: Path):
    """`mlexp demo`'s server serving `tree`'s notebooks and models, its kernels importing `tree`'s
    packages; yields its port."""
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="mlexp-ink-"))
    for name in ("notebooks", "models"):
        (root / name).symlink_to(tree / name, target_is_directory=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))}
    with open(log, "wb") as out:
        process = subprocess.Popen(demo_command(port, root, open_browser=False, cull_idle=20), cwd=tree, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not _answers(f"http://127.0.0.1:{port}/"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server for {tree} did not start; see {log}")
            time.sleep(0.25)
        yield port
    finally:
        _stop(process)
        for name in ("notebooks", "models"):
            (root / name).unlink()
        root.rmdir()


@contextmanager
def worktree(commit: str):
    """A temporary git worktree of `commit` (removed at the end)."""
    folder = Path(tempfile.mkdtemp(prefix="mlexp-before-")) / "tree"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder), commit], check=True,
                   capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)], check=False,
                       capture_output=True)
        folder.parent.rmdir()


# Measuring -------------------------------------------------------------------------------------
def settle(page, frames, quiet_ms: float) -> None:
    """Wait until no websocket frame came for `quiet_ms` (at most 15 s)."""
    deadline = time.monotonic() + 15
    seen = sum(frames.values())
    while time.monotonic() < deadline:
        page.wait_for_timeout(quiet_ms)
        now = sum(frames.values())
        if now == seen:
            return
        seen = now


def measure(browser, port: int, rtt_ms: float) -> dict:
    """Pen -> ink and stroke end -> bars (ms, every sample) and frames per stroke each way."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    frames = {"sent": 0, "received": 0}

    def websocket(ws):
        if "/api/kernels/" in ws.url:
            ws.on("framesent", lambda _: frames.__setitem__("sent", frames["sent"] + 1))
            ws.on("framereceived", lambda _: frames.__setitem__("received", frames["received"] + 1))

    page.on("websocket", websocket)
    page.goto(f"http://127.0.0.1:{port}/voila/render/{NOTEBOOK}")
    wait_for_pad(page, timeout=120_000)
    page.locator(".mlexp-answer").get_by_text("?").wait_for()
    page.evaluate(PROBES)
    canvas = page.locator("canvas.mlexp-pad")
    box = canvas.bounding_box()
    quiet = max(400, 2 * rtt_ms + 200)
    sent, received = [], []
    for i in range(STROKES):
        if i:
            page.locator(".mlexp-clear").click()
            page.wait_for_function("() => document.querySelector('.mlexp-answer').innerText.trim() === '?'")
        settle(page, frames, quiet)
        before = dict(frames)
        bars = page.evaluate("window.barTimes.length")
        y = 60 + 30 * i
        x0 = 30
        page.mouse.move(box["x"] + 1 + x0, box["y"] + 1 + y)
        page.mouse.down()
        for k in range(1, MOVES + 1):
            page.wait_for_timeout(MOVE_MS)
            page.mouse.move(box["x"] + 1 + x0 + k * MOVE_PX, box["y"] + 1 + y + k)  # a slight slope
        page.mouse.up()
        page.wait_for_function("n => window.barTimes.length > n && window.pending.length === 0", arg=bars)
        settle(page, frames, quiet)
        sent.append(frames["sent"] - before["sent"])
        received.append(frames["received"] - before["received"])
    ink = page.evaluate("window.inkTimes")
    result = {"ink": [t for t in ink if t is not None], "lost": sum(t is None for t in ink),
              "bars": page.evaluate("window.barTimes"), "sent": sent, "received": received}
    context.close()
    return result


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def p90(values) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(0.9 * len(values)))] if values else float("nan")


def report(results: dict, load: float) -> None:
    trees = list(next(iter(results.values())))
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} before the run; digits_cnn dashboard, "
          f"{STROKES} strokes of {MOVES} moves per cell; medians (p90)")
    rows = [("pen -> ink, ms", lambda r: f"{median(r['ink']):.0f} ({p90(r['ink']):.0f})"),
            ("stroke end -> bars, ms", lambda r: f"{median(r['bars']):.0f} ({p90(r['bars']):.0f})"),
            ("frames page -> kernel / stroke", lambda r: f"{median(r['sent']):.0f}"),
            ("frames kernel -> page / stroke", lambda r: f"{median(r['received']):.0f}")]
    header = f"{'':32}" + "".join(f"{f'{rtt} ms RTT: ' + tree:>24}" for rtt in results for tree in trees)
    print(header)
    for name, cell in rows:
        print(f"{name:32}" + "".join(f"{cell(results[rtt][tree]):>24}" for rtt in results for tree in trees))
    lost = {f"{rtt}/{tree}": r["lost"] for rtt in results for tree, r in results[rtt].items() if r["lost"]}
    if lost:
        print(f"moves whose ink never showed within 5 s: {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--before", type=Path, help="a checkout of the tree with the old pad")
    which.add_argument("--before-commit", help="a commit with the old pad (checked out as a temporary worktree)")
    parser.add_argument("--rtt", type=int, nargs="+", default=list(RTTS_MS), help="round trips in ms")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with ExitStack() as stack:
        before = args.before or stack.enter_context(worktree(args.before_commit))
        logs = Path(tempfile.mkdtemp(prefix="mlexp-ink-logs-"))
        proxies = {}
        for tree, folder in (("before", before), ("after", REPO)):
            port = stack.enter_context(server_for(folder.resolve(), logs / f"{tree}.log"))
            proxies[tree] = DelayProxy(port)
            stack.callback(proxies[tree].close)
        playwright = stack.enter_context(sync_playwright())
        browser = launch_chromium(playwright)
        stack.callback(browser.close)
        results: dict = {}
        for rtt in args.rtt:
            results[rtt] = {}
            for tree, proxy in proxies.items():
                proxy.one_way_ms = rtt / 2
                results[rtt][tree] = measure(browser, proxy.port, rtt)
                print(f"{rtt} ms {tree}: {results[rtt][tree]}", file=sys.stderr, flush=True)
    shutil.rmtree(logs)  # the servers' logs are kept only when something failed
    report(results, load)


if __name__ == "__main__":
    main()
