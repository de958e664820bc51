#!/usr/bin/env bash
# Drift detection from cron, outside GitHub. Example crontab line:
#
#   17 * * * *  cd /srv/mesh && /srv/mesh/examples/ci/drift-cron.sh >> /var/log/meshctl-drift.log 2>&1
#
# Exit codes follow `meshctl drift`: 0 no drift, 2 drift, 1 error. The JSON report is kept
# for the alert; connection settings come from the environment (MESHCTL_KAFKA_*, AWS_*).
set -uo pipefail

mesh_dir=${MESH_DIR:-mesh}
report=${DRIFT_REPORT:-/var/tmp/meshctl-drift.json}

meshctl drift --json "$mesh_dir" > "$report.tmp"
code=$?
mv "$report.tmp" "$report"
case "$code" in
  0) echo "$(date -Is) no drift" ;;
  2) echo "$(date -Is) DRIFT: $(jq -c .summary "$report")"
     # Alert here, e.g.: curl -fsS -X POST -H 'Content-Type: application/json' --data @"$report" "$ALERT_WEBHOOK"
     ;;
  *) echo "$(date -Is) meshctl drift failed (exit $code)" ;;
esac
exit "$code"
