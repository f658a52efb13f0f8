"""Load botocore service models once per process.

The models are botocore's own (``botocore/data/<service>/<version>/service-2.json``), so
routes, shapes and constraints always match the SDK the caller uses. Loading the Lambda
model costs roughly 0.15 s (JSON decode of ~0.5 MB), hence the cache.
"""

from __future__ import annotations

from functools import cache

from botocore.loaders import Loader
from botocore.model import ServiceModel

__all__ = ["load_service"]


@cache
def _loader() -> Loader:
    # One Loader shares its file cache between services.
    return Loader()


@cache
def load_service(name: str) -> ServiceModel:
    """Return botocore's ``ServiceModel`` for ``name`` (e.g. ``"lambda"``), loaded once."""
    data = _loader().load_service_model(name, "service-2")
    return ServiceModel(data, service_name=name)
