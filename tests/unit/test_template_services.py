"""S3 and DynamoDB resources of templates: CloudFormation's shapes become the APIs', and
without the services extra a bucket or table is one clear error."""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

import pytest

from lambdalite.template.errors import TemplateError
from lambdalite.template.provision.base import Env, Request
from lambdalite.template.provision.layers import published_here
from lambdalite.template.provision.s3 import notification_configuration, require_services
from lambdalite.template.responses import CustomResponses

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


def _env(warnings: list[str]) -> Env:
    loop = asyncio.new_event_loop()
    loop.close()
    return Env("http://x", "us-east-1", "000000000000", "s", warnings.append, loop,
               CustomResponses())  # fmt: skip


def test_cloudformation_notifications_become_the_api_configuration() -> None:
    warnings: list[str] = []
    declared: dict[str, Any] = {
        "LambdaConfigurations": [
            {
                "Event": "s3:ObjectCreated:*",
                "Function": ARN,
                "Filter": {"S3Key": {"Rules": [{"Name": "suffix", "Value": ".jpeg"}]}},
            }
        ],
        "QueueConfigurations": [{"Event": "s3:ObjectRemoved:*", "Queue": "arn:aws:sqs:q"}],
        "TopicConfigurations": [{"Event": "s3:ObjectCreated:Put", "Topic": "arn:aws:sns:t"}],
        "EventBridgeConfiguration": {"EventBridgeEnabled": True},
    }
    request = Request("Photos", "AWS::S3::Bucket", {"NotificationConfiguration": declared})
    assert notification_configuration(_env(warnings), request) == {
        "LambdaFunctionConfigurations": [
            {
                "LambdaFunctionArn": ARN,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpeg"}]}},
            }
        ],
        "QueueConfigurations": [{"QueueArn": "arn:aws:sqs:q", "Events": ["s3:ObjectRemoved:*"]}],
        "TopicConfigurations": [{"TopicArn": "arn:aws:sns:t", "Events": ["s3:ObjectCreated:Put"]}],
    }
    assert warnings == [
        "AWS::S3::Bucket Photos: NotificationConfiguration.EventBridgeConfiguration "
        "is not emulated (ignored)"
    ]


def test_without_the_services_extra_a_bucket_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a)
    )
    with pytest.raises(TemplateError) as caught:
        require_services(Request("Orders", "AWS::DynamoDB::Table", {}))
    assert str(caught.value) == (
        "Orders: AWS::DynamoDB::Table needs the S3/DynamoDB emulation: "
        "pip install 'lambdalite[services]'"
    )


def test_only_layers_of_this_account_and_region_are_passed_through() -> None:
    env = _env([])
    assert published_here(env, "arn:aws:lambda:us-east-1:000000000000:layer:shared:3")
    assert not published_here(env, "arn:aws:lambda:us-east-1:175033217214:layer:graphicsmagick:2")
    assert not published_here(env, "arn:aws:lambda:eu-west-1:000000000000:layer:shared:3")
