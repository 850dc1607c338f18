#!/usr/bin/env bash
# kubectl_mock_kube.sh -- kubectl 1.32 against mock-kube over HTTPS with a bearer
# token: apply (client- and server-side), get, describe, label/annotate, patch
# (merge, json, status subresource), wait, delete with finalizers, background
# garbage collection, a Terminating namespace (403 on create) and its removal,
# get --watch, and every served kind created and listed.
source "$(dirname "$0")/lib.sh"
interop_require kubectl
interop_require openssl

export HOME="$INTEROP_TMP/home"
mkdir -p "$HOME"
start_mock_kube
KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
kubeconfig_write "$KUBECONFIG_FILE"
M="$INTEROP_TMP/manifests"
mkdir -p "$M"

# --- auth ---------------------------------------------------------------------
kubeconfig_write "$INTEROP_TMP/bad-kubeconfig" "$KUBE_URL" "wrong-token"
expect_fail "must be logged in|Unauthorized" \
	kubectl --kubeconfig "$INTEROP_TMP/bad-kubeconfig" --cache-dir "$INTEROP_TMP/kc2" get ns
expect_out "minor: \"32\"|Server Version: v1.32" kctl version -o yaml

# --- apply: create, then update (merge patch for CRDs, SMP for built-ins) -----
cat >"$M/app.yaml" <<'EOF'
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: demo}
spec: {controllerName: example.com/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw1}
spec:
  gatewayClassName: demo
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: "nginx:1"
        ports: [{containerPort: 80}]
EOF
expect_out "gateway.gateway.networking.k8s.io/gw1 created" kctl apply -f "$M/app.yaml"
expect_out "deployment.apps/web unchanged" kctl apply -f "$M/app.yaml"
gen1="$(kctl get gateway gw1 -o jsonpath='{.metadata.generation}')"
# SMP for the Deployment: a container-level change that must keep containerPort
cat >"$M/app2.yaml" <<'EOF'
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw1}
spec:
  gatewayClassName: demo
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: "nginx:2"
        ports: [{containerPort: 80}]
EOF
expect_out "deployment.apps/web configured" kctl apply -f "$M/app2.yaml"
expect_out "^nginx:2 80$" kctl get deploy web \
	-o jsonpath='{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}'
expect_out "^8080 $((gen1 + 1)) Same$" kctl get gateway gw1 \
	-o jsonpath='{.spec.listeners[0].port} {.metadata.generation} {.spec.listeners[0].allowedRoutes.namespaces.from}'
grep -q "strategic-merge-patch" <(kube_get "/_mock/requests" | python3 -c '
import json,sys
for r in json.load(sys.stdin)["requests"]:
    if r["method"]=="PATCH": print(r["path"], "strategic-merge-patch" if "$setElementOrder" in r["body"] else "merge")') &&
	echo "ok: apply sent a strategic merge patch for the Deployment"
expect_fail "AlreadyExists|already exists" kctl create -f "$M/app.yaml"

# --- get / describe -----------------------------------------------------------
expect_out "default +gw1 +demo +Unknown" kctl get gateways -A
expect_out "gw1" kctl get gtw
expect_out "gateway.networking.k8s.io/gw1|gw1" kctl get gateway-api
expect_out "kind: Gateway" kctl get gateway gw1 -o yaml
expect_out "\"gatewayClassName\": \"demo\"" kctl get gateway gw1 -o json
expect_out "Waiting for controller" kctl describe gateway gw1
expect_out "Controller Name: +example.com/gateway-controller" kctl describe gatewayclass demo
expect_out "Image: +nginx:2" kctl describe deploy web
expect_out "kube-node-lease +Active" kctl get ns

# --- label / annotate / patch -------------------------------------------------
expect_out "gateway.gateway.networking.k8s.io/gw1 labeled" kctl label gateway gw1 tier=t0
expect_out "gw1" kctl get gateways -l 'tier in (t0,t1)'
expect_out "No resources found" kctl get gateways -l 'tier notin (t0)'
expect_out "annotated" kctl annotate gateway gw1 example.com/note=hello
expect_out "^hello$" kctl get gateway gw1 -o jsonpath='{.metadata.annotations.example\.com/note}'
expect_out "patched" kctl patch gateway gw1 --type=json \
	-p '[{"op":"test","path":"/spec/gatewayClassName","value":"demo"},{"op":"add","path":"/metadata/labels/extra","value":"x"}]'
expect_fail "test failed|is invalid" kctl patch gateway gw1 --type=json \
	-p '[{"op":"test","path":"/spec/gatewayClassName","value":"nope"}]'
expect_out "patched" kctl patch gateway gw1 --subresource=status --type=merge \
	-p '{"status":{"addresses":[{"type":"IPAddress","value":"10.0.0.7"}]}}'
expect_out "default +gw1 +demo +10.0.0.7" kctl get gateways -A
# status on the main endpoint is ignored
kctl patch gateway gw1 --type=merge -p '{"status":{"addresses":[]}}' >/dev/null
expect_out "^10.0.0.7$" kctl get gateway gw1 -o jsonpath='{.status.addresses[0].value}'

# --- wait --for=condition (condition set in the background) -------------------
(sleep 1 && kctl patch gateway gw1 --subresource=status --type=merge -p \
	'{"status":{"conditions":[{"type":"Programmed","status":"True","reason":"Programmed","message":"ok","lastTransitionTime":"2025-01-01T00:00:00Z"}]}}' \
	>/dev/null) &
SETTER_PID=$!
expect_out "condition met" kctl wait --for=condition=Programmed gateway/gw1 --timeout=30s
wait "$SETTER_PID"

# --- server-side apply ----------------------------------------------------------
cat >"$M/ssa.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, labels: {app: web}}
data: {a: "1", b: "2"}
EOF
expect_out "configmap/cfg serverside-applied" kctl apply --server-side -f "$M/ssa.yaml"
sed -i 's/b: "2"/b: "3"/' "$M/ssa.yaml"
expect_out "configmap/cfg serverside-applied" kctl apply --server-side -f "$M/ssa.yaml"
expect_out "^1 3$" kctl get cm cfg -o jsonpath='{.data.a} {.data.b}'
sed -i 's/b: "3"/b: "4"/' "$M/ssa.yaml"
expect_fail "conflict" kctl apply --server-side --field-manager=other -f "$M/ssa.yaml"
expect_out "serverside-applied" kctl apply --server-side --field-manager=other --force-conflicts \
	-f "$M/ssa.yaml"
expect_out "^4$" kctl get cm cfg -o jsonpath='{.data.b}'
expect_out "kubectl" kctl get cm cfg -o jsonpath='{.metadata.managedFields[*].manager}' \
	--show-managed-fields

# --- every kind: created and listed ---------------------------------------------
cat >"$M/kinds.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: team-a
  annotations: {cloud.google.com/neg: '{"exposed_ports":{"80":{"name":"neg-web"}}}'}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Secret
metadata: {name: s1, namespace: team-a}
stringData: {password: hunter2}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa1, namespace: team-a}
---
apiVersion: v1
kind: Event
metadata: {name: ev1, namespace: team-a}
involvedObject: {kind: Service, name: web, namespace: team-a}
reason: Synced
message: all good
type: Normal
---
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: team-a, labels: {app: web}}
spec:
  containers: [{name: c, image: "nginx:1"}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: team-a
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints: [{addresses: ["10.4.0.5"], zone: us-central1-a}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: leader, namespace: team-a}
spec: {holderIdentity: pod-a, leaseDurationSeconds: 15, renewTime: "2025-01-01T00:00:10.000000Z"}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r1, namespace: team-a}
spec:
  parentRefs: [{name: gw1, namespace: default}]
  hostnames: [a.example.com]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g1, namespace: team-a}
spec:
  parentRefs: [{name: gw1, namespace: default}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: rg1, namespace: team-a}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service}]
EOF
expect_out "referencegrant.gateway.networking.k8s.io/rg1 created" kctl apply -f "$M/kinds.yaml"
expect_out "team-a +web +ClusterIP +10\.96\." kctl get svc -A
expect_out "s1" kctl get secrets -n team-a
expect_out "^aHVudGVyMg==$" kctl get secret s1 -n team-a -o jsonpath='{.data.password}'
expect_out "sa1" kctl get sa -n team-a
expect_out "Synced|ev1" kctl get events -n team-a
expect_out "p1" kctl get pods -n team-a
expect_out "web-abc" kctl get endpointslices -n team-a
expect_out "leader +pod-a" kctl get leases -n team-a
expect_out "r1 +a.example.com" kctl get httproutes -n team-a
expect_out "g1" kctl get grpcroutes -n team-a
expect_out "rg1" kctl get refgrant -n team-a
expect_out "web" kctl get deploy -A
expect_out "cfg" kctl get cm
expect_out "team-a +Active" kctl get ns
expect_out "^PathPrefix / Gateway$" kctl get httproute r1 -n team-a \
	-o jsonpath='{.spec.rules[0].matches[0].path.type} {.spec.rules[0].matches[0].path.value} {.spec.parentRefs[0].kind}'
expect_out "gateway.networking.k8s.io/v1beta1|gateway.networking.k8s.io/v1" \
	kctl get referencegrant rg1 -n team-a -o jsonpath='{.apiVersion}'
svc_uid="$(kctl get svc web -n team-a -o jsonpath='{.metadata.uid}')"
kctl patch event ev1 -n team-a --type=merge -p "{\"involvedObject\":{\"uid\":\"$svc_uid\"}}" >/dev/null
expect_out "Endpoints: +10.4.0.5:8080" kctl describe svc web -n team-a
expect_out "Normal +Synced .*all good" kctl describe svc web -n team-a
expect_out "pod-a" kctl describe lease leader -n team-a
expect_out "10.4.0.5" kctl describe endpointslice web-abc -n team-a
expect_out "Name: +team-a" kctl describe ns team-a

# --- get --watch: rows on every change -----------------------------------------
kctl get configmaps --watch -n team-a >"$INTEROP_TMP/watch.out" 2>&1 &
WATCH_PID=$!
sleep 1.5
kctl create configmap w1 -n team-a --dry-run=client -o json | kctl apply -f - >/dev/null
kctl label configmap w1 -n team-a step=two >/dev/null
kctl delete configmap w1 -n team-a >/dev/null
for _ in $(seq 1 50); do
	[ "$(grep -c '^w1 ' "$INTEROP_TMP/watch.out" || true)" -ge 3 ] && break
	sleep 0.1
done
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
if [ "$(grep -c '^w1 ' "$INTEROP_TMP/watch.out" || true)" -lt 3 ]; then
	echo "FAIL: get --watch printed fewer than 3 rows for w1:" >&2
	cat "$INTEROP_TMP/watch.out" >&2
	exit 1
fi
echo "ok: get --watch printed a row for create, label and delete"

# --- delete with a finalizer pending -------------------------------------------
kctl patch configmap cfg --type=merge -p '{"metadata":{"finalizers":["example.com/hold"]}}' \
	>/dev/null
kctl delete configmap cfg --timeout=60s >"$INTEROP_TMP/delete.out" 2>&1 &
DEL_PID=$!
sleep 1.5
expect_out "^[0-9]{4}-[0-9]{2}-[0-9]{2}T" kctl get configmap cfg -o jsonpath='{.metadata.deletionTimestamp}'
expect_fail "no new finalizers" kctl patch configmap cfg --type=merge \
	-p '{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}'
kctl patch configmap cfg --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
wait "$DEL_PID"
INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
grep -q 'configmap "cfg" deleted' "$INTEROP_TMP/delete.out" || {
	echo "FAIL: delete did not finish after the finalizer went:" >&2
	cat "$INTEROP_TMP/delete.out" >&2
	exit 1
}
echo "ok: delete waited for the finalizer"
expect_fail "NotFound|not found" kctl get configmap cfg

# --- ownerReferences GC, delete -f --------------------------------------------
uid="$(kctl get deploy web -o jsonpath='{.metadata.uid}')"
cat >"$M/owned.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: $uid, controller: true, blockOwnerDeletion: true}]
EOF
expect_out "configmap/owned created" kctl apply -f "$M/owned.yaml"
expect_out "deployment.apps \"web\" deleted" kctl delete deploy web
# the garbage collector deletes the dependent a moment later, in the background
# (kubectl wait prints nothing when the object is already gone)
kctl wait --for=delete configmap/owned --timeout=30s >/dev/null
expect_fail "NotFound|not found" kctl get configmap owned
# app2.yaml lists the Deployment deleted above
expect_out "deleted" kctl delete -f "$M/app2.yaml" --ignore-not-found

# --- a Terminating namespace -----------------------------------------------------
# held open by an object with a finalizer: phase Terminating, creates refused
cat >"$M/hold.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: hold, finalizers: [example.com/hold]}
EOF
cat >"$M/late.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: late}
EOF
expect_out "configmap/hold created" kctl apply -n team-a -f "$M/hold.yaml"
expect_out "namespace \"team-a\" deleted" kctl delete ns team-a --wait=false
expect_out "^Terminating$" kctl get ns team-a -o jsonpath='{.status.phase}'
expect_out "Terminating" kctl get ns team-a
expect_fail "forbidden: unable to create new content in namespace team-a because it is being terminated" \
	kctl create -n team-a -f "$M/late.yaml"
# the namespace controller empties it a moment later, marking the held object
kctl wait --for=delete lease/leader -n team-a --timeout=30s >/dev/null
expect_out "deletionTimestamp" kctl get configmap hold -n team-a -o yaml
expect_out "Terminating" kctl get ns team-a
kctl patch configmap hold -n team-a --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
kctl wait --for=delete ns/team-a --timeout=30s >/dev/null
expect_out "No resources found" kctl get leases -n team-a
expect_fail "NotFound|not found" kctl get ns team-a

kctl_report
interop_done
