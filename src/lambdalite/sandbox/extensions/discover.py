"""Which external extensions a function has: AWS merges its layers into /opt (a later layer
overwrites a file of the same name), and starts every file of /opt/extensions."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def find_extensions(layer_dirs: Sequence[str]) -> list[tuple[str, Path]]:
    """(name, path) of each extension, by name. `layer_dirs` lists the merge's winner first
    (EnvironmentSpec.layer_dirs), so the first layer holding a name wins."""
    found: dict[str, Path] = {}
    for layer in layer_dirs:
        directory = Path(layer) / "extensions"
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue  # most layers have none: one failed scandir each
        for entry in entries:
            if entry.name not in found and not entry.is_dir():
                found[entry.name] = Path(entry.path)
    return sorted(found.items())
