"""Benchmarks: load and scale runs measured as ratios against a bare baseline in the same run."""

import os

# gRPC core notes each fork (h2load and the services are subprocesses) at INFO; keep the table clean.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
