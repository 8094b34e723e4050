"""`mlexp class`: the Voila gallery served to a class from one server.

A Voila standalone server (not Jupyter server: no JupyterLab, terminals, contents or kernels REST
API, and Voila's kernel websocket passes only widget messages, never `execute_request`) with:
https (the teacher's certificate or a self-signed one), a class password (Voila's token, kept in a
cookie), only the gallery and the dashboards rendered, kernels preheated per dashboard
(`ready`), limits per visitor and in total, culling of idle dashboards, pages that load nothing
from the internet, and a teacher page (`/mlexp/teacher`).
"""
from __future__ import annotations

import asyncio
import errno
import html
import os
import re
import secrets
import time
from collections import defaultdict, deque
from pathlib import Path

import psutil
import tornado.ioloop
import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from traitlets import Dict, Instance, Int, Unicode
from traitlets.config import Config
from voila.app import Voila
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from mlexp.app.certificate import ssl_context
from mlexp.app.server import LowLatencyKernelConnection
from mlexp.core.errors import MlexpError

HERE = Path(__file__).parent
FILES = HERE / "classroom_files"           # the pages' .html, .js and .css
TEMPLATES = HERE / "share" / "jupyter"     # the `mlexp` Voila template (no CDN links)
GALLERY = "index.ipynb"
DASHBOARD = re.compile(r"^(index\.ipynb|[A-Za-z0-9_-]+/demo\.ipynb)$")  # what students may open
TEACHER_COOKIE = "mlexp-teacher"
RECENT_RENDER_S = 15     # a page rendered this recently counts for its visitor before its socket opens
FRAME_WINDOW_S = 5.0     # frames/s per dashboard: binary messages from the page over this window


class ServerError(MlexpError):
    """The class server cannot start: a port in use, a bad option."""


def page(message: str, status: int, reload: bool = False) -> str:
    """A small page saying one sentence (the refusals: full server, too many tabs, not found)."""
    body = (FILES / "message.html").read_text(encoding="utf-8")
    button = '<button onclick="location.reload()">Try again</button>' if reload else ""
    return body.format(message=html.escape(message), status=status, button=button)


class Activity:
    """Who is connected to which kernel, and how many frames each page sends."""

    def __init__(self):
        self.sockets: dict[str, set] = defaultdict(set)           # kernel id -> its open websocket handlers
        self.visitor_of: dict[str, str] = {}                       # kernel id -> visitor
        self.renders: dict[str, deque] = defaultdict(deque)       # visitor -> render times
        self.frames: dict[str, deque] = defaultdict(deque)        # kernel id -> binary message times

    def opened(self, kernel_id: str, socket, visitor: str) -> None:
        self.sockets[kernel_id].add(socket)
        self.visitor_of[kernel_id] = visitor
        renders = self.renders[visitor]
        if renders:
            renders.popleft()  # that page's kernel now counts through its socket

    def closed(self, kernel_id: str, socket) -> None:
        self.sockets[kernel_id].discard(socket)
        if not self.sockets[kernel_id]:
            self.sockets.pop(kernel_id, None)

    def frame(self, kernel_id: str) -> None:
        times = self.frames[kernel_id]
        times.append(time.monotonic())
        while len(times) > 600:
            times.popleft()

    def fps(self, kernel_id: str) -> float:
        cutoff = time.monotonic() - FRAME_WINDOW_S
        times = self.frames.get(kernel_id, ())
        return sum(1 for t in times if t >= cutoff) / FRAME_WINDOW_S

    def rendered(self, visitor: str) -> None:
        self.renders[visitor].append(time.monotonic())

    def dashboards_of(self, visitor: str) -> int:
        """Open dashboards (sockets) plus pages rendered in the last seconds, not yet connected."""
        renders = self.renders[visitor]
        while renders and renders[0] < time.monotonic() - RECENT_RENDER_S:
            renders.popleft()
        connected = sum(1 for k, v in self.visitor_of.items() if v == visitor and k in self.sockets)
        return connected + len(renders)

    def students(self) -> int:
        return len({self.visitor_of[k] for k in self.sockets if k in self.visitor_of})


def visitor(handler: JupyterHandler) -> str:
    """The browser session: the user the class password's login made (one per browser)."""
    user = handler.current_user
    return getattr(user, "username", None) or handler.request.remote_ip or "?"


class DashboardHandler(TornadoVoilaHandler):
    """Renders the gallery and the dashboards only, within the visitor's and the server's limits."""

    @tornado.web.authenticated
    async def get(self, path=None):
        app: Classroom = self.settings["mlexp_class"]
        if not DASHBOARD.match(path or ""):
            self.set_status(404)
            return self.finish(page(f"There is no dashboard called {path}: go back to the gallery.", 404))
        who = visitor(self)
        refusal = app.refusal(who)
        if refusal:
            self.set_status(429 if "tabs" in refusal else 503)
            return self.finish(page(refusal, self.get_status(), reload=True))
        app.activity.rendered(who)
        return await super().get(path)


class ClassKernelSocket(VoilaKernelWebsocketHandler):
    """The kernel websocket, noting who is connected and the frames each page sends."""

    async def open(self, kernel_id):
        self.mlexp_kernel = kernel_id
        self.settings["mlexp_class"].activity.opened(kernel_id, self, visitor(self))
        return await super().open(kernel_id)

    def on_message(self, ws_message):
        if isinstance(ws_message, bytes):  # a message with buffers: a camera frame, an upload
            self.settings["mlexp_class"].activity.frame(self.mlexp_kernel)
        return super().on_message(ws_message)

    def on_close(self):
        if hasattr(self, "mlexp_kernel"):
            self.settings["mlexp_class"].activity.closed(self.mlexp_kernel, self)
        return super().on_close()


class TeacherHandler(JupyterHandler):
    """The teacher page: behind the class password and the teacher token (`?teacher=T` once)."""

    def teacher(self) -> bool:
        app: Classroom = self.settings["mlexp_class"]
        given = self.get_argument("teacher", None)
        if given is not None and secrets.compare_digest(given, app.teacher_token):
            self.set_secure_cookie(TEACHER_COOKIE, "yes", expires_days=1, httponly=True,
                                   secure=self.request.protocol == "https", samesite="Strict")
            return True
        return self.get_secure_cookie(TEACHER_COOKIE) == b"yes"

    def refuse(self) -> None:
        self.set_status(403)
        self.finish(page("This page is the teacher's: open the teacher link the server printed.", 403))


class TeacherPage(TeacherHandler):
    @tornado.web.authenticated
    def get(self):
        if not self.teacher():
            return self.refuse()
        text = (FILES / "teacher.html").read_text(encoding="utf-8")
        self.finish(text.replace("{xsrf}", html.escape(self.xsrf_token.decode())))


class TeacherStatus(TeacherHandler):
    @tornado.web.authenticated
    def get(self):
        if not self.teacher():
            return self.refuse()
        self.finish(self.settings["mlexp_class"].status())


class TeacherStopIdle(TeacherHandler):
    @tornado.web.authenticated
    async def post(self):
        if not self.teacher():
            return self.refuse()
        stopped = await self.settings["mlexp_class"].stop_idle()
        self.finish({"stopped": stopped})


class ToGallery(JupyterHandler):
    """`/` and Voila's file tree: to the gallery (students see no file listing)."""

    @tornado.web.authenticated
    def get(self, *args):
        self.redirect(f"{self.base_url}voila/render/{GALLERY}")


class Classroom(Voila):
    """Voila for a class: see the module's docstring."""

    certfile = Unicode("", help="https certificate (PEM); '' for plain http").tag(config=True)
    keyfile = Unicode("", help="the certificate's private key (PEM)").tag(config=True)
    teacher_token = Unicode(help="opens the teacher page").tag(config=True)
    per_visitor = Int(6, help="dashboards one browser may have open").tag(config=True)
    most_kernels = Int(40, help="dashboards open on the server at once").tag(config=True)
    idle_after = Int(60, help="seconds without messages before the teacher's button stops a kernel").tag(config=True)
    ready = Dict(help="dashboard path -> kernels kept ready").tag(config=True)
    activity = Instance(Activity, ())

    def init_settings(self):
        settings = super().init_settings()
        settings["mlexp_class"] = self
        shutdown = self.kernel_manager.shutdown_kernel

        async def shutdown_and_tell(kernel_id, *args, **kwargs):
            """Close the pages' sockets of a stopped kernel (culled, by the teacher): Jupyter leaves
            them open, and the page would never learn (classroom.js then says so)."""
            sockets = list(self.activity.sockets.get(kernel_id, ()))
            result = await shutdown(kernel_id, *args, **kwargs)
            for socket in sockets:  # after: the page then finds the kernel gone
                socket.close(code=1000, reason="kernel stopped")
            return result

        self.kernel_manager.shutdown_kernel = shutdown_and_tell
        self.pace_refills()
        return settings

    def pace_refills(self) -> None:
        """Refill the ready pools one kernel at a time. Voila starts every missing kernel at once: 30
        students taking 30 ready kernels set 30 kernels starting together, which took the CPU from
        the students' own dashboards (p95 12 s to a working page; paced, 1.5 s on 2 cores).
        The pools filled at startup are not paced (Voila queued them before this runs)."""
        start, gate = self.kernel_manager._initialize, asyncio.Semaphore(1)

        async def paced(*args, **kwargs):
            await gate.acquire()
            try:
                content = await start(*args, **kwargs)
            except BaseException:
                gate.release()
                raise
            # The kernel is in its pool now (not counted as a visitor's); the next one starts once
            # this one's notebook has run, or after 60 s at most.
            released = []

            def release(*_):
                if not released:
                    released.append(True)
                    gate.release()

            content["task"].add_done_callback(release)
            asyncio.get_running_loop().call_later(60, release)
            return content

        self.kernel_manager._initialize = paced

    def init_handlers(self):
        replaced = {TornadoVoilaHandler: DashboardHandler, VoilaKernelWebsocketHandler: ClassKernelSocket}
        dropped = (TornadoVoilaTreeHandler, VoilaContentsHandler)
        handlers = []
        for pattern, handler, *rest in super().init_handlers():
            if handler in dropped:
                continue
            handlers.append((pattern, replaced.get(handler, handler), *rest))
        base = self.server_url
        return [
            (base, ToGallery), (f"{base}voila/tree(.*)", ToGallery),
            (f"{base}mlexp/teacher", TeacherPage),
            (f"{base}mlexp/teacher/status", TeacherStatus),
            (f"{base}mlexp/teacher/stop-idle", TeacherStopIdle),
            (f"{base}mlexp/static/(.*)", tornado.web.StaticFileHandler, {"path": str(FILES)}),
            *handlers,
        ]

    # Limits -----------------------------------------------------------------------------
    def pooled(self) -> set[str]:
        """Kernels waiting in the preheated pools (not anyone's yet)."""
        ids = set()
        for pool in getattr(self.kernel_manager, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    ids.add(task.result()["kernel_id"])
        return ids

    def in_use(self) -> list[str]:
        pooled = self.pooled()
        return [k for k in self.kernel_manager.list_kernel_ids() if k not in pooled]

    def refusal(self, who: str) -> str:
        """One sentence when this visitor may not open another dashboard now, else ''."""
        if self.activity.dashboards_of(who) >= self.per_visitor:
            return (f"You have {self.per_visitor} dashboards open in other tabs: close one of them, "
                    "then try again.")
        if len(self.in_use()) >= self.most_kernels:
            return (f"The class server is full ({self.most_kernels} dashboards are open): wait a minute "
                    "or ask your teacher to stop idle dashboards, then try again.")
        return ""

    # The teacher page ---------------------------------------------------------------------
    def _kernel_process(self, kernel_id: str) -> psutil.Process | None:
        try:
            provisioner = self.kernel_manager.get_kernel(kernel_id).provisioner
            return psutil.Process(provisioner.process.pid)
        except (KeyError, AttributeError, psutil.Error):
            return None

    def _notebook_of(self, kernel_id: str) -> str:
        for path, data in getattr(self.kernel_manager, "notebook_data", {}).items():
            if kernel_id in data.get("kernel_ids", ()):
                return path
        return ""

    def status(self) -> dict:
        """Students, kernels (dashboard, state, memory, frames/s), the server's CPU and memory."""
        pooled, kernels, kernel_rss = self.pooled(), [], 0.0
        now = time.time()
        for kernel_id in self.kernel_manager.list_kernel_ids():
            kernel = self.kernel_manager.get_kernel(kernel_id)
            process = self._kernel_process(kernel_id)
            try:
                rss = process.memory_info().rss / 2**20 if process else 0.0
            except psutil.Error:
                rss = 0.0
            kernel_rss += rss
            kernels.append({
                "id": kernel_id, "dashboard": self._notebook_of(kernel_id),
                "ready": kernel_id in pooled, "connected": kernel_id in self.activity.sockets,
                "state": kernel.execution_state, "idle_s": round(now - kernel.last_activity.timestamp(), 1),
                "rss_mib": round(rss, 1), "fps": round(self.activity.fps(kernel_id), 1),
            })
        memory = psutil.virtual_memory()
        server = psutil.Process()
        return {
            "students": self.activity.students(), "kernels": kernels,
            "in_use": len(kernels) - len(pooled), "ready": len(pooled), "most": self.most_kernels,
            "cpu_percent": psutil.cpu_percent(interval=None), "cpus": psutil.cpu_count(),
            "memory_used_mib": round((memory.total - memory.available) / 2**20),
            "memory_total_mib": round(memory.total / 2**20),
            "server_rss_mib": round(server.memory_info().rss / 2**20, 1), "kernels_rss_mib": round(kernel_rss, 1),
        }

    async def stop_idle(self) -> int:
        """Stop the kernels of dashboards nobody has used for `idle_after` seconds (not the ready ones)."""
        pooled, stopped, now = self.pooled(), 0, time.time()
        for kernel_id in list(self.kernel_manager.list_kernel_ids()):
            kernel = self.kernel_manager.get_kernel(kernel_id)
            idle = now - kernel.last_activity.timestamp() >= self.idle_after and kernel.execution_state == "idle"
            if kernel_id not in pooled and (idle or kernel_id not in self.activity.sockets):
                await self.kernel_manager.shutdown_kernel(kernel_id)
                stopped += 1
        return stopped

    # Listening --------------------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"

    def _url(self, ip):  # Voila's says http always
        return f"{self.scheme}://{ip}:{self.port}{self.base_url}"

    def listen(self):
        """Listen on `ip:port` (https when a certificate is set); a port in use is one sentence."""
        ssl_options = ssl_context(Path(self.certfile), Path(self.keyfile)) if self.certfile else None
        try:
            self.app.listen(self.port, self.ip or None, ssl_options=ssl_options)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ServerError(f"Port {self.port} is in use: stop what uses it or choose another "
                                  "with --port.") from None
            if error.errno == errno.EACCES:
                raise ServerError(f"Port {self.port} needs administrator rights: choose one above 1023 "
                                  "with --port.") from None
            raise ServerError(f"Cannot listen on {self.ip}:{self.port}: {error.strerror}.") from None
        self.log.info("mlexp class server listening on %s://%s:%s/", self.scheme, self.ip or "*", self.port)
        if self.open_browser:
            self.launch_browser()
        self.ioloop = tornado.ioloop.IOLoop.current()
        try:
            self.ioloop.start()
        except KeyboardInterrupt:
            self.log.info("Stopping...")
        finally:
            self.stop()


def pools(ready: dict[str, int], default: int) -> dict:
    """Voila's `kernel_pools_config` for {dashboard name: N} (names as in `mlexp list`, or index)."""
    config = {"default": {"pool_size": default}}
    for name, n in ready.items():
        config[GALLERY if name == "index" else f"{name}/demo.ipynb"] = {"pool_size": n}
    return config


def configure(*, ip: str, port: int, token: str, teacher_token: str, certfile: str, keyfile: str,
              ready: dict[str, int], ready_default: int, cull_idle: int, per_visitor: int,
              most_kernels: int, open_browser: bool) -> Config:
    """The traitlets configuration of a class server."""
    c = Config()
    c.Voila.ip, c.Voila.port, c.Voila.port_retries, c.Voila.open_browser = ip, port, 0, open_browser
    c.Voila.token = token
    c.Voila.kernel_websocket_connection_class = LowLatencyKernelConnection
    c.Classroom.update(certfile=certfile, keyfile=keyfile, teacher_token=teacher_token,
                       per_visitor=per_visitor, most_kernels=most_kernels)
    v = c.VoilaConfiguration
    v.template, v.preheat_kernel, v.default_pool_size = "mlexp", True, ready_default
    v.allow_template_override, v.show_tracebacks = "NO", False
    c.VoilaKernelManager.kernel_pools_config = pools(ready, ready_default)
    # Only dashboards are preheated (never a training notebook, nor a test's notebook).
    # (Voila matches this against absolute paths at startup, relative ones later.)
    c.VoilaKernelManager.preheat_denylist = [r"^(?!(.*/)?(index\.ipynb|[A-Za-z0-9_-]+/demo\.ipynb)$)"]
    c.VoilaKernelManager.fill_delay = 3  # a class arrives within seconds: refill after the burst
    c.KernelManager.transport = "ipc"  # kernels on Unix sockets, not TCP ports other local users could reach
    for cls in ("MappingKernelManager", "AsyncMappingKernelManager"):
        c[cls].cull_idle_timeout, c[cls].cull_connected = cull_idle, True
        c[cls].cull_interval = max(1, min(60, cull_idle // 2))
    return c


def kernel_environment() -> None:
    """What every kernel inherits: one thread for the math libraries and for LiteRT, the class mode
    (the gallery hides links to JupyterLab), the `mlexp` template on the path."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                 "MLEXP_LITERT_THREADS"):
        os.environ[name] = "1"
    os.environ["MLEXP_CLASSROOM"] = "1"  # mlexp.core.paths.classroom()
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATES), os.environ.get("JUPYTER_PATH")]))


def serve(notebooks: Path, config: Config) -> None:
    """Run the class server until interrupted."""
    kernel_environment()
    app = Classroom(config=config)
    app.initialize([str(notebooks)])
    app.start()
