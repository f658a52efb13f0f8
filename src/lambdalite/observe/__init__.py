"""What is observed of the platform's work: invocation outcomes and the sinks that record
them (metrics, the invocation journal, the live feed)."""
