"""Documented examples of the AWS pattern language as (pattern, event, expected) tables.

Each block names the page it comes from. Events not shown on a page are the smallest
event that exercises the documented rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from lambdalite.patterns import compile_pattern

Case = tuple[Any, dict[str, Any], bool]

EC2_EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
ASG_EVENT = {
    "version": "0",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}
MACIE_EVENT = {
    "detail-type": "Macie Alert",
    "source": "aws.macie",
    "detail": {"risk-score": 80, "tags": ["Custom_Alert", "Insider"], "trigger": {"risk": 8}},
}
# aws/event-ruler README (the engine behind EventBridge) sample event.
RULER_EVENT = {
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}
EXISTS_EVENT_1 = {
    "detail-type": ["EC2 Instance State-change Notification"],
    "detail": {"state": ["initializing", "running"]},
}
EXISTS_EVENT_2 = {
    "detail-type": ["EC2 Instance State-change Notification"],
    "detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}},
}


def d(**detail: Any) -> dict[str, Any]:
    return {"detail": detail}


# EventBridge user guide, "Amazon EventBridge event patterns" (eb-event-patterns) and
# "Matching null values and empty strings" / "Arrays in event patterns".
EB_PATTERNS: list[Case] = [
    (
        {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated"]},
        },
        EC2_EVENT,
        True,
    ),
    ({"source": ["aws.ec2", "aws.fargate"]}, EC2_EVENT, True),
    ({"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.fargate"}, True),
    ({"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.s3"}, False),
    (
        {
            "source": ["aws.autoscaling"],
            "detail-type": ["EC2 Instance Launch Successful"],
            "detail": {"responseElements": [None]},
        },
        ASG_EVENT,
        True,
    ),
    (
        {
            "source": ["aws.macie"],
            "detail-type": ["Macie Alert"],
            "detail": {"risk-score": [80], "trigger": {"risk": [8]}},
        },
        MACIE_EVENT,
        True,
    ),
    ({"detail": {"eventVersion": [""]}}, ASG_EVENT, True),
    ({"detail": {"responseElements": [None]}}, ASG_EVENT, True),
    # "Null values and empty strings are not interchangeable".
    ({"detail": {"responseElements": [""]}}, ASG_EVENT, False),
    ({"detail": {"eventVersion": [None]}}, ASG_EVENT, False),
    (
        {
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
            ]
        },
        {
            "resources": [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-"
                "b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ]
        },
        True,
    ),
    # "For numbers, EventBridge uses string representation": int 300 != float 300.0.
    ({"n": [300]}, {"n": 300.0}, False),
    ({"n": [300]}, {"n": 300}, True),
]

# EventBridge user guide, "Content filtering in Amazon EventBridge event patterns"
# (eb-event-patterns-content-based-filtering, both the current and the 2021 version).
EB_CONTENT: list[Case] = [
    ({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    ({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"}, False),
    ({"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]}, ASG_EVENT, False),
    (
        {"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]},
        {**ASG_EVENT, "region": "eu-west-1"},
        True,
    ),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.png"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "cat.PNG"}, False),
    (
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        d(service="eventbridge"),
        True,
    ),
    (
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        d(FileName="CAT.PNG"),
        True,
    ),
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, d(state="running"), True),
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, d(state="initializing"), False),
    ({"detail": {"x-limit": [{"anything-but": 123}]}}, d(**{"x-limit": 124}), True),
    ({"detail": {"x-limit": [{"anything-but": 123}]}}, d(**{"x-limit": 123}), False),
    (
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        d(state="stopped"),
        False,
    ),
    (
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        d(state="pending"),
        True,
    ),
    ({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, RULER_EVENT, True),
    (
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        d(**{"x-limit": 200}),
        False,
    ),
    ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, d(state="running"), True),
    (
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        d(state="initializing"),
        False,
    ),
    ({"detail-type": [{"anything-but": "AWS API Call via CloudTrail"}]}, EC2_EVENT, True),
    ({"source": [{"anything-but": ["aws.ec2", "aws.s3"]}]}, EC2_EVENT, False),
    ({"source": [{"anything-but": ["aws.ec2", "aws.s3"]}]}, {"source": "my.app"}, True),
    ({"source": [{"anything-but": {"prefix": "aws."}}]}, EC2_EVENT, False),
    ({"source": [{"anything-but": {"prefix": "aws."}}]}, {"source": "my.app"}, True),
    (
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        RULER_EVENT,
        True,
    ),
    ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, d(**{"c-count": 6}), False),
    ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, d(**{"c-count": "5"}), False),
    (
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        d(sourceIPAddress="10.0.0.255"),
        True,
    ),
    (
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        d(sourceIPAddress="10.0.1.1"),
        False,
    ),
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, RULER_EVENT, True),
    ({"detail": {"c-count": [{"exists": False}]}}, EXISTS_EVENT_1, True),
    # c-count is not a leaf node, so it counts as absent.
    ({"detail": {"c-count": [{"exists": False}]}}, EXISTS_EVENT_2, True),
    ({"detail": {"c-count": [{"exists": False}]}}, RULER_EVENT, False),
    (
        {"detail": {"state": [{"exists": True}]}},
        {"source": "aws.ec2", "detail": {"instance-id": "i-abcd1111", "state": "pending"}},
        True,
    ),
    ({"detail": {"state": [{"exists": True}]}}, {"detail": {"c-count": {"c1": 100}}}, False),
    ({"detail": {"description": [{"exists": True}]}}, d(description="x"), True),
    (
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
            },
        },
        RULER_EVENT,
        True,
    ),
]

# EventBridge user guide, "Comparison operators for use in event patterns"
# (eb-create-pattern-operators) summary table, and the wildcard section/compute blog post
# "Filtering events in Amazon EventBridge with wildcard pattern matching".
EB_OPERATORS: list[Case] = [
    (
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Monday"},
        True,
    ),
    (
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Friday"},
        False,
    ),
    ({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"}, True),
    ({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"}, False),
    ({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.png"}, False),
    ({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.jpg"}, True),
    (
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "INITIALIZING"},
        False,
    ),
    (
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "running"},
        True,
    ),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/lib/x"}, False),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/bin/x"}, True),
    ({"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"}, True),
    ({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": "EventBridge"}, True),
    ({"LastName": [""]}, {"LastName": ""}, True),
    ({"Name": ["Alice"]}, {"Name": "Alice"}, True),
    ({"Name": ["Alice"]}, {"Name": "alice"}, False),
    ({"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "x.png"}, True),
    (
        {"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]},
        {"service": "EVENTBRIDGE"},
        True,
    ),
    ({"FilePath": [{"wildcard": "*/lib/*"}]}, {"FilePath": "/usr/lib/python"}, True),
    ({"FilePath": [{"wildcard": "*/lib/*"}]}, {"FilePath": "/usr/bin/python"}, False),
    ({"key": [{"wildcard": "*.png"}]}, {"key": ".png"}, True),
    ({"key": [{"wildcard": "*Title*"}]}, {"key": "A Title here"}, True),
    ({"key": [{"wildcard": "*Title*"}]}, {"key": "A title here"}, False),
    ({"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleNotificationService"}, True),
    ({"k": [{"wildcard": "a\\*b"}]}, {"k": "a*b"}, True),
    ({"k": [{"wildcard": "a\\*b"}]}, {"k": "axb"}, False),
]

# aws/event-ruler README (EventBridge's matching library): suffix, equals-ignore-case,
# $or forms and array-consistent matching.
RULER: list[Case] = [
    ({"source": [{"suffix": "ec2"}]}, RULER_EVENT, True),
    ({"source": [{"equals-ignore-case": "EC2"}]}, {"source": "ec2"}, True),
    (
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        },
        RULER_EVENT,
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"namespace": ["AWS/EC2", "AWS/ES"]},
            ],
        },
        {"source": "aws.cloudwatch", "namespace": "AWS/ES"},
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"namespace": ["AWS/EC2", "AWS/ES"]},
            ],
        },
        {"source": "aws.cloudwatch", "namespace": "AWS/S3"},
        False,
    ),
    (
        {
            "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
            "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["X"]}]},
        },
        {"namespace": "AWS/EC2", "detail": {"detail-type": "X"}},
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization"]},
                {
                    "metricType": ["MetricType"],
                    "namespace": ["AWS/EC2"],
                    "$or": [{"metricId": [1234]}, {"spaceId": [1000]}],
                },
                {"scope": ["Service"]},
            ],
        },
        {
            "source": "aws.cloudwatch",
            "metricType": "MetricType",
            "namespace": "AWS/EC2",
            "spaceId": 1000,
        },
        True,
    ),
    # Not an $or operator (object, not array): "$or" is a plain field name.
    (
        {"source": ["aws.cloudwatch"], "$or": {"metricType": ["MetricType"]}},
        {"source": "aws.cloudwatch", "$or": {"metricType": "MetricType"}},
        True,
    ),
    (
        {"employees": {"firstName": ["Anna"]}},
        {
            "employees": [
                {"firstName": "John", "lastName": "Doe"},
                {"firstName": "Anna", "lastName": "Smith"},
                {"firstName": "Peter", "lastName": "Jones"},
            ]
        },
        True,
    ),
    (
        {"employees": {"firstName": ["Anna"]}},
        {"employees": [[{"firstName": "John"}, {"firstName": "Anna"}], [{"firstName": "Peter"}]]},
        True,
    ),
    # Fields from different array elements must not combine.
    (
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        {
            "employees": [
                {"firstName": "Anna", "lastName": "Smith"},
                {"firstName": "Peter", "lastName": "Jones"},
            ]
        },
        False,
    ),
]

# AWS Lambda developer guide, "Lambda event filtering" (invocation-eventfiltering) and
# spec 5.4 (DynamoDB records keep numbers as typed strings).
LAMBDA: list[Case] = [
    ({"UserID": [None]}, {"UserID": None}, True),
    ({"UserID": [None]}, {}, False),
    ({"LastName": [""]}, {"LastName": ""}, True),
    ({"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, True),
    ({"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Sunny"}, True),
    ({"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Raining"}, False),
    ({"Weather": [{"anything-but": ["Raining"]}]}, {}, False),
    ({"Price": [{"numeric": ["=", 100]}]}, {"Price": 100}, True),
    ({"Price": [{"numeric": ["=", 100]}]}, {"Price": 100.0}, True),
    ({"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 20}, True),
    ({"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 10}, False),
    ({"ProductName": [{"exists": True}]}, {"ProductName": "x"}, True),
    ({"ProductName": [{"exists": False}]}, {"ProductName": "x"}, False),
    ({"ProductName": [{"exists": False}]}, {}, True),
    ({"Region": [{"prefix": "us-"}]}, {"Region": "us-west-2"}, True),
    (
        {"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}},
        {"partitionKey": "1", "data": {"Location": "Los Angeles"}},
        True,
    ),
    (
        {"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}},
        {"partitionKey": "2", "data": {"Location": "Los Angeles"}},
        False,
    ),
    (
        {"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}},
        {"data": {"Temperature": 55}},
        True,
    ),
    (
        {"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}},
        {"data": {"Temperature": 61}},
        False,
    ),
    (
        {"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}},
        {"dynamodb": {"Keys": {"Id": {"N": "101"}}, "SizeBytes": 26}},
        True,
    ),
    ({"a": [1, 2]}, {"a": 2}, True),
    ({"a": [1, 2]}, {"a": 3}, False),
    (
        {"dynamodb": {"Keys": {"Id": {"N": [{"numeric": [">", 100]}]}}}},
        {"dynamodb": {"Keys": {"Id": {"N": "101"}}}},
        False,
    ),
    (
        {"dynamodb": {"Keys": {"Id": {"N": [{"anything-but": "101"}]}}}},
        {"dynamodb": {"Keys": {"Id": {"N": "102"}}}},
        True,
    ),
    (
        {"dynamodb": {"ApproximateCreationDateTime": [{"numeric": [">", 0]}]}},
        {"dynamodb": {"ApproximateCreationDateTime": 1.7e9}},
        True,
    ),
    (
        {"dynamodb": {"NewImage": {"presentKey": [{"exists": False}]}}},
        {"dynamodb": {"NewImage": {"other": {"S": "v"}}}},
        True,
    ),
    (
        {"dynamodb": {"NewImage": {"presentKey": {"S": [{"exists": True}]}}}},
        {"dynamodb": {"NewImage": {"presentKey": {"S": "v"}}}},
        True,
    ),
]


@pytest.mark.parametrize(
    ("pattern", "event", "expected"), EB_PATTERNS + EB_CONTENT + EB_OPERATORS + RULER
)
def test_eventbridge_documented(pattern: Any, event: dict[str, Any], expected: bool) -> None:
    assert compile_pattern(pattern).matches(event) is expected


@pytest.mark.parametrize(("pattern", "event", "expected"), LAMBDA)
def test_lambda_documented(pattern: Any, event: dict[str, Any], expected: bool) -> None:
    assert compile_pattern(pattern, dialect="esm").matches(event) is expected


def test_duplicate_key_last_wins() -> None:
    # EventBridge content-filtering page: only the last "location" is evaluated.
    text = (
        '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}'
    )
    p = compile_pattern(text)
    assert p.matches(d(location="eu-west"))
    assert not p.matches(d(location="us-east"))
