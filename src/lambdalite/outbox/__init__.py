"""The one outbox: every outgoing delivery (async destinations and dead-letter queues, SNS
subscription deliveries, EventBridge targets, their dead letters) is a row of one table,
written by its owner in the owner's transaction and sent by one runner (runner.py)."""
