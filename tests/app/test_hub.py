"""`mlexp hub` for real: JupyterHub, its proxy from npm, https, students who log in with the class password
and get their own server running as their own Unix account, on 127.0.0.1. Slow tier (a hub and a server
per student take seconds each); the Chromium tests are also in the browser tier."""
from __future__ import annotations

import base64
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from mlexp.app import hub as hub_parts

from drawings import DIGITS, place
from hub_server import PASSWORD, TEACHER_PASSWORD, hub_server, why_not
from voila_server import CHROMIUM, CHROMIUM_ARGS, draw, screenshot_folder, small_picture, wait_for_pad

pytestmark = [pytest.mark.slow, pytest.mark.skipif(why_not() is not None, reason=str(why_not()))]
STUDENTS = ("ada", "bo", "cy")


@pytest.fixture(scope="module")
def hub():
    with hub_server("--max-students", str(len(STUDENTS))) as server:
        yield server


@pytest.fixture(scope="module")
def students(hub):
    """Three students logged in, each with their server running and their gallery opened."""
    return dict(hub.student(who) for who in STUDENTS)


@pytest.fixture(scope="module")
def quiet_hub():
    """A second hub whose idle servers are culled after 20 s."""
    with hub_server("--cull-idle", "20") as server:
        yield server


def test_each_student_gets_a_server_of_their_own_as_their_own_account(hub, students):
    version = hub_parts.cgroup_version()
    for name in students:
        server = hub.server_process(name)
        assert server is not None and server.username() == name  # the process owner
        home = Path(f"/home/{name}")
        assert home.stat().st_mode & 0o777 == 0o700 and home.owner() == name
        assert (home / "notebooks" / "index.ipynb").owner() == name  # their own copy of the notebooks
        assert server.environ()["MLEXP_PROJECTS_DIR"] == str(home / "mlexp-projects")
        if version == 1:  # the limits enforced (on this project's machines: cgroup v1)
            memory = Path(f"/sys/fs/cgroup/memory/mlexp-hub/{name}")
            assert str(server.pid) in (memory / "cgroup.procs").read_text().split()
            assert int((memory / "memory.limit_in_bytes").read_text()) == 2 * 2**30
            assert int(Path(f"/sys/fs/cgroup/cpu/mlexp-hub/{name}/cpu.cfs_quota_us").read_text()) == 100_000


def test_a_student_cannot_read_another_students_files(hub, students):
    ada, bo = list(students)[:2]
    as_ada = subprocess.run(["runuser", "-u", ada, "--", "cat", f"/home/{bo}/notebooks/index.ipynb"],
                            capture_output=True, text=True)
    assert as_ada.returncode != 0 and "Permission denied" in as_ada.stderr
    assert subprocess.run(["runuser", "-u", bo, "--", "cat", f"/home/{bo}/notebooks/index.ipynb"],
                          capture_output=True).returncode == 0
    # Nor through the hub: ada's login does not open bo's server.
    refused = students[ada].get(f"/user/{bo}/api/contents", follow_redirects=True)
    assert refused.status_code == 403, refused.status_code


def test_a_wrong_password_or_an_account_of_the_machine_is_refused(hub):
    client = hub.client()
    wrong = hub.login(client, hub.name("eve"), "not-the-class-password")
    assert wrong.status_code == 403 and "Invalid username or password" in wrong.text
    assert not [c for c in client.cookies.jar if c.name == "jupyterhub-hub-login"]
    taken = hub.login(hub.client(), "root", PASSWORD)
    assert taken.status_code == 403 and "belongs to an account of this machine: choose another name" in taken.text
    assert hub.server_process("root") is None


def test_a_full_machine_refuses_one_more_student_and_names_its_limit(hub, students):
    client = hub.client()
    assert hub.login(client, hub.name("dee")).status_code == 302
    refused = client.get("/hub/spawn")
    assert refused.status_code == 429
    assert f"runs at most {len(STUDENTS)} students' servers at once" in refused.text


def test_students_keep_their_server_and_files_when_the_proxy_restarts(hub, students):
    name, client = next(iter(students.items()))
    server = hub.server_process(name)
    project = base64.b64encode(b"what ada taught").decode()
    xsrf = client.cookies.get("_xsrf", path=f"/user/{name}/")
    saved = client.put(f"/user/{name}/api/contents/mlexp-projects/hands.mlexp", headers={"X-XSRFToken": xsrf},
                       json={"type": "file", "format": "base64", "content": project})
    assert saved.status_code in (200, 201), saved.text
    kernel = client.post(f"/user/{name}/api/kernels", headers={"X-XSRFToken": xsrf}, json={})
    assert kernel.status_code == 201, kernel.text  # a kernel holds what a dashboard was taught, in memory
    proxy = hub.proxy_process()
    proxy.kill()
    deadline = time.monotonic() + 60
    while (now := hub.proxy_process()) is None or now.pid == proxy.pid:
        assert time.monotonic() < deadline, "the hub did not start its proxy again\n" + hub.log_tail()
        time.sleep(0.5)
    while True:  # the new proxy listens, then the hub puts the students' routes back
        try:
            back = client.get(f"/user/{name}/api/contents/mlexp-projects/hands.mlexp?type=file&format=base64")
        except httpx.TransportError:
            back = None
        if (back is not None and back.status_code == 200) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert back is not None, "the proxy did not listen again\n" + hub.log_tail()
    assert back.status_code == 200 and base64.b64decode(back.json()["content"]) == b"what ada taught"
    assert hub.server_process(name).pid == server.pid  # the same server, and its kernel lives on
    assert client.get(f"/user/{name}/api/kernels/{kernel.json()['id']}").status_code == 200


def test_a_server_that_cannot_start_says_why_in_one_sentence(quiet_hub):
    name = quiet_hub.name("fay")
    subprocess.run(hub_parts.add_user_command() + [name], check=True)
    Path(f"/home/{name}").chmod(0o500)  # a home folder its owner cannot write: the server cannot start
    client = quiet_hub.client()
    assert quiet_hub.login(client, name).status_code == 302
    client.get("/hub/spawn")
    message = ""
    with client.stream("GET", f"/hub/api/users/{name}/server/progress",
                       headers={"Accept": "text/event-stream"}) as events:
        for line in events.iter_lines():
            if line.startswith("data:") and '"failed": true' in line:
                message = line
                break
    assert "Your server stopped as it started (exit status 1): PermissionError" in message, message
    assert "Show this to your teacher." in message


def test_an_idle_server_is_culled_and_the_students_files_stay(quiet_hub):
    name, client = quiet_hub.student("gus")
    home = Path(f"/home/{name}")
    deadline = time.monotonic() + 120  # 20 s idle, checked every 5 s, and the server's own activity report
    while quiet_hub.server_process(name) is not None and time.monotonic() < deadline:
        time.sleep(2)
    assert quiet_hub.server_process(name) is None, "the idle server was not culled\n" + quiet_hub.log_tail()
    assert (home / "notebooks" / "index.ipynb").exists()


# Chromium ----------------------------------------------------------------------------------------
def chromium_page(playwright, viewport=None):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(ignore_https_errors=True, viewport=viewport or {"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(90_000)
    return browser, page


def log_in(page, hub, name: str, password: str, next_url: str = "") -> None:
    page.goto(f"{hub.url}/hub/login" + (f"?next={next_url}" if next_url else ""))
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")


def shot(page, name: str) -> None:
    if screenshot_folder():
        screenshot_folder().mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot_folder() / name))
        small_picture(screenshot_folder() / name)


@pytest.mark.browser
def test_a_student_lands_on_the_gallery_and_a_drawn_digit_is_read(hub, students, playwright):
    name = next(iter(students))
    browser, page = chromium_page(playwright)
    try:
        log_in(page, hub, name, PASSWORD)
        page.wait_for_url(f"**{hub.gallery(name)}")
        page.locator(".mlexp-demo-link").first.wait_for()
        shot(page, "hub-gallery.png")
        with page.context.expect_page() as opened:  # a card's training notebook, in JupyterLab, their own copy
            page.locator(".mlexp-train-link").first.click()
        lab = opened.value
        lab.wait_for_url(f"**/user/{name}/lab/tree/notebooks/*/train.ipynb")
        lab.locator(".jp-Notebook .jp-Cell").first.wait_for()
        shot(lab, "hub-lab.png")
        lab.close()
        page.goto(f"{hub.url}/user/{name}/voila/render/notebooks/digits_cnn/demo.ipynb")
        wait_for_pad(page)
        draw(page, place(DIGITS["7"], 70, 50, 150))
        top = page.locator(".mlexp-bars tr.top")
        top.wait_for()
        assert top.get_attribute("data-label") == "7"
        shot(page, "hub-digits.png")
    finally:
        browser.close()


@pytest.mark.browser
def test_the_teachers_admin_page_lists_the_students(hub, students, playwright):
    browser, page = chromium_page(playwright, {"width": 390, "height": 844})
    try:
        log_in(page, hub, hub.teacher, TEACHER_PASSWORD, "/hub/admin")
        page.wait_for_url("**/hub/admin**")
        for name in students:
            page.get_by_text(name, exact=True).first.wait_for()
        shot(page, "hub-admin.png")
    finally:
        browser.close()
