"""The parts of `deploy/jupyterhub_config.py` that are code: JupyterHub's own authenticator and
spawner, with what a class on one machine needs added.

- `ClassPasswordAuthenticator`: JupyterHub's shared-password authenticator (a class password and a
  name the student chooses; the teacher is the admin with a password of their own) that also creates
  each student's Unix account on first login (JupyterHub's `LocalAuthenticator`), in the group
  `mlexp-students`, with a home folder only its owner can read. A name that belongs to another
  account of the machine (root, the teacher's own) is refused.
- `ConfinedSpawner`: JupyterHub's local process spawner (each server runs as its student's Unix
  user) that also enforces `mem_limit` and `cpu_limit`, which the local spawner only announces, by
  putting the server in a cgroup of its own. `SystemdSpawner` does the same through systemd, which
  does not run in containers such as this project's machines.
- `prepare_home`: the pre-spawn hook; refuses a spawn on a full machine in one sentence, copies the
  notebooks into the student's home on first start, and points models and projects there.
"""
from __future__ import annotations

import asyncio
import grp
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import psutil
from jupyterhub.auth import LocalAuthenticator
from jupyterhub.authenticators.shared import SharedPasswordAuthenticator
from jupyterhub.spawner import LocalProcessSpawner
from tornado import web
from traitlets import Unicode

from mlexp.core.paths import REPO_ROOT, SHIPPED_MODELS

GROUP = "mlexp-students"
CGROUP_NAME = "mlexp-hub"
CGROUP_ROOT = Path("/sys/fs/cgroup")
NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"  # a Unix account name


def ensure_group(name: str = GROUP) -> None:
    """Create the students' Unix group if it is missing."""
    try:
        grp.getgrnam(name)
    except KeyError:
        subprocess.run(["groupadd", "--force", name], check=True)


def add_user_command(group: str = GROUP) -> list[str]:
    """`useradd` for a student: a home folder that only they can read (mode 0700), in `group`."""
    return ["useradd", "--create-home", "--key", "HOME_MODE=0700", "--gid", group, "--shell", "/bin/bash"]


class ClassPasswordAuthenticator(LocalAuthenticator, SharedPasswordAuthenticator):
    """A class password and a chosen name; the Unix account made on first login."""

    students_group = Unicode(GROUP, config=True, help="Unix group of the students' accounts")

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        if name and name not in self.admin_users and self._taken(name):
            raise web.HTTPError(403, f"The name {name!r} belongs to an account of this machine: choose another name.")
        return await super().authenticate(handler, data)

    def _taken(self, name: str) -> bool:
        """Whether `name` is an account of the machine that is not a student's."""
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            return False
        try:
            return account.pw_gid != grp.getgrnam(self.students_group).gr_gid
        except KeyError:
            return True


def cgroup_version(root: Path = CGROUP_ROOT) -> int:
    """2 for the unified hierarchy, 1 for separate memory and cpu hierarchies, 0 when neither is writable."""
    if (root / "cgroup.controllers").exists():
        return 2 if os.access(root, os.W_OK) else 0
    if (root / "memory").is_dir() and (root / "cpu").is_dir():
        return 1 if os.access(root / "memory", os.W_OK) else 0
    return 0


def confine(pid: int, name: str, mem_limit: int | None, cpu_limit: float | None,
            root: Path = CGROUP_ROOT) -> list[Path]:
    """Put process `pid` (and so every kernel it starts) in cgroup `mlexp-hub/<name>`, capped at
    `mem_limit` bytes and `cpu_limit` cores. Returns the cgroup folders written."""
    version, period = cgroup_version(root), 100_000
    if version == 2:
        parent = root / CGROUP_NAME
        parent.mkdir(exist_ok=True)
        (root / "cgroup.subtree_control").write_text("+memory +cpu")
        (parent / "cgroup.subtree_control").write_text("+memory +cpu")
        group = parent / name
        group.mkdir(exist_ok=True)
        if mem_limit:
            (group / "memory.max").write_text(str(int(mem_limit)))
        if cpu_limit:
            (group / "cpu.max").write_text(f"{int(cpu_limit * period)} {period}")
        (group / "cgroup.procs").write_text(str(pid))
        return [group]
    if version == 1:
        memory, cpu = root / "memory" / CGROUP_NAME / name, root / "cpu" / CGROUP_NAME / name
        for group in (memory, cpu):
            group.mkdir(parents=True, exist_ok=True)
        if mem_limit:
            (memory / "memory.limit_in_bytes").write_text(str(int(mem_limit)))
        if cpu_limit:
            (cpu / "cpu.cfs_period_us").write_text(str(period))
            (cpu / "cpu.cfs_quota_us").write_text(str(int(cpu_limit * period)))
        for group in (memory, cpu):
            (group / "cgroup.procs").write_text(str(pid))
        return [memory, cpu]
    return []


class ConfinedSpawner(LocalProcessSpawner):
    """The local process spawner, with `mem_limit` and `cpu_limit` enforced by a cgroup, each server's
    output in a log of its own, and a server that stops as it starts reported at once, with its reason
    (JupyterHub alone waits `http_timeout` and then says only that it did not respond)."""

    log_dir = Unicode("", config=True, help="folder of the students' server logs, <name>.log (default: the hub's log)")

    async def start(self):
        log = None
        if self.log_dir:
            Path(self.log_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
            log = open(Path(self.log_dir) / f"{self.user.name}.log", "ab")  # handed to the server
            self.popen_kwargs = {**self.popen_kwargs, "stdout": log, "stderr": subprocess.STDOUT}
        try:
            ip, port = await super().start()
        finally:
            if log:
                log.close()  # the server holds its own copy
        try:
            groups = confine(self.proc.pid, self.user.name, self.mem_limit, self.cpu_limit)
        except OSError as error:
            self.log.warning("No limits for %s's server (cgroups: %s)", self.user.name, error)
        else:
            if not groups:
                self.log.warning("No limits for %s's server: no writable cgroups on this machine", self.user.name)
        await self._listening(ip, port)
        return ip, port

    async def _listening(self, ip: str, port: int) -> None:
        """Wait until the server listens; if it stops first, raise with the last line it wrote."""
        deadline = time.monotonic() + self.http_timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection(ip, port)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            writer.close()
            return
        if self.proc.poll() is not None:
            reason = last_line(Path(self.log_dir) / f"{self.user.name}.log") if self.log_dir else ""
            raise RuntimeError(f"Your server stopped as it started (exit status {self.proc.returncode})"
                               + (f": {reason}" if reason else "") + ". Show this to your teacher.")


def last_line(path: Path, size: int = 4096) -> str:
    """The last line of a log that is not empty (an error's own sentence, at the end of a traceback)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - size))
            lines = [line.strip() for line in f.read().decode(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def free_memory() -> int:
    """Bytes of memory the machine has available now."""
    return psutil.virtual_memory().available


def reachable(path: Path, uid: int, gid: int) -> bool:
    """Whether the account (`uid`, `gid`) can reach and run `path` (every folder above it searchable)."""
    for part in [*reversed(path.parents), path]:
        st = part.stat()
        bit = 0o001 if st.st_uid != uid and st.st_gid != gid else (0o100 if st.st_uid == uid else 0o010)
        if not st.st_mode & bit:
            return False
    return True


def prepare_home(spawner, notebooks: Path = REPO_ROOT / "notebooks") -> None:
    """Pre-spawn hook: refuse on a full machine, give the student the notebooks and their own folders."""
    guarantee, free = spawner.mem_guarantee or 0, free_memory()
    if guarantee and free < guarantee:
        raise web.HTTPError(503, f"This machine has {free // 2**20} MiB of memory free and a student's "
                            f"server needs {guarantee // 2**20} MiB: ask your teacher to stop idle servers.")
    account = pwd.getpwnam(spawner.user.name)
    for needed in (Path(spawner.cmd[0]), Path(os.path.realpath(sys.executable)), Path(sysconfig.get_paths()["stdlib"])):
        if not reachable(needed, account.pw_uid, account.pw_gid):
            raise web.HTTPError(500, f"Students' accounts cannot open {needed}: the teacher must install mlexp with a "
                                "Python and in a folder that every account can read (docs/deploy.md).")
    home = Path(account.pw_dir)
    target = home / "notebooks"
    if not target.exists():
        shutil.copytree(notebooks, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        for folder, dirs, files in os.walk(target):
            for entry in [folder, *(os.path.join(folder, f) for f in files)]:
                os.chown(entry, account.pw_uid, account.pw_gid)
    for own in ("mlexp-models", "mlexp-projects"):
        if not (home / own).exists():
            (home / own).mkdir(mode=0o700)
            os.chown(home / own, account.pw_uid, account.pw_gid)
    spawner.environment.update({
        "MLEXP_MODELS_DIR": f"{home / 'mlexp-models'}{os.pathsep}{SHIPPED_MODELS}",  # theirs first, then shipped
        "MLEXP_PROJECTS_DIR": str(home / "mlexp-projects"),  # the teach dashboard's saved projects
    })
