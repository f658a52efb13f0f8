"""Loads the lambdalite pytest plugin for this repository's own runs when the installed
metadata predates its `pytest11` entry point (an editable install made before it existed);
otherwise the entry point loads it and this adds nothing (loading it twice is an error)."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

_REGISTERED = any(ep.name == "lambdalite" for ep in entry_points(group="pytest11"))
_AUTOLOAD = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
pytest_plugins = [] if _REGISTERED and _AUTOLOAD else ["lambdalite.pytest_plugin"]
