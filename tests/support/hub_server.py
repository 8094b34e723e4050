"""`mlexp hub` for tests: the real JupyterHub and its real proxy on free 127.0.0.1 ports, https with a
self-signed certificate made in a temporary folder, students logged in over https, and their Unix
accounts (names starting with this run's tag) removed at the end."""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import ssl
import string
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil

from mlexp.app import hub
from mlexp.experiments import REPO_ROOT

from voila_server import _stop, free_port

PASSWORD = "class-password-1"
TEACHER_PASSWORD = "teacher-password-of-forty-characters-123"
PROXY = REPO_ROOT / ".venv" / "node_modules" / ".bin" / "configurable-http-proxy"


NOBODY = 65534  # an account that owns nothing: what every account may reach


def why_not() -> str | None:
    """Why a real hub cannot run here, or None."""
    if sys.platform != "linux" or os.geteuid() != 0:
        return "the hub makes Unix accounts and runs servers as them: run the tests as root on Linux"
    if not (PROXY.exists() or shutil.which("configurable-http-proxy")):
        return "no configurable-http-proxy (bash setup.sh test installs it from npm)"
    if not shutil.which("useradd"):
        return "no useradd on this machine"
    for needed in (Path(os.path.realpath(sys.executable)), Path(sysconfig.get_paths()["stdlib"]), REPO_ROOT):
        if not hub.reachable(needed, NOBODY, NOBODY):
            return f"students' accounts cannot reach {needed}: the checkout and its Python must be readable by all"
    return None


@dataclass
class Hub:
    url: str
    process: subprocess.Popen
    state: Path
    certfile: Path
    tag: str
    clients: list = field(default_factory=list)

    def name(self, who: str) -> str:
        """A student's name for this run (removed with its account at the end)."""
        return f"{self.tag}{who}"

    @property
    def teacher(self) -> str:
        return self.name("teacher")

    def client(self) -> httpx.Client:
        """An https client trusting only the hub's certificate (cookies kept, redirects not followed)."""
        client = httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=str(self.certfile)),
                              timeout=90)
        self.clients.append(client)
        return client

    def login(self, client: httpx.Client, name: str, password: str = PASSWORD, next_url: str = "") -> httpx.Response:
        """The login form, posted: JupyterHub answers 302 when it lets the person in."""
        client.get("/hub/login")
        target = "/hub/login" + (f"?next={quote(next_url)}" if next_url else "")
        return client.post(target, data={"username": name, "password": password,
                                         "_xsrf": client.cookies.get("_xsrf", path="/hub/")})

    def gallery(self, name: str) -> str:
        return f"/user/{name}/voila/render/notebooks/index.ipynb"

    def open_gallery(self, client: httpx.Client, name: str, timeout: float = 120) -> httpx.Response:
        """Follow the hub to the student's gallery, waiting while their server starts."""
        deadline = time.monotonic() + timeout
        while True:
            response = client.get(self.gallery(name), follow_redirects=True)
            if response.status_code == 200 and response.url.path == self.gallery(name):
                return response
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}'s gallery did not open: {response.status_code} {response.url}\n"
                                     + self.log_tail())
            time.sleep(1)

    def student(self, who: str) -> tuple[str, httpx.Client]:
        """A student logged in with the class password, their server started and the gallery opened."""
        name, client = self.name(who), self.client()
        assert self.login(client, name).status_code == 302
        client.get("/hub/spawn")  # where the login leads: starts the server
        self.open_gallery(client, name)
        return name, client

    def server_process(self, name: str) -> psutil.Process | None:
        """The student's single-user server."""
        for process in psutil.process_iter(["cmdline"]):
            try:
                if any("jupyterhub-singleuser" in part for part in process.info["cmdline"] or []) and \
                        process.environ().get("JUPYTERHUB_USER") == name:
                    return process
            except psutil.Error:
                continue
        return None

    def proxy_process(self) -> psutil.Process | None:
        port = str(httpx.URL(self.url).port)
        for process in psutil.process_iter(["cmdline"]):
            cmdline = process.info["cmdline"] or []
            if any("configurable-http-proxy" in part for part in cmdline) and port in cmdline:
                return process
        return None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join((self.state / "hub.log").read_text(errors="replace").splitlines()[-lines:])


def accounts(tag: str) -> list[str]:
    return [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(tag)]


def remove_accounts(tag: str, tries: int = 5) -> None:
    """Stop every process of this run's accounts, then remove the accounts and their homes (again while
    any is left: a process still exiting can make userdel fail)."""
    for _ in range(tries):
        if not accounts(tag):
            return
        for name in accounts(tag):
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        time.sleep(1)
        for name in accounts(tag):
            subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)
    left = accounts(tag)
    if left:
        print(f"hub_server: could not remove the accounts {left}", file=sys.stderr)


@contextmanager
def hub_server(*args: str, timeout: float = 60):
    """A running `mlexp hub` on 127.0.0.1 (own process group), stopped with the students' servers and
    accounts at the end."""
    tag = "mlx" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))
    state = Path(tempfile.mkdtemp(prefix="mlexp-hub-"))
    port, hub_port, api_port = free_port(), free_port(), free_port()
    env = {**os.environ, "MLEXP_CACHE_DIR": str(state),
           "PATH": f"{PROXY.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [sys.executable, "-m", "mlexp", "hub", "--ip", "127.0.0.1", "--port", str(port),
               "--password", PASSWORD, "--teacher", f"{tag}teacher", "--teacher-password", TEACHER_PASSWORD,
               "--state-dir", str(state), *args, "--",
               f"--JupyterHub.hub_port={hub_port}", f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}"]
    with open(state / "hub.log", "wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    hub = Hub(f"https://127.0.0.1:{port}", process, state, state / "mlexp-class-cert.pem", tag)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlexp hub did not start; its log ends:\n{hub.log_tail()}")
            try:
                if hub.certfile.exists() and hub.client().get("/hub/login").status_code == 200:
                    break
            except (httpx.HTTPError, ssl.SSLError, OSError):
                pass
            time.sleep(0.25)
        yield hub
    finally:
        for client in hub.clients:
            client.close()
        _stop(process)
        remove_accounts(tag)
        shutil.rmtree(state, ignore_errors=True)
