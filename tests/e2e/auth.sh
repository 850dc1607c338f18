#!/usr/bin/env bash
# auth.sh -- cloudctl against mock-gcp --require-auth with every credential
# source: a service-account key (JWT bearer), Application Default
# Credentials of type authorized_user (refresh token), the GCE metadata
# server; without credentials the API refuses it.  No credential ever
# appears in cloudctl's output, even at trace level.
source "$(dirname "$0")/lib.sh"

KEY="$CC_SOURCE_DIR/fixtures/keys/test-sa.json"
start_mock_gcp --require-auth --sa-key "$KEY"
# setup calls need a token too: one minted by the mock's admin API
SETUP_TOKEN="$(curl -sf -X POST "$MOCK_URL/_mock/auth/tokens" -d '{}' | jq -r .access_token)"
post "/dns/v1/projects/test-proj/managedZones" \
	'{"name":"example-com","dnsName":"example.com.","description":"demo zone","visibility":"public"}'
make_negs
write_config
GW="$FIX/gateways.yaml"

with_creds() { # TYPE [FILE] -- the fixture's config with these credentials
	local out="$INTEROP_TMP/cfg/creds-$1.yaml"
	sed -e '/^credentials:/,$d' "$FIX/cloudctl.yaml" >"$out"
	cat >>"$out" <<CFG
endpoints:
  compute: $MOCK_URL/compute/v1/
  certificatemanager: $MOCK_URL/
  dns: $MOCK_URL/dns/v1/
  token: $MOCK_URL/token
  metadata: $MOCK_URL
credentials:
  type: $1
CFG
	[ -n "${2:-}" ] && printf '  file: %s\n' "$2" >>"$out"
	echo "$out"
}

# no credentials: the API answers 401 and cloudctl says so
run_rc 1 "Request is missing required authentication credential|UNAUTHENTICATED|401" \
	cloudctl plan --config "$(with_creds none)" -f "$GW"

# a service-account key: JWT-bearer grant at the token endpoint
run_rc 2 "plan: 18 to create" cloudctl plan --config "$(with_creds service-account-key "$KEY")" -f "$GW"

# ADC of type authorized_user: the refresh-token grant
cat >"$INTEROP_TMP/adc.json" <<ADC
{"type": "authorized_user", "client_id": "cc-test.apps.googleusercontent.com",
 "client_secret": "CANARY-client-secret", "refresh_token": "1//CANARY-refresh-token",
 "quota_project_id": "test-proj"}
ADC
run_rc 2 "plan: 18 to create" cloudctl plan --config "$(with_creds adc "$INTEROP_TMP/adc.json")" -f "$GW"

# the metadata server (Workload Identity)
run_rc 2 "plan: 18 to create" cloudctl plan --config "$(with_creds metadata)" -f "$GW"

# apply with the key, at trace level: no key, assertion, refresh token or
# access token in anything cloudctl printed
cloudctl --log=trace apply --config "$(with_creds service-account-key "$KEY")" -f "$GW" \
	>"$INTEROP_TMP/trace.out" 2>&1 || { tail -20 "$INTEROP_TMP/trace.out"; exit 1; }
cloudctl --log=trace plan --config "$(with_creds adc "$INTEROP_TMP/adc.json")" -f "$GW" \
	>>"$INTEROP_TMP/trace.out" 2>&1 || true
grep -q "apply: 18 done, 0 failed" "$INTEROP_TMP/trace.out"
CHECKS=$((CHECKS + 1))
key_bits="$(jq -r .private_key "$KEY" | sed -n 2p | cut -c1-40)"
for secret in "$key_bits" CANARY ya29. "assertion=ey"; do
	if grep -qF -- "$secret" "$INTEROP_TMP/trace.out"; then
		echo "FAIL: '$secret' appears in cloudctl's output" >&2
		grep -F -- "$secret" "$INTEROP_TMP/trace.out" | head -3 >&2
		exit 1
	fi
	CHECKS=$((CHECKS + 1))
done
echo "ok: no credential in $(wc -l <"$INTEROP_TMP/trace.out") lines of trace output"
e2e_done
