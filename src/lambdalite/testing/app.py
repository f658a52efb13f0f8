"""`DeployedApp`: a template deployed into a running lambdalite on a virtual clock, with
helpers named for what a test does to it (invoke, send, put records, publish, put events),
for time (`advance`, `wait_idle`) and for looking (`outputs`, `logs`, `journey`).

Resources are named by their logical ids, as in the template; the stack's resources
(`GET /_lambdalite/stacks/NAME`) give their physical ids. A name that is no logical id is
taken as the physical name (a function name, a queue URL, a stream name).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from lambdalite.testing import hooks
from lambdalite.testing.runners import Launch, Running, deploy

REGION = "us-east-1"
_HTTP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    physical_id: str


@dataclass(frozen=True)
class Invocation:
    """What `invoke` got back: the decoded payload (JSON, else text, None when empty)."""

    status_code: int
    payload: Any
    function_error: str | None
    request_id: str
    executed_version: str | None

    @property
    def ok(self) -> bool:
        return self.function_error is None and self.status_code < 300


class DeployedApp:
    """A deployed stack on a running lambdalite (virtual clock)."""

    def __init__(self, running: Running, launch: Launch) -> None:
        self.endpoint = running.endpoint  # boto3's endpoint_url, the aws CLI's --endpoint-url
        self.gateway_url = running.gateway_url  # APIs and function URLs are served here
        self.stack_name = launch.stack_name
        self.progress = list(running.progress)  # what the deploy printed
        self._running = running
        self._launch = launch
        self._clients: dict[str, Any] = {}
        self.resources: dict[str, Resource] = {}
        self.outputs: dict[str, Any] = {}
        self.refresh()

    # ---- the stack -------------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        """The deploy's warnings (properties or resource types lambdalite does not emulate)."""
        return [line for line in self.progress if "warning: " in line]

    def refresh(self) -> None:
        """Read the stack's resources and outputs again (after a redeploy, say)."""
        doc = self._get(f"/_lambdalite/stacks/{self.stack_name}")
        self.outputs = dict(doc["Outputs"])
        self.resources = {
            r["LogicalResourceId"]: Resource(
                r["LogicalResourceId"], r["ResourceType"], r["PhysicalResourceId"]
            )
            for r in doc["Resources"]
        }

    def redeploy(self, parameters: Mapping[str, str] | None = None) -> list[str]:
        """Deploy the template again (edited, or with other parameters): only what changed
        is updated. Returns the deploy's progress lines."""
        launch = self._launch
        if parameters is not None:
            launch = Launch(launch.template, launch.stack_name, launch.workdir, parameters,
                            launch.extensions)  # fmt: skip
        lines = deploy(self.endpoint, launch)
        self.progress.extend(lines)
        self.refresh()
        return lines

    def physical_id(self, logical_id: str) -> str:
        """The physical id of a resource of the stack (a function's name, a queue's URL,
        a topic's ARN, a stream's name, a table's name, an API's id)."""
        try:
            return self.resources[logical_id].physical_id
        except KeyError:
            known = ", ".join(sorted(self.resources))
            raise KeyError(
                f"no resource {logical_id!r} in stack {self.stack_name}: {known}"
            ) from None

    def _physical(self, name: str) -> str:
        found = self.resources.get(name)
        return found.physical_id if found is not None else name

    def client(self, service: str) -> Any:
        """A boto3 client for `service` pointed at this server (one per service, reused)."""
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1}, read_timeout=_HTTP_TIMEOUT_S),
            )
        return self._clients[service]

    # ---- doing things --------------------------------------------------------------

    def invoke(
        self, function: str, payload: Any = None, *, event: bool = False, qualifier: str = ""
    ) -> Invocation:
        """Invoke a function (logical id or name) with `payload` (JSON-encoded unless bytes
        or str); `event=True` queues it (InvocationType Event, 202) and returns at once:
        `wait_idle()` or `advance()` then lets it, its retries and destinations run."""
        body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        params: dict[str, Any] = {"FunctionName": self._physical(function), "Payload": body}
        if event:
            params["InvocationType"] = "Event"
        if qualifier:
            params["Qualifier"] = qualifier
        out = self.client("lambda").invoke(**params)
        raw = out["Payload"].read() if "Payload" in out else b""
        return Invocation(
            status_code=out["StatusCode"],
            payload=_decode(raw),
            function_error=out.get("FunctionError"),
            request_id=out["ResponseMetadata"]["RequestId"],
            executed_version=out.get("ExecutedVersion"),
        )

    def send(self, queue: str, body: Any, **params: Any) -> str:
        """Send a message (JSON-encoded unless str) to a queue (logical id, URL or name);
        more SendMessage members as keywords (MessageGroupId=..., DelaySeconds=...).
        Returns the MessageId."""
        text = body if isinstance(body, str) else json.dumps(body)
        out = self.client("sqs").send_message(QueueUrl=self.queue_url(queue), MessageBody=text,
                                              **params)  # fmt: skip
        return str(out["MessageId"])

    def send_batch(self, queue: str, bodies: Iterable[Any]) -> list[str]:
        """Send up to 10 messages in one SendMessageBatch (so a mapping sees them together);
        returns their MessageIds in order."""
        entries = [
            {"Id": str(i), "MessageBody": b if isinstance(b, str) else json.dumps(b)}
            for i, b in enumerate(bodies)
        ]
        out = self.client("sqs").send_message_batch(QueueUrl=self.queue_url(queue),
                                                    Entries=entries)  # fmt: skip
        if out.get("Failed"):
            raise AssertionError(f"SendMessageBatch refused messages: {out['Failed']}")
        ids = {e["Id"]: e["MessageId"] for e in out["Successful"]}
        return [ids[e["Id"]] for e in entries]

    def receive(self, queue: str, *, delete: bool = True) -> list[dict[str, Any]]:
        """Every message visible in a queue now (as boto3 returns them), deleted unless
        `delete=False` (then they stay in flight for the visibility timeout)."""
        sqs, url = self.client("sqs"), self.queue_url(queue)
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                AttributeNames=["All"],
            ).get("Messages", [])  # fmt: skip
            if not batch:
                return messages
            messages.extend(batch)
            if delete:
                for message in batch:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def queue_url(self, queue: str) -> str:
        """A queue's URL from its logical id, name or URL."""
        physical = self._physical(queue)
        if physical.startswith(("http://", "https://")):
            return physical
        return str(self.client("sqs").get_queue_url(QueueName=physical)["QueueUrl"])

    def put_records(
        self, stream: str, records: Iterable[Any], *, partition_key: str = "key"
    ) -> list[str]:
        """Put records (bytes as they are, str encoded, anything else as JSON) into a
        Kinesis stream (logical id or name), in order; returns their sequence numbers."""
        entries = [{"Data": _bytes(record), "PartitionKey": partition_key} for record in records]
        out = self.client("kinesis").put_records(StreamName=self._physical(stream),
                                                 Records=entries)  # fmt: skip
        if out.get("FailedRecordCount"):
            raise AssertionError(f"PutRecords refused records: {out['Records']}")
        return [r["SequenceNumber"] for r in out["Records"]]

    def publish(self, topic: str, message: Any, **params: Any) -> str:
        """Publish to an SNS topic (logical id or ARN); a non-str message goes as JSON.
        Returns the MessageId."""
        text = message if isinstance(message, str) else json.dumps(message)
        out = self.client("sns").publish(TopicArn=self._physical(topic), Message=text, **params)
        return str(out["MessageId"])

    def put_events(self, *entries: Mapping[str, Any]) -> list[str]:
        """EventBridge PutEvents: each entry as boto3 takes it (Source, DetailType, Detail,
        EventBusName), with a non-str Detail sent as JSON and a bus named by its logical id.
        Returns the event ids; a refused entry fails the call."""
        prepared = []
        for entry in entries:
            item = dict(entry)
            if not isinstance(item.get("Detail", ""), str):
                item["Detail"] = json.dumps(item["Detail"])
            if "EventBusName" in item:
                item["EventBusName"] = self._physical(str(item["EventBusName"]))
            prepared.append(item)
        out = self.client("events").put_events(Entries=prepared)
        if out.get("FailedEntryCount"):
            raise AssertionError(f"PutEvents refused entries: {out['Entries']}")
        return [e["EventId"] for e in out["Entries"]]

    def put_event(self, source: str, detail_type: str, detail: Any, *, bus: str = "") -> str:
        """One event on the default bus (or `bus`); returns its id."""
        entry = {"Source": source, "DetailType": detail_type, "Detail": detail}
        if bus:
            entry["EventBusName"] = bus
        return self.put_events(entry)[0]

    # ---- time ------------------------------------------------------------------------

    def advance(self, seconds: float, *, timeout: float = hooks.DRAIN_TIMEOUT_S) -> float:
        """Let `seconds` of AWS time pass: the virtual clock stops at every deadline on the
        way (retries, visibility timeouts, batching windows, schedules) and lets the work due
        then run, so `advance(3600)` runs a retry chain at its own times. Returns the clock."""
        return hooks.fast_forward(self.endpoint, seconds, timeout)

    def wait_idle(self, *, timeout: float = hooks.DRAIN_TIMEOUT_S) -> float:
        """Return once everything due now has run: async events, their destinations,
        mappings' batches, deliveries, following work from one to the next. Time does not
        move (retries due later wait for `advance`). Returns the clock."""
        return hooks.drain(self.endpoint, timeout)

    def now(self) -> float:
        """The server's clock (seconds since the epoch, virtual)."""
        return hooks.clock_now(self.endpoint)

    # ---- looking ---------------------------------------------------------------------

    def url(self, api: str = "") -> str:
        """The base URL of an API of the stack (logical id; may be left out when the stack
        has one), served by the HTTP gateway: append the route's path."""
        if not api:
            apis = [r for r in self.resources.values() if r.type in _API_TYPES]
            if len(apis) != 1:
                raise KeyError(f"the stack has {len(apis)} APIs; name one: {apis}")
            api = apis[0].logical_id
        doc = self._get(f"/_lambdalite/gateway/apis/{self.physical_id(api)}")
        return str(doc["url"]).rstrip("/")

    def logs(self, function: str) -> list[str]:
        """A function's log lines so far (START/END/REPORT included), oldest first."""
        logs, group = self.client("logs"), f"/aws/lambda/{self._physical(function)}"
        lines: list[str] = []
        params: dict[str, Any] = {"logGroupName": group}
        while True:
            try:
                out = logs.filter_log_events(**params)
            except logs.exceptions.ResourceNotFoundException:
                return lines
            lines.extend(event["message"].rstrip("\n") for event in out["events"])
            if "nextToken" not in out:
                return lines
            params["nextToken"] = out["nextToken"]

    def journey(self, request_id: str) -> dict[str, Any]:
        """An Event invocation's journey: every attempt, the outcome, where it went."""
        return dict(self._get(f"/_lambdalite/async-events?request-id={request_id}"))

    def async_events(self, function: str) -> list[dict[str, Any]]:
        """A function's recent Event invocations (the latest 50), newest first."""
        doc = self._get(f"/_lambdalite/async-events?function={self._physical(function)}")
        return list(doc["events"])

    def _get(self, path: str) -> Any:
        response = httpx.get(f"{self.endpoint}{path}", timeout=_HTTP_TIMEOUT_S)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        """Stop the server (the fixture does)."""
        for client in self._clients.values():
            client.close()
        self._running.stop()


_API_TYPES = {"AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"}


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _bytes(record: Any) -> bytes:
    if isinstance(record, bytes):
        return record
    return (record if isinstance(record, str) else json.dumps(record)).encode()
