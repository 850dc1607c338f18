#!/usr/bin/env bash
# gcloud_tls.sh -- mock-gcp served over HTTPS (--tls-cert/--tls-key): gcloud
# verifies the mock's certificate against a CA file (core/custom_ca_certs_file)
# and works as over HTTP; a client without the CA refuses the connection.
source "$(dirname "$0")/lib.sh"
interop_require gcloud
interop_require openssl

kube_make_cert # a throwaway self-signed certificate for 127.0.0.1
start_mock_gcp --tls-cert "$KUBE_CA" --tls-key "$INTEROP_TMP/kube-tls.key"
case "$MOCK_URL" in
https://*) echo "ok: mock-gcp serves $MOCK_URL" ;;
*) echo "FAIL: expected an https URL, got $MOCK_URL" >&2; exit 1 ;;
esac
gcloud_setup

# without the CA a client refuses the mock's certificate
expect_fail "certificate|SSL" curl -sS "$MOCK_URL/dns/v1/projects/test-proj/managedZones"

# gcloud takes the CA from core/custom_ca_certs_file; the environment may
# already set that property and the requests/httplib2 bundles, so set them all
export CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE="$KUBE_CA" REQUESTS_CA_BUNDLE="$KUBE_CA" \
	HTTPLIB2_CA_CERTS="$KUBE_CA" CURL_CA_BUNDLE="$KUBE_CA" SSL_CERT_FILE="$KUBE_CA"
expect_out "Created \[https://127.0.0.1:[0-9]+/dns/v1/projects/test-proj/managedZones/tlszone\]" gcloud dns managed-zones create tlszone --dns-name tls.example.com. \
	--description "over https" --format='value(name)' --quiet
expect_out "^tlszone +tls.example.com." \
	gcloud dns managed-zones list --format='table[no-heading](name,dnsName)'
expect_out "Created \[.*/global/addresses/tls-ip\]" \
	gcloud compute addresses create tls-ip --global
expect_out "^tls-ip" gcloud compute addresses list --global --format='value(name)'

# the raw API over TLS, as a client with the CA would see it
out="$(curl -sf --cacert "$KUBE_CA" "$MOCK_URL/dns/v1/projects/test-proj/managedZones/tlszone")"
grep -q '"dnsName":"tls.example.com."' <<<"$out" || { echo "FAIL: zone over TLS: $out" >&2; exit 1; }
INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
interop_done
