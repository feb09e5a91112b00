"""Benchmarks for jainam-validate: scripts that print figures, never tests that assert them.

``bench/run.py`` runs every section (fidelity against curl, per-call overhead, trade-book scale,
start-up, a whole ``run --sim`` pass) against the built-in simulator on 127.0.0.1, drives the
real CLI as a subprocess, and prints one table of figure, target, measured and met/missed.
``BENCHMARKS.md`` explains each figure and keeps the tables from past runs.
"""
