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
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

if TYPE_CHECKING:
    from lake.settings import Settings

log = logging.getLogger(__name__)

#: Where the KubernetesPodOperator's xcom sidecar collects a pod's return value.
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


def _with_context(run_config: Mapping[str, Any], context: Mapping[str, Any] | None) -> dict[str, Any]:
    """Fill ``run_id`` from the Airflow context when the run-config leaves it empty."""
    cfg = dict(run_config)
    if context is not None and not cfg.get("run_id"):
        cfg["run_id"] = str(context.get("run_id") or "")
    return cfg


class LocalPGEOperator(BaseOperator):
    """Run a PGE as a local subprocess with the run-config given (templated) as a dict.

    Args:
        pge: PGE name.
        run_config: the PGE run-config (a dict or an XComArg resolving to one).
        env: extra environment for the subprocess (``SARLAKE_*`` settings are always passed).
    """

    template_fields: Sequence[str] = ("run_config",)
    ui_color = "#d8ecf3"

    def __init__(
        self, *, pge: str, run_config: dict[str, Any], env: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.pge = pge
        self.run_config = run_config
        self.env = env or {}

    def execute(self, context: Any) -> dict[str, Any]:
        """Write the run-config, run the PGE, and return its result record."""
        settings = _settings(None)
        cfg = _with_context(self.run_config, context)
        scratch = Path(settings.scratch) / "runconfigs"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch, prefix=f"{self.pge}-") as tmp:
            cfg_path = Path(tmp) / "run_config.json"
            result_path = Path(tmp) / "result.json"
            cfg_path.write_text(json.dumps(cfg, indent=2))
            cmd = [*pge_command(self.pge, result_file=str(result_path), python=sys.executable)]
            cmd += ["--run-config", str(cfg_path)]
            env = {**os.environ, **settings.to_env(), **self.env}
            log.info("Running PGE %s: %s", self.pge, " ".join(cmd))
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            for line in (proc.stdout + proc.stderr).splitlines():
                log.info("[%s] %s", self.pge, line)
            result = json.loads(result_path.read_text()) if result_path.exists() else None
        return _check_result(self.pge, proc.returncode, result, proc.stderr)


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


def _pod_operator_class() -> type[BaseOperator]:
    """Build the pod operator class lazily: the Kubernetes provider is a heavy import."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    class PGEPodOperator(KubernetesPodOperator):
        """KubernetesPodOperator whose arguments come from a templated ``run_config`` dict."""

        template_fields: Sequence[str] = (*KubernetesPodOperator.template_fields, "run_config")

        def __init__(self, *, pge: str, run_config: dict[str, Any], **kwargs: Any) -> None:
            self.pge = pge
            self.run_config = run_config
            super().__init__(**kwargs)
            self.arguments = self._arguments(run_config)

        @staticmethod
        def _arguments(run_config: Any) -> list[str]:
            if isinstance(run_config, Mapping):
                return ["--run-config-json", json.dumps(dict(run_config))]
            return []

        def build_pod_request_obj(self, context: Any = None, *, dry_run: bool = False) -> Any:
            self.arguments = self._arguments(_with_context(self.run_config, context))
            return super().build_pod_request_obj(context, dry_run=dry_run)

        def execute(self, context: Any) -> Any:
            try:
                return super().execute(context)
            except AirflowException as exc:
                # The PGE writes "INVALID_INPUT: ..." to the pod's termination message on exit 2.
                if "INVALID_INPUT" in str(exc):
                    raise AirflowFailException(f"PGE {self.pge} rejected its input: {exc}") from exc
                raise

    return PGEPodOperator


def pod_kwargs(pge: str, settings: Settings) -> dict[str, Any]:
    """Keyword arguments of the PGE pod for ``pge``, all from ``settings.k8s``."""
    from kubernetes.client import models as k8s

    kube = settings.k8s
    tolerations = []
    if kube.spot:
        tolerations = [
            k8s.V1Toleration(key="kubernetes.azure.com/scalesetpriority", operator="Equal", value="spot",
                             effect="NoSchedule"),
            k8s.V1Toleration(key="cloud.google.com/gke-spot", operator="Equal", value="true", effect="NoSchedule"),
            k8s.V1Toleration(key="eks.amazonaws.com/capacityType", operator="Equal", value="SPOT",
                             effect="NoSchedule"),
        ]
    env = {**settings.to_env(), **kube.env, "SARLAKE_PGE_IMAGE": kube.image}  # provenance.pge_image
    env.pop("SARLAKE_HOME", None)
    return {
        "pge": pge,
        "name": f"pge-{pge}",
        "image": kube.image,
        "namespace": kube.namespace,
        "service_account_name": kube.service_account,
        "cmds": pge_command(pge, result_file=POD_RESULT_FILE),
        "env_vars": env,
        "container_resources": k8s.V1ResourceRequirements(
            requests={"cpu": kube.cpu_request, "memory": kube.memory_request},
            limits={"cpu": kube.cpu_limit, "memory": kube.memory_limit},
        ),
        "node_selector": dict(kube.node_selector),
        "tolerations": tolerations,
        "labels": {"app.kubernetes.io/part-of": "sarlake", "sarlake.io/pge": pge},
        "in_cluster": kube.in_cluster,
        "config_file": kube.config_file,
        "startup_timeout_seconds": kube.startup_timeout_seconds,
        "do_xcom_push": True,
        "on_finish_action": "delete_succeeded_pod",
        "get_logs": True,
    }


def operator_class_and_kwargs(pge: str, settings: Settings | None = None) -> tuple[type[BaseOperator], dict]:
    """Return the operator class and its fixed keyword arguments for the configured runner."""
    settings = _settings(settings)
    if settings.runner == "kubernetes":
        return _pod_operator_class(), pod_kwargs(pge, settings)
    return LocalPGEOperator, {"pge": pge}


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
    return cls.partial(task_id=task_id, **fixed, **kwargs).expand(run_config=run_configs)
