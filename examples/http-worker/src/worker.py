"""The asynchronous worker: does the job (counts words, shouts the text) and stores the
result in the table under the job's id."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(job, context):
    words = len(job["text"].split())
    table.put_item(Item={"id": job["id"], "words": words, "upper": job["text"].upper()})
    return {"id": job["id"], "words": words}
