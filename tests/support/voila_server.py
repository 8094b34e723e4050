"""Helpers for browser tests and benchmarks: a Voila gallery server on a free port, headless
Chromium, drawing strokes with the mouse, and the server's kernel memory (from /proc).

The server serves a temporary folder that links to the repository's `notebooks/`, `docs/` and
`models/` (the same URLs as the real gallery) beside an empty `scratch/` folder of its own, where
tests write the notebooks they generate: nothing is written into the repository."""
from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mlexp.app.cli import demo_command
from mlexp.experiments import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
Strokes = list[list[tuple[float, float]]]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer: do not render the gallery just to check


def _answers(url: str) -> bool:
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=2).close()
        return True
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


@dataclass
class Server:
    """A running demo server: its base URL, process and log file, the folder it serves and, in it,
    `scratch`, a folder for the notebooks a test generates (`path` gives their URL path)."""

    url: str
    process: subprocess.Popen
    log: Path
    root: Path = REPO_ROOT

    @property
    def scratch(self) -> Path:
        return self.root / "scratch"

    def path(self, file: Path) -> str:
        """The URL path of a file in the served folder ("scratch/x.ipynb")."""
        return Path(file).relative_to(self.root).as_posix()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kernels(self) -> set[str]:
        """Ids of the kernels the server runs now (`GET /api/kernels`; no token needed)."""
        with urllib.request.urlopen(self.url + "/api/kernels", timeout=10) as response:
            return {k["id"] for k in json.load(response)}

    def kernel_rss_mib(self) -> dict[int, float]:
        """Resident memory (MiB) of each kernel process started by this server, by pid."""
        return {pid: _rss_mib(pid) for pid in _kernel_pids(self.process.pid)}


def served_folder() -> Path:
    """A temporary folder to serve: links to the repository's notebooks/, docs/ and models/, and
    an empty scratch/ for generated notebooks."""
    root = Path(tempfile.mkdtemp(prefix="mlexp-served-"))
    for name in ("notebooks", "docs", "models"):
        (root / name).symlink_to(REPO_ROOT / name, target_is_directory=True)
    (root / "scratch").mkdir()
    return root


@contextmanager
def voila_server(cull_idle: int = 600, timeout: float = 90, log: Path | None = None):
    """Start `mlexp demo`'s server on a free port (own process group, output to `log`) serving a
    `served_folder()`, wait until `/` answers, yield a Server, then stop it and any kernel it left
    behind, and remove the folder (its links, not what they point to)."""
    port = free_port()
    root = served_folder()
    if log is None:
        handle, name = tempfile.mkstemp(prefix="mlexp-voila-", suffix=".log")
        os.close(handle)
        log = Path(name)
    env = dict(os.environ)
    command = demo_command(port, root, open_browser=False, cull_idle=cull_idle)
    with open(log, "wb") as out:
        process = subprocess.Popen(command,
                                   cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log, root)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(server.url + "/"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Voila server did not start; its log ends:\n{server.log_tail()}")
            time.sleep(0.25)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's process group; then kill kernels still alive (they run in their own
    sessions, so the group signal does not reach them)."""
    kernels = _kernel_pids(process.pid)
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(wait)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    for pid in kernels:
        if _is_kernel(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# /proc ---------------------------------------------------------------------------------------
def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    """Direct children of `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _read(f"/proc/{entry}/stat")
            fields = stat[stat.rfind(")") + 2 :].split()  # after "(comm)": state, ppid, ...
            if len(fields) > 1 and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _is_kernel(pid: int) -> bool:
    return "ipykernel_launcher" in _read(f"/proc/{pid}/cmdline")


def _kernel_pids(server_pid: int) -> list[int]:
    return [pid for pid in _children(server_pid) if _is_kernel(pid)]


def _rss_mib(pid: int) -> float:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# Browser ------------------------------------------------------------------------------------
def screenshot_folder() -> Path | None:
    """Where browser tests save the README's and the gallery's pictures (`MLEXP_SCREENSHOTS`), if set."""
    folder = os.environ.get("MLEXP_SCREENSHOTS")
    return Path(folder) if folder else None


def small_picture(path: Path, width: int = 640) -> None:
    """Shrink a screenshot of a photo or camera dashboard in place for the README and the gallery:
    `width` pixels wide, 256 colours (about a sixth of the bytes)."""
    with Image.open(path) as shot:
        picture = shot.convert("RGB")
    picture = picture.resize((width, round(picture.height * width / picture.width)), Image.Resampling.LANCZOS)
    picture.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def picture_and_phone(page, name: str, selector: str, shrink: bool = False) -> None:
    """With MLEXP_SCREENSHOTS, save the dashboard's picture for the README and the gallery
    (<name>.png, the element `selector`; `shrink`: through `small_picture`); then, on a phone's
    viewport (390x844), wait until nothing is wider than the screen (the parts stack) and save
    <name>_phone.png, the whole page."""
    folder = screenshot_folder()
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
        page.locator(selector).screenshot(path=str(folder / f"{name}.png"))
        if shrink:
            small_picture(folder / f"{name}.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("() => document.documentElement.scrollWidth <= 391")
    if folder:
        page.screenshot(path=str(folder / f"{name}_phone.png"), full_page=True)


def launch_chromium(playwright):
    """Headless Debian Chromium through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def watch(page, server_url: str) -> list[str]:
    """Start recording the page's problems: uncaught errors and console errors, except the
    known harmless ones (stack-notes.md): resources from CDNs that fail offline (Font Awesome,
    MathJax) and Voila's 403 on its kernel-shutdown POST (voila#1458). Returns the live list."""
    problems: list[str] = []

    def console(message):
        url = message.location.get("url", "")
        offline_cdn = message.text.startswith("Failed to load resource") and not url.startswith(server_url)
        voila_1458 = "403" in message.text and "/voila/api/shutdown/" in url
        if message.type == "error" and not (offline_cdn or voila_1458):
            problems.append(f"console error: {message.text} ({url})")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def pad(page):
    """The drawing pad's <canvas> (drawing_pad.js gives it the class)."""
    return page.locator("canvas.mlexp-pad")


# In the page: true once the pad's view has painted its paper (it can be drawn on from then).
PAD_READY = """() => { const c = document.querySelector('canvas.mlexp-pad');
                      return !!c && c.getContext('2d').getImageData(1, 1, 1, 1).data[3] === 255; }"""


def wait_for_pad(page, timeout: float = 60_000) -> None:
    """Wait until the pad is ready to draw on."""
    pad(page).wait_for(state="visible", timeout=timeout)
    page.wait_for_function(PAD_READY, timeout=timeout)


def _to_page(page):
    """A function mapping pad pixels to page coordinates for the mouse."""
    canvas = pad(page)
    box = canvas.bounding_box()
    # inside the border; the pad's pixels are its backing store's over the screen's pixel ratio
    left, top, width, height, size = canvas.evaluate(
        "c => [c.clientLeft, c.clientTop, c.clientWidth, c.clientHeight, Math.round(c.width / devicePixelRatio)]")
    return lambda x, y: (box["x"] + left + x * width / size, box["y"] + top + y * height / size)


def draw(page, strokes: Strokes, step: float = 6.0) -> None:
    """Draw `strokes` (lists of (x, y) canvas pixels) with the mouse: press, move in steps of
    about `step` pixels, release."""
    client, mouse = _to_page(page), page.mouse
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        mouse.move(*client(x0, y0))
        mouse.down()
        for x, y in rest:
            mouse.move(*client(x, y), steps=max(1, math.ceil(math.dist((x0, y0), (x, y)) / step)))
            x0, y0 = x, y
        mouse.up()


def replay(page, strokes: Strokes, times, max_pause_ms: float = 1000) -> None:
    """Draw `strokes` with the mouse at the pace a person drew them: `times` holds each
    point's time in milliseconds (Quick, Draw!'s raw format); pauses between strokes are
    kept up to `max_pause_ms`."""
    client, mouse, last = _to_page(page), page.mouse, None
    for stroke, stamps in zip(strokes, times):
        for i, ((x, y), t) in enumerate(zip(stroke, stamps)):
            if last is not None and t > last:
                page.wait_for_timeout(min(t - last, max_pause_ms))
            last = t
            mouse.move(*client(x, y))
            if i == 0:
                mouse.down()
        mouse.up()
