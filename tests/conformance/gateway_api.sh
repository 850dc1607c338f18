#!/usr/bin/env bash
# gateway_api.sh -- the status-only Gateway API conformance tests end to end:
# the upstream manifests (base + each test's) applied with kubectl to
# mock-kube, one `cloudctl run` against mock-gcp serving them, and the status
# the upstream test asserts read back with kubectl -o json + jq, step by step
# where the upstream test edits objects.  The same cases as the unit table in
# tests/unit/core/test_gwstatus.c (test_conformance), run for the class
# istio+gke and for a GatewayClass object naming cloudctl's controller.
#
# Out of scope (as in the unit table): TLSRoute* and TCPRoute* (TLS/TCP
# listeners are UnsupportedProtocol on an L7 HTTP(S) load balancer),
# GatewayInvalidFrontendClientCertificateValidation (spec.tls.frontend not
# implemented), the later steps of GatewayStaticAddresses (address usability
# is the cloud's verdict) and every data-plane (traffic) check.
#
# CC_CONFORMANCE_ONLY=REGEX runs only the matching cases (for debugging).
# Manifests from CC_CONFORMANCE_DIR (default
# $CC_SOURCE_DIR/../shared/gateway-api-conformance); skipped (77) if absent.
source "$(dirname "$0")/../e2e/lib.sh"
interop_require kubectl
interop_require jq
interop_require openssl

CONF="${CC_CONFORMANCE_DIR:-$CC_SOURCE_DIR/../shared/gateway-api-conformance}"
if [ ! -f "$CONF/base/manifests.yaml" ]; then
	echo "SKIP: no conformance manifests in $CONF (set CC_CONFORMANCE_DIR)"
	exit 77
fi
export HOME="$INTEROP_TMP/home"
mkdir -p "$HOME"

INFRA=gateway-conformance-infra
CONTROLLER=cloudctl.dev/gateway-controller
OUR_CLASS=cloudctl-conformance
POLL_S="${CC_CONFORMANCE_POLL_S:-20}" # bound of every status wait

E2E_CLUSTERS=east e2e_setup
start_mock_kube
KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
kubeconfig_write "$KUBECONFIG_FILE"

"$CC_BINARY_DIR/bin/cloudctl" --log=info run --config "$CFG" --kubeconfig "$KUBECONFIG_FILE" \
	>"$INTEROP_TMP/ctl.out" 2>"$INTEROP_TMP/ctl.err" &
CTL=$!
INTEROP_PIDS+=("$CTL")

CLS=""       # the class under test
CASE=""      # the upstream test being run
CASE_OK=1    # no expectation of CASE failed
PASSED=0
TOTAL=0
FAILURES=()

# rewrite FILE: what the upstream applier does (class, controllerName, the
# address pools) into a file of the case's own
rewrite() {
	local out
	out="$INTEROP_TMP/m/$(basename "$1" .yaml).$CLS.yaml"
	mkdir -p "$INTEROP_TMP/m"
	sed -e "s|{GATEWAY_CLASS_NAME}|$CLS|g" -e "s|{GATEWAY_CONTROLLER_NAME}|$CONTROLLER|g" \
		-e 's|PLACEHOLDER_UNUSABLE_ADDRS|198.51.100.7|g' \
		-e 's|PLACEHOLDER_USABLE_ADDRS|192.0.2.10|g' "$1" >"$out"
	echo "$out"
}

# wait_jq DESC KIND NS NAME FILTER [JQ ARGS...]: poll the object until the jq
# filter holds (at most POLL_S seconds); a miss fails the case, not the run
wait_jq() {
	local desc="$1" kind="$2" ns="$3" name="$4" filter="$5" i n json=""
	shift 5
	n=$((POLL_S * 5))
	for ((i = 0; i < n; i++)); do
		if json="$(kctl get "$kind" ${ns:+-n "$ns"} "$name" -o json 2>/dev/null)" &&
			jq -e "$@" "$filter" >/dev/null 2>&1 <<<"$json"; then
			return 0
		fi
		sleep 0.2
	done
	if ! kill -0 "$CTL" 2>/dev/null; then
		echo "FAIL: cloudctl exited" >&2
		tail -60 "$INTEROP_TMP/ctl.err" >&2
		exit 1
	fi
	echo "  FAIL $CASE [$CLS]: $desc; status: $(jq -c .status <<<"${json:-null}" 2>/dev/null)" >&2
	CASE_OK=0
	return 1
}

# condition of OBJ's conditions array at the object's generation
COND='any(.type == $t and .status == $s and .reason == $r and .observedGeneration == $gen)'

# G GATEWAY TYPE STATUS REASON
G() {
	wait_jq "gateway $1: $2=$3/$4" gateway "$INFRA" "$1" \
		'.metadata.generation as $gen | .status.conditions // [] | '"$COND" \
		--arg t "$2" --arg s "$3" --arg r "$4"
}
# L GATEWAY LISTENER TYPE STATUS REASON
L() {
	wait_jq "gateway $1 listener $2: $3=$4/$5" gateway "$INFRA" "$1" \
		'.metadata.generation as $gen | any(.status.listeners[]?; .name == $l and
		   (.conditions | '"$COND"'))' --arg l "$2" --arg t "$3" --arg s "$4" --arg r "$5"
}
# A GATEWAY LISTENER N: attachedRoutes
A() {
	wait_jq "gateway $1 listener $2: attachedRoutes $3" gateway "$INFRA" "$1" \
		'any(.status.listeners[]?; .name == $l and .attachedRoutes == $n)' \
		--arg l "$2" --argjson n "$3"
}
# K GATEWAY LISTENER KINDS: supportedKinds, comma-separated
K() {
	wait_jq "gateway $1 listener $2: supportedKinds [$3]" gateway "$INFRA" "$1" \
		'[.status.listeners[]? | select(.name == $l) | [.supportedKinds[].kind] | join(",")]
		   == [$k]' --arg l "$2" --arg k "$3"
}
# NOL GATEWAY LISTENER: no status for that listener
NOL() {
	wait_jq "gateway $1: no listener $2" gateway "$INFRA" "$1" \
		'.status.listeners // [] | all(.name != $l)' --arg l "$2"
}
# R ROUTE GATEWAY TYPE STATUS REASON [SECTION [NAMESPACE]]: our parent entry
R() {
	wait_jq "httproute $1 parent $2${6:+/$6}: $3=$4/$5" httproute "${7:-$INFRA}" "$1" \
		'.metadata.generation as $gen | any(.status.parents[]?; .parentRef.name == $g and
		   .controllerName == $c and ($sec == "" or .parentRef.sectionName == $sec) and
		   (.conditions | '"$COND"'))' --arg g "$2" --arg t "$3" --arg s "$4" --arg r "$5" \
		--arg sec "${6:-}" --arg c "$CONTROLLER"
}
# C CLASS TYPE STATUS REASON
C() {
	wait_jq "gatewayclass $1: $2=$3/$4" gatewayclass "" "$1" \
		'.metadata.generation as $gen | .status.conditions // [] | '"$COND" \
		--arg t "$2" --arg s "$3" --arg r "$4"
}
# OG KIND NAMESPACE NAME N: generation N and every observedGeneration at N
OG() {
	wait_jq "$1 $3: generation $4, every condition observed at it" "$1" "$2" "$3" \
		'.metadata.generation == $n and
		 ([.status | .. | objects | select(has("observedGeneration")) | .observedGeneration]
		  | length > 0 and all(. == $n))' --argjson n "$4"
}
# ADDR GATEWAY: an address in status
ADDR() {
	wait_jq "gateway $1: status.addresses" gateway "$INFRA" "$1" \
		'(.status.addresses // []) | length > 0 and all(.type != null and .value != "")'
}
AP() { # Accepted and Programmed
	G "$1" Accepted True Accepted
	G "$1" Programmed True Programmed
}

# run_case NAME FILE FUNCTION: apply the test's manifests, run its checks,
# delete them again (waiting until they are gone)
run_case() {
	local f=""
	CASE="$1"
	CASE_OK=1
	if [ -n "$2" ]; then
		f="$(rewrite "$CONF/tests/$2.yaml")"
		kctl apply -f "$f" >/dev/null
	fi
	"$3" || true
	TOTAL=$((TOTAL + 1))
	if [ "$CASE_OK" = 1 ]; then
		PASSED=$((PASSED + 1))
		echo "ok: $CASE [$CLS]"
	else
		FAILURES+=("$CASE [$CLS]")
	fi
	if [ -n "$f" ]; then
		kctl delete -f "$f" --ignore-not-found --wait=true --timeout=60s >/dev/null ||
			{ echo "FAIL: $CASE [$CLS]: its objects were not deleted" >&2; exit 1; }
	fi
}

# --- the cases: the upstream tests' status assertions ----------------------------------------

c_base() {
	AP same-namespace
	AP same-namespace-with-https-listener
	AP all-namespaces
	AP backend-namespaces
	L same-namespace-with-https-listener https-with-wildcard-hostname Programmed True Programmed
	L same-namespace-with-https-listener https ResolvedRefs True ResolvedRefs
}
c_unsupported_protocol() {
	G gateway-only-unsupported-protocols Accepted False ListenersNotValid
	L gateway-only-unsupported-protocols invalid Accepted False UnsupportedProtocol
	K gateway-only-unsupported-protocols invalid ""
	G gateway-supported-and-unsupported-protocols Accepted True ListenersNotValid
	G gateway-supported-and-unsupported-protocols Programmed True Programmed
	L gateway-supported-and-unsupported-protocols http Accepted True Accepted
	L gateway-supported-and-unsupported-protocols invalid Accepted False UnsupportedProtocol
	K gateway-supported-and-unsupported-protocols invalid ""
}
c_invalid_route_kind() {
	L gateway-only-invalid-route-kind http ResolvedRefs False InvalidRouteKinds
	K gateway-only-invalid-route-kind http ""
	A gateway-only-invalid-route-kind http 0
	L gateway-supported-and-invalid-route-kind http ResolvedRefs False InvalidRouteKinds
	K gateway-supported-and-invalid-route-kind http HTTPRoute
	A gateway-supported-and-invalid-route-kind http 0
}
c_invalid_tls() {
	local g
	for g in nonexistent-secret unsupported-group unsupported-kind malformed-secret; do
		L "gateway-certificate-$g" https ResolvedRefs False InvalidCertificateRef
		A "gateway-certificate-$g" https 0
	done
	K gateway-certificate-nonexistent-secret https HTTPRoute,GRPCRoute
}
c_secret_missing_grant() {
	L gateway-secret-missing-reference-grant https ResolvedRefs False RefNotPermitted
	A gateway-secret-missing-reference-grant https 0
	AP gateway-secret-missing-reference-grant
}
c_secret_invalid_grant() {
	L gateway-secret-invalid-reference-grant https ResolvedRefs False RefNotPermitted
	A gateway-secret-invalid-reference-grant https 0
	AP gateway-secret-invalid-reference-grant
}
c_secret_grant_all() {
	local g=gateway-secret-reference-grant-all-in-namespace
	L $g https Programmed True Programmed
	L $g https ResolvedRefs True ResolvedRefs
	L $g https Accepted True Accepted
	AP $g
}
c_secret_grant_specific() {
	local g=gateway-secret-reference-grant-specific
	L $g https Programmed True Programmed
	L $g https ResolvedRefs True ResolvedRefs
	AP $g
}
c_attached_routes() {
	local u=unresolved-gateway-with-one-attached-unresolved-route
	A gateway-with-one-attached-route http 1
	L gateway-with-one-attached-route http Accepted True Accepted
	K gateway-with-one-attached-route http HTTPRoute
	A gateway-with-two-attached-routes http 2
	R http-route-not-accepted gateway-with-two-attached-routes Accepted False NoMatchingListenerHostname
	A $u tls 1
	L $u tls Programmed False Invalid
	L $u tls ResolvedRefs False InvalidCertificateRef
	R http-route-4 $u Accepted True Accepted
	R http-route-4 $u ResolvedRefs False BackendNotFound
}
c_attached_routes_8080() {
	local g=gateway-with-two-listeners-and-one-attached-route
	A $g http 1
	A $g http-unattached 0
	R http-route-4-port-8080 $g Accepted True Accepted
}
c_modify_listeners() {
	A gateway-add-listener https 1
	A gateway-remove-listener https 1
	A gateway-remove-listener http 1
	AP gateway-add-listener
	# step 2: one listener added, one removed (each Gateway at generation 2)
	kctl patch gateway gateway-add-listener -n "$INFRA" --type=json -p \
		'[{"op":"add","path":"/spec/listeners/-","value":{"name":"http","port":80,"protocol":"HTTP","allowedRoutes":{"namespaces":{"from":"All"}}}}]' >/dev/null
	kctl patch gateway gateway-remove-listener -n "$INFRA" --type=json -p \
		'[{"op":"remove","path":"/spec/listeners/0"}]' >/dev/null
	OG gateway "$INFRA" gateway-add-listener 2
	OG gateway "$INFRA" gateway-remove-listener 2
	A gateway-add-listener https 1
	A gateway-add-listener http 1
	A gateway-remove-listener http 1
	NOL gateway-remove-listener https
	AP gateway-add-listener
	AP gateway-remove-listener
}
c_invalid_parameters_ref() {
	G gateway-invalid-parameters-ref Accepted False InvalidParameters
}
c_gateway_generation() {
	local g=gateway-observed-generation-bump
	AP $g
	OG gateway "$INFRA" $g 1
	kctl patch gateway $g -n "$INFRA" --type=json -p \
		'[{"op":"add","path":"/spec/listeners/-","value":{"name":"http-2","hostname":"foo.com","port":8080,"protocol":"HTTP"}}]' >/dev/null
	OG gateway "$INFRA" $g 2
	AP $g
	L $g http-2 Accepted True Accepted
}
c_class_generation() {
	local c=gatewayclass-observed-generation-bump
	C $c Accepted True Accepted
	C $c SupportedVersion True SupportedVersion
	OG gatewayclass "" $c 1
	kctl patch gatewayclass $c --type=merge -p '{"spec":{"description":"new"}}' >/dev/null
	OG gatewayclass "" $c 2
	C $c Accepted True Accepted
}
c_route_generation() {
	local r=observed-generation-bump
	R $r same-namespace Accepted True Accepted
	OG httproute "$INFRA" $r 1
	kctl patch httproute $r -n "$INFRA" --type=json -p \
		'[{"op":"add","path":"/spec/rules/0/matches","value":[{"path":{"type":"PathPrefix","value":"/bump"}}]}]' >/dev/null
	OG httproute "$INFRA" $r 2
	R $r same-namespace Accepted True Accepted
}
c_disallowed_kind() {
	R disallowed-kind tlsroutes-only Accepted False NotAllowedByListeners
	R disallowed-kind tlsroutes-only ResolvedRefs True ResolvedRefs
}
c_hostname_intersection() {
	local g=httproute-hostname-intersection r
	A $g listener-1 2
	A $g listener-2 1
	A $g listener-3 1
	for r in specific-host-matches-listener-specific-host specific-host-matches-listener-wildcard-host \
		wildcard-host-matches-listener-specific-host wildcard-host-matches-listener-wildcard-host; do
		R $r $g Accepted True Accepted
	done
	R no-intersecting-hosts $g Accepted False NoMatchingListenerHostname
	A httproute-hostname-intersection-all listener-1 1
}
c_backendref_unknown_kind() {
	R invalid-backend-ref-unknown-kind same-namespace Accepted True Accepted
	R invalid-backend-ref-unknown-kind same-namespace ResolvedRefs False InvalidKind
}
c_cross_ns_backend_ref() {
	R invalid-cross-namespace-backend-ref same-namespace Accepted True Accepted
	R invalid-cross-namespace-backend-ref same-namespace ResolvedRefs False RefNotPermitted
}
c_cross_ns_parent_ref() {
	local r=invalid-cross-namespace-parent-ref ns=gateway-conformance-web-backend
	R $r same-namespace Accepted False NotAllowedByListeners "" $ns
	R $r same-namespace ResolvedRefs True ResolvedRefs "" $ns
	A same-namespace http 0
}
c_nonexistent_backend() {
	R invalid-nonexistent-backend-ref same-namespace Accepted True Accepted
	R invalid-nonexistent-backend-ref same-namespace ResolvedRefs False BackendNotFound
}
c_parentref_port() {
	R httproute-listener-not-matching-route-port same-namespace Accepted False NoMatchingParent
	A same-namespace http 0
}
c_parentref_section() {
	R httproute-listener-not-matching-section-name same-namespace Accepted False NoMatchingParent
	A same-namespace http 0
}
c_parentref_section_port() {
	local g=gateway-with-one-not-matching-port-and-section-name-route
	R httproute-listener-section-name-not-matching-port $g Accepted False NoMatchingParent
	A $g http 0
}
c_invalid_grant() {
	R reference-grant same-namespace Accepted True Accepted
	R reference-grant same-namespace ResolvedRefs False RefNotPermitted
}
c_grant() {
	R reference-grant same-namespace Accepted True Accepted
	R reference-grant same-namespace ResolvedRefs True ResolvedRefs
}
c_partially_invalid_grant() {
	R invalid-reference-grant same-namespace Accepted True Accepted
	R invalid-reference-grant same-namespace ResolvedRefs False RefNotPermitted
}
c_listener_hostname_matching() {
	local g=httproute-listener-hostname-matching
	R backend-v1 $g Accepted True Accepted listener-1
	R backend-v2 $g Accepted True Accepted listener-2
	R backend-v3 $g Accepted True Accepted listener-3
	R backend-v3 $g Accepted True Accepted listener-4
	A $g listener-1 1
	A $g listener-2 1
	A $g listener-3 1
	A $g listener-4 1
}
c_invalid_tls_backend() {
	local g
	for g in nonexistent-secret unsupported-group unsupported-kind malformed-secret; do
		G "gateway-client-certificate-$g" ResolvedRefs False InvalidClientCertificateRef
	done
	G gateway-client-certificate-nonexistent-secret Accepted True Accepted
	G gateway-client-certificate-missing-reference-grant ResolvedRefs False RefNotPermitted
	G gateway-client-certificate-missing-reference-grant Accepted True Accepted
}
c_static_addresses() {
	G gateway-static-addresses Accepted False UnsupportedAddress
}
c_optional_address() {
	AP gateway-without-address-value
	ADDR gateway-without-address-value
}
c_infrastructure() {
	AP gateway-with-infrastructure-metadata
}

CASES=(
	"BaseManifestsReady||c_base"
	"GatewayListenerUnsupportedProtocol|gateway-invalid-listeners-unsupported-protocol|c_unsupported_protocol"
	"GatewayInvalidRouteKind|gateway-invalid-route-kind|c_invalid_route_kind"
	"GatewayInvalidTLSConfiguration|gateway-invalid-tls-configuration|c_invalid_tls"
	"GatewaySecretMissingReferenceGrant|gateway-secret-missing-reference-grant|c_secret_missing_grant"
	"GatewaySecretInvalidReferenceGrant|gateway-secret-invalid-reference-grant|c_secret_invalid_grant"
	"GatewaySecretReferenceGrantAllInNamespace|gateway-secret-reference-grant-all-in-namespace|c_secret_grant_all"
	"GatewaySecretReferenceGrantSpecific|gateway-secret-reference-grant-specific|c_secret_grant_specific"
	"GatewayWithAttachedRoutes|gateway-with-attached-routes|c_attached_routes"
	"GatewayWithAttachedRoutesWithPort8080|gateway-with-attached-routes-with-port-8080|c_attached_routes_8080"
	"GatewayModifyListeners|gateway-modify-listeners|c_modify_listeners"
	"GatewayInvalidParametersRef|gateway-invalid-parameters-ref|c_invalid_parameters_ref"
	"GatewayObservedGenerationBump|gateway-observed-generation-bump|c_gateway_generation"
	"GatewayClassObservedGenerationBump|gatewayclass-observed-generation-bump|c_class_generation"
	"HTTPRouteObservedGenerationBump|httproute-observed-generation-bump|c_route_generation"
	"HTTPRouteDisallowedKind|httproute-disallowed-kind|c_disallowed_kind"
	"HTTPRouteHostnameIntersection|httproute-hostname-intersection|c_hostname_intersection"
	"HTTPRouteInvalidBackendRefUnknownKind|httproute-invalid-backendref-unknown-kind|c_backendref_unknown_kind"
	"HTTPRouteInvalidCrossNamespaceBackendRef|httproute-invalid-cross-namespace-backend-ref|c_cross_ns_backend_ref"
	"HTTPRouteInvalidCrossNamespaceParentRef|httproute-invalid-cross-namespace-parent-ref|c_cross_ns_parent_ref"
	"HTTPRouteInvalidNonExistentBackendRef|httproute-invalid-nonexistent-backendref|c_nonexistent_backend"
	"HTTPRouteInvalidParentRefNotMatchingListenerPort|httproute-invalid-parentref-not-matching-listener-port|c_parentref_port"
	"HTTPRouteInvalidParentRefNotMatchingSectionName|httproute-invalid-parentref-not-matching-section-name|c_parentref_section"
	"HTTPRouteInvalidParentRefSectionNameNotMatchingPort|httproute-invalid-parentref-section-name-not-matching-port|c_parentref_section_port"
	"HTTPRouteInvalidReferenceGrant|httproute-invalid-reference-grant|c_invalid_grant"
	"HTTPRouteReferenceGrant|httproute-reference-grant|c_grant"
	"HTTPRoutePartiallyInvalidViaInvalidReferenceGrant|httproute-partially-invalid-via-invalid-reference-grant|c_partially_invalid_grant"
	"HTTPRouteListenerHostnameMatching|httproute-listener-hostname-matching|c_listener_hostname_matching"
	"GatewayInvalidTLSBackendConfiguration|gateway-invalid-tls-backend-configuration|c_invalid_tls_backend"
	"GatewayStaticAddresses (step 1)|gateway-static-addresses|c_static_addresses"
	"GatewayOptionalAddressValue|gateway-optional-address-value|c_optional_address"
	"GatewayInfrastructure|gateway-infrastructure|c_infrastructure"
)

# the Secrets the upstream suite generates at setup
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=*.example.com" \
	-addext "subjectAltName=DNS:*.example.com,DNS:secure.test.com" \
	-keyout "$INTEROP_TMP/conf.key" -out "$INTEROP_TMP/conf.crt" >/dev/null 2>&1
GC_OBJ="$INTEROP_TMP/m/class.yaml"
mkdir -p "$INTEROP_TMP/m"
cat >"$GC_OBJ" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: $OUR_CLASS}
spec: {controllerName: $CONTROLLER}
YAML

t0=$(date +%s)
for CLS in istio+gke "$OUR_CLASS"; do
	if [ "$CLS" = "$OUR_CLASS" ]; then
		kctl apply -f "$GC_OBJ" >/dev/null
		CASE="GatewayClass $OUR_CLASS"
		C "$OUR_CLASS" Accepted True Accepted || { echo "FAIL: class not accepted" >&2; exit 1; }
		# mock-kube's Gateway API CRDs carry bundle-version v1.6.1
		C "$OUR_CLASS" SupportedVersion True SupportedVersion ||
			{ echo "FAIL: class SupportedVersion" >&2; exit 1; }
	fi
	# base: applied (re-applied for the second class: the base Gateways move to it)
	kctl apply -f "$(rewrite "$CONF/base/manifests.yaml")" >/dev/null
	kctl create secret tls tls-validity-checks-certificate -n "$INFRA" --cert "$INTEROP_TMP/conf.crt" \
		--key "$INTEROP_TMP/conf.key" --dry-run=client -o yaml | kctl apply -f - >/dev/null
	kctl create secret tls certificate -n gateway-conformance-web-backend --cert "$INTEROP_TMP/conf.crt" \
		--key "$INTEROP_TMP/conf.key" --dry-run=client -o yaml | kctl apply -f - >/dev/null
	for c in "${CASES[@]}"; do
		IFS='|' read -r name file fn <<<"$c"
		[[ "$name" =~ ${CC_CONFORMANCE_ONLY:-.} ]] || continue
		run_case "$name" "$file" "$fn"
	done
done
t1=$(date +%s)

kill -TERM "$CTL"
wait "$CTL" || { echo "FAIL: cloudctl exited $? after SIGTERM" >&2; exit 1; }
echo "out of scope: TLSRoute* (9) and TCPRoute* (3): TLS/TCP listeners are UnsupportedProtocol on an L7 HTTP(S) load balancer"
echo "out of scope: GatewayInvalidFrontendClientCertificateValidation: spec.tls.frontend is not implemented"
echo "out of scope: GatewayStaticAddresses after step 1; every data-plane (traffic) check"
kctl_report
# the Secrets' private key went to mock-gcp as selfManaged.pemPrivateKey and
# must appear in none of cloudctl's output
canary="$(sed -n 2p "$INTEROP_TMP/conf.key")"
if grep -qF -- "$canary" "$INTEROP_TMP/ctl.out" "$INTEROP_TMP/ctl.err"; then
	echo "FAIL: the Secret's private key appears in cloudctl's output" >&2
	exit 1
fi
echo "conformance: $PASSED passed out of $TOTAL ($((TOTAL / 2)) upstream tests x 2 classes: istio+gke, GatewayClass $OUR_CLASS; $((t1 - t0)) s)"
if [ "$PASSED" != "$TOTAL" ]; then
	printf 'FAILED: %s\n' "${FAILURES[@]}" >&2
	grep -v 'level=info' "$INTEROP_TMP/ctl.err" | tail -30 >&2
	exit 1
fi
