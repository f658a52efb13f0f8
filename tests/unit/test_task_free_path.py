"""Code an Invoke can reach uses no asyncio feature that needs a current task.

The fast path runs each Invoke outside any Task (api/eager.py), where asyncio.timeout,
wait_for (built on it from 3.12), TaskGroup and current_task fail or mislead. An Invoke
reaches most of the server (platform, store, sandbox, async queue, logs), so every module
the server process runs is checked; only code that runs elsewhere is left out.
tests/integration/test_task_free_invoke.py drives real Invokes through the path.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lambdalite

ROOT = Path(lambdalite.__file__).parent
# Not in the server process: the environment's runtime, the CLI client, example code.
ELSEWHERE = ("runtime", "cli", "examples")
TASK_BOUND = {"timeout", "timeout_at", "Timeout", "TaskGroup", "current_task", "wait_for"}
TASK_BOUND_PACKAGES = {"anyio", "trio"}


def task_bound_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in TASK_BOUND
            and isinstance(node.value, ast.Name)
            and node.value.id == "asyncio"
        ):
            found.append(f"asyncio.{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.startswith("asyncio"):
                found += [f"asyncio.{a.name}" for a in node.names if a.name in TASK_BOUND]
            elif module.split(".")[0] in TASK_BOUND_PACKAGES:
                found.append(module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in TASK_BOUND_PACKAGES]
    return found


def server_modules() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if p.relative_to(ROOT).parts[0] not in ELSEWHERE]


def test_the_check_sees_each_task_bound_spelling() -> None:
    source = """
import asyncio
import anyio.abc
from asyncio import TaskGroup
async def f(fut):
    async with asyncio.timeout(1):
        await asyncio.wait_for(fut, 1)
    return asyncio.current_task()
"""
    assert sorted(task_bound_uses(source)) == [
        "anyio.abc",
        "asyncio.TaskGroup",
        "asyncio.current_task",
        "asyncio.timeout",
        "asyncio.wait_for",
    ]
    assert task_bound_uses("import asyncio\nasyncio.wait((f,), timeout=1)\n") == []


def test_no_server_module_uses_a_task_bound_feature() -> None:
    modules = server_modules()
    assert ROOT / "api" / "eager.py" in modules and ROOT / "sandbox" / "forkserver.py" in modules
    offenders = {
        str(p.relative_to(ROOT)): uses for p in modules if (uses := task_bound_uses(p.read_text()))
    }
    assert offenders == {}
