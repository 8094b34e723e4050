"""One error base: every error class mlexp defines is an MlexpError, and the command line prints
any of them as one sentence."""
import importlib
import inspect
import pkgutil
import subprocess
import sys

import mlexp
from mlexp.core.errors import MlexpError

DASHBOARD_SIDE = [m.name for m in pkgutil.walk_packages(mlexp.__path__, "mlexp.")
                  if not m.name.startswith("mlexp.training") and m.name != "mlexp.__main__"]


def test_every_error_class_mlexp_defines_is_an_mlexp_error():
    defined = {}
    for name in DASHBOARD_SIDE + ["mlexp.training.tfjs"]:  # tfjs: numpy only, no TensorFlow
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__.startswith("mlexp"):
                defined[f"{cls.__module__}.{cls.__qualname__}"] = cls
    assert len(defined) >= 10, sorted(defined)  # ModelMissing, BadDrawing, PhotoError, TeachError, ...
    assert [name for name, cls in defined.items() if not issubclass(cls, MlexpError)] == []
    assert all(cls.for_people for cls in defined.values())


def test_the_command_line_prints_an_mlexp_error_as_one_sentence():
    out = subprocess.run([sys.executable, "-m", "mlexp", "evaluate", "no_such_experiment"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("mlexp: No experiment named 'no_such_experiment'") and out.stderr.count("\n") == 1
