#!/bin/sh
# Postgres image init hook (runs once, on an empty data directory): one database per service,
# named in ORDERFLOW_DATABASES (comma-separated). The services create their tables by migrations.
set -eu
: "${ORDERFLOW_DATABASES:?}"

for db in $(echo "$ORDERFLOW_DATABASES" | tr ',' ' '); do
  echo "creating database $db"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
done
