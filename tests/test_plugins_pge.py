"""The PGE operator factory: local subprocess by default, a KubernetesPodOperator when configured.

There is no Kubernetes API server here: the pod path is tested by rendering the pod the operator would
create (``build_pod_request_obj`` / ``dry_run``) with a throwaway kubeconfig, and checking what a cluster
would receive.
"""

from __future__ import annotations

import json

import pendulum
import pytest
import yaml

KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "throwaway", "cluster": {"server": "https://127.0.0.1:6443"}}],
    "users": [{"name": "ci", "user": {"token": "not-a-real-token"}}],
    "contexts": [{"name": "throwaway", "context": {"cluster": "throwaway", "user": "ci"}}],
    "current-context": "throwaway",
}

RUN_CONFIG = {
    "pge": "interferogram",
    "run_id": "scheduled__2024-03-01",
    "inputs": ["s3://lake/archive/A.met.json", "s3://lake/archive/B.met.json"],
    "output_dir": "s3://lake/products/L2_IFG/vesuvius",
    "parameters": {"looks_range": 4, "looks_azimuth": 4},
}


@pytest.fixture
def k8s_settings(tmp_path, monkeypatch):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    from lake.settings import get_settings

    return get_settings(
        home=tmp_path / "lake",
        runner="kubernetes",
        warehouse="s3://lake/warehouse",
        products_root="s3://lake/products",
        archive_root="s3://lake/archive",
        k8s={"image": "registry.example/sarlake/pge:1.2.3", "in_cluster": False, "config_file": str(kubeconfig),
             "cpu_request": "2", "memory_request": "6Gi", "cpu_limit": "4", "memory_limit": "12Gi",
             "node_selector": {"sarlake.io/pool": "pge-spot"}},
    )


def _in_dag(build):
    from airflow.sdk import DAG

    with DAG("pod_render_test", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
        op = build()
    return dag, op


def test_kubernetes_runner_renders_the_pge_pod(k8s_settings):
    from sarlake_plugins.pge import POD_RESULT_FILE, pge_operator

    _, op = _in_dag(lambda: pge_operator("interferogram", task_id="ifg", run_config=RUN_CONFIG,
                                         settings=k8s_settings))
    assert type(op).__name__ == "PGEPodOperator"
    pod = op.build_pod_request_obj(dry_run=True)
    container = pod.spec.containers[0]
    assert container.image == "registry.example/sarlake/pge:1.2.3"
    assert container.command == ["python", "-m", "pges", "interferogram", "--result-file", POD_RESULT_FILE]
    assert container.args[0] == "--run-config-json"
    assert json.loads(container.args[1]) == RUN_CONFIG
    assert container.resources.requests == {"cpu": "2", "memory": "6Gi"}
    assert container.resources.limits == {"cpu": "4", "memory": "12Gi"}
    assert pod.spec.node_selector == {"sarlake.io/pool": "pge-spot"}
    assert pod.metadata.namespace == "sarlake"
    assert pod.spec.service_account_name == "sarlake-pge"
    assert any(t.effect == "NoSchedule" and "spot" in (t.key + str(t.value)).lower() for t in pod.spec.tolerations)
    env = {e.name: e.value for e in container.env}
    assert env["SARLAKE_WAREHOUSE"] == "s3://lake/warehouse"
    assert env["SARLAKE_PRODUCTS_ROOT"] == "s3://lake/products"
    assert "SARLAKE_HOME" not in env, "a pod must not inherit the scheduler's local paths"
    # The xcom sidecar collects the PGE's result file: that is how the pod's products reach XCom.
    assert any(c.name == "airflow-xcom-sidecar" for c in pod.spec.containers)


def test_dry_run_prints_a_valid_pod_manifest(k8s_settings, capsys):
    from sarlake_plugins.pge import pge_operator

    _, op = _in_dag(lambda: pge_operator("simulate", task_id="sim", run_config={**RUN_CONFIG, "pge": "simulate"},
                                         settings=k8s_settings))
    op.dry_run()
    out = capsys.readouterr().out
    manifest = yaml.safe_load(out[out.index("api_version:"):])
    assert manifest["kind"] == "Pod" and manifest["api_version"] == "v1"
    assert manifest["spec"]["containers"][0]["command"][:4] == ["python", "-m", "pges", "simulate"]


def test_mapped_pod_operator_expands_over_run_configs(k8s_settings):
    from airflow.sdk import task

    from sarlake_plugins.pge import mapped_pge_operator

    def build():
        @task
        def configs():
            return [RUN_CONFIG]

        return mapped_pge_operator("interferogram", task_id="ifg", run_configs=configs(), settings=k8s_settings)

    _, mapped = _in_dag(build)
    assert mapped.partial_kwargs["pod"]["image"] == "registry.example/sarlake/pge:1.2.3"
    assert "run_config" in mapped.expand_input.value


def test_local_runner_is_the_default(settings):
    from sarlake_plugins.pge import LocalPGEOperator, pge_operator

    _, op = _in_dag(lambda: pge_operator("interferogram", task_id="ifg", run_config=RUN_CONFIG))
    assert isinstance(op, LocalPGEOperator)
    assert "run_config" in op.template_fields


def test_exit_codes_route_retries():
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from sarlake_plugins.pge import _check_result

    ok = {"status": "ok", "exit_code": 0, "products": []}
    assert _check_result("x", 0, ok, "") == ok
    bad = {"status": "failed", "exit_code": 2, "error": {"code": "INVALID_INPUT", "message": "unknown key 'lookz'"}}
    with pytest.raises(AirflowFailException, match="unknown key 'lookz'"):
        _check_result("x", 2, bad, "")
    with pytest.raises(AirflowException, match="will retry") as info:
        _check_result("x", 1, None, "Traceback...\nProcessingError: SNAPHU crashed")
    assert not isinstance(info.value, AirflowFailException)
    assert "SNAPHU crashed" in str(info.value)


def test_a_pges_progress_is_logged_while_it_runs_not_after(tmp_path, caplog):
    """The task log showed a PGE's output only once it had ended (all stamped then), and none of it when a
    timeout killed it. The child here waits for the log to show its first line before it writes the second: run
    to the end before logging, it would wait in vain (and say so after 30 s)."""
    import logging
    import sys
    import textwrap

    from sarlake_plugins.pge import run_logged

    seen = tmp_path / "seen"

    class Mark(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "first" in record.getMessage():
                seen.touch()

    child = tmp_path / "child.py"
    child.write_text(textwrap.dedent(f"""
        import pathlib, sys, time
        print('{{"result": 1}}')
        sys.stderr.write("first\\n")
        sys.stderr.flush()
        seen = pathlib.Path({str(seen)!r})
        for _ in range(300):
            if seen.exists():
                break
            time.sleep(0.1)
        sys.stderr.write("second\\n" if seen.exists() else "never seen\\n")
        sys.exit(3)
    """))
    handler = Mark()
    logging.getLogger("sarlake_plugins.pge").addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="sarlake_plugins.pge"):
            code, stderr = run_logged([sys.executable, str(child)], {}, "toy")
    finally:
        logging.getLogger("sarlake_plugins.pge").removeHandler(handler)
    assert code == 3 and stderr == "first\nsecond"
    assert [r.getMessage() for r in caplog.records] == ["[toy] first", "[toy] second", '[toy] {"result": 1}']


def test_a_pges_warnings_and_its_failure_reach_the_task_log_at_their_own_level(tmp_path, caplog):
    """Every line a PGE wrote went to the task log at INFO, so its warnings (a skipped input, a GNSS station off the
    grid) were not told apart from its progress in the Airflow UI. A real ingest PGE run: one good file, one that is
    not an interferogram (skipped with a warning), then one with only the bad file (its failure line)."""
    import logging
    import os
    import shutil
    import sys
    from pathlib import Path

    from sarlake_plugins.pge import run_logged

    data = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw"
    for name in ("geo_060619-061002.unw", "geo_060619-061002.unw.rsc"):
        shutil.copy(data / name, tmp_path / name)
    bad = tmp_path / "geo_070101-070202.unw"
    bad.write_bytes(b"not an interferogram")
    (tmp_path / "geo_070101-070202.unw.rsc").write_text("WIDTH 10\n")

    def run(inputs: list[Path], skip_bad: bool) -> list[logging.LogRecord]:
        config = tmp_path / "rc.json"
        config.write_text(json.dumps({"pge": "ingest", "run_id": "r", "inputs": [str(p) for p in inputs],
                                      "output_dir": str(tmp_path / "out"),
                                      "parameters": {"skip_bad": skip_bad, "wavelength_m": 0.0562}}))
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign]
        logger = logging.getLogger("sarlake_plugins.pge")
        logger.addHandler(handler)  # on the logger itself: Airflow's logging settings may keep it from the root
        try:
            with caplog.at_level(logging.INFO, logger="sarlake_plugins.pge"):
                run_logged([sys.executable, "-m", "pges", "ingest", "--run-config", str(config)], dict(os.environ),
                           "ingest")
        finally:
            logger.removeHandler(handler)
        return records

    records = run([tmp_path / "geo_060619-061002.unw", bad], skip_bad=True)
    levels = {r.levelname for r in records if " WARNING pges." in r.getMessage()}
    assert levels == {"WARNING"}, [r.getMessage() for r in records]
    assert any(f"skipped {bad.name}" in r.getMessage() for r in records if r.levelname == "WARNING")
    assert {r.levelname for r in records if " INFO pges." in r.getMessage()} == {"INFO"}

    records = run([bad], skip_bad=False)
    (failure,) = [r for r in records if "] error [INVALID_INPUT]" in r.getMessage()]
    assert failure.levelname == "ERROR"
