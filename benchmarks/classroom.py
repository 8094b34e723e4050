"""A classroom on one server: simulated students speak the dashboards' protocol over the kernel
websocket, as a browser does, while one real Chromium student measures what a person sees.

Each simulated student loads the dashboard's page (logging in with the class password on its
first request), connects to the page's kernel (Jupyter's v1 websocket protocol), asks for the
widgets' states (`jupyter.widget.control`) and then acts on the widgets as the page would:

  draw    real Quick, Draw! drawings replayed at their recorded pace on the digits dashboard
          (the ipycanvas pad: mouse_down/move/up; the anywidget pad: one message per stroke);
          latency = stroke end sent -> probability bars updated
  camera  real hand photos pasted into real room photos, as JPEG frames to the rock-paper-scissors
          camera, one in flight (the next after the ack, no faster than the kernel's rate);
          latency = frame sent -> ack (sent after the frame's label and overlay), fps = acks/s
  sum     sums typed key by key; latency = keystroke -> answer updated
  text    Generate on the Shakespeare dashboard; latency = click -> first character shown
  write   digit buttons pressed on the digit generator's dashboard; latency = click -> the row's
          picture sheet (every step of 8 new digits, with their verdicts) received
  mixed   the students take draw, camera, sum and text in turn
  arrive  every student opens the same dashboard at the same moment; latency = page requested ->
          a working dashboard (page loaded, kernel websocket connected, widget states received,
          kernel info answered: an answer is possible); `first_answer_ms`: until a first stroke
          (or frame, keystroke, click) is answered

Without --url it starts its own `mlexp class` server on a free loopback port (https, a fresh
class password, `--ready` passed on), waits for its ready kernels, and stops it and its kernels
at the end, Ctrl-C included. With --url (and --token) it measures a server already running on
127.0.0.1, such as `mlexp demo` (dashboards under notebooks/, found through its contents API) or
a plain `voila notebooks`, and shuts down the kernels its students opened. Traffic goes to
127.0.0.1 only. --json prints one line: students, activity, latency_ms {p50, p95, max}, fps {min,
median} (camera students), kernel_rss_mib (the server's kernels, highest sum seen), server_rss_mib,
server_cpu (server and kernels, percent of one core over the window), browser_ms, and more.

Run: .venv/bin/python benchmarks/classroom.py --students 10 --activity draw --seconds 20 --json
     .venv/bin/python benchmarks/classroom.py --activity arrive --students 30 --ready digits_cnn=30
     .venv/bin/python benchmarks/classroom.py --students 30 --activity camera --browser-activity draw
     .venv/bin/python benchmarks/classroom.py --url http://127.0.0.1:8888/ --students 3 --activity camera
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import io
import json
import os
import random
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support"), str(REPO / "benchmarks")]

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
import websockets  # noqa: E402

from mlexp.core.paths import mirror_dir  # noqa: E402

from camera_page import Wire, hand_in_room  # noqa: E402
from common import jpeg  # noqa: E402
from drawings import quickdraw_strokes, to_pad  # noqa: E402
from voila_server import _stop, free_port  # noqa: E402

ACTIVITIES = ("draw", "camera", "sum", "text", "write", "mixed", "arrive")
DASHBOARDS = {"draw": "digits_cnn", "camera": "rps_hand", "sum": "numbers_summation", "text": "text_shakespeare",
              "write": "digits_generator"}
MIXED = ("draw", "camera", "sum", "text")
ARRIVE_PROBES = {experiment: activity for activity, experiment in DASHBOARDS.items()}  # the first answer asked
PROTOCOL = "v1.kernel.websocket.jupyter.org"  # what JupyterLab's services (Voila's page) ask for
WIDGET_VERSION, CONTROL_VERSION = "2.1.0", "1.0.0"
ACK_TIMEOUT = 3.0      # the camera page sends the next frame anyway after this long (camera.js)
ANSWER_TIMEOUT = 20.0  # an answer later than this counts as missing
THINK = 1.0            # a student's pause between drawings, sums and texts (s)
MAX_PAUSE = 0.3        # longest pause kept between two recorded points of a stroke (s)
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]+)"')  # in a Voila page's configuration
CATEGORIES = ("cat", "house", "tree", "fish", "bicycle", "clock", "star", "sun")


# The kernel websocket ---------------------------------------------------------------------
def pack(channel: str, parts: list[bytes]) -> bytes:
    """A message in Jupyter's v1 websocket framing: offsets (8-byte little-endian), channel,
    header, parent header, metadata, content, buffers."""
    chunks = [channel.encode(), *parts]
    offsets = [8 * (len(chunks) + 2)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    head = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + b"".join(chunks)


def unpack(data: bytes) -> tuple[str, dict, dict, dict, list[bytes]]:
    """(channel, header, parent header, content, buffers) of a v1 websocket message."""
    count = int.from_bytes(data[:8], "little")
    offsets = [int.from_bytes(data[8 * (i + 1): 8 * (i + 2)], "little") for i in range(count)] + [len(data)]
    parts = [data[a:b] for a, b in zip(offsets, offsets[1:])]
    channel, header, parent, _metadata, content, *buffers = parts
    return channel.decode(), json.loads(header), json.loads(parent), json.loads(content), buffers


@dataclass
class Event:
    """A message from the kernel, as the harness reads it."""

    kind: str          # "update", "custom", "states", "open", "idle", "reply"
    at: float          # time.perf_counter() when it arrived
    parent: str        # msg_id of the request it answers ("" if none)
    comm: str = ""     # the widget model
    data: dict = field(default_factory=dict)


class Kernel:
    """One page's kernel connection: sends widget messages, keeps the widgets' states, and lets
    a student wait for the event that answers a request."""

    def __init__(self, ws, session: str):
        self.ws, self.session = ws, session
        self.states: dict[str, dict] = {}  # model id -> {"model_name", ..., "state"}
        self._waiters: list[tuple] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, cookies: str, context: ssl.SSLContext | None) -> Kernel:
        session = uuid.uuid4().hex
        ws = await websockets.connect(f"{url}?session_id={session}", subprotocols=[PROTOCOL], ssl=context,
                                      additional_headers={"Cookie": cookies} if cookies else None,
                                      max_size=None, open_timeout=60, ping_interval=None, compression=None)
        return cls(ws, session)

    def send(self, msg_type: str, content: dict, buffers=(), channel: str = "shell", version=WIDGET_VERSION) -> str:
        """Send a message (no waiting); its msg_id."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": msg_type, "username": "student", "session": self.session,
                  "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()), "version": "5.3"}
        parts = [json.dumps(p).encode() for p in (header, {}, {"version": version}, content)]
        sending = asyncio.ensure_future(self.ws.send(pack(channel, parts + [bytes(b) for b in buffers])))
        sending.add_done_callback(lambda task: task.cancelled() or task.exception())  # a closed socket: no answer
        return msg_id

    def custom(self, model: str, content: dict, buffers=()) -> str:
        """A custom widget message (what `model.send` does in the page)."""
        return self.send("comm_msg", {"comm_id": model, "data": {"method": "custom", "content": content}}, buffers)

    def update(self, model: str, **state) -> str:
        """A trait change from the page."""
        return self.send("comm_msg", {"comm_id": model, "data": {"method": "update", "state": state,
                                                                 "buffer_paths": []}})

    def expect(self, check) -> asyncio.Future:
        """A future for the first event from now on where `check(event)` holds (register it before
        sending the request, so that a quick answer is not missed)."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((check, future))
        return future

    async def wait(self, future: asyncio.Future, timeout: float) -> Event | None:
        try:
            return await asyncio.wait_for(future, timeout)
        except (asyncio.TimeoutError, ConnectionError, websockets.ConnectionClosed):
            return None
        finally:
            self._waiters = [(c, f) for c, f in self._waiters if f is not future]

    async def request_states(self, timeout: float = 60) -> dict:
        """Every widget's state, as the page's widget manager asks for it."""
        control = uuid.uuid4().hex
        self.send("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
                  version=CONTROL_VERSION)
        got = self.expect(lambda e: e.kind == "states")
        self.send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}}, version=CONTROL_VERSION)
        event = await self.wait(got, timeout)
        if event is None:
            raise RuntimeError("the kernel sent no widget states")
        self.send("comm_close", {"comm_id": control, "data": {}}, version=CONTROL_VERSION)
        for model, entry in event.data["states"].items():
            self.states.setdefault(model, entry)
        return self.states

    def find(self, check) -> str | None:
        """The first widget model whose state satisfies `check(state)`."""
        return next((m for m, e in self.states.items() if check(e.get("state", {}))), None)

    def by_class(self, css: str) -> str | None:
        return self.find(lambda s: css in (s.get("_dom_classes") or []))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                if isinstance(data, bytes):
                    self._dispatch(*unpack(data))
        except (websockets.ConnectionClosed, ConnectionError):
            pass
        finally:
            for _, future in self._waiters:
                if not future.done():
                    future.set_result(None)

    def _dispatch(self, channel: str, header: dict, parent: dict, content: dict, buffers) -> None:
        now, kind, msg_type = time.perf_counter(), None, header.get("msg_type")
        parent_id, comm, data = parent.get("msg_id", ""), content.get("comm_id", ""), content.get("data") or {}
        if msg_type == "status" and content.get("execution_state") == "idle":
            kind = "idle"
        elif channel == "shell" and (msg_type or "").endswith("_reply"):
            kind, data = "reply", content
        elif msg_type == "comm_open" and content.get("target_name") == "jupyter.widget":
            kind = "open"
            self.states[comm] = {"state": data.get("state", {})}
        elif msg_type == "comm_msg":
            method = data.get("method")
            if method == "update_states":
                kind = "states"
            elif method == "update":
                kind = "update"
                self.states.setdefault(comm, {"state": {}})["state"].update(data.get("state", {}))
                data = data.get("state", {})
            elif method == "custom":
                kind, data = "custom", data.get("content") or {}
        if kind is None:
            return
        event = Event(kind, now, parent_id, comm, data)
        for check, future in list(self._waiters):
            if not future.done() and check(event):
                future.set_result(event)


def answer_to(request: str, model: str | None, accept=lambda data: True):
    """An event check: `model` updated in answer to `request`, or the kernel idle after it
    (a request whose answer left the widget as it was)."""
    return lambda e: e.parent == request and (e.kind == "idle" or (e.kind == "update" and e.comm == model
                                                                   and accept(e.data)))


# The server -------------------------------------------------------------------------------
@dataclass
class Target:
    """Where the students go: the base URL (ending in /), the class password, the path prefix of
    the dashboards, and the server's process id (for its memory and CPU) if known."""

    base: str
    token: str = ""
    prefix: str = ""
    pid: int | None = None

    def page(self, experiment: str) -> str:
        return f"{self.base}voila/render/{self.prefix}{experiment}/demo.ipynb"

    def websocket(self, kernel_id: str) -> str:
        return re.sub("^http", "ws", self.base) + f"api/kernels/{kernel_id}/channels"


def insecure() -> ssl.SSLContext:
    """The class server's certificate is self-signed, and only 127.0.0.1 is ever contacted."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"the class server did not start; its log ends:\n{tail}")
        time.sleep(0.2)


def kernels_of(pid: int) -> list[psutil.Process]:
    """The kernel processes a server started (its descendants running ipykernel)."""
    found = []
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if any("ipykernel" in part for part in child.cmdline()):
                    found.append(child)
    return found


@contextlib.contextmanager
def class_server(ready: list[str], timeout: float = 180):
    """`mlexp class` on a free loopback port with a fresh password; yields its Target."""
    port, token = free_port(), uuid.uuid4().hex
    handle, name = tempfile.mkstemp(prefix="mlexp-class-", suffix=".log")
    os.close(handle)
    log = Path(name)
    command = [sys.executable, "-m", "mlexp", "class", "--ip", "127.0.0.1", "--port", str(port), "--token", token,
               "--no-browser", *(["--ready", ",".join(ready)] if ready else [])]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, process, timeout, log)
        settle(process.pid, timeout)
        yield Target(f"https://127.0.0.1:{port}/", token, pid=process.pid)
    finally:
        _stop(process)  # the server's group, then its kernels (they run in sessions of their own)
        log.unlink(missing_ok=True)


def settle(pid: int, timeout: float, quiet: float = 0.3) -> None:
    """Wait until the server and its kernels use less than `quiet` of a core for two seconds running
    (the kernels it keeps ready have started), at most `timeout` seconds."""
    deadline, calm, before = time.monotonic() + timeout, 0, None
    while time.monotonic() < deadline and calm < 2:
        cpu = 0.0
        for process in [psutil.Process(pid), *kernels_of(pid)]:
            with contextlib.suppress(psutil.Error):
                cpu += sum(process.cpu_times()[:2])
        calm = calm + 1 if before is not None and cpu - before < quiet else 0
        before = cpu
        time.sleep(1)


def listening_pid(port: int) -> int | None:
    """The process listening on a loopback port (for a server started by someone else)."""
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections("tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
                return conn.pid
    return None


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"--url must be on 127.0.0.1 (this harness sends load only to loopback), not {host}")


async def detect_prefix(target: Target, context) -> str:
    """"notebooks/" when the server's root is the repository (`mlexp demo`: a Jupyter server whose
    contents API lists notebooks/), else "": found without opening a dashboard (which starts a kernel)."""
    async with client(target, context) as http:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            response = await http.get(target.base + "api/contents/notebooks?content=0"
                                      + (f"&token={target.token}" if target.token else ""))
            if response.status_code == 200 and response.json().get("type") == "directory":
                return "notebooks/"
    return ""


def client(target: Target, context) -> httpx.AsyncClient:
    """A browser's HTTP side: its own cookie jar, redirects followed, certificates not checked."""
    return httpx.AsyncClient(verify=context if target.base.startswith("https") else True, follow_redirects=True,
                             timeout=httpx.Timeout(180), trust_env=False)


async def shutdown(http: httpx.AsyncClient, target: Target, kernel_id: str) -> None:
    """Shut a page's kernel down as the page should on closing (Voila's shutdown request, with the
    XSRF token the page fails to send: voila#1458), else through the kernels API."""
    with contextlib.suppress(httpx.HTTPError):
        xsrf = http.cookies.get("_xsrf")
        if not xsrf:  # a token of our own, in cookie and header alike
            xsrf = uuid.uuid4().hex
            http.cookies.set("_xsrf", xsrf, domain=urlsplit(target.base).hostname)
        headers = {"X-XSRFToken": xsrf}
        response = await http.post(f"{target.base}voila/api/shutdown/{kernel_id}", headers=headers)
        if response.status_code >= 400:
            await http.delete(f"{target.base}api/kernels/{kernel_id}", headers=headers)


async def shutdown_browser_kernel(target: Target, context, kernel_id: str | None) -> None:
    """The real browser's kernel: its page cannot shut it down (voila#1458)."""
    if kernel_id:
        async with client(target, context) as http:
            if target.token:
                with contextlib.suppress(httpx.HTTPError):
                    await http.get(f"{target.base}?token={target.token}")
            await shutdown(http, target, kernel_id)


# Resources --------------------------------------------------------------------------------
class Resources:
    """The server's and its kernels' memory (sampled each second, the highest kept) and CPU
    seconds between `start()` and `stop()`."""

    def __init__(self, pid: int | None):
        self.pid = pid
        self.load = os.getloadavg()[0]  # other work on the machine before the class came in
        self.kernel_rss = self.server_rss = 0.0
        self._cpu0: dict[int, float] = {}
        self._cpu: dict[int, float] = {}
        self._task = None

    def _processes(self) -> list[psutil.Process]:
        if self.pid is None:
            return []
        with contextlib.suppress(psutil.Error):
            return [psutil.Process(self.pid), *kernels_of(self.pid)]
        return []

    def _sample(self) -> None:
        processes = self._processes()
        if not processes:
            return
        rss = {}
        for p in processes:
            with contextlib.suppress(psutil.Error):
                rss[p.pid] = p.memory_info().rss / 2**20
                times = p.cpu_times()
                self._cpu[p.pid] = times.user + times.system
        self.server_rss = max(self.server_rss, rss.get(self.pid, 0.0))
        self.kernel_rss = max(self.kernel_rss, sum(v for k, v in rss.items() if k != self.pid))

    async def _loop(self) -> None:
        while True:
            await asyncio.to_thread(self._sample)
            await asyncio.sleep(1)

    def start(self) -> None:
        self._sample()
        self._cpu0 = dict(self._cpu)
        self._started, self._client0 = time.perf_counter(), time.process_time()
        self._task = asyncio.create_task(self._loop())

    def stop(self) -> dict:
        self._task.cancel()
        self._sample()
        seconds = time.perf_counter() - self._started
        cpu = sum(v - self._cpu0.get(pid, 0.0) for pid, v in self._cpu.items())
        return {"kernel_rss_mib": round(self.kernel_rss, 1), "server_rss_mib": round(self.server_rss, 1),
                "server_cpu": round(100 * cpu / seconds, 1),  # percent of one core, server + kernels
                "server_cpu_s": round(cpu, 1), "client_cpu_s": round(time.process_time() - self._client0, 1),
                "window_s": round(seconds, 1), "load_before": round(self.load, 2)}


# What students show and type ----------------------------------------------------------------
@dataclass
class Material:
    """Real drawings (pad strokes, each point's time in s) and camera frames (JPEG, width, height)."""

    drawings: list[tuple[list, list]]
    frames: list[tuple[bytes, int, int]]


def material(seed: int = 0, drawings: int = 40, frames: int = 12) -> Material:
    """Quick, Draw! drawings (raw strokes with their timing, scaled onto the 280x280 pad) and
    camera frames: the mirror's rock-paper-scissors test photos pasted into its room photos."""
    data = mirror_dir()
    if data is None or not data.is_dir():
        raise SystemExit("MLEXP_DATA_DIR must point at the data mirror (real strokes and photos)")
    rng = random.Random(seed)
    pool = [d for c in CATEGORIES for d in quickdraw_strokes(data, c, raw=True)[:10] if d["recognized"]]
    chosen = []
    for record in rng.sample(pool, min(drawings, len(pool))):
        strokes = to_pad(record["strokes"])
        start = record["times"][0][0]
        chosen.append((strokes, [[(t - start) / 1000 for t in ts] for ts in record["times"]]))
    hands = sorted((data / "rps" / "testing").glob("*/*.jpg"))
    rooms = ["kite_and_cold.jpg", "pets.jpg", "grace_hopper.bmp", "cat_720p.jpg"]
    pictures = []
    for i in range(frames):
        hand = rng.choice(hands) if i % 4 else None  # some frames show nobody
        frame, _ = hand_in_room(data, hand, at=(rng.randrange(40, 380), rng.randrange(20, 200)),
                                width=rng.randrange(160, 240), room=rooms[i % len(rooms)])
        data_jpeg = jpeg(frame)
        pictures.append((data_jpeg, 320, round(320 * frame.shape[0] / frame.shape[1])))
    return Material(chosen, pictures)


# A simulated student --------------------------------------------------------------------------
@dataclass
class Record:
    """What one student measured."""

    activity: str
    latencies: list[float] = field(default_factory=list)  # ms, answers inside the window
    missing: int = 0                                      # requests with no answer in time
    acks: int = 0                                         # camera: frames acknowledged in the window
    ready_ms: float | None = None                         # page requested -> working dashboard
    first_answer_ms: float | None = None
    pad: str = ""                                         # draw: "ipycanvas" (mouse events) or "strokes"
    error: str = ""


class Student:
    """A browser without a browser: one cookie jar, one page, one kernel websocket."""

    def __init__(self, target: Target, context, number: int, material: Material):
        self.target, self.context, self.number, self.material = target, context, number, material
        self.rng = random.Random(number)
        self.http: httpx.AsyncClient | None = None
        self.kernel: Kernel | None = None
        self.kernel_id = ""

    async def open(self, experiment: str) -> float:
        """Load the dashboard (logging in on the first request), connect to its kernel and get
        its widgets' states; ms taken."""
        started = time.perf_counter()
        self.http = client(self.target, self.context)
        url = self.target.page(experiment) + (f"?token={self.target.token}" if self.target.token else "")
        response = await self.http.get(url)
        response.raise_for_status()
        found = KERNEL_ID.search(response.text)
        if not found:
            raise RuntimeError(f"no kernel id in the page {url}")
        self.kernel_id = found.group(1)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)
        self.kernel = await Kernel.connect(self.target.websocket(self.kernel_id), cookies,
                                           self.context if self.target.base.startswith("https") else None)
        info = self.kernel.expect(lambda e: e.kind == "reply" and e.data.get("status") == "ok")
        self.kernel.send("kernel_info_request", {})
        if await self.kernel.wait(info, 60) is None:
            raise RuntimeError("the kernel did not answer kernel_info")
        await self.kernel.request_states()
        return (time.perf_counter() - started) * 1000

    async def close(self) -> None:
        """Leave as a closing tab would, and shut the kernel down (Voila's shutdown request)."""
        if self.kernel is not None:
            await self.kernel.close()
        if self.http is not None:
            if self.kernel_id:
                await shutdown(self.http, self.target, self.kernel_id)
            await self.http.aclose()

    # Requests and their answers --------------------------------------------------------
    async def ask(self, send, model: str | None, accept=lambda data: True, timeout: float = ANSWER_TIMEOUT,
                  later: bool = False):
        """Send a request (`send()` returns its msg_id) and wait for `model` to update in answer
        (or for the kernel to finish with it); ms, or None if no answer came. `later`: the answer
        comes from a task the request started (text), so any update of `model` that `accept`s counts."""
        k = self.kernel
        holder: dict = {}
        if later:
            future = k.expect(lambda e: e.kind == "update" and e.comm == model and accept(e.data))
        else:
            future = k.expect(lambda e: holder.get("id") is not None and answer_to(holder["id"], model, accept)(e))
        started = time.perf_counter()
        holder["id"] = send()
        event = await k.wait(future, timeout)
        return None if event is None else (event.at - started) * 1000

    # Activities -------------------------------------------------------------------------
    async def draw(self, record: Record, window, once: bool = False) -> None:
        """Replay real drawings on the pad, a drawing at a time, Clear between them."""
        k = self.kernel
        bars, clear = k.by_class("mlexp-bars"), k.by_class("mlexp-clear")
        canvas = k.find(lambda s: "mlexp-pad" in (s.get("_dom_classes") or []) and "_send_client_ready_event" in s)
        stroke_pad = k.find(lambda s: "_esm" in s and ("brush" in s or "strokes" in s))
        if canvas is None and stroke_pad is None:
            raise RuntimeError("no drawing pad on the page")
        record.pad = "ipycanvas" if canvas is not None else "strokes"
        if canvas is not None:
            k.custom(canvas, {"event": "client_ready"})  # the pad's view is on the page
        while not window.over():
            strokes, times = self.rng.choice(self.material.drawings)
            for stroke, stamps in zip(strokes, times):
                if window.over():
                    return
                if canvas is not None:
                    latency = await self._mouse_stroke(canvas, bars, stroke, stamps)
                else:
                    await asyncio.sleep(min(stamps[-1] - stamps[0], 5.0))  # the time the stroke takes
                    points = [[round(x, 1), round(y, 1)] for x, y in stroke]
                    latency = await self.ask(lambda p=points: k.custom(stroke_pad, {"type": "stroke", "points": p,
                                                                                    "width": 14}), bars)
                window.count(record, latency)
                if once:
                    return
                await asyncio.sleep(0.3)  # between strokes
            await asyncio.sleep(THINK)
            if clear is not None:
                await self.ask(lambda: k.custom(clear, {"event": "click"}), bars)

    async def _mouse_stroke(self, canvas: str, bars: str | None, stroke, stamps) -> float | None:
        """The ipycanvas pad's messages for one stroke at its recorded pace; ms from mouse_up to bars."""
        k = self.kernel
        (x, y), t0 = stroke[0], stamps[0]
        k.custom(canvas, {"event": "mouse_down", "x": x, "y": y})
        clock = time.perf_counter()
        for (x, y), t in zip(stroke[1:], stamps[1:]):
            wait = min(t - t0, MAX_PAUSE) - (time.perf_counter() - clock)
            t0, clock = t, clock + min(t - t0, MAX_PAUSE)
            if wait > 0:
                await asyncio.sleep(wait)
            k.custom(canvas, {"event": "mouse_move", "x": x, "y": y})
        return await self.ask(lambda: k.custom(canvas, {"event": "mouse_up", "x": x, "y": y}), bars)

    async def camera(self, record: Record, window, once: bool = False) -> None:
        """Frames to the camera, one in flight, no faster than the kernel allows."""
        k = self.kernel
        camera = k.find(lambda s: "facing_mode" in s and "fps" in s)
        if camera is None:
            raise RuntimeError("no camera on the page")
        k.update(camera, state="live")  # what the page says once the camera runs
        ack_rate, number, last = float("inf"), 0, -1e9
        while not window.over():
            state = k.states[camera]["state"]
            rate = min(float(state.get("fps") or 15), float(state.get("rate") or 1e9), ack_rate)
            await asyncio.sleep(max(0.0, last + 1 / max(rate, 0.01) - time.perf_counter()))
            if window.over():
                return
            number += 1
            data, width, height = self.material.frames[(self.number + number) % len(self.material.frames)]
            got = k.expect(lambda e, n=number: e.kind == "custom" and e.comm == camera
                           and e.data.get("type") == "ack" and e.data.get("id") == n)
            last = time.perf_counter()
            k.custom(camera, {"type": "frame", "id": number, "width": width, "height": height}, [data])
            event = await k.wait(got, ACK_TIMEOUT)
            if event is not None and isinstance(event.data.get("rate"), (int, float)) and event.data["rate"] > 0:
                ack_rate = float(event.data["rate"])
            window.count(record, None if event is None else (event.at - last) * 1000, ack=event is not None)
            if once:
                return

    async def sum(self, record: Record, window, once: bool = False) -> None:
        """Type sums key by key (as `continuous_update` sends them); each key is answered."""
        k = self.kernel
        box, answer = k.by_class("mlexp-sum-input"), k.by_class("mlexp-answer")
        if box is None:
            raise RuntimeError("no sum input on the page")
        while not window.over():
            text = f"{self.rng.randrange(1000)}+{self.rng.randrange(1000)}"
            for i in range(1, len(text) + 1):
                if window.over():
                    return
                window.count(record, await self.ask(lambda v=text[:i]: k.update(box, value=v), answer))
                if once:
                    return
                await asyncio.sleep(0.15)  # typing
            await asyncio.sleep(THINK)

    async def text(self, record: Record, window, once: bool = False) -> None:
        """Generate; wait for the first character, then for the end of the text."""
        k = self.kernel
        generate, output = k.by_class("mlexp-generate"), k.by_class("mlexp-output")
        if generate is None:
            raise RuntimeError("no Generate button on the page")
        while not window.over():
            latency = await self.ask(lambda: k.custom(generate, {"event": "click"}), output,
                                     accept=lambda s: bool(generated(s.get("value", ""))), later=True)
            window.count(record, latency)
            if once:
                return
            done = k.expect(lambda e: e.kind == "update" and e.comm == generate and e.data.get("disabled") is False)
            await k.wait(done, max(0.1, window.left()) + 1)
            await asyncio.sleep(THINK)


    async def write(self, record: Record, window, once: bool = False) -> None:
        """Press digit buttons; each press is answered by a new row of digits (its picture sheet)."""
        k = self.kernel
        buttons = {d: k.find(lambda s, d=d: s.get("description") == str(d) and "button_style" in s) for d in range(10)}
        strip = k.find(lambda s: "sheet" in s and str(s.get("empty", "")).startswith("Pick a digit"))
        if strip is None or None in buttons.values():
            raise RuntimeError("no digit buttons and row on the page")
        while not window.over():
            button = buttons[self.rng.randrange(10)]
            window.count(record, await self.ask(lambda b=button: k.custom(b, {"event": "click"}), strip,
                                                accept=lambda data: "sheet" in data))
            if once:
                return
            await asyncio.sleep(THINK)


def generated(value: str) -> str:
    """The generated part of the text dashboard's output (after the bold prompt, before the cursor)."""
    after = value.split("</b>", 1)[1] if "</b>" in value else ""
    return html.unescape(re.sub(r"<[^>]+>", "", after.split('<span class="cursor"', 1)[0]))


class Window:
    """The measurement window: answers inside it count; everyone stops at its end."""

    def __init__(self):
        self.start = self.end = None

    def open(self, seconds: float) -> None:
        self.start = time.perf_counter()
        self.end = self.start + seconds

    def over(self) -> bool:
        return self.end is not None and time.perf_counter() >= self.end

    def left(self) -> float:
        return max(0.0, self.end - time.perf_counter()) if self.end else 0.0

    def count(self, record: Record, latency: float | None, ack: bool = False) -> None:
        if self.start is None or time.perf_counter() > self.end + ANSWER_TIMEOUT:
            return
        if latency is None:
            record.missing += 1
        else:
            record.latencies.append(latency)
            record.acks += ack


# The real browser student ---------------------------------------------------------------------
# In the page: ms from each stroke's end (the pen lifted on the pad: pointerup, which either pad gets;
# the pads' pointer handlers suppress mouseup) to the next change of the probability bars.
STROKE_TO_BARS = """() => {
    window.strokeLatencies = []; window.strokes = 0;
    let up = null;
    document.addEventListener('pointerup', (e) => {
        if (e.target.closest && e.target.closest('.mlexp-pad')) { up = performance.now(); window.strokes += 1; }
    }, {capture: true});
    new MutationObserver(() => {
        if (up !== null) { window.strokeLatencies.push(performance.now() - up); up = null; }
    }).observe(document.querySelector('.mlexp-bars'), {subtree: true, childList: true, characterData: true});
}"""


# In the page, for dashboards without a pad: the time since navigation once the dashboard's widgets show.
SHOWN = """() => !!document.querySelector('.mlexp-answer, .mlexp-gesture, .mlexp-output') && performance.now()"""


def browser_student(target: Target, activity: str, experiment: str, ready: threading.Event, go: threading.Event,
                    stop_at: list, material: Material, out: dict) -> None:
    """One headless Chromium (Playwright, sync, in its own thread): for draw (and mixed), stroke
    end -> bars changed in the DOM; for write, digit pressed -> the new row on the page; for
    arrive, page opened -> dashboard usable; for camera,
    frame sent -> ack seen on its websocket, and its acks per second. It sets `ready` once its
    page works (arrive: once started), acts from `go` until `stop_at[0]`; results go to `out`."""
    from drawing import INTERACTIVE  # noqa: PLC0415
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only when a browser student runs)

    from camera_page import CHROMIUM_CAMERA, GRANTED, write_y4m  # noqa: PLC0415
    from voila_server import CHROMIUM, CHROMIUM_ARGS, draw, wait_for_pad  # noqa: PLC0415

    url = target.page(experiment) + (f"?token={target.token}" if target.token else "")
    try:
        with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
            args = list(CHROMIUM_ARGS)
            if activity == "camera":
                video = Path(folder) / "camera.y4m"
                from PIL import Image  # noqa: PLC0415

                frames = [np.asarray(Image.open(io.BytesIO(d)).convert("RGB").resize((640, 480)))
                          for d, _, _ in material.frames]
                write_y4m(video, frames, fps=30)
                args += [*CHROMIUM_CAMERA, *GRANTED, f"--use-file-for-fake-video-capture={video}"]
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
            page = browser.new_context(ignore_https_errors=True).new_page()
            wire = AckTimes(page) if activity == "camera" else None
            if activity == "arrive":
                ready.set()
                go.wait(600)
                page.goto(url, wait_until="commit", timeout=120_000)
                usable = INTERACTIVE if ARRIVE_PROBES.get(experiment, "draw") == "draw" else SHOWN
                out["browser_ms"] = round(page.wait_for_function(usable, timeout=120_000, polling=50).json_value(), 1)
                out["kernel_id"] = page_kernel(page)
                return
            response = page.goto(url, timeout=120_000)
            if response is None or not response.ok:
                raise RuntimeError(f"the page answered {response and response.status}")
            out["kernel_id"] = page_kernel(page)
            if activity == "camera":
                page.wait_for_function("() => document.querySelector('video')?.readyState >= 2", timeout=120_000)
            elif activity == "write":
                page.get_by_role("button", name="New ones").wait_for(timeout=120_000)
            else:
                wait_for_pad(page, timeout=120_000)
                page.evaluate(STROKE_TO_BARS)
            ready.set()
            go.wait(600)
            if activity == "camera":
                since = time.monotonic()
                page.wait_for_timeout(1000 * max(1.0, stop_at[0] - time.perf_counter()))
                out.update(wire.figures(since))
                return
            rng = random.Random(99)
            if activity == "write":
                out.update(press_digits(page, rng, stop_at[0]))
                browser.close()
                return
            while time.perf_counter() < stop_at[0]:
                strokes, _ = rng.choice(material.drawings)
                page.locator(".mlexp-clear").click()
                for stroke in strokes:
                    if time.perf_counter() >= stop_at[0]:
                        break
                    done = page.evaluate("window.strokeLatencies.length")
                    draw(page, [stroke])
                    with contextlib.suppress(PlaywrightTimeout):  # bars left as they were: nothing to see
                        page.wait_for_function("n => window.strokeLatencies.length > n", arg=done, timeout=3000)
                page.wait_for_timeout(1000 * THINK)
            out["browser_ms"] = summary(page.evaluate("window.strokeLatencies"))
            out["browser_strokes"] = page.evaluate("window.strokes")
            browser.close()
    except Exception as error:  # the simulated class's figures still count
        out["browser_error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"


def press_digits(page, rng: random.Random, stop_at: float) -> dict:
    """The Chromium student on the digit generator: ms from a digit button pressed to the new row's
    pictures on the page, until `stop_at`."""
    from digits_generator import press_for_row  # noqa: PLC0415 (only when a browser student writes)

    times = []
    while time.perf_counter() < stop_at:
        times.append(press_for_row(page, rng.randrange(10)))
        page.wait_for_timeout(1000 * THINK)
    return {"browser_ms": summary(times)}


def page_kernel(page) -> str | None:
    """The kernel id in a Voila page's configuration."""
    found = KERNEL_ID.search(page.content())
    return found.group(1) if found else None


class AckTimes(Wire):
    """The camera page's frames and acks on its websocket, with each ack's time."""

    def __init__(self, page):
        self.ack_at: dict[int, float] = {}
        super().__init__(page)

    def _seen(self, payload, pattern) -> None:
        super()._seen(payload, pattern)
        if pattern is self.ACK:
            data = payload.encode() if isinstance(payload, str) else payload
            for match in pattern.finditer(data):
                self.ack_at.setdefault(int(match.group(1)), time.monotonic())

    def figures(self, since: float) -> dict:
        """Frame -> ack (ms) and acks per second, for frames sent after `since` (time.monotonic)."""
        sent = [(t, i) for t, i in self.sent if t >= since]
        delays = [(self.ack_at[i] - t) * 1000 for t, i in sent if i in self.ack_at]
        span = time.monotonic() - since
        return {"browser_ms": summary(delays), "browser_fps": round(len(delays) / span, 1) if span > 0 else 0.0,
                "browser_in_flight_max": self.max_in_flight}


# Running a class ------------------------------------------------------------------------------
def summary(values) -> dict | None:
    """p50, p95 and max (ms), or None without values."""
    if not values:
        return None
    return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1),
            "max": round(float(max(values)), 1)}


async def run_class(target: Target, activity: str, students: int, seconds: float, browser: bool,
                    dashboard: str | None, context, beside: str | None = None) -> dict:
    """Every student joins, the window opens once all are in (or a time limit passed), everyone
    acts for `seconds`, then every student leaves. The figures, as `--json` prints them. `beside`
    gives the Chromium student an activity of its own (draw or camera) next to the class's."""
    kinds = [MIXED[i % len(MIXED)] if activity == "mixed" else activity for i in range(students)]
    arrive_on = dashboard or DASHBOARDS["draw"]
    stuff = await asyncio.to_thread(material)
    people = [Student(target, context, i, stuff) for i in range(students)]
    records = [Record(kind) for kind in kinds]
    window, resources = Window(), Resources(target.pid)
    browser_ready, go, out, stop_at = threading.Event(), threading.Event(), {}, [float("inf")]
    browser_kind = beside or (activity if activity in ("arrive", "camera", "write") else "draw")
    thread = None
    if browser:
        experiment = arrive_on if browser_kind == "arrive" else (
            DASHBOARDS[browser_kind] if beside else dashboard or DASHBOARDS[browser_kind])
        thread = threading.Thread(target=browser_student, daemon=True,
                                  args=(target, browser_kind, experiment, browser_ready, go, stop_at, stuff, out))
        thread.start()
    ready = asyncio.Event()

    async def attend(person: Student, record: Record) -> None:
        kind = ARRIVE_PROBES.get(arrive_on, "draw") if record.activity == "arrive" else record.activity
        try:
            record.ready_ms = await person.open(arrive_on if record.activity == "arrive" else
                                                dashboard or DASHBOARDS[kind])
            if record.activity == "arrive":
                once = Window()
                once.open(ANSWER_TIMEOUT)
                probe = Record(kind)
                await getattr(person, kind)(probe, once, once=True)
                if probe.latencies:  # a working dashboard, then the first request's answer (no drawing time)
                    record.first_answer_ms = record.ready_ms + probe.latencies[0]
                return
            await ready.wait()
            await getattr(person, kind)(record, window)
        except Exception as error:
            record.error = f"{type(error).__name__}: {error}"

    tasks = []
    try:
        if activity == "arrive":
            await asyncio.to_thread(browser_ready.wait, 60)  # the browser started, its page not yet opened
            resources.start()
            go.set()
            tasks = [asyncio.create_task(attend(p, r)) for p, r in zip(people, records)]
            await asyncio.wait(tasks, timeout=600)
        else:
            tasks = [asyncio.create_task(attend(p, r)) for p, r in zip(people, records)]
            deadline = time.perf_counter() + 300
            while ((sum(r.ready_ms is not None or bool(r.error) for r in records) < students
                    or (thread is not None and thread.is_alive() and not browser_ready.is_set()))
                   and time.perf_counter() < deadline):
                await asyncio.sleep(0.2)
            resources.start()
            window.open(seconds if any(r.ready_ms is not None for r in records) else 0)
            stop_at[0] = window.end
            go.set()
            ready.set()
            await asyncio.wait(tasks, timeout=window.left())  # resources over the window itself
            figures = resources.stop()
            await asyncio.wait(tasks, timeout=ANSWER_TIMEOUT + 10)  # the last answers
        if activity == "arrive":
            figures = resources.stop()
        if thread is not None:
            await asyncio.to_thread(thread.join, 120)
    finally:  # also on Ctrl-C: every student leaves and its kernel is shut down
        stop_at[0] = 0
        go.set()
        for task in tasks:
            task.cancel()
        leaving = [p.close() for p in people] + [shutdown_browser_kernel(target, context, out.pop("kernel_id", None))]
        await asyncio.gather(*leaving, return_exceptions=True)
    return report(activity, records, figures, out, seconds)


def report(activity: str, records: list[Record], figures: dict, browser: dict, seconds: float) -> dict:
    """The one-line JSON: latencies, camera fps, resources, the browser's figure, problems."""
    if activity == "arrive":
        latencies = [r.ready_ms for r in records if r.ready_ms is not None and not r.error]
    else:
        latencies = [v for r in records if r.activity != "camera" or activity == "camera" for v in r.latencies]
    cameras = [r.acks / seconds for r in records if r.activity == "camera"]
    result = {
        "students": len(records), "activity": activity,
        "latency_ms": summary(latencies),
        "fps": {"min": round(min(cameras), 1), "median": round(statistics.median(cameras), 1)} if cameras else None,
        **{k: figures[k] for k in ("kernel_rss_mib", "server_rss_mib", "server_cpu")},
        "browser_ms": browser.get("browser_ms"),
        "answered": [int(r.first_answer_ms is not None) if activity == "arrive" else len(r.latencies)
                     for r in records],
        "missing": sum(r.missing for r in records),
        **{k: v for k, v in figures.items() if k not in ("kernel_rss_mib", "server_rss_mib", "server_cpu")},
    }
    pads = sorted({r.pad for r in records if r.pad})
    if pads:
        result["pad"] = "/".join(pads)
    if activity == "mixed":
        result["by_activity"] = {kind: summary([v for r in records if r.activity == kind for v in r.latencies])
                                 for kind in MIXED}
    if activity == "arrive":
        result["first_answer_ms"] = summary([r.first_answer_ms for r in records if r.first_answer_ms is not None])
    result.update({k: v for k, v in browser.items() if k != "browser_ms"})
    errors = [r.error for r in records if r.error]
    if errors:
        result["errors"] = sorted(set(errors))[:5]
        result["students_failed"] = len(errors)
    return result


def parse_ready(text: str) -> str:
    """NAME=N[,NAME=N...], as `mlexp class --ready` takes it."""
    if not all("=" in spec and spec.split("=", 1)[1].isdigit() for spec in text.split(",")):
        raise argparse.ArgumentTypeError(f"--ready takes NAME=N[,NAME=N...] (such as digits_cnn=30), not {text!r}")
    return text


def arguments(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--students", type=int, default=10)
    p.add_argument("--activity", choices=ACTIVITIES, default="draw")
    p.add_argument("--seconds", type=float, default=20, help="length of the measurement window")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.add_argument("--url", help="a running server on 127.0.0.1 (default: start `mlexp class`)")
    p.add_argument("--token", default="", help="the class password for --url")
    p.add_argument("--ready", action="append", default=[], type=parse_ready, metavar="NAME=N",
                   help="kernels kept ready by the server this harness starts (`mlexp class --ready`)")
    p.add_argument("--prefix", default=None, help='dashboards at voila/render/PREFIX<name>/demo.ipynb '
                   '("notebooks/" for `mlexp demo`; default: detected)')
    p.add_argument("--dashboard", help="the experiment to open (default: one per activity)")
    p.add_argument("--no-browser", dest="browser", action="store_false", help="no real Chromium student")
    p.add_argument("--browser-activity", choices=("draw", "camera", "write"), dest="beside",
                   help="what the Chromium student does (default: the class's activity; draw for mixed)")
    return p.parse_args(argv)


async def main_async(args) -> dict:
    context = insecure()
    if args.url:
        check_loopback(args.url)
        parts = urlsplit(args.url)
        target = Target(f"{parts.scheme}://{parts.netloc}/", args.token, pid=listening_pid(parts.port or 80))
        target.prefix = args.prefix if args.prefix is not None else await detect_prefix(target, context)
        return await run_class(target, args.activity, args.students, args.seconds, args.browser, args.dashboard,
                               context, args.beside)
    with class_server(args.ready) as target:
        target.prefix = args.prefix if args.prefix is not None else await detect_prefix(target, context)
        return await run_class(target, args.activity, args.students, args.seconds, args.browser, args.dashboard,
                               context, args.beside)


def interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv=None) -> None:
    args = arguments(argv)
    # Ctrl-C and SIGTERM leave through the `finally` blocks that stop the server and its kernels.
    signal.signal(signal.SIGTERM, interrupt)
    try:
        result = asyncio.run(main_async(args))
    except RuntimeError as error:  # the server did not start, or a page was missing: one message
        sys.exit(f"classroom: {error}")
    except KeyboardInterrupt:  # the students left and the server stopped on the way out
        sys.exit(130)
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
