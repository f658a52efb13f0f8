"""The HTTP gateway: API Gateway REST and HTTP APIs, function URLs and ALB targets, served
on a local port and invoking functions with the proxy event shapes of spec 6.2-6.3."""
