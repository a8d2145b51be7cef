"""Benchmarks: bulk seeding, write throughput and page run times (python -m bench)."""
