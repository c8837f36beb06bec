"""How kefu's botocore session finds a service's model: straight in its own folder, not by listing every service.

botocore's `Loader.load_service_model` first lists every service it knows (`list_available_services`: a listdir of
each of 400+ service folders and a stat in each) only to check that the name asked for is among them, once per model
type (the API model, then the endpoint rule set): about 50 ms each on a cold start's first client, as much again as
parsing DynamoDB's model. The folder of the one service asked for answers the same question. A name botocore does
not have goes to botocore's own path, which raises its `UnknownServiceError` listing the known names.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader, instance_cache
from botocore.session import Session


class ServiceFolderLoader(Loader):
    """A botocore `Loader` whose service models are found by their own folder only."""

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
    """Make `session` load its models with `ServiceFolderLoader`, from the paths botocore's own loader would search
    (AWS_DATA_PATH's, then ~/.aws/models and botocore's data), as `botocore.loaders.create_loader` builds them."""
    data_path = session.get_config_variable("data_path")
    extra = None
    if data_path is not None:
        extra = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
    session.register_component("data_loader", ServiceFolderLoader(extra_search_paths=extra))
