"""Deploying and deleting a stack: load, expand, resolve, order, plan, provision.

A deploy walks the resources in dependency order, resolves each one's properties against
what is deployed so far, and creates, updates, replaces or keeps it by comparing with the
stack's stored state. On any failure it undoes what this run did (in reverse, best effort)
and leaves the previous state as it was; on success it deletes what the template dropped
and writes the new state in one transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lambdalite.template import conditions, graph, loader, parameters, sam
from lambdalite.template.errors import TemplateError
from lambdalite.template.intrinsics import Context, Deployed, resolve
from lambdalite.template.plan import Action, decide, removed
from lambdalite.template.provision.base import Env, ImportCheck, Request
from lambdalite.template.provision.recorded import RecordedProvisioner, stand_in
from lambdalite.template.provision.registry import provisioner_for
from lambdalite.template.responses import CustomResponses
from lambdalite.template.state import ResourceState, StackState, StackStore
from lambdalite.template.validate import check_template

Progress = Callable[[str], None]


@dataclasses.dataclass
class StackDeployer:
    store: StackStore
    endpoint: str
    region: str
    account_id: str
    gateway: Any = None
    responses: CustomResponses = dataclasses.field(default_factory=CustomResponses)
    import_check: ImportCheck | None = None
    cache_dir: Path | None = None  # SAM expansions are kept under it (template/sam.py)

    def env(self, stack_name: str, progress: Progress) -> Env:
        return Env(
            self.endpoint, self.region, self.account_id, stack_name,
            lambda line: progress(f"warning: {line}"),
            asyncio.get_running_loop(), self.responses, self.gateway,
            import_check=self.import_check,
        )  # fmt: skip

    async def deploy(
        self, path: Path, stack_name: str, overrides: Mapping[str, str], progress: Progress
    ) -> StackState:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        template = loader.parse(text, str(path))
        declared = template.get("Parameters") or {}
        values = parameters.values(declared, overrides)
        pseudo = parameters.pseudo(self.region, self.account_id, stack_name)
        if sam.is_sam(template):
            progress(f"Expanding SAM template {path.name} ...")
        cfn = await asyncio.to_thread(
            sam.expand, template, path.parent, {**values, **pseudo}, self.cache_dir
        )
        old = await self.store.get(stack_name)
        exports = {
            k: v for k, (owner, v) in (await self.store.exports()).items() if owner != stack_name
        }
        ctx = Context({**values, **pseudo}, {}, {}, cfn.get("Mappings") or {}, {}, exports)
        ctx.conditions = conditions.evaluate(cfn.get("Conditions") or {}, ctx)
        resources = {
            name: r for name, r in cfn["Resources"].items()
            if "Condition" not in r or ctx.conditions.get(r["Condition"], False)
        }  # fmt: skip
        ctx.declared = {name: r.get("Type", "") for name, r in resources.items()}
        check_template(resources, ctx)
        order = graph.order(graph.dependencies(resources))
        run = _Run(self.env(stack_name, progress), progress, ctx, old)
        try:
            for name in order:
                await run.apply(name, resources[name])
            await run.verify()
            outputs, stack_exports = _outputs(cfn.get("Outputs") or {}, ctx)
        except BaseException as exc:
            await run.rollback()
            if isinstance(exc, TemplateError):
                raise
            if isinstance(exc, Exception):
                raise TemplateError(_cause(exc), ctx.where) from None
            raise
        await run.cleanup()
        state = StackState(
            stack_name, hashlib.sha256(text.encode()).hexdigest(), values,
            {name: run.state[name] for name in order}, outputs, stack_exports,
        )  # fmt: skip
        await self.store.put(state)
        return state

    async def delete(self, stack_name: str, progress: Progress) -> bool:
        old = await self.store.get(stack_name)
        if old is None:
            return False
        env = self.env(stack_name, progress)
        for resource in removed(old, ()):
            await _delete(env, progress, resource)
        await self.store.delete(stack_name)
        return True


class _Run:
    """One deploy's progress: what it did, so it can be undone."""

    def __init__(self, env: Env, progress: Progress, ctx: Context, old: StackState | None):
        self.env, self.progress, self.ctx, self.old = env, progress, ctx, old
        self.state: dict[str, ResourceState] = {}
        self.undo: list[tuple[Action, ResourceState, ResourceState | None]] = []
        self.retired: list[ResourceState] = []

    async def apply(self, name: str, resource: Mapping[str, Any]) -> None:
        ctx = self.ctx
        ctx.where = name
        rtype = str(resource.get("Type", ""))
        props = resolve(resource.get("Properties") or {}, ctx)
        provisioner = provisioner_for(rtype)
        previous = self.old.resources.get(name) if self.old else None
        action = decide(rtype, props, previous, provisioner.replace_on)
        request = Request(name, rtype, props)
        if action is Action.KEEP and previous is not None:
            result = previous
        else:
            self.progress(f"{action.value} {rtype} {name} ...")
            if action is Action.UPDATE and previous is not None:
                done = await asyncio.to_thread(provisioner.update, self.env, request, previous)
            else:
                done = await asyncio.to_thread(provisioner.create, self.env, request)
            result = ResourceState(name, rtype, done.physical_id, props, dict(done.attributes))
            self.undo.append((action, result, previous))
            if action is Action.REPLACE and previous is not None:
                self.retired.append(previous)
            self.progress(f"{action.value} {rtype} {name} ... done")
        self.state[name] = result
        ctx.resources = {**ctx.resources, name: _deployed(self.env, result)}

    async def verify(self) -> None:
        """Every handler this run deployed imports (checks started by the provisioners)."""
        for logical_id, handler, check in self.env.checks:
            try:
                reason = await asyncio.wrap_future(check)
            except Exception as exc:  # the checker's own failure is not the handler's
                self.progress(f"warning: {logical_id}: handler {handler} not checked: {exc}")
                continue
            if reason is not None:
                raise TemplateError(f"handler {handler} cannot import: {reason}", logical_id)

    async def rollback(self) -> None:
        for action, created, previous in reversed(self.undo):
            self.progress(f"Rolling back {created.type} {created.logical_id} ...")
            try:
                provisioner = provisioner_for(created.type)
                if action is Action.UPDATE and previous is not None:
                    request = Request(previous.logical_id, previous.type, previous.properties)
                    await asyncio.to_thread(provisioner.update, self.env, request, created)
                else:
                    await asyncio.to_thread(provisioner.delete, self.env, created)
            except Exception as exc:
                self.progress(f"warning: rolling back {created.logical_id} failed: {exc}")

    async def cleanup(self) -> None:
        for resource in [*self.retired, *removed(self.old, self.state)]:
            await _delete(self.env, self.progress, resource)


def _cause(exc: Exception) -> str:
    """What failed, without botocore's "An error occurred ... when calling" wrapping."""
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    if isinstance(error, dict) and error.get("Message"):
        operation = getattr(exc, "operation_name", "") or "request"
        return f"{operation} failed ({error.get('Code', '')}): {error['Message']}"
    return str(exc)


def _deployed(env: Env, state: ResourceState) -> Deployed:
    ref = state.physical_id
    if isinstance(provisioner_for(state.type), RecordedProvisioner):
        return Deployed(ref, stand_in(env, state.type, state.logical_id, state.physical_id))
    return Deployed(ref, state.attributes)


async def _delete(env: Env, progress: Progress, resource: ResourceState) -> None:
    progress(f"Deleting {resource.type} {resource.logical_id} ...")
    try:
        await asyncio.to_thread(provisioner_for(resource.type).delete, env, resource)
    except Exception as exc:
        progress(f"warning: deleting {resource.logical_id} failed: {exc}")


def _outputs(declared: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    outputs: dict[str, Any] = {}
    exports: dict[str, Any] = {}
    for name, output in declared.items():
        if "Condition" in output and not ctx.conditions.get(output["Condition"], False):
            continue
        ctx.where = f"Output {name}"
        outputs[name] = resolve(output.get("Value"), ctx)
        if "Export" in output:
            export_name = resolve(output["Export"].get("Name"), ctx)
            if export_name in ctx.exports:
                raise ctx.fail(f"export {export_name!r} is already exported by another stack")
            exports[str(export_name)] = outputs[name]
    return outputs, exports
