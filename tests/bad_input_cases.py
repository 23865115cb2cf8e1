"""The standing bad-input suite of issue 14: each case, how to run it, and how to judge the outcome.

A case runs one ``sarlake`` command in-process against a shared lake (initialised, AOIs ``etna`` and ``sydney``, three
products) and is judged on four things:

- exit code: 2 for bad input or configuration (never retried), 1 for a failure a retry may fix;
- the message: one line on stderr, ``error...``, naming the culprit (file, field, value or setting);
- no traceback;
- the lake unchanged: every table's snapshot id, every file under the warehouse and products roots, and
  nothing created at the paths the case tried to escape to.

Outcomes: ``clear`` (all four), ``unclear`` (handled, but wrong exit code or a message that does not name the
culprit), ``traceback``, ``accepted`` (exit 0: the bad input went through) and ``lost`` (the lake or a
path outside it changed). ``tests/test_bad_input.py`` asserts every case is clear (cases owned by other work
items are strict xfails until their work lands); ``bench/bad_input_report.py`` prints the table.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = DATA / "roipac_unw" / "geo_060619-061002.unw"

#: owner of each issue-14 item that another branch fixes (the case is a strict xfail until it lands).
PENDING: dict[int, str] = {
    # item: reason, e.g. 5: "item 5 (ingest validation) belongs to the ingest/readers work". Items 3, 4, 5 and 7
    # landed on main with the lake-integrity and ingest branches, so none is pending now.
}


@dataclass
class Case:
    """One bad input.

    Attributes:
        name: what is tried.
        item: the item of issue 14 it belongs to.
        argv: ``sarlake`` arguments, or a function of the case's scratch folder that makes inputs and returns them.
        culprit: text the one-line message must contain (the file, field, value or setting at fault).
        exit_code: the expected exit code.
        env: extra environment variables for the run.
        escapes: paths (relative to the lake home's parent) that must not exist afterwards.
        call: instead of a command, a Python function of ``(settings, scratch)`` (lake API cases); it raises
            AssertionError when the lake lost integrity (judged ``lost``), returns when all is well (``clear``).
    """

    name: str
    item: int
    argv: list[str] | Callable[[Path], list[str]] = field(default_factory=list)
    culprit: str = ""
    exit_code: int = 2
    env: dict[str, str] = field(default_factory=dict)
    escapes: tuple[str, ...] = ()
    call: Callable[[Any, Path], Any] | None = None
    fsize_limit: int | None = None  # bytes: simulate a full disk with RLIMIT_FSIZE (writes fail with EFBIG)
    landed: bool = False  # already clear on main although its item is pending

    @property
    def pending(self) -> str | None:
        """Why this case is expected to fail for now (another work item), or None."""
        return None if self.landed else PENDING.get(self.item)


@dataclass
class Outcome:
    """How a case went."""

    kind: str  # clear | unclear | traceback | accepted | lost
    exit_code: int | None
    message: str
    detail: str = ""


# ----------------------------------------------------------------------------------------------- inputs


def _rsc(scratch: Path, **changes: str) -> list[str]:
    """A copy of a real ROI_PAC interferogram whose .rsc header has ``changes``."""
    shutil.copy(UNW, scratch / UNW.name)
    lines = []
    for line in (UNW.parent / (UNW.name + ".rsc")).read_text().splitlines():
        key = line.split()[0] if line.split() else ""
        lines.append(f"{key:<18}{changes.pop(key)}" if key in changes else line)
    lines += [f"{k:<18}{v}" for k, v in changes.items()]
    (scratch / (UNW.name + ".rsc")).write_text("\n".join(lines) + "\n")
    return ["ingest", str(scratch / UNW.name), "--aoi", "sydney"]


def _raster(scratch: Path, dtype: str) -> list[str]:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    path = scratch / f"ifg_20240101_20240113_{dtype}.tif"
    data = (np.random.default_rng(0).standard_normal((40, 40)) * 3).astype(dtype)
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype=dtype, crs="EPSG:4326",
                       transform=from_origin(14.8, 37.9, 0.001, 0.001)) as dst:
        dst.write(data, 1)
    return ["ingest", str(path), "--aoi", "etna", "--wavelength", "0.0555"]


def _png_as_tif(scratch: Path) -> list[str]:
    import numpy as np
    from PIL import Image

    path = scratch / "ifg_20240101_20240113.tif"
    Image.fromarray(np.zeros((20, 20), dtype=np.uint8)).save(path, format="PNG")
    return ["ingest", str(path), "--aoi", "etna"]


def _geojson(scratch: Path, doc: Any, name: str = "aoi.geojson") -> list[str]:
    path = scratch / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return ["aoi", "add", "newaoi", "--geojson", str(path)]


def _run_config(scratch: Path, doc: dict[str, Any]) -> list[str]:
    path = scratch / "run.json"
    path.write_text(json.dumps(doc))
    return ["pge", "run", doc["pge"], "--run-config", str(path)]


def _simulate(scratch: Path, **params: Any) -> list[str]:
    base = {"bbox": [14.8, 37.6, 15.3, 37.9], "track": 44, "direction": "A", "frame": "F0440",
            "acquisitions": [{"id": "S1A_SIM_044A_20240103", "start_time": "2024-01-03T05:00:00Z"}]}
    return _run_config(scratch, {"pge": "simulate", "output_dir": str(scratch / "out"),
                                 "parameters": {**base, **params}})


def _interferogram(scratch: Path, **params: Any) -> list[str]:
    return _run_config(scratch, {"pge": "interferogram", "output_dir": str(scratch / "out"),
                                 "inputs": ["/nonexistent/a.met.json", "/nonexistent/b.met.json"],
                                 "parameters": params})


class SilentServer:
    """A TCP server that accepts connections and never answers (an S3 endpoint that stopped responding)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        """Stop accepting and drop the held connections."""
        self.sock.close()
        for conn in self.held:
            conn.close()


_SILENT: SilentServer | None = None


def silent_endpoint() -> str:
    """URL of a process-wide :class:`SilentServer`."""
    global _SILENT
    if _SILENT is None:
        _SILENT = SilentServer()
    return f"http://127.0.0.1:{_SILENT.port}"


def _upsert_across_years(settings: Any, scratch: Path) -> Any:
    from datetime import UTC, datetime

    from lake.query import run_sql
    from lake.write import upsert

    row = {"product_id": "PX_MOVES", "product_type": "L2_IFG", "track": 44}
    upsert("products", [{**row, "start_time": datetime(2024, 6, 1, tzinfo=UTC)}], settings)
    upsert("products", [{**row, "start_time": datetime(2025, 6, 1, tzinfo=UTC)}], settings)
    n = run_sql("SELECT count(*) AS n FROM products WHERE product_id = 'PX_MOVES'", settings).to_pylist()[0]["n"]
    if n != 1:
        raise AssertionError(f"product_id PX_MOVES has {n} rows after an upsert that moved it to 2025")
    return "checked"


# ------------------------------------------------------------------------------------------------ cases


def _sql(name: str, sql: str, culprit: str = "refused") -> Case:
    return Case(f"sql: {name}", 1, ["sql", sql], culprit)


CASES: list[Case] = [
    # 1. analysts' SQL
    _sql("read_text a system file", "SELECT content FROM read_text('/etc/passwd')"),
    _sql("read_csv a system file", "SELECT * FROM read_csv('/etc/passwd')"),
    _sql("sniff_csv a system file", "SELECT * FROM sniff_csv('/etc/hostname')"),
    _sql("glob a system folder", "SELECT * FROM glob('/etc/*')"),
    _sql("read_parquet outside the lake", "SELECT * FROM read_parquet('/tmp/*.parquet')"),
    _sql("read the catalogue database", "SELECT * FROM read_blob('catalog.db')"),
    _sql("https URL", "SELECT * FROM read_csv('https://example.com/data.csv')"),
    _sql("s3 of another bucket", "SELECT * FROM read_csv('s3://other-team/secret.csv')"),
    _sql("s3 dot-dot out of the warehouse", "SELECT * FROM read_csv('s3://lake/wh/../../other/x.csv')", "'..'"),
    _sql("COPY TO a file", "COPY (SELECT * FROM products) TO '/tmp/sarlake-stolen.csv'", "COPY"),
    _sql("ATTACH + CREATE TABLE", "ATTACH '/tmp/sarlake-x.duckdb' AS x; CREATE TABLE x.t AS SELECT 1", "ATTACH"),
    _sql("LOAD a path", "LOAD '/tmp/evil.duckdb_extension'", "LOAD"),
    _sql("INSTALL an extension", "INSTALL spatial", "INSTALL"),
    _sql("SET a setting", "SET enable_external_access = true", "SET"),
    _sql("PRAGMA a setting", "PRAGMA threads = 1", "PRAGMA"),
    _sql("EXPORT DATABASE", "EXPORT DATABASE '/tmp/sarlake-export'", "EXPORT"),
    _sql("multiple statements", "SELECT 1; SELECT 2", "one statement"),
    _sql("DROP a view", "DROP VIEW products", "DROP"),
    _sql("unknown table", "SELECT * FROM prodcts", "prodcts"),
    _sql("syntax error", "SELEC 1", "syntax"),
    Case("sql: parquet without --output", 1, ["sql", "SELECT 1", "--format", "parquet"], "--output"),
    Case("sql: negative --limit", 1, ["sql", "SELECT 1", "--limit", "-1"], "--limit"),
    # 2. no path escapes
    Case("ingest --aoi ../../../../elsewhere", 2, ["ingest", str(UNW), "--aoi", "../../../../elsewhere"],
         "../../../../elsewhere", escapes=("elsewhere",)),
    Case("ingest --aoi Etna2 (upper case)", 2, ["ingest", str(UNW), "--aoi", "Etna2"], "Etna2"),
    Case("ingest --aoi of an AOI not in the lake", 2, ["ingest", str(UNW), "--aoi", "vesuvius"], "vesuvius"),
    Case("timeseries ../../../../elsewhere", 2, ["timeseries", "../../../../elsewhere"], "../../../../elsewhere",
         escapes=("elsewhere",)),
    Case("timeseries Etna2", 2, ["timeseries", "Etna2"], "Etna2"),
    Case("timeseries of an unknown AOI", 2, ["timeseries", "vesuvius"], "vesuvius"),
    Case("aoi add ../x", 2, ["aoi", "add", "../x", "--bbox", "1", "1", "2", "2"], "../x"),
    Case("aoi add Etna2", 2, ["aoi", "add", "Etna2", "--bbox", "1", "1", "2", "2"], "Etna2"),
    Case("aoi add a name with a space", 2, ["aoi", "add", "mt etna", "--bbox", "1", "1", "2", "2"], "mt etna"),
    Case("aoi add a 64-character name", 2, ["aoi", "add", "a" * 64, "--bbox", "1", "1", "2", "2"], "a" * 64),
    Case("simulate acquisition id ..", 2, lambda d: _simulate(d, acquisitions=[
        {"id": "..", "start_time": "2024-01-03T05:00:00Z"}]), "acquisitions[0].id"),
    Case("simulate acquisition id a/b", 2, lambda d: _simulate(d, acquisitions=[
        {"id": "a/../../b", "start_time": "2024-01-03T05:00:00Z"}]), "acquisitions[0].id"),
    # 6. environment faults
    Case("ingest --output-dir that cannot be created", 6,
         ["ingest", str(UNW), "--aoi", "sydney", "--output-dir", "/proc/sarlake/out"], "/proc/sarlake/out"),
    Case("interferogram looks_range 1000", 6, lambda d: _interferogram(d, looks_range=1000), "looks_range"),
    Case("interferogram looks_azimuth 0", 6, lambda d: _interferogram(d, looks_azimuth=0), "looks_azimuth"),
    Case("interferogram ntiles 0 x 0", 6, lambda d: _interferogram(d, unwrap={"ntiles": [0, 0]}), "ntiles"),
    Case("interferogram ntiles 1000 x 1000", 6, lambda d: _interferogram(d, unwrap={"ntiles": [1000, 1000]}),
         "ntiles"),
    Case("interferogram unknown parameter", 6, lambda d: _interferogram(d, look_range=3), "look_range"),
    Case("setting that is not a number", 6, ["tables"], "SARLAKE_S3__MAX_ATTEMPTS",
         env={"SARLAKE_S3__MAX_ATTEMPTS": "three"}),
    Case("setting out of range", 6, ["tables"], "SARLAKE_PAIRING_NEIGHBOURS", env={"SARLAKE_PAIRING_NEIGHBOURS": "0"}),
    Case("setting not one of the choices", 6, ["tables"], "SARLAKE_RUNNER", env={"SARLAKE_RUNNER": "k8s"}),
    Case("SARLAKE_CONFIG names a missing file", 6, ["tables"], "SARLAKE_CONFIG",
         env={"SARLAKE_CONFIG": "/nonexistent/sarlake.yaml"}),
    Case("S3 server that stops answering", 6, ["init"], "S3", exit_code=1,
         env={"SARLAKE_WAREHOUSE": "s3://lake/wh", "SARLAKE_S3__ENDPOINT": "SILENT",
              "SARLAKE_CATALOG_URI": "sqlite:///{scratch}/catalog.db",
              "SARLAKE_S3__ACCESS_KEY_ID": "k", "SARLAKE_S3__SECRET_ACCESS_KEY": "s",
              "SARLAKE_S3__CONNECT_TIMEOUT_SECONDS": "1", "SARLAKE_S3__READ_TIMEOUT_SECONDS": "1",
              "SARLAKE_S3__MAX_ATTEMPTS": "1", "AWS_MAX_ATTEMPTS": "1", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "1"}),
    Case("full disk while ingesting", 6, ["ingest", str(UNW), "--aoi", "sydney"], "space", exit_code=1,
         fsize_limit=4096),
    # 5. ingest validation (the ingest/readers work)
    Case("ingest .rsc X_STEP nan", 5, lambda d: _rsc(d, X_STEP="nan"), "X_STEP"),
    Case("ingest .rsc X_STEP 0", 5, lambda d: _rsc(d, X_STEP="0"), "X_STEP"),
    Case("ingest .rsc Y_FIRST 1e308", 5, lambda d: _rsc(d, Y_FIRST="1e308"), "Y_FIRST"),
    Case("ingest .rsc longitude 500", 5, lambda d: _rsc(d, X_FIRST="500"), "X_FIRST"),
    Case("ingest .rsc latitude 95", 5, lambda d: _rsc(d, Y_FIRST="95"), "Y_FIRST"),
    Case("ingest .rsc wavelength -5 m", 5, lambda d: _rsc(d, WAVELENGTH="-5"), "WAVELENGTH", landed=True),
    Case("ingest .rsc wavelength 1e30 m", 5, lambda d: _rsc(d, WAVELENGTH="1e30"), "WAVELENGTH", landed=True),
    Case("ingest int8 phase raster", 5, lambda d: _raster(d, "int8"), "int8"),
    Case("ingest complex64 phase raster", 5, lambda d: _raster(d, "complex64"), "complex64"),
    Case("ingest a PNG renamed .tif", 5, _png_as_tif, "ifg_20240101_20240113.tif", landed=True),
    Case("aoi add {} as GeoJSON", 5, lambda d: _geojson(d, {}), "aoi.geojson", landed=True),
    # 3. upserts never duplicate a natural key (the lake write integrity work)
    Case("upsert a product whose start_time moves to another year", 3, call=_upsert_across_years,
         culprit="PX_MOVES"),
]


# ---------------------------------------------------------------------------------------------- running


def base_lake(settings: Any) -> None:
    """The shared lake the cases run against: initialised, AOIs ``etna`` and ``sydney``, three products."""
    from datetime import UTC, datetime

    from lake.aoi import add_aoi
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    add_aoi("etna", bbox=(14.8, 37.6, 15.3, 37.9), settings=settings)
    add_aoi("sydney", bbox=(150.8, -34.4, 151.2, -34.0), settings=settings)  # the Envisat stack of tests/data
    upsert("products", [{"product_id": f"P{i}", "product_type": "L2_IFG", "track": 44, "aoi": "etna",
                         "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(3)], settings)


@contextlib.contextmanager
def _file_size_limit(limit: int | None) -> Iterator[None]:
    """While active, no file of this process may grow past ``limit`` bytes (a full disk, as the writer sees it)."""
    if limit is None:
        yield
        return
    import resource
    import signal

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def run_case(case: Case, settings: Any, scratch: Path) -> Outcome:
    """Run ``case`` against the lake of ``settings`` and judge it (see the module docstring)."""
    from click.testing import CliRunner
    from lake_state import diff_state, lake_state

    from sarlake.cli import cli
    from sarlake.workflows.environ import environ

    scratch.mkdir(parents=True, exist_ok=True)
    before = lake_state(settings)
    env = {k: (silent_endpoint() if v == "SILENT" else v.format(scratch=scratch)) for k, v in case.env.items()}
    if case.call is not None:
        try:
            with environ(env):
                case.call(settings, scratch)
            code, message, trace = 0, "", ""
        except AssertionError as exc:
            code, message, trace = 1, f"error: {exc}", ""
        except Exception as exc:
            code, message, trace = 1, "", "".join(traceback.format_exception(exc))
    else:
        argv = case.argv(scratch) if callable(case.argv) else list(case.argv)
        with _file_size_limit(case.fsize_limit):
            result = CliRunner().invoke(cli, argv, env=env)
        code = result.exit_code
        stderr = result.stderr.strip()
        lines = [line for line in stderr.splitlines() if line.strip()]
        message = "\n".join(lines)
        trace = ""
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(result.exception))
        elif "Traceback (most recent call last)" in stderr:
            trace = stderr
    if case.call is not None:  # the call changes the lake by design; it reports its own verdict
        if trace:
            return Outcome("traceback", code, message, trace.strip().splitlines()[-1])
        return Outcome("clear" if code == 0 else "lost", code, message, message)
    changed = diff_state(before, lake_state(settings))
    home_parent = Path(settings.home).parent
    escaped = [p for p in case.escapes if (home_parent / p).exists()]
    if trace:
        return Outcome("traceback", code, message, trace.strip().splitlines()[-1])
    if changed or escaped:
        return Outcome("lost", code, message, "; ".join(changed + [f"created {p}" for p in escaped]))
    if code == 0:
        return Outcome("accepted", code, message, "exit 0")
    # Log records of other levels (a WARNING about a missing coherence file) may precede the error line.
    lines = [line for line in message.splitlines() if not line.startswith(("WARNING ", "INFO "))]
    errors = [line for line in lines if line.startswith(("error", "Error"))]
    one_line = len(errors) == 1 and (len(lines) == 1 or message.startswith("Usage"))
    if code == case.exit_code and one_line and case.culprit.lower() in message.lower():
        return Outcome("clear", code, message)
    why = []
    if code != case.exit_code:
        why.append(f"exit {code}, expected {case.exit_code}")
    if not one_line:
        why.append(f"{len(lines)} lines")
    if case.culprit.lower() not in message.lower():
        why.append(f"does not name {case.culprit!r}")
    return Outcome("unclear", code, message, "; ".join(why))
