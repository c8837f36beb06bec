"""How kefu's botocore session finds a service's model (straight in its own folder, not by listing every service), and
how it reads botocore's JSON data (into plain dicts).

botocore's `Loader.load_service_model` first lists every service it knows (`list_available_services`: a listdir of
each of 400+ service folders and a stat in each) only to check that the name asked for is among them, once per model
type (the API model, then the endpoint rule set): about 50 ms each on a cold start's first client, as much again as
parsing DynamoDB's model. The folder of the one service asked for answers the same question. A name botocore does
not have goes to botocore's own path, which raises its `UnknownServiceError` listing the known names.

botocore parses every JSON file it loads (endpoints.json, 1.2 MB, and each client's service model and endpoint rule
set) with `object_pairs_hook=OrderedDict`, a Python 2.6 precaution for the order of keys: about a third of the parse.
A dict keeps the order of its keys (Python 3.7+), compares equal to the OrderedDict of the same pairs, and nothing
botocore does with its data needs an OrderedDict's own methods. Parsed into dicts, a cold start's first DynamoDB
client costs about 100 M instructions less (1,006 M to 905 M, endpoints.json the most of it), each further client
a third of its model's parse less (SES v2's model and rule set: 17 M).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader, instance_cache
from botocore.session import Session

#: botocore's loader's own logger, which says what it loads.
_log = logging.getLogger("botocore.loaders")


class PlainJSONFileLoader(JSONFileLoader):
    """botocore's `JSONFileLoader` (a `.json` or `.json.gz` file, UTF-8), parsed into dicts instead of OrderedDicts."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            payload = fp.read().decode("utf-8")
        _log.debug("Loading JSON file: %s", full_path)
        return json.loads(payload)


class ServiceFolderLoader(Loader):
    """A botocore `Loader` whose service models are found by their own folder only, its JSON read into dicts."""

    FILE_LOADER_CLASS = PlainJSONFileLoader

    @instance_cache
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        try:
            version = api_version or self.determine_latest_version(service_name, type_name)
        except DataNotFoundError:
            return super().load_service_model(service_name, type_name, api_version)
        model = self.load_data(os.path.join(service_name, version, type_name))
        self._extras_processor.process(model, self._find_extras(service_name, type_name, version))
        return model


def use_service_folders(session: Session) -> None:
    """Make `session` load its models and data with `ServiceFolderLoader`, from the paths botocore's own loader would
    search (AWS_DATA_PATH's, then ~/.aws/models and botocore's data), as `botocore.loaders.create_loader` builds
    them."""
    data_path = session.get_config_variable("data_path")
    extra = None
    if data_path is not None:
        extra = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
    session.register_component("data_loader", ServiceFolderLoader(extra_search_paths=extra))
