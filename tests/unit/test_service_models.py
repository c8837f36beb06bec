"""kefu's botocore session finds a service's model in that service's folder, without listing every service, reads
botocore's JSON data into plain dicts (the same data, in the same order), loads the services kefu calls one operation
of from their models trimmed to it, and kefu's other AWS clients come from that same session."""

from __future__ import annotations

import inspect
import json
import marshal
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from kefu.store.service_models import (
    ENDPOINT_SERVICES,
    MARSHAL_COPY,
    RULE_SET,
    TRIMMED_MODELS,
    TRIMMED_OPERATIONS,
    PlainJSONFileLoader,
    ServiceFolderLoader,
    _unmarshalled,
    use_service_folders,
)
from kefu_infra.service_models import trimmed_endpoints, trimmed_files, trimmed_model, trimmed_models


def never_list(self, type_name):
    raise AssertionError(f"listed every service for {type_name}")


# (DynamoDB's service model, here before, is now kefu's trimmed copy: tests below)
@pytest.mark.parametrize("service, type_name", [("scheduler", "service-2"), ("s3", "endpoint-rule-set-1")])
def test_a_service_model_is_the_one_botocore_loads_and_no_service_listing_is_made(monkeypatch, service, type_name):
    # Given botocore's own loader's answer
    expected = Loader().load_service_model(service, type_name)
    # when kefu's loader loads the same model while listing every service fails the test
    monkeypatch.setattr(Loader, "list_available_services", never_list)
    loaded = ServiceFolderLoader().load_service_model(service, type_name)
    # then the model is the same (extras included)
    assert loaded == expected


def ordered_dicts(data: Any) -> int:
    """How many OrderedDicts `data` holds, itself included."""
    if isinstance(data, dict):
        return isinstance(data, OrderedDict) + sum(ordered_dicts(value) for value in data.values())
    if isinstance(data, list):
        return sum(ordered_dicts(value) for value in data)
    return 0


@pytest.mark.parametrize(
    "load",
    [
        # (botocore's endpoints.json as a file: kefu's session reads its trimmed copy, tested below)
        lambda loader: loader.file_loader.load_file(os.path.join(Loader.BUILTIN_DATA_PATH, "endpoints")),
        # (SES v2's service model, here before, is now kefu's trimmed copy: tests below)
        lambda loader: loader.load_service_model("scheduler", "service-2"),
        lambda loader: loader.load_service_model("sns", "endpoint-rule-set-1"),
    ],
    ids=["endpoints", "scheduler service-2", "sns endpoint-rule-set-1"],
)
def test_botocore_data_is_read_into_plain_dicts_the_same_and_in_the_same_order(load):
    # Given what botocore's own loader reads (OrderedDicts)
    expected = load(Loader())
    assert ordered_dicts(expected) > 0
    # when kefu's loader reads the same file
    loaded = load(ServiceFolderLoader())
    # then it is the same data, its keys in the same order, without an OrderedDict in it
    assert loaded == expected
    assert json.dumps(loaded) == json.dumps(expected)
    assert ordered_dicts(loaded) == 0


def test_a_service_botocore_does_not_have_is_refused_as_botocore_refuses_it():
    # Given a name no service folder has, when its model is loaded, then botocore's own error names it
    with pytest.raises(UnknownServiceError, match="no-such-service"):
        ServiceFolderLoader().load_service_model("no-such-service", "service-2")


def test_a_session_set_up_for_service_folders_makes_clients_without_listing_services(monkeypatch):
    # Given a botocore session set up as the table's connection sets up its own
    session = botocore.session.get_session()
    use_service_folders(session)
    monkeypatch.setattr(Loader, "list_available_services", never_list)
    # when it makes clients, then they are made from the service folders
    client = session.create_client("dynamodb", region_name="us-east-1")
    assert client.meta.service_model.service_name == "dynamodb"
    assert isinstance(session.get_component("data_loader"), ServiceFolderLoader)


def test_an_aws_data_path_is_searched_first_as_botocore_searches_it(monkeypatch, tmp_path):
    # Given AWS_DATA_PATH naming a folder of extra models
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    session = botocore.session.get_session()
    # when the session is set up, then its loader searches that folder before botocore's own data
    use_service_folders(session)
    paths = session.get_component("data_loader").search_paths
    assert paths[0] == str(tmp_path) and paths[-1] == Loader.BUILTIN_DATA_PATH


def test_aws_clients_come_from_the_table_connections_session(aws, monkeypatch):
    from kefu.store.clients import aws_client
    from kefu.store.models import KefuItem

    # Given every service model load watched
    loads = []
    load = ServiceFolderLoader.load_service_model

    def watched(self, service_name, type_name, api_version=None):
        loads.append((self, service_name))
        return load(self, service_name, type_name, api_version)

    monkeypatch.setattr(ServiceFolderLoader, "load_service_model", watched)
    # when kefu makes an S3 client
    client = aws_client("s3", region_name="us-east-1")
    # then its model came through the loader of the table connection's botocore session
    loader = KefuItem._get_connection().connection.session.get_component("data_loader")
    assert (loader, "s3") in loads
    assert client.meta.service_model.service_name == "s3"


# --- services loaded trimmed to the operations kefu calls ----------------------------------------------------------


def test_each_trimmed_file_is_what_the_installed_botocores_data_trims_to_and_no_other_file_is_there():
    # Given each trimmed service's model as the installed botocore has it, trimmed to the operations kefu calls, and
    # its endpoints.json trimmed to the services kefu makes clients of
    expected = trimmed_files()
    assert {path.parts[-3] for path in trimmed_models()} == set(TRIMMED_OPERATIONS)
    assert Path(TRIMMED_MODELS, "endpoints.json") in expected
    # then kefu's files are those (`make service-models` writes them again), and no file of another version is left
    for path, model in expected.items():
        assert json.loads(path.read_text(encoding="utf-8")) == model, f"{path}: run `make service-models`"
    assert set(Path(TRIMMED_MODELS).rglob("*.json")) == set(expected)
    # and each file's marshal copy holds the same data as its JSON copy, in the same order
    for path in expected:
        unmarshalled = marshal.loads(path.with_suffix(MARSHAL_COPY).read_bytes())
        assert unmarshalled == expected[path], f"{path}: run `make service-models`"
        assert json.dumps(unmarshalled) == json.dumps(expected[path])
    marshalled = {path.with_suffix(MARSHAL_COPY) for path in expected}
    assert set(Path(TRIMMED_MODELS).rglob(f"*{MARSHAL_COPY}")) == marshalled


@pytest.mark.parametrize("service", ENDPOINT_SERVICES)
@pytest.mark.parametrize("marshal_read", [True, False], ids=["marshal", "no marshal"])
def test_a_services_endpoint_rule_set_is_read_from_kefus_copy_the_same_as_botocores(monkeypatch, service, marshal_read):
    # Given botocore's own loader's rule set for the service (its gzipped, indented file)
    expected = Loader().load_service_model(service, RULE_SET)
    # when kefu's loader loads it, noting each JSON file it reads (without its marshal copy, if so)
    read: list[str] = []
    load_file = PlainJSONFileLoader.load_file

    def noting(self, file_path):
        read.append(file_path)
        return load_file(self, file_path)

    monkeypatch.setattr(PlainJSONFileLoader, "load_file", noting)
    if not marshal_read:  # as if it were not there
        monkeypatch.setattr("kefu.store.service_models.MARSHAL_COPY", ".absent")
    loaded = ServiceFolderLoader().load_service_model(service, RULE_SET)
    # then it is the same rule set, in the same order, read from kefu's marshal copy, or else from its JSON copy,
    # written compact (not botocore's file)
    assert loaded == expected and json.dumps(loaded) == json.dumps(expected)
    rule_sets = [path for path in read if Path(path).name == RULE_SET]  # (botocore's extras files are looked for too)
    if marshal_read:
        assert rule_sets == [], read
        return
    assert len(rule_sets) == 1 and Path(rule_sets[0]).is_relative_to(TRIMMED_MODELS), read
    copy = Path(f"{rule_sets[0]}.json").read_text(encoding="utf-8")
    assert copy == json.dumps(json.loads(copy), separators=(",", ":")) + "\n"


@pytest.mark.parametrize(
    "load",
    [
        lambda loader: loader.load_data_with_path("endpoints")[0],
        *(
            lambda loader, service=service: loader.load_service_model(service, "service-2")
            for service in TRIMMED_OPERATIONS
        ),
    ],
    ids=["endpoints", *(f"{service} service-2" for service in TRIMMED_OPERATIONS)],
)
def test_a_copy_is_read_the_same_from_its_marshal_data_and_from_its_json(monkeypatch, load):
    from_marshal = load(ServiceFolderLoader())
    monkeypatch.setattr("kefu.store.service_models.MARSHAL_COPY", ".absent")  # as if there were none
    from_json = load(ServiceFolderLoader())
    assert from_marshal == from_json and json.dumps(from_marshal) == json.dumps(from_json)


@pytest.mark.parametrize("data", [b"", b"\xff\x00", marshal.dumps({"a": 1})[:-1]], ids=["empty", "unknown", "cut"])
def test_marshal_data_this_python_cannot_read_is_as_none_and_the_json_copy_is_read(tmp_path, data):
    path = tmp_path / f"{RULE_SET}{MARSHAL_COPY}"
    path.write_bytes(data)
    assert _unmarshalled(str(path)) is None
    assert _unmarshalled(str(tmp_path / "absent")) is None


# --- botocore's endpoints, with the services kefu makes clients of only ---------------------------------------------


def test_endpoints_are_trimmed_to_the_services_named_with_each_partitions_own_data_whole():
    # Given endpoints data of two partitions, each with a service kept and one not
    endpoints = {
        "version": 3,
        "partitions": [
            {
                "partition": "aws",
                "defaults": {"hostname": "{service}.{region}.{dnsSuffix}"},
                "regions": {"us-east-1": {}},
                "services": {"s3": {"endpoints": {"us-east-1": {}}}, "iam": {"partitionEndpoint": "aws-global"}},
            },
            {"partition": "aws-cn", "regions": {}, "services": {"s3": {}, "sqs": {}}},
        ],
    }
    # when it is trimmed to S3, then each partition keeps S3's data and all of its own, and nothing else
    assert trimmed_endpoints(endpoints, ["s3"]) == {
        "version": 3,
        "partitions": [
            {
                "partition": "aws",
                "defaults": {"hostname": "{service}.{region}.{dnsSuffix}"},
                "regions": {"us-east-1": {}},
                "services": {"s3": {"endpoints": {"us-east-1": {}}}},
            },
            {"partition": "aws-cn", "regions": {}, "services": {"s3": {}}},
        ],
    }


def test_a_kefu_session_resolves_its_services_endpoints_from_the_trimmed_copy_as_botocore_read_them():
    from botocore.regions import EndpointResolver

    # Given the endpoint resolvers of a plain botocore session and of one set up as the table's connection's
    plain = botocore.session.get_session()._get_internal_component("endpoint_resolver")
    session = botocore.session.get_session()
    use_service_folders(session)
    kefus = session._get_internal_component("endpoint_resolver")
    # then kefu's holds only the services kefu makes clients of, and is botocore's own data as the plain one is
    assert isinstance(kefus, EndpointResolver) and kefus.uses_builtin_data and plain.uses_builtin_data
    # (SES v2 and Step Functions have no entry of their own there: botocore resolves them from partition defaults)
    assert kefus._endpoint_data == trimmed_endpoints(plain._endpoint_data, ENDPOINT_SERVICES)
    held = {name for p in kefus._endpoint_data["partitions"] for name in p["services"]}
    assert held == set(ENDPOINT_SERVICES) - {"sesv2", "stepfunctions"}
    # and each of those services resolves in every region of every partition, with every variant, as from the full file
    for partition in plain.get_available_partitions():
        regions = [*plain._endpoint_data["partitions"][0]["regions"], "aws-global", "eu-south-9"]
        regions += [r for p in plain._endpoint_data["partitions"] if p["partition"] == partition for r in p["regions"]]
        for service in ENDPOINT_SERVICES:
            listed = kefus.get_available_endpoints(service, partition)
            assert listed == plain.get_available_endpoints(service, partition)
            for region in regions:
                for dualstack in (False, True):
                    for fips in (False, True):
                        asked = (service, region, partition, dualstack, fips)
                        assert _resolved(kefus, *asked) == _resolved(plain, *asked), asked


def _resolved(resolver: Any, service: str, region: str, partition: str, dualstack: bool, fips: bool) -> Any:
    """What `resolver` answers for the endpoint: its data, or the error it raises (a variant it has no endpoint of)."""
    try:
        return resolver.construct_endpoint(
            service, region, partition, use_dualstack_endpoint=dualstack, use_fips_endpoint=fips
        )
    except Exception as err:  # the same error is the same answer
        return type(err), str(err)


def test_an_aws_data_paths_own_endpoints_are_read_whole_as_botocore_reads_them(monkeypatch, tmp_path):
    # Given AWS_DATA_PATH holding an endpoints.json of its own
    mine = {"version": 3, "partitions": []}
    (tmp_path / "endpoints.json").write_text(json.dumps(mine), encoding="utf-8")
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    session = botocore.session.get_session()
    use_service_folders(session)
    # when the session's endpoints are read, then they are that file's, not botocore's data
    data, path = session.get_component("data_loader").load_data_with_path("endpoints")
    assert data == mine and path == str(tmp_path / "endpoints")


def test_an_aws_client_of_a_service_the_endpoints_do_not_hold_is_refused():
    from kefu.store.clients import aws_client

    # Given a service kefu's endpoints do not hold, when its client is asked for, then it is refused by its name
    assert "sqs" not in ENDPOINT_SERVICES
    with pytest.raises(ValueError, match="sqs: add it to ENDPOINT_SERVICES"):
        aws_client("sqs", region_name="us-east-1")


@pytest.mark.parametrize("service", sorted(TRIMMED_OPERATIONS))
def test_a_trimmed_services_client_has_only_the_operations_kefu_calls(monkeypatch, service):
    # Given a session set up as the table's connection sets up its own
    session = botocore.session.get_session()
    use_service_folders(session)
    monkeypatch.setattr(Loader, "list_available_services", never_list)
    # when it makes the service's client
    client = session.create_client(service, region_name="us-east-1")
    # then its model has the operations kefu calls, and no other
    assert sorted(client.meta.service_model.operation_names) == sorted(TRIMMED_OPERATIONS[service])


REQUESTS = {
    ("dynamodb", "GetItem"): {
        "TableName": "kefu",
        "Key": {"pk": {"S": "TICKET#TK-1"}, "sk": {"S": "TICKET"}},
        "ConsistentRead": True,
    },
    ("dynamodb", "TransactWriteItems"): {
        "TransactItems": [
            {
                "Update": {
                    "TableName": "kefu",
                    "Key": {"pk": {"S": "TICKET#TK-1"}, "sk": {"S": "TICKET"}},
                    "UpdateExpression": "SET #s = :s",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":s": {"S": "open"}},
                }
            }
        ]
    },
    ("sesv2", "SendEmail"): {
        "FromEmailAddress": "support@kefu.test",
        "Destination": {"ToAddresses": ["li.lei@example.cn"]},
        "Content": {"Raw": {"Data": b"Subject: Re: Order 1042\r\n\r\nOn its way."}},
    },
    ("events", "PutEvents"): {
        "Entries": [
            {
                "Source": "kefu",
                "DetailType": "kefu.ticket.replied",
                "Detail": "{}",
                "EventBusName": "b",
                "Resources": [],
            }
        ]
    },
}


@pytest.mark.parametrize(("service", "operation"), sorted(REQUESTS))
def test_a_trimmed_models_operation_makes_the_request_and_reads_the_answer_as_the_full_model_does(service, operation):
    from botocore.model import ServiceModel
    from botocore.parsers import create_parser
    from botocore.serialize import create_serializer

    assert operation in TRIMMED_OPERATIONS[service]  # every operation kefu calls on a trimmed service is here
    # Given the service's full model and kefu's trimmed one
    full = ServiceModel(Loader().load_service_model(service, "service-2"), service)
    trimmed = ServiceModel(ServiceFolderLoader().load_service_model(service, "service-2"), service)
    assert len(trimmed.operation_names) < len(full.operation_names)
    full_operation, trimmed_operation = full.operation_model(operation), trimmed.operation_model(operation)
    # when each serializes the same request, then the requests are the same
    serializer = create_serializer(full.metadata["protocol"])
    assert serializer.serialize_to_request(REQUESTS[service, operation], trimmed_operation) == (
        serializer.serialize_to_request(REQUESTS[service, operation], full_operation)
    )
    # and each reads an answer the same (every member of the output, filled in)
    answer = {name: _sample(shape) for name, shape in full_operation.output_shape.members.items()}
    body = json.dumps(answer).encode()
    parser = create_parser(full.metadata["protocol"])
    response = {"status_code": 200, "headers": {}, "body": body}
    assert parser.parse(response, trimmed_operation.output_shape) == parser.parse(response, full_operation.output_shape)


def _sample(shape: Any, depth: int = 0) -> Any:
    """A JSON value of `shape`, every member of a structure filled in, down to a depth of 4 (DynamoDB's attribute
    values hold attribute values)."""
    if shape.type_name == "structure":
        return {name: _sample(member, depth + 1) for name, member in shape.members.items()} if depth < 4 else {}
    if shape.type_name == "list":
        return [_sample(shape.member, depth + 1)] if depth < 4 else []
    if shape.type_name == "map":
        return {"key": _sample(shape.value, depth + 1)} if depth < 4 else {}
    return {"integer": 1, "long": 1, "boolean": True, "double": 1.5, "float": 1.5, "timestamp": 1700000000}.get(
        shape.type_name, "text"
    )


def test_a_trimmed_model_keeps_the_shapes_its_operations_reach_without_documentation():
    # Given a model of two operations, one kept, whose input reaches shapes as a member, a list's member, a map's key
    # and value, and an error; the other's shapes reached by it alone
    model = {
        "version": "2.0",
        "metadata": {"protocol": "json"},
        "documentation": "the service",
        "operations": {
            "Kept": {"name": "Kept", "input": {"shape": "In"}, "errors": [{"shape": "Oops"}], "documentation": "d"},
            "Left": {"name": "Left", "input": {"shape": "Other"}},
        },
        "shapes": {
            "In": {
                "type": "structure",
                "members": {
                    "documentation": {"shape": "Text", "documentation": "a member named so"},
                    "items": {"shape": "Items"},
                    "tags": {"shape": "Tags"},
                },
                "documentation": "the input",
            },
            "Items": {"type": "list", "member": {"shape": "Item"}},
            "Item": {"type": "structure", "members": {}},
            "Tags": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Text"}},
            "Key": {"type": "string"},
            "Text": {"type": "string", "documentation": "text"},
            "Oops": {"type": "structure", "members": {}, "exception": True},
            "Other": {"type": "structure", "members": {}},
        },
    }
    # when it is trimmed to the first operation
    trimmed = trimmed_model(model, ["Kept"])
    # then that operation and every shape it reaches are kept, without their documentation (a member named
    # `documentation` is kept), and the other operation and its shape are left out
    assert trimmed == {
        "version": "2.0",
        "metadata": {"protocol": "json"},
        "operations": {"Kept": {"name": "Kept", "input": {"shape": "In"}, "errors": [{"shape": "Oops"}]}},
        "shapes": {
            "In": {
                "type": "structure",
                "members": {"documentation": {"shape": "Text"}, "items": {"shape": "Items"}, "tags": {"shape": "Tags"}},
            },
            "Item": {"type": "structure", "members": {}},
            "Items": {"type": "list", "member": {"shape": "Item"}},
            "Key": {"type": "string"},
            "Oops": {"type": "structure", "members": {}, "exception": True},
            "Tags": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Text"}},
            "Text": {"type": "string"},
        },
    }


# --- S3: the objects' operations kefu calls, and those botocore's S3 customisations call themselves ------------------


def _s3_clients() -> tuple[Any, Any]:
    """S3 clients of a session set up as the table's connection's (trimmed model) and of a plain botocore session."""
    from botocore.config import Config

    session = botocore.session.get_session()
    use_service_folders(session)
    config = Config(signature_version="s3v4")
    trimmed = session.create_client("s3", region_name="us-east-1", config=config)
    full = botocore.session.get_session().create_client("s3", region_name="us-east-1", config=config)
    return trimmed, full


def _what_kefu_asks_of_s3(client: Any, bucket: str) -> list[Any]:
    """Each S3 call kefu makes (kefu.knowledge.published, kefu.email.raw, kefu.store.files, kefu.customers.jobs,
    kefu.revisits.campaigns), its answer without what differs from call to call (request ids, dates, signatures)."""
    from urllib.parse import parse_qs, urlsplit

    def kept(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "LastModified")}

    seen: list[Any] = []
    put = client.put_object(Bucket=bucket, Key="exports/a.json", Body=b'{"a": 1}', ContentType="application/json")
    seen.append(sorted(put))
    seen.append(kept(client.head_object(Bucket=bucket, Key="exports/a.json")))
    got = client.get_object(Bucket=bucket, Key="exports/a.json")
    seen.append((got["Body"].read(), got["ContentType"], got["ContentLength"]))
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket=bucket, Key="exports/none.json")
    with pytest.raises(client.exceptions.ClientError) as missing:
        client.head_object(Bucket=bucket, Key="exports/none.json")
    seen.append(missing.value.response["Error"]["Code"])
    pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix="exports/")
    versions = [version["Key"] for page in pages for version in page.get("Versions", [])]
    seen.append(versions)
    deleted = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in versions], "Quiet": True})
    seen.append(kept(deleted))
    url = urlsplit(client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a"}, ExpiresIn=60))
    seen.append((url.netloc, url.path, sorted(parse_qs(url.query))))
    post = client.generate_presigned_post(bucket, "uploads/${filename}", Conditions=[["content-length-range", 1, 9]])
    seen.append((post["url"], sorted(post["fields"])))
    return seen


def test_a_trimmed_s3_client_does_what_kefu_asks_of_s3_as_the_full_models_client_does(aws):
    # Given S3 clients of kefu's session (the trimmed model) and of a plain one (the full model), and a bucket
    trimmed, full = _s3_clients()
    assert len(trimmed.meta.service_model.operation_names) < len(full.meta.service_model.operation_names)
    full.create_bucket(Bucket="kefu-files")
    # when each makes the calls kefu makes in turn (each leaves the bucket empty), then the answers are the same
    assert _what_kefu_asks_of_s3(trimmed, "kefu-files") == _what_kefu_asks_of_s3(full, "kefu-files")
    # and the operations botocore's S3 customisations call themselves are there: a region redirect's HeadBucket
    # (which kefu's session answers as the full model does), S3 Express' CreateSession
    assert trimmed.head_bucket(Bucket="kefu-files")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert callable(trimmed.create_session)


# --- event names aliased as botocore aliases them --------------------------------------------------------------------


def event_names() -> list[str]:
    """Event names botocore registers and emits, and names with each alias as a part, as parts, or inside a part."""
    from botocore.handlers import BUILTIN_HANDLERS
    from botocore.utils import EVENT_ALIASES

    names = {spec[0] for spec in BUILTIN_HANDLERS}
    for old in EVENT_ALIASES:
        names |= {
            f"before-call.{old}",
            f"before-parameter-build.{old}.GetObject",
            f"needs-retry.{old}.{old}",
            f"x{old}.y",  # inside a part, not a part
            f"{old}x.{old}",
        }
    names |= {"before-call.s3", "after-call.dynamodb.GetItem", "creating-client-class", "", ".", "a..b"}
    return sorted(names)


def test_kefus_aliaser_gives_each_event_name_botocores_aliaser_gives():
    from botocore.hooks import EventAliaser, HierarchicalEmitter

    from kefu.store.service_models import QuickAliaser

    # Given botocore's aliaser and kefu's, each with its aliases
    botocores, kefus = EventAliaser(HierarchicalEmitter()), QuickAliaser(HierarchicalEmitter())
    # then every name is aliased alike, when first seen and when seen again
    for name in event_names() * 2:
        assert kefus._alias_event_name(name) == botocores._alias_event_name(name), name
    assert kefus._alias_event_name("before-call.events.PutEvents") == "before-call.eventbridge.PutEvents"


def test_a_kefu_sessions_clients_alias_with_kefus_aliaser_and_handlers_still_run(monkeypatch):
    from kefu.store.service_models import QuickAliaser

    # Given a session set up as kefu sets up its table connection's
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = botocore.session.get_session()
    use_service_folders(session)
    # when a client of an aliased service (events: eventbridge) is made and a handler registered by either name
    client = session.create_client("events", region_name="us-east-1")
    seen: list[str] = []
    client.meta.events.register("kefu-probe.eventbridge", lambda **_: seen.append("eventbridge"))
    client.meta.events.register("kefu-probe.events.PutEvents", lambda **_: seen.append("events"))
    # then its emitter is kefu's, and the event, by either name, runs both handlers
    assert type(session.get_component("event_emitter")) is QuickAliaser
    assert type(client.meta.events) is QuickAliaser
    client.meta.events.emit("kefu-probe.events.PutEvents")
    client.meta.events.emit("kefu-probe.eventbridge.PutEvents")
    assert sorted(seen) == ["eventbridge", "eventbridge", "events", "events"]


def test_a_kefu_session_registers_botocores_builtin_handlers_under_the_names_botocores_session_does(monkeypatch):
    from botocore.hooks import HierarchicalEmitter

    from kefu.store.service_models import KefuSession, QuickAliaser

    # Given every handler registration a session's emitter receives watched (the name after aliasing)
    registered: list[tuple[str, str, str]] = []
    register_section = HierarchicalEmitter._register_section

    def watched(self, event_name, handler, unique_id, unique_id_uses_count, section):
        # Named, not compared: Powertools' patch of Session.__init__ registers a new function of its own per session.
        registered.append((event_name, getattr(handler, "__qualname__", type(handler).__qualname__), section))
        return register_section(self, event_name, handler, unique_id, unique_id_uses_count, section)

    monkeypatch.setattr(HierarchicalEmitter, "_register_section", watched)
    # when botocore's own session is made, then kefu's
    botocore.session.Session()
    botocores, registered[:] = list(registered), []
    session = KefuSession()
    # then the same handlers went under the same names, in the same order, through kefu's aliaser
    assert registered == botocores and len(botocores) > 100
    assert type(session.get_component("event_emitter")) is QuickAliaser


def odd_handlers() -> list[object]:
    """Callables of every shape a handler may take, with and without **kwargs."""
    import functools

    def plain(**kwargs):
        pass

    def positional(a, b=1):
        pass

    def keyword_only(*, a):
        pass

    def with_varargs(*args):
        pass

    def claims_kwargs(a):
        pass

    claims_kwargs.__signature__ = inspect.signature(plain)  # type: ignore[attr-defined]

    @functools.wraps(positional)
    def wraps_one_without(**kwargs):
        pass

    class Methods:
        def takes(self, **kwargs):
            pass

        def refuses(self, a):
            pass

        @classmethod
        def of_class(cls, **kwargs):
            pass

        @staticmethod
        def static(a):
            pass

        def __call__(self, **kwargs):
            pass

    class Refusing:
        def __call__(self, a):
            pass

    methods = Methods()
    return [
        plain,
        positional,
        keyword_only,
        with_varargs,
        claims_kwargs,
        wraps_one_without,
        lambda **kw: None,
        lambda a: None,
        methods.takes,
        methods.refuses,
        Methods.of_class,
        Methods.static,
        methods,
        Refusing(),
        functools.partial(plain),
        functools.partial(positional, 1),
        print,
    ]


def test_kefus_emitter_refuses_the_handlers_botocores_emitter_refuses():
    from botocore import handlers
    from botocore.hooks import HierarchicalEmitter

    from kefu.store.service_models import QuickEmitter

    def verdict(emitter, handler) -> str:
        try:
            emitter._verify_accept_kwargs(handler)
        except ValueError as err:
            return f"refused: {err}"
        return "accepted"

    # Given every builtin handler of botocore, and callables of every shape
    candidates = [spec[1] for spec in handlers.BUILTIN_HANDLERS] + odd_handlers()
    botocores, kefus = HierarchicalEmitter(), QuickEmitter()
    # then kefu's emitter accepts and refuses the same ones, with the same message
    verdicts = [(verdict(kefus, handler), verdict(botocores, handler)) for handler in candidates]
    assert [kefu for kefu, _ in verdicts] == [botocore for _, botocore in verdicts]
    assert sum(kefu.startswith("refused") for kefu, _ in verdicts) >= 6  # the odd ones without **kwargs


def test_a_kefu_sessions_emitter_is_kefus_and_its_clients_copy_it(monkeypatch):
    from kefu.store.service_models import KefuSession, QuickEmitter

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = KefuSession()
    use_service_folders(session)
    client = session.create_client("events", region_name="us-east-1")
    assert type(session.get_component("event_emitter")._emitter) is QuickEmitter
    assert type(client.meta.events._emitter) is QuickEmitter
    with pytest.raises(ValueError, match="must accept keyword arguments"):
        client.meta.events.register("kefu-probe", lambda a: None)


@pytest.mark.parametrize(
    "environment, profile",
    [
        ({"AWS_ACCESS_KEY_ID": "AKIDKEFU", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}, None),
        ({"AWS_ACCESS_KEY_ID": "AKIDKEFU", "AWS_SECRET_ACCESS_KEY": "s"}, None),
        # a profile named in the environment does not stop the keys there (botocore: they win)
        ({"AWS_ACCESS_KEY_ID": "AKIDKEFU", "AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "other"}, None),
        # a profile given to the session does: botocore's whole chain answers
        ({"AWS_ACCESS_KEY_ID": "AKIDKEFU", "AWS_SECRET_ACCESS_KEY": "s"}, "kefu-probe"),
        # no keys: botocore's whole chain (here the shared credentials file)
        ({}, None),
    ],
    ids=["keys and token", "keys", "keys and AWS_PROFILE", "session profile", "no keys"],
)
def test_a_kefu_sessions_credentials_are_botocores(tmp_path, monkeypatch, environment, profile):
    from botocore.credentials import CredentialResolver

    from kefu.store.service_models import KefuSession

    # Given a shared credentials file with a default and a named profile, and the environment's keys or none
    shared = tmp_path / "credentials"
    shared.write_text(
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = f\n"
        "[kefu-probe]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p\n"
        "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = o\n"
    )
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    def made(session_class):
        session = session_class()
        if profile:
            session.set_config_variable("profile", profile)
        credentials = session.get_credentials()
        resolver = session.get_component("credential_provider")
        frozen = credentials.get_frozen_credentials()
        return (frozen.access_key, frozen.secret_key, frozen.token, credentials.method), resolver

    # when kefu's session and botocore's read their credentials, then they are the same
    (kefus, resolver), (botocores, _) = made(KefuSession), made(botocore.session.Session)
    assert kefus == botocores
    # from the environment's provider alone when there are keys there and no profile was given to the session
    only_environment = "AWS_ACCESS_KEY_ID" in environment and profile is None
    assert isinstance(resolver, CredentialResolver)
    assert [provider.METHOD for provider in resolver.providers][: 1 if only_environment else 3] == (
        ["env"] if only_environment else [p.METHOD for p in made(botocore.session.Session)[1].providers][:3]
    )
    assert (len(resolver.providers) == 1) is only_environment


def test_the_table_connections_session_is_a_kefu_session_set_up_for_service_folders(aws):
    from kefu.store.models import KefuItem
    from kefu.store.service_models import KefuSession

    # Given the table's connection, when its session is read, then it is kefu's, loading through the service folders
    session = KefuItem._get_connection().connection.session
    assert type(session) is KefuSession
    assert isinstance(session.get_component("data_loader"), ServiceFolderLoader)


def test_modules_calling_a_service_with_the_default_configuration_share_one_client(aws):
    from kefu.email import raw
    from kefu.knowledge import published
    from kefu.store.clients import shared_client

    # Given the raw mail's S3 client and the knowledge base's, when both are asked for, then they are one client,
    # the process's S3 client in the settings' region
    assert raw._s3() is published._s3() is shared_client("s3", "us-east-1")
    assert raw._s3().meta.region_name == "us-east-1"
    # and another service or region is another client
    assert shared_client("sns", "us-east-1") is not shared_client("s3", "us-east-1")
    assert shared_client("s3", "eu-west-1").meta.region_name == "eu-west-1"
