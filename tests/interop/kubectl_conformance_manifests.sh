#!/usr/bin/env bash
# kubectl_conformance_manifests.sh -- the Gateway API conformance manifests
# (base, plus route and ReferenceGrant tests) applied to mock-kube with kubectl,
# listed, re-applied unchanged and deleted.  Reads them from CC_CONFORMANCE_DIR
# (default $CC_SOURCE_DIR/../shared/gateway-api-conformance); skipped if absent.
source "$(dirname "$0")/lib.sh"
interop_require kubectl
interop_require openssl

CONF="${CC_CONFORMANCE_DIR:-${CC_SOURCE_DIR:-$(dirname "$0")/../..}/../shared/gateway-api-conformance}"
if [ ! -f "$CONF/base/manifests.yaml" ]; then
	echo "SKIP: no conformance manifests in $CONF"
	exit 77
fi
export HOME="$INTEROP_TMP/home"
mkdir -p "$HOME"
start_mock_kube
KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
kubeconfig_write "$KUBECONFIG_FILE"

expect_out "namespace/gateway-conformance-infra created" kctl apply -f "$CONF/base/manifests.yaml"
expect_out "unchanged" kctl apply -f "$CONF/base/manifests.yaml"
expect_out "gateway-conformance-infra +same-namespace " kctl get gateways -A
expect_out "gateway-conformance-infra +infra-backend-v1 +ClusterIP" kctl get svc -A
expect_out "infra-backend-v1" kctl get deploy -n gateway-conformance-infra
expect_out "^Same$" kctl get gateway same-namespace -n gateway-conformance-infra \
	-o jsonpath='{.spec.listeners[0].allowedRoutes.namespaces.from}'
for t in httproute-reference-grant httproute-simple-same-namespace grpcroute-exact-method-matching; do
	[ -f "$CONF/tests/$t.yaml" ] || continue
	expect_out "created" kctl apply -f "$CONF/tests/$t.yaml"
done
if [ -f "$CONF/tests/httproute-reference-grant.yaml" ]; then
	expect_out "reference-grant" kctl get referencegrants -A
	expect_out "^gateway.networking.k8s.io/v1$" kctl get referencegrant reference-grant \
		-n gateway-conformance-web-backend -o jsonpath='{.apiVersion}'
	expect_out "^Gateway$" kctl get httproute reference-grant -n gateway-conformance-infra \
		-o jsonpath='{.spec.parentRefs[0].kind}'
fi
# the namespaces come first in the file: their contents are still there
# (Terminating) when kubectl deletes them next, as on a real cluster
expect_out "deleted" kctl delete -f "$CONF/base/manifests.yaml" --timeout=60s
expect_fail "NotFound|not found" kctl get ns gateway-conformance-infra

kctl_report
interop_done
