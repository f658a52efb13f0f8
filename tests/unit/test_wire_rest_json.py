"""Wire layer: requests exactly as botocore serializes them, and responses botocore parses."""

from __future__ import annotations

import base64
import io
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.awsrequest import HeadersDict, prepare_request_dict
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from lambdalite.api.rest_json import (
    RestJsonRouter,
    check_invoke_payload,
    lambda_timestamp,
    parse_request,
    serialize_response,
)
from lambdalite.api.service_model import load_service
from lambdalite.errors import InvalidRequestContentException, ValidationException

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-fn"
IMPLEMENTED: dict[str, dict[str, Any]] = {
    "CreateFunction": {
        "FunctionName": "my-fn",
        "Role": ROLE,
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Code": {"ZipFile": b"PK\x03\x04zip"},
        "MemorySize": 256,
        "Environment": {"Variables": {"AB": "1"}},
        "Architectures": ["arm64"],
    },
    "GetFunction": {"FunctionName": ARN, "Qualifier": "$LATEST"},
    "GetFunctionConfiguration": {"FunctionName": "my-fn:$LATEST"},
    "ListFunctions": {"MaxItems": 10, "Marker": "abc", "FunctionVersion": "ALL"},
    "UpdateFunctionCode": {"FunctionName": "my-fn", "ZipFile": b"zip", "Publish": True},
    "UpdateFunctionConfiguration": {"FunctionName": "my-fn", "Timeout": 30},
    "DeleteFunction": {"FunctionName": "my-fn", "Qualifier": "3"},
    "PublishVersion": {"FunctionName": "my-fn", "Description": "v"},
    "ListVersionsByFunction": {"FunctionName": "my-fn", "MaxItems": 5},
    "CreateAlias": {"FunctionName": "my-fn", "Name": "live", "FunctionVersion": "1"},
    "GetAlias": {"FunctionName": "my-fn", "Name": "live"},
    "UpdateAlias": {
        "FunctionName": "my-fn",
        "Name": "live",
        "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}},
    },
    "DeleteAlias": {"FunctionName": "my-fn", "Name": "live"},
    "ListAliases": {"FunctionName": "my-fn", "FunctionVersion": "1"},
    "PutFunctionConcurrency": {"FunctionName": "my-fn", "ReservedConcurrentExecutions": 0},
    "GetFunctionConcurrency": {"FunctionName": "my-fn"},
    "DeleteFunctionConcurrency": {"FunctionName": "my-fn"},
    "GetAccountSettings": {},
    "Invoke": {
        "FunctionName": ARN + ":$LATEST",
        "InvocationType": "RequestResponse",
        "LogType": "Tail",
        "Payload": b'{"k": "v"}',
        "Qualifier": "$LATEST",
    },
    "InvokeAsync": {"FunctionName": "my-fn", "InvokeArgs": b'{"a": 1}'},
    "PutFunctionEventInvokeConfig": {
        "FunctionName": "my-fn",
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnFailure": {"Destination": ARN}},
    },
    "GetFunctionEventInvokeConfig": {"FunctionName": "my-fn", "Qualifier": "live"},
    "ListFunctionEventInvokeConfigs": {"FunctionName": "my-fn", "MaxItems": 3},
}


@pytest.fixture(scope="module")
def service() -> ServiceModel:
    return load_service("lambda")


@pytest.fixture(scope="module")
def router(service: ServiceModel) -> RestJsonRouter:
    return RestJsonRouter(service, IMPLEMENTED)


def wire(
    op: OperationModel, params: dict[str, Any]
) -> tuple[str, str, dict[str, list[str]], dict[str, str], bytes]:  # noqa: E501
    """What boto3 puts on the wire for ``params``: method, raw path, query, headers, body."""
    # No client-side validation: tests also send what boto3 would refuse.
    serializer = create_serializer("rest-json", include_validation=False)
    request = serializer.serialize_to_request(params, op)
    prepare_request_dict(request, endpoint_url="https://lambda.us-east-1.amazonaws.com")
    url = urlsplit(request["url"])
    query = parse_qs(url.query, keep_blank_values=True)
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request["headers"].items()}
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    return request["method"], url.path, query, headers, body


def roundtrip(
    router: RestJsonRouter, service: ServiceModel, name: str, params: dict[str, Any]
) -> dict[str, Any]:  # noqa: E501
    method, path, query, headers, body = wire(service.operation_model(name), params)
    match = router.match(method, path, query)
    assert match is not None, (name, method, path, query)
    assert match.operation.name == name
    return parse_request(match.operation, match.uri_params, query, headers, body)


@pytest.mark.parametrize("name", sorted(IMPLEMENTED))
def test_every_implemented_operation_routes_and_parses_what_botocore_sends(
    router: RestJsonRouter, service: ServiceModel, name: str
) -> None:
    assert roundtrip(router, service, name, IMPLEMENTED[name]) == IMPLEMENTED[name]


def test_path_params_are_percent_decoded(router: RestJsonRouter) -> None:
    match = router.match(
        "GET",
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3A%24LATEST/configuration",
        {},
    )  # noqa: E501
    assert match is not None
    assert match.uri_params == {
        "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"
    }  # noqa: E501


def test_literal_query_in_request_uri_selects_the_operation(service: ServiceModel) -> None:
    router = RestJsonRouter(service)
    path = "/2019-09-30/functions/f/provisioned-concurrency"
    listing = router.match("GET", path, {"List": ["ALL"], "MaxItems": ["2"]})
    single = router.match("GET", path, {"Qualifier": ["1"]})
    assert listing is not None and listing.operation.name == "ListProvisionedConcurrencyConfigs"
    assert single is not None and single.operation.name == "GetProvisionedConcurrencyConfig"
    by_arn = router.match("GET", "/2018-10-31/layers", {"find": ["LayerVersion"]})
    assert by_arn is not None and by_arn.operation.name == "GetLayerVersionByArn"
    layers = router.match("GET", "/2018-10-31/layers", {})
    assert layers is not None and layers.operation.name == "ListLayers"


def test_every_operation_of_the_model_routes_to_itself(service: ServiceModel) -> None:
    router = RestJsonRouter(service)
    for name in service.operation_names:
        op = service.operation_model(name)
        params = _sample(op.input_shape) if op.input_shape else {}
        method, path, query, _, _ = wire(op, params)
        match = router.match(method, path, query)
        assert match is not None and match.operation.name == name, (name, path)


def _sample(shape: Any) -> Any:
    """Smallest value botocore accepts for ``shape`` (required members only)."""
    if shape.type_name == "structure":
        return {n: _sample(shape.members[n]) for n in shape.required_members}
    scalars = {"integer": 1, "long": 1, "boolean": True, "blob": b"x", "list": [], "map": {}}
    return scalars.get(shape.type_name, "x1")


def test_greedy_label_keeps_slashes() -> None:
    model = {
        "metadata": {"protocol": "rest-json", "apiVersion": "1", "endpointPrefix": "x"},
        "operations": {
            "GetObject": {
                "name": "GetObject",
                "http": {"method": "GET", "requestUri": "/b/{Key+}"},
                "input": {"shape": "In"},
            },
        },
        "shapes": {
            "In": {
                "type": "structure",
                "required": ["Key"],
                "members": {"Key": {"shape": "S", "location": "uri", "locationName": "Key"}},
            },
            "S": {"type": "string"},
        },
    }
    router = RestJsonRouter(ServiceModel(model, "x"))
    match = router.match("GET", "/b/a/b%20c/d", {})
    assert match is not None and match.uri_params == {"Key": "a/b c/d"}


def test_unknown_routes_and_unimplemented_operations_do_not_match(router: RestJsonRouter) -> None:
    assert router.match("GET", "/2015-03-31/nothing", {}) is None
    assert router.match("PATCH", "/2015-03-31/functions", {}) is None
    assert router.match("GET", "/2015-03-31/functions//configuration", {}) is None
    assert router.match("GET", "/2021-10-31/functions/f/url", {}) is None  # not implemented


def test_routing_and_parsing_cost_a_few_microseconds(
    router: RestJsonRouter, service: ServiceModel
) -> None:  # noqa: E501
    path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations"  # noqa: E501
    query = {"Qualifier": ["$LATEST"]}
    headers = {"X-Amz-Invocation-Type": "RequestResponse", "Content-Type": "application/json"}
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        m = router.match("POST", path, query)
        assert m is not None
        parse_request(m.operation, m.uri_params, query, headers, b"{}")
    per_call = (time.perf_counter() - start) / n
    assert per_call < 100e-6  # generous for slow CI; measured ~10 us locally


def test_invoke_payload_is_raw_and_optional(router: RestJsonRouter, service: ServiceModel) -> None:
    assert "Payload" not in roundtrip(router, service, "Invoke", {"FunctionName": "f"})
    raw = b"not json at all \xff"
    parsed = roundtrip(router, service, "Invoke", {"FunctionName": "f", "Payload": raw})
    assert parsed["Payload"] == raw


def test_lambda_timestamp_format() -> None:
    from datetime import UTC, datetime

    assert (
        lambda_timestamp(datetime(2025, 11, 24, 23, 18, 51, 7000, tzinfo=UTC))
        == "2025-11-24T23:18:51.007+0000"
    )  # noqa: E501


# ---------------------------------------------------------------- parse errors


def _create(service: ServiceModel, body: bytes) -> dict[str, Any]:
    return parse_request(service.operation_model("CreateFunction"), {}, {}, {}, body)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "Unrecognized token 'not': was expecting ('true', 'false' or 'null')"),
        (b'{"FunctionName": "f",}', "Unexpected character ('}' (code 125))"),
        (b'{"FunctionName": "f"', "Unexpected end-of-input"),
        (b'{"FunctionName": "\x87"}', "Invalid UTF-8 start byte 0x87"),
    ],
)
def test_invalid_json_body(service: ServiceModel, body: bytes, detail: str) -> None:
    with pytest.raises(InvalidRequestContentException) as exc:
        _create(service, body)
    assert exc.value.message.startswith("Could not parse request body into json: " + detail)


def test_invoke_payload_check_uses_lambdas_payload_wording() -> None:
    assert check_invoke_payload(b"") is None
    assert check_invoke_payload(b'"str"') == "str"
    with pytest.raises(InvalidRequestContentException) as exc:
        check_invoke_payload(b"\x87abc")
    assert exc.value.message.startswith(
        "Could not parse request body into json: Could not parse payload into json: "
        "Invalid UTF-8 start byte 0x87\n at [Source: (byte[])"
    )


def test_unknown_member_is_rejected(service: ServiceModel) -> None:
    with pytest.raises(InvalidRequestContentException) as exc:
        _create(service, b'{"FunctionName": "f", "Foo": 1}')
    assert exc.value.message.startswith(
        'Could not parse request body into json: Unrecognized field "Foo" '
        "(class CreateFunctionRequest), not marked as ignorable ("
    )


def test_wrong_json_type_is_rejected_with_reference_chain(service: ServiceModel) -> None:
    with pytest.raises(InvalidRequestContentException) as exc:
        _create(service, b'{"MemorySize": "big"}')
    assert exc.value.message == (
        "Could not parse request body into json: Cannot deserialize value of type "
        "`java.lang.Integer` from String value (through reference chain: "
        'CreateFunctionRequest["MemorySize"])'
    )
    with pytest.raises(InvalidRequestContentException) as exc:
        _create(service, b'{"Code": {"ZipFile": 5}}')
    assert 'CreateFunctionRequest["Code"]->FunctionCode["ZipFile"]' in exc.value.message
    with pytest.raises(InvalidRequestContentException):
        _create(service, b"[]")


def test_bad_base64_blob_is_rejected(service: ServiceModel) -> None:
    with pytest.raises(InvalidRequestContentException) as exc:
        _create(service, b'{"Code": {"ZipFile": "not base64!"}}')
    assert "java.nio.ByteBuffer" in exc.value.message


def test_bad_integer_in_query_is_a_validation_error(service: ServiceModel) -> None:
    op = service.operation_model("ListFunctions")
    with pytest.raises(ValidationException) as exc:
        parse_request(op, {}, {"MaxItems": ["ten"]}, {}, b"")
    assert exc.value.message == (
        "1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: "
        "Member must be a number"
    )


def test_json_null_member_reads_as_absent(service: ServiceModel) -> None:
    op = service.operation_model("UpdateFunctionConfiguration")
    assert parse_request(op, {"FunctionName": "f"}, {}, {}, b'{"Timeout": null}') == {
        "FunctionName": "f"
    }


# ---------------------------------------------------------------- responses


def parsed_by_botocore(op: OperationModel, output: dict[str, Any]) -> dict[str, Any]:
    status, headers, body = serialize_response(op, output)
    response: dict[str, Any] = {
        "status_code": status,
        "headers": HeadersDict({k.decode(): v.decode() for k, v in headers}),
        "body": body,
    }
    if op.has_streaming_output:  # as botocore's endpoint does for blob payloads
        response["body"] = StreamingBody(io.BytesIO(body), len(body))
    result: dict[str, Any] = create_parser("rest-json").parse(response, op.output_shape)
    result.pop("ResponseMetadata", None)
    return result


def test_function_configuration_round_trips_through_botocore(service: ServiceModel) -> None:
    op = service.operation_model("CreateFunction")
    output = {
        "FunctionName": "f",
        "FunctionArn": ARN,
        "MemorySize": 128,
        "CodeSize": 123,
        "LastModified": "2025-11-24T23:18:51.000+0000",
        "Environment": {"Variables": {"AB": "1"}},
        "Architectures": ["x86_64"],
        "Layers": [],
        "State": "Pending",
    }
    status, headers, _ = serialize_response(op, output)
    assert status == 201
    assert (b"content-type", b"application/json") in headers
    assert parsed_by_botocore(op, output) == output


def test_invoke_response_uses_status_member_headers_and_raw_payload(service: ServiceModel) -> None:
    op = service.operation_model("Invoke")
    log = base64.b64encode(b"START RequestId").decode()
    output = {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "LogResult": log,
        "ExecutedVersion": "$LATEST",
        "Payload": b'{"errorMessage": "boom"}',
    }
    status, headers, body = serialize_response(op, output)
    assert body == output["Payload"]
    assert (b"x-amz-function-error", b"Unhandled") in headers
    parsed = parsed_by_botocore(op, output)
    assert parsed.pop("Payload").read() == output["Payload"]
    assert parsed == {k: v for k, v in output.items() if k != "Payload"}
    assert serialize_response(op, {"StatusCode": 202})[0] == 202
    assert serialize_response(op, {"StatusCode": 204})[2] == b""


def test_empty_outputs(service: ServiceModel) -> None:
    assert serialize_response(service.operation_model("DeleteFunction"), {}) == (200, [], b"")
    status, _, body = serialize_response(service.operation_model("DeleteAlias"), {})
    assert (status, body) == (204, b"")
    concurrency = service.operation_model("GetFunctionConcurrency")
    assert parsed_by_botocore(concurrency, {"ReservedConcurrentExecutions": 0}) == {
        "ReservedConcurrentExecutions": 0
    }


def test_event_invoke_config_timestamp_is_epoch_seconds(service: ServiceModel) -> None:
    from datetime import UTC, datetime

    op = service.operation_model("PutFunctionEventInvokeConfig")
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    output = {"FunctionArn": ARN, "LastModified": when, "DestinationConfig": {"OnSuccess": {}}}
    _, _, body = serialize_response(op, output)
    assert json.loads(body)["LastModified"] == when.timestamp()
    assert parsed_by_botocore(op, output)["LastModified"] == when
