#!/usr/bin/env bash
# Soak: the exporter on --demo with heavy churn (pods with never-repeating names come and go in namespace
# sandbox), sampled every minute: managed heap after a full GC, RSS, series count, events applied.
set -u
minutes=${1:-60}
rate=${2:-6000}
out=${3:-soak.csv}
port=${PORT:-39917}
api=${API_PORT:-36443}
POSTURE_DEBUG_ENDPOINTS=1 dotnet ${EXPORTER_DLL:-src/PostureExporter/bin/Release/net10.0/posture-exporter.dll} --demo --listen 127.0.0.1:$port --demo-api-listen 127.0.0.1:$api --demo-churn "$rate" > ${out%.csv}.log 2>&1 &
pid=$!
for i in $(seq 1 60); do curl -sf 127.0.0.1:$port/readyz >/dev/null && break; sleep 1; done
echo "minute,heap_bytes,working_set_bytes,rss_kb,series,posture_series,watch_events,opened_total" > "$out"
for m in $(seq 0 "$minutes"); do
  gc=$(curl -s 127.0.0.1:$port/debug/gc)
  heap=$(echo "$gc" | jq -r '.heapBytes // empty')
  ws=$(echo "$gc" | jq -r '.workingSetBytes // empty')
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
  metrics=$(curl -s 127.0.0.1:$port/metrics)
  series=$(echo "$metrics" | grep -vc '^#')
  posture=$(echo "$metrics" | grep -c '^posture_[a-z_]*{\|^posture_[a-z_]* ')
  events=$(echo "$metrics" | awk '/^posture_exporter_watch_events_total/{s+=$2} END{printf "%d", s}')
  opened=$(echo "$metrics" | awk '/^posture_violations_opened_total/{s+=$2} END{printf "%d", s}')
  echo "$m,$heap,$ws,$rss,$series,$posture,$events,$opened" >> "$out"
  [ "$m" -lt "$minutes" ] && sleep 60
done
kill -TERM $pid; wait $pid; echo "exit $?" >> ${out%.csv}.log
