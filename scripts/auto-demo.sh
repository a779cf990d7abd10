#!/usr/bin/env bash
# `rebalance auto` demo (issue 14): a skewed cluster on a throw-away etcd — n1 holds a replica of
# every partition, n4 and n5 are empty — with two instances running; the active one is SIGKILLed
# half-way (in the middle of a round) and the standby takes over, finishes that round's plan and
# carries on until the cluster is within the threshold, then idles. Prints the event log (both
# instances' stdout, in the order written) and the per-node load before and after.
#
#   npm run build && scripts/auto-demo.sh            # needs etcd and etcdctl on PATH
#   PORT=24970 scripts/auto-demo.sh                  # other ports (client PORT, peer PORT+1)
set -euo pipefail

cd "$(dirname "$0")/.."
PORT=${PORT:-23970}
EP=127.0.0.1:$PORT
DIR=$(mktemp -d)
OTLPCTL=(node bin/otlpctl.js --endpoints "$EP" --prefix /demo)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT

etcd --data-dir "$DIR/etcd" --name demo \
  --listen-client-urls "http://$EP" --advertise-client-urls "http://$EP" \
  --listen-peer-urls "http://127.0.0.1:$((PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((PORT + 1))" \
  --initial-cluster "demo=http://127.0.0.1:$((PORT + 1))" >"$DIR/etcd.log" 2>&1 &
pids+=($!)
disown $!
for _ in $(seq 50); do etcdctl --endpoints "$EP" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
etcdctl --endpoints "$EP" endpoint health >/dev/null 2>&1 || { cat "$DIR/etcd.log" >&2; exit 1; }

# The cluster, through otlpctl itself: 5 nodes in 3 zones, 30 partitions of 1–3 GB, 2 replicas.
"${OTLPCTL[@]}" init --replication-factor 2 >/dev/null
for i in 1 2 3 4 5; do
  "${OTLPCTL[@]}" nodes add "n$i" --region eu --zone "z$(((i - 1) % 3 + 1))" >/dev/null
done
for i in $(seq 0 29); do
  "${OTLPCTL[@]}" partitions register "partition_498000_$(printf %04d "$i")" \
    --nodes "n1,n$((i % 2 ? 3 : 2))" --size-bytes $(((1 + i % 3) * 1000000000)) >/dev/null
done
echo "## before"
"${OTLPCTL[@]}" partitions stats -o table --no-color

# Two instances, as on two hosts; both append to one log, so lines keep the order they were written.
FLAGS=(rebalance auto --interval 1s --max-moves-per-round 3 --max-bytes-per-sec 6GB --lock-ttl 3)
: >"$DIR/events.log"
"${OTLPCTL[@]}" "${FLAGS[@]}" >>"$DIR/events.log" 2>"$DIR/a.err" &
A=$!
pids+=($A)
disown "$A" # its SIGKILL is the point: no "Killed" from the shell
sleep 1
"${OTLPCTL[@]}" "${FLAGS[@]}" >>"$DIR/events.log" 2>"$DIR/b.err" &
B=$!
pids+=($B)

count() { grep -c "$1" "$DIR/events.log" || true; }
# Half-way: after the active one's third round, while its fourth is between its two steps.
until [ "$(count "\"instance\":\"[^\"]*:$A\",\"active\":true,\"event\":\"round\"")" -ge 3 ]; do sleep 0.1; done
until etcdctl --endpoints "$EP" get --prefix /demo/rebalance/moves/ --print-value-only | grep -q '"state":"migrating"'; do
  sleep 0.05
done
kill -9 "$A"
echo "{\"demo\":\"SIGKILL instance $A at $(date -u +%FT%TZ)\"}" >>"$DIR/events.log"

# The standby takes over; wait for two idle rounds, then stop it as a supervisor would.
until [ "$(count "\"instance\":\"[^\"]*:$B\",\"active\":true,\"event\":\"round\",\"outcome\":\"balanced\"")" -ge 2 ]; do
  sleep 0.2
done
kill -TERM "$B"
wait "$B" && echo "{\"demo\":\"instance $B exited 0 after SIGTERM\"}" >>"$DIR/events.log"

echo
echo "## events (stdout of both instances)"
cat "$DIR/events.log"
echo
echo "## after"
"${OTLPCTL[@]}" partitions stats -o table --no-color
echo
echo "## doctor"
"${OTLPCTL[@]}" doctor -o table --no-color || true
