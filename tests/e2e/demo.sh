#!/usr/bin/env bash
# demo.sh -- `cloudctl demo`, the quickstart's first command: a run to the
# end prints the summary (an IPv4 address, the certificate's state, the A
# record, both clusters with their NEGs, cc1- resource names, a non-zero
# API call count) and removes its temp dir; `--keep` leaves a working
# kubeconfig until SIGINT, after which no helper process and no temp dir
# remain (exit 130); SIGINT during startup does the same; a Gateway that is
# not Programmed in time gives the diagnosis and exit 1; missing mocks are
# named.
source "$(dirname "$0")/lib.sh"

export TMPDIR="$INTEROP_TMP"
DEMO_OUT="$INTEROP_TMP/demo.out"
# the binary itself (not lib.sh's cloudctl function) so that $! is its pid
DEMO="$CC_BINARY_DIR/bin/cloudctl"

no_tmp_left() { ! compgen -G "$INTEROP_TMP/cloudctl-demo.*" >/dev/null; }
# the helper processes of a demo pid, "pid comm" per line
children_of() { ps -o pid=,comm= --ppid "$1" 2>/dev/null || true; }
demo_fail() {
	echo "FAIL: $*" >&2
	cat "$DEMO_OUT" >&2 2>/dev/null || true
	exit 1
}

# --- a run to the end -------------------------------------------------------
rc=0
cloudctl demo --timeout 120 >"$DEMO_OUT" 2>&1 || rc=$?
[ "$rc" = 0 ] || demo_fail "cloudctl demo exited $rc"
check "cloudctl demo exits 0"
ip="$(sed -nE 's/^  address +([0-9]{1,3}(\.[0-9]{1,3}){3}) .*/\1/p' "$DEMO_OUT")"
[ -n "$ip" ] || demo_fail "no IPv4 address line"
check "address $ip"
grep -Eq '^  certificate +cc1-[a-z0-9-]+: (ACTIVE|PROVISIONING) .*www\.demo\.example\.com' "$DEMO_OUT" ||
	demo_fail "no certificate state line"
check "certificate state: $(sed -nE 's/^  certificate +[^:]+: ([A-Z]+).*/\1/p' "$DEMO_OUT")"
grep -Eq "^ +www\.demo\.example\.com\. A [0-9]+ $ip\$" "$DEMO_OUT" || demo_fail "no A record for www.demo.example.com -> $ip"
check "A record www.demo.example.com. -> $ip"
for c in east west; do
	neg="$(awk -v c="$c" '$1 == "cluster" {cur = $2} cur == c && / NEG cc1-neg-/ {for (i = 1; i <= NF; i++) if ($i == "NEG") {print $(i + 1); exit}}' "$DEMO_OUT")"
	[ -n "$neg" ] || demo_fail "cluster $c listed without a NEG"
	# the NEG exists in the cloud resource list too
	grep -Eq "^    compute networkEndpointGroups +${neg%,} " "$DEMO_OUT" || demo_fail "NEG $neg of $c not among the cloud resources"
	check "cluster $c with NEG ${neg%,}"
	# the controller deployed the cluster's gateway and it is ready
	awk -v c="$c" '$1 == "cluster" {cur = $2} cur == c' "$DEMO_OUT" |
		grep -Eq '^    Deployment demo/web-istio +1/1 available' || demo_fail "cluster $c: no ready gateway Deployment"
	awk -v c="$c" '$1 == "cluster" {cur = $2} cur == c' "$DEMO_OUT" |
		grep -Eq '^    Gateway +demo/web-istio +class istio' || demo_fail "cluster $c: no child Gateway"
	check "cluster $c: gateway Deployment ready, child Gateway of class istio"
done
grep -Eq 'BackendsReady +True +ClustersReady: east: ready, NEG .*; west: ready, NEG ' "$DEMO_OUT" ||
	demo_fail "no per-cluster readiness in the progress"
check "progress shows both clusters ready"
calls="$(sed -nE 's/^  API calls +([0-9]+) to mock-gcp.*/\1/p' "$DEMO_OUT")"
[ -n "$calls" ] && [ "$calls" -gt 0 ] || demo_fail "no API call count"
check "$calls API calls"
names="$(sed -nE 's/^    (compute|certificatemanager) [a-zA-Z]+ +([^ ]+).*/\2/p' "$DEMO_OUT")"
[ "$(wc -l <<<"$names")" -ge 8 ] || demo_fail "too few cloud resources listed"
bad="$(grep -v '^cc1-' <<<"$names" || true)"
[ -z "$bad" ] || demo_fail "resource names not starting with cc1-: $bad"
check "$(wc -l <<<"$names") cloud resources, all named cc1-*"
no_tmp_left || demo_fail "temp dir left: $(ls -d "$INTEROP_TMP"/cloudctl-demo.*)"
check "temp dir removed"

# --- --keep, then SIGINT ----------------------------------------------------
"$DEMO" demo --keep >"$DEMO_OUT" 2>&1 &
demo=$!
INTEROP_PIDS+=("$demo") # on a failed check the cleanup's SIGTERM stops it all
for i in $(seq 1 600); do
	grep -q '^Press Ctrl-C' "$DEMO_OUT" && break
	kill -0 "$demo" 2>/dev/null || demo_fail "demo --keep exited early"
	sleep 0.1
done
grep -q '^Press Ctrl-C' "$DEMO_OUT" || demo_fail "demo --keep printed no explore hints in 60 s"
kc="$(sed -nE 's/^  export KUBECONFIG=(.*)/\1/p' "$DEMO_OUT")"
tmpdir="$(dirname "$kc")"
[ -f "$kc" ] || demo_fail "printed KUBECONFIG '$kc' does not exist"
kids="$(children_of "$demo")"
for p in mock-gcp mock-kube cloudctl; do
	grep -q " $p\$" <<<"$kids" || demo_fail "no $p child while running: $kids"
done
check "--keep: mock-gcp, mock-kube and the controller running ($(wc -l <<<"$kids") children)"
if command -v kubectl >/dev/null; then
	KUBECONFIG="$kc" kubectl --cache-dir "$INTEROP_TMP/kcache" --context demo-east get gateway web -n demo -o json |
		jq -e --arg ip "$ip" '.status.addresses[0].value | test("^[0-9.]+$")' >/dev/null ||
		demo_fail "kubectl get gateway via the printed KUBECONFIG"
	KUBECONFIG="$kc" kubectl --cache-dir "$INTEROP_TMP/kcache" --context demo-west get service -n demo \
		-l app.kubernetes.io/managed-by=cloudctl -o name | grep -q . || demo_fail "kubectl on demo-west"
	check "kubectl works with the printed KUBECONFIG (demo-east and demo-west)"
elif [ "${CC_REQUIRE_INTEROP:-0}" = 1 ]; then
	demo_fail "kubectl is not installed and CC_REQUIRE_INTEROP=1"
else
	echo "skip: kubectl not installed: the printed KUBECONFIG is not exercised"
fi
kill -INT "$demo"
rc=0
wait "$demo" || rc=$?
[ "$rc" = 130 ] || demo_fail "exit $rc after SIGINT, expected 130"
check "SIGINT: exit 130"
while read -r pid comm; do
	[ -n "$pid" ] || continue
	! kill -0 "$pid" 2>/dev/null || demo_fail "$comm (pid $pid) still running after the demo exited"
done <<<"$kids"
[ ! -e "$tmpdir" ] || demo_fail "temp dir $tmpdir left after SIGINT"
check "no helper process and no temp dir left"

# --- SIGINT during startup --------------------------------------------------
"$DEMO" demo >"$DEMO_OUT" 2>&1 &
demo=$!
INTEROP_PIDS+=("$demo")
for i in $(seq 1 100); do
	kids="$(children_of "$demo")"
	[ -n "$kids" ] && break
	sleep 0.01
done
kill -INT "$demo"
rc=0
wait "$demo" || rc=$?
[ "$rc" = 130 ] || demo_fail "exit $rc after SIGINT during startup, expected 130"
while read -r pid comm; do
	[ -n "$pid" ] || continue
	! kill -0 "$pid" 2>/dev/null || demo_fail "$comm (pid $pid) still running"
done <<<"$kids"
no_tmp_left || demo_fail "temp dir left after SIGINT during startup"
check "SIGINT during startup (children then: $(wc -l <<<"$kids")): exit 130, nothing left"

# --- not Programmed in time: the diagnosis ----------------------------------
# mock-gcp's compute operations stay RUNNING for a minute, so the
# controller cannot finish within the 2 s timeout
slow="$INTEROP_TMP/slow-mocks"
mkdir -p "$slow"
printf '#!/bin/sh\nexec "%s" --op-latency-ms 60000 "$@"\n' "$CC_BINARY_DIR/bin/mock-gcp" >"$slow/mock-gcp"
ln -s "$CC_BINARY_DIR/bin/mock-kube" "$slow/mock-kube"
chmod +x "$slow/mock-gcp"
run_rc 1 'timed out after 2 s waiting for Programmed=True' cloudctl demo --timeout 2 --mocks-dir "$slow"
grep -q '^Gateway demo/web conditions:' <<<"$LAST_OUT" || demo_fail "no Gateway conditions in: $LAST_OUT"
grep -Eq '^  Programmed +(False|Unknown) ' <<<"$LAST_OUT" || demo_fail "no Programmed condition in: $LAST_OUT"
grep -q '^controller log (last [0-9]* lines of ' <<<"$LAST_OUT" || demo_fail "no controller log in: $LAST_OUT"
no_tmp_left || demo_fail "temp dir left after the timeout"
check "timeout: conditions and the controller log, exit 1, temp dir removed"

# --- missing mocks ----------------------------------------------------------
run_rc 1 "cannot find 'mock-gcp' and 'mock-kube' in '$INTEROP_TMP/none'" cloudctl demo --mocks-dir "$INTEROP_TMP/none"
run_rc 2 'unexpected argument' cloudctl demo --bogus
run_ok '--mocks-dir DIR' cloudctl demo --help
e2e_done
