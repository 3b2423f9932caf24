"""Benchmarks: ``python -m benchmarks [throughput|overhead|discovery|memory ...]``.

Each prints ratios measured in one run (never a timed assertion). See README.md here.
Benchmarks never import from ``tests/``: the loopback server, the vendor fake, the
benchmark adapter and the Redis helper are their own, in this package.
"""
