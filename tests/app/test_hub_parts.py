"""The parts mlexp adds to JupyterHub (mlexp/app/hub.py), without a hub: cgroup limits on v1 and v2
layouts, the one-sentence refusals, the log's last line, who can reach the environment. The real hub
is tests/app/test_hub.py."""
import re
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from tornado import web

from mlexp.app import cli, hub


def fake_cgroups(root: Path, version: int) -> Path:
    if version == 2:
        root.mkdir()
        (root / "cgroup.controllers").write_text("cpu memory")
        (root / "cgroup.subtree_control").write_text("")
    else:
        (root / "memory").mkdir(parents=True)
        (root / "cpu").mkdir()
    return root


@pytest.mark.parametrize("version", [1, 2])
def test_confine_caps_memory_and_cpu_and_moves_the_server(tmp_path, version):
    root = fake_cgroups(tmp_path / "cgroup", version)
    assert hub.cgroup_version(root) == version
    groups = hub.confine(4242, "ada", 2 * 2**30, 1.5, root=root)
    if version == 2:
        (group,) = groups
        assert group == root / "mlexp-hub" / "ada"
        assert (group / "memory.max").read_text() == str(2 * 2**30)
        assert (group / "cpu.max").read_text() == "150000 100000"
        assert "+memory" in (root / "mlexp-hub" / "cgroup.subtree_control").read_text()
    else:
        memory, cpu = groups
        assert (memory / "memory.limit_in_bytes").read_text() == str(2 * 2**30)
        assert (cpu / "cpu.cfs_quota_us").read_text() == "150000"
    assert all((group / "cgroup.procs").read_text() == "4242" for group in groups)


def test_no_cgroups_means_no_limits_and_no_error(tmp_path):
    assert hub.cgroup_version(tmp_path) == 0 and hub.confine(1, "ada", 2**30, 1.0, root=tmp_path) == []


def test_names_are_unix_account_names():
    assert all(re.match(hub.NAME_PATTERN, n) for n in ("ada", "bo-2", "c_y"))
    assert not any(re.match(hub.NAME_PATTERN, n) for n in ("Ada", "2bo", "../x", "a b", "", "x" * 33))


def test_a_full_machine_refuses_a_spawn_naming_what_is_free_and_what_is_needed(monkeypatch):
    monkeypatch.setattr(hub, "free_memory", lambda: 300 * 2**20)
    spawner = SimpleNamespace(mem_guarantee=512 * 2**20, user=SimpleNamespace(name="ada"), cmd=["x"], environment={})
    with pytest.raises(web.HTTPError) as refused:
        hub.prepare_home(spawner)
    assert refused.value.status_code == 503
    assert refused.value.log_message == ("This machine has 300 MiB of memory free and a student's server needs "
                                         "512 MiB: ask your teacher to stop idle servers.")


def test_the_last_line_of_a_log_is_its_reason(tmp_path):
    log = tmp_path / "ada.log"
    log.write_text("Traceback (most recent call last):\n  ...\nPermissionError: [Errno 13] denied: '/home/ada'\n\n")
    assert hub.last_line(log) == "PermissionError: [Errno 13] denied: '/home/ada'"
    assert hub.last_line(tmp_path / "none.log") == ""


def test_reachable_needs_every_folder_above_searchable():
    top = Path(tempfile.mkdtemp())  # under /tmp (pytest's own temporary folders are closed to others)
    try:
        inner = top / "a" / "b"
        inner.mkdir(parents=True)
        (inner / "python").write_text("")
        for path in (top, top / "a", inner, inner / "python"):
            path.chmod(0o755)
        assert hub.reachable(inner / "python", uid=54321, gid=54321)
        (top / "a").chmod(0o700)
        assert not hub.reachable(inner / "python", uid=54321, gid=54321)
    finally:
        shutil.rmtree(top)


def test_mlexp_hub_as_another_user_than_root_says_why(monkeypatch, capsys):
    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    assert cli.main(["hub"]) == 1
    assert "run it as root" in capsys.readouterr().err
