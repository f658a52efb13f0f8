"""A spawn whose asker gives up before the fork server answers (a cancelled cold start)
must not leave a process nobody owns: the late answer kills it and closes its pidfd."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from lambdalite.sandbox import forkserver
from lambdalite.sandbox.forkserver import ForkServerClient


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_a_cancelled_spawn_is_killed_when_its_answer_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleep = shutil.which("sleep")
    assert sleep is not None
    killed: list[int] = []
    kill_unowned = forkserver._kill_unowned

    def recording(pid: int, fds: list[int]) -> None:
        killed.append(pid)
        kill_unowned(pid, fds)

    monkeypatch.setattr(forkserver, "_kill_unowned", recording)

    async def run() -> None:
        client = ForkServerClient(sys.executable)
        await client.start()
        cfg = {
            "env": {}, "cwd": str(tmp_path), "memory_mb": 128, "tmp": str(tmp_path),
            "exec": sleep, "argv": [sleep, "60"],
        }  # fmt: skip
        fds = [os.pipe() for _ in range(3)]
        try:
            fut = client.spawn(cfg, (fds[0][0], fds[1][1], fds[2][1]), lambda _code: None)
            fut.cancel()  # the cold start was cancelled before the answer came
            for _ in range(1000):
                if killed:
                    break
                await asyncio.sleep(0.01)
            assert killed, "the late answer was not handled"
            (pid,) = killed
            for _ in range(500):  # the fork server reaps it
                if not _alive(pid):
                    break
                await asyncio.sleep(0.01)
            assert not _alive(pid)
        finally:
            for r, w in fds:
                os.close(r)
                os.close(w)
            await client.stop()

    asyncio.run(run())
