# JupyterHub for a class on one machine: each student logs in with the class password and a name
# of their choosing, and gets their own Jupyter server, running as their own Unix account, that
# opens on the mlexp gallery (JupyterLab is one click away for the training notebooks).
#
# Start it with `mlexp hub` (as root: it creates the students' accounts), which sets the passwords
# and the options below; or by hand:
#   MLEXP_HUB_PASSWORD=... MLEXP_HUB_TEACHER_PASSWORD=... jupyterhub -f deploy/jupyterhub_config.py
# Every `c.X.y` below can be overridden on the command line: `--X.y=value`.
# Explained, with the figures behind the limits, in docs/deploy.md.
import os
import shutil
import sys
from pathlib import Path

from mlexp.app import hub

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)
environment = Path(sys.executable).parent  # the project's .venv/bin

# Logging in: the class password for students; the teacher (admin) has a password of their own.
c.JupyterHub.authenticator_class = hub.ClassPasswordAuthenticator
c.SharedPasswordAuthenticator.user_password = os.environ.get("MLEXP_HUB_PASSWORD")
c.SharedPasswordAuthenticator.admin_password = os.environ.get("MLEXP_HUB_TEACHER_PASSWORD")
c.Authenticator.admin_users = {os.environ.get("MLEXP_HUB_TEACHER", "teacher")}
c.Authenticator.allow_all = True                 # any name, with the class password
c.Authenticator.username_pattern = hub.NAME_PATTERN
c.LocalAuthenticator.create_system_users = True  # a Unix account per student, made on first login
c.LocalAuthenticator.add_user_cmd = hub.add_user_command()
hub.ensure_group()

# Each student's server: their own account and home folder, the gallery first.
c.JupyterHub.spawner_class = hub.ConfinedSpawner
c.Spawner.cmd = [str(environment / "jupyterhub-singleuser")]
c.Spawner.args = [f"--config={hub.REPO_ROOT / 'binder' / 'jupyter_server_config.json'}"]  # as on Binder
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/voila/render/notebooks/index.ipynb"
c.Spawner.pre_spawn_hook = hub.prepare_home
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "MLEXP_DATA_DIR"]
c.Spawner.environment = {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "2",  # quiet TensorFlow
                         "OMP_NUM_THREADS": "1", "MLEXP_LITERT_THREADS": "1"}        # one core each (cpu_limit)
c.ConfinedSpawner.log_dir = str(Path.cwd() / "logs")  # each server's output: logs/<name>.log (for the teacher)
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60

# Per student (docs/deploy.md has the measured figures): the gallery and two dashboards fit in
# 512 MiB; a training notebook with TensorFlow or the teach dashboard training needs up to 2 GiB.
c.Spawner.mem_guarantee = "512M"  # a spawn is refused when the machine has less than this free
c.Spawner.mem_limit = "2G"
c.Spawner.cpu_limit = 1.0
c.JupyterHub.concurrent_spawn_limit = 10  # a class that logs in at once queues, at ~1 s a server
c.JupyterHub.active_server_limit = int(os.environ.get("MLEXP_HUB_MAX_STUDENTS", 40))
c.JupyterHub.template_paths = [str(hub.REPO_ROOT / "deploy" / "templates")]  # says the limit when full
c.JupyterHub.template_vars = {"active_server_limit": c.JupyterHub.active_server_limit}

# Idle servers are stopped by jupyterhub-idle-culler (their files stay in their home folders).
idle = int(os.environ.get("MLEXP_HUB_CULL_IDLE", 3600))  # seconds
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={idle}",
                f"--cull-every={max(5, idle // 6)}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

# The proxy from npm (installed beside the environment by setup.sh), https with the teacher's
# certificate (`mlexp hub` makes a self-signed one when none is given): browsers give the camera only
# to https pages.
c.ConfigurableHTTPProxy.command = [shutil.which("configurable-http-proxy")
                                   or str(environment.parent / "node_modules" / ".bin" / "configurable-http-proxy")]
c.JupyterHub.ip = ""
c.JupyterHub.port = 8000
c.JupyterHub.hub_ip = "127.0.0.1"
if os.environ.get("MLEXP_HUB_CERTFILE"):
    c.JupyterHub.ssl_cert = os.environ["MLEXP_HUB_CERTFILE"]
    c.JupyterHub.ssl_key = os.environ["MLEXP_HUB_KEYFILE"]
