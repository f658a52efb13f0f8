"""The README's first command deploys an example app, and the harness's subprocess mode
(the app run as `lambdalite up`) drives it like the in-process mode the examples use."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ORDER_PIPELINE = REPO / "examples" / "order-pipeline" / "template.yaml"


def _first_command() -> str:
    readme = (REPO / "README.md").read_text()
    quick_start = readme[readme.index("## Quick start") :]
    return re.findall(r"```sh\n(.+?)\n```", quick_start, re.S)[0]


def test_the_readme_first_command_deploys_an_example(tmp_path: Path) -> None:
    install, _, run = _first_command().partition(" && ")
    assert install.startswith("pip install -e '.[templates]'")
    program, command, template = run.split()
    assert (program, command) == ("lambdalite", "up")
    env = {**os.environ, "LAMBDALITE_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "lambdalite.cli.main", "up", template, "--no-serve",
         "--no-example", "--gateway-port", "0"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Stack order-pipeline deployed" in result.stdout


@pytest.mark.lambdalite(template=str(ORDER_PIPELINE), mode="subprocess")
def test_the_subprocess_mode_runs_the_app_as_lambdalite_up(lambdalite_fresh_app: Any) -> None:
    app = lambdalite_fresh_app
    assert any("Serving on" in line for line in app.progress)  # `up`'s own output
    result = app.invoke("Fulfil", {"id": "o-1", "item": "widget", "quantity": 2})
    assert result.payload == {"orderId": "o-1", "status": "fulfilled", "quantity": 2}

    app.send("Orders", {"id": "o-2", "item": "unobtainium", "quantity": 1})
    app.advance(600)
    [record] = [json.loads(m["Body"]) for m in app.receive("FulfilmentFailed")]
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert app.outputs["OrdersUrl"] == app.physical_id("Orders")
