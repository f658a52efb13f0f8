"""SNS in its corners (issue 15): MessageBody filters on nested and dotted body fields,
PublishBatch's request-level errors, and the aws CLI's view of SNS's errors (query
protocol). A real server on the virtual clock; deliveries are awaited with the drain hook."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, start_server, stop_server

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:some-queue"
_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("sns-c"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def sns(srv: Server) -> Any:
    return srv.client("sns")


@pytest.fixture(scope="module")
def sqs(srv: Server) -> Any:
    return srv.client("sqs")


def topic(sns: Any) -> str:
    return str(sns.create_topic(Name=f"corner-{next(_names)}")["TopicArn"])


def error(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def aws(srv: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = ["aws", "--endpoint-url", srv.endpoint, "--output", "json", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def bodies(srv: Server, sqs: Any, url: str) -> list[str]:
    drain(srv.endpoint)
    out: list[str] = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        out += [m["Body"] for m in got]
    return out


def body_subscriber(sns: Any, sqs: Any, policy: dict[str, Any]) -> tuple[str, str]:
    """A topic with one raw-delivery queue subscribed under `policy` in MessageBody scope."""
    arn = topic(sns)
    url = sqs.create_queue(QueueName=f"cq-{next(_names)}")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=queue["QueueArn"],
        Attributes={
            "FilterPolicy": json.dumps(policy),
            "FilterPolicyScope": "MessageBody",
            "RawMessageDelivery": "true",
        },
    )
    return arn, url


# --- MessageBody scope on nested fields -------------------------------------------------


def test_body_filter_on_dotted_paths(srv: Server, sns: Any, sqs: Any) -> None:
    arn, url = body_subscriber(sns, sqs, {"object.nested.test": ["string.value"]})
    delivered = [
        {"object": {"nested": {"test": "string.value"}}},
        {"object.nested.test": "string.value"},
        {"object.nested": {"test": "string.value"}},
        {"object": {"nested.test": "string.value"}},
    ]
    for body in [*delivered, {"object": {"nested": {"test": "string.notvalue"}}}]:
        sns.publish(TopicArn=arn, Message=json.dumps(body))
    assert sorted(bodies(srv, sqs, url)) == sorted(json.dumps(b) for b in delivered)


def test_body_filter_on_nested_objects(srv: Server, sns: Any, sqs: Any) -> None:
    policy = {
        "order": {
            "items": {"sku": [{"prefix": "A-"}], "qty": [{"numeric": [">=", 2]}]},
            "$or": [{"state": ["paid"]}, {"total": [{"numeric": [">", 100]}]}],
        }
    }
    arn, url = body_subscriber(sns, sqs, policy)
    paid = {
        "order": {"state": "paid", "items": [{"sku": "B-1", "qty": 9}, {"sku": "A-1", "qty": 2}]}
    }
    big = {"order.total": 101, "order": {"state": "open", "items": {"sku": "A-9", "qty": 3}}}
    refused = [
        # sku and qty from different elements of one array never combine
        {"order": {"state": "paid", "items": [{"sku": "A-1", "qty": 1}, {"sku": "B", "qty": 5}]}},
        {"order": {"state": "open", "total": 100, "items": {"sku": "A-9", "qty": 3}}},
        {"order": "paid"},
    ]
    for body in [paid, big, *refused]:
        sns.publish(TopicArn=arn, Message=json.dumps(body))
    sns.publish(TopicArn=arn, Message="not json")
    assert sorted(bodies(srv, sqs, url)) == sorted([json.dumps(paid), json.dumps(big)])


# --- PublishBatch request errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "code", "message"),
    [
        ([], "EmptyBatchRequest", "The batch request doesn't contain any entries."),
        (
            [{"Id": f"e{i}", "Message": "m"} for i in range(11)],
            "TooManyEntriesInBatchRequest",
            "The batch request contains more entries than permissible.",
        ),
        (
            [{"Id": "same", "Message": "m"}, {"Id": "same", "Message": "n"}],
            "BatchEntryIdsNotDistinct",
            "Two or more batch entries in the request have the same Id.",
        ),
        (
            [{"Id": "bad id!", "Message": "m"}],
            "InvalidBatchEntryId",
            "The Id of a batch entry in a batch request doesn't abide by the specification.",
        ),
        (
            [{"Id": "x" * 81, "Message": "m"}],
            "InvalidBatchEntryId",
            "The Id of a batch entry in a batch request doesn't abide by the specification.",
        ),
    ],
)
def test_publish_batch_entry_id_errors(
    sns: Any, entries: list[dict[str, str]], code: str, message: str
) -> None:
    arn = topic(sns)
    assert error(sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=entries) == (
        code,
        message,
        400,
    )


def test_publish_batch_size_is_checked_before_the_topic(sns: Any) -> None:
    missing = "arn:aws:sns:us-east-1:000000000000:no-such-topic"
    eleven = [{"Id": f"e{i}", "Message": "m"} for i in range(11)]
    assert error(sns.publish_batch, TopicArn=missing, PublishBatchRequestEntries=eleven)[0] == (
        "TooManyEntriesInBatchRequest"
    )
    twins = [{"Id": "a", "Message": "m"}] * 2
    assert error(sns.publish_batch, TopicArn=missing, PublishBatchRequestEntries=twins)[:2] == (
        "NotFound",
        "Topic does not exist",
    )


def test_publish_batch_errors_through_the_aws_cli(srv: Server, sns: Any) -> None:
    arn = topic(sns)
    twins = json.dumps([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}])
    done = aws(
        srv, "sns", "publish-batch", "--topic-arn", arn, "--publish-batch-request-entries", twins
    )
    assert done.returncode != 0
    assert (
        "An error occurred (BatchEntryIdsNotDistinct) when calling the PublishBatch operation: "
        "Two or more batch entries in the request have the same Id." in done.stderr
    )
    ok = aws(
        srv,
        "sns",
        "publish-batch",
        "--topic-arn",
        arn,
        "--publish-batch-request-entries",
        json.dumps([{"Id": "a-1", "Message": "m"}]),
    )
    assert ok.returncode == 0, ok.stderr
    assert [s["Id"] for s in json.loads(ok.stdout)["Successful"]] == ["a-1"]


def test_filter_policy_errors_through_the_aws_cli(srv: Server, sns: Any) -> None:
    arn = topic(sns)
    done = aws(
        srv,
        "sns",
        "subscribe",
        "--topic-arn",
        arn,
        "--protocol",
        "sqs",
        "--notification-endpoint",
        QUEUE_ARN,
        "--attributes",
        json.dumps({"FilterPolicy": '{"a": {"b": ["c"]}}'}),
    )
    assert done.returncode != 0
    assert (
        "An error occurred (InvalidParameter) when calling the Subscribe operation: Invalid "
        "parameter: Attributes Reason: Filter policy scope MessageAttributes does not support "
        "nested filter policy" in done.stderr
    )
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE_ARN)["SubscriptionArn"]
    done = aws(
        srv,
        "sns",
        "set-subscription-attributes",
        "--subscription-arn",
        sub,
        "--attribute-name",
        "FilterPolicy",
        "--attribute-value",
        '{"k": [{"exists": 1}]}',
    )
    assert done.returncode != 0
    assert (
        "(InvalidParameter) when calling the SetSubscriptionAttributes operation: Invalid "
        "parameter: FilterPolicy: exists match pattern must be either true or false." in done.stderr
    )


# --- HTTP/S subscriptions: confirmation, ConfirmSubscription, delivery -----------------


class _Endpoint(BaseHTTPRequestHandler):
    """An HTTP subscriber: records every POST; answers with the status in `answer`."""

    received: list[tuple[dict[str, str], dict[str, Any] | str]] = []
    answer = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's spelling)
        raw = self.rfile.read(int(self.headers["content-length"])).decode()
        try:
            body: dict[str, Any] | str = json.loads(raw)
        except ValueError:
            body = raw
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(type(self).answer)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[_Endpoint]]]:
    handler = type("Endpoint", (_Endpoint,), {"received": [], "answer": 200})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", handler
    httpd.shutdown()
    httpd.server_close()


def test_http_subscription_is_confirmed_with_the_token_it_receives(
    srv: Server, sns: Any, endpoint: tuple[str, type[_Endpoint]]
) -> None:
    url, hook = endpoint
    arn = topic(sns)
    assert sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=url)["SubscriptionArn"] == (
        "pending confirmation"
    )
    [listed] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert (listed["SubscriptionArn"], listed["Endpoint"]) == ("PendingConfirmation", url)
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["SubscriptionsPending"], attributes["SubscriptionsConfirmed"]) == ("1", "0")

    drain(srv.endpoint)
    [(headers, doc)] = hook.received
    assert isinstance(doc, dict)
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == arn
    assert headers["x-amz-sns-message-id"] == doc["MessageId"]
    assert doc["Type"] == "SubscriptionConfirmation" and doc["TopicArn"] == arn
    assert doc["Message"] == (
        f"You have chosen to subscribe to the topic {arn}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )
    token = doc["Token"]
    assert doc["SubscribeURL"].startswith(srv.endpoint + "/?Action=ConfirmSubscription&")
    sub_arn = headers["x-amz-sns-subscription-arn"]
    pending = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
    assert (pending["PendingConfirmation"], pending["ConfirmationWasAuthenticated"]) == (
        "true",
        "false",
    )
    assert token not in json.dumps(pending)

    sns.publish(TopicArn=arn, Message="before confirmation")  # not delivered: unconfirmed
    drain(srv.endpoint)
    assert len(hook.received) == 1

    assert sns.confirm_subscription(TopicArn=arn, Token=token)["SubscriptionArn"] == sub_arn
    assert sns.confirm_subscription(TopicArn=arn, Token=token)["SubscriptionArn"] == sub_arn
    confirmed = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
    assert confirmed["PendingConfirmation"] == "false"
    [listed] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert listed["SubscriptionArn"] == sub_arn

    message_id = sns.publish(TopicArn=arn, Message="hello", Subject="s")["MessageId"]
    drain(srv.endpoint)
    headers, doc = hook.received[-1]
    assert isinstance(doc, dict)
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-subscription-arn"] == sub_arn
    assert (doc["Type"], doc["MessageId"], doc["Message"]) == ("Notification", message_id, "hello")


def test_the_subscribe_url_confirms_too(
    srv: Server, sns: Any, endpoint: tuple[str, type[_Endpoint]]
) -> None:
    url, hook = endpoint
    arn = topic(sns)
    sub_arn = sns.subscribe(
        TopicArn=arn, Protocol="http", Endpoint=url, ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    assert sub_arn.startswith(arn + ":")
    drain(srv.endpoint)
    [(_, doc)] = hook.received
    assert isinstance(doc, dict)
    visit = httpx.get(doc["SubscribeURL"])  # unsigned, as an endpoint would
    assert visit.status_code == 200, visit.text
    assert f"<SubscriptionArn>{sub_arn}</SubscriptionArn>" in visit.text
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"


def test_confirm_subscription_errors(
    srv: Server, sns: Any, endpoint: tuple[str, type[_Endpoint]]
) -> None:
    url, hook = endpoint
    arn = topic(sns)
    sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=url)
    drain(srv.endpoint)
    [(_, doc)] = hook.received
    assert isinstance(doc, dict)
    invalid_token = ("InvalidParameter", "Invalid parameter: Token", 400)
    assert error(sns.confirm_subscription, TopicArn=arn, Token="randomtoken") == invalid_token
    assert error(sns.confirm_subscription, TopicArn=arn, Token="f" * 256) == invalid_token
    other = topic(sns)  # a real token, but for another topic
    assert error(sns.confirm_subscription, TopicArn=other, Token=doc["Token"]) == invalid_token
    assert error(sns.confirm_subscription, TopicArn="not-an-arn", Token=doc["Token"]) == (
        "InvalidParameter",
        "Invalid parameter: Topic",
        400,
    )
    done = aws(srv, "sns", "confirm-subscription", "--topic-arn", arn, "--token", "nope")
    assert done.returncode != 0
    assert (
        "An error occurred (InvalidParameter) when calling the ConfirmSubscription operation: "
        "Invalid parameter: Token" in done.stderr
    )
    done = aws(srv, "sns", "confirm-subscription", "--topic-arn", arn, "--token", doc["Token"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["SubscriptionArn"].startswith(arn + ":")


def test_failed_http_deliveries_are_retried_three_times_20_s_apart(
    srv: Server, sns: Any, endpoint: tuple[str, type[_Endpoint]]
) -> None:
    url, hook = endpoint
    arn = topic(sns)
    sub_arn = sns.subscribe(
        TopicArn=arn, Protocol="http", Endpoint=url, ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    drain(srv.endpoint)
    [(_, doc)] = hook.received
    assert isinstance(doc, dict)
    sns.confirm_subscription(TopicArn=arn, Token=doc["Token"])
    sns.set_subscription_attributes(
        SubscriptionArn=sub_arn, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    hook.answer = 500
    sns.publish(TopicArn=arn, Message="raw body")
    drain(srv.endpoint)
    assert len(hook.received) == 2  # the first attempt
    for retry in range(3):
        advance(srv.endpoint, 19.9)
        drain(srv.endpoint)
        assert len(hook.received) == 2 + retry
        advance(srv.endpoint, 0.1)
        drain(srv.endpoint)
        assert len(hook.received) == 3 + retry
    advance(srv.endpoint, 600)
    drain(srv.endpoint)
    assert len(hook.received) == 5  # given up after 3 retries
    headers, body = hook.received[-1]
    assert body == "raw body" and headers["x-amz-sns-rawdelivery"] == "true"
