"""lambdalite: AWS Lambda's execution models, faithful and fast, without Docker."""

__version__ = "0.1.0"
