"""S3 reads: ``lake.storage`` with one reused client against a client per call, and QA inputs by threads.

A local moto server (its own process) stands in for S3 (no MinIO or AWS here): it has no TLS and no network
latency, so the handshakes a reused client saves, and the waits the threads overlap, cost more on a real
endpoint than here. Each pair reads the same objects in the same run: ``READS`` reads of a 100 KiB object
through ``lake.storage.read_bytes`` and through a new client per call (what ``read_bytes`` did before); the QA
inputs of ``PRODUCTS`` interferograms (met.json and five GeoTIFFs each) by
:func:`sarlake.workflows.qa_inputs.read_products` and one product at a time.
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


def _geotiff() -> bytes:
    """A 64x64 float32 GeoTIFF (a phase ramp), the bytes of every raster of the benchmark's products."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    y, x = np.mgrid[0:64, 0:64]
    with rasterio.MemoryFile() as mem:
        with mem.open(driver="GTiff", width=64, height=64, count=1, dtype="float32", crs="EPSG:4326",
                      transform=from_origin(0, 0, 0.001, 0.001)) as dst:
            dst.write(((x + y) / 8.0).astype("float32"), 1)
        return bytes(mem.read())


def _fill(settings: Any) -> list[tuple[str, str, str]]:
    """The object read ``READS`` times, and ``PRODUCTS`` products as ``(product_id, uri, met_uri)``."""
    import json

    from lake.storage import s3_client

    client = s3_client(settings)
    client.create_bucket(Bucket="bench-s3-reads")
    client.put_object(Bucket="bench-s3-reads", Key="object", Body=os.urandom(100 * 1024))
    names = ("unwrapped_phase", "coherence", "wrapped_phase", "connected_components", "dem")
    tif = _geotiff()
    rows = []
    for i in range(PRODUCTS):
        pid, key = f"P{i:04d}", f"products/P{i:04d}"
        for name in names:
            client.put_object(Bucket="bench-s3-reads", Key=f"{key}/{name}.tif", Body=tif)
        met = {"id": pid, "assets": {n: {"href": f"{n}.tif"} for n in names}}
        client.put_object(Bucket="bench-s3-reads", Key=f"{key}/{pid}.met.json", Body=json.dumps(met).encode())
        uri = f"s3://bench-s3-reads/{key}"
        rows.append((pid, uri, f"{uri}/{pid}.met.json"))
    return rows


def run() -> list[dict[str, Any]]:
    from lake.settings import get_settings
    from lake.storage import read_bytes
    from pges.qa.score import read_product_folder
    from sarlake.workflows.qa_inputs import FETCH_THREADS, product_folder, read_products

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(f"http://127.0.0.1:{port}")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-s3-") as home:
            settings = get_settings(home=home, s3={"endpoint": f"http://127.0.0.1:{port}",
                                                   "access_key_id": "bench", "secret_access_key": "bench"})
            rows = _fill(settings)
            bucket = "bench-s3-reads"

            def reads() -> None:
                for _ in range(READS):
                    read_bytes(f"s3://{bucket}/object", settings)

            def reads_new_client() -> None:  # what read_bytes did before: a client made for each call
                for _ in range(READS):
                    settings.s3.client().get_object(Bucket=bucket, Key="object")["Body"].read()

            def one_at_a_time() -> None:
                for pid, uri, met in rows:
                    read_product_folder(product_folder(uri, met, Path(home) / "one" / pid, settings)[0], name=pid)

            def threads() -> None:
                got = read_products(rows, Path(home) / "threads", settings)
                assert not [g for g in got.values() if isinstance(g, Exception)], got

            times = {f.__name__: _median_s(f) for f in (reads, reads_new_client, one_at_a_time, threads)}
    finally:
        server.terminate()
        server.wait(timeout=30)
    what = f"moto on 127.0.0.1, median of {ROUNDS} rounds"
    return [
        {"name": f"lake.storage.read_bytes of a 100 KiB object, one reused client ({what})",
         "value": 1000 * times["reads"] / READS, "unit": "ms per read", "target": "",
         "reference": f"a new client per call (before), same run: {1000 * times['reads_new_client'] / READS:.1f} ms; "
                      f"{times['reads_new_client'] / times['reads']:.1f}x"},
        {"name": f"QA inputs of {PRODUCTS} products on S3 (met.json + 5 GeoTIFFs each) fetched and read by "
                 f"{FETCH_THREADS} threads, as `qa run` does (read_products, {what})",
         "value": PRODUCTS / times["threads"], "unit": "products/s", "target": "",
         "reference": f"one at a time, same run: {PRODUCTS / times['one_at_a_time']:.1f} products/s"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
