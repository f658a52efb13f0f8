"""Domain values: functions, versions, aliases, ARNs. Imports nothing else of ours."""
