"""The PGE operator factory: one call gives a local-subprocess task or a KubernetesPodOperator.

Both run the same command, ``python -m pges <name> --run-config ... --result-file ...``, and both push
the PGE's result file (``{"status", "exit_code", "products": [{"id", "met_uri"}], "error"}``) as XCom.
Which one is built is configuration (``SARLAKE_RUNNER=local|kubernetes``), never a code fork in a DAG.

Exit code 2 from a PGE means invalid input: the task fails at once without retries
(``AirflowFailException``). Exit code 1 is a processing failure: the task raises and Airflow retries it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from sarlake.workflows.versions import IMAGE_KEY  # a run-config's image of its PGE version (light module)

if TYPE_CHECKING:
    from lake.settings import Settings

log = logging.getLogger(__name__)

#: Execution timeout per PGE task, sized to the PGE (a stuck unwrapper must not hold a slot forever).
PGE_TIMEOUTS: dict[str, timedelta] = {
    "simulate": timedelta(minutes=30),
    "interferogram": timedelta(minutes=60),
    "ingest": timedelta(minutes=20),
    "unwrap": timedelta(minutes=60),
    "timeseries": timedelta(minutes=90),
    "qa": timedelta(minutes=30),
    "qa_dataset": timedelta(hours=2),
    "train": timedelta(hours=6),
}
DEFAULT_PGE_TIMEOUT = timedelta(minutes=60)
#: Mapped PGE tasks are labelled in the UI by what they process (``pge_label``), not by their index.
MAP_INDEX_TEMPLATE = "{{ pge_label }}"
_DATE = re.compile(r"(\d{8})(?:T\d{6})?")
#: A PGE's log record on stderr (``pges.cli``: ``%(asctime)s %(levelname)s %(name)s: %(message)s``), or its last
#: line on failure (``error [CODE]: message``).
_PGE_LEVEL = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) |^(error) \[")
_TRACK = re.compile(r"_([AD]\d{3})_")
#: an interferogram's id (ARIA's naming): ``S1-GUNW-A-R-044-tops-...`` is track A044
_GUNW_TRACK = re.compile(r"-([AD])-[RL]-(\d{3})-")

#: Where the KubernetesPodOperator's xcom sidecar collects a pod's return value (see sarlake_plugins.pod).
POD_RESULT_FILE = "/airflow/xcom/return.json"
EXIT_INVALID_INPUT = 2


def _settings(settings: Settings | None) -> Settings:
    from lake.settings import get_settings

    return settings or get_settings()


def pge_command(pge: str, *, result_file: str, python: str = "python") -> list[str]:
    """Return the command line that runs a PGE (the same locally and in a pod).

    Args:
        pge: PGE name, e.g. ``"interferogram"``.
        result_file: where the PGE writes its result JSON.
        python: the interpreter to run.

    Returns:
        The argv list without the run-config arguments.
    """
    return [python, "-m", "pges", pge, "--result-file", result_file]


def pge_label(pge: str, run_config: Any) -> str:
    """A short label of one PGE run for the UI: the track and the dates of its inputs (``A044 20240127_20240208``)."""
    if isinstance(run_config, list) and run_config:  # a batch: the track(s) and the span of its pairs' dates
        labels = [pge_label(pge, c) for c in run_config]
        return labels[0] if len(labels) == 1 else f"{labels[0]} .. {labels[-1]} ({len(labels)} runs)"
    if not isinstance(run_config, Mapping):
        return pge
    if pge == "qa":
        return _products_label(run_config.get("inputs") or [])
    if pge == "timeseries" and run_config.get("inputs"):  # interferograms: both dates of each count
        aoi = (run_config.get("parameters") or {}).get("aoi") or ""
        return f"{aoi} {_products_label(run_config['inputs'])}".strip()
    names = [str(i).rstrip("/").rsplit("/", 1)[-1] for i in run_config.get("inputs") or []]
    params = run_config.get("parameters") or {}
    if pge in ("ingest", "unwrap"):  # other processors' files, of any naming: the AOI, what was given, which pairs
        more = f" +{len(names) - 1}" if len(names) > 1 else ""
        pairs = " ".join(params.get("pairs") or [])
        return " ".join(p for p in (params.get("aoi") or "", f"{names[0]}{more}" if names else "", pairs) if p) or pge
    if not names and params.get("acquisitions"):  # simulate: the acquisitions it makes
        names = [a.get("id", "") for a in params["acquisitions"]]
    dates = sorted({m.group(1) for n in names for m in [_DATE.search(n)] if m})
    tracks = sorted({m.group(1) for n in names for m in [_TRACK.search(n)] if m})
    if not tracks and params.get("track"):
        tracks = [f"{params.get('direction', '')}{int(params['track']):03d}"]
    parts = [*tracks, "_".join(dates) if len(dates) <= 2 else f"{dates[0]}..{dates[-1]} ({len(dates)})"]
    return " ".join(p for p in parts if p) or pge


def _products_label(met_uris: list[str]) -> str:
    """``3 products A044 D012 20240101..20240206``: a batch of products named by their folders (met.json URIs)."""
    names = [str(u).rstrip("/").rsplit("/", 2)[-2] if str(u).count("/") > 1 else str(u) for u in met_uris]
    dates = sorted({d for n in names for d in _DATE.findall(n)})
    tracks = sorted({m.group(1) for n in names for m in [_TRACK.search(n)] if m}
                    | {m.group(1) + m.group(2) for n in names for m in [_GUNW_TRACK.search(n)] if m})
    span = "_".join(dates) if len(dates) <= 2 else f"{dates[0]}..{dates[-1]}"
    return " ".join(p for p in [f"{len(names)} product{'s' if len(names) != 1 else ''}", *tracks, span] if p)


def _with_context(run_config: Mapping[str, Any], context: Mapping[str, Any] | None) -> dict[str, Any]:
    """Fill ``run_id`` from the Airflow context when the run-config leaves it empty."""
    cfg = dict(run_config)
    if context is not None and not cfg.get("run_id"):
        cfg["run_id"] = str(context.get("run_id") or "")
    return cfg


def split_image(run_config: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The run-config the PGE gets and the image it asks for (None: the default PGE image).

    A run-config may carry ``pge_image``, the container image of the PGE version it asks for (``pge_versions``,
    set by the on_demand and bulk planners): the pod runs that image. The key is the operator's, never the PGE's.
    """
    cfg = dict(run_config)
    return cfg, cfg.pop(IMAGE_KEY, None) or None


class LocalPGEOperator(BaseOperator):
    """Run a PGE as a local subprocess with the run-config given (templated) as a dict.

    Args:
        pge: PGE name.
        run_config: the PGE run-config (a dict or an XComArg resolving to one), or a list of them run as one batch.
        env: extra environment for the subprocess (``SARLAKE_*`` settings are always passed).
    """

    template_fields: Sequence[str] = ("run_config",)
    ui_color = "#d8ecf3"

    def __init__(
        self, *, pge: str, run_config: dict[str, Any] | list[dict[str, Any]], env: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pge = pge
        self.run_config = run_config
        self.env = env or {}

    def execute(self, context: Any) -> dict[str, Any]:
        """Write the run-config(s), run the PGE, and return its result record.

        A list of run-configs (a batch, e.g. the forward DAG's ``batch_size``) runs in one process
        (``python -m pges.batch``): each keeps its own products and provenance, and the batch's exit code
        routes the task as one run's would (2 = invalid input, not retried; 1 = retried).
        """
        settings = _settings(None)
        batch = isinstance(self.run_config, list)
        raw = [_with_context(c, context) for c in
               (self.run_config if isinstance(self.run_config, list) else [self.run_config])]
        cfgs, images = [], []
        for one in raw:
            cfg, image = split_image(one)
            cfgs.append(cfg)
            images.append(image)
        context["pge_label"] = pge_label(self.pge, cfgs if batch else cfgs[0])
        image = next((i for i in images if i), None)
        if image:
            raise AirflowFailException(
                f"PGE {self.pge}: the run-config asks for image {image} (a registered PGE version); the local runner "
                "runs only the installed PGEs: set SARLAKE_RUNNER=kubernetes to run it"
            )
        scratch = Path(settings.scratch) / "runconfigs"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch, prefix=f"{self.pge}-") as tmp:
            result_path = Path(tmp) / "result.json"
            paths = []
            for k, cfg in enumerate(cfgs):
                paths.append(Path(tmp) / f"run_config_{k}.json")
                paths[-1].write_text(json.dumps(cfg, indent=2))
            if batch:
                cmd = [sys.executable, "-m", "pges.batch", self.pge, "--result-file", str(result_path),
                       *map(str, paths)]
            else:
                cmd = [*pge_command(self.pge, result_file=str(result_path), python=sys.executable)]
                cmd += ["--run-config", str(paths[0])]
            env = {**os.environ, **settings.to_env(), **self.env}
            log.info("Running PGE %s: %s", self.pge, " ".join(cmd))
            code, stderr = run_logged(cmd, env, self.pge)
            result = json.loads(result_path.read_text()) if result_path.exists() else None
        return _check_result(self.pge, code, result, stderr)


def run_logged(cmd: list[str], env: Mapping[str, str], label: str) -> tuple[int, str]:
    """Run a PGE process, logging each line of its stderr (its progress) as it comes; then its stdout.

    The task log follows the PGE while it runs, with Airflow's own time stamps, and keeps what it wrote when
    the task is stopped (a timeout kills the process and raises here).

    Returns:
        The exit code and the last 200 lines of stderr (for the failure message).
    """
    import collections
    import threading

    proc = subprocess.Popen(cmd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            bufsize=1)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout or []), daemon=True)
    reader.start()
    tail: collections.deque[str] = collections.deque(maxlen=200)
    try:
        for line in proc.stderr or []:
            tail.append(line.rstrip("\n"))
            log.log(pge_level(tail[-1]), "[%s] %s", label, tail[-1])
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reader.join()
    for line in "".join(out).splitlines():
        log.info("[%s] %s", label, line)
    return code, "\n".join(tail)


def pge_level(line: str) -> int:
    """The level to log a PGE's stderr line at in the task log: its record's own, ERROR for its failure line.

    Everything at INFO hid a PGE's warnings (a GNSS station off the grid, a coherence ignored) among its progress
    lines in the Airflow UI's log view; other lines (a library's own output) stay at INFO.
    """
    m = _PGE_LEVEL.match(line)
    if m is None:
        return logging.INFO
    return logging.ERROR if m.group(2) else logging.getLevelNamesMapping()[m.group(1)]


def _check_result(pge: str, code: int, result: dict[str, Any] | None, stderr: str) -> dict[str, Any]:
    """Turn a PGE exit code into the task outcome: 0 returns, 2 fails for good, anything else retries."""
    if code == 0 and result is not None:
        return result
    message = (result or {}).get("error", {}) or {}
    text = message.get("message") if isinstance(message, dict) else None
    text = text or (stderr.strip().splitlines() or ["no message"])[-1]
    if code == EXIT_INVALID_INPUT:
        raise AirflowFailException(f"PGE {pge} rejected its input (exit 2, not retried): {text}")
    raise AirflowException(f"PGE {pge} failed (exit {code}, will retry): {text}")


class TaskPriority(TypedDict, total=False):
    """BaseOperator arguments that rank a DAG's PGE tasks for free worker slots (``**`` into a PGE task)."""

    pool: str
    priority_weight: int
    weight_rule: str


def operator_class_and_kwargs(pge: str, settings: Settings | None = None) -> tuple[type[BaseOperator], dict]:
    """Return the operator class and its fixed keyword arguments for the configured runner."""
    settings = _settings(settings)
    timing = {"execution_timeout": PGE_TIMEOUTS.get(pge, DEFAULT_PGE_TIMEOUT)}
    if settings.runner == "kubernetes":
        from sarlake_plugins.pod import PGEPodOperator, pod_retry_kwargs, pod_spec

        return PGEPodOperator, {"pge": pge, "pod": pod_spec(pge, settings), **pod_retry_kwargs(), **timing}
    return LocalPGEOperator, {"pge": pge, **timing}


def pge_operator(
    pge: str, *, task_id: str, run_config: Any, settings: Settings | None = None, **kwargs: Any
) -> BaseOperator:
    """Return one PGE task for the configured runner (local subprocess or Kubernetes pod).

    Args:
        pge: PGE name.
        task_id: Airflow task id.
        run_config: the run-config dict, or an XComArg resolving to one.
        settings: settings to use; the environment's by default.
        **kwargs: other BaseOperator arguments (retries, pool, ...).

    Returns:
        The operator instance.
    """
    cls, fixed = operator_class_and_kwargs(pge, settings)
    return cls(task_id=task_id, run_config=run_config, **fixed, **kwargs)


def mapped_pge_operator(
    pge: str, *, task_id: str, run_configs: Any, settings: Settings | None = None, **kwargs: Any
) -> Any:
    """Return a PGE task mapped over ``run_configs`` (dynamic task mapping, one task per run-config).

    Args:
        pge: PGE name.
        task_id: Airflow task id.
        run_configs: an XComArg resolving to a list of run-config dicts.
        settings: settings to use; the environment's by default.
        **kwargs: other BaseOperator arguments.

    Returns:
        The mapped operator.
    """
    cls, fixed = operator_class_and_kwargs(pge, settings)
    kwargs.setdefault("map_index_template", MAP_INDEX_TEMPLATE)
    return cls.partial(task_id=task_id, **{**fixed, **kwargs}).expand(run_config=run_configs)
