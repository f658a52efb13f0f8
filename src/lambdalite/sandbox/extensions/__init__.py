"""Lambda extensions (spec 8.2): the executables of a function's layers' `extensions/`
directories, started in each execution environment and served the Extensions API
(2020-01-01, api.py) and the Telemetry API (2022-07-01, telemetry.py) on the environment's
AWS_LAMBDA_RUNTIME_API host:port; host.py runs them through the environment's phases."""
