"""Converts a batch of sensor readings (Celsius to Fahrenheit) and sends the results to a
queue. The whole batch fails on a record it cannot read, so that the mapping's bisection
isolates that record; results are sent only for a batch that succeeds, so each reading's
result is sent once."""

import base64
import json
import os

import boto3

sqs = boto3.client("sqs")


def convert(record):
    reading = json.loads(base64.b64decode(record["kinesis"]["data"]))
    return {
        "sensor": reading["sensor"],
        "fahrenheit": round(reading["celsius"] * 9 / 5 + 32, 1),
        "sequenceNumber": record["kinesis"]["sequenceNumber"],
    }


def handler(event, context):
    results = [convert(record) for record in event["Records"]]  # raises on a bad record
    print(f"converted {len(results)} readings")
    for start in range(0, len(results), 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(result)}
            for i, result in enumerate(results[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=os.environ["RESULTS_URL"], Entries=entries)
    return {"converted": len(results)}
