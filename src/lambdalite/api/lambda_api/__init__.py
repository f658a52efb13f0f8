"""Lambda API operations: wire params in, domain calls, wire shapes out."""
