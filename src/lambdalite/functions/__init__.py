"""The control plane of functions: packages, configuration, versions, aliases, concurrency."""
