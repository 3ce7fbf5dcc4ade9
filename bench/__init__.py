"""Benchmarks of Samverka against baselines measured in the same run (``make bench``)."""
