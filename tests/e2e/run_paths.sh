#!/usr/bin/env bash
# run_paths.sh -- `cloudctl run`'s less travelled paths against mock-kube and
# mock-gcp: a Compute quota error (Programmed=False/NoResources, the quota
# quoted, an Event) that converges once lifted; 409s on status writes lose no
# update; cloudctl's own GatewayClass gets Accepted, another controller's is
# never touched; invalid listeners and routes get their reasons without
# harming other Gateways; a dropped watch does not lose a change; moving a
# Gateway to another class removes its cloud resources and its finalizer and
# cloudctl stops writing its status.
source "$(dirname "$0")/lib.sh"

E2E_CLUSTERS=east ctl_setup --cert-latency-ms 100
# mock-kube admin: METHOD PATH [BODY]
kadmin() {
	curl -sf --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_TOKEN" -X "$1" \
		-H 'Content-Type: application/json' "$KUBE_URL$2" ${3:+-d "$3"}
}
gw_json() { kctl get gateway "$1" -n shop -o json; }
cond() { # KIND NAME TYPE: that condition of the object as JSON
	kctl get "$1" "$2" -n shop -o json | jq -c --arg t "$3" '[.status.conditions[]? | select(.type == $t)][0]'
}
programmed_at() { # NAME IP: Programmed=True at generation $GEN with that address
	gw_json "$1" | jq -e --arg ip "$2" '
	  (.status.conditions[] | select(.type == "Programmed") | .status == "True"
	     and .observedGeneration == ($ENV.GEN | tonumber))
	  and (.status.addresses == [{"type":"IPAddress","value":$ip}])' >/dev/null
}
fr_ip() {
	curl -sf "$MOCK_URL/compute/v1/projects/test-proj/global/forwardingRules" |
		jq -r --arg n "$1" '[.items[] | select(.name | contains("-shop-" + $n + "-")) | .IPAddress] | unique | if length == 1 then .[0] else empty end'
}
has_fr() { [ -n "$(fr_ip "$1")" ]; }
a_of() { # HOST IP: the A record
	curl -sf "$MOCK_URL/dns/v1/projects/test-proj/managedZones/example-com/rrsets/$1./A" |
		jq -e --arg ip "$2" '.rrdatas == [$ip]'
}
alive() { kill -0 "$CTL" 2>/dev/null || fail "the controller exited"; }

printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' | kctl apply -f - >/dev/null
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n' | kctl apply -f - >/dev/null

# --- GatewayClasses: ours gets Accepted=True, another controller's is not touched
cat >"$INTEROP_TMP/classes.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: cc-class}
spec: {controllerName: cloudctl.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: foreign-class}
spec: {controllerName: example.com/other-controller}
YAML
kctl apply -f "$INTEROP_TMP/classes.yaml" >/dev/null
foreign_rv="$(kctl get gatewayclass foreign-class -o jsonpath='{.metadata.resourceVersion}')"

# --- a Compute quota error: no forwarding rule may be made
post /_mock/compute/quotas '{"project":"test-proj","metric":"FORWARDING_RULES","limit":0}'
start_ctl
class_accepted() {
	kctl get gatewayclass cc-class -o json | jq -e '[.status.conditions[] | select(.type == "Accepted")][0] |
	  .status == "True" and .observedGeneration == 1'
}
until_ok "GatewayClass cc-class Accepted=True" class_accepted
kctl apply -f "$GW" >/dev/null
no_resources() { # Programmed=False/NoResources quoting the quota and its resource type
	gw_json web | jq -e '[.status.conditions[] | select(.type == "Programmed")][0] |
	  .status == "False" and .reason == "NoResources"
	  and (.message | contains("Quota \u0027FORWARDING_RULES\u0027 exceeded"))'
}
until_ok "quota: Programmed=False/NoResources quoting the FORWARDING_RULES quota" no_resources
lb_cond() { # STATUS REASON TEXT: cloudctl.dev/LoadBalancerReady
	gw_json web | jq -e --arg s "$1" --arg r "$2" --arg m "$3" '[.status.conditions[] |
	  select(.type == "cloudctl.dev/LoadBalancerReady")][0] | .status == $s and .reason == $r and (.message | contains($m))'
}
until_ok "quota: LoadBalancerReady=False quotes the quota error and its resource type" \
	lb_cond False Failed "forwarding rule 'cc1-fr-shop-web-"
lb_cond False Failed "Quota 'FORWARDING_RULES' exceeded" >/dev/null || fail "LoadBalancerReady: $(cond gateway web cloudctl.dev/LoadBalancerReady)"
quota_event() {
	kctl get events -n shop -o json | jq -e '[.items[] | select(.involvedObject.kind == "Gateway"
	  and .involvedObject.name == "web" and .type == "Warning" and (.message | contains("FORWARDING_RULES")))] | length > 0'
}
until_ok "quota: a Warning Event names the quota" quota_event
gw_json web | jq -e '[.status.listeners[].conditions[] | select(.type == "Programmed")] | all(.status == "False")' >/dev/null ||
	fail "listeners Programmed while the quota blocks: $(gw_json web | jq -c .status.listeners)"
check "quota: listeners not Programmed"
alive
curl -sf -X DELETE "$MOCK_URL/_mock/compute/quotas" >/dev/null
until_ok "quota lifted: forwarding rules made" has_fr web
ip="$(fr_ip web)"
export GEN=1
until_ok "quota lifted: Programmed=True at $ip" programmed_at web "$ip"
until_ok "quota lifted: LoadBalancerReady=True" lb_cond True Created "forwarding rules exist"

# --- invalid input: other Gateways and routes are not affected
cat >"$INTEROP_TMP/bad.yaml" <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: tcp, namespace: shop}
spec:
  gatewayClassName: istio+gke
  listeners:
    - {name: tcp, protocol: TCP, port: 9000}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: badhost, namespace: shop}
spec:
  gatewayClassName: istio+gke
  listeners:
    - {name: http, protocol: HTTP, port: 80, hostname: "bad_host!.example.com"}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: missing, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [www.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /missing}}]
      backendRefs: [{name: nosuch, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: foreign, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [www.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /foreign}}]
      backendRefs: [{name: backend, namespace: other, port: 8080}]
YAML
kctl apply -f "$INTEROP_TMP/bad.yaml" >/dev/null
listener_cond() { # GATEWAY TYPE STATUS REASON
	gw_json "$1" | jq -e --arg t "$2" --arg s "$3" --arg r "$4" '
	  [.status.listeners[0].conditions[] | select(.type == $t)][0] | .status == $s and .reason == $r'
}
until_ok "TCP listener: Accepted=False/UnsupportedProtocol" listener_cond tcp Accepted False UnsupportedProtocol
until_ok "bad hostname listener: Accepted=False/UnsupportedValue" listener_cond badhost Accepted False UnsupportedValue
route_ref() { # ROUTE STATUS REASON: ResolvedRefs of its parent web
	kctl get httproute "$1" -n shop -o json | jq -e --arg s "$2" --arg r "$3" '
	  [.status.parents[] | select(.parentRef.name == "web")][0] |
	  [.conditions[] | select(.type == "ResolvedRefs")][0] | .status == $s and .reason == $r'
}
until_ok "route to a missing Service: ResolvedRefs=False/BackendNotFound" route_ref missing False BackendNotFound
until_ok "route to another namespace without a ReferenceGrant: ResolvedRefs=False/RefNotPermitted" route_ref foreign False RefNotPermitted
for g in tcp badhost; do
	[ -z "$(owned | grep -- "-shop-$g-" || true)" ] || fail "cloud resources for invalid Gateway $g: $(owned | grep -- "-shop-$g-")"
done
check "no cloud resources for the invalid Gateways"
alive
until_ok "web still Programmed=True" programmed_at web "$ip"

# --- a 409 on status writes loses no update: another writer's condition,
# then two conflicts on cloudctl's status writes while the spec changes
kctl patch gateway web -n shop --subresource=status --type=json -p '[{"op":"add","path":"/status/conditions/-",
  "value":{"type":"example.com/Audited","status":"True","reason":"Audited","message":"seen","lastTransitionTime":"2026-01-01T00:00:00Z"}}]' >/dev/null
kadmin POST /_mock/conflicts '{"path":"/apis/gateway.networking.k8s.io/*/namespaces/shop/gateways/web/status","times":2}' >/dev/null
sed 's/www\.example\.com/shop.example.com/g' "$GW" | kctl apply -f - >/dev/null
export GEN=2
until_ok "after 409s: Programmed=True at generation 2" programmed_at web "$ip"
kadmin GET /_mock/conflicts | jq -e '[.conflicts[].remaining] | all(. == 0)' >/dev/null ||
	fail "conflict rules not consumed: $(kadmin GET /_mock/conflicts)"
n409="$(kadmin GET /_mock/requests | jq '[.requests[] | select(.status == 409 and (.path | endswith("/gateways/web/status")))] | length')"
[ "$n409" -ge 2 ] || fail "$n409 conflicts on the status write, expected at least the 2 injected"
check "both injected conflicts were hit ($n409 409s on the status write in all)"
gw_json web | jq -e '.status.listeners | map(.attachedRoutes) | length == 2' >/dev/null || fail "listeners: $(gw_json web | jq -c .status.listeners)"
gw_json web | jq -e '[.status.conditions[] | select(.type == "Accepted" or .type == "Programmed" or .type == "ResolvedRefs") | .observedGeneration] | all(. == 2)' >/dev/null ||
	fail "conditions not at generation 2: $(gw_json web | jq -c .status.conditions)"
check "every condition at generation 2"
gw_json web | jq -e '[.status.conditions[] | select(.type == "example.com/Audited")] | length == 1' >/dev/null ||
	fail "another writer's condition lost: $(gw_json web | jq -c .status.conditions)"
check "another writer's condition kept"
until_ok "A record for shop.example.com" a_of shop.example.com "$ip"

# --- a dropped watch while the Gateway changes: the change still reaches the cloud
dropped="$(kadmin POST /_mock/drop-watches '{"path":"/apis/gateway.networking.k8s.io/*/gateways","all":true,"future":1}' | jq -r .dropped)"
[ "$dropped" -ge 1 ] || fail "no Gateway watch to drop"
check "dropped $dropped Gateway watch(es)"
sed 's/www\.example\.com/api.example.com/g' "$GW" | kctl apply -f - >/dev/null
until_ok "after the watch drop: A record for api.example.com" a_of api.example.com "$ip"
export GEN=3
until_ok "after the watch drop: Programmed=True at generation 3" programmed_at web "$ip"

# --- the Gateway moves to another class: its cloud resources go, then the
# finalizer, and cloudctl stops writing its status
sed -e 's/www\.example\.com/api.example.com/g' -e 's/gatewayClassName: istio+gke/gatewayClassName: other-lb/' "$GW" |
	kctl apply -f - >/dev/null
none_left() { [ -z "$(owned | grep -E -- '-shop-web-|api\.example\.com' || true)" ]; }
until_ok "moved away: the Gateway's cloud resources removed" none_left
no_finalizer() { gw_json web | jq -e '(.metadata.finalizers // []) == []'; }
until_ok "moved away: finalizer removed" no_finalizer
sleep 0.5
seq0="$(kadmin GET /_mock/requests | jq .last)"
sleep 4.5 # two drift checks (--resync 2)
writes="$(kadmin GET "/_mock/requests?since=$seq0" | jq '[.requests[] | select(.method != "GET"
  and (.path | test("/gateways/web(/status)?$")))] | length')"
[ "$writes" = 0 ] || fail "$writes writes to the moved Gateway: $(kadmin GET "/_mock/requests?since=$seq0" | jq -c '[.requests[] | select(.method != "GET") | .path]')"
check "no writes to the moved Gateway across two drift checks"
[ "$(kctl get gatewayclass foreign-class -o jsonpath='{.metadata.resourceVersion}')" = "$foreign_rv" ] ||
	fail "foreign GatewayClass written: $(kctl get gatewayclass foreign-class -o json | jq -c .status)"
kctl get gatewayclass foreign-class -o json | jq -e '[.status.conditions[] | select(.type == "Accepted")][0].reason == "Pending"' >/dev/null ||
	fail "foreign GatewayClass status"
check "another controller's GatewayClass never touched"
alive

kill -TERM "$CTL"
wait "$CTL" || fail "exit status $? after SIGTERM"
check "SIGTERM: clean exit"
e2e_done
