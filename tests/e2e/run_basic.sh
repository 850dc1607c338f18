#!/usr/bin/env bash
# run_basic.sh -- `cloudctl run` against mock-kube (HTTPS + token) and
# mock-gcp: an istio+gke Gateway and its HTTPRoute are applied with kubectl;
# the Gateway gets the finalizer, Programmed=True with the forwarding rule's
# address, the route Accepted; another class's Gateway is never touched; a
# converged controller makes no mutating cloud call across drift checks; a
# hostname edit moves certificates and DNS but keeps the address; a kill -9
# mid-creation and a restart converge without duplicates; invalid Gateways
# (a rejected listener, one the translator refuses) get Programmed=False/
# Invalid and do not stop the controller; deleting the
# Gateways removes their cloud resources and then the finalizer.
source "$(dirname "$0")/lib.sh"

E2E_CLUSTERS=east ctl_setup --cert-latency-ms 100
gw_json() { kctl get gateway "$1" -n shop -o json; }
programmed_at() { # NAME IP: Programmed=True and that address in status
	gw_json "$1" | jq -e --arg ip "$2" '
	  (.status.conditions[] | select(.type == "Programmed") | .status == "True"
	     and .observedGeneration == ($ENV.GEN | tonumber))
	  and (.status.addresses == [{"type":"IPAddress","value":$ip}])' >/dev/null
}
fr_ip() { # the forwarding rules' address of a Gateway name
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/forwardingRules" |
		jq -r --arg n "$1" '[.items[] | select(.name | contains("-shop-" + $n + "-")) | .IPAddress] | unique | if length == 1 then .[0] else empty end'
}

has_fr() { [ -n "$(fr_ip "$1")" ]; }

start_ctl
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' | kctl apply -f - >/dev/null
kctl apply -f "$GW" >/dev/null

# the Gateway gets the finalizer, the load balancer, Programmed=True with its address
until_ok "forwarding rules exist" has_fr web
ip="$(fr_ip web)"
export GEN=1
until_ok "Programmed=True at $ip" programmed_at web "$ip"
gw_json web | jq -e '.metadata.finalizers == ["cloudctl.dev/cloud-resources"]
  and ([.status.conditions[] | select(.type == "Accepted")][0].status == "True")
  and ([.status.conditions[] | select(.type == "cloudctl.dev/DNSReady")][0].status == "True")
  and ([.status.conditions[] | select(.type == "cloudctl.dev/BackendsReady")][0].status == "True")
  and ([.status.listeners[].attachedRoutes] == [1, 1])' >/dev/null || fail "gateway status: $(gw_json web | jq -c .status)"
check "finalizer, Accepted, stage conditions, attachedRoutes"
kctl get httproute web -n shop -o json | jq -e '.status.parents | length == 1 and
  .[0].controllerName == "cloudctl.dev/gateway-controller" and
  .[0].parentRef.name == "web" and
  ([.[0].conditions[] | select(.type == "Accepted")][0].status == "True")' >/dev/null ||
	fail "route status: $(kctl get httproute web -n shop -o json | jq -c .status)"
check "route Accepted by cloudctl"
# another implementation's Gateway: no finalizer, status left at the CRD default
gw_json internal | jq -e '(.metadata.finalizers // []) == [] and
  ([.status.conditions[] | select(.type == "Accepted")][0].reason == "Pending")' >/dev/null ||
	fail "foreign gateway touched: $(gw_json internal | jq -c .)"
check "other class untouched"

# invalid Gateways get a status and leave the controller running: one whose
# only listener is rejected (the pass after the finalizer used to crash),
# one the translator refuses (it used to be retried without a status)
cat >"$INTEROP_TMP/bad.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: bad-proto, namespace: shop}
spec:
  gatewayClassName: istio+gke
  listeners:
    - {name: tcp, protocol: TCP, port: 9000}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: no-host, namespace: shop}
spec:
  gatewayClassName: istio+gke
  listeners:
    - {name: https, protocol: HTTPS, port: 443, tls: {options: {example.com/x: y}}}
YAML
kctl apply -f "$INTEROP_TMP/bad.yaml" >/dev/null
cond_of() { # NAME TYPE STATUS REASON [MESSAGE-PART]
	gw_json "$1" | jq -e --arg t "$2" --arg s "$3" --arg r "$4" --arg m "${5:-}" '
	  any(.status.conditions[]?; .type == $t and .status == $s and .reason == $r and
	      (.message | contains($m)))'
}
until_ok "bad-proto: Accepted=False/ListenersNotValid" cond_of bad-proto Accepted False ListenersNotValid
until_ok "bad-proto: Programmed=False/Invalid" cond_of bad-proto Programmed False Invalid
until_ok "no-host: Programmed=False/Invalid, the translator's reason" \
	cond_of no-host Programmed False Invalid "needs a hostname"
kill -0 "$CTL" || fail "the controller exited"
kctl delete -f "$INTEROP_TMP/bad.yaml" --wait=false >/dev/null
until_ok "invalid gateways deleted (finalizer removed)" bash -c \
	"! kubectl --kubeconfig '$KUBECONFIG_FILE' get gateway bad-proto no-host -n shop -o name 2>/dev/null | grep -q ."
# kubectl's printer columns show the address and PROGRAMMED
kctl get gateway web -n shop | grep -Eq "web +istio\+gke +$ip +True" || fail "kubectl get gateway: $(kctl get gateway web -n shop)"
check "kubectl get gateway shows the address"

# the A record points at the address
curl -sf "$MOCK_URL/dns/v1/projects/test-proj/managedZones/example-com/rrsets/www.example.com./A" |
	jq -e --arg ip "$ip" '.rrdatas == [$ip]' >/dev/null || fail "A record"
check "A record"

# converged: no mutating call across two drift checks (--resync 2)
sleep 1
m1="$(counters)"
sleep 4.5
m2="$(counters)"
[ "${m1#* }" = "${m2#* }" ] || fail "mutating calls while converged: $m1 -> $m2"
[ "${m2% *}" -gt "${m1% *}" ] || fail "no drift check listed the cloud: $m1 -> $m2"
check "converged: 0 mutating calls across drift checks ($m1 -> $m2 reads/mutating)"

# drift: a firewall rule deleted and the backend service's timeout changed
# behind cloudctl's back are repaired by the drift check (no Gateway change)
fw_name() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/firewalls" |
		jq -r '.items[]? | select(.name | startswith("cc1-fw-shop-web-")) | .name'
}
bs_timeout() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/backendServices" |
		jq -r '.items[] | select(.name | startswith("cc1-bs-shop-web-")) | .timeoutSec'
}
fw="$(fw_name)"
bs="$(curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/backendServices" |
	jq -r '.items[] | select(.name | startswith("cc1-bs-shop-web-")) | .name')"
want_timeout="$(bs_timeout)"
[ -n "$fw" ] && [ -n "$bs" ] || fail "firewall '$fw' or backend service '$bs' missing"
curl -sf -X DELETE "$MOCK_URL/compute/v1/projects/test-proj/global/firewalls/$fw" >/dev/null
fp="$(curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/backendServices/$bs" | jq -r .fingerprint)"
curl -sf -X PATCH -H 'Content-Type: application/json' \
	"$MOCK_URL/compute/v1/projects/test-proj/global/backendServices/$bs" \
	-d "{\"timeoutSec\": 7, \"fingerprint\": \"$fp\"}" >/dev/null
fw_back() { [ "$(fw_name)" = "$fw" ]; }
timeout_back() { [ "$(bs_timeout)" = "$want_timeout" ]; }
until_ok "the deleted firewall rule is recreated by the drift check" fw_back
until_ok "the changed backend service is set back by the drift check" timeout_back

addr_id() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/addresses" |
		jq -r '.items[] | select(.name | startswith("cc1-ip-shop-web-")) | .id'
}
aid="$(addr_id)"

# hostname edit: certificates and DNS follow, the address stays
sed 's/www\.example\.com/shop.example.com/g' "$GW" | kctl apply -f - >/dev/null
a_of() {
	curl -sf "$MOCK_URL/dns/v1/projects/test-proj/managedZones/example-com/rrsets/$1./A" |
		jq -e --arg ip "$ip" '.rrdatas == [$ip]'
}
until_ok "A record for shop.example.com" a_of shop.example.com
until_ok "A record for www.example.com gone" bash -c "! curl -sf '$MOCK_URL/dns/v1/projects/test-proj/managedZones/example-com/rrsets/www.example.com./A'"
curl -sf "$MOCK_URL/v1/projects/test-proj/locations/global/certificates" |
	jq -e '[.certificates[].managed.domains] == [["shop.example.com"]]' >/dev/null ||
	fail "certificates: $(curl -sf "$MOCK_URL/v1/projects/test-proj/locations/global/certificates" | jq -c '[.certificates[].managed.domains]')"
check "certificate for the new hostname only"
[ "$(addr_id)" = "$aid" ] || fail "address recreated"
export GEN=2
until_ok "Programmed=True at the same address, generation 2" programmed_at web "$ip"

# kill -9 while a second Gateway is being created, restart: converges, no duplicates
cat >"$INTEROP_TMP/api.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: api, namespace: shop}
spec:
  gatewayClassName: istio+gke
  listeners:
    - {name: https, protocol: HTTPS, port: 443, hostname: api.example.com}
YAML
kctl apply -f "$INTEROP_TMP/api.yaml" >/dev/null
for i in $(seq 1 200); do
	owned | grep -q "shop-api-" && break
	sleep 0.01
done
kill -9 "$CTL"
wait "$CTL" 2>/dev/null || true
check "killed -9 with $(owned | grep -c 'shop-api-') of the api Gateway's resources made"
start_ctl
until_ok "api forwarding rule exists" has_fr api
export GEN=1
until_ok "api Programmed=True after the restart" programmed_at api "$(fr_ip api)"
dups="$(owned | sort | uniq -d)"
[ -z "$dups" ] || fail "duplicates: $dups"
[ "$(owned | grep -c '^compute forwardingRules cc1-fr-shop-api-')" = 1 ] || fail "api forwarding rules: $(owned | grep api)"
[ "$(owned | grep -c '^compute addresses cc1-ip-shop-api-')" = 1 ] || fail "api addresses"
check "nothing duplicated"
gw_json api | jq -e '[.status.conditions[] | select(.type == "cloudctl.dev/BackendsReady")][0] |
  .status == "False" and (.message | contains("cloud.google.com/neg"))' >/dev/null ||
	fail "BackendsReady for a Gateway without a Service: $(gw_json api | jq -c .status.conditions)"
check "BackendsReady=False tells the user what to deploy"

# delete: the cloud resources go, then the finalizer (the object disappears)
kctl delete gateway web api -n shop --wait=false >/dev/null
gone() { ! kctl get gateway "$1" -n shop >/dev/null 2>&1; }
until_ok "gateway web deleted" gone web
until_ok "gateway api deleted" gone api
left="$(owned | grep -E 'shop-(web|api)-|example.com' || true)"
[ -z "$left" ] || fail "left in the cloud: $left"
check "nothing of theirs left in the cloud"
# Events were recorded for the Gateways
kctl get events -n shop -o json | jq -e '[.items[].reason] | index("CloudResourcesSynced") and index("CloudResourcesDeleted")' >/dev/null ||
	fail "events: $(kctl get events -n shop -o json | jq -c '[.items[] | .reason]')"
check "Events CloudResourcesSynced and CloudResourcesDeleted"

# a graceful stop
kill -TERM "$CTL"
wait "$CTL" || fail "exit status $? after SIGTERM"
check "SIGTERM: clean exit"
e2e_done
