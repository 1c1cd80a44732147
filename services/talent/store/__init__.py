"""PostgreSQL access for the talent service (asyncpg). Raises domain errors, never gRPC ones."""
