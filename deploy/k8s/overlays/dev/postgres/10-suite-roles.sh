#!/bin/bash
# Runs once, when the data directory is initialised (docker-entrypoint-initdb.d): one login role
# and one schema per service, each role owning its schema and finding it first on its search_path.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v talent_password="$DB_ROLE_PASSWORD_TALENT" \
  -v competition_password="$DB_ROLE_PASSWORD_COMPETITION" \
  -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE talent LOGIN PASSWORD :'talent_password';
CREATE ROLE competition LOGIN PASSWORD :'competition_password';
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE :"db" TO talent, competition;
CREATE SCHEMA talent AUTHORIZATION talent;
CREATE SCHEMA competition AUTHORIZATION competition;
ALTER ROLE talent SET search_path = talent;
ALTER ROLE competition SET search_path = competition;
SQL
