#!/usr/bin/env sh
# Regenerates prometheusrule.yaml from posture-rules.yaml: the same groups, wrapped in a
# monitoring.coreos.com/v1 PrometheusRule for the Prometheus Operator. A test fails when they differ.
set -eu
cd "$(dirname "$0")"
{
  cat <<'YAML'
# Generated from posture-rules.yaml by render-prometheusrule.sh: edit posture-rules.yaml and rerun it.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: posture-exporter
  labels:
    app.kubernetes.io/name: posture-exporter
    app.kubernetes.io/component: alerting-rules
spec:
YAML
  sed -n '/^groups:/,$p' posture-rules.yaml | sed 's/^/  /; s/^ *$//'
} > prometheusrule.yaml
