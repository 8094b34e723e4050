"""MLEXP_LITERT_THREADS caps the threads of every LiteRT model (class and hub kernels run on one)."""
import pytest

from mlexp.app import classroom
from mlexp.core.litert import LiteRTModel
from mlexp.core.paths import SHIPPED_MODELS, litert_threads


@pytest.mark.parametrize("cap, wanted, threads", [(None, 2, 2), ("1", 2, 1), ("4", 2, 2), ("0", 2, 1), ("x", 2, 2)])
def test_the_cap_lowers_never_raises(monkeypatch, cap, wanted, threads):
    if cap is None:
        monkeypatch.delenv("MLEXP_LITERT_THREADS", raising=False)
    else:
        monkeypatch.setenv("MLEXP_LITERT_THREADS", cap)
    assert litert_threads(wanted) == threads


def test_a_model_asking_for_two_threads_gets_one_in_a_class_kernel(monkeypatch):
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                 "MLEXP_LITERT_THREADS", "MLEXP_CLASSROOM", "JUPYTER_PATH"):
        monkeypatch.setenv(name, "")  # so that the test's end restores what kernel_environment sets
        monkeypatch.delenv(name)
    path = SHIPPED_MODELS / "digits_cnn" / "model.tflite"
    assert LiteRTModel(path, num_threads=2).threads == 2
    classroom.kernel_environment()
    assert LiteRTModel(path, num_threads=2).threads == 1
