"""Moved to lambdalite.duework (one due-work component for the whole platform)."""

from lambdalite.duework import RETRY_AFTER_ERROR_S, DueLoop

__all__ = ["RETRY_AFTER_ERROR_S", "DueLoop"]
