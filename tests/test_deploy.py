"""Deployment files, validated without a Docker engine or a cluster: Dockerfiles and Helm values parsed and checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def _instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_pge_image_is_pinned_non_root_from_the_lock_with_the_pge_entry_point():
    steps = _instructions(DEPLOY / "pge.Dockerfile")
    bases = [rest.split()[0] for word, rest in steps if word == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", b) for b in bases)
    copies = " ".join(rest for word, rest in steps if word == "COPY")
    assert "uv.lock" in copies and "pges/" in copies
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "uv sync --frozen --no-dev" in runs, "dependencies must come from uv.lock as locked"
    user = [rest for word, rest in steps if word == "USER"][-1]
    assert user.split(":")[0].isdigit() and user.split(":")[0] != "0"
    assert [rest for word, rest in steps if word == "ENTRYPOINT"][-1] == '["python", "-m", "pges"]'
    # numba kernels compiled at build into a cache the pod's user can write (numba refuses a read-only one)
    env = " ".join(rest for word, rest in steps if word == "ENV")
    assert "NUMBA_CACHE_DIR=/opt/numba-cache" in env
    assert "python -m pges.jit_warmup && chown -R 10001:10001 /opt/numba-cache" in runs
    # the pod operator's command is the image's entry point
    from sarlake_plugins.pge import pge_command

    assert pge_command("simulate", result_file="r")[:3] == ["python", "-m", "pges"]


def test_airflow_image_matches_the_locked_airflow_and_bakes_in_dags_and_plugins():
    steps = _instructions(DEPLOY / "airflow.Dockerfile")
    base = [rest for word, rest in steps if word == "FROM"][-1]
    lock = (ROOT / "uv.lock").read_text()
    locked = re.search(r'name = "apache-airflow"\nversion = "([^"]+)"', lock).group(1)
    assert base == f"apache/airflow:{locked}-python3.11"
    copies = " ".join(rest for word, rest in steps if word == "COPY")
    assert "dags/ /opt/airflow/dags/" in copies and "plugins/ /opt/airflow/plugins/" in copies
    assert "uv.lock" in copies and "--frozen" in " ".join(rest for word, rest in steps if word == "RUN")
    assert [rest for word, rest in steps if word == "USER"][-1] == "airflow"
    env = " ".join(rest for word, rest in steps if word == "ENV")
    assert "NUMBA_CACHE_DIR=/opt/airflow/numba-cache" in env
    assert "python -m pges.jit_warmup" in " ".join(rest for word, rest in steps if word == "RUN")


def test_the_images_jit_warmup_compiles_every_kernel_into_the_cache_it_is_given(tmp_path):
    """What the images' build step runs: afterwards numba loads the kernels from that cache, not from LLVM."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "pges.jit_warmup"], env=env, capture_output=True, text=True,
                          check=True)
    assert "goldstein, quality_unwrap, qa features" in done.stdout
    cached = {p.name.split("-")[0] for p in (tmp_path / "cache").rglob("*.nbi")}
    for kernel in ("goldstein._weight_blocks", "labelling._label", "labelling._enclosed_best_level",
                   "itoh._line_disagreement"):
        assert kernel in cached, f"{kernel} not cached: {sorted(cached)}"


def test_helm_values_for_the_official_chart():
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    lock = (ROOT / "uv.lock").read_text()
    assert values["airflowVersion"] == re.search(r'name = "apache-airflow"\nversion = "([^"]+)"', lock).group(1)
    assert values["executor"] == "KubernetesExecutor"
    assert values["postgresql"]["enabled"] is False and values["redis"]["enabled"] is False
    assert values["data"]["metadataSecretName"] and values["fernetKeySecretName"] and values["jwtSecretName"]
    assert values["triggerer"]["enabled"] is True, "the earthquake feed watcher runs in the triggerer"
    env = {e["name"]: e["value"] for e in values["env"]}
    from lake.settings import Settings

    settings = Settings(home="/tmp/x", **{k.removeprefix("SARLAKE_").lower(): v for k, v in env.items()
                                           if k.startswith("SARLAKE_") and "__" not in k})
    assert settings.runner == "kubernetes" and settings.products_root.startswith("s3://")
    # the dbt docs view under Browse reads the site where the catalog DAG publishes it for this warehouse
    import json

    from lake.catalogue_store import docs_uri
    from sarlake_plugins.catalog import DOCS_NAME

    docs = json.loads(env["AIRFLOW__COSMOS__DBT_DOCS_PROJECTS"])["sarlake"]
    assert docs["dir"] == docs_uri(Settings(home="/tmp/x", warehouse=env["SARLAKE_WAREHOUSE"]))
    assert docs["name"] == DOCS_NAME
    # no credential in the values: secrets are referenced by name only
    text = (DEPLOY / "helm" / "values.yaml").read_text()
    assert not re.search(r"(?i)(password|secret_access_key|access_key_id|fernetKey|apiSecretKey|jwtSecret)\s*:\s*\S",
                         re.sub(r"(?m)^\s*#.*$", "", text).replace("SecretName:", "SecretName_ref:"))
    assert "secretRef" in values["extraEnvFrom"]


def test_every_component_that_reaches_the_lake_has_a_cloud_role_and_the_pge_pods_their_account():
    """Only the workers had an IRSA role: under IRSA the browse app and tags API (API server) and the feed watcher
    (triggerer) had no credentials, and the PGE pods' service account (sarlake-pge) existed nowhere."""
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    role = re.compile(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+")
    for component in ("workers", "apiServer", "triggerer"):
        account = values[component]["serviceAccount"]
        assert account["create"] is True, component
        assert role.fullmatch(account["annotations"]["eks.amazonaws.com/role-arn"]), component
    pge = yaml.safe_load((DEPLOY / "k8s" / "pge-service-account.yaml").read_text())
    env = {e["name"]: e["value"] for e in values["env"]}
    from lake.settings import KubernetesSettings, Settings
    from sarlake_plugins.pod import pod_spec

    assert pge["kind"] == "ServiceAccount"
    assert pge["metadata"]["namespace"] == env["SARLAKE_K8S__NAMESPACE"]
    assert role.fullmatch(pge["metadata"]["annotations"]["eks.amazonaws.com/role-arn"])
    kube = KubernetesSettings(image=env["SARLAKE_K8S__IMAGE"], namespace=env["SARLAKE_K8S__NAMESPACE"])
    settings = Settings(home="/tmp/x", runner="kubernetes", warehouse=env["SARLAKE_WAREHOUSE"],
                        products_root=env["SARLAKE_PRODUCTS_ROOT"], archive_root=env["SARLAKE_ARCHIVE_ROOT"], k8s=kube)
    spec = pod_spec("unwrap", settings)  # what the pods ask for, as the settings the values give make it
    assert (spec["namespace"], spec["service_account_name"]) == (pge["metadata"]["namespace"], pge["metadata"]["name"])


def test_task_logs_outlive_the_worker_pods_in_s3(s3_server, tmp_path):
    """The KubernetesExecutor deletes a worker pod when its task ends, and the task's log went with it: the values
    had no remote logging, so a finished task's log was gone from the UI. Truth: Airflow's own remote log IO, made
    from the values' [logging] section, ships a log to S3 (moto) and reads it back."""
    import json
    from urllib.parse import urlparse

    import boto3

    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    assert values["config"]["kubernetes_executor"]["delete_worker_pods"] == "True"
    logging = values["config"]["logging"]
    folder = urlparse(logging["remote_base_log_folder"])
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=folder.netloc)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SARLAKE_", "AWS_"))}
    env.update({f"AIRFLOW__LOGGING__{k.upper()}": str(v) for k, v in logging.items()})
    conn = {"conn_type": "aws", "extra": {"endpoint_url": s3_server, "region_name": "us-east-1"}}
    env.update({"AIRFLOW_HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                f"AIRFLOW_CONN_{logging['remote_log_conn_id'].upper()}": json.dumps(conn)})
    relative = "dag_id=forward/run_id=manual__1/task_id=make_products/attempt=1.log"
    local = tmp_path / "logs" / relative
    local.parent.mkdir(parents=True)
    local.write_text("PGE pod pge-interferogram: 12 products published\n")
    probe = ("import json\n"
             "from airflow.config_templates.airflow_local_settings import REMOTE_TASK_LOG as remote\n"
             f"remote.upload(remote.base_log_folder / {relative!r})\n"
             f"print(json.dumps(remote.read({relative!r}, None)[1]))\n")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == ["PGE pod pge-interferogram: 12 products published\n"]
    assert not local.exists(), "delete_local_logs: the worker's copy goes once shipped"
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=folder.netloc, Prefix=folder.path.lstrip("/"))["Contents"]]
    assert keys == [f"{folder.path.lstrip('/')}/{relative}"]


def test_the_mlflow_server_answers_at_the_tracking_uri_the_values_give(tmp_path):
    """No manifest ran the MLflow server SARLAKE_MLFLOW_TRACKING_URI names, the values left the artifacts in a local
    folder that qa_train refuses for pods, and MLflow 3 refuses an API request whose Host it does not allow (only
    localhost and IP addresses by default): every call to http://mlflow.sarlake.svc:5000 answered "Invalid Host
    header". Truth: a real ``mlflow server`` started with the manifest's arguments (a local backend and folder)."""
    import signal
    import socket
    import time
    import urllib.error
    import urllib.request
    from urllib.parse import urlparse

    docs = {d["kind"]: d for d in yaml.safe_load_all((DEPLOY / "k8s" / "mlflow.yaml").read_text())}
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    env = {e["name"]: e["value"] for e in values["env"]}
    uri = urlparse(env["SARLAKE_MLFLOW_TRACKING_URI"])
    service, pod = docs["Service"]["metadata"], docs["Deployment"]["spec"]["template"]["spec"]
    assert uri.hostname == f"{service['name']}.{service['namespace']}.svc"
    assert uri.port == docs["Service"]["spec"]["ports"][0]["port"]
    assert pod["serviceAccountName"] == docs["ServiceAccount"]["metadata"]["name"]
    assert "eks.amazonaws.com/role-arn" in docs["ServiceAccount"]["metadata"]["annotations"]
    (container,) = pod["containers"]
    args: dict[str, str | None] = {}
    given = iter(container["args"])
    for option in given:
        args[option] = None if option == "--serve-artifacts" else next(given)  # the one flag without a value
    assert args["--artifacts-destination"] == env["SARLAKE_MLFLOW_ARTIFACT_ROOT"]
    assert env["SARLAKE_MLFLOW_ARTIFACT_ROOT"].startswith("s3://"), "the train and qa pods cannot reach a folder"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    local = {"--backend-store-uri": f"sqlite:///{tmp_path / 'mlflow.db'}", "--artifacts-destination": str(tmp_path),
             "--host": "127.0.0.1", "--port": str(port), "--workers": "1"}
    argv = [str(a) for k, v in args.items() for a in (k, local.get(k, v)) if a is not None]
    server = subprocess.Popen([str(Path(sys.executable).parent / "mlflow"), "server", *argv],
                              env={**os.environ, "DO_NOT_TRACK": "true"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)

    def get(host: str) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=1",
                                         headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-3000:]
                time.sleep(0.5)
        status, body = get(uri.netloc)
        assert status == 200, body
        assert "experiments" in json.loads(body)
        status, body = get("rebinding.example:5000")  # the check is on: the list above is what lets pods in
        assert status >= 400
        assert "Invalid Host header" in body
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_no_usage_data_leaves_the_machine_from_make_or_either_image():
    """MLflow (client, server, UI), dbt and Cosmos each send usage data by default; DO_NOT_TRACK turns all off.

    The truth is each tool's own switch, read in a fresh process with the environment `make` and the images give.
    """
    exported = re.search(r"^export DO_NOT_TRACK \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert exported, "the Makefile must export DO_NOT_TRACK to everything it starts (make up, demo, test)"
    for image in ("pge.Dockerfile", "airflow.Dockerfile"):
        env = " ".join(rest for word, rest in _instructions(DEPLOY / image) if word == "ENV")
        assert "DO_NOT_TRACK=true" in env.split(), image
    probe = ("from mlflow.telemetry.utils import is_telemetry_disabled\n"
             "from cosmos.telemetry import should_emit\n"
             "from dbt.cli.flags import Flags\n"
             "from dbt.cli.main import cli\n"
             "args = ['parse', '--project-dir', 'models', '--profiles-dir', 'models']\n"
             "ctx = cli.commands['parse'].make_context('parse', args[1:], parent=cli.make_context('dbt', args))\n"
             "print(is_telemetry_disabled(), should_emit(), Flags(ctx).SEND_ANONYMOUS_USAGE_STATS)\n")
    base = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK", "CI", "PYTEST_CURRENT_TEST")}
    def switches(**env: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", probe], env={**base, **env}, cwd=ROOT, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.splitlines()[-1].split()  # (Airflow may warn on stdout before)

    # each tool's own switch: usage data on without it (so the probe can fail), off with what make exports
    assert switches()[1:] == ["True", "True"]
    assert switches(DO_NOT_TRACK=exported.group(1)) == ["True", "False", "False"]


def _copied(image: str, final_stage: bool = False) -> list[tuple[str, str]]:
    """(source, destination) of each COPY of the build context (not ``--from`` another image) in ``image``; with
    ``final_stage``, of its last stage only (what is put in the image's own folders)."""
    pairs: list[tuple[str, str]] = []
    for word, rest in _instructions(DEPLOY / image):
        args = [a for a in rest.split() if not a.startswith("--")]
        if word == "FROM" and final_stage:
            pairs = []
        if word == "COPY" and not any(a.startswith("--from") for a in rest.split()):
            pairs += [(src, args[-1]) for src in args[:-1]]
    return pairs


def test_each_image_copies_every_package_of_the_wheel() -> None:
    """A package missing from the build context is left out of the wheel without a word (hatchling's
    ``packages``): the Airflow image had no ``expectations``, so the quality_gate DAG could not import its suites."""
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"][
        "packages"]
    for image in ("pge.Dockerfile", "airflow.Dockerfile"):
        copied = {src.rstrip("/") for src, _ in _copied(image)}
        assert set(packages) <= copied, f"{image} leaves out {sorted(set(packages) - copied)}"


def test_the_airflow_images_tree_renders_the_catalog_dag_and_finds_the_quality_suites(tmp_path) -> None:
    """The Airflow image rebuilt as a folder: only what its COPY lines put in its WORKDIR (less .dockerignore's
    build outputs), first on sys.path as its editable install puts it, then its own RUN that writes the dbt
    manifest. The catalog DAG then renders from that tree, and the GX suites import from it: before, the image had
    no models/ (the DAG failed to import) and no expectations/."""
    import shutil

    tree = tmp_path / "opt-sarlake"
    tree.mkdir()
    for src, dest in _copied("airflow.Dockerfile", final_stage=True):
        if dest.startswith("/"):  # dags/ and plugins/ go to Airflow's own folders
            continue
        source = ROOT / src
        if source.is_dir():
            shutil.copytree(source, tree / src, ignore=shutil.ignore_patterns("target", "logs", "__pycache__",
                                                                                 "node_modules"))
        else:
            shutil.copy(source, tree / src)
    assert not (tree / "models" / "target").exists()
    runs = " ".join(rest for word, rest in _instructions(DEPLOY / "airflow.Dockerfile") if word == "RUN")
    manifest_code = re.search(r'python -c "([^"]*write_manifest[^"]*)"', runs)
    assert manifest_code, "the image must write the dbt manifest at build"
    probe = (
        f"{manifest_code.group(1)}\n"
        "import sys, expectations.products, sarlake_plugins.catalog as c\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(ROOT / 'dags' / 'catalog.py')!r})\n"
        "print(bag.import_errors or sorted(bag.dags))\n"
        "print(c.MANIFEST)\n"
        "print(expectations.products.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tree), "SARLAKE_HOME": str(tmp_path / "build-home")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    dags, manifest, suites = done.stdout.strip().splitlines()[-3:]
    assert dags == "['catalog']"
    assert Path(manifest) == tree / "models" / "target" / "manifest.json"
    assert Path(manifest).is_file()
    assert Path(suites) == tree / "expectations" / "products.py"


def test_the_airflow_image_installs_the_browse_assets_from_the_lock_where_the_plugin_serves_them() -> None:
    """The image copied ``sarlake_plugins/`` only: Leaflet and the Data Docs pages' scripts were in it only if the
    build context happened to hold a checkout's ``node_modules`` (which ``.dockerignore`` now leaves out)."""
    from sarlake_plugins.browse import datadocs

    steps = _instructions(DEPLOY / "airflow.Dockerfile")
    stage = next(rest for word, rest in steps if word == "FROM" and rest.endswith(" AS browse-assets"))
    assert re.fullmatch(r"node:\d+-bookworm-slim AS browse-assets", stage)
    copied = " ".join(rest for word, rest in steps if word == "COPY")
    for name in ("package.json", "package-lock.json", ".npmrc"):
        assert f"sarlake_plugins/browse/vendor/{name}" in copied
        assert (ROOT / "sarlake_plugins" / "browse" / "vendor" / name).is_file()
    assert "npm ci" in " ".join(rest for word, rest in steps if word == "RUN")  # the lock, as it is
    workdir = [rest for word, rest in steps if word == "WORKDIR"][-1]
    served = datadocs.NODE_MODULES.relative_to(ROOT).as_posix()
    assert f"--from=browse-assets --chown=airflow:0 /vendor/node_modules {served}" in copied
    assert workdir == "/opt/sarlake"
    assert "sarlake_plugins/browse/vendor/node_modules" in (ROOT / ".dockerignore").read_text().splitlines()
