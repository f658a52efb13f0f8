"""Where dependencies and layers go on a function's import path."""

from __future__ import annotations

from pathlib import Path

from lambdalite.layers.paths import import_paths
from lambdalite.model.function import LATEST, Code, FunctionConfig, LayerRef


def layer(tmp_path: Path, name: str, *, site: bool, local: bool = False) -> LayerRef:
    root = tmp_path / name
    (root / "python").mkdir(parents=True)
    if site:
        (root / "python/lib/python3.12/site-packages").mkdir(parents=True)
    return LayerRef(arn=f"arn:{name}", directory=str(root), local=local)


def test_code_then_dependencies_then_layers_site_packages_then_python(tmp_path: Path) -> None:
    first = layer(tmp_path, "first", site=True)
    second = layer(tmp_path, "second", site=True, local=True)
    config = FunctionConfig(
        name="f",
        version=LATEST,
        runtime="python3.12",
        handler="app.handler",
        role="r",
        code=Code(sha256="x", size=1, directory="/code", local=True, dependencies="/deps"),
        layer_refs=(first, second, layer(tmp_path, "third", site=False)),
    )
    paths, shared = import_paths(config)
    site = "python/lib/python3.12/site-packages"
    # A later layer's files win, as when AWS merges layers into /opt in order.
    assert paths == (
        "/deps",
        f"{tmp_path}/second/{site}",
        f"{tmp_path}/first/{site}",
        f"{tmp_path}/third/python",
        f"{tmp_path}/second/python",
        f"{tmp_path}/first/python",
    )
    # A local layer directory is the user's to edit: its bytecode is never shared.
    assert shared == (
        "/deps",
        f"{tmp_path}/first/{site}",
        f"{tmp_path}/third/python",
        f"{tmp_path}/first/python",
    )
