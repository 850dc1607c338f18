#!/usr/bin/env bash
# gcloud_auth.sh -- gcloud authenticates to mock-gcp with a service-account
# key (JWT-bearer grant verified against --sa-key), API calls then carry the
# issued token; without credentials they get 401, and an unregistered key is
# refused with invalid_grant.
source "$(dirname "$0")/lib.sh"
interop_require gcloud

SRC="${CC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
start_mock_gcp --sa-key "$SRC/fixtures/keys/test-sa.json" --require-auth
GCLOUD_AUTH=key gcloud_setup

# key files whose token_uri points at the mock
for k in test-sa other-sa; do
	python3 - "$SRC/fixtures/keys/$k.json" "$MOCK_URL/token" >"$INTEROP_TMP/$k.json" <<'PY'
import json, sys
key = json.load(open(sys.argv[1]))
key["token_uri"] = sys.argv[2]
print(json.dumps(key))
PY
done

expect_out 'Activated service account credentials for: \[lb-controller@test-proj\.iam\.gserviceaccount\.com\]' \
	gcloud auth activate-service-account --key-file "$INTEROP_TMP/test-sa.json"
expect_out 'Listed 0 items|^$' gcloud dns managed-zones list
expect_out 'Created \[.*managedZones/z1\]' gcloud dns managed-zones create z1 --dns-name example.com.
expect_out '^z1$' gcloud dns managed-zones list --format 'value(name)'
expect_out 'Listed 0 items|^$' gcloud certificate-manager certificates list

# the token endpoint saw assertions, the log kept none of them
log="$(mock_get /_mock/requests)"
INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
if ! grep -q '"path":"/token"' <<<"$log" || grep -q 'assertion' <<<"$log"; then
	echo "FAIL: /token requests missing from the log, or their bodies logged" >&2
	exit 1
fi
echo "ok: /token bodies redacted in the request log"

# no credentials: 401 in each API's shape
expect_fail '\(gcloud.dns.managed-zones.list\) UNAUTHENTICATED: Request is missing required authentication credential' \
	env CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true gcloud dns managed-zones list
expect_fail 'UNAUTHENTICATED: Request is missing required authentication credential' \
	env CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true gcloud certificate-manager certificates list
# a token the mock never issued
echo ya29.not-issued-here >"$INTEROP_TMP/bad-token"
expect_fail 'UNAUTHENTICATED: Request had invalid authentication credentials' \
	gcloud dns managed-zones list --access-token-file "$INTEROP_TMP/bad-token"

INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
if ! mock_get /_mock/requests | grep -q '"path":"/dns/v1/projects/test-proj/managedZones","query":"[^"]*","status":401'; then
	echo "FAIL: the mock did not answer the unauthenticated DNS list with 401" >&2
	exit 1
fi
echo "ok: the mock answered 401"

# a key the mock does not know is refused at the token endpoint
expect_fail 'invalid_grant: Invalid grant: account not found' \
	gcloud auth activate-service-account --key-file "$INTEROP_TMP/other-sa.json"

interop_done
