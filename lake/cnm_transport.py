"""How CNM messages travel: a folder outbox/inbox (embedded default) or SNS out / SQS in (production).

A transport sends CNM-S messages and receives CNM-R messages; a received message is acknowledged only after
the roll has recorded what it said, so a crash in between makes it arrive again (at-least-once), and the roll
treats a repeated CNM-R for a finished transfer as already done.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lake.settings import Settings, get_settings

__all__ = ["FolderTransport", "Received", "SnsSqsTransport", "Transport", "get_transport"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """A received message: its raw text and a handle to acknowledge it with."""

    handle: str
    text: str


class Transport(Protocol):
    """Sends CNM-S, receives CNM-R."""

    def send(self, identifier: str, message: dict[str, Any]) -> None:
        """Send one CNM-S (idempotent for one identifier where the medium allows it)."""

    def receive(self, max_messages: int = 10_000) -> list[Received]:
        """CNM-R messages waiting to be read."""

    def ack(self, handles: list[str]) -> None:
        """Remove messages that have been recorded."""


class FolderTransport:
    """``outbox/<identifier>.json`` out, ``inbox/*.json`` in (processed ones move to ``inbox/done/``)."""

    def __init__(self, outbox: str | Path, inbox: str | Path) -> None:
        self.outbox = Path(outbox)
        self.inbox = Path(inbox)
        self._outbox_made = False

    def send(self, identifier: str, message: dict[str, Any]) -> None:
        """Write the message (compact JSON, as SNS carries it) atomically; re-sending rewrites the same file."""
        if not self._outbox_made:  # once per transport, not per message
            self.outbox.mkdir(parents=True, exist_ok=True)
            self._outbox_made = True
        folder = str(self.outbox)
        tmp = os.path.join(folder, f".{identifier}.json.tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(json.dumps(message))
        os.replace(tmp, os.path.join(folder, f"{identifier}.json"))

    def receive(self, max_messages: int = 10_000) -> list[Received]:
        """The inbox's messages, oldest name first."""
        if not self.inbox.is_dir():
            return []
        paths = sorted(p for p in self.inbox.iterdir() if p.is_file() and p.suffix == ".json")[:max_messages]
        out = []
        for p in paths:
            try:
                out.append(Received(str(p), p.read_text(errors="replace")))
            except FileNotFoundError:  # another roll took it
                continue
        return out

    def ack(self, handles: list[str]) -> None:
        """Move the messages to ``inbox/done/``."""
        done = self.inbox / "done"
        done.mkdir(parents=True, exist_ok=True)
        for h in handles:
            try:
                os.replace(h, done / Path(h).name)
            except FileNotFoundError:
                continue


class SnsSqsTransport:
    """CNM-S published to an SNS topic, CNM-R read from an SQS queue (boto3 clients from the settings).

    For a FIFO topic (name ending ``.fifo``) the identifier is the deduplication id, so a re-send after a crash
    is dropped by SNS.
    """

    def __init__(self, topic_arn: str, queue_url: str, sns: Any, sqs: Any) -> None:
        self.topic_arn, self.queue_url, self.sns, self.sqs = topic_arn, queue_url, sns, sqs

    def send(self, identifier: str, message: dict[str, Any]) -> None:
        """Publish to the topic with the collection and identifier as message attributes."""
        kwargs: dict[str, Any] = {
            "TopicArn": self.topic_arn, "Message": json.dumps(message),
            "MessageAttributes": {
                "COLLECTION": {"DataType": "String", "StringValue": message["collection"]},
                "identifier": {"DataType": "String", "StringValue": identifier},
            },
        }
        if self.topic_arn.endswith(".fifo"):
            kwargs.update(MessageGroupId=message["collection"], MessageDeduplicationId=identifier[:128])
        self.sns.publish(**kwargs)

    def receive(self, max_messages: int = 10_000) -> list[Received]:
        """Drain the queue (10 at a time, as SQS allows), unwrapping SNS envelopes."""
        out: list[Received] = []
        while len(out) < max_messages:
            resp = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                            VisibilityTimeout=300)
            messages = resp.get("Messages", [])
            if not messages:
                break
            for m in messages:
                body = m["Body"]
                try:
                    envelope = json.loads(body)
                    if isinstance(envelope, dict) and envelope.get("Type") == "Notification":
                        body = envelope["Message"]
                except ValueError:
                    pass
                out.append(Received(m["ReceiptHandle"], body))
        return out

    def ack(self, handles: list[str]) -> None:
        """Delete the messages from the queue."""
        for start in range(0, len(handles), 10):
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[start:start + 10])]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)


def get_transport(settings: Settings | None = None) -> Transport:
    """The transport named by ``settings.daac.transport``."""
    settings = settings or get_settings()
    daac = settings.daac
    if daac.transport == "sns_sqs":
        import boto3

        s3 = settings.s3
        kwargs = {"region_name": s3.region, "aws_access_key_id": s3.access_key_id,
                  "aws_secret_access_key": s3.secret_access_key}
        endpoint = daac.aws_endpoint or None
        return SnsSqsTransport(daac.sns_topic_arn, daac.sqs_queue_url,
                               boto3.client("sns", endpoint_url=endpoint, **kwargs),
                               boto3.client("sqs", endpoint_url=endpoint, **kwargs))
    return FolderTransport(daac.outbox, daac.inbox)
