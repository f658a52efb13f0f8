"""What a deploy can fail with: one clear line naming the resource and the cause."""

from __future__ import annotations


class TemplateError(Exception):
    """The template cannot be deployed; nothing of this run is left deployed."""

    def __init__(self, cause: str, resource: str | None = None) -> None:
        self.resource = resource
        self.cause = cause
        super().__init__(f"{resource}: {cause}" if resource else cause)
