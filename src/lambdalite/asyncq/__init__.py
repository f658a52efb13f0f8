"""Asynchronous invocation: durable event queue, retries, dead-letter queues, destinations."""
