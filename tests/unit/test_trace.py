"""X-Ray trace headers (observe/trace.py, observability brief 3.1-3.2)."""

from __future__ import annotations

import re

from lambdalite.observe import trace

ROOT = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
GIVEN = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def test_a_new_root_carries_the_epoch_seconds_and_96_random_bits() -> None:
    root = trace.new_root(0x5759E988)
    assert ROOT.match(root) and root.startswith("1-5759e988-")
    assert trace.new_root(1.0) != trace.new_root(1.0)


def test_an_incoming_header_is_kept_verbatim_with_its_unknown_pairs() -> None:
    header = GIVEN + ";Lineage=037bed70:0"
    assert trace.for_invocation(header, "PassThrough", 0) == header
    assert trace.for_invocation(header, "Active", 0) == header


def test_nothing_incoming_mints_a_root_sampled_only_under_active_tracing() -> None:
    passthrough = trace.for_invocation(None, "PassThrough", 1_700_000_000)
    active = trace.for_invocation(None, "Active", 1_700_000_000)
    for header in (passthrough, active):
        assert ROOT.match(trace.root_of(header) or "")
        assert re.search(r"Parent=[0-9a-f]{16}", header)
    assert not trace.is_sampled(passthrough) and "Sampled=0" in passthrough
    assert trace.is_sampled(active)


def test_active_tracing_decides_an_open_sampling_decision() -> None:
    open_decision = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?"
    assert trace.is_sampled(trace.for_invocation(open_decision, "Active", 0))
    assert not trace.is_sampled(trace.for_invocation(open_decision, "PassThrough", 0))
    unsampled = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0"
    assert not trace.is_sampled(trace.for_invocation(unsampled, "Active", 0))


def test_the_next_hop_keeps_the_root_and_the_rest_with_a_new_parent() -> None:
    header = GIVEN + ";Lineage=037bed70:0"
    hop = trace.next_hop(header)
    pairs = dict(trace.parse(hop))
    assert pairs["Root"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert pairs["Parent"] != "53995c3f42cd8ad8" and len(pairs["Parent"]) == 16
    assert pairs["Sampled"] == "1" and pairs["Lineage"] == "037bed70:0"
    without_parent = trace.next_hop("Root=1-5759e988-bd862e3fe1be46a994272793")
    assert [k for k, _ in trace.parse(without_parent)] == ["Root", "Parent"]


def test_otel_ids_round_trip_the_root() -> None:
    ids = trace.otel_ids(GIVEN)
    assert ids == (0x5759E988BD862E3FE1BE46A994272793, 0x53995C3F42CD8AD8, True)
    assert trace.otel_ids("Root=garbage") is None and trace.otel_ids("") is None


def test_an_explicit_system_attribute_wins_over_the_http_header() -> None:
    mine = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=mine"}}
    entry = {"MessageBody": "x", "MessageSystemAttributes": mine}
    assert trace.with_system_attribute(entry, GIVEN) == entry
    traced = trace.with_system_attribute({"MessageBody": "x"}, GIVEN)
    assert traced["MessageSystemAttributes"] == {
        "AWSTraceHeader": {"DataType": "String", "StringValue": GIVEN}
    }
    assert trace.with_system_attribute({"MessageBody": "x"}, None) == {"MessageBody": "x"}


def test_spans_are_exported_only_when_an_otlp_endpoint_is_named() -> None:
    from lambdalite.observe import otel

    assert not otel.wanted({})
    assert not otel.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": ""})
    assert otel.wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318"})
