"""Metric alarms: definitions and state kept in the store, evaluated on the platform
clock by a DueLoop at every minute (and at once after a change), each state change
published to the SNS topics of its actions with the notification body CloudWatch sends."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.observe.metrics import alarm_rules
from lambdalite.observe.metrics.errors import InvalidParameterValue, ResourceNotFound
from lambdalite.observe.metrics.recorder import LambdaMetrics
from lambdalite.observe.metrics.store import MetricStore

log = logging.getLogger(__name__)

EVALUATE_EVERY_S = 60.0
_ACTIONS = {
    "ALARM": "AlarmActions",
    "OK": "OKActions",
    "INSUFFICIENT_DATA": "InsufficientDataActions",
}
REGION_NAMES = {"us-east-1": "US East (N. Virginia)"}


class TopicPublisher(Protocol):
    async def publish_to_topic(
        self, topic_arn: str, message: str, *, subject: str | None = None
    ) -> str: ...


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class Alarms(DueLoop):
    name = "metric-alarms"

    def __init__(
        self, clock: Clock, recorder: LambdaMetrics, store: MetricStore, region: str, account: str
    ) -> None:
        super().__init__(clock)
        self._recorder = recorder
        self._store = store
        self._region = region
        self._account = account
        self.alarms: dict[str, dict[str, Any]] = {}
        self.publisher: TopicPublisher | None = None

    async def load(self) -> None:
        self.alarms = {doc["AlarmName"]: doc for doc in await self._store.load_alarms()}

    # API -------------------------------------------------------------------------------

    async def put(self, params: Mapping[str, Any]) -> None:
        if params.get("Metrics"):
            raise InvalidParameterValue("Metric math alarms are not supported by lambdalite.")
        for member in (
            "MetricName",
            "Namespace",
            "Period",
            "EvaluationPeriods",
            "ComparisonOperator",
        ):
            if params.get(member) is None:
                raise InvalidParameterValue(f"The parameter {member} is required.")
        if (params.get("Statistic") is None) == (params.get("ExtendedStatistic") is None):
            raise InvalidParameterValue(
                "Exactly one of Statistic and ExtendedStatistic must be set."
            )
        if params["ComparisonOperator"] not in alarm_rules.COMPARE:
            raise InvalidParameterValue(
                f"The value {params['ComparisonOperator']} for parameter ComparisonOperator is "
                "not supported by lambdalite."
            )
        now = self._clock.now()
        name = params["AlarmName"]
        old = self.alarms.get(name)
        doc = {k: v for k, v in params.items() if k != "Tags"}
        doc.update(
            AlarmArn=f"arn:aws:cloudwatch:{self._region}:{self._account}:alarm:{name}",
            ActionsEnabled=params.get("ActionsEnabled", True),
            AlarmConfigurationUpdatedTimestamp=now,
            StateValue=old["StateValue"] if old else "INSUFFICIENT_DATA",
            StateReason=old["StateReason"] if old else "Unchecked: Initial alarm creation",
            StateUpdatedTimestamp=old["StateUpdatedTimestamp"] if old else now,
            StateTransitionedTimestamp=old["StateTransitionedTimestamp"] if old else now,
        )
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions", "Dimensions"):
            doc.setdefault(key, [])
        self.alarms[name] = doc
        await self._store.save_alarm(name, doc)
        self.wake()

    def describe(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        names = params.get("AlarmNames")
        prefix = params.get("AlarmNamePrefix") or ""
        state = params.get("StateValue")
        out = []
        for name in sorted(self.alarms):
            doc = self.alarms[name]
            if names and name not in names or not name.startswith(prefix):
                continue
            if state and doc["StateValue"] != state:
                continue
            out.append(_wire(doc))
        return out

    def for_metric(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        keys = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit")
        out = []
        for doc in self.alarms.values():
            if any(params.get(k) is not None and doc.get(k) != params[k] for k in keys):
                continue
            if params.get("Dimensions") is not None and doc["Dimensions"] != params["Dimensions"]:
                continue
            out.append(_wire(doc))
        return out

    async def delete(self, names: Sequence[str]) -> None:
        missing = [n for n in names if n not in self.alarms]
        if missing:
            raise ResourceNotFound(f"{', '.join(missing)} does not exist")
        for name in names:
            del self.alarms[name]
        await self._store.delete_alarms(names)

    async def set_state(self, params: Mapping[str, Any]) -> None:
        doc = self.alarms.get(params["AlarmName"])
        if doc is None:
            raise ResourceNotFound(f"Alarm {params['AlarmName']} not found")
        if params.get("StateReasonData"):
            try:
                json.loads(params["StateReasonData"])
            except ValueError:
                raise InvalidParameterValue("StateReasonData is not valid JSON.") from None
        await self._transition(doc, params["StateValue"], params["StateReason"])

    # evaluation ------------------------------------------------------------------------

    async def run_due(self) -> float | None:
        registry = self._recorder.registry
        self._recorder.fold()
        now = self._clock.now()
        for doc in list(self.alarms.values()):
            values = alarm_rules.period_values(registry, doc, now)
            verdict = alarm_rules.decide(doc, values)
            if verdict is not None and verdict.state != doc["StateValue"]:
                await self._transition(doc, verdict.state, verdict.reason)
        if not self.alarms:
            return None
        return (int(now // EVALUATE_EVERY_S) + 1) * EVALUATE_EVERY_S

    async def _transition(self, doc: dict[str, Any], state: str, reason: str) -> None:
        now = self._clock.now()
        old = doc["StateValue"]
        doc.update(StateValue=state, StateReason=reason, StateUpdatedTimestamp=now)
        if old != state:
            doc["StateTransitionedTimestamp"] = now
        await self._store.save_alarm(doc["AlarmName"], doc)
        if old != state and doc.get("ActionsEnabled", True):
            await self._notify(doc, old, now)

    async def _notify(self, doc: dict[str, Any], old: str, now: float) -> None:
        topics = [
            a for a in doc.get(_ACTIONS[doc["StateValue"]], []) if a.startswith("arn:aws:sns:")
        ]
        if not topics or self.publisher is None:
            return
        region = REGION_NAMES.get(self._region, self._region)
        subject = f'{doc["StateValue"]}: "{doc["AlarmName"]}" in {region}'
        message = json.dumps(self.notification(doc, old, now))
        for topic in topics:
            try:
                await self.publisher.publish_to_topic(topic, message, subject=subject[:100])
            except Exception as exc:  # a missing topic must not stop evaluation
                log.warning("alarm %s: could not notify %s: %s", doc["AlarmName"], topic, exc)

    def notification(self, doc: Mapping[str, Any], old: str, now: float) -> dict[str, Any]:
        """The JSON CloudWatch publishes to an alarm's SNS topics."""
        return {
            "AlarmName": doc["AlarmName"],
            "AlarmDescription": doc.get("AlarmDescription"),
            "AWSAccountId": self._account,
            "AlarmConfigurationUpdatedTimestamp": _iso(doc["AlarmConfigurationUpdatedTimestamp"]),
            "NewStateValue": doc["StateValue"],
            "NewStateReason": doc["StateReason"],
            "StateChangeTime": _iso(now),
            "Region": REGION_NAMES.get(self._region, self._region),
            "AlarmArn": doc["AlarmArn"],
            "OldStateValue": old,
            "OKActions": doc.get("OKActions", []),
            "AlarmActions": doc.get("AlarmActions", []),
            "InsufficientDataActions": doc.get("InsufficientDataActions", []),
            "Trigger": {
                "MetricName": doc["MetricName"],
                "Namespace": doc["Namespace"],
                "StatisticType": "Statistic" if doc.get("Statistic") else "ExtendedStatistic",
                "Statistic": doc.get("Statistic") or doc.get("ExtendedStatistic"),
                "Unit": doc.get("Unit"),
                "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in doc["Dimensions"]],
                "Period": doc["Period"],
                "EvaluationPeriods": doc["EvaluationPeriods"],
                "DatapointsToAlarm": doc.get("DatapointsToAlarm", doc["EvaluationPeriods"]),
                "ComparisonOperator": doc["ComparisonOperator"],
                "Threshold": doc.get("Threshold"),
                "TreatMissingData": doc.get("TreatMissingData", "missing"),
                "EvaluateLowSampleCountPercentile": doc.get("EvaluateLowSampleCountPercentile", ""),
            },
        }


_TIMES = (
    "AlarmConfigurationUpdatedTimestamp",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
)


def _wire(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for key in _TIMES:
        if key in out:
            out[key] = datetime.fromtimestamp(float(out[key]), tz=UTC)
    return out
