"""CloudWatch over Smithy RPC v2 CBOR, the protocol its model names first and Smithy-built
SDKs speak: a real botocore client made to resolve that protocol (its own serializer and
CBOR parser) puts and reads metrics, alarms with their timestamps, and gets CloudWatch's
errors, as the JSON and query clients do."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore
import httpx
import pytest
from botocore.config import Config

from lambdalite.testing import clock_now
from tests.acceptance.conftest import Server, start_server, stop_server


def _cbor_only_model(root: Path) -> Path:
    """botocore's own CloudWatch model, with CBOR as the only protocol it lists."""
    models = Path(botocore.__file__).parent / "data" / "cloudwatch"
    (source,) = sorted(models.glob("*/service-2.json*"))[-1:]
    text = gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes()
    model = json.loads(text)
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    target = root / "cloudwatch" / source.parent.name / "service-2.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(model))
    return root


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("cbor"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def cw(srv: Server, tmp_path_factory: pytest.TempPathFactory) -> Any:
    session = boto3.session.Session()
    data = _cbor_only_model(tmp_path_factory.mktemp("models"))
    # A session of its own whose model loader looks there first.
    session._session.get_component("data_loader").search_paths.insert(0, str(data))
    client = session.client(
        "cloudwatch", endpoint_url=srv.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    yield client
    client.close()


def test_put_and_read_metrics_in_cbor(srv: Server, cw: Any) -> None:
    now = datetime.fromtimestamp(clock_now(srv.endpoint), tz=UTC).replace(second=0, microsecond=0)
    cw.put_metric_data(
        Namespace="App/Cbor",
        MetricData=[
            {"MetricName": "Orders", "Value": v, "Unit": "Count", "Timestamp": now,
             "Dimensions": [{"Name": "Shop", "Value": "north"}]}
            for v in (1.0, 2.0, 4.0)
        ],
    )  # fmt: skip
    stats = cw.get_metric_statistics(
        Namespace="App/Cbor", MetricName="Orders",
        Dimensions=[{"Name": "Shop", "Value": "north"}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5),
        Period=60, Statistics=["Sum", "Maximum"],
    )["Datapoints"]  # fmt: skip
    assert [(p["Sum"], p["Maximum"], p["Timestamp"]) for p in stats] == [(7.0, 4.0, now)]
    data = cw.get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {
            "Metric": {"Namespace": "App/Cbor", "MetricName": "Orders",
                       "Dimensions": [{"Name": "Shop", "Value": "north"}]},
            "Period": 60, "Stat": "Average"}}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5),
    )["MetricDataResults"]  # fmt: skip
    assert (data[0]["Timestamps"], data[0]["Values"]) == ([now], [7.0 / 3])
    listed = cw.list_metrics(Namespace="App/Cbor")["Metrics"]
    assert [m["MetricName"] for m in listed] == ["Orders"]


def test_alarms_in_cbor(cw: Any) -> None:
    cw.put_metric_alarm(
        AlarmName="cbor-high", Namespace="App/Cbor", MetricName="Orders", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=100.0,
        ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    [alarm] = cw.describe_alarms(AlarmNames=["cbor-high"])["MetricAlarms"]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (100.0, "GreaterThanThreshold")
    assert isinstance(alarm["AlarmConfigurationUpdatedTimestamp"], datetime)


def test_errors_in_cbor(srv: Server, cw: Any) -> None:
    with pytest.raises(cw.exceptions.InvalidParameterValueException) as raised:
        cw.get_metric_statistics(
            Namespace="App/Cbor", MetricName="Orders", Period=61, Statistics=["Sum"],
            StartTime=datetime(2026, 1, 1, tzinfo=UTC), EndTime=datetime(2026, 1, 2, tzinfo=UTC),
        )  # fmt: skip
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Bytes that are not CBOR, and an operation CloudWatch does not have: the server answers
    # in the protocol and keeps serving.
    path = "/service/GraniteServiceVersion20100801/operation/"
    headers = {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}
    bad = httpx.post(f"{srv.endpoint}{path}ListMetrics", content=b"\xff\xfe", headers=headers)
    assert bad.status_code == 400 and bad.headers["smithy-protocol"] == "rpc-v2-cbor"
    unknown = httpx.post(f"{srv.endpoint}{path}NoSuchThing", content=b"\xa0", headers=headers)
    assert unknown.status_code == 400
    assert cw.list_metrics(Namespace="App/Cbor")["Metrics"]
