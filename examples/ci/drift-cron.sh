#!/usr/bin/env bash
# Drift detection and the usage report from cron, outside GitHub. Example crontab line:
#
#   17 * * * *  cd /srv/mesh && /srv/mesh/examples/ci/drift-cron.sh >> /var/log/meshctl-drift.log 2>&1
#
# Exit codes follow `meshctl drift`: 0 no drift, 2 drift, 1 error; an SLA breach the report
# finds (or a report that failed) makes it 2 (1) too, so the cron alerts on either. The JSON
# drift report is kept for the alert; the usage report is written in Prometheus' text format
# where node-exporter's textfile collector reads it (--collector.textfile.directory), so the
# lag, freshness, fanout and breaches of every data product can be graphed and alerted on.
# With REPORT_PAGE set, the same report is also kept as a self-contained HTML page for people
# (charts, a view per domain, breaches in red): serve it as a static file or keep it as an artefact.
# Connection settings come from the environment (MESHCTL_KAFKA_*, AWS_*).
set -uo pipefail

mesh_dir=${MESH_DIR:-mesh}
report=${DRIFT_REPORT:-/var/tmp/meshctl-drift.json}
metrics=${METRICS_FILE:-/var/lib/node_exporter/textfile_collector/meshctl.prom}
page=${REPORT_PAGE:-}

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

# The usage report: --out writes the file atomically (the collector never reads half of it).
# Throughput is measured since the previous run of this script (the sample in .meshctl/).
html=()
if [ -n "$page" ]; then html=(--html "$page"); fi  # also atomic: a web server never serves half a page
meshctl report --format prometheus --out "$metrics" "${html[@]}" --fail-on-breach "$mesh_dir"
usage=$?
case "$usage" in
  0) echo "$(date -Is) report: every SLA met" ;;
  2) echo "$(date -Is) SLA BREACH: see meshctl_sla_breach in $metrics (meshctl report $mesh_dir for the details)" ;;
  *) echo "$(date -Is) meshctl report failed (exit $usage)" ;;
esac
# The worse of the two: an error (1) over a finding (2) over nothing (0).
if [ "$code" -eq 1 ] || [ "$usage" -eq 1 ]; then exit 1; fi
if [ "$code" -eq 2 ] || [ "$usage" -eq 2 ]; then exit 2; fi
exit 0
