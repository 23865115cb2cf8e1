"""A small simulated DAAC: reads CNM-S requests, checks the delivered files, answers CNM-R.

It behaves like a Cumulus ingest endpoint, as far as the roll can tell: a request that is not a valid CNM-S
gets ``VALIDATION_ERROR``; a file missing at the archive or whose size or sha256 differs from the request gets
``TRANSFER_ERROR``; a product version it already ingested is answered SUCCESS again without a second ingest
(its ledger counts such repeats, which tests assert never happen). Products named in ``fail_first`` are
refused with ``PROCESSING_ERROR`` on their first attempt, and ``fail_rate`` refuses a seeded random share, so
tests and the demo see failures and retries.

The ledger (``<state>/ledger.jsonl``) lists every ingest: what the DAAC holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lake import storage
from lake.cnm import CnmError, build_cnm_r, validate_cnm_s
from lake.settings import Settings, get_settings

__all__ = ["DaacAnswer", "SimulatedDaac"]

logger = logging.getLogger(__name__)


@dataclass
class DaacAnswer:
    """What the DAAC did with one batch of requests."""

    success: int = 0
    failure: int = 0
    repeats: int = 0
    codes: dict[str, int] = field(default_factory=dict)


class SimulatedDaac:
    """The DAAC side of the folder transport (outbox in, inbox out) or of SNS/SQS (queue in, topic/queue out)."""

    def __init__(self, state_dir: str | Path, settings: Settings | None = None, *,
                 fail_first: set[str] | None = None, fail_rate: float = 0.0, seed: int = 0) -> None:
        self.settings = settings or get_settings()
        self.state = Path(state_dir)
        self.state.mkdir(parents=True, exist_ok=True)
        self.ledger = self.state / "ledger.jsonl"
        self.fail_first = fail_first or set()
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)

    def ingested(self) -> list[dict[str, Any]]:
        """Every ingest the DAAC made (product, version, identifier), in order."""
        if not self.ledger.is_file():
            return []
        return [json.loads(line) for line in self.ledger.read_text().splitlines() if line.strip()]

    def answer_request(self, text: str) -> dict[str, Any] | None:
        """The CNM-R for one request text (None when the text is not even JSON with an identifier)."""
        try:
            request = json.loads(text)
        except ValueError:
            return None
        try:
            validate_cnm_s(request)
        except CnmError as exc:
            if not isinstance(request, dict) or "identifier" not in request:
                return None
            request.setdefault("provider", "?")
            request.setdefault("collection", "?")
            request.setdefault("submissionTime", "1970-01-01T00:00:00Z")
            request.setdefault("product", {"name": "?", "dataVersion": "?"})
            return build_cnm_r(request, "VALIDATION_ERROR", str(exc))
        product = request["product"]
        for f in product["files"]:
            try:
                data = storage.read_bytes(f["uri"], self.settings)
            except (FileNotFoundError, OSError) as exc:
                return build_cnm_r(request, "TRANSFER_ERROR", f"file {f['name']} not found at {f['uri']}: {exc}")
            if len(data) != f["size"] or hashlib.sha256(data).hexdigest() != f["checksum"]:
                return build_cnm_r(request, "TRANSFER_ERROR", f"file {f['name']} does not match its checksum")
        first_attempt = request["identifier"].endswith(".a1")
        if (product["name"] in self.fail_first and first_attempt) or (
                self.fail_rate and self.rng.random() < self.fail_rate):
            return build_cnm_r(request, "PROCESSING_ERROR", "simulated ingest failure")
        key = (product["name"], product["dataVersion"])
        repeat = any((e["product"], e["version"]) == key for e in self.ingested())
        with self.ledger.open("a") as out:
            out.write(json.dumps({"product": key[0], "version": key[1], "identifier": request["identifier"],
                                  "repeat": repeat}) + "\n")
        return build_cnm_r(request)

    def serve_folder(self, outbox: str | Path | None = None, inbox: str | Path | None = None) -> DaacAnswer:
        """Answer every request in the outbox (each moves to ``outbox/processed/``), writing CNM-R to the inbox."""
        out_dir = Path(outbox or self.settings.daac.outbox)
        in_dir = Path(inbox or self.settings.daac.inbox)
        done = out_dir / "processed"
        done.mkdir(parents=True, exist_ok=True)
        in_dir.mkdir(parents=True, exist_ok=True)
        result = DaacAnswer()
        for path in sorted(p for p in out_dir.glob("*.json") if p.is_file()):
            response = self.answer_request(path.read_text())
            if response is not None:
                self._count(result, response)
                tmp = in_dir / f".{path.name}.tmp"
                tmp.write_text(json.dumps(response))
                os.replace(tmp, in_dir / path.name)
            os.replace(path, done / path.name)
        return result

    def serve_queue(self, sqs: Any, request_queue_url: str, response_queue_url: str) -> DaacAnswer:
        """Answer every request waiting in an SQS queue subscribed to the CNM-S topic."""
        result = DaacAnswer()
        while True:
            messages = sqs.receive_message(QueueUrl=request_queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return result
            for m in messages:
                body = m["Body"]
                try:
                    envelope = json.loads(body)
                    if isinstance(envelope, dict) and envelope.get("Type") == "Notification":
                        body = envelope["Message"]
                except ValueError:
                    pass
                response = self.answer_request(body)
                if response is not None:
                    self._count(result, response)
                    sqs.send_message(QueueUrl=response_queue_url, MessageBody=json.dumps(response))
                sqs.delete_message(QueueUrl=request_queue_url, ReceiptHandle=m["ReceiptHandle"])

    def _count(self, result: DaacAnswer, response: dict[str, Any]) -> None:
        if response["response"]["status"] == "SUCCESS":
            result.success += 1
        else:
            result.failure += 1
            code = response["response"]["errorCode"]
            result.codes[code] = result.codes.get(code, 0) + 1
