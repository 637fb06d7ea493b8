#!/bin/sh
# Container entry point: with arguments, run them (`docker compose run registry python -m kit.cli token`);
# without, serve the service named by KP_SERVICE_NAME on KP_HOST:KP_PORT (the port defaults to the
# service's own, as in services/<name>/settings.py).
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

case "${KP_SERVICE_NAME:-}" in
    registry)   default_port=8001 ;;
    milestones) default_port=8002 ;;
    alerts)     default_port=8003 ;;
    reports)    default_port=8004 ;;
    *)
        echo "KP_SERVICE_NAME must be registry, milestones, alerts or reports (got '${KP_SERVICE_NAME:-}')" >&2
        exit 64
        ;;
esac

# Log level and other uvicorn options can be set as UVICORN_* variables (e.g. UVICORN_LOG_LEVEL=debug).
exec python -m uvicorn "services.${KP_SERVICE_NAME}.main:app" \
    --host "${KP_HOST:-0.0.0.0}" --port "${KP_PORT:-$default_port}" \
    --loop uvloop --http httptools --timeout-graceful-shutdown 20
