"""The Kubernetes path: pods for every PGE without secrets, no Kubernetes import at parse, invalid input not retried.

There is no Kubernetes API server here: pods are rendered (``build_pod_request_obj``) with a throwaway
kubeconfig, and a PGE's failure is fed to the provider's own failure handling as a fake pod result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pendulum
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRETS = ("AKIAEXAMPLEKEY123", "s3-secret-value-xyz", "pg-password-456")
KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config",
    "clusters": [{"name": "throwaway", "cluster": {"server": "https://127.0.0.1:6443"}}],
    "users": [{"name": "ci", "user": {"token": "not-a-real-token"}}],
    "contexts": [{"name": "throwaway", "context": {"cluster": "throwaway", "user": "ci"}}],
    "current-context": "throwaway",
}


@pytest.fixture
def k8s_settings(tmp_path):
    from lake.settings import get_settings

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    return get_settings(
        home=tmp_path / "lake", runner="kubernetes", warehouse="s3://lake/warehouse",
        products_root="s3://lake/products", archive_root="s3://lake/archive",
        catalog_uri=f"postgresql+psycopg2://sarlake:{SECRETS[2]}@catalog-db/sarlake",
        s3={"endpoint": "http://minio:9000", "access_key_id": SECRETS[0], "secret_access_key": SECRETS[1]},
        k8s={"image": "registry.example/sarlake/pge@sha256:" + "0" * 64, "in_cluster": False,
             "config_file": str(kubeconfig), "resources": {"timeseries": {"memory_limit": "20Gi"}}},
    )


def _in_dag(build):
    from airflow.sdk import DAG

    with DAG("pod_test", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
        op = build()
    return dag, op


def test_every_pge_pod_renders_without_any_secret(k8s_settings):
    from kubernetes.client import ApiClient

    from pges.registry import PGES
    from sarlake_plugins.pge import pge_operator

    assert set(PGES) >= {"simulate", "interferogram", "ingest", "timeseries"}
    for name in PGES:
        _, op = _in_dag(lambda name=name: pge_operator(name, task_id=name, run_config={"pge": name, "inputs": []},
                                                       settings=k8s_settings))
        pod = ApiClient().sanitize_for_serialization(op.build_pod_request_obj(dry_run=True))
        text = json.dumps(pod)
        for secret in SECRETS:
            assert secret not in text, f"{name}: a secret is in the pod spec"
        container = pod["spec"]["containers"][0]
        assert container["envFrom"] == [{"secretRef": {"name": "sarlake-pge-credentials", "optional": True}}]
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["SARLAKE_S3__ENDPOINT"] == "http://minio:9000" and "SARLAKE_CATALOG_URI" not in env
        assert pod["spec"]["nodeSelector"] == {"sarlake.io/pool": "pge"}
        assert {t["key"] for t in pod["spec"]["tolerations"]} >= {"eks.amazonaws.com/capacityType"}
        prefs = pod["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        assert len(prefs) == 3
        assert op.retries == 3 and op.retry_exponential_backoff
        assert op.pod["on_finish_action"] == "delete_succeeded_pod" and op.pod["startup_timeout_seconds"] == 600
    _, ts = _in_dag(lambda: pge_operator("timeseries", task_id="ts", run_config={}, settings=k8s_settings))
    assert ts.pod["resources"]["limits"] == {"cpu": "4", "memory": "20Gi"}  # per-PGE default + override
    _, fit = _in_dag(lambda: pge_operator("train", task_id="train", run_config={}, settings=k8s_settings))
    assert fit.pod["resources"]["limits"] == {"cpu": "4", "memory": "16Gi"} and fit.execution_timeout.seconds == 21600
    _, sim = _in_dag(lambda: pge_operator("simulate", task_id="sim", run_config={}, settings=k8s_settings))
    assert sim.pod["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}


def test_no_secret_in_the_serialized_dag(k8s_settings):
    from airflow.sdk import task
    from airflow.serialization.serialized_objects import DagSerialization

    from sarlake_plugins.pge import mapped_pge_operator

    def build():
        @task
        def configs():
            return [{"pge": "interferogram", "inputs": []}]

        return mapped_pge_operator("interferogram", task_id="ifg", run_configs=configs(), settings=k8s_settings)

    dag, _ = _in_dag(build)
    text = json.dumps(DagSerialization.to_dict(dag), default=str)
    assert "registry.example/sarlake/pge@sha256" in text  # the pod description is in there ...
    for secret in SECRETS:
        assert secret not in text  # ... without a credential


def test_kubernetes_runner_refuses_local_product_and_archive_roots(tmp_path):
    from lake.exceptions import SettingsError
    from lake.settings import get_settings

    with pytest.raises(SettingsError, match="products_root is the local folder .* set SARLAKE_PRODUCTS_ROOT=s3://"):
        get_settings(home=tmp_path, runner="kubernetes")
    with pytest.raises(SettingsError, match="archive_root is the local folder"):
        get_settings(home=tmp_path, runner="kubernetes", products_root="s3://b/products")


@pytest.mark.parametrize("runner", ["local", "kubernetes"])
def test_parsing_the_dags_imports_nothing_from_kubernetes(runner, tmp_path):
    code = """
import json, sys, tempfile
from airflow.dag_processing.dagbag import DagBag
def k8s():
    return {m for m in sys.modules if m.startswith(("kubernetes", "airflow.providers.cncf"))}
DagBag(dag_folder=tempfile.mkdtemp())  # what Airflow itself loads (airflow.exceptions imports a provider module)
baseline = k8s()
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"errors": {k: v[-300:] for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids),
                  "k8s": sorted(k8s() - baseline), "kubernetes_client": "kubernetes" in sys.modules,
                  **{d: {t.task_id: t.task_type for t in bag.dags[d].tasks} for d in ("qa_train", "qa")}}))
"""
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW_HOME": str(tmp_path / "af"), "SARLAKE_HOME": str(tmp_path / "lake"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "SARLAKE_RUNNER": runner,
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins")}
    if runner == "kubernetes":
        env.update({"SARLAKE_PRODUCTS_ROOT": "s3://lake/products", "SARLAKE_ARCHIVE_ROOT": "s3://lake/archive"})
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "dags")], env=env, capture_output=True, text=True,
                         check=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert {"forward", "on_demand", "urgent_response"} <= set(result["dags"])
    assert result["k8s"] == [] and result["kubernetes_client"] is False
    pge = "PGEPodOperator" if runner == "kubernetes" else "LocalPGEOperator"  # training runs where PGEs run
    assert {k: v for k, v in result["qa_train"].items() if v.endswith("Operator") and "PGE" in v} == {
        "simulate_set": pge, "train": pge}
    assert {k: v for k, v in result["qa"].items() if v.endswith("Operator") and "PGE" in v} == {"score": pge}


def _failed_pod(exit_code: int, message: str):
    from kubernetes.client import models as k8s

    terminated = k8s.V1ContainerStateTerminated(exit_code=exit_code, message=message, reason="Error")
    status = k8s.V1ContainerStatus(name="base", image="pge", image_id="", ready=False, restart_count=0,
                                   state=k8s.V1ContainerState(terminated=terminated))
    return k8s.V1Pod(metadata=k8s.V1ObjectMeta(name="pge-interferogram-abc", namespace="sarlake"),
                     status=k8s.V1PodStatus(phase="Failed", container_statuses=[status]))


@pytest.mark.parametrize(
    ("exit_code", "message", "retried"),
    [(2, "INVALID_INPUT: inputs do not overlap (fix the run-config)", False),
     (1, "PROCESSING_FAILED: snaphu crashed", True)],
)
def test_pge_exit_code_routing_through_execute(k8s_settings, monkeypatch, exit_code, message, retried):
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from sarlake_plugins.pge import pge_operator

    pod = _failed_pod(exit_code, message)

    def fake_execute(self, context):
        # The provider's own failure path, fed with the pod result a cluster would have returned.
        self.cleanup(pod=pod, remote_pod=pod, xcom_result=None, context=None)

    monkeypatch.setattr(KubernetesPodOperator, "execute", fake_execute)
    # the three calls that would reach the API server: the namespace's istio label, the pod's labels, deletion
    monkeypatch.setattr(KubernetesPodOperator, "is_istio_enabled", lambda self, pod: False)
    monkeypatch.setattr(KubernetesPodOperator, "patch_already_checked", lambda self, *a, **k: None)
    monkeypatch.setattr(KubernetesPodOperator, "process_pod_deletion", lambda self, *a, **k: None)
    _, op = _in_dag(lambda: pge_operator("interferogram", task_id="ifg", run_config={"inputs": []},
                                         settings=k8s_settings))
    with pytest.raises(AirflowException) as info:
        op.execute({"run_id": "r1"})
    assert isinstance(info.value, AirflowFailException) is (not retried)
    assert message.split(":")[0] in str(info.value)


OLD_IMAGE = "registry.example/sarlake/pge:0.0.9"
NEW_IMAGE = "registry.example/sarlake/pge@sha256:" + "a" * 64


def _pair(aoi: str, day: int) -> dict:
    name = f"SIM_S1_IW_SLC_A044_F1a2b_202402{day:02d}T050000"
    return {"uri": f"s3://lake/products/L1_SLC/{name}/{name}.met.json"}


def test_mapped_pods_of_a_prior_pge_version_run_its_registered_image(sarlake_home, tmp_path, monkeypatch):
    """on_demand and bulk ask for version 0.0.9: every mapped interferogram pod runs 0.0.9's image, not the newest."""
    from kubernetes.client import ApiClient

    from lake.aoi import add_aoi
    from lake.catalog import init_lake
    from lake.settings import get_settings
    from pges.registry import get as get_pge
    from pges.runner import RunContext
    from pges.storage import Publisher
    from sarlake.workflows import bulk, on_demand
    from sarlake.workflows.versions import register
    from sarlake_plugins.pge import mapped_pge_operator

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    roots = {"products_root": "s3://lake/products", "archive_root": "s3://lake/archive"}
    monkeypatch.setenv("SARLAKE_RUNNER", "kubernetes")
    for key, value in roots.items():
        monkeypatch.setenv(f"SARLAKE_{key.upper()}", value)
    settings = get_settings(home=sarlake_home, runner="kubernetes", **roots,
                            k8s={"image": "registry.example/sarlake/pge:current", "in_cluster": False,
                                 "config_file": str(kubeconfig)})
    init_lake(settings)
    register("interferogram", "0.0.9", image=OLD_IMAGE, settings=settings)
    register("interferogram", "0.2.0", image=NEW_IMAGE, settings=settings)
    add_aoi("vesuvius", bbox=[14.2, 40.6, 14.7, 41.0], tracks=[44])
    pairs = {"pairs": [{"aoi": "vesuvius", "reference": _pair("vesuvius", d + 12), "secondary": _pair("vesuvius", d)}
                       for d in (1, 2, 3)]}

    def images(configs: list[dict]) -> list[tuple[str, str]]:
        dag, mapped = _in_dag(lambda: mapped_pge_operator("interferogram", task_id="interferogram",
                                                          run_configs=configs, settings=settings))
        found = []
        for cfg in configs:  # each mapped task instance, as Airflow unmaps it when the task runs
            op = mapped.unmap({"run_config": cfg})
            pod = ApiClient().sanitize_for_serialization(op.build_pod_request_obj(dry_run=True))
            container = pod["spec"]["containers"][0]
            env = {e["name"]: e["value"] for e in container["env"]}
            sent = json.loads(container["args"][container["args"].index("--run-config-json") + 1])
            assert "pge_image" not in sent  # the PGE's run-config is its own (extra keys are refused) ...
            get_pge("interferogram").run_config_model().model_validate(sent)  # ... and valid
            found.append((container["image"], env["SARLAKE_PGE_IMAGE"]))
        return found

    old = on_demand.OnDemandRequest(aoi="vesuvius", start_date="2024-02-01", end_date="2024-02-20",
                                    pge_version="0.0.9")
    assert images(on_demand.interferogram_run_configs(old, pairs, settings=settings)) == [(OLD_IMAGE, OLD_IMAGE)] * 3
    latest = old.model_copy(update={"pge_version": "latest"})
    assert images(on_demand.interferogram_run_configs(latest, pairs, settings=settings)) == [(NEW_IMAGE, NEW_IMAGE)] * 3
    request = bulk.validate_request({"aois": ["vesuvius"], "start_date": "2024-02-01", "end_date": "2024-02-20",
                                     "pge_version": "0.0.9"}, runner="kubernetes")
    assert request["version"] == "0.0.9" and request["image"] == OLD_IMAGE
    assert images(bulk.interferogram_run_configs(request, pairs, settings=settings)) == [(OLD_IMAGE, OLD_IMAGE)] * 3

    # inside the pod, the PGE writes the image it runs in (SARLAKE_PGE_IMAGE) into provenance.pge_image
    monkeypatch.setenv("SARLAKE_PGE_IMAGE", OLD_IMAGE)
    sent = on_demand.interferogram_run_configs(old, pairs, settings=settings)[0]
    model = get_pge("interferogram").run_config_model()
    cfg = model.model_validate({k: v for k, v in sent.items() if k != "pge_image"})
    ctx = RunContext("interferogram", "r1", tmp_path / "work", Publisher("s3://lake/products/L2_IFG/vesuvius"))
    assert ctx.provenance(cfg)["pge_image"] == OLD_IMAGE


def test_the_local_runner_refuses_a_run_config_that_asks_for_another_image(sarlake_home):
    from airflow.sdk.exceptions import AirflowFailException

    from sarlake_plugins.pge import LocalPGEOperator

    _, op = _in_dag(lambda: LocalPGEOperator(task_id="ifg", pge="interferogram",
                                             run_config={"pge": "interferogram", "pge_image": OLD_IMAGE}))
    with pytest.raises(AirflowFailException, match="asks for image .*0.0.9.* SARLAKE_RUNNER=kubernetes"):
        op.execute({"run_id": "r1"})


def _kubernetes_env(tmp_path, monkeypatch):
    """The environment of a Kubernetes runner (S3 roots, a throwaway kubeconfig, credentials to keep out of pods)."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    for key, value in {"RUNNER": "kubernetes", "PRODUCTS_ROOT": "s3://lake/products",
                       "ARCHIVE_ROOT": "s3://lake/archive", "S3__ENDPOINT": "http://minio:9000",
                       "S3__ACCESS_KEY_ID": SECRETS[0], "S3__SECRET_ACCESS_KEY": SECRETS[1],
                       "K8S__IMAGE": "registry.example/sarlake/pge:current", "K8S__IN_CLUSTER": "false",
                       "K8S__CONFIG_FILE": str(kubeconfig)}.items():
        monkeypatch.setenv(f"SARLAKE_{key}", value)


def test_the_reprocess_dags_pge_pod_runs_the_requested_version_without_secrets(sarlake_home, tmp_path, monkeypatch):
    """reprocess with runner=kubernetes: its interferogram task is a pod of the asked version's image, no secret."""
    from airflow.dag_processing.dagbag import DagBag
    from kubernetes.client import ApiClient

    from lake.catalog import init_lake
    from lake.settings import get_settings
    from lake.write import upsert
    from pges.registry import get as get_pge
    from sarlake.workflows.reprocess_plan import plan_reprocessing
    from sarlake.workflows.versions import register

    _kubernetes_env(tmp_path, monkeypatch)
    settings = get_settings()
    init_lake(settings)
    register("interferogram", "0.0.9", image=OLD_IMAGE, settings=settings)
    register("interferogram", "0.2.0", image=NEW_IMAGE, settings=settings)
    bad = "S1-GUNW-A-R-044-tops-20240208_20240127-050000-14430E_40820N-PP-ab12-v0_1_0"
    upsert("products", [{"product_id": bad, "product_type": "L2_IFG", "aoi": "vesuvius", "p_error": 0.9,
                         "start_time": "2024-01-27T05:00:00Z"}], settings)
    upsert("provenance", [{"product_id": bad, "run_id": "r0", "pge_name": "interferogram", "parameters": "{}",
                           "inputs": [_pair("vesuvius", 8)["uri"], _pair("vesuvius", 27)["uri"]]}], settings)

    bag = DagBag(dag_folder=str(ROOT / "dags" / "reprocess.py"))  # parsed with the Kubernetes runner
    assert not bag.import_errors, bag.import_errors
    mapped = bag.dags["reprocess"].task_dict["interferogram"]
    assert type(mapped).__name__ == "MappedOperator" and mapped.partial_kwargs["pge"] == "interferogram"
    assert bag.dags["reprocess"].task_dict["score"].partial_kwargs["pge"] == "qa"  # the re-scoring is a pod too
    for version, image in (("0.0.9", OLD_IMAGE), ("latest", NEW_IMAGE)):
        plans = plan_reprocessing(product_ids=[bad], pge_version=version, settings=settings)
        assert [p["original"] for p in plans] == [bad]
        op = mapped.unmap({"run_config": plans[0]["run_config"]})
        pod = ApiClient().sanitize_for_serialization(op.build_pod_request_obj(dry_run=True))
        text = json.dumps(pod)
        for secret in SECRETS:
            assert secret not in text, f"a secret is in the reprocess pod ({version})"
        container = pod["spec"]["containers"][0]
        env = {e["name"]: e["value"] for e in container["env"]}
        assert (container["image"], env["SARLAKE_PGE_IMAGE"]) == (image, image)  # provenance.pge_image
        assert container["command"][:4] == ["python", "-m", "pges", "interferogram"]
        sent = json.loads(container["args"][container["args"].index("--run-config-json") + 1])
        cfg = get_pge("interferogram").run_config_model().model_validate(sent)  # the PGE's own run-config
        assert cfg.parameters.unwrap.method == "quality" and sent["inputs"] == [_pair("vesuvius", 8)["uri"],
                                                                                _pair("vesuvius", 27)["uri"]]
    with pytest.raises(ValueError, match="unknown version '9.9.9'"):
        plan_reprocessing(product_ids=[bad], pge_version="9.9.9", settings=settings)

    # one the unwrap PGE made from another processor's wrapped file: a pod of the unwrap PGE's image, that pair
    register("unwrap", "0.2.0", image=NEW_IMAGE, settings=settings)
    wrapped = "s3://bucket/ints/geo_060619-061002.int"
    unwrapped = "EXT-ROIPAC-geo_060619-061002-20061002_20060619-UNW-1a2b"
    upsert("products", [{"product_id": unwrapped, "product_type": "L2_IFG", "aoi": "sydney", "p_error": 0.8,
                         "reference_date": "2006-10-02", "secondary_date": "2006-06-19",
                         "start_time": "2006-06-19T00:00:00Z"}], settings)
    upsert("provenance", [{"product_id": unwrapped, "run_id": "r1", "pge_name": "unwrap", "inputs": [wrapped],
                           "parameters": json.dumps({"unwrap": {"method": "snaphu"}, "filter": {"strength": 0.0}})}],
           settings)
    (plan,) = plan_reprocessing(product_ids=[unwrapped], settings=settings)
    op = bag.dags["reprocess"].task_dict["unwrap"].unmap({"run_config": plan["run_config"]})
    container = ApiClient().sanitize_for_serialization(op.build_pod_request_obj(dry_run=True))["spec"]["containers"][0]
    assert container["image"] == NEW_IMAGE and container["command"][:4] == ["python", "-m", "pges", "unwrap"]
    sent = json.loads(container["args"][container["args"].index("--run-config-json") + 1])
    cfg = get_pge("unwrap").run_config_model().model_validate(sent)
    assert (cfg.parameters.unwrap.method, cfg.parameters.filter.strength) == ("quality", 0.3)
    assert (sent["inputs"], cfg.parameters.pairs) == ([wrapped], ["20061002_20060619"])


def test_the_ingest_dags_pge_task_is_a_pod_with_the_kubernetes_runner(sarlake_home, tmp_path, monkeypatch):
    """ingest with runner=kubernetes: its PGE task is a pod of the ingest PGE (no secret in it), as every PGE task."""
    from airflow.dag_processing.dagbag import DagBag
    from kubernetes.client import ApiClient

    _kubernetes_env(tmp_path, monkeypatch)
    bag = DagBag(dag_folder=str(ROOT / "dags" / "ingest.py"))
    assert not bag.import_errors, bag.import_errors
    mapped = bag.dags["ingest"].task_dict["ingest"]
    assert mapped.operator_class.__name__ == "PGEPodOperator"
    assert mapped.partial_kwargs["pge"] == "ingest"
    config = {"pge": "ingest", "run_id": "r", "inputs": ["s3://bucket/hyp3-jobs/"], "output_dir": "s3://lake/products/"
              "L2_IFG/sydney", "parameters": {"aoi": "sydney"}}
    pod = ApiClient().sanitize_for_serialization(mapped.unmap({"run_config": config}).build_pod_request_obj(
        dry_run=True))
    for secret in SECRETS:
        assert secret not in json.dumps(pod)
    assert pod["spec"]["containers"][0]["image"] == "registry.example/sarlake/pge:current"
