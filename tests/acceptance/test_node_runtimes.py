"""nodejs20.x/22.x/24.x functions through boto3: the project's own Node.js bootstrap runs
CommonJS and ES module handlers, async and callback ones, with AWS's context, log lines and
error documents; the server keeps serving after every fault."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.sandbox.node_interpreters import installed
from lambdalite.testing import ROLE, Server, drain
from tests.acceptance.node_functions import (
    NODE,
    RIC_BOOTSTRAP,
    install_node_ric,
    missing_ric_tools,
    node_zip,
)

pytestmark = pytest.mark.skipif(NODE is None, reason="no node on PATH")

_names = iter(range(1_000_000))
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def deploy(
    lam: Any,
    files: dict[str, str],
    handler: str = "index.handler",
    runtime: str = "nodejs20.x",
    **config: Any,
) -> str:
    name = f"node-{os.getpid()}-{next(_names)}"
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": node_zip(files)},
        **config,
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


def invoke(lam: Any, name: str, payload: Any = None, **kw: Any) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kw)
    return response, json.loads(response["Payload"].read())


def log_events(server: Server, name: str) -> list[str]:
    drain(server.endpoint)
    events = server.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")
    return [e["message"] for e in events["events"]]


CONTEXT = """
exports.handler = async (event, context) => ({
  event,
  requestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  arn: context.invokedFunctionArn,
  memory: context.memoryLimitInMB,
  group: context.logGroupName,
  stream: context.logStreamName,
  left: context.getRemainingTimeInMillis(),
  waits: context.callbackWaitsForEmptyEventLoop,
  clientContext: context.clientContext,
  identity: context.identity === undefined ? 'none' : context.identity,
  methods: [typeof context.done, typeof context.succeed, typeof context.fail],
  env: {
    exec: process.env.AWS_EXECUTION_ENV,
    nodePath: process.env.NODE_PATH,
    handler: process.env._HANDLER,
    tz: process.env.TZ,
    api: process.env.AWS_LAMBDA_RUNTIME_API,
    root: process.env.LAMBDA_TASK_ROOT,
  },
  cwd: process.cwd(),
  node: process.version,
});
"""


def test_commonjs_async_handler_and_context(lam: Any) -> None:
    name = deploy(lam, {"index.js": CONTEXT}, Timeout=5, MemorySize=256)
    custom = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response, body = invoke(lam, name, {"a": 1}, ClientContext=custom)
    assert "FunctionError" not in response
    assert body["event"] == {"a": 1}
    assert body["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert body["functionName"] == name and body["functionVersion"] == "$LATEST"
    assert body["arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert body["memory"] == "256"
    assert body["group"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", body["stream"])
    assert 0 < body["left"] <= 5000
    assert body["waits"] is True
    assert body["clientContext"] == {"custom": {"k": "v"}}
    assert body["identity"] == "none"
    assert body["methods"] == ["function"] * 3
    env = body["env"]
    assert env["exec"] == "AWS_Lambda_nodejs20.x" and env["handler"] == "index.handler"
    assert env["tz"] == ":UTC" and re.fullmatch(r"127\.0\.0\.1:\d+", env["api"])
    assert env["nodePath"].split(":")[-1] == env["root"] == body["cwd"]
    assert body["node"].startswith("v")
    again = invoke(lam, name, {"a": 2})[1]  # warm: same module, new request id
    assert again["event"] == {"a": 2} and again["requestId"] != body["requestId"]


CALLBACK = """
exports.handler = (event, context, callback) => {
  const out = { late: false };
  if (event.noWait) context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => { out.late = true; console.log('timer ran'); }, 50);
  callback(null, out);
};
"""


def test_callback_waits_for_the_event_loop_unless_told_not_to(server: Server, lam: Any) -> None:
    name = deploy(lam, {"index.js": CALLBACK})
    response, body = invoke(lam, name)
    assert body == {"late": True}  # answered once the timer had run
    assert invoke(lam, name, {"noWait": True})[1] == {"late": False}  # answered at once
    text = "".join(log_events(server, name))
    first = text.split("END RequestId")[0]
    assert "\tINFO\ttimer ran\n" in first  # in the invocation, before its END


CONTEXT_METHODS = """
exports.handler = (event, context, callback) => {
  switch (event.how) {
    case 'succeed': return context.succeed({ via: 'succeed' });
    case 'done': return context.done(null, { via: 'done' });
    case 'fail': return context.fail(new Error('failed via fail'));
    case 'cberror': return callback(new TypeError('callback error'));
    case 'string': return callback('plain string error');
    case 'nothing': return 'ignored';
  }
};
"""


def test_callback_and_deprecated_context_methods(lam: Any) -> None:
    name = deploy(lam, {"index.js": CONTEXT_METHODS})
    assert invoke(lam, name, {"how": "succeed"})[1] == {"via": "succeed"}
    assert invoke(lam, name, {"how": "done"})[1] == {"via": "done"}
    response, body = invoke(lam, name, {"how": "fail"})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Error" and body["errorMessage"] == "failed via fail"
    body = invoke(lam, name, {"how": "cberror"})[1]
    assert body["errorType"] == "TypeError" and body["trace"][0] == "TypeError: callback error"
    body = invoke(lam, name, {"how": "string"})[1]
    assert body == {"errorType": "string", "errorMessage": "plain string error", "trace": []}
    # A handler that neither returns a promise nor calls back answers null once idle.
    response, body = invoke(lam, name, {"how": "nothing"})
    assert body is None and "FunctionError" not in response


def test_es_modules_mjs_type_module_and_nested_dirs(lam: Any) -> None:
    mjs = (
        "const base = await Promise.resolve(40);\n"
        "export const handler = async (e) => ({ esm: base + e.n });\n"
    )
    name = deploy(lam, {"app.mjs": mjs}, handler="app.handler")
    assert invoke(lam, name, {"n": 2})[1] == {"esm": 42}
    typed = {
        "package.json": json.dumps({"type": "module"}),
        "src/handlers/app.js": (
            "import { helper } from '../lib/helper.js';\n"
            "export async function handler(e) { return { typed: helper(e.n) }; }\n"
        ),
        "src/lib/helper.js": "export const helper = (n) => n * 2;\n",
    }
    name = deploy(lam, typed, handler="src/handlers/app.handler")
    assert invoke(lam, name, {"n": 21})[1] == {"typed": 42}
    cjs = {
        "lib/main.cjs": "module.exports.api = { run: async () => ({ cjs: require('./dep.js') }) };",
        "lib/dep.js": "module.exports = 'dep';",
    }
    name = deploy(lam, cjs, handler="lib/main.api.run")
    assert invoke(lam, name)[1] == {"cjs": "dep"}


LOGGING = """
exports.handler = async () => {
  console.log('plain', 1, { a: 1 });
  console.info('two\\nlines');
  console.debug('debugging');
  console.warn('careful');
  console.error('bad', new Error('inner'));
  console.log({ structured: true });
  return 'ok';
};
"""


def test_console_lines_in_text_format(server: Server, lam: Any) -> None:
    name = deploy(lam, {"index.js": "console.log('at init');\n" + LOGGING})
    response, _ = invoke(lam, name)
    rid = response["ResponseMetadata"]["RequestId"]
    events = log_events(server, name)
    assert any(re.fullmatch(f"{ISO}\tundefined\tINFO\tat init\n", e) for e in events)
    mine = [e for e in events if f"\t{rid}\t" in e]
    levels = [e.split("\t")[2] for e in mine]
    assert levels == ["INFO", "INFO", "DEBUG", "WARN", "ERROR", "INFO"]
    assert re.fullmatch(f"{ISO}\t{rid}\tINFO\tplain 1 {{ a: 1 }}\n", mine[0])
    assert mine[1].endswith("\tINFO\ttwo\rlines\n")  # one event: newlines become \r
    assert "\tERROR\tbad Error: inner\r    at " in mine[4]


def test_console_records_in_json_format_filtered_by_level(server: Server, lam: Any) -> None:
    name = deploy(
        lam,
        {"index.js": LOGGING},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"},
    )
    response, _ = invoke(lam, name)
    rid = response["ResponseMetadata"]["RequestId"]
    records = [json.loads(e) for e in log_events(server, name) if e.startswith("{")]
    mine = [r for r in records if r.get("requestId") == rid]
    assert [r["level"] for r in mine] == ["WARN", "ERROR"]
    assert mine[0]["message"] == "careful"
    assert re.fullmatch(ISO, mine[0]["timestamp"])
    assert mine[1]["errorType"] == "Error" and mine[1]["errorMessage"] == "inner"
    assert mine[1]["stackTrace"][0] == "Error: inner"
    info = deploy(lam, {"index.js": LOGGING}, LoggingConfig={"LogFormat": "JSON"})
    response, _ = invoke(lam, info)
    records = [json.loads(e) for e in log_events(server, info) if e.startswith("{")]
    messages = [r["message"] for r in records if "requestId" in r and r.get("level")]
    assert {"structured": True} in messages and "debugging" not in messages
    failing = deploy(lam, {"index.js": ERRORS["thrown"]}, LoggingConfig={"LogFormat": "JSON"})
    invoke(lam, failing)
    records = [json.loads(e) for e in log_events(server, failing) if e.startswith("{")]
    (logged,) = [r for r in records if r.get("message") == "Invoke Error"]
    assert logged["level"] == "ERROR" and logged["errorType"] == "RangeError"
    assert logged["errorMessage"] == "out of range"


ERRORS = {
    "thrown": "exports.handler = async () => { throw new RangeError('out of range'); };",
    "rejected": "exports.handler = () => Promise.reject(new Error('rejected'));",
    "unhandled": (
        "exports.handler = async () => { Promise.reject(new Error('floating'));\n"
        "  await new Promise((r) => setTimeout(r, 1000)); return 'late'; };"
    ),
    "syntax": "exports.handler = async () => { return 1 +; };",
    "import": "require('not-installed-anywhere');\nexports.handler = async () => 1;",
    "init": "throw new Error('init failed');",
    "other": "exports.other = 1;",
    "exit": "exports.handler = async () => { process.exit(2); };",
}


def test_errors_rendered_as_aws_and_server_keeps_serving(server: Server, lam: Any) -> None:
    healthy = deploy(lam, {"index.js": "exports.handler = async (e) => e;"})

    def run(key: str, handler: str = "index.handler") -> tuple[dict[str, Any], Any]:
        name = deploy(lam, {"index.js": ERRORS[key]}, handler=handler)
        response, body = invoke(lam, name)
        assert response["FunctionError"] == "Unhandled", key
        assert invoke(lam, healthy, {"after": key})[1] == {"after": key}
        return response, body

    _, body = run("thrown")
    assert body["errorType"] == "RangeError" and body["errorMessage"] == "out of range"
    assert body["trace"][0] == "RangeError: out of range" and "index.js" in body["trace"][1]
    assert run("rejected")[1]["errorMessage"] == "rejected"
    _, body = run("unhandled")
    assert body["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert body["errorMessage"] == "Error: floating"
    _, body = run("syntax")
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert body["errorMessage"].startswith("SyntaxError: Unexpected token")
    _, body = run("import")
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"].startswith("Error: Cannot find module 'not-installed-anywhere'")
    _, body = run("init")
    assert body["errorType"] == "Error" and body["errorMessage"] == "init failed"
    _, body = run("other", "index.handler")
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "index.handler is undefined or not exported"
    assert run("other", "index.other")[1]["errorMessage"] == "index.other is not a function"
    assert run("other", "missing.handler")[1]["errorType"] == "Runtime.ImportModuleError"
    assert run("other", "nodot")[1]["errorType"] == "Runtime.MalformedHandlerName"
    _, body = run("exit")
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: exit status 2")
    events = log_events(server, healthy)
    assert events  # the healthy function's log is intact


def test_invoke_error_is_logged(server: Server, lam: Any) -> None:
    name = deploy(lam, {"index.js": ERRORS["thrown"]})
    response, _ = invoke(lam, name)
    rid = response["ResponseMetadata"]["RequestId"]
    (line,) = [e for e in log_events(server, name) if "Invoke Error" in e]
    stamp, request_id, level, rest = line.split("\t", 3)
    assert (request_id, level) == (rid, "ERROR") and re.fullmatch(ISO, stamp)
    logged = json.loads(rest.removeprefix("Invoke Error \t"))
    assert logged["errorType"] == "RangeError" and logged["stack"][0].startswith("RangeError")


def test_timeout(server: Server, lam: Any) -> None:
    forever = "exports.handler = () => new Promise(() => setInterval(() => {}, 100));"
    name = deploy(lam, {"index.js": forever}, Timeout=1)
    response, body = invoke(lam, name)
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    text = "".join(log_events(server, name))
    assert "Task timed out after 1.00 seconds" in text
    assert "INIT_START Runtime Version: nodejs:20.v1\t" in text


@pytest.mark.skipif(
    any(n.major == 22 for n in installed()), reason="Node.js 22 is installed: no fallback"
)
def test_missing_version_runs_on_nearest_node_with_one_warning(server: Server, lam: Any) -> None:
    name = deploy(lam, {"index.js": CONTEXT}, runtime="nodejs22.x")
    response, body = invoke(lam, name)
    assert body["env"]["exec"] == "AWS_Lambda_nodejs22.x"
    nearest = min(installed(), key=lambda n: (abs(n.major - 22), -n.major))
    assert body["node"] == f"v{nearest.version}"
    warnings = [
        line
        for line in server.log_path.read_text().splitlines()
        if f"function {name}: nodejs22.x is not installed here" in line
    ]
    assert len(warnings) == 1 and f"Node.js {nearest.version}" in warnings[0]
    info = httpx.get(f"{server.endpoint}/_lambdalite/runtimes").json()["nodejs22.x"]
    assert info == {"interpreter": nearest.path, "exact": False, "version": nearest.version}


def test_nodejs24_refuses_callback_handlers(lam: Any) -> None:
    name = deploy(lam, {"index.js": CALLBACK}, runtime="nodejs24.x")
    response, body = invoke(lam, name)
    assert body["errorType"] == "Runtime.CallbackHandlerDeprecated"
    name = deploy(lam, {"index.js": CONTEXT}, runtime="nodejs24.x")
    assert invoke(lam, name)[1]["env"]["exec"] == "AWS_Lambda_nodejs24.x"


STREAMING = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType('text/plain');
  responseStream.write('hello ');
  await new Promise((r) => setTimeout(r, 10));
  responseStream.write(context.functionName ? 'stream' : '?');
  responseStream.end();
});
"""


def test_streamified_handler_answers_buffered_invoke(lam: Any) -> None:
    name = deploy(lam, {"index.js": STREAMING})
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in response
    assert response["Payload"].read() == b"hello stream"


STREAM_THEN_FAIL = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial ');
  await new Promise((r) => setTimeout(r, 10));
  throw new RangeError('gave up mid-stream');
});
"""


def _streamed(lam: Any, name: str) -> tuple[bytes, dict[str, Any]]:
    events = list(lam.invoke_with_response_stream(FunctionName=name)["EventStream"])
    body = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert "InvokeComplete" in events[-1]
    return body, events[-1]["InvokeComplete"]


def test_streamified_handler_streams_through_invoke_with_response_stream(lam: Any) -> None:
    body, complete = _streamed(lam, deploy(lam, {"index.js": STREAMING}))
    assert body == b"hello stream" and "ErrorCode" not in complete


def test_streamed_error_trailers_end_the_stream_with_the_error(lam: Any) -> None:
    """The bootstrap ends its chunked body with the Lambda-Runtime-Function-Error-Type/-Body
    trailers (checked on the wire in tests/integration/test_node_streaming.py); the caller
    gets what was sent before, then the error in InvokeComplete."""
    body, complete = _streamed(lam, deploy(lam, {"index.js": STREAM_THEN_FAIL}))
    assert body == b"partial "
    assert complete["ErrorCode"] == "RangeError"
    assert "gave up mid-stream" in complete["ErrorDetails"]


RIC_APP = """
exports.handler = async (event, context) => ({
  ric: event, id: context.awsRequestId, left: context.getRemainingTimeInMillis() > 0,
});
exports.fails = async () => { throw new TypeError('ric says no'); };
"""


@pytest.fixture(scope="module")
def node_ric() -> Path:
    missing = missing_ric_tools()
    if missing:
        pytest.skip(f"aws-lambda-ric's native build needs {', '.join(missing)}")
    built = install_node_ric()
    if built is None:
        pytest.skip("npm could not install and build aws-lambda-ric here")
    return built


@pytest.mark.timeout(1200)  # the first run on a machine builds the addon (minutes)
def test_aws_lambda_ric_entrypoint(lam: Any, node_ric: Path, tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text(RIC_APP)
    (tmp_path / "bootstrap").write_text(RIC_BOOTSTRAP)
    (tmp_path / "bootstrap").chmod(0o755)
    (tmp_path / "node_modules").symlink_to(node_ric / "node_modules")
    code = {"S3Bucket": "lambdalite-local", "S3Key": str(tmp_path)}

    def deploy_ric(handler: str) -> str:
        name = f"node-ric-{os.getpid()}-{next(_names)}"
        lam.create_function(
            FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler=handler,
            Code=code, Timeout=10, MemorySize=512,
        )  # fmt: skip
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
        )
        return name

    name = deploy_ric("app.handler")
    response, body = invoke(lam, name, {"k": 1})
    assert "FunctionError" not in response, body
    assert body["ric"] == {"k": 1} and body["left"] is True
    assert body["id"] == response["ResponseMetadata"]["RequestId"]
    response, body = invoke(lam, deploy_ric("app.fails"))
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "TypeError" and body["errorMessage"] == "ric says no"
    response, body = invoke(lam, deploy_ric("nope.handler"))
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_layer_node_modules_are_on_node_path(lam: Any) -> None:
    layer = lam.publish_layer_version(
        LayerName=f"greet-{os.getpid()}",
        Content={
            "ZipFile": node_zip(
                {"nodejs/node_modules/greet/index.js": "module.exports = (n) => `hi ${n}`;"}
            )
        },
        CompatibleRuntimes=["nodejs20.x"],
    )
    code = "const greet = require('greet');\nexports.handler = async (e) => greet(e.name);\n"
    name = deploy(lam, {"index.js": code}, Layers=[layer["LayerVersionArn"]])
    assert invoke(lam, name, {"name": "Ada"})[1] == "hi Ada"


def test_template_inline_node_code_is_index_js(server: Server, tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Greeter": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "nodejs20.x",
                    "Handler": "index.handler",
                    "Code": {"ZipFile": "exports.handler = async (e) => ({ inline: e.n });"},
                },
            }
        },
        "Outputs": {"Name": {"Value": {"Ref": "Greeter"}}},
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    body = {"Template": str(path), "StackName": f"node-inline-{os.getpid()}"}
    response = httpx.post(f"{server.endpoint}/_lambdalite/stacks", json=body, timeout=120)
    assert response.status_code == 200, response.text
    name = response.json()["Outputs"]["Name"]
    assert invoke(server.client("lambda"), name, {"n": 7})[1] == {"inline": 7}
