"""Local code with requirements, layers, runtime fallback and hot reload, through a real
server and boto3. pip installs only wheels made here (no package index)."""

from __future__ import annotations

import io
import json
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import ROLE, Server, drain, start_server, stop_server
from lambdalite.testing.wheels import make_wheel, offline_pip_env

OWN = f"python{sys.version_info[0]}.{sys.version_info[1]}"
_counter = iter(range(1_000_000))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("builds")
    wheels = tmp / "wheels"
    make_wheel(wheels, "tinydep", "1.0", "ANSWER = 'from tinydep 1.0'\n")
    make_wheel(wheels, "tinydep", "2.0", "ANSWER = 'from tinydep 2.0'\n")
    env = {**offline_pip_env(wheels), "LAMBDALITE_CACHE_DIR": str(tmp / "cache")}
    srv = start_server(tmp, env=env)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def lam(server: Server) -> Any:
    return server.client("lambda")


def local_function(lam: Any, directory: Path, **config: Any) -> str:
    name = f"local-{next(_counter)}"
    lam.create_function(
        FunctionName=name,
        Runtime=config.pop("Runtime", OWN),
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "lambdalite-local", "S3Key": str(directory)},
        **config,
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


def source(directory: Path, text: str, requirements: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(text)
    if requirements is not None:
        (directory / "requirements.txt").write_text(requirements)
    return directory


def call(lam: Any, name: str, event: Any = None) -> Any:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


# -- dependencies ------------------------------------------------------------------------


def test_a_local_function_imports_its_requirements(lam: Any, tmp_path: Path) -> None:
    code = source(
        tmp_path / "fn",
        "import tinydep\ndef handler(event, context):\n    return tinydep.ANSWER\n",
        "tinydep==1.0\n",
    )
    name = local_function(lam, code)
    assert call(lam, name) == "from tinydep 1.0"
    assert not (code / "tinydep.py").exists()  # installed beside, not into, the code


def test_requirements_pip_cannot_satisfy_are_one_clear_error(lam: Any, tmp_path: Path) -> None:
    code = source(tmp_path / "fn", "def handler(e, c):\n    return 1\n", "nosuchpackage==9.9\n")
    with pytest.raises(ClientError) as caught:
        lam.create_function(
            FunctionName="unbuildable",
            Runtime=OWN,
            Role=ROLE,
            Handler="app.handler",
            Code={"S3Bucket": "lambdalite-local", "S3Key": str(code)},
        )
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    message = error["Error"]["Message"]
    assert message.startswith("Building unbuildable: pip could not install ")
    assert "No matching distribution found for nosuchpackage==9.9" in message
    assert "unbuildable" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]


def test_a_code_directory_that_does_not_exist_is_one_clear_error(lam: Any, tmp_path: Path) -> None:
    with pytest.raises(ClientError) as caught:
        local_function(lam, tmp_path / "missing")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert str(tmp_path / "missing") in caught.value.response["Error"]["Message"]


# -- layers ------------------------------------------------------------------------------


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return buffer.getvalue()


def test_layers_are_importable_as_from_opt_python(lam: Any, tmp_path: Path) -> None:
    layer_dir = tmp_path / "layer"
    (layer_dir / "python").mkdir(parents=True)
    (layer_dir / "python" / "shared.py").write_text("WHO = 'local layer'\n")
    local = lam.publish_layer_version(
        LayerName="shared",
        Content={"S3Bucket": "lambdalite-local", "S3Key": str(layer_dir)},
        CompatibleRuntimes=[OWN],
    )
    site = f"python/lib/{OWN}/site-packages"
    zipped = lam.publish_layer_version(
        LayerName="zipped",
        Description="from a zip",
        Content={"ZipFile": zip_of({f"{site}/packed.py": "WHO = 'zip layer'\n"})},
    )
    assert local["Version"] == 1 and local["LayerVersionArn"].endswith(":layer:shared:1")
    assert zipped["Description"] == "from a zip" and zipped["Content"]["CodeSize"] > 0

    code = source(
        tmp_path / "fn",
        "import shared, packed\ndef handler(event, context):\n"
        "    return [shared.WHO, packed.WHO]\n",
    )
    arns = [local["LayerVersionArn"], zipped["LayerVersionArn"]]
    name = local_function(lam, code, Layers=arns)
    assert call(lam, name) == ["local layer", "zip layer"]
    layers = lam.get_function_configuration(FunctionName=name)["Layers"]
    assert [layer["Arn"] for layer in layers] == arns

    # A deleted version is gone from the API, not from the functions that use it.
    lam.delete_layer_version(LayerName="zipped", VersionNumber=1)
    lam.delete_layer_version(LayerName="zipped", VersionNumber=1)  # idempotent, as on AWS
    with pytest.raises(ClientError) as caught:
        lam.get_layer_version(LayerName="zipped", VersionNumber=1)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert call(lam, name) == ["local layer", "zip layer"]


def test_layer_versions_are_listed_and_read_back(lam: Any, tmp_path: Path) -> None:
    content = {"ZipFile": zip_of({"python/m.py": "X = 1\n"})}
    for runtimes in (["python3.12"], ["python3.13"]):
        lam.publish_layer_version(LayerName="listed", Content=content, CompatibleRuntimes=runtimes)
    versions = lam.list_layer_versions(LayerName="listed")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    matching = lam.list_layer_versions(LayerName="listed", CompatibleRuntime="python3.12")
    assert [v["Version"] for v in matching["LayerVersions"]] == [1]
    layers = {layer["LayerName"]: layer for layer in lam.list_layers()["Layers"]}
    assert layers["listed"]["LatestMatchingVersion"]["Version"] == 2
    by_runtime = lam.list_layers(CompatibleRuntime="python3.12")["Layers"]
    # Other tests of this module publish layers for the server's own Python (3.12 too, on a
    # 3.12 run): only this test's layer is looked at.
    mine = [x for x in by_runtime if x["LayerName"] == "listed"]
    assert [x["LatestMatchingVersion"]["Version"] for x in mine] == [1]
    arn = versions[0]["LayerVersionArn"]
    got = lam.get_layer_version_by_arn(Arn=arn)
    assert got["Version"] == 2 and got["CompatibleRuntimes"] == ["python3.13"]
    assert got["LayerArn"] == arn.rsplit(":", 1)[0]


def test_an_unknown_layer_version_is_awss_error(lam: Any, tmp_path: Path) -> None:
    code = source(tmp_path / "fn", "def handler(e, c):\n    return 1\n")
    missing = "arn:aws:lambda:us-east-1:000000000000:layer:nothing:3"
    with pytest.raises(ClientError) as caught:
        local_function(lam, code, Layers=[missing])
    assert caught.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": f"Layer version {missing} does not exist.",
    } | {k: v for k, v in caught.value.response["Error"].items() if k == "Type"}
    with pytest.raises(ClientError) as caught:
        local_function(lam, code, Layers=[missing.replace(":3", f":{i}") for i in range(6)])
    assert caught.value.response["Error"]["Message"] == "Cannot reference more than 5 layers."
    with pytest.raises(ClientError) as caught:
        lam.get_layer_version(LayerName="nothing", VersionNumber=1)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# -- runtime fallback ---------------------------------------------------------------------


def test_python314_runs_on_the_nearest_python_with_one_warning(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    info = httpx.get(f"{server.endpoint}/_lambdalite/runtimes").json()["python3.14"]
    code = source(
        tmp_path / "fn",
        "import sys\ndef handler(event, context):\n    return '%d.%d' % sys.version_info[:2]\n",
    )
    name = local_function(lam, code, Runtime="python3.14")
    assert lam.get_function_configuration(FunctionName=name)["Runtime"] == "python3.14"
    ran = call(lam, name)
    assert ran == info["version"]
    if not info["exact"]:
        warnings = [
            line for line in server.log_path.read_text().splitlines() if f"function {name}:" in line
        ]
        assert len(warnings) == 1  # one line, naming both versions
        assert warnings[0].endswith(
            f"WARNING lambdalite.functions.service: function {name}: python3.14 is not "
            f"installed here; running it on python{ran} ({info['interpreter']})"
        )


# -- hot reload --------------------------------------------------------------------------

ANSWER = "def handler(event, context):\n    return {answer!r}\n"
WAITS = """
import os, time
def handler(event, context):
    open(event['started'], 'w').close()
    while not os.path.exists(event['go']):
        time.sleep(0.005)
    return {answer!r}
"""


def test_an_edit_is_picked_up_within_a_second(lam: Any, tmp_path: Path) -> None:
    code = source(tmp_path / "fn", ANSWER.format(answer="v1"))
    name = local_function(lam, code)
    assert call(lam, name) == "v1"
    (code / "app.py").write_text(ANSWER.format(answer="v2"))
    edited = time.monotonic()
    while (answer := call(lam, name)) == "v1" and time.monotonic() - edited < 2.0:
        pass  # each call is a real invoke; the server's own poll picks the edit up
    assert answer == "v2"
    assert time.monotonic() - edited < 1.0


def test_in_flight_invocations_finish_on_the_old_code(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    code = source(tmp_path / "fn", WAITS.format(answer="old"))
    name = local_function(lam, code, Timeout=30)
    started, go = tmp_path / "started", tmp_path / "go"
    results: list[Any] = []
    slow = threading.Thread(
        target=lambda: results.append(call(lam, name, {"started": str(started), "go": str(go)}))
    )
    slow.start()
    deadline = time.monotonic() + 20
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting on a condition the handler sets, not on time
    assert started.exists()
    (code / "app.py").write_text(ANSWER.format(answer="new"))
    drain(server.endpoint)  # runs a hot-reload pass now
    assert call(lam, name) == "new"
    go.touch()
    slow.join(30)
    assert results == ["old"]
    assert call(lam, name) == "new"


def test_changed_requirements_are_rebuilt_and_a_failed_build_keeps_the_old_code(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    code = source(
        tmp_path / "fn",
        "import tinydep\ndef handler(event, context):\n    return tinydep.ANSWER\n",
        "tinydep==1.0\n",
    )
    name = local_function(lam, code)
    assert call(lam, name) == "from tinydep 1.0"
    (code / "requirements.txt").write_text("tinydep==2.0\n")
    drain(server.endpoint)
    assert call(lam, name) == "from tinydep 2.0"

    (code / "requirements.txt").write_text("tinydep==2.0\nnosuchpackage==9.9\n")
    drain(server.endpoint)
    drain(server.endpoint)  # a second pass does not run pip again for the same code
    assert call(lam, name) == "from tinydep 2.0"
    failures = [
        line
        for line in server.log_path.read_text().splitlines()
        if f"function {name}: not reloaded: Building {name}: pip could not install" in line
    ]
    assert len(failures) == 1
