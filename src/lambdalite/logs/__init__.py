"""Function logs: buffered from environments, committed to the store in batches."""
