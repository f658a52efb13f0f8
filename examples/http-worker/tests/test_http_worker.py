"""The HTTP API and its asynchronous worker, run against lambdalite with the pytest harness
(`lambdalite_app` deploys ../template.yaml on a virtual clock); requests go through the
HTTP gateway with httpx, results are read back from DynamoDB with boto3."""

import httpx
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.lambdalite(template="../template.yaml")


@pytest.fixture(scope="module")
def api(lambdalite_app):
    """The API's base URL, once the Jobs table is known to exist."""
    try:
        lambdalite_app.client("dynamodb").describe_table(
            TableName=lambdalite_app.physical_id("Jobs")
        )
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "UnknownOperationException":
            pytest.skip(
                "DynamoDB needs lambdalite's services extra: pip install 'lambdalite[services]'"
            )
        if code == "ResourceNotFoundException":
            pytest.skip("this lambdalite's `up` does not provision AWS::DynamoDB::Table yet")
        raise
    return lambdalite_app.url()


def test_a_job_is_accepted_at_once_and_its_result_stored_by_the_worker(lambdalite_app, api):
    accepted = httpx.post(f"{api}/jobs", json={"text": "hand work to a worker"})
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]

    lambdalite_app.wait_idle()  # the worker's asynchronous invocation

    item = lambdalite_app.client("dynamodb").get_item(
        TableName=lambdalite_app.physical_id("Jobs"), Key={"id": {"S": job_id}}
    )["Item"]
    assert item["words"] == {"N": "5"}
    answer = httpx.get(f"{api}/jobs/{job_id}")
    assert answer.status_code == 200
    assert answer.json() == {"id": job_id, "words": 5, "upper": "HAND WORK TO A WORKER"}


def test_an_unknown_job_is_404(api):
    answer = httpx.get(f"{api}/jobs/nope")
    assert answer.status_code == 404
    assert answer.json() == {"message": "no finished job nope"}


def test_a_bad_body_is_400_and_starts_no_work(lambdalite_app, api):
    before = len(lambdalite_app.async_events("Worker"))
    answer = httpx.post(f"{api}/jobs", content=b"not json")
    assert answer.status_code == 400
    lambdalite_app.wait_idle()
    assert len(lambdalite_app.async_events("Worker")) == before
