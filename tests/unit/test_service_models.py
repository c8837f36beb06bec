"""kefu's botocore session finds a service's model in that service's folder, without listing every service, reads
botocore's JSON data into plain dicts (the same data, in the same order), and kefu's other AWS clients come from that
same session."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from kefu.store.service_models import ServiceFolderLoader, use_service_folders


def never_list(self, type_name):
    raise AssertionError(f"listed every service for {type_name}")


@pytest.mark.parametrize("service, type_name", [("dynamodb", "service-2"), ("s3", "endpoint-rule-set-1")])
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
        lambda loader: loader.load_data("endpoints"),
        lambda loader: loader.load_service_model("sesv2", "service-2"),
        lambda loader: loader.load_service_model("sns", "endpoint-rule-set-1"),
    ],
    ids=["endpoints", "sesv2 service-2", "sns endpoint-rule-set-1"],
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
