"""Files: one way to write a file atomically (`atomic_write`) and one way to say a file's size
(`byte_size`)."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_write(target: str | Path, mode: str = "wb", **options) -> Iterator[IO]:
    """`with atomic_write(path) as out: ...` writes to a temporary file beside `path` (its folder
    made if needed), which replaces `path` only when the block ends without an error: a reader
    never sees half a file, and a failed write leaves nothing behind. `mode` ("wb" or "w") and
    `options` (encoding=...) are `open`'s; the file gets the usual permissions."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes a new file ('w' or 'wb'), not mode {mode!r}.")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        with open(partial, mode.replace("w", "x"), **options) as out:
            yield out
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def byte_size(n: int) -> str:
    """A size as people read it: bytes, KiB, MiB or GiB, whichever gives at least 1; one decimal
    under 10 ('3.7 MiB'), none from 10 on ('977 KiB') or for a whole number ('50 MiB', a limit)."""
    n = int(n)
    for unit, power in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 2**power:
            value = n / 2**power
            return f"{value:.0f} {unit}" if round(value, 1) >= 10 or n % 2**power == 0 else f"{value:.1f} {unit}"
    return f"{n} byte" if n == 1 else f"{n} bytes"
