#!/usr/bin/env bash
# faults.sh -- apply under a misbehaving cloud: 20% of calls failing with
# 429, 503 or a dropped connection, slow operations and one operation that
# fails, still converges; a quota error is reported with the resource type
# and stops only its branch; bad input is reported and nothing provisioned.
source "$(dirname "$0")/lib.sh"

e2e_setup --op-latency-ms 150 --cert-latency-ms 50
fault() { post /_mock/faults "$1"; }
fault '{"path":"/compute/*","fraction":0.07,"status":429,"retryAfter":0}'
fault '{"path":"/compute/*","fraction":0.07,"status":503}'
fault '{"path":"/compute/*","fraction":0.06,"action":"drop"}'
fault '{"path":"/v1/projects/*","fraction":0.1,"status":503}'
fault '{"path":"/dns/*","fraction":0.1,"status":503}'
post /_mock/compute/ops/fail '{"operationType":"insert","target":"*/urlMaps/*","times":1,"httpStatus":400,"code":"RESOURCE_NOT_READY","message":"transient trouble"}'

converged=""
for run in 1 2 3 4 5; do
	if cloudctl apply --config "$CFG" -f "$GW" >"$INTEROP_TMP/apply.$run" 2>&1; then
		converged=$run
		break
	fi
done
[ -n "$converged" ] || { echo "FAIL: no convergence in 5 runs:"; tail -30 "$INTEROP_TMP/apply.5"; exit 1; } >&2
echo "ok: converged on run $converged"
curl -sf "$MOCK_URL/_mock/faults" | jq -r '.faults[] | "fault \(.path) fired \(.fired) of \(.matched)"'
curl -sf -X DELETE "$MOCK_URL/_mock/faults" >/dev/null
run_ok "plan: 0 to create, 0 to update, 0 to replace, 0 to delete" \
	cloudctl plan --config "$CFG" -f "$GW"

# a quota error: named with its resource type, and only its branch stops
run_ok "" cloudctl destroy --config "$CFG" --all
post /_mock/compute/quotas '{"project":"test-proj","metric":"BACKEND_SERVICES","limit":0}'
run_rc 1 "Quota 'BACKEND_SERVICES' exceeded" cloudctl apply --config "$CFG" -f "$GW"
grep -Eq "failed to create backend service '[^']+': .*BACKEND_SERVICES" <<<"$LAST_OUT"
grep -Eq "skipped url map '[^']+': blocked by backend service" <<<"$LAST_OUT"
grep -Eq "created certificate '" <<<"$LAST_OUT"
grep -Eq "created address '" <<<"$LAST_OUT"
CHECKS=$((CHECKS + 4))
curl -sf -X DELETE "$MOCK_URL/_mock/compute/quotas" >/dev/null
run_ok "apply: [0-9]+ done, 0 failed" cloudctl apply --config "$CFG" -f "$GW"

# bad input: each invalid Gateway named with its field, exit 1, nothing for it
run_rc 1 "gateway 'bad/tcp'" cloudctl apply --config "$CFG" -f "$CC_SOURCE_DIR/fixtures/plan/invalid"
grep -q "gateway 'bad/badport': field 'spec.listeners\[0\].port': expected integer" <<<"$LAST_OUT"
grep -q "gateway 'bad/many': field 'spec.listeners': 70 listeners" <<<"$LAST_OUT"
grep -q "gateway 'bad/badhost': field 'spec.listeners\[0\].hostname'" <<<"$LAST_OUT"
grep -q "gateway 'bad/typo': field 'spec.gatewayClassName': unknown composite class 'istio+gcp'" <<<"$LAST_OUT"
! owned | grep -q -- "-bad-" || { echo "FAIL: something was provisioned for a bad Gateway" >&2; exit 1; }
CHECKS=$((CHECKS + 5))
printf 'kind: Gateway\n  metadata: [\n' >"$INTEROP_TMP/broken.yaml"
run_rc 1 "broken.yaml.*yaml: line" cloudctl plan --config "$CFG" -f "$INTEROP_TMP/broken.yaml"
run_rc 2 "--config is required" cloudctl apply -f "$GW"
e2e_done
