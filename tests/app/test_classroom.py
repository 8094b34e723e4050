"""`mlexp class` for real: a class server over https on 127.0.0.1 with its self-signed certificate,
the class password, only dashboards reachable, no code execution, preheated kernels, limits,
the teacher page, and the faults that stop it with one sentence."""
from __future__ import annotations

import json
import re
import socket
import ssl
import time
import uuid

import pytest
import websocket

from mlexp.app.certificate import fingerprint

from class_server import TOKEN, class_server, kernel_id, run_class

pytestmark = pytest.mark.slow
GALLERY = "/voila/render/index.ipynb"
DIGITS = "/voila/render/digits_cnn/demo.ipynb"


@pytest.fixture(scope="module")
def classroom():
    with class_server("--ready", "index=0,digits_cnn=1", "--ready-default", "0",
                      "--per-visitor", "2", "--max-dashboards", "3") as server:
        yield server


def wait_ready(server, dashboard: str, timeout: float = 90) -> str:
    """The id of a kernel kept ready for `dashboard`, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = [k["id"] for k in server.status()["kernels"] if k["ready"] and k["dashboard"] == dashboard]
        if ready:
            return ready[0]
        time.sleep(0.5)
    pytest.fail(f"no kernel became ready for {dashboard}; the log ends:\n{server.log_tail()}")


def stop_idle(server) -> int:
    """The teacher's button: stop the dashboards nobody uses (the earlier tests' ones)."""
    with server.teacher() as teacher:
        answer = teacher.post("/mlexp/teacher/stop-idle", headers={"X-XSRFToken": teacher.cookies["_xsrf"]})
        return answer.json()["stopped"]


def test_the_class_password_guards_every_page(classroom):
    with classroom.client(login=False) as anonymous:
        for path in ("/", GALLERY, DIGITS, "/mlexp/teacher"):
            answer = anonymous.get(path)
            assert answer.status_code == 302 and "/login" in answer.headers["location"], path
        assert 'type="password"' in anonymous.get("/login").text
        assert anonymous.get(f"{GALLERY}?token=wrong").status_code == 302  # to the login page
        anonymous.get("/login")  # the form's xsrf cookie
        wrong = anonymous.post("/login", data={"password": "wrong", "_xsrf": anonymous.cookies.get("_xsrf")})
        assert wrong.status_code == 401 and GALLERY not in wrong.headers.get("location", "")
        assert anonymous.get(GALLERY).status_code == 302  # still not in
    with classroom.client(login=False) as student:
        assert student.get(f"/?token={TOKEN}").headers["location"].endswith(GALLERY)
        gallery = student.get(GALLERY)  # the cookie keeps the student in
        assert gallery.status_code == 200 and kernel_id(gallery.text)
        theme = re.search(r'href="(/voila/templates/mlexp/static/theme-light\.css[^"]*)"', gallery.text)
        assert theme and "--jp-layout-color0:" in student.get(theme.group(1)).text  # JupyterLab's styles


def test_students_reach_only_the_gallery_and_the_dashboards(classroom):
    with classroom.client() as student:
        for path in ("/lab", "/tree", "/api/kernels", "/api/contents", "/api/sessions", "/api/terminals",
                     "/terminals/1", "/voila/api/contents", "/voila/render/digits_cnn/train.ipynb",
                     "/voila/render/../README.md", "/mlexp/teacher", "/mlexp/teacher/status"):
            answer = student.get(path)
            assert answer.status_code in (403, 404), (path, answer.status_code)
        assert student.get("/voila/tree").headers["location"].endswith(GALLERY)  # no file listing
        assert student.post("/api/kernels", json={}).status_code in (403, 404, 405)
        assert student.get(f"{GALLERY}?template=classic").status_code in (200, 429, 503)  # template ignored
        assert "There is no dashboard called digits_cnn/train.ipynb" in student.get(
            "/voila/render/digits_cnn/train.ipynb").text


def test_code_sent_over_a_dashboards_websocket_is_not_run(classroom, tmp_path):
    marker = tmp_path / "ran"
    with classroom.client() as student:
        page = student.get(DIGITS)
        assert page.status_code == 200, page.text
        kernel = kernel_id(page.text)
        cookie = "; ".join(f"{k}={v}" for k, v in student.cookies.items())
    url = f"{classroom.url.replace('https', 'wss')}/api/kernels/{kernel}/channels?session_id={uuid.uuid4()}"
    ws = websocket.create_connection(url, sslopt={"context": classroom.context()}, cookie=cookie, timeout=30)
    session = str(uuid.uuid4())

    def message(kind, content):
        header = {"msg_id": str(uuid.uuid4()), "msg_type": kind, "session": session, "username": "student",
                  "version": "5.3", "date": "2026-01-01T00:00:00Z"}
        return json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content,
                           "channel": "shell", "buffers": []})

    try:
        ws.send(message("execute_request", {"code": f"open({str(marker)!r}, 'w').write('x')", "silent": False,
                                            "store_history": False, "user_expressions": {}, "allow_stdin": False}))
        ws.send(message("kernel_info_request", {}))
        replies = []
        deadline = time.monotonic() + 30
        while "kernel_info_reply" not in replies and time.monotonic() < deadline:
            replies.append(json.loads(ws.recv())["header"]["msg_type"])
    finally:
        ws.close()
    assert "kernel_info_reply" in replies  # the socket works: the execute request was refused
    assert "execute_reply" not in replies and "execute_input" not in replies
    time.sleep(1)
    assert not marker.exists()


def test_https_with_the_self_signed_certificate_and_its_fingerprint(classroom):
    with socket.create_connection(("127.0.0.1", int(classroom.url.rsplit(":", 1)[1]))) as raw:
        with classroom.context().wrap_socket(raw, server_hostname="127.0.0.1") as tls:  # verified: name and key
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
    assert f"SHA-256 fingerprint {fingerprint(classroom.certfile)}" in classroom.log.read_text()
    with pytest.raises(ssl.SSLError):  # and it is https only
        ssl.create_default_context().wrap_socket(socket.create_connection(
            ("127.0.0.1", int(classroom.url.rsplit(":", 1)[1]))), server_hostname="127.0.0.1")


def test_a_second_visitor_gets_a_preheated_kernel(classroom):
    stop_idle(classroom)
    first_ready = wait_ready(classroom, "digits_cnn/demo.ipynb")
    with classroom.client() as first:
        assert kernel_id(first.get(DIGITS).text) == first_ready
    second_ready = wait_ready(classroom, "digits_cnn/demo.ipynb")  # refilled in the background
    assert second_ready != first_ready
    with classroom.client() as second:
        started = time.monotonic()
        page = second.get(DIGITS)
        seconds = time.monotonic() - started
        assert kernel_id(page.text) == second_ready
    print(f"\npreheated dashboard served in {seconds:.2f} s")


def test_limits_per_visitor_and_in_total_then_the_teacher_stops_idle_dashboards(classroom):
    stop_idle(classroom)
    with classroom.client() as a, classroom.client() as b, classroom.client() as c:
        assert a.get(GALLERY).status_code == 200 and a.get(GALLERY).status_code == 200
        too_many = a.get(GALLERY)
        assert too_many.status_code == 429
        assert "You have 2 dashboards open in other tabs: close one of them, then try again." in too_many.text
        assert b.get(GALLERY).status_code == 200
        full = c.get(GALLERY)
        assert full.status_code == 503 and "The class server is full (3 dashboards are open)" in full.text
    with classroom.client() as student:  # the teacher page is the teacher's
        assert student.get("/mlexp/teacher/status").status_code == 403
        assert student.get("/mlexp/teacher?teacher=wrong").status_code == 403
    with classroom.teacher() as teacher:
        page = teacher.get("/mlexp/teacher")
        assert page.status_code == 200 and "Stop idle dashboards" in page.text
        status = teacher.get("/mlexp/teacher/status").json()
        assert status["in_use"] == 3 and status["cpus"] >= 1 and status["memory_total_mib"] > 0
        assert all(k["rss_mib"] > 20 for k in status["kernels"])
        assert teacher.post("/mlexp/teacher/stop-idle").status_code == 403  # no xsrf token: refused
        stopped = teacher.post("/mlexp/teacher/stop-idle", headers={"X-XSRFToken": teacher.cookies["_xsrf"]})
        assert stopped.json()["stopped"] == 3  # nobody connected to them
        assert teacher.get("/mlexp/teacher/status").json()["in_use"] == 0
    with classroom.client() as c:
        assert c.get(GALLERY).status_code == 200  # room again


def test_a_port_in_use_and_unusable_certificates_are_one_sentence(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_class("--port", str(port), "--http", cache=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"mlexp: Port {port} is in use: stop what uses it or choose another with --port.")
    missing = run_class("--certfile", str(tmp_path / "none.pem"), "--keyfile", str(tmp_path / "none.key"),
                        cache=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"mlexp: The certificate file {tmp_path / 'none.pem'} does not exist."
    (tmp_path / "bad.pem").write_text("not a certificate")
    bad = run_class("--certfile", str(tmp_path / "bad.pem"), "--keyfile", str(tmp_path / "bad.pem"), cache=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("mlexp: The certificate") and "Traceback" not in bad.stderr
    half = run_class("--certfile", str(tmp_path / "bad.pem"), cache=tmp_path)
    assert half.returncode == 1 and "Give both --certfile and --keyfile" in half.stderr
    unknown = run_class("--ready", "nothing=3", cache=tmp_path)
    assert unknown.returncode == 2 and "'nothing' is not a dashboard" in unknown.stderr
