#!/bin/sh
# Container entry point: the Makefile's `index` and `run` targets, in the same order.
# With arguments it runs them instead (e.g. `docker compose run --rm app minusma-qa ask "..."`).
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

: "${MINUSMA_INDEX_DIR:=/var/lib/minusma/index}"
: "${MINUSMA_HOST:=0.0.0.0}"
: "${MINUSMA_PORT:=8000}"
: "${MINUSMA_WORKERS:=1}"
export MINUSMA_INDEX_DIR

# make index: build only when no index is there (first start on an empty volume).
minusma-qa index --if-needed --index-dir "$MINUSMA_INDEX_DIR"

# make run: serve; every worker loads the same read-only index.
exec minusma-qa serve --host "$MINUSMA_HOST" --port "$MINUSMA_PORT" --workers "$MINUSMA_WORKERS"
