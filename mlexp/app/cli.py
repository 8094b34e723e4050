"""Command line: `mlexp list | evaluate | predict | generate | train | teach | demo | class | hub`."""
from __future__ import annotations

import argparse
import inspect
import json
import os
import secrets
import socket
import sys
import tempfile
from pathlib import Path

from nbclient.exceptions import CellExecutionError

from mlexp import experiments, teach
from mlexp.app import certificate, classroom, notebooks
from mlexp.core.errors import MlexpError
from mlexp.core.paths import cache_dir
from mlexp.inputs.drawings import BadDrawing, open_image
from mlexp.inputs.photos import IMAGE_SUFFIXES, PhotoError
from mlexp.predictors.digit_writer import MAX_COUNT, as_picture

QUICK = {"EPOCHS": 2, "TRAIN_SAMPLES": 5000}


class Failure(MlexpError):
    """An error a person can fix; printed as one sentence, exit status 1."""


def cmd_list(args) -> None:
    for e in experiments.EXPERIMENTS.values():
        state = "model present" if e.has_model() else f"no model (mlexp train {e.name})"
        print(f"{e.name:<18} {e.title:<28} {state}")
    for name in experiments.taught_models():
        print(f"{name:<18} {'Taught by a person':<28} model present")


def cmd_evaluate(args) -> None:
    model = experiments.load(args.name)
    report = {"name": args.name, **model.evaluate()}
    print(json.dumps(report) if args.json else f"{args.name}: {model.summary(report)}")


def _image_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise Failure(f"{path} has no image files ({', '.join(sorted(IMAGE_SUFFIXES))}).")
        return files
    if not path.exists():
        raise Failure(f"{path} does not exist.")
    return [path]


def _show(result, json_output: bool, **fields) -> None:
    """A prediction as one JSON line (with `fields` first), or printed as it comes."""
    if json_output:
        print(json.dumps({**fields, **result.as_json()}))
        return
    print("".join(f"{value}: " for value in fields.values()), end="")
    for piece in result.pieces():
        print(piece, end="", flush=True)
    print()


def _predict_text(model, args) -> int:
    """A model that reads text (a sum, the start of a text): its answer, streamed as it comes."""
    try:
        result = model.predict(args.path, length=args.length, temperature=args.temperature, seed=args.seed)
    except ValueError as error:  # odd input: one sentence
        raise Failure(str(error)) from None
    if result.note:
        print(result.note, file=sys.stderr)
    _show(result, args.json)
    return 0


def _predict_images(model, files: list[Path], args) -> int:
    """A model that reads pictures: each image file, one line each."""
    options = {} if args.threshold is None else {"threshold": args.threshold}
    if options and "threshold" not in inspect.signature(model.predict).parameters:
        raise Failure(f"{args.name} takes no --threshold (only detectors do).")
    failed = 0
    for file in files:
        try:
            result = model.predict(open_image(file), **options)
        except (BadDrawing, PhotoError) as error:
            failed += 1
            if args.json:
                print(json.dumps({"file": str(file), "error": str(error)}))
            print(f"{file}: {error}", file=sys.stderr)
            continue
        _show(result, args.json, file=str(file))
    return 1 if failed else 0


def cmd_predict(args) -> int:
    if args.name in experiments.EXPERIMENTS and experiments.get(args.name).predictor.READS == "text":
        return _predict_text(experiments.load(args.name), args)
    files = _image_files(Path(args.path))  # a wrong path is said before a missing model
    return _predict_images(experiments.load(args.name), files, args)


def cmd_generate(args) -> None:
    e = experiments.get(args.name)
    if not hasattr(e.predictor, "write"):
        raise Failure(f"{args.name} does not write pictures; try: mlexp generate digits_generator --label 7")
    model = experiments.load(args.name)
    if args.style:
        written = model.write_like(open_image(args.style), args.label, args.count, args.seed)
    else:
        written = model.write(args.label, args.count, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for i, digit in enumerate(written):
        as_picture(digit.picture).save(args.out / f"{digit.asked}_{i}.png")
    right = sum(digit.right for digit in written)
    print(f"Wrote {len(written)} digits {written[0].asked} to {args.out}; digits_cnn reads {right} of them as "
          f"{written[0].asked}.")


def cmd_train(args) -> None:
    e = experiments.get(args.name)
    parameters = dict(QUICK) if args.quick else {}
    if args.quick or args.model_dir:
        parameters["MODEL_DIR"] = str(args.model_dir or Path(tempfile.mkdtemp(prefix="mlexp-quick-")))
    target = parameters.get("MODEL_DIR") or experiments.models_dir()
    print(f"Training {e.name} with {e.train_notebook}" + (" (quick mode)" if args.quick else ""))
    try:
        notebooks.run(e.train_notebook, parameters, timeout=None,  # a full training may take hours on a CPU
                      progress=lambda line: print(line, flush=True))
    except CellExecutionError as error:
        raise Failure(f"{e.train_notebook} stopped with {error.ename}: {error.evalue}") from None
    print(f"Model written to {Path(target) / e.name}")


def cmd_teach(args) -> None:
    try:
        project = teach.project_from_folder(args.folder, args.features, progress=lambda line: print(line, flush=True))
        if args.epochs is not None:
            project.settings.epochs = args.epochs
        head = project.train()
        out = teach.export(project, head, args.name, overwrite=args.replace, how="`mlexp teach`")
    except teach.TeachError as error:
        raise Failure(str(error)) from None
    report = head.report
    print(f"Trained in {head.seconds:.1f} s; held-out accuracy {report['accuracy']:.1%} on {report['n']} samples:")
    for label, accuracy in report["per_class"].items():
        print(f"  {label:>12}: {accuracy:.1%}")
    print(f"Model written to {out}; try: mlexp predict {args.name} PHOTO --json")


SERVER_CONFIG = experiments.REPO_ROOT / "binder" / "jupyter_server_config.json"  # Binder's too


def demo_command(port: int, root: Path, open_browser: bool, cull_idle: int | None = None) -> list[str]:
    """The Jupyter server command serving the Voila gallery (JupyterLab beside it).

    Kernel culling (closed dashboards never shut their kernels down: voila#1458), hidden
    sources and the low-latency websocket come from the same config file Binder uses."""
    return [
        sys.executable, "-m", "jupyter", "server",
        f"--config={SERVER_CONFIG}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.default_url=/voila/render/notebooks/index.ipynb",
        "--IdentityProvider.token=",
        f"--ServerApp.open_browser={open_browser}",
        *([f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
           f"--MappingKernelManager.cull_interval={max(1, min(60, cull_idle // 2))}"] if cull_idle else []),
        # Jupyter refuses to start as root (containers, CI) unless told it may.
        *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
    ]


def cmd_demo(args) -> None:
    cmd = demo_command(args.port, experiments.REPO_ROOT, not args.no_browser, args.cull_idle)
    print(f"Voila gallery: http://127.0.0.1:{args.port}/  (JupyterLab: http://127.0.0.1:{args.port}/lab)",
          flush=True)
    os.execv(cmd[0], cmd)


def _ready(text: str) -> dict[str, int]:
    """`digits_cnn=30,index=2`: dashboards (as in `mlexp list`, or index) and kernels kept ready."""
    ready = {}
    for part in filter(None, text.split(",")):
        name, _, n = part.partition("=")
        name = name.strip().removesuffix("/demo.ipynb").removesuffix(".ipynb")
        if name != "index" and name not in experiments.EXPERIMENTS:
            raise argparse.ArgumentTypeError(f"{name!r} is not a dashboard (see `mlexp list`, or index)")
        if not n.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{part!r} needs a number of kernels: NAME=N")
        ready[name] = int(n)
    return ready


def _certificate(args) -> tuple[str | None, str | None]:
    """The https certificate and key of `--certfile`/`--keyfile`, a self-signed pair, or none (`--http`);
    a file that cannot be used is one sentence now, before the server starts."""
    certfile, keyfile = args.certfile, args.keyfile
    if bool(certfile) != bool(keyfile):
        raise Failure("Give both --certfile and --keyfile (the certificate and its private key).")
    if not args.http and not certfile:
        certfile, keyfile = certificate.self_signed(cache_dir(), args.hostname)
    if certfile:
        certificate.ssl_context(Path(certfile), Path(keyfile))
    return certfile, keyfile


def cmd_class(args) -> None:
    token = args.token or secrets.token_urlsafe(6)
    teacher = args.teacher_token or secrets.token_urlsafe(9)
    certfile, keyfile = _certificate(args)
    ready = {"index": 1, **(args.ready or {})}
    config = classroom.configure(
        ip=args.ip, port=args.port, token=token, teacher_token=teacher, certfile=str(certfile or ""),
        keyfile=str(keyfile or ""), ready=ready, ready_default=args.ready_default, cull_idle=args.cull_idle,
        per_visitor=args.per_visitor, most_kernels=args.max_dashboards, open_browser=not args.no_browser)
    scheme = "https" if certfile else "http"
    host = args.ip if args.ip not in ("", "0.0.0.0", "::") else socket.gethostname()
    host = f"[{host}]" if ":" in host else host
    print(f"Class server: {scheme}://{host}:{args.port}/?token={token}", flush=True)
    print(f"Class password: {token}")
    print(f"Teacher page: {scheme}://{host}:{args.port}/mlexp/teacher?token={token}&teacher={teacher}")
    if certfile and not args.certfile:
        print(f"Self-signed certificate {certfile}\n  SHA-256 fingerprint {certificate.fingerprint(certfile)}\n"
              "  Browsers warn once (\"not private\"): compare the fingerprint, then choose to proceed.")
    print(f"Kept ready: {', '.join(f'{k}={v}' for k, v in ready.items())}; {args.ready_default} for each other "
          "dashboard.", flush=True)
    classroom.serve(experiments.REPO_ROOT / "notebooks", config)


HUB_CONFIG = experiments.REPO_ROOT / "deploy" / "jupyterhub_config.py"


def cmd_hub(args) -> None:
    """JupyterHub with deploy/jupyterhub_config.py: a Unix account and a server per student."""
    if os.geteuid() != 0:
        raise Failure("`mlexp hub` makes a Unix account for each student and runs their servers as them: "
                      "run it as root (sudo .venv/bin/mlexp hub).")
    hub_command = Path(sys.executable).parent / "jupyterhub"
    if not hub_command.exists():
        raise Failure("JupyterHub is not installed in this environment: run `bash setup.sh hub`.")
    password = args.password or secrets.token_urlsafe(6)
    teacher_password = args.teacher_password or secrets.token_urlsafe(24)
    if len(password) < 8 or len(teacher_password) < 32:
        raise Failure("The class password needs 8 characters or more, the teacher's 32 or more.")
    certfile, keyfile = _certificate(args)
    state = (args.state_dir or cache_dir() / "hub").resolve()
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.update({
        "MLEXP_HUB_PASSWORD": password, "MLEXP_HUB_TEACHER_PASSWORD": teacher_password,
        "MLEXP_HUB_TEACHER": args.teacher, "MLEXP_HUB_MAX_STUDENTS": str(args.max_students),
        "MLEXP_HUB_CULL_IDLE": str(args.cull_idle),
        "MLEXP_HUB_CERTFILE": str(certfile or ""), "MLEXP_HUB_KEYFILE": str(keyfile or ""),
    })
    scheme = "https" if certfile else "http"
    host = args.ip if args.ip not in ("", "0.0.0.0", "::") else socket.gethostname()
    print(f"JupyterHub: {scheme}://{host}:{args.port}/", flush=True)
    print(f"Class password: {password}  (students choose their own name)")
    print(f"Teacher: log in as {args.teacher!r} with {teacher_password}  (admin page: /hub/admin)")
    if certfile and not args.certfile:
        print(f"Self-signed certificate {certfile}\n  SHA-256 fingerprint {certificate.fingerprint(certfile)}")
    print(f"State (database, cookie secret): {state}", flush=True)
    os.chdir(state)
    cmd = [str(hub_command), "-f", str(HUB_CONFIG), f"--JupyterHub.ip={args.ip}", f"--JupyterHub.port={args.port}",
           *args.jupyterhub_args[args.jupyterhub_args[:1] == ["--"]:]]
    os.execv(cmd[0], cmd)


def _score(text: str) -> float:
    """A score threshold from the command line: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a score from 0 to 1")
    return value


def _https_options(p: argparse.ArgumentParser) -> None:
    """The certificate options `mlexp class` and `mlexp hub` share."""
    p.add_argument("--certfile", help="your https certificate (PEM; default: a self-signed one)")
    p.add_argument("--keyfile", help="its private key (PEM)")
    p.add_argument("--hostname", action="append", default=[],
                   help="another name students use for this machine, for the self-signed certificate")
    p.add_argument("--http", action="store_true", help="plain http (behind your own https proxy; "
                   "browsers then give the camera only on localhost)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlexp", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="experiments and whether their model is present").set_defaults(func=cmd_list)
    e = sub.add_parser("evaluate", help="metrics on the held-out test split")
    e.add_argument("name")
    e.add_argument("--json", action="store_true", help="one JSON object on stdout")
    e.set_defaults(func=cmd_evaluate)
    pr = sub.add_parser("predict", help="classify an image file or a folder of images; answer a sum "
                        "(\"17+38\"); continue a text (\"ROMEO:\")")
    pr.add_argument("name")
    pr.add_argument("path", help="image file or folder; or the sum or text to start from")
    pr.add_argument("--json", action="store_true", help="one JSON line per file or input")
    pr.add_argument("--length", type=int, default=200, help="characters to generate (text)")
    pr.add_argument("--temperature", type=float, default=0.8, help="text: 0 greedy, 1 as trained")
    pr.add_argument("--seed", type=int, help="text: the same seed gives the same text")
    pr.add_argument("--threshold", type=_score, help="object detection: keep boxes scoring at least this, "
                    "0-1 (default: the demo's, from the model card)")
    pr.set_defaults(func=cmd_predict)
    g = sub.add_parser("generate", help="write new pictures of a digit (digits_generator): LABEL_INDEX.png files")
    g.add_argument("name")
    g.add_argument("--label", required=True, help="the digit to write, 0-9")
    g.add_argument("--count", type=int, default=10, help=f"how many (1 to {MAX_COUNT:,})")
    g.add_argument("--out", type=Path, required=True, help="the folder to write them to")
    g.add_argument("--seed", type=int, default=0, help="the same seed writes the same digits")
    g.add_argument("--style", type=Path, help="a picture of one digit: write in its handwriting")
    g.set_defaults(func=cmd_generate)
    t = sub.add_parser("train", help="run the experiment's training notebook")
    t.add_argument("name")
    t.add_argument("--quick", action="store_true", help="2 epochs on 5,000 examples, into a temporary folder")
    t.add_argument("--model-dir", type=Path, help="write the model here instead of models/")
    t.set_defaults(func=cmd_train)
    te = sub.add_parser("teach", help="train a model of your own classes: FOLDER holds one sub-folder of "
                        "pictures per class")
    te.add_argument("folder", type=Path)
    te.add_argument("--features", choices=("image", "hand", "face"), default="image",
                    help="image: MobileNetV2's embedding (objects, anything); hand: the hand's 21 landmarks "
                         "(gestures); face: the emotion network's embedding of the largest face (expressions)")
    te.add_argument("--name", required=True, help="the model's folder name in models/ (or $MLEXP_MODELS_DIR)")
    te.add_argument("--epochs", type=int, help="training epochs (default 50)")
    te.add_argument("--replace", action="store_true", help="replace a model of that name, even a shipped one")
    te.set_defaults(func=cmd_teach)
    d = sub.add_parser("demo", help="start the Voila gallery")
    d.add_argument("--port", type=int, default=8866)
    d.add_argument("--no-browser", action="store_true")
    d.add_argument("--cull-idle", type=int, help="seconds before an idle, closed dashboard's kernel is "
                   "stopped (default: 600, from binder/jupyter_server_config.json)")
    d.set_defaults(func=cmd_demo)
    c = sub.add_parser("class", help="serve the gallery to a class: https, a class password, dashboards "
                       "only, kernels ready when students arrive")
    c.add_argument("--ip", default="", help="address to listen on (default: every interface)")
    c.add_argument("--port", type=int, default=8866)
    c.add_argument("--token", help="the class password (default: a new one, printed)")
    c.add_argument("--teacher-token", help="opens the teacher page (default: a new one, printed)")
    _https_options(c)
    c.add_argument("--ready", type=_ready, help="kernels kept ready per dashboard: digits_cnn=30,rps_hand=10")
    c.add_argument("--ready-default", type=int, default=1, help="kernels kept ready for every other dashboard")
    c.add_argument("--cull-idle", type=int, default=900, help="seconds before an idle dashboard's kernel "
                   "is stopped (a hidden camera tab sends nothing, so it is idle)")
    c.add_argument("--per-visitor", type=int, default=6, help="dashboards one browser may have open")
    c.add_argument("--max-dashboards", type=int, default=40, help="dashboards open on the server at once")
    c.add_argument("--no-browser", action="store_true")
    c.set_defaults(func=cmd_class)
    h = sub.add_parser("hub", help="JupyterHub for a class on this machine (as root): a Unix account, a server "
                       "and a home folder per student; options after -- go to jupyterhub")
    h.add_argument("--ip", default="", help="address to listen on (default: every interface)")
    h.add_argument("--port", type=int, default=8000)
    h.add_argument("--password", help="the class password, 8 characters or more (default: a new one, printed)")
    h.add_argument("--teacher", default="teacher", help="the teacher's (admin's) name")
    h.add_argument("--teacher-password", help="the teacher's password, 32 characters or more (default: new, printed)")
    _https_options(h)
    h.add_argument("--max-students", type=int, default=40, help="students' servers running at once")
    h.add_argument("--cull-idle", type=int, default=3600, help="seconds before an idle student's server is stopped")
    h.add_argument("--state-dir", type=Path, help="the hub's database and secrets (default: ~/.cache/mlexp/hub)")
    h.add_argument("jupyterhub_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    h.set_defaults(func=cmd_hub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except MlexpError as error:  # one sentence a person can act on (a bug keeps its traceback)
        print(f"mlexp: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
