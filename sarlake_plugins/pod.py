"""The PGE as a Kubernetes pod: a parse-light operator that builds its KubernetesPodOperator only when it runs.

Nothing from the Kubernetes libraries is imported while Airflow parses a DAG: :class:`PGEPodOperator` holds the
pod description as plain, JSON-able values (``pod_spec``) and builds the provider's ``KubernetesPodOperator``
inside ``execute`` (or when asked to render the pod). The pod description carries no secret: object-store
credentials come from a Kubernetes secret (``envFrom``, ``SARLAKE_K8S__CREDENTIALS_SECRET``) or from the
service account's cloud role (IRSA); the S3 keys and any URI with a password are left out of the pod's env.

Exit code 2 of a PGE writes ``INVALID_INPUT: ...`` to the container's termination message; the provider puts
that message in the failure it raises, and :meth:`PGEPodOperator.execute` turns it into
``AirflowFailException`` (no retry). Any other failure is retried with exponential backoff.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

if TYPE_CHECKING:
    from lake.settings import Settings

log = logging.getLogger(__name__)

#: Where the KubernetesPodOperator's xcom sidecar collects a pod's return value.
POD_RESULT_FILE = "/airflow/xcom/return.json"
#: Requests and limits per PGE (cpu, memory), before ``SARLAKE_K8S__*`` overrides.
PGE_RESOURCES: dict[str, dict[str, str]] = {
    "simulate": {"cpu_request": "1", "memory_request": "2Gi", "cpu_limit": "2", "memory_limit": "4Gi"},
    "interferogram": {"cpu_request": "2", "memory_request": "6Gi", "cpu_limit": "4", "memory_limit": "12Gi"},
    "ingest": {"cpu_request": "1", "memory_request": "2Gi", "cpu_limit": "2", "memory_limit": "4Gi"},
    "unwrap": {"cpu_request": "2", "memory_request": "6Gi", "cpu_limit": "4", "memory_limit": "12Gi"},  # SNAPHU
    "timeseries": {"cpu_request": "2", "memory_request": "8Gi", "cpu_limit": "4", "memory_limit": "16Gi"},
    "qa": {"cpu_request": "1", "memory_request": "2Gi", "cpu_limit": "2", "memory_limit": "4Gi"},
    "qa_dataset": {"cpu_request": "2", "memory_request": "4Gi", "cpu_limit": "4", "memory_limit": "8Gi"},
    "train": {"cpu_request": "2", "memory_request": "8Gi", "cpu_limit": "4", "memory_limit": "16Gi"},
}
DEFAULT_RESOURCES = {"cpu_request": "1", "memory_request": "4Gi", "cpu_limit": "2", "memory_limit": "8Gi"}
#: Spot/preemptible node labels and taints of the three big clouds.
SPOT_LABELS = (
    ("eks.amazonaws.com/capacityType", "SPOT"),
    ("cloud.google.com/gke-spot", "true"),
    ("kubernetes.azure.com/scalesetpriority", "spot"),
)
_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|ACCESS_KEY|CREDENTIAL)", re.IGNORECASE)
_USERINFO = re.compile(r"://[^/@:]+:[^/@]+@")
#: Settings a PGE pod needs (the run-config carries the URIs): S3 connection, scratch, log level.
POD_ENV_PREFIXES = ("SARLAKE_S3__", "SARLAKE_WAREHOUSE", "SARLAKE_PRODUCTS_ROOT", "SARLAKE_ARCHIVE_ROOT",
                    "SARLAKE_LOG_LEVEL")


def secret_free_env(env: Mapping[str, str]) -> dict[str, str]:
    """Drop every variable that is or may hold a credential (by name, or a URI with a password)."""
    return {k: v for k, v in env.items() if not _SECRET_NAME.search(k) and not _USERINFO.search(str(v))}


def pod_spec(pge: str, settings: Settings) -> dict[str, Any]:
    """The pod of ``pge`` as plain values (serialisable in the DAG, no secret, no Kubernetes import)."""
    kube = settings.k8s
    resources = dict(PGE_RESOURCES.get(pge, DEFAULT_RESOURCES))
    resources.update({f: getattr(kube, f) for f in DEFAULT_RESOURCES if f in kube.model_fields_set})
    resources.update(kube.resources.get(pge, {}))
    env = {k: v for k, v in settings.to_env().items() if k.startswith(POD_ENV_PREFIXES)}
    env.update({"SARLAKE_SCRATCH": "/tmp/sarlake-scratch", **kube.env, "SARLAKE_PGE_IMAGE": kube.image})
    tolerations = [{"key": k, "operator": "Equal", "value": v, "effect": "NoSchedule"} for k, v in SPOT_LABELS]
    affinity = {
        "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [{"key": k, "operator": "In", "values": [v]}]}}
            for k, v in SPOT_LABELS
        ]}
    }
    return {
        "name": f"pge-{pge}",
        "image": kube.image,
        "namespace": kube.namespace,
        "service_account_name": kube.service_account,
        "cmds": ["python", "-m", "pges", pge, "--result-file", POD_RESULT_FILE],
        "env": secret_free_env(env),
        "credentials_secret": kube.credentials_secret,
        "resources": {"requests": {"cpu": resources["cpu_request"], "memory": resources["memory_request"]},
                      "limits": {"cpu": resources["cpu_limit"], "memory": resources["memory_limit"]}},
        "node_selector": dict(kube.node_selector),
        "tolerations": tolerations if kube.spot else [],
        "affinity": affinity if kube.spot else {},
        "labels": {"app.kubernetes.io/part-of": "sarlake", "sarlake.io/pge": pge},
        "in_cluster": kube.in_cluster,
        "config_file": kube.config_file,
        "startup_timeout_seconds": kube.startup_timeout_seconds,
        "on_finish_action": "delete_succeeded_pod",  # keep failed pods for their logs and events
    }


def pod_retry_kwargs() -> dict[str, Any]:
    """Retries for pods: spot nodes are reclaimed, so retry with exponential backoff."""
    return {"retries": 3, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": 2.0,
            "max_retry_delay": timedelta(minutes=10)}


class PGEPodOperator(BaseOperator):
    """Run a PGE in a pod; the provider's KubernetesPodOperator is built only when the task runs.

    Args:
        pge: PGE name.
        run_config: the PGE run-config (templated; an XComArg when mapped).
        pod: :func:`pod_spec` of the PGE.
    """

    template_fields: Sequence[str] = ("run_config",)
    ui_color = "#e8e1f5"

    def __init__(self, *, pge: str, run_config: Any, pod: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pge = pge
        self.run_config = run_config
        self.pod = pod

    def _run_config(self, context: Any) -> dict[str, Any]:
        from sarlake_plugins.pge import split_image

        cfg, _ = split_image(self.run_config if isinstance(self.run_config, Mapping) else {})
        if context is not None and not cfg.get("run_id"):
            cfg["run_id"] = str(context.get("run_id") or "")
        return cfg

    @property
    def image(self) -> str:
        """The image this pod runs: the run-config's PGE version's (``pge_image``), else the default PGE image."""
        from sarlake_plugins.pge import split_image

        _, image = split_image(self.run_config if isinstance(self.run_config, Mapping) else {})
        return image or self.pod["image"]

    def pod_operator(self, context: Any = None) -> Any:
        """The provider's KubernetesPodOperator for this run (imports the Kubernetes libraries)."""
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
        from kubernetes.client import models as k8s

        p = self.pod
        env_from = []
        if p.get("credentials_secret"):
            env_from = [k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=p["credentials_secret"],
                                                                               optional=True))]
        tolerations = [k8s.V1Toleration(**t) for t in p["tolerations"]]
        affinity = None
        if p.get("affinity"):
            terms = p["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
            prefs = [
                k8s.V1PreferredSchedulingTerm(weight=t["weight"], preference=k8s.V1NodeSelectorTerm(
                    match_expressions=[k8s.V1NodeSelectorRequirement(**e)
                                       for e in t["preference"]["matchExpressions"]]))
                for t in terms
            ]
            affinity = k8s.V1Affinity(node_affinity=k8s.V1NodeAffinity(
                preferred_during_scheduling_ignored_during_execution=prefs))
        return KubernetesPodOperator(
            task_id=self.task_id,
            name=p["name"],
            image=self.image,
            namespace=p["namespace"],
            service_account_name=p["service_account_name"],
            cmds=p["cmds"],
            arguments=["--run-config-json", json.dumps(self._run_config(context))],
            env_vars={**p["env"], "SARLAKE_PGE_IMAGE": self.image},  # provenance.pge_image
            env_from=env_from,
            container_resources=k8s.V1ResourceRequirements(**p["resources"]),
            node_selector=p["node_selector"],
            tolerations=tolerations,
            affinity=affinity,
            labels=p["labels"],
            in_cluster=p["in_cluster"],
            config_file=p["config_file"],
            startup_timeout_seconds=p["startup_timeout_seconds"],
            on_finish_action=p["on_finish_action"],
            do_xcom_push=True,
            get_logs=True,
        )

    def build_pod_request_obj(self, context: Any = None, *, dry_run: bool = False) -> Any:
        """The V1Pod a cluster would receive (for tests and ``dry_run``)."""
        return self.pod_operator(context).build_pod_request_obj(context, dry_run=dry_run)

    def dry_run(self) -> None:
        """Print the pod manifest without a cluster."""
        self.pod_operator(None).dry_run()

    def execute(self, context: Any) -> Any:
        """Run the pod; route a PGE's invalid-input exit to a failure without retry."""
        from sarlake_plugins.pge import pge_label

        context["pge_label"] = pge_label(self.pge, self.run_config)
        try:
            return self.pod_operator(context).execute(context)
        except AirflowException as exc:
            if "INVALID_INPUT" in str(exc):
                first = next((line for line in str(exc).splitlines() if "INVALID_INPUT" in line), str(exc))
                raise AirflowFailException(f"PGE {self.pge} rejected its input (not retried): {first}") from exc
            raise
