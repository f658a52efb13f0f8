"""The builder as the control plane uses it: a local code directory's requirements built
when a function is created or its code or runtime changes (FunctionService's CodeBuilder)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

from lambdalite.build.builder import Builder, BuildError
from lambdalite.errors import InvalidParameterValueException
from lambdalite.model.function import Code

log = logging.getLogger(__name__)


class FunctionBuilds:
    def __init__(self, builder: Builder) -> None:
        self._builder = builder

    async def __call__(self, name: str, code: Code, runtime: str) -> Code:
        try:
            # A cached build is a hash and a stat; pip, when it runs, must not block the loop.
            result = await asyncio.to_thread(
                self._builder.build, name, Path(code.directory), runtime, log.info
            )
        except BuildError as exc:
            raise InvalidParameterValueException(str(exc)) from None
        dependencies = None if result.dependencies is None else str(result.dependencies)
        return dataclasses.replace(code, dependencies=dependencies)
