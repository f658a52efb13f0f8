"""Metric alarms on the virtual clock: an alarm on a function's Errors goes to ALARM and its
SNS topic's SQS subscriber receives CloudWatch's notification; SetAlarmState, DescribeAlarms
and DeleteAlarms answer as CloudWatch does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

FAILS = "def handler(event, context):\n    raise ValueError('planned')\n"


@pytest.fixture(scope="module")
def vserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("alarms"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


def subscribed_queue(server: Server) -> tuple[str, str]:
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    url = sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
    return topic, url


def notifications(server: Server, url: str) -> list[dict[str, Any]]:
    sqs = server.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


def test_an_errors_alarm_fires_and_notifies_its_topic(vserver: Server) -> None:
    lam, cw = vserver.client("lambda"), vserver.client("cloudwatch")
    topic, url = subscribed_queue(vserver)
    fn = create(lam, FAILS)
    cw.put_metric_alarm(
        AlarmName="errors",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Dimensions=[{"Name": "FunctionName", "Value": fn}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=2,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    drain(vserver.endpoint)
    (alarm,) = cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"

    lam.invoke(FunctionName=fn, Payload=b"{}")
    lam.invoke(FunctionName=fn, Payload=b"{}")
    drain(vserver.endpoint)
    (alarm,) = cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM", alarm["StateReason"]
    (note,) = notifications(vserver, url)
    assert note["AlarmName"] == "errors" and note["NewStateValue"] == "ALARM"
    assert note["OldStateValue"] == "INSUFFICIENT_DATA"
    assert note["Trigger"]["MetricName"] == "Errors"
    assert note["Trigger"]["Dimensions"] == [{"value": fn, "name": "FunctionName"}]

    advance(vserver.endpoint, 120)  # the errors' minute is no longer evaluated
    drain(vserver.endpoint)
    (alarm,) = cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"  # TreatMissingData: missing

    cw.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="by hand")
    drain(vserver.endpoint)
    assert [n["NewStateValue"] for n in notifications(vserver, url)] == ["OK"]
    assert (
        cw.describe_alarms_for_metric(MetricName="Errors", Namespace="AWS/Lambda")["MetricAlarms"][
            0
        ]["AlarmName"]
        == "errors"
    )
    cw.delete_alarms(AlarmNames=["errors"])
    assert cw.describe_alarms()["MetricAlarms"] == []
    with pytest.raises(ClientError) as err:
        cw.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="x")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
