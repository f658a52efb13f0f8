"""Event source mappings: the API's rules and states (pollers come on this foundation)."""
