# lib.sh -- helpers for the cloudctl end-to-end tests (sourced).
#
#   e2e_setup [MOCK-GCP ARGS...]   start mock-gcp, a DNS zone and GKE's NEGs for
#                                  fixtures/plan/basic; a config in $CFG
#   cloudctl ARGS...               the program under test
#   counters                      "reads mutating" totals from the mock
#   owned                         resources carrying this fleet's mark, one per line
#   run_ok PATTERN CMD...         must exit 0 and print PATTERN
#   run_rc RC PATTERN CMD...      must exit RC and print PATTERN
source "$(dirname "${BASH_SOURCE[0]}")/../interop/lib.sh"

CC_SOURCE_DIR="${CC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
FIX="$CC_SOURCE_DIR/fixtures/plan/basic"
CHECKS=0

cloudctl() { "$CC_BINARY_DIR/bin/cloudctl" "$@"; }

# POST to the mock (with $SETUP_TOKEN as a bearer when set: --require-auth)
post() {
	curl -sf -X POST -H 'Content-Type: application/json' \
		${SETUP_TOKEN:+-H "Authorization: Bearer $SETUP_TOKEN"} "$MOCK_URL$1" -d "$2" >/dev/null
}

# the NEGs GKE would have made for the fixture's gateway Services
make_negs() {
	local z
	for z in us-east1-b us-east1-c; do
		post "/compute/v1/projects/test-proj/zones/$z/networkEndpointGroups" \
			'{"name":"cc1-neg-east-shop-web","networkEndpointType":"GCE_VM_IP_PORT","network":"global/networks/default","defaultPort":80}'
	done
	post "/compute/v1/projects/test-proj/zones/europe-west1-b/networkEndpointGroups" \
		'{"name":"cc1-neg-west-shop-web","networkEndpointType":"GCE_VM_IP_PORT","network":"global/networks/default","defaultPort":80}'
}

# config: the fixture's, pointed at the mock; $1 = clusters to keep (default all)
write_config() {
	local out="$INTEROP_TMP/cfg/cloudctl.yaml"
	mkdir -p "$INTEROP_TMP/cfg"
	cp -r "$FIX/clusters" "$INTEROP_TMP/cfg/"
	sed -e '/^credentials:/,$d' "$FIX/cloudctl.yaml" >"$out"
	cat >>"$out" <<CFG
endpoints:
  compute: $MOCK_URL/compute/v1/
  certificatemanager: $MOCK_URL/
  dns: $MOCK_URL/dns/v1/
  token: $MOCK_URL/token
credentials:
  type: none
rateLimits: {computeRead: 1000, computeMutate: 1000, computeOperations: 1000, certificateManager: 1000, dns: 1000}
CFG
	if [ "${1:-}" = east ]; then
		python3 - "$out" <<'PY'
import sys,re
p=sys.argv[1]; s=open(p).read()
s=re.sub(r"  - name: west\n(    .*\n)*", "", s)
open(p,'w').write(s)
PY
	fi
	CFG="$out"
}

e2e_setup() {
	start_mock_gcp "$@"
	post "/dns/v1/projects/test-proj/managedZones" \
		'{"name":"example-com","dnsName":"example.com.","description":"demo zone","visibility":"public"}'
	make_negs
	write_config "${E2E_CLUSTERS:-}"
	GW="$FIX/gateways.yaml"
}

counters() {
	curl -sf "$MOCK_URL/_mock/counters" | jq -r '"\(.total.read) \(.total.mutating)"'
}

owned() {
	curl -sf "$MOCK_URL/_mock/state" | jq -r '
	  ([.compute.resources[]? | select((.resource.description // "") | contains("cloudctl.dev/owner")) | "compute \(.collection) \(.name)"]
	  + [.certmgr | to_entries[]? | select(.value | type == "array") | .key as $k | .value[]?
	     | select(((.r.description // "") | contains("cloudctl.dev/owner"))) | "certmgr \($k) \(.r.name)"]
	  + [.dns.zones[]?.rrsets[]? | select(.type != "NS" and .type != "SOA") | "dns \(.name) \(.type)"])[]'
}

run_rc() {
	local want="$1" pat="$2"; shift 2
	local out rc=0
	out="$("$@" 2>&1)" || rc=$?
	CHECKS=$((CHECKS + 1))
	if [ "$rc" != "$want" ]; then
		echo "FAIL: '$*' exited $rc, expected $want:" >&2
		echo "$out" >&2
		exit 1
	fi
	if [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$out"; then
		echo "FAIL: '$*' did not print /$pat/:" >&2
		echo "$out" >&2
		exit 1
	fi
	LAST_OUT="$out"
	echo "ok: $*"
}

run_ok() { run_rc 0 "$@"; }

e2e_done() {
	echo "$CHECKS passed, 0 failed"
}

# --- the controller (cloudctl run) tests ------------------------------------
#
#   ctl_setup [MOCK-GCP ARGS...]  e2e_setup + mock-kube (HTTPS + token) + a kubeconfig
#   start_ctl [RUN ARGS...]       cloudctl run in the background (--resync $CTL_RESYNC, default 2); $CTL
#   check WHAT                    count a passed check
#   fail WHAT                     report the controller's last log lines and stop
#   until_ok WHAT CMD...          poll CMD until it succeeds (at most 30 s)
ctl_setup() {
	e2e_setup "$@"
	start_mock_kube
	KUBECONFIG_FILE="$INTEROP_TMP/kubeconfig"
	kubeconfig_write "$KUBECONFIG_FILE"
	CTL=""
}

start_ctl() {
	"$CC_BINARY_DIR/bin/cloudctl" --log=info run --config "$CFG" --kubeconfig "$KUBECONFIG_FILE" \
		--resync "${CTL_RESYNC:-2}" "$@" >>"$INTEROP_TMP/ctl.out" 2>>"$INTEROP_TMP/ctl.err" &
	CTL=$!
	INTEROP_PIDS+=("$CTL")
}

fail() {
	echo "FAIL: $*" >&2
	[ -f "$INTEROP_TMP/backends.last" ] && echo "backends: $(cat "$INTEROP_TMP/backends.last")" >&2
	[ -n "${DEBUG_GW:-}" ] && kctl get gateway -A -o json | jq -c '.items[] | [.metadata.name, .status]' >&2
	tail -40 "$INTEROP_TMP/ctl.err" >&2
	exit 1
}

check() { CHECKS=$((CHECKS + 1)); echo "ok: $*"; }

until_ok() {
	local what="$1" i
	shift
	for i in $(seq 1 300); do
		"$@" >/dev/null 2>&1 && { check "$what"; return 0; }
		sleep 0.1
	done
	fail "$what: not reached in 30 s"
}
