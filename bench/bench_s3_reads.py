"""S3 reads through ``lake.storage``: one reused client per process against a new client per call (as before).

A local moto server (its own process) stands in for S3 (no MinIO or AWS here): it has no TLS and no network
latency, so the handshakes a reused client saves, and the waits the threads overlap, cost more on a real
endpoint than here. Both ways read the same objects in the same run: ``READS`` reads of a 100 KiB object, and
the QA inputs of ``PRODUCTS`` interferograms (met.json and five rasters each,
:func:`sarlake.workflows.qa_inputs.product_folder`), one at a time and by the threads of
:func:`~sarlake.workflows.qa_inputs.product_folders`.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

READS = 200
PRODUCTS = 40
ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(endpoint: str) -> None:
    import urllib.request

    for _ in range(300):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto server at {endpoint} did not start")


def _median_s(fn: Any) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _fill(settings: Any) -> list[str]:
    import json

    from lake.storage import s3_client

    client = s3_client(settings)
    client.create_bucket(Bucket="bench-s3-reads")
    client.put_object(Bucket="bench-s3-reads", Key="object", Body=os.urandom(100 * 1024))
    names = ("unwrapped_phase", "coherence", "wrapped_phase", "connected_components", "dem")
    uris = []
    for i in range(PRODUCTS):
        key = f"products/P{i:04d}"
        for name in names:
            client.put_object(Bucket="bench-s3-reads", Key=f"{key}/{name}.tif", Body=os.urandom(64 * 1024))
        met = {"id": f"P{i:04d}", "assets": {n: {"href": f"{n}.tif"} for n in names}}
        client.put_object(Bucket="bench-s3-reads", Key=f"{key}/P{i:04d}.met.json", Body=json.dumps(met).encode())
        uris.append(f"s3://bench-s3-reads/{key}")
    return uris


def run() -> list[dict[str, Any]]:
    from unittest import mock

    import lake.storage as storage
    from lake.settings import get_settings
    from sarlake.workflows.qa_inputs import FETCH_THREADS, product_folder, product_folders

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(f"http://127.0.0.1:{port}")
    env = {"SARLAKE_S3__ENDPOINT": f"http://127.0.0.1:{port}", "SARLAKE_S3__ACCESS_KEY_ID": "bench",
           "SARLAKE_S3__SECRET_ACCESS_KEY": "bench"}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-s3-") as home, \
                mock.patch.dict(os.environ, {"SARLAKE_HOME": home, **env}):
            settings = get_settings()
            uris = _fill(settings)

            def reads() -> None:
                for _ in range(READS):
                    storage.read_bytes("s3://bench-s3-reads/object", settings)

            def qa_inputs() -> None:
                for n, uri in enumerate(uris):
                    product_folder(uri, f"{uri}/{uri.rsplit('/', 1)[1]}.met.json", Path(home) / "qa" / str(n),
                                   settings)

            def qa_inputs_threads() -> None:
                rows = [(str(n), uri, f"{uri}/{uri.rsplit('/', 1)[1]}.met.json") for n, uri in enumerate(uris)]
                product_folders(rows, Path(home) / "qa-threads", settings)

            def new_client(s: Any = None) -> Any:
                return (s or get_settings()).s3.client()

            reused = (_median_s(reads), _median_s(qa_inputs))
            threads = _median_s(qa_inputs_threads)
            with mock.patch.object(storage, "s3_client", new_client):
                fresh = (_median_s(reads), _median_s(qa_inputs))
    finally:
        server.terminate()
        server.wait(timeout=30)
    what = f"moto on 127.0.0.1, median of {ROUNDS} rounds"
    return [
        {"name": f"lake.storage.read_bytes of a 100 KiB object, one reused client ({what})",
         "value": 1000 * reused[0] / READS, "unit": "ms per read", "target": "",
         "reference": f"a new client per call (before), same run: {1000 * fresh[0] / READS:.1f} ms; "
                      f"{fresh[0] / reused[0]:.1f}x"},
        {"name": f"QA inputs of a product on S3 (met.json + 5 rasters of 64 KiB), one reused client ({what})",
         "value": 1000 * reused[1] / PRODUCTS, "unit": "ms per product", "target": "",
         "reference": f"a new client per call (before), same run: {1000 * fresh[1] / PRODUCTS:.1f} ms; "
                      f"{fresh[1] / reused[1]:.1f}x"},
        {"name": f"the same {PRODUCTS} products fetched by {FETCH_THREADS} threads as `qa run` does "
                 f"(product_folders, {what})",
         "value": PRODUCTS / threads, "unit": "products/s", "target": "",
         "reference": f"one at a time with the reused client, same run: {PRODUCTS / reused[1]:.1f} products/s"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
