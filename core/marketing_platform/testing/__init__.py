"""The conformance kit for adapter authors (a pytest plugin)."""
