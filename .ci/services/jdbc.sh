#!/usr/bin/env bash
# PostgreSQL and MariaDB for robit-jdbc's ITs: installs Debian's packages when missing, starts them,
# makes sure PostgreSQL answers on 127.0.0.1:5432 as user postgres without a password (trust) and
# MariaDB on 127.0.0.1:3306 as root with an empty password, and creates the database "test" in both.
# Idempotent. SQLite needs no server (the sqlite-jdbc jar embeds it).
set -euo pipefail
. "$(dirname "$0")/../lib/packages.sh"

# --- PostgreSQL -------------------------------------------------------------------------------
pg_up() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; }

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [[ -z "$(ls /etc/postgresql 2>/dev/null)" ]]; then
    install_packages postgresql postgresql-client
  fi
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Tests connect over TCP as postgres without a password: trust loopback only.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 \
    || pg_ctlcluster "$version" main start >/dev/null 2>&1 \
    || pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 \
    || service postgresql start >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
fi
if ! pg_up; then
  echo "postgresql did not come up on 127.0.0.1:5432 (user postgres, trust)" >&2
  exit 1
fi
if [[ "$(psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]]; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
fi
echo "postgresql is up on 127.0.0.1:5432: $(psql -h 127.0.0.1 -U postgres -d test -tAc 'SHOW server_version')"

# --- MariaDB ----------------------------------------------------------------------------------
my_up() { mysql --protocol=TCP -h 127.0.0.1 -P 3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; }

if ! my_up; then
  if ! command -v mariadbd >/dev/null 2>&1 && ! command -v mysqld >/dev/null 2>&1; then
    install_packages mariadb-server mariadb-client
  fi
  service mariadb start >/dev/null 2>&1 || service mysql start >/dev/null 2>&1 \
    || start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do mysql -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; my_up && break; sleep 0.5; done
  if ! my_up && mysql -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    # Debian's root uses unix_socket auth; the tests log in over TCP with an empty password.
    mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;"
  fi
  for _ in $(seq 1 60); do my_up && break; sleep 0.5; done
fi
if ! my_up; then
  echo "mariadb did not come up on 127.0.0.1:3306 (root, empty password)" >&2
  exit 1
fi
mysql --protocol=TCP -h 127.0.0.1 -uroot -e 'CREATE DATABASE IF NOT EXISTS test'
echo "mariadb is up on 127.0.0.1:3306: $(mysql --protocol=TCP -h 127.0.0.1 -uroot -N -e 'SELECT VERSION()')"

# --- Private instances ------------------------------------------------------------------------
# robit-jdbc's JdbcSecurityIT starts its own TLS-only PostgreSQL and MariaDB on free ports (never
# reconfiguring the shared ones): it needs the server binaries (initdb, pg_ctl; mariadb-install-db,
# mariadbd) and, under root, runuser to run PostgreSQL as the postgres user. Certificates are made in
# the test (BouncyCastle), so no openssl is needed.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then install_packages postgresql; fi
if ! command -v mariadb-install-db >/dev/null 2>&1; then install_packages mariadb-server; fi
if ! command -v runuser >/dev/null 2>&1; then install_packages util-linux; fi
echo "private instances: $(ls /usr/lib/postgresql/*/bin/initdb | tail -1), $(command -v mariadb-install-db)"
