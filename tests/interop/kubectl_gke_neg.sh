#!/usr/bin/env bash
# kubectl_gke_neg.sh -- mock-kube playing GKE's NEG controller against the
# real mock-gcp: a Service with a cloud.google.com/neg annotation gets its
# zonal NEGs created in mock-gcp, endpoints attached from its EndpointSlices,
# and the cloud.google.com/neg-status annotation written; gcloud sees the NEGs.
source "$(dirname "$0")/lib.sh"
interop_require kubectl
interop_require gcloud

start_mock_gcp
start_mock_kube --gke-neg-gcp "$MOCK_URL" --gke-project test-proj \
	--gke-zones us-east1-b,us-east1-c
KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
kubeconfig_write "$KUBECONFIG_FILE"
gcloud_setup

cat >"$INTEROP_TMP/svc.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata:
  name: web-istio-gke
  namespace: shop
  labels: {gateway.networking.k8s.io/gateway-name: web}
  annotations:
    cloud.google.com/neg: '{"exposed_ports":{"80":{"name":"cc1-neg-east-shop-web"}}}'
spec:
  type: ClusterIP
  selector: {gateway.networking.k8s.io/gateway-name: web}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-istio-gke-abc
  namespace: shop
  labels: {kubernetes.io/service-name: web-istio-gke}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
  - addresses: [10.4.0.7]
    conditions: {ready: true}
    nodeName: gke-node-1
    zone: us-east1-b
  - addresses: [10.4.1.9]
    conditions: {ready: true}
    nodeName: gke-node-2
    zone: us-east1-c
YAML
expect_out "service/web-istio-gke created" kctl apply -f "$INTEROP_TMP/svc.yaml"

# the NEG controller works in the background: poll with a bound
status=""
for i in $(seq 1 100); do
	status="$(kctl get service web-istio-gke -n shop \
		-o jsonpath='{.metadata.annotations.cloud\.google\.com/neg-status}' 2>/dev/null || true)"
	[ -n "$status" ] && break
	sleep 0.1
done
INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
grep -q '"cc1-neg-east-shop-web"' <<<"$status" || { echo "FAIL: no neg-status: '$status'" >&2; exit 1; }
grep -q 'us-east1-b' <<<"$status" || { echo "FAIL: neg-status zones: '$status'" >&2; exit 1; }
echo "ok: neg-status $status"

expect_out "cc1-neg-east-shop-web +us-east1-b" \
	gcloud compute network-endpoint-groups list --format='table[no-heading](name,zone.basename())'
expect_out "cc1-neg-east-shop-web +us-east1-c" \
	gcloud compute network-endpoint-groups list --format='table[no-heading](name,zone.basename())'
# endpoints attached in their zones (poll: attach runs after create)
for i in $(seq 1 50); do
	eps="$(gcloud compute network-endpoint-groups list-network-endpoints cc1-neg-east-shop-web \
		--zone us-east1-b --format='value(networkEndpoint.ipAddress)' 2>/dev/null || true)"
	[ "$eps" = "10.4.0.7" ] && break
	sleep 0.2
done
expect_out "^10\.4\.0\.7$" gcloud compute network-endpoint-groups list-network-endpoints \
	cc1-neg-east-shop-web --zone us-east1-b --format='value(networkEndpoint.ipAddress)'
kctl_report
interop_done
