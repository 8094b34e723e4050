"""Where data files come from: a local mirror (`MLEXP_DATA_DIR`), else a cache filled from the
real source, downloaded atomically with a checksum; with neither, one sentence saying what to do."""
from __future__ import annotations

import hashlib
import http.client
import sys
import urllib.error
import urllib.request
from pathlib import Path

from mlexp.core.errors import DataUnavailable
from mlexp.core.files import atomic_write
from mlexp.core.paths import cache_dir, mirror_dir


def _download(url: str, target: Path, sha256: str | None, timeout: float) -> None:
    """Download `url` to `target` atomically (a failed download leaves nothing behind)."""
    digest = hashlib.sha256()
    with atomic_write(target) as out, urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        done, shown = 0, -1
        for block in iter(lambda: response.read(1 << 16), b""):
            out.write(block)
            digest.update(block)
            done += len(block)
            percent = int(100 * done / total) if total else -1
            if percent != shown and percent % 10 == 0:
                print(f"Downloading {target.name}: {percent}%", file=sys.stderr, flush=True)
                shown = percent
        if total and done != total:
            raise OSError(f"download ended after {done} of {total} bytes")
        if sha256 and digest.hexdigest() != sha256:
            raise OSError("downloaded file has the wrong checksum")


def fetch(relpath: str, url: str, sha256: str | None = None, timeout: float = 30) -> Path:
    """Path of data file `relpath`: from the mirror, the cache, or downloaded from `url`."""
    mirror = mirror_dir()
    if mirror is not None and (mirror / relpath).is_file():
        return mirror / relpath
    cached = cache_dir() / relpath
    if cached.is_file():
        return cached
    try:
        _download(url, cached, sha256, timeout)
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as error:
        where = f"{mirror} has no {relpath}" if mirror else "MLEXP_DATA_DIR is not set"
        raise DataUnavailable(
            f"Could not get {relpath}: downloading {url} failed ({error}) and {where}. "
            f"Connect to the internet, or set MLEXP_DATA_DIR to a folder holding {relpath} "
            f"(such as a copy of the shared data mirror)."
        ) from None
    return cached
