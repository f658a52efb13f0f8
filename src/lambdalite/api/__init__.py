"""The wire: ASGI app, routing by service, AWS-shaped errors out (one place)."""
