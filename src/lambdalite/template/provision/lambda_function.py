"""AWS::Lambda::Function through CreateFunction / UpdateFunction* / DeleteFunction.

Local code (a SAM CodeUri) runs from its directory in place (the Lambda API's
`lambdalite-local` bucket); `_code_for` is the one place a build step plugs in.
"""

from __future__ import annotations

import ast
import io
import zipfile
from pathlib import Path
from typing import Any

from lambdalite.sandbox.interpreters import fallback_warning
from lambdalite.template.provision.base import (
    Env,
    Provisioned,
    Request,
    api_members,
    check_properties,
)
from lambdalite.template.provision.layers import published_here
from lambdalite.template.sam import LOCAL_BUCKET, local_path
from lambdalite.template.state import ResourceState

_HANDLED = frozenset({"Code", "Tags", "ReservedConcurrentExecutions", "Layers", "FunctionName"})
_IGNORED = frozenset({"Role"})  # IAM is not enforced; CreateFunction still wants a role
_DEFAULT_ROLE = "arn:aws:iam::{account}:role/lambdalite-template-role"
_WAIT = {"Delay": 0.05, "MaxAttempts": 1200}


class FunctionProvisioner:
    replace_on = frozenset({"FunctionName"})

    def create(self, env: Env, request: Request) -> Provisioned:
        props = request.properties
        name = props.get("FunctionName") or env.physical_name(request.logical_id)
        params = self._params(env, request)
        lam = env.client("lambda")
        lam.create_function(FunctionName=name, Code=_code_for(request), **params)
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=_WAIT)
        _check_import(env, request, params, name)
        self._concurrency(env, name, props)
        return self._answer(env, name)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        name = old.physical_id
        lam = env.client("lambda")
        if request.properties.get("Code") != old.properties.get("Code"):
            lam.update_function_code(FunctionName=name, **_code_for(request))
            lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=_WAIT)
        params = self._params(env, request)
        params.setdefault("Environment", {"Variables": {}})
        params.setdefault("Layers", [])
        lam.update_function_configuration(FunctionName=name, **params)
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=_WAIT)
        _check_import(env, request, params, name)
        self._concurrency(env, name, request.properties)
        return self._answer(env, name)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("lambda").delete_function(FunctionName=old.physical_id)

    def _params(self, env: Env, request: Request) -> dict[str, Any]:
        known = api_members(env, "lambda", "CreateFunction") | _HANDLED
        check_properties(env, request, known, _IGNORED)
        params = {k: v for k, v in request.properties.items() if k in known and k not in _HANDLED}
        params["Role"] = request.properties.get("Role") or _DEFAULT_ROLE.format(
            account=env.account_id
        )
        runtime = params.get("Runtime")
        # A runtime without its interpreter (python3.14, nodejs24.x in current templates)
        # runs on the nearest installed Python 3 or Node.js: one warning naming both.
        fallback = fallback_warning(runtime) if isinstance(runtime, str) else None
        if fallback is not None:
            env.warn(f"{request.logical_id}: {fallback}")
        layers = [str(arn) for arn in request.properties.get("Layers") or []]
        # Layers published here are passed through; AWS's (by ARN) cannot be fetched.
        params["Layers"] = [arn for arn in layers if published_here(env, arn)]
        foreign = [arn for arn in layers if not published_here(env, arn)]
        if foreign:
            env.warn(f"{request.logical_id}: layers {foreign} cannot be fetched; skipped")
        _check_handler(request, params)
        return params

    @staticmethod
    def _concurrency(env: Env, name: str, props: Any) -> None:
        reserved = props.get("ReservedConcurrentExecutions")
        lam = env.client("lambda")
        if reserved is not None:
            lam.put_function_concurrency(
                FunctionName=name, ReservedConcurrentExecutions=int(reserved)
            )

    @staticmethod
    def _answer(env: Env, name: str) -> Provisioned:
        arn = f"arn:aws:lambda:{env.region}:{env.account_id}:function:{name}"
        return Provisioned(name, {"Arn": arn})


def _code_for(request: Request) -> dict[str, Any]:
    """The Code a function is created with. Builds (dependencies from requirements.txt)
    plug in here: point the local directory at the built one."""
    code = dict(request.properties.get("Code") or {})
    if "ZipFile" in code:  # CloudFormation's inline source: index.py or index.js, as AWS
        node = str(request.properties.get("Runtime", "")).startswith("nodejs")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.js" if node else "index.py", str(code["ZipFile"]))
        return {"ZipFile": buffer.getvalue()}
    directory = local_path(str(code.get("S3Bucket", "")), str(code.get("S3Key", "")))
    if directory is None:
        raise request.fail(
            f"code at s3://{code.get('S3Bucket')}/{code.get('S3Key')} cannot be fetched; "
            "give a local CodeUri"
        )
    return {"S3Bucket": LOCAL_BUCKET, "S3Key": directory}


def _check_import(env: Env, request: Request, params: dict[str, Any], name: str) -> None:
    """A real import of the handler (Python runtimes), awaited before the deploy commits."""
    if str(params.get("Runtime", "")).startswith("python"):
        env.check_import(request.logical_id, str(params.get("Handler", "")), name)


def _check_handler(request: Request, params: dict[str, Any]) -> None:
    """A handler whose module is missing, does not parse or lacks the function is an
    error now, not at the first invoke (checked without running the code)."""
    code = request.properties.get("Code") or {}
    directory = local_path(str(code.get("S3Bucket", "")), str(code.get("S3Key", "")))
    handler = str(params.get("Handler", ""))
    if directory is None or not str(params.get("Runtime", "")).startswith("python"):
        return
    module, _, function = handler.rpartition(".")
    relative = Path(*module.split("."))
    source = next(
        (p for p in (Path(directory) / f"{relative}.py", Path(directory) / relative / "__init__.py")
         if p.is_file()),
        None,
    )  # fmt: skip
    if not module or source is None:
        raise request.fail(f"handler {handler}: no module {module or handler!r} in {directory}")
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"), str(source))
    except SyntaxError as exc:
        raise request.fail(f"handler {handler} cannot import: {exc}") from None
    if function not in _top_level_names(tree):
        raise request.fail(f"handler {handler}: {source.name} defines no {function!r}")


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names
