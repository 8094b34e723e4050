"""Execute notebooks headless with parameters (used by `mlexp train` and the tests)."""
from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mlexp.experiments import REPO_ROOT


def run(path: str | Path, parameters: dict | None = None, timeout: int | None = 3600, progress=print):
    """Execute the notebook at `path` (relative to the repo) with `parameters` overriding the
    cell tagged `parameters`; return the executed notebook. Raises on the first failing cell, or
    on a cell running longer than `timeout` seconds (None: no limit)."""
    path = Path(path)
    if not path.is_absolute():
        path = REPO_ROOT / path
    nb = nbformat.read(path, as_version=4)
    if parameters:
        index = next(
            (i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])),
            None,
        )
        if index is None:
            raise ValueError(f"{path} has no cell tagged 'parameters'.")
        source = "# Injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.time()
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                progress(f"[{time.time() - started:6.0f} s] cell {i + 1}/{len(nb.cells)}")
                client.execute_cell(cell, i)
        client.set_widgets_metadata()  # what the widgets showed, for whoever reads the result
    return nb
