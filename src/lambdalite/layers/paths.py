"""Where a function's dependencies and layers go on its import path.

On AWS the code is in /var/task, `sam build` puts the requirements beside it, and layers are
merged into /opt in order (a later layer's file replaces an earlier one's), whose
python/lib/pythonX.Y/site-packages and then python directories follow the code on sys.path.
Here each layer stays a directory of its own, so the merge order becomes path order: the
later layer's directory first.
"""

from __future__ import annotations

import os

from lambdalite.model.function import FunctionConfig


def import_paths(config: FunctionConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every extra sys.path entry after the code, in order; those of them nobody edits)."""
    paths: list[str] = []
    shared: list[str] = []
    if config.code.dependencies:
        paths.append(config.code.dependencies)
        shared.append(config.code.dependencies)
    version = config.runtime.removeprefix("python")
    for sub in (os.path.join("python", "lib", f"python{version}", "site-packages"), "python"):
        for ref in reversed(config.layer_refs):
            directory = os.path.join(ref.directory, sub)
            if os.path.isdir(directory):
                paths.append(directory)
                if not ref.local:
                    shared.append(directory)
    return tuple(paths), tuple(shared)
