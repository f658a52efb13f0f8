"""Template files: YAML short forms, JSON, dates kept as strings, parse errors named."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdalite.template import loader, parameters
from lambdalite.template.errors import TemplateError

YAML = """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-q"
      A: !GetAtt Fn.Arn
      B: !Join [",", [!Ref X, !Select [0, !Split ["/", "a/b"]]]]
      C: !If [IsProd, !FindInMap [M, !Ref "AWS::Region", k], !ImportValue shared]
      D: !Base64 hi
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Both: !And [!Condition IsProd, !Not [!Condition IsProd]]
"""


def test_short_forms_become_long_forms() -> None:
    doc = loader.parse(YAML)
    assert doc["AWSTemplateFormatVersion"] == "2010-09-09"
    props = doc["Resources"]["Q"]["Properties"]
    assert props["QueueName"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert props["A"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    assert props["B"] == {
        "Fn::Join": [",", [{"Ref": "X"}, {"Fn::Select": [0, {"Fn::Split": ["/", "a/b"]}]}]]
    }
    assert props["C"]["Fn::If"][1] == {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "k"]}
    assert props["C"]["Fn::If"][2] == {"Fn::ImportValue": "shared"}
    assert props["D"] == {"Fn::Base64": "hi"}
    assert doc["Conditions"]["Both"]["Fn::And"][0] == {"Condition": "IsProd"}


def test_json_templates_load() -> None:
    assert loader.parse('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}')["Resources"]


@pytest.mark.parametrize(
    ("text", "cause"),
    [("Resources: [unclosed", "does not parse"), ("just: text", "needs a Resources mapping")],
)
def test_a_template_that_does_not_parse_is_one_clear_error(text: str, cause: str) -> None:
    with pytest.raises(TemplateError, match=cause):
        loader.parse(text, "t.yaml")


def test_parameter_values_defaults_overrides_and_allowed_values() -> None:
    declared = {
        "Env": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "Ids": {"Type": "CommaDelimitedList", "Default": "a, b"},
    }
    assert parameters.values(declared, {}) == {"Env": "dev", "Ids": ["a", "b"]}
    assert parameters.values(declared, {"Env": "prod"})["Env"] == "prod"
    with pytest.raises(TemplateError, match="Env: value 'test' is not one of"):
        parameters.values(declared, {"Env": "test"})
    with pytest.raises(TemplateError, match="Name: has no Default"):
        parameters.values({"Name": {"Type": "String"}}, {})


def test_parameter_overrides_parse_both_forms() -> None:
    assert parameters.parse_overrides(("A=1 B=2", "ParameterKey=C,ParameterValue=x=y")) == {
        "A": "1",
        "B": "2",
        "C": "x=y",
    }


def test_a_sam_expansion_is_kept_and_reused_until_something_it_depends_on_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambdalite.template import sam

    (tmp_path / "src").mkdir()
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "src/",
                    "Handler": "app.handler",
                    "Runtime": "python3.12",
                },
            }
        },
    }
    params = {"AWS::Region": "us-east-1", "AWS::AccountId": "000000000000"}
    cache = tmp_path / "cache"
    first = sam.expand(template, tmp_path, params, cache)
    assert first["Resources"]["Fn"]["Type"] == "AWS::Lambda::Function"
    assert len(list((cache / "sam").glob("*.json"))) == 1

    def no_translator(*_: object) -> None:
        raise AssertionError("translated again")

    monkeypatch.setattr(sam, "_translate", no_translator)
    assert sam.expand(template, tmp_path, params, cache) == first  # from the cache
    with pytest.raises(AssertionError, match="translated again"):
        sam.expand(template, tmp_path, {**params, "AWS::Region": "eu-west-1"}, cache)
