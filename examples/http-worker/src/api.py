"""POST /jobs {"text": ...}: accept a job and hand it to the worker (asynchronous invoke),
answering 202 with its id. GET /jobs/{id}: the job's result once the worker stored it."""

import json
import os
import uuid

import boto3

lambda_client = boto3.client("lambda")
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def respond(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }


def submit(event):
    try:
        text = json.loads(event.get("body") or "")["text"]
    except (ValueError, KeyError, TypeError):
        return respond(400, {"message": 'give a JSON body {"text": "..."}'})
    if not isinstance(text, str) or not text.strip():
        return respond(400, {"message": "text must be a non-empty string"})
    job_id = uuid.uuid4().hex
    lambda_client.invoke(
        FunctionName=os.environ["WORKER_FUNCTION"],
        InvocationType="Event",
        Payload=json.dumps({"id": job_id, "text": text}),
    )
    return respond(202, {"id": job_id})


def status(job_id):
    item = table.get_item(Key={"id": job_id}).get("Item")
    if item is None:
        return respond(404, {"message": f"no finished job {job_id}"})
    return respond(200, {"id": item["id"], "words": int(item["words"]), "upper": item["upper"]})


def handler(event, context):
    method = event["requestContext"]["http"]["method"]
    if method == "POST":
        return submit(event)
    return status(event["pathParameters"]["id"])
