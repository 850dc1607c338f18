#!/usr/bin/env bash
# run_certs.sh -- `cloudctl run` follows a Google-managed certificate from
# PROVISIONING to ACTIVE without waiting for the drift check (--resync is
# 300 s here): a Gateway whose certificate is not ACTIVE is looked at again
# with a bounded backoff, and once everything is ready the controller stops
# calling the cloud.
source "$(dirname "$0")/lib.sh"

E2E_CLUSTERS=east e2e_setup --cert-latency-ms 2500
start_mock_kube
KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
kubeconfig_write "$KUBECONFIG_FILE"

fail() {
	echo "FAIL: $*" >&2
	tail -40 "$INTEROP_TMP/ctl.err" >&2
	exit 1
}
check() { CHECKS=$((CHECKS + 1)); echo "ok: $*"; }
until_ok() { # WHAT CMD...: poll CMD until it succeeds (at most 30 s)
	local what="$1" i
	shift
	for i in $(seq 1 300); do
		"$@" >/dev/null 2>&1 && { check "$what"; return 0; }
		sleep 0.1
	done
	fail "$what: not reached in 30 s"
}
cert_cond() { # STATUS REASON
	kctl get gateway web -n shop -o json | jq -e --arg s "$1" --arg r "$2" '
	  [.status.conditions[] | select(.type == "cloudctl.dev/CertificatesReady")][0] |
	  .status == $s and .reason == $r'
}

"$CC_BINARY_DIR/bin/cloudctl" --log=info run --config "$CFG" --kubeconfig "$KUBECONFIG_FILE" \
	--resync 300 >>"$INTEROP_TMP/ctl.out" 2>>"$INTEROP_TMP/ctl.err" &
CTL=$!
INTEROP_PIDS+=("$CTL")
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' | kctl apply -f - >/dev/null
kctl apply -f "$GW" >/dev/null

until_ok "CertificatesReady=False/Provisioning while the certificate is PROVISIONING" cert_cond False Provisioning
until_ok "CertificatesReady=True/Active once it is ACTIVE (no drift check in between)" cert_cond True Active
curl -sf "$MOCK_URL/v1/projects/test-proj/locations/global/certificates" |
	jq -e '[.certificates[].managed.state] | length == 1 and all(. == "ACTIVE")' >/dev/null ||
	fail "certificates: $(curl -sf "$MOCK_URL/v1/projects/test-proj/locations/global/certificates")"
check "the certificate is ACTIVE in the cloud"

# ready: no more looking again
sleep 1
c1="$(counters)"
sleep 3
c2="$(counters)"
[ "$c1" = "$c2" ] || fail "cloud calls after convergence: $c1 -> $c2"
check "no cloud call once everything is ready ($c2 reads/mutating)"

kill -TERM "$CTL"
wait "$CTL" || fail "exit status $? after SIGTERM"
check "SIGTERM: clean exit"
e2e_done
