"""The archive roll against a simulated DAAC: deliveries, failures and retries, bad input, crashes.

Truth is independent of the roll: the bytes each test writes (and their sha256 computed here), the DAAC's
own ledger of what it ingested, and the files on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

LATER = datetime.now(UTC) + timedelta(days=40)  # past the 30-day hot retention


def _make_products(settings, n: int, statuses: dict[int, str] | None = None) -> dict[str, dict[str, bytes]]:
    """Write ``n`` small products (two data files, a browse, a met.json) and catalogue them."""
    from lake.write import upsert

    truth: dict[str, dict[str, bytes]] = {}
    rows = []
    for i in range(n):
        pid = f"S1-GUNW-A-R-044-tops-2024{i:04d}"
        folder = Path(settings.products_root) / pid
        (folder / "aux").mkdir(parents=True)
        files = {"unw.tif": os.urandom(2000 + i), "aux/coh.tif": os.urandom(1000), "browse.png": os.urandom(300)}
        assets = {}
        for name, data in files.items():
            (folder / name).write_bytes(data)
            assets[name] = {"href": name, "sarlake:sha256": hashlib.sha256(data).hexdigest(), "file:size": len(data)}
        met = json.dumps({"id": pid, "assets": assets}).encode()
        (folder / f"{pid}.met.json").write_bytes(met)
        files[f"{pid}.met.json"] = met
        truth[pid] = files
        rows.append({"product_id": pid, "product_type": "L2_IFG", "version": "1",
                     "start_time": datetime(2024, 1, 1 + i % 27, tzinfo=UTC), "uri": str(folder),
                     "met_uri": str(folder / f"{pid}.met.json"), "assets": json.dumps(assets),
                     "status": (statuses or {}).get(i, "published")})
    upsert("products", rows, settings)
    return truth


def _at_archive(settings, pid: str, version: str = "1") -> Path:
    """A version's archive folder: ``<type>/<id>-v<version>`` (dots as ``_``, as PGE ids write versions)."""
    return Path(settings.daac.root) / "L2_IFG" / f"{pid}-v{version.replace('.', '_')}"


def _products(settings) -> dict[str, dict]:
    from lake.catalog import load_table

    return {r["product_id"]: r for r in load_table("products", settings).scan().to_arrow().to_pylist()}


def _steps(settings) -> list[dict]:
    from lake.catalog import load_table

    return load_table("archive_transfers", settings).scan().to_arrow().to_pylist()


def _assert_archived(settings, truth: dict[str, dict[str, bytes]], pid: str) -> None:
    row = _products(settings)[pid]
    assert row["tier"] == "archive"
    assert row["uri"] == str(_at_archive(settings, pid))
    assert row["met_uri"] == str(Path(row["uri"]) / f"{pid}.met.json")
    for name, data in truth[pid].items():
        assert (Path(row["uri"]) / name).read_bytes() == data
    assert not (Path(settings.products_root) / pid).exists()


def _assert_hot(settings, truth: dict[str, dict[str, bytes]], pid: str) -> None:
    row = _products(settings)[pid]
    assert row["tier"] == "hot"  # new rows are hot, never null (lake.tables defaults)
    assert row["uri"] == str(Path(settings.products_root) / pid)
    for name, data in truth[pid].items():
        assert (Path(row["uri"]) / name).read_bytes() == data


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings


@pytest.fixture
def daac(lake, tmp_path):
    from sarlake.workflows.daac_simulator import SimulatedDaac

    return SimulatedDaac(tmp_path / "daac-state", lake, fail_first={"S1-GUNW-A-R-044-tops-20240002"})


def test_roll_delivers_retries_and_skips_quarantined(lake, daac) -> None:
    from lake.archive_roll import run_roll

    truth = _make_products(lake, 5, statuses={4: "quarantined"})
    run_roll(lake, now=LATER)
    outbox = sorted(p.name for p in Path(lake.daac.outbox).glob("*.json"))
    assert outbox == [f"S1-GUNW-A-R-044-tops-2024{i:04d}.v1.a1.json" for i in range(4)]
    from lake.cnm import validate_cnm_s

    for name in outbox:
        validate_cnm_s(json.loads((Path(lake.daac.outbox) / name).read_text()))
    cnm = json.loads((Path(lake.daac.outbox) / outbox[0]).read_text())
    assert cnm["collection"] == "SARLAKE_L2_IFG" and cnm["product"]["dataVersion"] == "1"
    by_name = {f["name"]: f for f in cnm["product"]["files"]}
    pid0 = "S1-GUNW-A-R-044-tops-20240000"
    assert by_name["unw.tif"]["checksum"] == hashlib.sha256(truth[pid0]["unw.tif"]).hexdigest()
    assert by_name["unw.tif"]["size"] == len(truth[pid0]["unw.tif"])
    assert {f["type"] for f in cnm["product"]["files"]} == {"data", "browse", "metadata"}
    for i in range(5):  # nothing leaves the hot lake before the DAAC answers
        _assert_hot(lake, truth, f"S1-GUNW-A-R-044-tops-2024{i:04d}")

    answered = daac.serve_folder()
    assert (answered.success, answered.codes) == (3, {"PROCESSING_ERROR": 1})
    run_roll(lake, now=LATER)
    for i in (0, 1, 3):
        _assert_archived(lake, truth, f"S1-GUNW-A-R-044-tops-2024{i:04d}")
    for i in (2, 4):
        _assert_hot(lake, truth, f"S1-GUNW-A-R-044-tops-2024{i:04d}")
    failed = [r for r in _steps(lake) if r["step"] == "failed"]
    assert len(failed) == 1 and failed[0]["error_code"] == "PROCESSING_ERROR"
    assert failed[0]["next_attempt_at"] > LATER  # backs off

    run_roll(lake, now=LATER)  # before the back-off has passed: no new attempt
    assert not list(Path(lake.daac.outbox).glob("*.json"))
    run_roll(lake, now=LATER + timedelta(hours=1))
    assert [p.name for p in Path(lake.daac.outbox).glob("*.json")] == ["S1-GUNW-A-R-044-tops-20240002.v1.a2.json"]
    daac.serve_folder()
    run_roll(lake, now=LATER + timedelta(hours=1))
    _assert_archived(lake, truth, "S1-GUNW-A-R-044-tops-20240002")
    _assert_hot(lake, truth, "S1-GUNW-A-R-044-tops-20240004")  # quarantined: never delivered
    ingested = daac.ingested()
    assert sorted(e["product"] for e in ingested) == [f"S1-GUNW-A-R-044-tops-2024{i:04d}" for i in range(4)]
    assert not any(e["repeat"] for e in ingested)
    steps = {(r["transfer_id"], r["step"]) for r in _steps(lake)}
    for step in ("selected", "copied", "verified", "notified", "acknowledged", "catalogued", "hot_deleted"):
        assert ("S1-GUNW-A-R-044-tops-20240002.v1.a2", step) in steps

    from click.testing import CliRunner

    from sarlake.cli import cli

    retried, quarantined = "S1-GUNW-A-R-044-tops-20240002", "S1-GUNW-A-R-044-tops-20240004"
    one = CliRunner().invoke(cli, ["archive", "status", retried, quarantined, "--json"])
    assert one.exit_code == 0, one.output
    attempts = json.loads(one.output)
    assert [(a["transfer_id"], a["step"], a["archive_folder"]) for a in attempts["attempts"]] == [
        (f"{retried}.v1.a1", "failed", str(_at_archive(lake, retried))),
        (f"{retried}.v1.a2", "hot_deleted", str(_at_archive(lake, retried)))]
    assert attempts["attempts"][0]["reason"].startswith("DAAC answered FAILURE PROCESSING_ERROR")
    assert attempts["never_delivered"] == [quarantined]
    text = CliRunner().invoke(cli, ["archive", "status", quarantined]).output
    assert text == f"{quarantined}: no delivery attempt (not yet selected by the roll, or not a product id)\n"


def test_bad_input_is_recorded_and_the_roll_carries_on(lake, daac, tmp_path: Path) -> None:
    from lake.archive_roll import run_step

    truth = _make_products(lake, 4)
    gone, corrupt = "S1-GUNW-A-R-044-tops-20240000", "S1-GUNW-A-R-044-tops-20240001"
    import shutil

    shutil.rmtree(Path(lake.products_root) / gone)  # hot files vanished
    run_step("select", lake, now=LATER)
    run_step("copy", lake, now=LATER)
    archived = _at_archive(lake, corrupt) / "unw.tif"
    archived.write_bytes(b"bit rot" + archived.read_bytes()[7:])  # the archive changed the bytes
    run_step("verify", lake, now=LATER)
    run_step("notify", lake, now=LATER)
    inbox = Path(lake.daac.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "000-unknown.json").write_text(json.dumps(
        {"identifier": "NO-SUCH-PRODUCT.v1.a1", "response": {"status": "SUCCESS"}}))
    (inbox / "001-malformed.json").write_text('{"identifier": "x", "response": {"status": "MAYBE"}')
    (inbox / "002-no-code.json").write_text(json.dumps({"identifier": "y", "response": {"status": "FAILURE"}}))
    daac.serve_folder()
    for step in ("receive", "catalogue", "expire"):
        run_step(step, lake, now=LATER)
    rows = _steps(lake)
    reasons = {r["step"]: [] for r in rows}
    for r in rows:
        reasons[r["step"]].append(r["reason"] or "")
    assert any("hot files vanished" in x for x in reasons["failed"])
    assert any("checksum mismatch at the archive" in x and "unw.tif" in x for x in reasons["failed"])
    assert any("unknown delivery 'NO-SUCH-PRODUCT.v1.a1'" in x for x in reasons["cnm_r_unknown"])
    assert len(reasons["cnm_r_malformed"]) == 2
    assert any("not JSON" in x for x in reasons["cnm_r_malformed"])
    assert any("errorCode" in x for x in reasons["cnm_r_malformed"])
    _assert_hot(lake, truth, corrupt)
    assert _products(lake)[gone]["tier"] == "hot"  # catalogue untouched
    assert not _at_archive(lake, corrupt).exists()  # the bad archive copy was discarded
    _assert_hot(lake, truth, "S1-GUNW-A-R-044-tops-20240002")  # the DAAC refused it (fail_first)
    _assert_archived(lake, truth, "S1-GUNW-A-R-044-tops-20240003")
    assert not list(inbox.glob("*.json"))  # every message consumed


def test_a_hot_file_that_differs_from_its_catalogued_checksum_is_never_delivered(lake, daac) -> None:
    """The copy does not hash the source; the archive copy's re-read against the catalogue must catch it."""
    from lake.archive_roll import run_roll

    truth = _make_products(lake, 2)
    bad = "S1-GUNW-A-R-044-tops-20240001"
    hot_file = Path(lake.products_root) / bad / "unw.tif"
    rotted = b"rot" + truth[bad]["unw.tif"][3:]
    hot_file.write_bytes(rotted)  # same size, different bytes: only the sha256 can tell
    run_roll(lake, now=LATER)
    failed = [r for r in _steps(lake) if r["step"] == "failed"]
    assert len(failed) == 1 and failed[0]["product_id"] == bad and failed[0]["failed_step"] == "verify"
    assert f"hot file {hot_file} does not match its catalogued sha256" in failed[0]["reason"]
    assert not _at_archive(lake, bad).exists()  # the archive copy was discarded
    assert hot_file.read_bytes() == rotted  # the hot copy is left as it is, for the operator
    assert [p.name for p in Path(lake.daac.outbox).glob("*.json")] == ["S1-GUNW-A-R-044-tops-20240000.v1.a1.json"]
    daac.serve_folder()
    run_roll(lake, now=LATER)
    _assert_archived(lake, truth, "S1-GUNW-A-R-044-tops-20240000")
    assert _products(lake)[bad]["tier"] == "hot"
    assert [e["product"] for e in daac.ingested()] == ["S1-GUNW-A-R-044-tops-20240000"]


def test_an_archive_that_refuses_writes_keeps_products_hot(lake, daac, tmp_path: Path, monkeypatch) -> None:
    from lake.archive_roll import run_roll
    from lake.settings import get_settings

    blocked = tmp_path / "archive-is-a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("SARLAKE_DAAC__ROOT", str(blocked))
    settings = get_settings()
    truth = _make_products(settings, 2)
    run_roll(settings, now=LATER)
    failed = [r for r in _steps(settings) if r["step"] == "failed"]
    assert len(failed) == 2 and all("archive refused the write" in r["reason"] for r in failed)
    for pid in truth:
        _assert_hot(settings, truth, pid)
    assert not list(Path(settings.daac.outbox).glob("*.json"))


def _roll_until_done(settings, daac, rounds: int = 4, by_step: bool = False) -> None:
    """Roll ``rounds`` times, the DAAC answering after each; ``by_step`` runs each step on its own (the DAG's way)."""
    from lake.archive_roll import ROLL_STEPS, run_roll, run_step

    def roll() -> None:
        if by_step:
            for step in ROLL_STEPS:
                run_step(step, settings, now=LATER)
        else:
            run_roll(settings, now=LATER)

    for _ in range(rounds):
        roll()
        daac.serve_folder()
    roll()


@pytest.mark.parametrize("step", ["select", "copy", "verify", "notify", "receive", "catalogue", "expire"])
def test_a_roll_killed_between_or_inside_any_step_completes_on_rerun(lake, tmp_path, step, monkeypatch) -> None:
    """Crash after the step acted but before it recorded (the worst place), then run the roll again."""
    import lake.archive_roll as roll
    from lake import archive_step
    from sarlake.workflows.daac_simulator import SimulatedDaac

    daac = SimulatedDaac(tmp_path / "daac-state", lake)
    truth = _make_products(lake, 3)

    class Killed(BaseException):
        pass

    def crash(name: str) -> None:
        if name == f"{step}:before-record":
            raise Killed(name)

    monkeypatch.setattr(archive_step, "failpoint", crash)
    with pytest.raises(Killed):
        for _ in range(3):
            roll.run_roll(lake, now=LATER)
            daac.serve_folder()
    monkeypatch.undo()
    _roll_until_done(lake, daac)
    for pid in truth:
        _assert_archived(lake, truth, pid)
    ingested = daac.ingested()
    assert sorted(e["product"] for e in ingested) == sorted(truth)  # each product version once
    assert not any(e["repeat"] for e in ingested)


@pytest.mark.parametrize("crash_at", ["before-record", "ack"])
def test_a_roll_killed_while_hearing_a_refusal_leaves_no_refused_copy_at_the_archive(lake, daac, crash_at,
                                                                                     monkeypatch) -> None:
    """The receive step recorded the DAAC's FAILURE, then acknowledged the message, then deleted the refused copy:
    killed before the delete, the failed transfer's files stayed at the archive, reported by `archive verify` as
    orphans that no delivery put there until a retry rewrote them (for good once the attempts ran out)."""
    import lake.archive_roll as roll
    from lake import archive_step
    from lake.archive_roll import run_roll
    from lake.archive_verify import verify_archive
    from lake.cnm_transport import get_transport

    truth = _make_products(lake, 3)
    refused = "S1-GUNW-A-R-044-tops-20240002"  # the daac fixture refuses its first attempt
    roll.run_roll(lake, now=LATER)
    daac.serve_folder()

    class Killed(BaseException):
        pass

    def crash(*_args) -> None:
        raise Killed

    transport = get_transport(lake)
    if crash_at == "ack":
        monkeypatch.setattr(transport, "ack", crash)
    else:
        monkeypatch.setattr(archive_step, "failpoint",
                            lambda name: crash() if name == "receive:before-record" else None)
    with pytest.raises(Killed):
        roll.run_roll(lake, transport=transport, now=LATER)
    monkeypatch.undo()
    # no orphan: a roll finishes them (transfers still waiting for the DAAC's answer are in flight, no finding)
    assert {f.kind for f in verify_archive(lake)} <= {"unfinished_transfer"}
    if crash_at == "ack":  # the refusal is recorded, so its copy must be gone
        assert _files(_at_archive(lake, refused)) == []

    run_roll(lake, now=LATER)  # hears the refusal again if it was not recorded
    for pid in truth:
        if pid != refused:
            _assert_archived(lake, truth, pid)
    assert _files(_at_archive(lake, refused)) == []
    assert verify_archive(lake) == []
    run_roll(lake, now=LATER + timedelta(hours=1))  # the back-off has passed: the second attempt
    daac.serve_folder()
    run_roll(lake, now=LATER + timedelta(hours=1))
    _assert_archived(lake, truth, refused)
    (failed,) = [s for s in _steps(lake) if s["step"] == "failed"]
    assert (failed["product_id"], failed["attempt"], failed["error_code"]) == (refused, 1, "PROCESSING_ERROR")


@pytest.mark.slow
def test_kill_9_mid_copy_then_rerun(lake, tmp_path) -> None:
    from sarlake.workflows.daac_simulator import SimulatedDaac

    truth = _make_products(lake, 3)
    script = ("from datetime import datetime; from lake.archive_roll import run_roll; "
              f"run_roll(now=datetime.fromisoformat({LATER.isoformat()!r}))")
    env = {**os.environ, "SARLAKE_ROLL_FAILPOINT": "copy:after-file"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    archive = Path(lake.daac.root)
    copied = [p for p in archive.rglob("*") if p.is_file() and not p.name.endswith(".partial")]
    assert 1 <= len(copied) < 12  # killed after the first file, before all 3 x 4 files were copied
    daac = SimulatedDaac(tmp_path / "daac-state", lake)
    _roll_until_done(lake, daac)
    for pid in truth:
        _assert_archived(lake, truth, pid)
    assert not list(archive.rglob(".*.partial"))
    assert sorted(e["product"] for e in daac.ingested()) == sorted(truth)


def test_restore_brings_products_back_for_a_while_then_expires(lake, tmp_path) -> None:
    from click.testing import CliRunner

    from lake.archive_cache import expire_cache, restore
    from sarlake.cli import cli
    from sarlake.workflows.daac_simulator import SimulatedDaac

    truth = _make_products(lake, 2)
    _roll_until_done(lake, SimulatedDaac(tmp_path / "daac-state", lake))
    pid, other = sorted(truth)
    runner = CliRunner()
    asked = datetime.now(UTC)
    result = runner.invoke(cli, ["archive", "restore", pid, "--ttl-days", "1"])
    answered = datetime.now(UTC)
    assert result.exit_code == 0, result.output
    # `products show` says until when, in UTC: one day (--ttl-days 1) after the restore, to the minute
    shown = runner.invoke(cli, ["products", "show", pid]).output
    until = re.search(r"tier +cached until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", shown)
    assert until, shown
    expires = datetime.strptime(until.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert asked + timedelta(days=1, minutes=-1) < expires <= answered + timedelta(days=1)
    row = _products(lake)[pid]
    assert row["tier"] == "cached" and row["uri"] == str(Path(lake.products_root) / pid)
    for name, data in truth[pid].items():
        assert (Path(lake.products_root) / pid / name).read_bytes() == data
        assert (_at_archive(lake, pid) / name).read_bytes() == data  # archive untouched
    assert _products(lake)[other]["tier"] == "archive"
    from lake.archive_roll import run_roll

    run_roll(lake, now=LATER)  # a cached product is not delivered again
    assert not list(Path(lake.daac.outbox).glob("*.json"))
    assert expire_cache(lake).done == []  # not yet
    assert expire_cache(lake, now=datetime.now(UTC) + timedelta(days=2)).done == [pid]
    _assert_archived(lake, truth, pid)
    assert restore([pid], settings=lake).done == [pid]  # again, from the archive
    bad = runner.invoke(cli, ["archive", "restore", "NO-SUCH"])
    assert bad.exit_code == 2 and "not in the catalogue: NO-SUCH" in bad.output
    status = runner.invoke(cli, ["archive", "status", "--json"])
    assert json.loads(status.output)["counts"] == {"hot_deleted": 2}


def test_archive_verify_finds_what_went_wrong_and_nothing_else(lake, tmp_path) -> None:
    from click.testing import CliRunner

    from lake.archive_roll import run_step
    from lake.archive_verify import verify_archive
    from sarlake.cli import cli
    from sarlake.workflows.daac_simulator import SimulatedDaac

    truth = _make_products(lake, 3)
    daac = SimulatedDaac(tmp_path / "daac-state", lake)
    _roll_until_done(lake, daac)
    assert verify_archive(lake) == []
    assert CliRunner().invoke(cli, ["archive", "verify"]).exit_code == 0
    a, b, c = sorted(truth)
    (_at_archive(lake, a) / "unw.tif").write_bytes(b"rot" + (_at_archive(lake, a) / "unw.tif").read_bytes()[3:])
    (_at_archive(lake, b) / "browse.png").unlink()
    (_at_archive(lake, c) / "stray.tif").write_bytes(b"x")
    kinds = sorted((f.kind, f.product_id, Path(f.path).name) for f in verify_archive(lake))
    assert kinds == [("archive_checksum_mismatch", a, "unw.tif"), ("archive_missing_file", b, "browse.png"),
                     ("archive_orphan", None, "stray.tif")]
    result = CliRunner().invoke(cli, ["archive", "verify", "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["consistent"] is False

    more = _make_products_named(lake, "S1-GUNW-D-R-100-tops-20250101")
    run_step("select", lake, now=LATER)
    run_step("copy", lake, now=LATER)  # ... and the roll dies here
    unfinished = [f for f in verify_archive(lake) if f.kind == "unfinished_transfer"]
    assert [f.product_id for f in unfinished] == [more]
    orphans = [f for f in verify_archive(lake) if f.kind == "archive_orphan"]
    assert not [f for f in orphans if more in (f.path or "")]


def _make_products_named(settings, pid: str) -> str:
    from lake.write import upsert

    folder = Path(settings.products_root) / pid
    folder.mkdir(parents=True)
    (folder / "unw.tif").write_bytes(os.urandom(500))
    (folder / f"{pid}.met.json").write_text("{}")
    upsert("products", [{"product_id": pid, "product_type": "L2_IFG", "uri": str(folder), "version": "1",
                         "start_time": datetime(2025, 1, 1, tzinfo=UTC)}], settings)
    return pid


def test_roll_over_sns_and_sqs_through_the_amazon_provider(lake, tmp_path, monkeypatch) -> None:
    """Production transport: CNM-S to an SNS topic, CNM-R from an SQS queue (moto), clients from Airflow hooks."""
    moto = pytest.importorskip("moto")
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1",
                       "AIRFLOW_CONN_AWS_DEFAULT": json.dumps({"conn_type": "aws",
                                                               "extra": {"region_name": "us-east-1"}})}.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        import boto3

        sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="sarlake-cnm")["TopicArn"]
        requests = sqs.create_queue(QueueName="daac-requests")["QueueUrl"]
        responses = sqs.create_queue(QueueName="sarlake-cnm-r")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=requests, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        monkeypatch.setenv("SARLAKE_DAAC__TRANSPORT", "sns_sqs")
        monkeypatch.setenv("SARLAKE_DAAC__SNS_TOPIC_ARN", topic)
        monkeypatch.setenv("SARLAKE_DAAC__SQS_QUEUE_URL", responses)
        from airflow.sdk.exceptions import AirflowSkipException

        from lake.archive_roll import ROLL_STEPS
        from lake.cnm_transport import SnsSqsTransport
        from lake.settings import get_settings
        from sarlake.workflows.daac_simulator import SimulatedDaac
        from sarlake_plugins.archive import roll_step, transport

        settings = get_settings()
        assert isinstance(transport(), SnsSqsTransport)
        truth = _make_products(settings, 3)
        daac = SimulatedDaac(tmp_path / "daac-state", settings, fail_first={"S1-GUNW-A-R-044-tops-20240001"})
        import lake.archive_roll as roll

        monkeypatch.setattr(roll, "datetime", _Later)  # the roll runs "40 days later" (hot retention passed)
        for _ in range(3):
            for step in ROLL_STEPS:
                with contextlib.suppress(AirflowSkipException):  # a step with nothing to do is skipped
                    roll_step(step)
            answered = daac.serve_queue(sqs, requests, responses)
            _Later.shift += timedelta(hours=1)  # past the back-off
        for step in ROLL_STEPS:
            with contextlib.suppress(AirflowSkipException):
                roll_step(step)
        for pid in truth:
            _assert_archived(settings, truth, pid)
        assert sorted(e["product"] for e in daac.ingested()) == sorted(truth)
        assert answered.success == 1  # the last round answered the retried delivery
        codes = [r["error_code"] for r in _steps(settings) if r["step"] == "failed"]
        assert codes == ["PROCESSING_ERROR"]


class _Later(datetime):
    shift = timedelta(days=40)

    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + cls.shift


def test_lake_verify_includes_the_archive_tier(lake, tmp_path) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli
    from sarlake.workflows.daac_simulator import SimulatedDaac

    truth = _make_products(lake, 1)
    _roll_until_done(lake, SimulatedDaac(tmp_path / "daac-state", lake))
    (pid,) = truth
    (_at_archive(lake, pid) / "browse.png").unlink()
    result = CliRunner().invoke(cli, ["lake", "verify", "--json"])
    assert result.exit_code == 1
    kinds = {(f["kind"], f["product_id"]) for f in json.loads(result.output)["findings"]}
    assert ("archive_missing_file", pid) in kinds


def _met(settings, pid: str, version: str, payload: bytes, folder: Path | None = None) -> Path:
    """A PGE-like product folder with a complete met.json (what ``catalogue_products`` reads)."""
    folder = folder or Path(settings.products_root) / pid
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "unw.tif").write_bytes(payload)
    doc = {"id": pid, "bbox": [14.4, 40.8, 14.5, 40.9],
           "geometry": {"type": "Point", "coordinates": [14.45, 40.85]},
           "properties": {"start_datetime": "2024-01-01T00:00:00Z", "end_datetime": "2024-01-13T00:00:00Z",
                          "sarlake:product_type": "L2_IFG", "sarlake:version": version},
           "assets": {"unw": {"href": "unw.tif", "sarlake:sha256": hashlib.sha256(payload).hexdigest()}},
           "provenance": {"pge_name": "interferogram", "pge_version": "0.1.0", "run_id": f"run-{version}",
                          "started_at": "2024-01-14T00:00:00Z"}}
    met = folder / f"{pid}.met.json"
    met.write_text(json.dumps(doc))
    return met


def _files(folder: Path) -> list[str]:
    return sorted(str(f.relative_to(folder)) for f in folder.rglob("*") if f.is_file()) if folder.exists() else []


def test_recataloguing_an_archived_product_keeps_its_archive_location(lake, tmp_path) -> None:
    """Catalogued again from where it is, an archived or cached product stays put; a new version is hot again."""
    import shutil

    from lake.archive_cache import restore
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products
    from sarlake.workflows.daac_simulator import SimulatedDaac

    pid = "S1-GUNW-A-R-044-tops-20240101"
    archive = _at_archive(lake, pid)
    met = _met(lake, pid, "1", b"v1 bytes")
    catalogue_products([str(met)], settings=lake)
    daac = SimulatedDaac(tmp_path / "daac-state", lake)
    _roll_until_done(lake, daac)
    assert _products(lake)[pid]["tier"] == "archive" and not met.exists()

    # A repair reads the archive's own met.json: nothing moves.
    catalogue_products([str(archive / f"{pid}.met.json")], settings=lake)
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"], row["met_uri"]) == ("archive", str(archive), str(archive / f"{pid}.met.json"))

    # A cached copy keeps its location and its expiry when catalogued again from it.
    assert restore([pid], settings=lake).done == [pid]
    expires = _products(lake)[pid]["cache_expires_at"]
    catalogue_products([str(Path(lake.products_root) / pid / f"{pid}.met.json")], settings=lake)
    row = _products(lake)[pid]
    assert (row["tier"], row["cache_expires_at"]) == ("cached", expires) and expires is not None
    assert verify_archive(lake) == []

    # A new version is a new delivery: hot at its new location, then rolled like any other.
    shutil.rmtree(Path(lake.products_root) / pid)
    catalogue_products([str(_met(lake, pid, "2", b"v2 bytes"))], settings=lake)
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"], row["version"]) == ("hot", str(Path(lake.products_root) / pid), "2")
    _roll_until_done(lake, daac)
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"]) == ("archive", str(_at_archive(lake, pid, "2")))
    assert (_at_archive(lake, pid, "2") / "unw.tif").read_bytes() == b"v2 bytes"
    assert (archive / "unw.tif").read_bytes() == b"v1 bytes"  # the DAAC keeps version 1 as it acknowledged it
    assert sorted(e["version"] for e in daac.ingested() if e["product"] == pid) == ["1", "2"]
    assert verify_archive(lake) == []


def test_a_product_made_again_at_its_archived_version_becomes_its_cached_copy(lake, tmp_path) -> None:
    """The forward DAG's reprocess over an archived product: one hot copy, the catalogue's, expiring like a restore.

    Before, the catalogue kept pointing at the archive and the new folder was a twin no row named.
    """
    from lake.archive_cache import expire_cache, restore
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products
    from sarlake.workflows.daac_simulator import SimulatedDaac

    pid = "S1-GUNW-A-R-044-tops-20240101"
    archive = _at_archive(lake, pid)
    hot = Path(lake.products_root) / "L2_IFG" / "vesuvius" / pid  # where the interferogram PGE publishes
    catalogue_products([str(_met(lake, pid, "1", b"v1 bytes", hot))], settings=lake)
    _roll_until_done(lake, SimulatedDaac(tmp_path / "daac-state", lake))
    assert _products(lake)[pid]["tier"] == "archive" and _files(hot) == []

    before = datetime.now(UTC)
    catalogue_products([str(_met(lake, pid, "1", b"v1 bytes", hot))], settings=lake)  # made again
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"], row["met_uri"]) == ("cached", str(hot), str(hot / f"{pid}.met.json"))
    ttl = timedelta(days=lake.daac.cache_ttl_days)
    assert before + ttl <= row["cache_expires_at"] <= datetime.now(UTC) + ttl
    assert verify_archive(lake) == []  # was: stale_hot_copy
    assert (archive / "unw.tif").read_bytes() == b"v1 bytes"
    restored = [s for s in _steps(lake) if s["step"] == "restored"]
    assert [(s["product_id"], s["hot_uri"]) for s in restored] == [(pid, str(hot))]
    assert "made again at the archived version by run run-1" in restored[0]["reason"]

    # It expires like a restored copy: the catalogue back at the archive, the hot folder gone.
    assert expire_cache(lake, now=datetime.now(UTC) + ttl + timedelta(hours=1)).done == [pid]
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"]) == ("archive", str(archive)) and _files(hot) == []

    # Made again beside a cached copy: the new one is the cache, the old one goes, the later expiry stays.
    assert restore([pid], ttl=timedelta(days=30), settings=lake).done == [pid]
    cache = Path(lake.products_root) / pid
    expires = _products(lake)[pid]["cache_expires_at"]
    assert _files(cache) == [f"{pid}.met.json", "unw.tif"]
    catalogue_products([str(_met(lake, pid, "1", b"v1 bytes", hot))], settings=lake)
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"], row["cache_expires_at"]) == ("cached", str(hot), expires)
    assert _files(cache) == [] and _files(hot) == [f"{pid}.met.json", "unw.tif"]
    assert verify_archive(lake) == []


def test_a_copy_made_while_its_delivery_finishes_goes_with_the_roll(lake, tmp_path) -> None:
    """Catalogued at the archive, hot copy not yet deleted: read from that folder, the archive location stays."""
    from lake.archive_roll import run_roll, run_step
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products
    from sarlake.workflows.daac_simulator import SimulatedDaac

    pid = "S1-GUNW-A-R-044-tops-20240101"
    met = _met(lake, pid, "1", b"v1 bytes")
    catalogue_products([str(met)], settings=lake)
    daac = SimulatedDaac(tmp_path / "daac-state", lake)
    for step in ("select", "copy", "verify", "notify"):
        run_step(step, lake, now=LATER)
    daac.serve_folder()
    run_step("receive", lake, now=LATER)
    run_step("catalogue", lake, now=LATER)  # ... the expire step has not run
    assert _products(lake)[pid]["tier"] == "archive" and met.exists()
    catalogue_products([str(met)], settings=lake)  # a catalogue task retried now
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"]) == ("archive", str(_at_archive(lake, pid)))
    run_roll(lake, now=LATER)
    assert not met.parent.exists() and verify_archive(lake) == []


def test_cli_roll_runs_the_whole_roll_in_one_process_and_chosen_steps_alone(lake, tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from lake.settings import get_settings
    from sarlake.cli import cli
    from sarlake.workflows.daac_simulator import SimulatedDaac

    monkeypatch.setenv("SARLAKE_DAAC__HOT_RETENTION_DAYS", "0")  # products made now are old enough
    settings = get_settings()
    truth = _make_products(settings, 2)
    chosen = CliRunner().invoke(cli, ["archive", "roll", "--step", "select"])
    assert chosen.exit_code == 0, chosen.output
    assert [line.split()[:3] for line in chosen.output.splitlines()] == [["select", "moved", "2"]]
    first = CliRunner().invoke(cli, ["archive", "roll"])
    assert first.exit_code == 0, first.output
    moved = {line.split()[0]: int(line.split()[2]) for line in first.output.splitlines()}
    assert moved == {"select": 0, "copy": 2, "verify": 2, "notify": 2, "receive": 0, "catalogue": 0, "expire": 0}
    SimulatedDaac(tmp_path / "daac-state", settings).serve_folder()
    second = CliRunner().invoke(cli, ["archive", "roll"])
    assert second.exit_code == 0, second.output
    for pid in truth:
        _assert_archived(settings, truth, pid)


def test_the_roll_uses_as_many_file_threads_as_cores_locally_and_more_for_an_object_store(monkeypatch) -> None:
    """Local file work is CPU and file-system bound (8 threads on 2 cores rolled 1,000 products 25 % slower than 2,
    docs/benchmarks.md); an object store's requests wait on the network. The setting, when given, wins."""
    from lake.archive_step import io_threads
    from lake.settings import get_settings

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    local = get_settings(products_root="/tmp/hot", daac={"root": "/tmp/archive"})
    assert io_threads(local) == 2
    assert io_threads(get_settings(products_root="/tmp/hot", daac={"root": "s3://daac/archive"})) == 8
    assert io_threads(get_settings(products_root="s3://lake/products", daac={"root": "/tmp/archive"})) == 8
    assert io_threads(get_settings(products_root="/tmp/hot", daac={"root": "/tmp/archive", "io_threads": 5})) == 5
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert io_threads(local) == 2


def test_status_of_a_lake_that_delivered_nothing_says_so(lake) -> None:
    """It printed nothing at all, which reads as a hung or broken command."""
    from click.testing import CliRunner

    from sarlake.cli import cli

    result = CliRunner().invoke(cli, ["archive", "status"])
    assert result.exit_code == 0
    assert "no delivery yet" in result.output and "SARLAKE_DAAC__HOT_RETENTION_DAYS" in result.output, result.output
    assert json.loads(CliRunner().invoke(cli, ["archive", "status", "--json"]).output) == {
        "counts": {}, "failed": [], "waiting_for_daac": {"count": 0, "oldest_sent_at": None, "oldest_hours": None,
                                                         "answer_wait_hours": 24.0, "unanswered": []}}


def test_a_product_removed_after_its_delivery_and_made_again_is_reported_as_never_rolled(lake, daac,
                                                                                        caplog) -> None:
    """`sarlake products remove` of an archived product, then ingesting it again (new coherence, say) at the same
    version: the roll takes that version as delivered and keeps it hot for good, and `archive verify` said the
    archive tier was consistent."""
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products
    from lake.removal import remove_products

    pid = "S1-GUNW-A-R-044-tops-20240101"
    catalogue_products([str(_met(lake, pid, "1", b"v1 bytes"))], settings=lake)
    _roll_until_done(lake, daac)
    assert _products(lake)[pid]["tier"] == "archive"
    remove_products([pid], reason="ingest again with its coherence", settings=lake)
    catalogue_products([str(_met(lake, pid, "1", b"v1 bytes and coherence"))], settings=lake)
    with caplog.at_level("WARNING", logger="lake.archive_roll"):
        _roll_until_done(lake, daac)
    assert _products(lake)[pid]["tier"] == "hot"
    assert f"{pid}: version 1 was delivered ({pid}.v1.a1), and the product is hot again" in caplog.text
    assert [e["version"] for e in daac.ingested() if e["product"] == pid] == ["1"]
    found = [(f.kind, f.product_id) for f in verify_archive(lake)]
    assert found == [("hot_after_delivery", pid)]

    # a new version is delivered, and nothing is reported
    catalogue_products([str(_met(lake, pid, "2", b"v2 bytes"))], settings=lake)
    _roll_until_done(lake, daac)
    assert _products(lake)[pid]["tier"] == "archive"
    assert verify_archive(lake) == []


def test_the_delivery_of_a_product_is_its_newest_whatever_the_attempt_numbers(lake, daac, tmp_path) -> None:
    """Attempts are counted per version: version 1 delivered at its second attempt (the DAAC refused the first),
    then version 2 at its first. The newest delivery was chosen by attempt number, so version 1's: its
    checksums were compared with version 2's archive files, and a restore would have checked the wrong bytes."""
    from lake.archive_cache import deliveries, restore
    from lake.archive_roll import run_roll
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products
    from sarlake.workflows.daac_simulator import SimulatedDaac

    pid = "S1-GUNW-A-R-044-tops-20240002"  # the simulated DAAC refuses its first delivery
    catalogue_products([str(_met(lake, pid, "1", b"v1 bytes"))], settings=lake)
    _roll_until_done(lake, daac)
    for _ in range(3):  # the second attempt, once the back-off has passed
        run_roll(lake, now=LATER + timedelta(hours=1))
        daac.serve_folder()
    catalogue_products([str(_met(lake, pid, "2", b"v2 bytes"))], settings=lake)
    _roll_until_done(lake, SimulatedDaac(tmp_path / "daac-state", lake))  # the same DAAC, refusing nothing now
    assert [(e["version"]) for e in daac.ingested() if e["product"] == pid] == ["1", "2"]
    assert sorted((s["version"], s["attempt"]) for s in _steps(lake) if s["step"] == "hot_deleted") == [
        ("1", 2), ("2", 1)]
    assert deliveries(lake)[pid]["version"] == "2"
    assert verify_archive(lake) == []
    assert restore([pid], settings=lake).done == [pid]
    assert (Path(lake.products_root) / pid / "unw.tif").read_bytes() == b"v2 bytes"


def _with_coherence(met: Path) -> None:
    (met.parent / "coherence.tif").write_bytes(b"coherence")
    doc = json.loads(met.read_text())
    doc["assets"]["coherence"] = {"href": "coherence.tif", "sarlake:sha256": hashlib.sha256(b"coherence").hexdigest()}
    met.write_text(json.dumps(doc))


def test_each_version_of_a_product_keeps_its_own_archive_folder(lake, daac) -> None:
    """An ingested product's id carries no version, and every version was delivered into one archive folder:
    version 2 (ingested again without coherence, `--revision 2`) overwrote version 1's phase, so the DAAC's record
    of version 1 pointed at bytes that were gone. Each version now has its own folder, named as PGE ids name
    versions, and the DAAC's acknowledged files of both stay as it acknowledged them."""
    from lake.archive_cache import restore
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products

    pid = "EXT-ROIPAC-ENVISAT-geo_060619-061002-20061002_20060619"
    met = _met(lake, pid, "0.1.0", b"phase")
    _with_coherence(met)
    catalogue_products([str(met)], settings=lake)
    _roll_until_done(lake, daac)
    first = _at_archive(lake, pid, "0.1.0")
    assert first == Path(lake.daac.root) / "L2_IFG" / f"{pid}-v0_1_0"
    assert _files(first) == sorted([f"{pid}.met.json", "coherence.tif", "unw.tif"])

    catalogue_products([str(_met(lake, pid, "0.1.0.2", b"phase again"))], settings=lake)
    _roll_until_done(lake, daac)
    row = _products(lake)[pid]
    assert (row["tier"], row["version"], row["uri"]) == ("archive", "0.1.0.2", str(_at_archive(lake, pid, "0.1.0.2")))
    assert _files(_at_archive(lake, pid, "0.1.0.2")) == sorted([f"{pid}.met.json", "unw.tif"])
    assert (_at_archive(lake, pid, "0.1.0.2") / "unw.tif").read_bytes() == b"phase again"
    assert _files(first) == sorted([f"{pid}.met.json", "coherence.tif", "unw.tif"])
    assert (first / "unw.tif").read_bytes() == b"phase"
    assert verify_archive(lake) == []
    assert restore([pid], settings=lake).done == [pid]  # the newest version comes back
    assert (Path(lake.products_root) / pid / "unw.tif").read_bytes() == b"phase again"

    (first / "coherence.tif").unlink()  # the version the DAAC keeps is checked as the newest is
    (found,) = verify_archive(lake)
    assert (found.kind, found.product_id, Path(found.path)) == ("archive_missing_file", pid, first / "coherence.tif")


def test_any_version_the_daac_keeps_can_be_retrieved_checked_and_the_catalogue_is_left_alone(lake, daac,
                                                                                               tmp_path) -> None:
    """Each version has its own archive folder, but `archive restore` brings back only the catalogued one: version
    1 (with coherence) of a product revised without it could not be had from sarlake at all. `archive retrieve`
    copies any acknowledged version out, a removed product's too, each file checked against the DAAC's sha256."""
    from click.testing import CliRunner

    from lake.catalogue import catalogue_products
    from sarlake.cli import cli

    pid = "EXT-ROIPAC-ENVISAT-geo_060619-061002-20061002_20060619"
    met = _met(lake, pid, "0.1.0", b"phase")
    _with_coherence(met)
    first_met = met.read_bytes()
    catalogue_products([str(met)], settings=lake)
    _roll_until_done(lake, daac)
    catalogue_products([str(_met(lake, pid, "0.1.0.2", b"phase again"))], settings=lake)
    _roll_until_done(lake, daac)
    before = _products(lake)[pid]
    out_dir = tmp_path / "out"

    def run(*args: str):
        return CliRunner().invoke(cli, ["archive", "retrieve", *args])

    got = run(pid, "--version", "0.1.0", "--to", str(out_dir))
    assert got.exit_code == 0, got.output
    assert got.output.strip() == (f"retrieved {pid} version 0.1.0: 3 file(s), {5 + 9 + len(first_met)} bytes, "
                                  f"sha256 as acknowledged, in {out_dir / f'{pid}-v0_1_0'}")
    assert (out_dir / f"{pid}-v0_1_0" / "unw.tif").read_bytes() == b"phase"
    assert (out_dir / f"{pid}-v0_1_0" / "coherence.tif").read_bytes() == b"coherence"
    assert (out_dir / f"{pid}-v0_1_0" / f"{pid}.met.json").read_bytes() == first_met
    assert run(pid, "--to", str(out_dir)).exit_code == 0  # the newest by default
    assert _files(out_dir / f"{pid}-v0_1_0_2") == sorted([f"{pid}.met.json", "unw.tif"])
    assert (out_dir / f"{pid}-v0_1_0_2" / "unw.tif").read_bytes() == b"phase again"
    assert _products(lake)[pid] == before

    again = run(pid, "--version", "0.1.0", "--to", str(out_dir))  # its folder is there: refused, nothing touched
    assert again.exit_code == 2
    assert f"{out_dir / f'{pid}-v0_1_0'} already exists and is not empty; nothing was copied" in again.output
    assert "--to" in again.output
    wrong = run(pid, "--version", "2", "--to", str(tmp_path / "other"))
    assert wrong.exit_code == 2
    assert f"version 2 of {pid} is not at the DAAC; delivered: 0.1.0, 0.1.0.2 (choose one with --version)" in (
        wrong.output)
    unknown = run("NO-SUCH-PRODUCT", "--to", str(tmp_path / "other"))
    assert unknown.exit_code == 2
    assert "no delivery of NO-SUCH-PRODUCT was acknowledged by the DAAC" in unknown.output
    assert not (tmp_path / "other").exists()

    (_at_archive(lake, pid, "0.1.0") / "unw.tif").write_bytes(b"bit rot")  # the DAAC's copy differs from its record
    rotten = run(pid, "--version", "0.1.0", "--to", str(tmp_path / "rotten"))
    assert rotten.exit_code == 1
    assert f"archive copy {_at_archive(lake, pid, '0.1.0') / 'unw.tif'} does not match the sha256" in rotten.output
    assert _files(tmp_path / "rotten") == []  # no half copy under any name

    shown = CliRunner().invoke(cli, ["products", "show", pid]).output.splitlines()
    assert [line for line in shown if line.startswith("  delivery")] == [
        f"  delivery      version {v} hot_deleted (the DAAC holds it)  {_at_archive(lake, pid, v)}"
        for v in ("0.1.0", "0.1.0.2")]
    assert CliRunner().invoke(cli, ["products", "remove", pid, "--reason", "test"]).exit_code == 0
    kept = run(pid, "--version", "0.1.0.2", "--to", str(tmp_path / "removed"))
    assert kept.exit_code == 0, kept.output
    assert (tmp_path / "removed" / f"{pid}-v0_1_0_2" / "unw.tif").read_bytes() == b"phase again"


@pytest.mark.parametrize("by_step", [False, True], ids=["whole-roll", "step-by-step"])
def test_a_file_left_by_an_earlier_version_in_a_shared_archive_folder_is_deleted(lake, daac, monkeypatch,
                                                                                  by_step, tmp_path) -> None:
    """An archive rolled before each version had its own folder: version 1, ingested with coherence, and version
    2 without it were delivered into one folder, and version 1's coherence.tif stayed beside phase it was not made
    with, reported as an orphan "no delivery put there". Both the whole roll and its expire step alone delete it."""
    from lake import archive_step
    from lake.archive_retrieve import retrieve
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products
    from lake.exceptions import LakeError
    from lake.query import connect
    from lake.storage import join
    from sarlake.workflows.product_listing import deliveries

    monkeypatch.setattr(archive_step, "archive_location",  # the rule before: one folder per product id
                        lambda product_type, pid, settings, version=None: join(settings.daac.root, product_type, pid))
    pid = "EXT-ROIPAC-ENVISAT-geo_060619-061002-20061002_20060619"
    met = _met(lake, pid, "0.1.0", b"phase")
    _with_coherence(met)
    catalogue_products([str(met)], settings=lake)
    _roll_until_done(lake, daac, by_step=by_step)
    archive = Path(lake.daac.root) / "L2_IFG" / pid
    first = _files(archive)
    assert "coherence.tif" in first

    catalogue_products([str(_met(lake, pid, "0.1.0.2", b"phase again"))], settings=lake)
    _roll_until_done(lake, daac, by_step=by_step)
    assert (_products(lake)[pid]["tier"], _products(lake)[pid]["version"]) == ("archive", "0.1.0.2")
    assert _files(archive) == [f for f in first if f != "coherence.tif"]
    assert (archive / "unw.tif").read_bytes() == b"phase again"
    assert verify_archive(lake) == []
    with pytest.raises(LakeError, match=r"version 0\.1\.0 of .* version 0\.1\.0\.2 was delivered into the same "
                                        r"folder .* retrieve --version 0\.1\.0\.2"):
        retrieve(pid, tmp_path / "out", version="0.1.0")  # its files are gone: it says why, not a sha256 mismatch
    assert list((tmp_path / "out").glob("*")) == []  # no staging folder either
    assert retrieve(pid, tmp_path / "out").version == "0.1.0.2"
    con = connect(lake, catalogue=False)  # products show, archive status and the browse page say so too
    try:
        said = {d["version"]: (d["held"], d["replaced_by"]) for d in deliveries(con, pid)}
    finally:
        con.close()
    assert said == {"0.1.0": (False, "0.1.0.2"), "0.1.0.2": (True, None)}

    (archive / "coherence.tif").write_bytes(b"coherence")  # as one rolled before the expire step deleted them holds it
    (found,) = verify_archive(lake)
    assert (found.kind, Path(found.path).name) == ("archive_orphan", "coherence.tif")
    assert found.detail.startswith(f"left by {pid}.v0.1.0.a1 (version 0.1.0); the newest delivery, version 0.1.0.2")


def test_a_new_version_of_a_cached_product_evicts_the_cached_copy(lake, daac) -> None:
    """Restored (cached at <products_root>/<id>), then made again as a new version where its PGE publishes: the
    catalogue pointed at the new folder and the cached copy stayed in the hot lake for good, with no row that an
    expiry would evict (`lake verify`: stale_hot_copy)."""
    from lake.archive_cache import restore
    from lake.catalogue import catalogue_products
    from lake.verify import verify

    pid = "EXT-ROIPAC-ENVISAT-geo_060619-061002-20061002_20060619"
    hot = Path(lake.products_root) / "L2_IFG" / "sydney" / pid
    catalogue_products([str(_met(lake, pid, "0.1.0", b"v1 bytes", hot))], settings=lake)
    _roll_until_done(lake, daac)
    assert restore([pid], settings=lake).done == [pid]
    cached = Path(_products(lake)[pid]["uri"])
    assert cached != hot
    assert _files(cached) == sorted([f"{pid}.met.json", "unw.tif"])

    catalogue_products([str(_met(lake, pid, "0.1.0.2", b"v2 bytes", hot))], settings=lake)
    row = _products(lake)[pid]
    assert (row["tier"], row["uri"], row["version"]) == ("hot", str(hot), "0.1.0.2")
    assert _files(cached) == []
    assert [f.kind for f in verify(lake).findings] == []
    (evicted,) = [s for s in _steps(lake) if s["step"] == "evicted"]
    assert (evicted["product_id"], evicted["version"], evicted["hot_uri"]) == (pid, "0.1.0", str(cached))
    assert evicted["reason"] == f"replaced by version 0.1.0.2 at {hot}"


def test_removing_an_archived_product_with_its_files_never_deletes_the_daacs_files(lake, daac) -> None:
    """`products remove --delete-files` deleted the folder the catalogue named, and an archived product's folder is
    the DAAC's: the granule the DAAC acknowledged was deleted (archive verify: archive_missing_file). A cached
    product's hot copy is still deleted; the archive keeps both."""
    from click.testing import CliRunner

    from lake.archive_cache import restore
    from lake.archive_verify import verify_archive
    from sarlake.cli import cli

    truth = _make_products(lake, 2)
    _roll_until_done(lake, daac)
    archived, cached = sorted(truth)
    assert restore([cached], settings=lake).done == [cached]
    copy = Path(_products(lake)[cached]["uri"])
    assert (copy / "unw.tif").read_bytes() == truth[cached]["unw.tif"]

    out = CliRunner().invoke(cli, ["products", "remove", archived, cached, "--delete-files", "--reason", "test"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        f"removed {archived} (archived: its files at {_at_archive(lake, archived)} are the DAAC's, which keeps them; "
        "none deleted)",
        f"removed {cached} (4 files deleted)"]
    assert _products(lake) == {}
    assert not copy.exists()
    for pid in (archived, cached):
        for name, data in truth[pid].items():
            assert (_at_archive(lake, pid) / name).read_bytes() == data
    assert verify_archive(lake) == []


def test_a_refused_delivery_of_a_new_version_leaves_the_acknowledged_one_untouched(lake, daac) -> None:
    """With one archive folder per product, version 2's copy overwrote version 1's files of the same name before
    the DAAC had said anything: refused, version 2 stayed hot, and the DAAC's version 1 at the archive was version
    2's bytes (archive_checksum_mismatch). In its own folder, a refused version touches nothing acknowledged."""
    from lake.archive_roll import run_roll
    from lake.archive_verify import verify_archive
    from lake.catalogue import catalogue_products

    pid = "S1-GUNW-A-R-044-tops-20240002"  # the simulated DAAC refuses the first attempt of each of its versions
    catalogue_products([str(_met(lake, pid, "1", b"v1 bytes"))], settings=lake)
    _roll_until_done(lake, daac)
    for _ in range(3):  # version 1's second attempt, once the back-off has passed
        run_roll(lake, now=LATER + timedelta(hours=1))
        daac.serve_folder()
    assert _products(lake)[pid]["tier"] == "archive"
    v1 = _files(_at_archive(lake, pid, "1"))

    catalogue_products([str(_met(lake, pid, "2", b"v2 bytes"))], settings=lake)
    _roll_until_done(lake, daac)  # refused: version 2 stays hot
    assert (_products(lake)[pid]["tier"], _products(lake)[pid]["version"]) == ("hot", "2")
    assert [s["error_code"] for s in _steps(lake) if s["step"] == "failed" and s["version"] == "2"] == [
        "PROCESSING_ERROR"]
    assert _files(_at_archive(lake, pid, "1")) == v1
    assert (_at_archive(lake, pid, "1") / "unw.tif").read_bytes() == b"v1 bytes"
    assert verify_archive(lake) == []
