"""S3's courier: sends one notification (an outbox row of kind ``KIND``) to its function,
queue or topic.

A function gets it through the asynchronous invoke path, so its retries, dead-letter queue
and destinations apply as for any event; a queue gets the document as the message body, a
topic as the message with S3's subject. A destination that refuses (gone, not served yet)
is retried with backoff and then dropped with a warning: S3 does not keep undeliverable
notifications either.
"""

from __future__ import annotations

import logging

from lambdalite.clock import Clock
from lambdalite.outbox.model import Claim, Outcome, Retry, Settle
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.moto_backend.s3_notify import SUBJECT

log = logging.getLogger(__name__)

KIND = "s3-notification"
BACKOFF_S = (1.0, 5.0, 30.0, 120.0, 600.0)  # then dropped


class S3Courier:
    def __init__(self, clock: Clock, directory: ServiceDirectory) -> None:
        self._clock = clock
        self._directory = directory

    async def deliver(self, claim: Claim) -> Outcome:
        try:
            await self._send(claim.target, claim.body)
            return Settle()
        except Exception as exc:
            if claim.attempts < len(BACKOFF_S):
                at = self._clock.now() + BACKOFF_S[claim.attempts]
                return Retry(at, error=str(exc))
            log.warning("S3 dropped a notification for %s: %s", claim.target, exc)
            return Settle(note=f"dropped: {exc}")

    async def _send(self, arn: str, document: str) -> None:
        service = arn.split(":", 3)[2] if arn.count(":") >= 3 else ""
        d = self._directory
        if service == "lambda" and d.lambda_async is not None:
            await d.lambda_async.invoke_async(arn, document.encode(), source="aws:s3")
        elif service == "sqs" and d.sqs is not None:
            await d.sqs.send_to_queue(arn, document)
        elif service == "sns" and d.sns is not None:
            await d.sns.publish_to_topic(arn, document, subject=SUBJECT)
        else:
            raise LookupError(f"no service for {arn}")
