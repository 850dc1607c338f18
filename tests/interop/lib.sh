# lib.sh -- shared helpers for the interop tests (sourced, not run).
#
#   interop_require gcloud        skip (exit 77) or, with CC_REQUIRE_INTEROP=1, fail
#   start_mock_gcp [ARGS...]      start build/bin/mock-gcp on a free port; sets MOCK_URL
#   gcloud_setup                  throwaway CLOUDSDK_CONFIG pointing at MOCK_URL
#   expect_out PATTERN CMD...     run CMD; it must succeed and print PATTERN (grep -E)
#   expect_fail PATTERN CMD...    run CMD; it must fail and print PATTERN (grep -E)
#   mock_get PATH                 GET an admin/API path on the mock (stdout)
set -euo pipefail

CC_BINARY_DIR="${CC_BINARY_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build" && pwd)}"
INTEROP_TMP="$(mktemp -d /tmp/cloudctl-interop.XXXXXX)"
INTEROP_PIDS=()
INTEROP_CHECKS=0

interop_cleanup() {
	local pid
	for pid in "${INTEROP_PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$INTEROP_TMP"
}
trap interop_cleanup EXIT

interop_require() {
	if ! command -v "$1" >/dev/null 2>&1; then
		if [ "${CC_REQUIRE_INTEROP:-0}" = 1 ]; then
			echo "FAIL: $1 is not installed and CC_REQUIRE_INTEROP=1" >&2
			exit 1
		fi
		echo "SKIP: $1 is not installed"
		exit 77
	fi
}

start_mock_gcp() {
	local out="$INTEROP_TMP/mock-gcp.out"
	"$CC_BINARY_DIR/bin/mock-gcp" --port 0 "$@" >"$out" 2>"$INTEROP_TMP/mock-gcp.err" &
	INTEROP_PIDS+=($!)
	local i
	for i in $(seq 1 100); do
		MOCK_URL="$(head -n1 "$out" 2>/dev/null || true)"
		[ -n "$MOCK_URL" ] && break
		sleep 0.05
	done
	if [ -z "$MOCK_URL" ]; then
		echo "FAIL: mock-gcp did not start" >&2
		cat "$INTEROP_TMP/mock-gcp.err" >&2
		exit 1
	fi
	export MOCK_URL
}

gcloud_setup() {
	export CLOUDSDK_CONFIG="$INTEROP_TMP/gcloud"
	mkdir -p "$CLOUDSDK_CONFIG"
	echo False >"$CLOUDSDK_CONFIG/gce"
	export CLOUDSDK_CORE_PROJECT="${GCLOUD_PROJECT:-test-proj}"
	export CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE="$MOCK_URL/compute/v1/"
	export CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS="$MOCK_URL/dns/v1/"
	export CLOUDSDK_API_ENDPOINT_OVERRIDES_CERTIFICATEMANAGER="$MOCK_URL/"
	export CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true
	export CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true
	export CLOUDSDK_SURVEY_DISABLE_PROMPTS=true
	export CLOUDSDK_CORE_DISABLE_PROMPTS=1
	if [ "${GCLOUD_AUTH:-none}" = none ]; then
		export CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true
	fi
}

expect_out() {
	local pat="$1"; shift
	local out rc=0
	out="$("$@" 2>&1)" || rc=$?
	INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
	if [ $rc -ne 0 ]; then
		echo "FAIL: '$*' exited $rc:" >&2
		echo "$out" >&2
		exit 1
	fi
	if ! grep -Eq -- "$pat" <<<"$out"; then
		echo "FAIL: '$*' did not print /$pat/:" >&2
		echo "$out" >&2
		exit 1
	fi
	echo "ok: $*"
}

expect_fail() {
	local pat="$1"; shift
	local out rc=0
	out="$("$@" 2>&1)" || rc=$?
	INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
	if [ $rc -eq 0 ]; then
		echo "FAIL: '$*' succeeded but should have failed:" >&2
		echo "$out" >&2
		exit 1
	fi
	if ! grep -Eq -- "$pat" <<<"$out"; then
		echo "FAIL: '$*' failed without printing /$pat/:" >&2
		echo "$out" >&2
		exit 1
	fi
	echo "ok (refused): $*"
}

mock_get() {
	curl -sf "$MOCK_URL$1"
}

interop_done() {
	echo "$INTEROP_CHECKS passed, 0 failed"
}

# --- mock-kube ----------------------------------------------------------------
#   start_mock_kube [ARGS...]     start build/bin/mock-kube on a free port over HTTPS
#                                 with a throwaway self-signed certificate and a
#                                 bearer token; sets KUBE_URL, KUBE_TOKEN, KUBE_CA
#                                 (KUBE_URLS: every URL, for --clusters N)
#   kubeconfig_write FILE [URL] [TOKEN] [NS]   kubeconfig for kubectl against it
#   kube_get PATH                 GET an admin/API path on mock-kube (stdout)
#   kctl ARGS...                  kubectl with the test's kubeconfig (KUBECONFIG_FILE)
#                                 and a fresh cache dir; each run is timed into
#                                 $INTEROP_TMP/kctl-times (works inside $(...))
#   kctl_report                   print how many kubectl runs and their total time

kube_make_cert() {
	KUBE_CA="$INTEROP_TMP/kube-tls.crt"
	[ -f "$KUBE_CA" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$INTEROP_TMP/kube-tls.key" -out "$KUBE_CA" >/dev/null 2>&1
}

start_mock_kube() {
	local out="$INTEROP_TMP/mock-kube.out" i
	kube_make_cert
	KUBE_TOKEN="${KUBE_TOKEN:-tok-$RANDOM$RANDOM}"
	"$CC_BINARY_DIR/bin/mock-kube" --port 0 --tls-cert "$KUBE_CA" \
		--tls-key "$INTEROP_TMP/kube-tls.key" --token "$KUBE_TOKEN" "$@" \
		>"$out" 2>"$INTEROP_TMP/mock-kube.err" &
	INTEROP_PIDS+=($!)
	KUBE_URL=""
	for i in $(seq 1 100); do
		KUBE_URL="$(head -n1 "$out" 2>/dev/null || true)"
		[ -n "$KUBE_URL" ] && break
		sleep 0.05
	done
	if [ -z "$KUBE_URL" ]; then
		echo "FAIL: mock-kube did not start" >&2
		cat "$INTEROP_TMP/mock-kube.err" >&2
		exit 1
	fi
	sleep 0.1
	KUBE_URLS="$(cat "$out")"
	export KUBE_URL KUBE_URLS KUBE_TOKEN KUBE_CA
}

kubeconfig_write() {
	local file="$1" url="${2:-$KUBE_URL}" token="${3:-$KUBE_TOKEN}" ns="${4:-default}"
	cat >"$file" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: mock
  cluster:
    server: $url
    certificate-authority: $KUBE_CA
users:
- name: u
  user:
    token: $token
contexts:
- name: mock
  context: {cluster: mock, user: u, namespace: $ns}
current-context: mock
KCFG
}

kube_get() {
	curl -sf --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_TOKEN" "$KUBE_URL$1"
}

kctl() {
	local t0 t1 rc=0
	t0=$(date +%s%N)
	kubectl --kubeconfig "$KUBECONFIG_FILE" --cache-dir "$INTEROP_TMP/kcache" "$@" || rc=$?
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $*" >>"$INTEROP_TMP/kctl-times"
	return $rc
}

kctl_report() {
	[ -f "$INTEROP_TMP/kctl-times" ] || return 0
	awk '{n++; t+=$1; if ($1>m) {m=$1; c=$0}} END {printf "kubectl: %d runs, %d ms total, %d ms mean, slowest: %s ms\n", n, t, n ? t/n : 0, c}' "$INTEROP_TMP/kctl-times"
}
