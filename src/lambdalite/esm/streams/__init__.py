"""Stream pollers (spec 4.5-4.8): one due loop per shard, reading through the stream
service's ``StreamReader`` (services/streams.py). What differs per source (the event record,
the batch info key of failure records, the partition key, the filter view) is a
``StreamFormat`` (format.py); Kinesis's is in kinesis.py, and DynamoDB Streams adds its own
beside it without touching the rest.
"""
