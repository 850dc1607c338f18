#!/usr/bin/env bash
# apply.sh -- cloudctl plan/apply/destroy against mock-gcp over real HTTP:
# the full chain on an empty project, the certificate reaching ACTIVE
# because its CNAME was written, a second apply with no mutating call,
# edits that touch only what they must, and a destroy that leaves nothing
# of ours and nothing of anybody else's touched.
source "$(dirname "$0")/lib.sh"

E2E_CLUSTERS=east e2e_setup --cert-latency-ms 100
# a foreign resource with a look-alike name, and a user's address
post /compute/v1/projects/test-proj/global/healthChecks \
	'{"name":"cc1-hc-shop-web-lookalike","type":"HTTP","httpHealthCheck":{"port":80}}'
post /compute/v1/projects/test-proj/global/addresses '{"name":"users-own-ip"}'

# plan on an empty project: everything to create, exit 2
run_rc 2 "plan: 18 to create, 0 to update, 0 to replace, 0 to delete" \
	cloudctl plan --config "$CFG" -f "$GW"
grep -q "skipping gateway 'shop/internal': class 'other-lb' is not served" <<<"$LAST_OUT"

# apply: the whole chain, and the summary shows the address
run_ok "gateway shop/web: address [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+" \
	cloudctl apply --config "$CFG" -f "$GW"
grep -q "created forwarding rule" <<<"$LAST_OUT"
grep -Eq "api calls: [0-9]+ \([0-9]+ mutating" <<<"$LAST_OUT"
ip="$(grep -Eo 'address [0-9.]+' <<<"$LAST_OUT" | head -1 | cut -d' ' -f2)"
echo "address: $ip"
[ "$(owned | grep -c '^compute forwardingRules ')" = 2 ]
[ "$(owned | grep -c '^certmgr certificates ')" = 1 ]
# the A record points at the address
curl -sf "$MOCK_URL/dns/v1/projects/test-proj/managedZones/example-com/rrsets/www.example.com./A" |
	jq -e --arg ip "$ip" '.rrdatas == [$ip]' >/dev/null
CHECKS=$((CHECKS + 1))

# the certificate turns ACTIVE because its DNS authorization's CNAME exists
state=""
for i in $(seq 1 50); do
	state="$(curl -sf "$MOCK_URL/v1/projects/test-proj/locations/global/certificates" |
		jq -r '.certificates[0].managed.state')"
	[ "$state" = ACTIVE ] && break
	sleep 0.1
done
[ "$state" = ACTIVE ] || { echo "FAIL: certificate is $state" >&2; exit 1; }
CHECKS=$((CHECKS + 1))
echo "ok: certificate ACTIVE"

# converged: plan says nothing, a second apply makes no mutating call
run_ok "plan: 0 to create, 0 to update, 0 to replace, 0 to delete" \
	cloudctl plan --config "$CFG" -f "$GW"
before="$(counters)"
run_ok "api calls: [0-9]+ \(0 mutating" cloudctl apply --config "$CFG" -f "$GW"
after="$(counters)"
[ "${before#* }" = "${after#* }" ] || { echo "FAIL: mutating calls $before -> $after" >&2; exit 1; }
CHECKS=$((CHECKS + 1))

fr_ids() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/forwardingRules" | jq -r '[.items[].id] | sort | join(",")'
}
addr_id() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/addresses" |
		jq -r '.items[] | select(.name | startswith("cc1-ip-")) | .id'
}
frs="$(fr_ids)"
aid="$(addr_id)"

# a hostname change: certificates and DNS follow; address and rules stay
sed 's/www\.example\.com/shop.example.com/g' "$GW" >"$INTEROP_TMP/gw-host.yaml"
run_rc 2 "\+ certificate '" cloudctl plan --config "$CFG" -f "$INTEROP_TMP/gw-host.yaml"
! grep -Eq "(address|forwarding rule) '" <<<"$LAST_OUT" || { echo "FAIL: plan touches the address or a rule" >&2; exit 1; }
run_ok "deleted dns record 'www.example.com. A'" cloudctl apply --config "$CFG" -f "$INTEROP_TMP/gw-host.yaml"
[ "$(fr_ids)" = "$frs" ] && [ "$(addr_id)" = "$aid" ] || { echo "FAIL: address or rules recreated" >&2; exit 1; }
curl -sf "$MOCK_URL/dns/v1/projects/test-proj/managedZones/example-com/rrsets/shop.example.com./A" |
	jq -e --arg ip "$ip" '.rrdatas == [$ip]' >/dev/null
CHECKS=$((CHECKS + 2))

# adding a listener on a new port adds a rule, never recreates the others
python3 - "$INTEROP_TMP/gw-host.yaml" >"$INTEROP_TMP/gw-listener.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s.replace("      hostname: shop.example.com\n---", "      hostname: shop.example.com\n    - name: alt\n      protocol: HTTP\n      port: 8080\n      hostname: shop.example.com\n---", 1)
print(s, end="")
PY
run_ok "created forwarding rule" cloudctl apply --config "$CFG" -f "$INTEROP_TMP/gw-listener.yaml"
[ "$(owned | grep -c '^compute forwardingRules ')" = 3 ]
[ "$(addr_id)" = "$aid" ]
CHECKS=$((CHECKS + 2))

# adding a cluster updates only the backend service
write_config
run_rc 2 "^~ backend service '[^']+' \(backends\)$" cloudctl plan --config "$CFG" -f "$INTEROP_TMP/gw-listener.yaml"
grep -q "plan: 0 to create, 1 to update, 0 to replace, 0 to delete" <<<"$LAST_OUT"
run_ok "updated backend service" cloudctl apply --config "$CFG" -f "$INTEROP_TMP/gw-listener.yaml"
curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/backendServices" |
	jq -e '[.items[] | select(.name | startswith("cc1-bs-")) | .backends | length] == [3]' >/dev/null
CHECKS=$((CHECKS + 1))

# destroy: nothing of ours left, the foreign look-alike and the user's address untouched
run_ok "destroy: [0-9]+ done, 0 failed" cloudctl destroy --config "$CFG" -f "$INTEROP_TMP/gw-listener.yaml"
left="$(owned)"
[ -z "$left" ] || { echo "FAIL: left behind:"; echo "$left"; exit 1; } >&2
curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/healthChecks/cc1-hc-shop-web-lookalike" >/dev/null
curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/addresses/users-own-ip" >/dev/null
CHECKS=$((CHECKS + 3))
run_ok "plan: 0 to create, 0 to update, 0 to replace, 0 to delete" \
	cloudctl destroy --config "$CFG" --all
e2e_done
