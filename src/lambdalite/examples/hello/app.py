"""The example function deployed by `lambdalite serve`."""

import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    logger.info("greeting %s", name)
    return {
        "message": f"Hello, {name}!",
        "function": context.function_name,
        "version": context.function_version,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
