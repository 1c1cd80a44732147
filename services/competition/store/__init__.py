"""PostgreSQL access for the competition service (asyncpg). Raises domain errors, never gRPC ones."""
