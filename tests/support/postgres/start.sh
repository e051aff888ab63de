#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for the tests: its own port, its data in a temporary folder,
# trust authentication on 127.0.0.1 for this cluster only. Prints the environment the tests
# read, ready for eval:
#
#   eval "$(bash tests/support/postgres/start.sh)"     # QABOT_TEST_POSTGRES=postgresql://...
#   make test
#   bash tests/support/postgres/stop.sh                # stops and drops the cluster
#
# Runs as root (Debian's wrappers start the server as the postgres user); installs
# PostgreSQL from Debian's packages when it is missing. fsync is off: test data only.
set -euo pipefail
VERSION=15
if ! command -v pg_createcluster >/dev/null || [ ! -x "/usr/lib/postgresql/$VERSION/bin/postgres" ]; then
    echo "installing postgresql-$VERSION" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$VERSION" >&2
fi
NAME="qabot-test-$$"
DIR=$(mktemp -d /tmp/qabot-postgres.XXXXXX)
chown postgres: "$DIR"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pg_createcluster "$VERSION" "$NAME" -d "$DIR/data" -p "$PORT" \
    -- --auth-host=trust --auth-local=peer >&2
cat >>"/etc/postgresql/$VERSION/$NAME/postgresql.conf" <<'CONF'
listen_addresses = '127.0.0.1'
fsync = off
max_connections = 200
CONF
pg_ctlcluster "$VERSION" "$NAME" start >&2
echo "export QABOT_TEST_POSTGRES='postgresql://postgres@127.0.0.1:$PORT/postgres'"
echo "export QABOT_TEST_POSTGRES_CLUSTER='$VERSION/$NAME'"
echo "export QABOT_TEST_POSTGRES_DIR='$DIR'"
