#!/usr/bin/env bash
# crash.sh -- crash safety: cloudctl apply killed with SIGKILL at random
# points (20 trials), then applied again, converges with no duplicate and no
# orphan; the same for destroy.
source "$(dirname "$0")/lib.sh"

e2e_setup --op-latency-ms 40 --cert-latency-ms 50
# the binary itself goes to the background (not the shell function, whose
# subshell SIGKILL would kill while cloudctl ran on)
TRIALS="${CRASH_TRIALS:-20}"
RANDOM=4242 # reproducible kill points

for t in $(seq 1 "$TRIALS"); do
	"$CC_BINARY_DIR/bin/cloudctl" apply --config "$CFG" -f "$GW" --parallel 4 >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 900 + 20)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# every few trials, also crash a destroy halfway back
	if [ $((t % 5)) = 0 ]; then
		"$CC_BINARY_DIR/bin/cloudctl" destroy --config "$CFG" -f "$GW" --parallel 4 >/dev/null 2>&1 &
		pid=$!
		sleep "0.$(printf '%03d' $((RANDOM % 500 + 20)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
done
echo "ok: $TRIALS apply runs killed at random points"

run_ok "apply: [0-9]+ done, 0 failed|plan: 0 to create" cloudctl apply --config "$CFG" -f "$GW"
run_ok "plan: 0 to create, 0 to update, 0 to replace, 0 to delete" \
	cloudctl plan --config "$CFG" -f "$GW"
# no duplicates, no orphans: exactly one converged chain
got="$(owned | awk '{k = $1 " " $2; if ($1 == "dns") k = "dns"; c[k]++} END {for (k in c) print k, c[k]}' | sort)"
want="certmgr certificateMapEntries 1
certmgr certificateMaps 1
certmgr certificates 1
certmgr dnsAuthorizations 1
compute addresses 1
compute backendServices 1
compute firewalls 1
compute forwardingRules 2
compute healthChecks 1
compute targetHttpProxies 1
compute targetHttpsProxies 1
compute urlMaps 2
dns 4"
if [ "$got" != "$want" ]; then
	echo "FAIL: owned resources after crashes:" >&2
	echo "$got" >&2
	exit 1
fi
CHECKS=$((CHECKS + 1))
echo "ok: no duplicates, no orphans"

for t in $(seq 1 5); do
	"$CC_BINARY_DIR/bin/cloudctl" destroy --config "$CFG" -f "$GW" --parallel 2 >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 400 + 20)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
run_ok "" cloudctl destroy --config "$CFG" -f "$GW"
left="$(owned)"
[ -z "$left" ] || { echo "FAIL: left after destroy:"; echo "$left"; exit 1; } >&2
CHECKS=$((CHECKS + 1))
e2e_done
