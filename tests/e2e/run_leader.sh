#!/usr/bin/env bash
# run_leader.sh -- two `cloudctl run --leader-elect` replicas: one holds the
# Lease and reconciles, the other writes nothing; kill -9 the leader and the
# other takes over once the Lease expires and reconciles a new change; a
# graceful stop of a leader releases the Lease.
source "$(dirname "$0")/lib.sh"

E2E_CLUSTERS=east e2e_setup
start_mock_kube
KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
kubeconfig_write "$KUBECONFIG_FILE"

fail() {
	echo "FAIL: $*" >&2
	tail -20 "$INTEROP_TMP"/ctl-*.err >&2
	exit 1
}
check() { CHECKS=$((CHECKS + 1)); echo "ok: $*"; }
until_ok() { # WHAT SECONDS CMD...
	local what="$1" n="$2" i
	shift 2
	for i in $(seq 1 $((n * 10))); do
		"$@" >/dev/null 2>&1 && { check "$what"; return 0; }
		sleep 0.1
	done
	fail "$what: not reached in $n s"
}
declare -A PID
start_replica() {
	"$CC_BINARY_DIR/bin/cloudctl" --log=info run --config "$CFG" --kubeconfig "$KUBECONFIG_FILE" \
		--leader-elect --lease-namespace kube-system --resync 60 \
		>"$INTEROP_TMP/ctl-$1.out" 2>"$INTEROP_TMP/ctl-$1.err" &
	PID[$1]=$!
	INTEROP_PIDS+=("$!")
}
holder() { kube_get /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cloudctl-demo | jq -r '.spec.holderIdentity // ""'; }
holder_is() { [ "$(holder)" = "$1" ]; }
ident() { grep -o 'msg=started identity=[^ ]*' "$INTEROP_TMP/ctl-$1.err" | head -1 | cut -d= -f3; }
programmed() {
	kctl get gateway "$1" -n shop -o json |
		jq -e '.status.conditions[] | select(.type == "Programmed") | .status == "True"'
}

start_replica a
until_ok "replica a leads" 10 grep -q "msg=leading" "$INTEROP_TMP/ctl-a.err"
start_replica b
until_ok "replica b started" 10 grep -q "msg=started" "$INTEROP_TMP/ctl-b.err"
holder_is "$(ident a)" || fail "lease holder $(holder), expected $(ident a)"
check "the Lease names replica a"

printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' | kctl apply -f - >/dev/null
kctl apply -f "$GW" >/dev/null
until_ok "web Programmed by the leader" 30 programmed web
grep -q 'msg="applying changes" gw=shop/web' "$INTEROP_TMP/ctl-a.err" || fail "a did not apply"
! grep -q 'msg="applying changes"\|msg=leading' "$INTEROP_TMP/ctl-b.err" || fail "the follower reconciled"
check "only the leader reconciled"

# failover: kill -9 the leader; b takes over after the lease duration (15 s)
kill -9 "${PID[a]}"
wait "${PID[a]}" 2>/dev/null || true
until_ok "replica b leads after the failover" 30 grep -q "msg=leading" "$INTEROP_TMP/ctl-b.err"
holder_is "$(ident b)" || fail "lease holder $(holder), expected $(ident b)"
check "the Lease names replica b"
cat >"$INTEROP_TMP/api.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: api, namespace: shop}
spec:
  gatewayClassName: istio+gke
  listeners:
    - {name: http, protocol: HTTP, port: 80, hostname: api.example.com}
YAML
kctl apply -f "$INTEROP_TMP/api.yaml" >/dev/null
until_ok "api Programmed by the new leader" 30 programmed api
[ -z "$(owned | sort | uniq -d)" ] || fail "duplicates after the failover"
check "nothing duplicated"

# a graceful stop of the leader releases the Lease at once
start_replica c
until_ok "replica c started" 10 grep -q "msg=started" "$INTEROP_TMP/ctl-c.err"
kill -TERM "${PID[b]}"
wait "${PID[b]}" || fail "b exited $? after SIGTERM"
check "SIGTERM: clean exit"
until_ok "replica c leads well before the lease duration" 8 grep -q "msg=leading" "$INTEROP_TMP/ctl-c.err"
kill -TERM "${PID[c]}"
wait "${PID[c]}" || fail "c exited $? after SIGTERM"
holder_is "" || fail "lease not released: $(holder)"
check "released Lease after the last stop"
e2e_done
