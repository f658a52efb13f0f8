"""The services that feed functions and receive their results: sqs, sns, events, kinesis."""
