"""Whether a function's handler imports, checked as its INIT would import it but without
invoking it: the runtime's interpreter (isolated, no site-packages) with the function's
import path (code, built dependencies, layers, the runtime's boto3) and variables imports
the module and looks the handler up. `lambdalite up` uses it so that a handler which
cannot import is an error of the deploy, not of the first invoke.

The module's top-level code runs, as it would at a cold start; nothing is invoked. A pass is
remembered under the cache dir by everything the import depends on (the code's hash, the
handler, the interpreter, the import path, the variables), so a second `up` of unchanged
code does not import it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from pathlib import Path

from lambdalite.config import Settings
from lambdalite.invoke.invoker import Invoker
from lambdalite.invoke.resolve import FunctionReader, resolve_target
from lambdalite.sandbox.envvars import build_env
from lambdalite.sandbox.pool import INIT_TIMEOUT_S, SandboxPool

_MARK = "lambdalite-import-check:"
# The bootstrap's own messages (runtime/bootstrap.py load_handler), one line after _MARK.
_SCRIPT = f"""
import importlib, json, sys
handler, paths = sys.argv[1], json.loads(sys.argv[2])
sys.path[:0] = paths
modname, _, fname = handler.rpartition(".")
try:
    module = importlib.import_module(modname.replace("/", "."))
    verdict = "" if hasattr(module, fname) else (
        "Handler '%s' missing on module '%s'" % (fname, modname))
except ImportError as e:
    verdict = "Unable to import module '%s': %s" % (modname, e)
except SyntaxError as e:
    verdict = "Syntax error in module '%s': %s" % (modname, e)
except BaseException as e:
    verdict = "%s at import of module '%s': %s" % (type(e).__name__, modname, e)
sys.stdout.flush()
print({_MARK!r} + json.dumps(verdict), flush=True)
"""


class HandlerImportCheck:
    def __init__(
        self, settings: Settings, functions: FunctionReader, invoker: Invoker, pool: SandboxPool
    ) -> None:
        self._settings = settings
        self._functions = functions
        self._invoker = invoker
        self._pool = pool
        self._passes = settings.cache_dir / "import-checks"

    async def __call__(self, function_name: str) -> str | None:
        """Why the $LATEST handler of `function_name` cannot import (None: it imports, or
        the check could not tell, e.g. an import slower than INIT's limit)."""
        s = self._settings
        target = await resolve_target(self._functions, function_name, None, s.region, s.account_id)
        spec = self._invoker.spec_for(target.config)
        packages = self._pool.packages
        boto = await packages.directory_for(spec.interpreter) if packages is not None else None
        paths = [str(spec.code_dir), *spec.paths, *([str(boto)] if boto is not None else [])]
        env = build_env(spec, "import-check", self._pool.platform_env, self._pool.default_env)
        command = [spec.interpreter, "-I", "-S", "-c", _SCRIPT, spec.handler, json.dumps(paths)]
        key = json.dumps([target.config.code.sha256, command, sorted(env.items())])
        passed = self._passes / hashlib.sha256(key.encode()).hexdigest()
        if passed.exists():
            return None
        verdict = await asyncio.to_thread(_run, command, env, str(spec.code_dir))
        if verdict is None:
            await asyncio.to_thread(_remember, passed)
        return verdict


def _remember(passed: Path) -> None:
    try:
        passed.parent.mkdir(parents=True, exist_ok=True)
        passed.touch()
    except OSError:
        pass  # not remembered: the next deploy checks again


def _run(command: list[str], env: dict[str, str], cwd: str) -> str | None:
    try:
        done = subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=INIT_TIMEOUT_S
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK) :]) or None
    # No verdict: the import ended the process (os._exit, a crash); its last words say why.
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
    return f"the import of the handler's module ended the process: {tail[0]}"
