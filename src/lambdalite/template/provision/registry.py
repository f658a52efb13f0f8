"""Which provisioner handles which resource type."""

from __future__ import annotations

from lambdalite.gateway.model import ApiKind
from lambdalite.template.provision.base import Provisioner
from lambdalite.template.provision.custom import CustomProvisioner
from lambdalite.template.provision.dynamodb import TableProvisioner
from lambdalite.template.provision.events import (
    EventBusProvisioner,
    RuleProvisioner,
    ScheduleProvisioner,
)
from lambdalite.template.provision.gateway import ApiProvisioner, StageProvisioner
from lambdalite.template.provision.kinesis import StreamProvisioner
from lambdalite.template.provision.lambda_function import FunctionProvisioner
from lambdalite.template.provision.lambda_related import (
    AliasProvisioner,
    EventInvokeConfigProvisioner,
    EventSourceMappingProvisioner,
    PermissionProvisioner,
    UrlProvisioner,
    VersionProvisioner,
)
from lambdalite.template.provision.layers import LayerVersionProvisioner
from lambdalite.template.provision.recorded import NOT_ENFORCED, RecordedProvisioner
from lambdalite.template.provision.s3 import BucketProvisioner
from lambdalite.template.provision.sns import SubscriptionProvisioner, TopicProvisioner
from lambdalite.template.provision.sqs import QueueProvisioner

PROVISIONERS: dict[str, Provisioner] = {
    "AWS::Lambda::Function": FunctionProvisioner(),
    "AWS::Lambda::Version": VersionProvisioner(),
    "AWS::Lambda::Alias": AliasProvisioner(),
    "AWS::Lambda::EventInvokeConfig": EventInvokeConfigProvisioner(),
    "AWS::Lambda::EventSourceMapping": EventSourceMappingProvisioner(),
    "AWS::Lambda::Permission": PermissionProvisioner(),
    "AWS::Lambda::Url": UrlProvisioner(),
    "AWS::Lambda::LayerVersion": LayerVersionProvisioner(),
    "AWS::SQS::Queue": QueueProvisioner(),
    "AWS::SNS::Topic": TopicProvisioner(),
    "AWS::SNS::Subscription": SubscriptionProvisioner(),
    "AWS::Events::EventBus": EventBusProvisioner(),
    "AWS::Events::Rule": RuleProvisioner(),
    "AWS::Scheduler::Schedule": ScheduleProvisioner(),
    "AWS::Kinesis::Stream": StreamProvisioner(),
    "AWS::S3::Bucket": BucketProvisioner(),
    "AWS::DynamoDB::Table": TableProvisioner(),
    "AWS::ApiGateway::RestApi": ApiProvisioner(ApiKind.REST),
    "AWS::ApiGatewayV2::Api": ApiProvisioner(ApiKind.HTTP),
    "AWS::ApiGateway::Stage": StageProvisioner(),
    "AWS::ApiGatewayV2::Stage": StageProvisioner(),
    "AWS::CloudFormation::CustomResource": CustomProvisioner(),
}
_RECORDED = RecordedProvisioner(emulated=True)
_UNSUPPORTED = RecordedProvisioner(emulated=False)
_CUSTOM = PROVISIONERS["AWS::CloudFormation::CustomResource"]


def provisioner_for(rtype: str) -> Provisioner:
    if rtype in PROVISIONERS:
        return PROVISIONERS[rtype]
    if rtype.startswith("Custom::"):
        return _CUSTOM
    return _RECORDED if rtype in NOT_ENFORCED else _UNSUPPORTED
