"""The dependency graph (order, cycles named) and the plan (only changes are applied)."""

from __future__ import annotations

import pytest

from lambdalite.template import graph
from lambdalite.template.errors import TemplateError
from lambdalite.template.plan import Action, decide, removed
from lambdalite.template.state import ResourceState, StackState


def test_order_puts_dependencies_first() -> None:
    resources = {
        "Mapping": {"Properties": {"F": {"Ref": "Fn"}, "Q": {"Fn::GetAtt": ["Queue", "Arn"]}}},
        "Fn": {"Properties": {"Env": {"Fn::Sub": "${Queue}"}}, "DependsOn": "Role"},
        "Queue": {},
        "Role": {},
    }
    order = graph.order(graph.dependencies(resources))
    assert order.index("Queue") < order.index("Fn") < order.index("Mapping")
    assert order.index("Role") < order.index("Fn")


def test_a_cycle_is_named() -> None:
    resources = {
        "A": {"Properties": {"x": {"Ref": "B"}}},
        "B": {"Properties": {"x": {"Fn::GetAtt": "C.Arn"}}},
        "C": {"Properties": {"x": {"Fn::Sub": "${A}"}}},
    }
    with pytest.raises(TemplateError, match="circular dependency: A -> B -> C -> A"):
        graph.order(graph.dependencies(resources))


def test_depends_on_a_missing_resource_is_named() -> None:
    with pytest.raises(TemplateError, match="A: DependsOn Ghost"):
        graph.dependencies({"A": {"DependsOn": ["Ghost"]}})


def _state(props: dict[str, object], kind: str = "AWS::SQS::Queue") -> ResourceState:
    return ResourceState("Q", kind, "url", props, {})


def test_plan() -> None:
    assert decide("AWS::SQS::Queue", {"A": 1}, None) is Action.CREATE
    assert decide("AWS::SQS::Queue", {"A": 1}, _state({"A": 1})) is Action.KEEP
    assert decide("AWS::SQS::Queue", {"A": 2}, _state({"A": 1})) is Action.UPDATE
    assert decide("AWS::SNS::Topic", {"A": 1}, _state({"A": 1})) is Action.REPLACE
    assert (
        decide("AWS::SQS::Queue", {"QueueName": "b"}, _state({"QueueName": "a"}), {"QueueName"})
        is Action.REPLACE
    )


def test_removed_resources_go_last_created_first() -> None:
    old = StackState(
        "s", "h", {},
        {n: ResourceState(n, "T", n, {}) for n in ("A", "B", "C")},
    )  # fmt: skip
    assert [r.logical_id for r in removed(old, {"B"})] == ["C", "A"]
    assert removed(None, ()) == []
