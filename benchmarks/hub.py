"""`mlexp hub` measured: students logging in at once, each one's memory, and the sizing of a Kubernetes node.

Starts the real hub (JupyterHub, its proxy, https) on 127.0.0.1 as the tests do, logs STUDENTS students
in at once over https, each opening the gallery, then a drawing dashboard (digits_cnn) and a camera
dashboard (rps_hand) through Voila; prints, side by side in one run:
- seconds from the login to the student's gallery (their own server started, the gallery's kernel run);
- memory per student (their server and their kernels, processes of their Unix account): RSS and PSS
  (shared pages split between the processes sharing them), and their cgroup's usage;
- students per node of 4 cores / 16 GiB (1 core and 2 GiB kept for the system and the hub) for a
  drawing, a camera and a mixed class, from this run's memory and the CPU figures the class harness
  measured (README, "A class, measured"): a camera frame costs the kernel and the server ~21 ms of CPU;
  a drawn stroke at most the 9 ms of its answer, one stroke every 1.5 s.

Run as root (it makes Unix accounts, removed at the end): `.venv/bin/python benchmarks/hub.py --students 10`.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

import psutil  # noqa: E402

from mlexp.app import hub as hub_parts  # noqa: E402

from hub_server import hub_server, why_not  # noqa: E402

DASHBOARDS = ["digits_cnn", "rps_hand"]
NODE_CORES, NODE_GIB, KEPT_CORES, KEPT_GIB = 4, 16, 1, 2
CAMERA_FRAME_CPU_S = 0.021    # kernel + server per rock-paper-scissors frame (classroom harness)
STROKE_CPU_S, STROKE_EVERY_S = 0.009, 1.5
GUARANTEE_MIB = 512           # deploy/z2jh/config.yaml's singleuser.memory.guarantee


def arrive(hub, who: str) -> dict:
    """Log in, wait for the gallery, open the two dashboards; the seconds each took."""
    start = time.monotonic()
    name, client = hub.student(who)
    times = {"name": name, "login_to_gallery_s": time.monotonic() - start}
    for dashboard in DASHBOARDS:
        t = time.monotonic()
        page = client.get(f"/user/{name}/voila/render/notebooks/{dashboard}/demo.ipynb", follow_redirects=True)
        assert page.status_code == 200, (dashboard, page.status_code)
        times[f"{dashboard}_s"] = time.monotonic() - t
    return times


def memory(name: str) -> dict:
    """MiB held by the processes of account `name` (server, kernels) and by its cgroup."""
    rss = pss = 0
    for process in psutil.process_iter(["username"]):
        if process.info["username"] == name:
            try:
                info = process.memory_full_info()
            except psutil.Error:
                continue
            rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
    group = hub_parts.CGROUP_ROOT / "memory" / hub_parts.CGROUP_NAME / name / "memory.usage_in_bytes"
    usage = int(group.read_text()) if group.exists() else 0
    return {"rss_mib": rss / 2**20, "pss_mib": pss / 2**20, "cgroup_mib": usage / 2**20}


def sizing(memory_mib: float) -> list[dict]:
    """Students per node for each kind of class: the lower of what its memory and its CPU allow."""
    drawing = STROKE_CPU_S / STROKE_EVERY_S
    cpu = {
        "drawing": drawing,
        "camera at 3 frames/s (the governor's floor is 2)": 3 * CAMERA_FRAME_CPU_S,
        "camera at 10 frames/s": 10 * CAMERA_FRAME_CPU_S,
        "mixed (a quarter on the camera at 10 frames/s)": (10 * CAMERA_FRAME_CPU_S + 3 * drawing) / 4,
    }
    free_mib, free_cores = (NODE_GIB - KEPT_GIB) * 1024, NODE_CORES - KEPT_CORES
    rows = []
    for kind, cores in cpu.items():
        by_memory, by_guarantee, by_cpu = free_mib / memory_mib, free_mib / GUARANTEE_MIB, free_cores / cores
        rows.append({"class": kind, "cores_per_student": cores, "by_memory": int(by_memory),
                     "by_guarantee": int(by_guarantee), "by_cpu": int(by_cpu),
                     "students_per_node": int(min(by_memory, by_guarantee, by_cpu))})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if why_not():
        print(f"hub.py: {why_not()}", file=sys.stderr)
        return 1
    with hub_server("--max-students", str(args.students)) as hub:
        with ThreadPoolExecutor(args.students) as pool:  # all at once, as a class does
            arrivals = list(pool.map(lambda i: arrive(hub, f"s{i}"), range(args.students)))
        time.sleep(5)  # the dashboards' kernels settle
        memories = [memory(a["name"]) for a in arrivals]
    login = sorted(a["login_to_gallery_s"] for a in arrivals)
    per_student = {key: statistics.median(m[key] for m in memories) for key in memories[0]}
    report = {
        "students": args.students, "cpu": psutil.cpu_count(), "login_to_gallery_s": {
            "p50": statistics.median(login), "max": login[-1]},
        "dashboard_s": {d: statistics.median(a[f"{d}_s"] for a in arrivals) for d in DASHBOARDS},
        "memory_per_student_mib": per_student, "sizing": sizing(per_student["pss_mib"]),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{args.students} students at once on {report['cpu']} cores: login -> gallery p50 "
          f"{report['login_to_gallery_s']['p50']:.1f} s, max {login[-1]:.1f} s; then digits_cnn "
          f"{report['dashboard_s']['digits_cnn']:.1f} s, rps_hand {report['dashboard_s']['rps_hand']:.1f} s (median)")
    print("Memory per student (server + gallery + 2 dashboards), median MiB: " + ", ".join(
        f"{k.removesuffix('_mib')} {v:.0f}" for k, v in per_student.items()))
    print(f"\nStudents per node of {NODE_CORES} cores / {NODE_GIB} GiB ({KEPT_CORES} core, {KEPT_GIB} GiB kept):")
    print(f"{'class':<50} {'cores each':>10} {'memory':>7} {'guarantee':>9} {'CPU':>5} {'per node':>8}")
    for row in report["sizing"]:
        print(f"{row['class']:<50} {row['cores_per_student']:>10.3f} {row['by_memory']:>7} {row['by_guarantee']:>9} "
              f"{row['by_cpu']:>5} {row['students_per_node']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
