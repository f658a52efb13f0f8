"""The scheduled report: runs every five minutes and says when (the event's time)."""

import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    message = {"kind": "report", "time": event["time"], "detailType": event["detail-type"]}
    sqs.send_message(QueueUrl=os.environ["OUTBOX_URL"], MessageBody=json.dumps(message))
    return message
