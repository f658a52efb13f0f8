"""SnapStart runtime hooks, importable by function code as ``snapshot_restore_py``.

The same API AWS bundles with its Python runtimes: ``register_before_snapshot`` and
``register_after_restore`` take a callable (and its arguments) or decorate one. The fork
server makes this module importable under that name in every environment (forkserver.py),
so the registries it fills are the ones the runtime runs (bootstrap.py).
"""

from __future__ import annotations

from typing import Any, Callable, List, Tuple

Hook = Tuple[Callable[..., Any], Tuple[Any, ...], "dict[str, Any]"]

_before_snapshot_registry: List[Hook] = []
_after_restore_registry: List[Hook] = []


def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _before_snapshot_registry.append((func, args, kwargs))
    return func


def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _after_restore_registry.append((func, args, kwargs))
    return func


def get_before_snapshot() -> List[Hook]:
    return _before_snapshot_registry


def get_after_restore() -> List[Hook]:
    return _after_restore_registry


def run_before_snapshot() -> None:
    """In reverse order of registration, as AWS's runtime runs them; each runs once."""
    hooks = _before_snapshot_registry
    while hooks:
        func, args, kwargs = hooks.pop()
        func(*args, **kwargs)


def run_after_restore() -> None:
    """In order of registration, in every environment restored from the snapshot."""
    for func, args, kwargs in list(_after_restore_registry):
        func(*args, **kwargs)
