"""Talent use cases: one function per command. Each takes decoded, typed input (and the caller's
identity where it is recorded), applies the domain's rules and owns its writes: one statement per
write on the happy path, re-run from the read when a concurrent change made the read stale."""
