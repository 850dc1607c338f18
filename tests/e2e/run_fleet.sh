#!/usr/bin/env bash
# run_fleet.sh -- `cloudctl run` deploying the per-cluster Istio gateways of
# an istio+gke Gateway into a fleet of mock-kube clusters (GKE's NEG
# controller, Deployment and EndpointSlice controllers emulated) in front of
# mock-gcp's load balancer:
#   - the gateway set (ServiceAccount, Deployment, Service, child Gateway of
#     class istio, HTTPRoute copy) in every member cluster, their NEGs the
#     backends with capacityScaler from the weights, Programmed=True;
#   - a converged fleet makes no mutating call, to the cloud or the clusters;
#   - a Deployment deleted behind cloudctl's back is recreated; a foreign
#     object of the same name is never adopted;
#   - a third cluster added while a cluster is removed and the hostname
#     changes: the new cluster's NEGs join only once its gateway is ready
#     (make-before-break), the removed one is drained (capacityScaler 0),
#     detached, then its objects deleted;
#   - a member cluster whose API fails is reported, keeps its backends, and
#     the rest converges;
#   - moving the Gateway to another class deletes the load balancer first and
#     the cluster gateways only once it is gone; then the finalizer goes.
source "$(dirname "$0")/lib.sh"

start_mock_gcp
post "/dns/v1/projects/test-proj/managedZones" \
	'{"name":"example-com","dnsName":"example.com.","description":"fleet zone","visibility":"public"}'
start_mock_kube --clusters 3 --gke-neg-gcp "$MOCK_URL" --gke-project test-proj \
	--gke-zones "us-east1-b,us-east1-c;europe-west1-b;asia-east1-a" --pod-ready-ms 300
mapfile -t URLS <<<"$KUBE_URLS"
[ "${#URLS[@]}" -ge 3 ] || { echo "FAIL: mock-kube printed ${#URLS[@]} URLs" >&2; exit 1; }

KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
{
	echo "apiVersion: v1"
	echo "kind: Config"
	echo "clusters:"
	for i in 1 2 3; do
		printf -- '- name: k%s\n  cluster:\n    server: %s\n    certificate-authority: %s\n' \
			"$i" "${URLS[$((i - 1))]}" "$KUBE_CA"
	done
	printf -- 'users:\n- name: u\n  user:\n    token: %s\n' "$KUBE_TOKEN"
	echo "contexts:"
	for i in 1 2 3; do
		printf -- '- name: c%s\n  context: {cluster: k%s, user: u, namespace: default}\n' "$i" "$i"
	done
	echo "current-context: c1"
} >"$KUBECONFIG_FILE"
kc() { local ctx="$1"; shift; kctl --context "$ctx" "$@"; }
# admin call on cluster N: kadmin N METHOD PATH [BODY]
kadmin() {
	curl -sf --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_TOKEN" -X "$2" \
		-H 'Content-Type: application/json' "${URLS[$(($1 - 1))]}$3" ${4:+-d "$4"}
}

CFG="$INTEROP_TMP/cloudctl.yaml"
write_cfg() { # CLUSTER-BLOCKS...
	{
		cat <<CFG
fleet: demo
project: test-proj
dns: {managedZone: example-com, dnsName: example.com.}
drainSeconds: 1
endpoints:
  compute: $MOCK_URL/compute/v1/
  certificatemanager: $MOCK_URL/
  dns: $MOCK_URL/dns/v1/
  token: $MOCK_URL/token
credentials: {type: none}
rateLimits: {computeRead: 1000, computeMutate: 1000, computeOperations: 1000, certificateManager: 1000, dns: 1000}
clusters:
CFG
		local b
		for b in "$@"; do
			case "$b" in
			east) echo "  - {name: east, region: us-east1, zones: [us-east1-b, us-east1-c], weight: 100, kubeconfig: $KUBECONFIG_FILE, context: c1}" ;;
			west) echo "  - {name: west, region: europe-west1, zones: [europe-west1-b], weight: 50, kubeconfig: $KUBECONFIG_FILE, context: c2}" ;;
			south) echo "  - {name: south, region: asia-east1, zones: [asia-east1-a], weight: 100, kubeconfig: $KUBECONFIG_FILE, context: c3}" ;;
			esac
		done
	} >"$CFG.new"
	mv "$CFG.new" "$CFG"
}
write_cfg east west

gw_json() { kctl get gateway web -n shop -o json; }
cond() { # TYPE STATUS [MESSAGE-PART]
	gw_json | jq -e --arg t "$1" --arg s "$2" --arg m "${3:-}" '
	  any(.status.conditions[]?; .type == $t and .status == $s and (.message | contains($m)))' >/dev/null
}
bs_json() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/backendServices" |
		jq -c '[.items[]? | select(.name | contains("-shop-web-"))][0] // {}'
}
# "zone:capacityScaler" of the backend service's backends, sorted
backends() {
	bs_json | jq -r '[.backends[]? | "\(.group | split("/zones/")[1] | split("/")[0]):\(.capacityScaler)"] | sort | join(" ")'
}
backends_are() { # EXPECTED: the last value seen is kept for a failure report
	LAST_BACKENDS="$(backends)"
	echo "$LAST_BACKENDS" >"$INTEROP_TMP/backends.last"
	[ "$LAST_BACKENDS" = "$1" ]
}
neg_of() { # CONTEXT: the NEG name in the gateway Service's annotation
	kc "$1" get service web-istio -n shop -o json |
		jq -r '.metadata.annotations["cloud.google.com/neg"] | fromjson | .exposed_ports["80"].name'
}
has_objects() { # CONTEXT
	kc "$1" get serviceaccount,deployment,service,gateway -n shop web-istio >/dev/null 2>&1
}
no_objects() { # CONTEXT
	[ -z "$(kc "$1" get deployment,service,serviceaccount,gateway,httproute -n shop \
		-l app.kubernetes.io/managed-by=cloudctl -o name 2>/dev/null)" ]
}
fr_count() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/forwardingRules" |
		jq '[.items[]? | select(.name | contains("-shop-web-"))] | length'
}
kube_mutating() { # CLUSTER: mutating requests so far
	kadmin "$1" GET /_mock/counters | jq '[.[] | .mutating? // 0] | add'
}

start_ctl
ns_apply() { printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$2" | kc "$1" apply -f - >/dev/null; }
ns_apply c1 shop
kc c1 apply -f "$CC_SOURCE_DIR/fixtures/plan/basic/gateways.yaml" >/dev/null

# --- the gateway set in both member clusters, their NEGs the backends --------
until_ok "gateway objects in east" has_objects c1
until_ok "gateway objects in west" has_objects c2
for ctx in c1 c2; do
	kc "$ctx" get deployment web-istio -n shop -o json | jq -e '
	  .metadata.labels["app.kubernetes.io/managed-by"] == "cloudctl" and
	  .metadata.annotations["cloudctl.dev/gateway"] == "shop/web" and
	  (.spec.replicas == null) and
	  .spec.template.spec.containers[0].name == "istio-proxy" and
	  .spec.template.spec.containers[0].readinessProbe.httpGet.port == 15021' >/dev/null ||
		fail "$ctx deployment: $(kc "$ctx" get deployment web-istio -n shop -o json)"
	kc "$ctx" get service web-istio -n shop -o json | jq -e '
	  .spec.type == "ClusterIP" and ([.spec.ports[].port] | sort) == [80, 15021]' >/dev/null ||
		fail "$ctx service: $(kc "$ctx" get service web-istio -n shop -o json)"
	kc "$ctx" get gateway web-istio -n shop -o json | jq -e '
	  .spec.gatewayClassName == "istio" and
	  .spec.addresses == [{"type":"Hostname","value":"web-istio.shop.svc.cluster.local"}] and
	  ([.spec.listeners[] | .protocol] | unique) == ["HTTP"]' >/dev/null ||
		fail "$ctx child gateway: $(kc "$ctx" get gateway web-istio -n shop -o json)"
	kc "$ctx" get httproute -n shop -l app.kubernetes.io/managed-by=cloudctl -o json | jq -e '
	  (.items | length) == 1 and .items[0].spec.parentRefs[0].name == "web-istio"' >/dev/null ||
		fail "$ctx route copy: $(kc "$ctx" get httproute -n shop -o json)"
done
check "ServiceAccount, Deployment, Service, child Gateway and route copy in both clusters"
NEG_EAST="$(neg_of c1)"
NEG_WEST="$(neg_of c2)"
[ -n "$NEG_EAST" ] && [ "$NEG_EAST" != "$NEG_WEST" ] || fail "NEG names: '$NEG_EAST' '$NEG_WEST'"
check "distinct deterministic NEG names ($NEG_EAST, $NEG_WEST)"
until_ok "backends: east's two zones at 1, west's at 0.5" \
	backends_are "europe-west1-b:0.5 us-east1-b:1 us-east1-c:1"
until_ok "Programmed=True" cond Programmed True
until_ok "BackendsReady names both clusters ready" cond cloudctl.dev/BackendsReady True "west: ready"

# --- a converged fleet makes no mutating call -----------------------------------
sleep 3 # a drift check (--resync 2) and the watches settle
g0="$(counters | cut -d' ' -f2)"
w0="$(kube_mutating 2)"
sleep 5
g1="$(counters | cut -d' ' -f2)"
w1="$(kube_mutating 2)"
[ "$g0" = "$g1" ] || fail "cloud mutating calls while converged: $g0 -> $g1"
[ "$w0" = "$w1" ] || fail "member cluster writes while converged: $w0 -> $w1"
check "converged: 0 mutating cloud calls and 0 writes in a member cluster over 5 s"

# --- a deleted Deployment comes back; a foreign object is never adopted ---------
kc c2 delete deployment web-istio -n shop >/dev/null
until_ok "west's Deployment recreated" kc c2 get deployment web-istio -n shop
ns_apply c1 blog
ns_apply c2 blog
cat <<'YAML' | kc c2 apply -f - >/dev/null
apiVersion: v1
kind: Service
metadata: {name: site-istio, namespace: blog}
spec:
  selector: {app: site}
  ports: [{name: http, port: 80, targetPort: 8080}]
YAML
cat <<'YAML' | kc c1 apply -f - >/dev/null
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: site, namespace: blog}
spec:
  gatewayClassName: istio+gke
  listeners: [{name: http, protocol: HTTP, port: 80, hostname: blog.example.com}]
YAML
blog_cond() {
	kctl get gateway site -n blog -o json | jq -e --arg m "$1" '
	  any(.status.conditions[]?; .type == "cloudctl.dev/BackendsReady" and .status == "False"
	      and (.message | contains($m)))' >/dev/null
}
until_ok "a foreign Service is reported, not adopted" blog_cond "cloudctl does not adopt it"
kc c2 get service site-istio -n blog -o json | jq -e '
  (.metadata.labels // {})["app.kubernetes.io/managed-by"] == null and .spec.ports[0].targetPort == 8080' \
	>/dev/null || fail "foreign service changed: $(kc c2 get service site-istio -n blog -o json)"
check "the foreign Service is untouched"
until_ok "site is served by east meanwhile" kc c1 get deployment site-istio -n blog
kc c1 delete gateway site -n blog --wait=false >/dev/null

# --- a cluster joins while another leaves and the hostname changes ---------------
kadmin 3 PUT /_mock/pods '{"namespace":"shop","deployment":"web-istio","ready":false}' >/dev/null
write_cfg east south
kc c1 patch gateway web -n shop --type=json -p \
	'[{"op":"replace","path":"/spec/listeners/0/hostname","value":"www2.example.com"},
	  {"op":"replace","path":"/spec/listeners/1/hostname","value":"www2.example.com"}]' >/dev/null
until_ok "gateway objects in south" has_objects c3
until_ok "west drained to capacityScaler 0" backends_are "europe-west1-b:0 us-east1-b:1 us-east1-c:1"
until_ok "west detached" backends_are "us-east1-b:1 us-east1-c:1"
until_ok "west's gateway objects deleted" no_objects c2
# south is held unready: deployed, but not a backend yet
cond cloudctl.dev/BackendsReady False "south: " || fail "south readiness: $(gw_json | jq -c .status.conditions)"
[ "$(backends)" = "us-east1-b:1 us-east1-c:1" ] || fail "south joined before it was ready: $(backends)"
check "south is deployed but not a backend while its gateway is not ready"
kadmin 3 PUT /_mock/pods '{"namespace":"shop","deployment":"web-istio","ready":true}' >/dev/null
until_ok "south joins once ready" backends_are "asia-east1-a:1 us-east1-b:1 us-east1-c:1"
child_host() {
	kc c1 get gateway web-istio -n shop -o json | jq -e --arg h "$1" '.spec.listeners[0].hostname == $h' >/dev/null
}
until_ok "the child Gateway follows the hostname" child_host www2.example.com
dns_has() {
	curl -sf "$MOCK_URL/dns/v1/projects/test-proj/managedZones/example-com/rrsets" |
		jq -e --arg n "$1" 'any(.rrsets[]; .name == $n and .type == "A")' >/dev/null
}
dns_gone() { ! dns_has "$1"; }
until_ok "DNS follows the hostname" dns_has www2.example.com.
until_ok "every cluster ready again" cond cloudctl.dev/BackendsReady True "south: ready"

# --- a member cluster whose API fails --------------------------------------------
kadmin 3 POST /_mock/faults '{"path":"/api*","action":"status","status":500,"every":true}' >/dev/null
kadmin 3 POST /_mock/faults '{"path":"/apis*","action":"status","status":500,"every":true}' >/dev/null
kc c1 patch gateway web -n shop --type=merge -p '{"spec":{"infrastructure":{"labels":{"team":"shop"}}}}' >/dev/null
until_ok "the failing cluster is reported" cond cloudctl.dev/BackendsReady False "south: unreachable"
team_label() {
	kc c1 get deployment web-istio -n shop -o json | jq -e '.metadata.labels.team == "shop"' >/dev/null
}
until_ok "east converges meanwhile" team_label
[ "$(backends)" = "asia-east1-a:1 us-east1-b:1 us-east1-c:1" ] || fail "south's backends touched: $(backends)"
cond Programmed True || fail "Programmed lost: $(gw_json | jq -c .status.conditions)"
check "south's backends and objects are left alone; Programmed stays True"
kadmin 3 DELETE /_mock/faults >/dev/null
until_ok "south recovers" cond cloudctl.dev/BackendsReady True "south: ready"

# --- another class: the load balancer goes first, then the cluster gateways --------
fault_fr() {
	post /_mock/faults '{"method":"DELETE","path":"/compute/v1/projects/*/global/forwardingRules/*","action":"status","status":400,"every":true}'
}
fault_fr
kc c1 patch gateway web -n shop --type=merge -p '{"spec":{"gatewayClassName":"other-lb"}}' >/dev/null
until_ok "the DNS record goes first" dns_gone www2.example.com.
sleep 2
[ "$(fr_count)" -gt 0 ] || fail "forwarding rules deleted through the fault"
has_objects c1 && has_objects c3 || fail "cluster gateways deleted while the load balancer still exists"
check "the cluster gateways stay while the load balancer is being deleted"
curl -sf -X DELETE "$MOCK_URL/_mock/faults" >/dev/null
# the failed passes back off (up to a minute); a change queues the Gateway now
kc c1 annotate gateway web -n shop example.com/poke=1 >/dev/null
until_ok "forwarding rules deleted" test "$(fr_count)" = 0
until_ok "east's gateway objects deleted" no_objects c1
until_ok "south's gateway objects deleted" no_objects c3
no_finalizer() { gw_json | jq -e '(.metadata.finalizers // []) == []' >/dev/null; }
until_ok "finalizer removed" no_finalizer
nothing_owned() { [ -z "$(owned)" ]; }
until_ok "nothing of either Gateway is left in the cloud" nothing_owned

kill -0 "$CTL" || fail "controller died"
e2e_done
