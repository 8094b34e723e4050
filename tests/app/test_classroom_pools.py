"""The class server's ready pools: the configuration `--ready` makes, and refills paced one kernel
at a time (a class taking 30 ready kernels must not set 30 kernels starting beside its pages)."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from mlexp.app.classroom import GALLERY, Classroom, pools


def test_ready_names_become_voilas_pool_sizes():
    config = pools({"digits_cnn": 30, "index": 2}, default=1)
    assert config == {"default": {"pool_size": 1}, "digits_cnn/demo.ipynb": {"pool_size": 30},
                      GALLERY: {"pool_size": 2}}


def test_refills_start_one_kernel_at_a_time_and_wait_for_its_notebook():
    events: list[str] = []

    async def start(name, kernel_id=None, **kwargs):
        events.append(f"start {name}")
        await asyncio.sleep(0.02)

        async def run_notebook():
            await asyncio.sleep(0.03)
            events.append(f"ran {name}")

        return {"task": asyncio.ensure_future(run_notebook()), "kernel_id": name}

    server = SimpleNamespace(kernel_manager=SimpleNamespace(_initialize=start))
    Classroom.pace_refills(server)

    async def three_refills():
        first = await server.kernel_manager._initialize("k0")
        events.append("k0 in its pool")  # at once: a kernel running its notebook is a ready one, not a visitor's
        rest = await asyncio.gather(*(server.kernel_manager._initialize(f"k{i}") for i in (1, 2)))
        await asyncio.sleep(0.05)
        return [first, *rest]

    results = asyncio.run(three_refills())
    assert [r["kernel_id"] for r in results] == ["k0", "k1", "k2"]
    assert events == ["start k0", "k0 in its pool", "ran k0", "start k1", "ran k1", "start k2", "ran k2"]
