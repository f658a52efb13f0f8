"""SAM templates expanded to CloudFormation by AWS's own translator (`aws-sam-translator`).

Local paths (CodeUri, ContentUri) become `s3://lambdalite-local/<absolute path>` first, as
the translator accepts only S3 locations; the Lambda provisioner turns them back into a
local code directory. The translator gets an empty managed-policy map and no boto session,
so it never calls AWS (IAM is not enforced here).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

from lambdalite.template.errors import TemplateError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LOCAL_BUCKET = "lambdalite-local"  # as api/lambda_api/functions.py's LOCAL_CODE_BUCKET
_LOCAL_PATHS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def is_sam(template: dict[str, Any]) -> bool:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def local_path(bucket: str, key: str) -> str | None:
    """The directory a translated Code/Content location stands for, if it is local."""
    return "/" + key.lstrip("/") if bucket == LOCAL_BUCKET else None


def expand(
    template: dict[str, Any],
    base: Path,
    parameters: dict[str, Any],
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """The CloudFormation template a SAM template stands for (a copy; CFN passes through).

    With `cache_dir`, an expansion is kept under a key of everything it depends on (the
    localized template, the parameters, the translator's version): a second `up` of an
    unchanged template skips importing the translator, most of a warm deploy's time."""
    if not is_sam(template):
        return template
    template = copy.deepcopy(template)
    _localize(template, base)
    cached = _cache_path(cache_dir, template, parameters)
    if cached is not None and cached.exists():
        try:
            found: dict[str, Any] = json.loads(cached.read_text())
            return found
        except (OSError, ValueError):
            pass  # unreadable: translate again, and write it anew
    expanded = _translate(template, parameters)
    if cached is not None:
        _write(cached, expanded)
    return expanded


def _cache_path(
    cache_dir: Path | None, template: dict[str, Any], parameters: dict[str, Any]
) -> Path | None:
    if cache_dir is None:
        return None
    try:
        version = importlib.metadata.version("aws-sam-translator")
    except importlib.metadata.PackageNotFoundError:
        return None  # _translate says what to install
    text = json.dumps([template, parameters, version], sort_keys=True, default=str)
    return cache_dir / "sam" / f"{hashlib.sha256(text.encode()).hexdigest()}.json"


def _write(path: Path, expanded: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(expanded))
        partial.replace(path)  # whole or not there: a crash leaves no half file
    except OSError:
        pass  # a cache: failing to keep it costs the next deploy time, nothing else


def _translate(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except ImportError:
        raise TemplateError(
            "SAM templates need aws-sam-translator: pip install 'lambdalite[templates]'"
        ) from None
    try:
        import boto3

        # A session only for its region name (pseudo parameters); nothing calls AWS.
        session = boto3.session.Session(region_name=parameters.get("AWS::Region", "us-east-1"))
        translator = Translator({}, Parser(), boto_session=session)
        expanded: dict[str, Any] = translator.translate(
            template, parameter_values=parameters, get_managed_policy_map=dict
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(str(getattr(e, "message", e)) for e in exc.causes)
        raise TemplateError(f"SAM: {causes}") from None
    return expanded


def _localize(template: dict[str, Any], base: Path) -> None:
    globals_function = template.get("Globals", {}).get("Function", {})
    default_code = globals_function.get("CodeUri")
    if isinstance(default_code, str):
        globals_function["CodeUri"] = _s3_uri(default_code, base, "Globals")
    for name, resource in template["Resources"].items():
        prop = _LOCAL_PATHS.get(resource.get("Type", ""))
        properties = resource.get("Properties") or {}
        if prop is None:
            continue
        value = properties.get(prop)
        if value is None and prop == "CodeUri" and default_code is None:
            if "InlineCode" not in properties and "ImageUri" not in properties:
                value = "."  # sam build's default: the template's own directory
        if isinstance(value, str):
            properties[prop] = _s3_uri(value, base, name)
            resource["Properties"] = properties


def _s3_uri(value: str, base: Path, resource: str) -> str:
    if value.startswith("s3://"):
        return value
    path = (base / value).resolve()
    if not path.is_dir():
        raise TemplateError(f"CodeUri {value} does not exist ({path} is not a directory)", resource)
    return f"s3://{LOCAL_BUCKET}/{str(path).lstrip('/')}"
