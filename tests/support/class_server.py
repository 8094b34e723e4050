"""`mlexp class` for tests: started on a free 127.0.0.1 port with its self-signed certificate made
in a temporary folder, clients that trust that certificate, and the kernel id a page names."""
from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from mlexp.experiments import REPO_ROOT

from voila_server import _stop, free_port

TOKEN, TEACHER = "class-password", "teacher-secret"


@dataclass
class ClassServer:
    url: str
    process: subprocess.Popen
    log: Path
    certfile: Path

    def context(self) -> ssl.SSLContext:
        """A client TLS context trusting only this server's certificate."""
        return ssl.create_default_context(cafile=str(self.certfile))

    @contextmanager
    def client(self, login: bool = True):
        """An https client (cookies kept, redirects not followed); logged in with `?token=`."""
        with httpx.Client(base_url=self.url, verify=self.context(), timeout=60) as client:
            if login:
                assert client.get(f"/?token={TOKEN}").status_code == 302
            yield client

    @contextmanager
    def teacher(self):
        with self.client() as client:
            assert client.get(f"/mlexp/teacher?teacher={TEACHER}").status_code == 200
            yield client

    def status(self) -> dict:
        with self.teacher() as client:
            return client.get("/mlexp/teacher/status").json()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def kernel_id(page_html: str) -> str:
    """The kernel a rendered dashboard connects to (Voila's page config)."""
    config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page_html, re.S)
    return json.loads(config.group(1))["kernelId"]


def run_class(*args: str, cache: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`mlexp class ARGS` to its end (for the faults that stop it at once)."""
    env = {**os.environ, "MLEXP_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "mlexp", "class", "--ip", "127.0.0.1", "--no-browser", *args],
                          env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)


@contextmanager
def class_server(*args: str, timeout: float = 120):
    """A running `mlexp class` (own process group), stopped with its kernels at the end."""
    port = free_port()
    cache = Path(tempfile.mkdtemp(prefix="mlexp-class-"))
    log = cache / "server.log"
    env = {**os.environ, "MLEXP_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "mlexp", "class", "--ip", "127.0.0.1", "--port", str(port),
               "--token", TOKEN, "--teacher-token", TEACHER, "--no-browser", *args]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = ClassServer(f"https://127.0.0.1:{port}", process, log, cache / "mlexp-class-cert.pem")
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlexp class did not start; its log ends:\n{server.log_tail()}")
            try:
                with server.client(login=False) as client:
                    client.get("/login")
                break
            except (httpx.HTTPError, ssl.SSLError, OSError):
                time.sleep(0.25)
        yield server
    finally:
        _stop(process)
