#!/usr/bin/env bash
# Creates the role and database named by DATABASE_URL on the local Postgres (idempotent).
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
read -r user pass db < <(node -e '
  const u = new URL(process.argv[1]);
  console.log(decodeURIComponent(u.username), decodeURIComponent(u.password), u.pathname.slice(1) || "postgres");
' "$DATABASE_URL")
psql_su() { runuser -u postgres -- psql -p "$(pg_port)" -v ON_ERROR_STOP=1 -qAt "$@"; }
# CREATEDB: the test harness gives each test file a database of its own.
if [[ $(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'") != 1 ]]; then
  psql_su -c "CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD '$pass'"
  echo "    role $user created"
else
  psql_su -c "ALTER ROLE \"$user\" LOGIN CREATEDB PASSWORD '$pass'"
fi
if [[ $(psql_su -c "SELECT 1 FROM pg_database WHERE datname = '$db'") != 1 ]]; then
  psql_su -c "CREATE DATABASE \"$db\" OWNER \"$user\""
  echo "    database $db created"
else
  echo "    database $db exists"
fi
