#!/usr/bin/env bash
# Stops and drops the cluster tests/support/postgres/start.sh made (its variables in the environment).
set -euo pipefail
CLUSTER="${1:-${QABOT_TEST_POSTGRES_CLUSTER:?run after eval \"\$(bash tests/support/postgres/start.sh)\"}}"
pg_ctlcluster "${CLUSTER%%/*}" "${CLUSTER#*/}" stop --mode=immediate >&2 || true
pg_dropcluster "${CLUSTER%%/*}" "${CLUSTER#*/}" >&2 || true
if [ -n "${QABOT_TEST_POSTGRES_DIR:-}" ]; then rm -rf "$QABOT_TEST_POSTGRES_DIR"; fi
