"""Validates a batch of orders from the queue: valid ones go to fulfilment (asynchronous
invoke), invalid ones are reported as batch item failures, so only they return to the
queue (and, after maxReceiveCount receives, to its dead-letter queue)."""

import json
import os

import boto3

lambda_client = boto3.client("lambda")


def validate(order):
    if not isinstance(order.get("id"), str) or not order["id"]:
        raise ValueError("an order needs an id")
    if not isinstance(order.get("quantity"), int) or order["quantity"] < 1:
        raise ValueError(f"order {order['id']}: quantity must be a positive integer")
    if not order.get("item"):
        raise ValueError(f"order {order['id']}: no item")


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            validate(order)
        except (ValueError, TypeError, AttributeError) as exc:
            print(f"rejected message {record['messageId']}: {exc}")
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        lambda_client.invoke(
            FunctionName=os.environ["FULFIL_FUNCTION"],
            InvocationType="Event",
            Payload=json.dumps(order),
        )
        print(f"order {order['id']} sent to fulfilment")
    return {"batchItemFailures": failures}
