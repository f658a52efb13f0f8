"""SNS control plane and Publish validation, boto3 against a real server (virtual clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import Server, start_server, stop_server

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:some-queue"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:some-function"
_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("sns"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def sns(srv: Server) -> Any:
    return srv.client("sns")


def topic(sns: Any, **attributes: str) -> str:
    name = f"topic-{next(_names)}" + (".fifo" if attributes.get("FifoTopic") else "")
    return str(sns.create_topic(Name=name, Attributes=attributes)["TopicArn"])


def error(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_create_topic_is_idempotent_and_lists(sns: Any) -> None:
    first = sns.create_topic(Name="same-name")["TopicArn"]
    assert first == "arn:aws:sns:us-east-1:000000000000:same-name"
    assert sns.create_topic(Name="same-name")["TopicArn"] == first
    listed = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert listed.count(first) == 1
    code, message, _ = error(
        sns.create_topic, Name="same-name", Attributes={"DisplayName": "other"}
    )
    assert (code, message) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
    )


def test_create_topic_rejects_bad_names(sns: Any) -> None:
    assert error(sns.create_topic, Name="bad name")[:2] == (
        "InvalidParameter",
        "Invalid parameter: Topic Name",
    )
    assert error(sns.create_topic, Name="x" * 257)[0] == "InvalidParameter"
    assert error(sns.create_topic, Name="plain.fifo")[0] == "InvalidParameter"
    code, message, _ = error(sns.create_topic, Name="nofifo", Attributes={"FifoTopic": "true"})
    assert code == "InvalidParameter" and "must end with .fifo" in message


def test_list_topics_paginates(sns: Any) -> None:
    for _ in range(101):
        topic(sns)
    page = sns.list_topics()
    assert len(page["Topics"]) == 100 and "NextToken" in page
    rest = sns.list_topics(NextToken=page["NextToken"])
    seen = {t["TopicArn"] for t in page["Topics"] + rest["Topics"]}
    assert len(seen) == len(page["Topics"]) + len(rest["Topics"])
    assert error(sns.list_topics, NextToken="garbage")[0] == "InvalidParameter"


def test_topic_attributes(sns: Any) -> None:
    arn = topic(sns)
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn
    assert attributes["Owner"] == "000000000000"
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert json.loads(attributes["Policy"])["Statement"][0]["Resource"] == arn
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE_ARN)
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "Shown"
    assert attributes["Policy"] == policy
    assert attributes["SubscriptionsConfirmed"] == "1"
    code, message, _ = error(
        sns.set_topic_attributes, TopicArn=arn, AttributeName="Nope", AttributeValue="x"
    )
    assert (code, message) == ("InvalidParameter", "Invalid parameter: AttributeName")


def test_unknown_topics(sns: Any) -> None:
    missing = "arn:aws:sns:us-east-1:000000000000:missing"
    assert error(sns.get_topic_attributes, TopicArn=missing) == (
        "NotFound",
        "Topic does not exist",
        404,
    )
    assert error(sns.publish, TopicArn=missing, Message="x")[::2] == ("NotFound", 404)
    assert error(sns.subscribe, TopicArn=missing, Protocol="sqs", Endpoint=QUEUE_ARN)[0] == (
        "NotFound"
    )
    assert error(sns.list_subscriptions_by_topic, TopicArn=missing)[0] == "NotFound"
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish_batch(
            TopicArn=missing, PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}]
        )
    assert error(sns.get_topic_attributes, TopicArn="not-an-arn")[0] == "InvalidParameter"


def test_delete_topic_removes_subscriptions_and_is_idempotent(sns: Any) -> None:
    arn = topic(sns)
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE_ARN)["SubscriptionArn"]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert error(sns.get_subscription_attributes, SubscriptionArn=sub)[::2] == ("NotFound", 404)


def test_subscribe_sqs_and_lambda(sns: Any) -> None:
    arn = topic(sns)
    sqs_sub = sns.subscribe(
        TopicArn=arn, Protocol="sqs", Endpoint=QUEUE_ARN, ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    assert sqs_sub.startswith(arn + ":")
    again = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE_ARN)["SubscriptionArn"]
    assert again == sqs_sub
    fn_sub = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=FUNCTION_ARN)
    subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert {(s["Protocol"], s["Endpoint"]) for s in subs} == {
        ("sqs", QUEUE_ARN),
        ("lambda", FUNCTION_ARN),
    }
    everything = [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]]
    assert sqs_sub in everything and fn_sub["SubscriptionArn"] in everything
    attributes = sns.get_subscription_attributes(SubscriptionArn=sqs_sub)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["RawMessageDelivery"] == "false"
    assert (attributes["Protocol"], attributes["Endpoint"], attributes["TopicArn"]) == (
        "sqs",
        QUEUE_ARN,
        arn,
    )


def test_subscribe_rejects_protocols_and_endpoints(sns: Any) -> None:
    arn = topic(sns)
    for protocol, endpoint in [("sms", "+15555550100"), ("email", "a@example.com")]:
        assert error(sns.subscribe, TopicArn=arn, Protocol=protocol, Endpoint=endpoint)[0] == (
            "InvalidParameter"
        )
    assert error(sns.subscribe, TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x")[:2] == (
        "InvalidParameter",
        "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon",
    )
    assert error(sns.subscribe, TopicArn=arn, Protocol="sqs", Endpoint="not-an-arn")[:2] == (
        "InvalidParameter",
        "Invalid parameter: SQS endpoint ARN",
    )
    assert error(sns.subscribe, TopicArn=arn, Protocol="lambda", Endpoint=QUEUE_ARN)[:2] == (
        "InvalidParameter",
        "Invalid parameter: Lambda endpoint ARN",
    )
    assert error(sns.subscribe, TopicArn=arn, Protocol="https", Endpoint="http://x.test/")[:2] == (
        "InvalidParameter",
        "Invalid parameter: Endpoint must match the specified protocol",
    )


def test_subscription_attributes(sns: Any) -> None:
    arn = topic(sns)
    sub = sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=QUEUE_ARN,
        Attributes={"RawMessageDelivery": "True", "FilterPolicy": '{"a": ["b"]}'},
    )["SubscriptionArn"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    redrive = json.dumps({"deadLetterTargetArn": QUEUE_ARN})
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=redrive
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageBody"
    assert attributes["RedrivePolicy"] == redrive
    assert error(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="Bogus")[
        :2
    ] == ("InvalidParameter", "Invalid parameter: AttributeName")
    code, message, _ = error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="RawMessageDelivery",
        AttributeValue="maybe",
    )
    assert code == "InvalidParameter" and "RawMessageDelivery" in message


def test_lambda_subscriptions_refuse_raw_delivery(sns: Any) -> None:
    arn = topic(sns)
    code, message, _ = error(
        sns.subscribe,
        TopicArn=arn,
        Protocol="lambda",
        Endpoint=FUNCTION_ARN,
        Attributes={"RawMessageDelivery": "true"},
    )
    assert (code, message) == (
        "InvalidParameter",
        "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery.",
    )


# SNS's recorded wording (AWS appends its JSON parser's position, which lambdalite omits):
# Subscribe says "Attributes Reason: FilterPolicy: ...", SetSubscriptionAttributes
# "FilterPolicy: ...", and a nested policy in MessageAttributes scope names no attribute.
_POLICY_ERRORS = [
    ("{not json", "MessageAttributes", "FilterPolicy: failed to parse JSON."),
    (
        '{"a": {"b": ["c"]}}',
        "MessageAttributes",
        "Filter policy scope MessageAttributes does not support nested filter policy",
    ),
    ('{"a": [{"numeric": [">", "x"]}]}', "MessageBody", "FilterPolicy: Value of > must be numeric"),
    (
        '{"key": [["value"]]}',
        "MessageAttributes",
        "FilterPolicy: Match value must be String, number, true, false, or null",
    ),
    (
        '{"key": [{"wrong-operator": true}]}',
        "MessageAttributes",
        "FilterPolicy: Unrecognized match type wrong-operator",
    ),
    (
        '{"key": [{"suffix": "a", "prefix": "b"}]}',
        "MessageAttributes",
        "FilterPolicy: Only one key allowed in match expression",
    ),
    (
        '{"key": [{"suffix": 100}]}',
        "MessageAttributes",
        "FilterPolicy: suffix match pattern must be a string",
    ),
    (
        '{"key_a": "value_one"}',
        "MessageAttributes",
        'FilterPolicy: "key_a" must be an object or an array',
    ),
    (
        '{"key": [{"numeric": []}]}',
        "MessageAttributes",
        "FilterPolicy: Invalid member in numeric match: ]",
    ),
    (
        '{"key": [{"numeric": ["=", "000"]}]}',
        "MessageAttributes",
        "FilterPolicy: Value of equals must be numeric",
    ),
    (
        '{"key": [{"numeric": ["<", 100, ">", 10]}]}',
        "MessageAttributes",
        "FilterPolicy: Too many elements in numeric expression",
    ),
    (
        '{"key": [{"numeric": [">=", 1, ">", 2]}]}',
        "MessageAttributes",
        "FilterPolicy: Bad numeric range operator: >",
    ),
    (
        '{"key": [{"numeric": [">", 3, "<", 1]}]}',
        "MessageAttributes",
        "FilterPolicy: Bottom must be less than top",
    ),
    (
        '{"key": [{"exists": null}]}',
        "MessageAttributes",
        "FilterPolicy: exists match pattern must be either true or false.",
    ),
    (
        json.dumps({f"k{i}": ["v"] for i in range(6)}),
        "MessageAttributes",
        "FilterPolicy: Filter policy can not have more than 5 keys",
    ),
    (
        json.dumps({"a": [str(i) for i in range(151)]}),
        "MessageAttributes",
        "FilterPolicy: Filter policy is too complex",
    ),
]


@pytest.mark.parametrize(("policy", "scope", "reason"), _POLICY_ERRORS)
def test_invalid_filter_policies_at_subscribe(
    sns: Any, policy: str, scope: str, reason: str
) -> None:
    arn = topic(sns)
    assert error(
        sns.subscribe,
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=QUEUE_ARN,
        Attributes={"FilterPolicy": policy, "FilterPolicyScope": scope},
    ) == ("InvalidParameter", f"Invalid parameter: Attributes Reason: {reason}", 400)
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []


@pytest.mark.parametrize(("policy", "scope", "reason"), _POLICY_ERRORS)
def test_invalid_filter_policies_at_set_subscription_attributes(
    sns: Any, policy: str, scope: str, reason: str
) -> None:
    arn = topic(sns)
    sub = sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=QUEUE_ARN,
        Attributes={"FilterPolicyScope": scope},
    )["SubscriptionArn"]
    assert error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="FilterPolicy",
        AttributeValue=policy,
    ) == ("InvalidParameter", f"Invalid parameter: {reason}", 400)
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]


def test_filter_policy_scope_must_fit_the_policy(sns: Any) -> None:
    arn = topic(sns)
    nested = json.dumps({"object": {"key": [{"prefix": "auto-"}]}})
    sub = sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=QUEUE_ARN,
        Attributes={"FilterPolicy": nested, "FilterPolicyScope": "MessageBody"},
    )["SubscriptionArn"]
    assert error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="FilterPolicyScope",
        AttributeValue="MessageAttributes",
    )[1] == (
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
        "filter policy"
    )
    assert error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="FilterPolicyScope",
        AttributeValue="RandomValue",
    )[1] == (
        "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either "
        "MessageBody or MessageAttributes"
    )
    assert error(
        sns.subscribe,
        TopicArn=topic(sns),
        Protocol="sqs",
        Endpoint=QUEUE_ARN,
        Attributes={"FilterPolicyScope": "RandomValue"},
    )[1] == (
        "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [RandomValue]. "
        "Please use either MessageBody or MessageAttributes"
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert (attributes["FilterPolicy"], attributes["FilterPolicyScope"]) == (nested, "MessageBody")


def test_unsubscribe(sns: Any) -> None:
    arn = topic(sns)
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE_ARN)["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)  # idempotent
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    assert error(sns.get_subscription_attributes, SubscriptionArn=sub)[:2] == (
        "NotFound",
        "Subscription does not exist",
    )
    assert error(sns.unsubscribe, SubscriptionArn="nonsense")[0] == "InvalidParameter"


def test_publish_validation(sns: Any) -> None:
    arn = topic(sns)
    assert sns.publish(TargetArn=arn, Message="via TargetArn")["MessageId"]
    assert sns.publish(TopicArn=arn, Message="x" * (256 * 1024))["MessageId"]
    too_long = error(sns.publish, TopicArn=arn, Message="x" * (256 * 1024 + 1))
    assert too_long == ("InvalidParameter", "Invalid parameter: Message too long", 400)
    attribute = {"a": {"DataType": "String", "StringValue": "y"}}
    assert error(
        sns.publish, TopicArn=arn, Message="x" * (256 * 1024 - 3), MessageAttributes=attribute
    )[1] == ("Invalid parameter: Message too long")
    assert error(sns.publish, TopicArn=arn, Message="")[1] == "Invalid parameter: Empty message"
    assert error(sns.publish, TopicArn=arn, Message="m", Subject="line\nbreak")[1] == (
        "Invalid parameter: Subject"
    )
    assert error(sns.publish, Message="m")[0] == "InvalidParameter"
    structure = error(sns.publish, TopicArn=arn, Message='{"sqs": "x"}', MessageStructure="json")
    assert (
        structure[1]
        == "Invalid parameter: Message Structure - No default entry in JSON message body"
    )


@pytest.mark.parametrize(
    ("attribute", "fragment"),
    [
        ({"DataType": "Number", "StringValue": "ten"}, "to number"),
        ({"DataType": "Numbers", "StringValue": "1"}, "invalid message attribute type"),
        ({"DataType": "String", "StringValue": ""}, "must contain non-empty"),
        ({"DataType": "Binary", "StringValue": "x"}, "must use field 'Binary'"),
    ],
)
def test_publish_rejects_bad_message_attributes(
    sns: Any, attribute: dict[str, str], fragment: str
) -> None:
    arn = topic(sns)
    code, message, _ = error(
        sns.publish, TopicArn=arn, Message="m", MessageAttributes={"attr": attribute}
    )
    assert code == "ParameterValueInvalid" and fragment in message


def test_publish_batch(sns: Any) -> None:
    arn = topic(sns)
    entries = [
        {"Id": "ok-1", "Message": "one"},
        {
            "Id": "bad_attr",
            "Message": "two",
            "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}},
        },
        {"Id": "empty", "Message": ""},
        {"Id": "ok-2", "Message": "three", "Subject": "s"},
    ]
    result = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=entries)
    assert [s["Id"] for s in result["Successful"]] == ["ok-1", "ok-2"]
    failed = {f["Id"]: f for f in result["Failed"]}
    assert failed["bad_attr"]["Code"] == "ParameterValueInvalid"
    assert failed["empty"]["Code"] == "InvalidParameter"
    assert all(f["SenderFault"] for f in result["Failed"])


@pytest.mark.parametrize(
    ("entries", "exception"),
    [
        ([], "EmptyBatchRequestException"),
        (
            [{"Id": f"e{i}", "Message": "m"} for i in range(11)],
            "TooManyEntriesInBatchRequestException",
        ),
        ([{"Id": "same", "Message": "m"}] * 2, "BatchEntryIdsNotDistinctException"),
        ([{"Id": "bad id!", "Message": "m"}], "InvalidBatchEntryIdException"),
        (
            [{"Id": f"e{i}", "Message": "x" * 30_000} for i in range(9)],
            "BatchRequestTooLongException",
        ),
    ],
)
def test_publish_batch_request_errors(
    sns: Any, entries: list[dict[str, Any]], exception: str
) -> None:
    arn = topic(sns)
    with pytest.raises(getattr(sns.exceptions, exception)):
        sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=entries)


def test_fifo_topics(sns: Any) -> None:
    arn = topic(sns, FifoTopic="true")
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["FifoTopic"], attributes["ContentBasedDeduplication"]) == ("true", "false")
    assert error(sns.publish, TopicArn=arn, Message="m")[1] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    assert (
        "ContentBasedDeduplication"
        in error(sns.publish, TopicArn=arn, Message="m", MessageGroupId="g")[1]
    )
    first = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    again = sns.publish(TopicArn=arn, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    assert first["MessageId"] == again["MessageId"] and first["SequenceNumber"]
    assert error(sns.subscribe, TopicArn=arn, Protocol="lambda", Endpoint=FUNCTION_ARN)[1] == (
        "Invalid parameter: Invalid protocol type: lambda"
    )
    standard = topic(sns)
    assert (
        "MessageDeduplicationId"
        in error(sns.publish, TopicArn=standard, Message="m", MessageDeduplicationId="d")[1]
    )


def test_server_keeps_serving_after_errors(srv: Server, sns: Any) -> None:
    log = Path(srv.log_path).read_text()
    assert "Traceback" not in log
    assert sns.list_topics()["Topics"]
