"""AddPermission, GetPolicy and RemovePermission: AWS's statements, documents and errors,
through boto3 and the aws CLI as deploy scripts call them."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdalite.config import DEFAULT_ACCOUNT_ID as ACCOUNT
from tests.acceptance.conftest import Server, create

CODE = "def handler(event, context):\n    return event\n"
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    err = caught.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = ["aws", "--endpoint-url", server.endpoint, "--output", "json", "lambda", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_an_s3_trigger_statement_is_built_as_aws_builds_it(lam: Any) -> None:
    fn = create(lam, CODE, wait=False)
    out = lam.add_permission(
        FunctionName=fn, StatementId="s3", Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bucket", SourceAccount=ACCOUNT,
    )  # fmt: skip
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    # The exact text, key order included: clients compare it.
    assert out["Statement"] == (
        '{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},'
        f'"Action":"lambda:InvokeFunction","Resource":"{ARN}{fn}",'
        f'"Condition":{{"StringEquals":{{"AWS:SourceAccount":"{ACCOUNT}"}},'
        '"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}'
    )
    policy = lam.get_policy(FunctionName=fn)
    doc = json.loads(policy["Policy"])
    assert doc == {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [json.loads(out["Statement"])],
    }
    assert policy["RevisionId"]


def test_principals_accounts_arns_stars_and_other_conditions(lam: Any) -> None:
    fn = create(lam, CODE, wait=False)
    grants = {
        "acct": ("111122223333", {"AWS": "arn:aws:iam::111122223333:root"}),
        "role": ("arn:aws:iam::111122223333:role/r", {"AWS": "arn:aws:iam::111122223333:role/r"}),
        "any": ("*", "*"),
        "alexa": ("alexa-appkit.amazon.com", {"Service": "alexa-appkit.amazon.com"}),
    }
    for sid, (principal, expected) in grants.items():
        out = lam.add_permission(
            FunctionName=fn, StatementId=sid, Action="lambda:GetFunction", Principal=principal
        )
        assert json.loads(out["Statement"])["Principal"] == expected
    url = lam.add_permission(
        FunctionName=fn, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
        FunctionUrlAuthType="NONE", PrincipalOrgID="o-abcdefghij", EventSourceToken="tok",
    )  # fmt: skip
    assert json.loads(url["Statement"])["Condition"] == {
        "StringEquals": {
            "lambda:FunctionUrlAuthType": "NONE",
            "aws:PrincipalOrgID": "o-abcdefghij",
            "lambda:EventSourceToken": "tok",
        }
    }
    sids = [s["Sid"] for s in json.loads(lam.get_policy(FunctionName=fn)["Policy"])["Statement"]]
    assert sids == ["acct", "role", "any", "alexa", "url"]


def test_policies_are_per_qualifier_and_go_with_their_version(lam: Any) -> None:
    fn = create(lam, CODE)
    lam.publish_version(FunctionName=fn)
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    for qualifier in ("1", "live"):
        out = lam.add_permission(
            FunctionName=fn, Qualifier=qualifier, StatementId="sns",
            Action="lambda:InvokeFunction", Principal="sns.amazonaws.com",
        )  # fmt: skip
        assert json.loads(out["Statement"])["Resource"] == f"{ARN}{fn}:{qualifier}"
    # A qualified ARN as FunctionName names the same policy.
    assert lam.get_policy(FunctionName=f"{ARN}{fn}:live")["Policy"]
    code, message, status = error_of(lam.get_policy, FunctionName=fn)
    assert (code, message, status) == (
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
        404,
    )
    lam.delete_alias(FunctionName=fn, Name="live")
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    assert error_of(lam.get_policy, FunctionName=fn, Qualifier="live")[0] == (
        "ResourceNotFoundException"
    )
    lam.delete_alias(FunctionName=fn, Name="live")
    lam.delete_function(FunctionName=fn, Qualifier="1")
    code, message, _ = error_of(lam.get_policy, FunctionName=fn, Qualifier="1")
    assert (code, message) == ("ResourceNotFoundException", f"Function not found: {ARN}{fn}:1")


def test_remove_permission_and_its_errors(lam: Any) -> None:
    fn = create(lam, CODE, wait=False)
    code, message, status = error_of(lam.remove_permission, FunctionName=fn, StatementId="nope")
    assert (code, message, status) == (
        "ResourceNotFoundException",
        "No policy is associated with the given resource.",
        404,
    )
    for sid in ("a", "b"):
        lam.add_permission(
            FunctionName=fn, StatementId=sid, Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
        )  # fmt: skip
    code, message, _ = error_of(lam.remove_permission, FunctionName=fn, StatementId="c")
    assert (code, message) == (
        "ResourceNotFoundException",
        "Statement c is not found in resource policy.",
    )
    revision = lam.get_policy(FunctionName=fn)["RevisionId"]
    code, _, status = error_of(
        lam.remove_permission, FunctionName=fn, StatementId="a", RevisionId="stale"
    )
    assert (code, status) == ("PreconditionFailedException", 412)
    lam.remove_permission(FunctionName=fn, StatementId="a", RevisionId=revision)
    remaining = json.loads(lam.get_policy(FunctionName=fn)["Policy"])["Statement"]
    assert [s["Sid"] for s in remaining] == ["b"]
    assert lam.get_policy(FunctionName=fn)["RevisionId"] != revision
    lam.remove_permission(FunctionName=fn, StatementId="b")
    assert error_of(lam.get_policy, FunctionName=fn)[0] == "ResourceNotFoundException"


def test_add_permission_errors(lam: Any) -> None:
    fn = create(lam, CODE, wait=False)
    grant = {"FunctionName": fn, "StatementId": "x", "Action": "lambda:InvokeFunction"}
    lam.add_permission(**grant, Principal="s3.amazonaws.com")
    code, message, status = error_of(lam.add_permission, **grant, Principal="s3.amazonaws.com")
    assert (code, status) == ("ResourceConflictException", 409)
    assert message == (
        "The statement id (x) provided already exists. Please provide a new statement id, "
        "or remove the existing statement."
    )
    bad = {**grant, "StatementId": "y"}
    code, message, status = error_of(lam.add_permission, **bad, Principal="not-a-principal")
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert (
        message == "The provided principal was invalid. Please check the principal and try again."
    )
    code, _, status = error_of(lam.add_permission, **{**bad, "Action": "lambda:Fly"}, Principal="*")
    assert (code, status) == ("InvalidParameterValueException", 400)
    code, _, status = error_of(lam.add_permission, **bad, Principal="*", RevisionId="stale")
    assert (code, status) == ("PreconditionFailedException", 412)
    code, message, status = error_of(
        lam.add_permission, **{**bad, "FunctionName": "missing"}, Principal="*"
    )
    assert (code, message, status) == (
        "ResourceNotFoundException",
        f"Function not found: {ARN}missing",
        404,
    )
    code, message, _ = error_of(lam.add_permission, **bad, Principal="*", Qualifier="9")
    assert (code, message) == ("ResourceNotFoundException", f"Function not found: {ARN}{fn}:9")
    big = "x" * 1000
    with pytest.raises(ClientError) as caught:
        for i in range(80):
            lam.add_permission(
                **{**bad, "StatementId": f"s{i}"}, Principal="*", EventSourceToken=big[:256]
            )
    assert caught.value.response["Error"]["Code"] == "PolicyLengthExceededException"
    # The server kept serving, and the policy is what was accepted before the refusal.
    assert json.loads(lam.get_policy(FunctionName=fn)["Policy"])["Statement"][0]["Sid"] == "x"


def test_the_aws_cli_as_deploy_scripts_call_it(server: Server, lam: Any) -> None:
    fn = create(lam, CODE, wait=False)
    added = aws(
        server, "add-permission", "--function-name", fn, "--statement-id", "AllowEvents",
        "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
        "--source-arn", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    statement = json.loads(json.loads(added.stdout)["Statement"])
    assert statement["Condition"] == {
        "ArnLike": {"AWS:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly"}
    }
    shown = aws(server, "get-policy", "--function-name", fn)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(json.loads(shown.stdout)["Policy"])["Statement"] == [statement]
    again = aws(
        server, "add-permission", "--function-name", fn, "--statement-id", "AllowEvents",
        "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
    )  # fmt: skip
    assert again.returncode != 0 and "ResourceConflictException" in again.stderr
    removed = aws(
        server, "remove-permission", "--function-name", fn, "--statement-id", "AllowEvents"
    )
    assert removed.returncode == 0, removed.stderr
    gone = aws(server, "get-policy", "--function-name", fn)
    assert gone.returncode != 0 and "ResourceNotFoundException" in gone.stderr


def test_deleting_the_function_deletes_its_policies(lam: Any) -> None:
    fn = create(lam, CODE, wait=False)
    lam.add_permission(
        FunctionName=fn, StatementId="s", Action="lambda:InvokeFunction", Principal="*"
    )
    lam.delete_function(FunctionName=fn)
    create_again = lam.create_function  # same name, a new function: no policy
    create_again(
        FunctionName=fn, Runtime="python3.11", Role="arn:aws:iam::000000000000:role/r",
        Handler="app.handler", Code={"ZipFile": _zip()},
    )  # fmt: skip
    assert (
        error_of(lam.get_policy, FunctionName=fn)[1] == "The resource you requested does not exist."
    )


def _zip() -> bytes:
    from lambdalite.testing import zip_source

    return zip_source(CODE)
