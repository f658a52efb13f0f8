"""Builds: what a function's code directory needs before it can run (as `sam build` does).

`Builder.build` installs a CodeUri's requirements.txt with pip into a cached directory that
goes on the function's import path next to its code, which itself stays where it is (so
edits to it are picked up in place).
"""

from __future__ import annotations

from lambdalite.build.builder import Builder, BuildError, BuildResult, Progress

__all__ = ["BuildError", "BuildResult", "Builder", "Progress"]
