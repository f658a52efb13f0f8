"""Node.js function packages for the acceptance tests and the bench: zips of handler files,
and AWS's Node.js runtime interface client (aws-lambda-ric) built once into a cache."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

NODE = shutil.which("node")
RIC_BOOTSTRAP = """#!/bin/sh
# As a container image's ENTRYPOINT (npx aws-lambda-ric) does: start AWS's Node.js runtime
# interface client with the handler.
cd "$LAMBDA_TASK_ROOT"
exec node "$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/bin/index.mjs" "$_HANDLER"
"""
# What the native addon's build needs (aws-lambda-ric builds curl and its own C++ client);
# libtoolize is Debian's libtool package.
RIC_BUILD_TOOLS = ("make", "g++", "cmake", "autoconf", "automake", "libtoolize")


def node_zip(files: dict[str, str | bytes], executable: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = zipfile.ZipInfo(name)
            mode = 0o755 if name in executable else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def ric_cache() -> Path:
    root = os.environ.get("LAMBDALITE_TEST_CACHE") or Path.home() / ".cache" / "lambdalite-tests"
    return Path(root) / "aws-lambda-ric"


def missing_ric_tools() -> list[str]:
    return [tool for tool in ("npm", *RIC_BUILD_TOOLS) if shutil.which(tool) is None]


def install_node_ric() -> Path | None:
    """aws-lambda-ric installed with npm (its native addon built here) into a cache dir kept
    across runs; the directory holding node_modules, or None if npm could not build it."""
    target = ric_cache()
    if (target / "node_modules" / "aws-lambda-ric" / "dist" / "rapid-client.node").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    # npm 11 runs no dependency's install scripts unless the project allows them, and the
    # addon's build is one; older npm runs them anyway and ignores the field.
    manifest = {"name": "ric-cache", "private": True, "allowScripts": {"aws-lambda-ric": True}}
    (target / "package.json").write_text(json.dumps(manifest))
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "aws-lambda-ric"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if done.returncode != 0:
        return None
    return target
