"""Lambda's JSON log format for the Python runtime (brief 2.7; AWS_LAMBDA_LOG_FORMAT=JSON).

One JSON object per `logging` record, keys in awslambdaric's order, `None`s dropped:
timestamp, level, message, logger, stackTrace/errorType/errorMessage (with exc_info),
requestId, location (with exc_info), tenantId, then any `extra=` fields. The root logger's
level comes from AWS_LAMBDA_LOG_LEVEL (TRACE is DEBUG, FATAL is CRITICAL for `logging`).
Runs inside environments: Python 3.9 compatible, standard library only.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any, Dict, Optional

LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "CRITICAL": logging.CRITICAL,
}
# What every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "aws_request_id",
    "tenant_id",
}


def iso_time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%03dZ" % (
        int(seconds * 1000) % 1000
    )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: Dict[str, Any] = {
            "timestamp": iso_time(record.created),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            etype, value, tb = record.exc_info
            doc["stackTrace"] = traceback.format_tb(tb)
            doc["errorType"] = etype.__name__
            doc["errorMessage"] = str(value)
        doc["requestId"] = getattr(record, "aws_request_id", None) or None
        if record.exc_info:
            doc["location"] = "%s:%s:%d" % (record.pathname, record.funcName, record.lineno)
        doc["tenantId"] = getattr(record, "tenant_id", None)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in doc:
                doc[key] = value
        return json.dumps({k: v for k, v in doc.items() if v is not None}, default=str) + "\n"


def error_record(error: Dict[str, Any], request_id: str) -> str:
    """An unhandled handler error, as the JSON format logs it: one object."""
    doc: Dict[str, Any] = {
        "timestamp": iso_time(time.time()),
        "level": "ERROR",
        "errorMessage": error.get("errorMessage"),
        "errorType": error.get("errorType"),
        "requestId": request_id or None,
        "stackTrace": error.get("stackTrace"),
    }
    return json.dumps({k: v for k, v in doc.items() if v is not None}) + "\n"


def root_level(name: Optional[str]) -> Optional[int]:
    return LEVELS.get((name or "").upper())
