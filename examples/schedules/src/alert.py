"""The large-order alert: the rule only sends it orders of 100 or more."""

import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    order = event["detail"]
    message = {"kind": "alert", "orderId": order["orderId"], "total": order["total"]}
    sqs.send_message(QueueUrl=os.environ["OUTBOX_URL"], MessageBody=json.dumps(message))
    return message
