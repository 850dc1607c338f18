#!/usr/bin/env bash
# run_certs.sh -- `cloudctl run` follows a Google-managed certificate from
# PROVISIONING to ACTIVE without waiting for the drift check (--resync is
# 300 s here): a Gateway whose certificate is not ACTIVE is looked at again
# with a bounded backoff, and once everything is ready the controller stops
# calling the cloud.
source "$(dirname "$0")/lib.sh"

E2E_CLUSTERS=east ctl_setup --cert-latency-ms 2500
cert_cond() { # STATUS REASON
	kctl get gateway web -n shop -o json | jq -e --arg s "$1" --arg r "$2" '
	  [.status.conditions[] | select(.type == "cloudctl.dev/CertificatesReady")][0] |
	  .status == $s and .reason == $r'
}

CTL_RESYNC=300 start_ctl
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
