"""Intrinsic functions, Conditions and pseudo parameters, resolved against deployed resources."""

from __future__ import annotations

from typing import Any

import pytest

from lambdalite.template import conditions, parameters
from lambdalite.template.errors import TemplateError
from lambdalite.template.intrinsics import Context, Deployed, references, resolve
from lambdalite.template.validate import check_template


def _ctx(**overrides: Any) -> Context:
    ctx = Context(
        parameters={"Env": "prod", **parameters.pseudo("eu-west-1", "123456789012", "shop")},
        resources={"Q": Deployed("https://q/url", {"Arn": "arn:q", "QueueName": "qname"})},
        declared={"Q": "AWS::SQS::Queue", "Later": "AWS::SNS::Topic"},
        mappings={"Sizes": {"eu-west-1": {"Mem": 256}}},
        exports={"shared-bus": "arn:bus"},
        where="Fn",
    )
    for key, value in overrides.items():
        setattr(ctx, key, value)
    ctx.conditions = conditions.evaluate(
        {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "NotProd"}]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "NotProd"}]},
        },
        ctx,
    )
    return ctx


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Q"}, "https://q/url"),
        ({"Ref": "Env"}, "prod"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::AccountId"}, "123456789012"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Fn::GetAtt": ["Q", "Arn"]}, "arn:q"),
        ({"Fn::GetAtt": "Q.QueueName"}, "qname"),
        ({"Fn::Sub": "${AWS::StackName}-${Q.QueueName}-${!Literal}"}, "shop-qname-${Literal}"),
        ({"Fn::Sub": ["${a}/${Env}", {"a": {"Ref": "AWS::Region"}}]}, "eu-west-1/prod"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}, "a-prod"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}, "y"),
        ({"Fn::If": ["IsProd", "big", "small"]}, "big"),
        ({"Fn::If": ["NotProd", "big", "small"]}, "small"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Mem"]}, 256),
        ({"Fn::ImportValue": "shared-bus"}, "arn:bus"),
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ({"A": {"Ref": "AWS::NoValue"}, "B": 1}, {"B": 1}),
        ([1, {"Fn::If": ["NotProd", 2, {"Ref": "AWS::NoValue"}]}], [1]),
    ],
)
def test_resolve(value: Any, expected: Any) -> None:
    assert resolve(value, _ctx()) == expected


def test_conditions_name_each_other() -> None:
    ctx = _ctx()
    assert ctx.conditions == {"IsProd": True, "NotProd": False, "Either": True, "Both": False}


def test_a_circular_condition_is_named() -> None:
    with pytest.raises(TemplateError, match="A -> B -> A"):
        conditions.evaluate({"A": {"Condition": "B"}, "B": {"Condition": "A"}}, _ctx())


@pytest.mark.parametrize(
    ("value", "cause"),
    [
        ({"Fn::Nope": 1}, "Fn: unknown intrinsic function Fn::Nope"),
        ({"Ref": "Missing"}, "Fn: Ref to Missing, which is not a resource or parameter"),
        ({"Fn::GetAtt": ["Q", "Nope"]}, "AWS::SQS::Queue has no attribute Nope"),
        ({"Fn::ImportValue": "nobody"}, "no stack exports 'nobody'"),
        ({"Fn::FindInMap": ["Sizes", "x", "y"]}, "no Sizes/x/y in Mappings"),
        ({"Fn::If": ["Undeclared", 1, 2]}, "condition 'Undeclared' is not declared"),
    ],
)
def test_errors_name_the_resource_and_the_cause(value: Any, cause: str) -> None:
    with pytest.raises(TemplateError, match=cause.replace("(", r"\(")):
        resolve(value, _ctx())


def test_find_in_map_default_value() -> None:
    value = {"Fn::FindInMap": ["Sizes", "x", "y", {"DefaultValue": 128}]}
    assert resolve(value, _ctx()) == 128


def test_references_cover_ref_getatt_and_sub() -> None:
    value = {"A": {"Ref": "X"}, "B": {"Fn::GetAtt": "Y.Arn"},
             "C": {"Fn::Sub": ["${Z.Arn}/${v}/${!no}", {"v": {"Ref": "W"}}]}}  # fmt: skip
    assert references(value) == {"X", "Y", "Z", "W"}


def test_the_check_before_provisioning_names_a_missing_ref_and_an_unknown_function() -> None:
    ctx = _ctx()
    with pytest.raises(TemplateError, match="B: refers to Ghost"):
        check_template({"B": {"Type": "T", "Properties": {"X": {"Ref": "Ghost"}}}}, ctx)
    with pytest.raises(TemplateError, match="B: unknown intrinsic function Fn::Magic"):
        check_template({"B": {"Type": "T", "Properties": {"X": {"Fn::Magic": []}}}}, ctx)
