#!/usr/bin/env bash
# gcloud_compute.sh -- the real gcloud drives mock-gcp's Compute API: every
# collection created, described, listed (with --filter), updated and
# deleted; a whole load-balancer chain with deletes refused while
# references remain; multi-resource (batch) commands; operation faults and
# quotas; and --state surviving a restart.
source "$(dirname "$0")/lib.sh"
interop_require gcloud
interop_require jq

T0=$(date +%s.%N)
STATE="$INTEROP_TMP/state.json"
# certificates stay PROVISIONING until the test forces them
start_mock_gcp --state "$STATE" --op-latency-ms 200 --cert-latency-ms 600000
gcloud_setup

G="gcloud compute"
Z=us-central1-a
L=https://www.googleapis.com/compute/v1/projects/test-proj
# gc -- gcloud, counted (expect_* run it in a subshell, hence the file)
gc() { echo >>"$INTEROP_TMP/ncmd"; gcloud "$@"; }

# expect_exact EXPECTED CMD... -- the command's stdout must be exactly EXPECTED
expect_exact() {
	local want="$1"; shift
	local out rc=0
	out="$("$@" 2>"$INTEROP_TMP/stderr")" || rc=$?
	INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
	if [ $rc -ne 0 ] || [ "$out" != "$want" ]; then
		echo "FAIL: '$*' (exit $rc) printed:" >&2
		echo "$out" >&2
		cat "$INTEROP_TMP/stderr" >&2
		echo "expected:" >&2
		echo "$want" >&2
		exit 1
	fi
	echo "ok: $*"
}

admin() { curl -sf -X "$1" "$MOCK_URL/_mock/compute/$2" ${3:+-d "$3"}; }

# --- addresses (single and batch), filters, labels ----------------------------
expect_out "Created \[$L/global/addresses/lb-ip\]" gc compute addresses create lb-ip --global
expect_fail "The resource 'projects/test-proj/global/addresses/lb-ip' already exists" \
	gc compute addresses create lb-ip --global
expect_exact "RESERVED" gc compute addresses describe lb-ip --global --format='value(status)'
expect_out "Created \[$L/global/addresses/p1\].*" gc compute addresses create p1 p2 --global
expect_exact "p1" gc compute addresses list --global --filter='name=p1' --format='value(name)'
expect_exact $'lb-ip\np2' gc compute addresses list --global --filter='name!=p1' \
	--format='value(name)'
expect_exact $'p1\np2' gc compute addresses list --global --filter='name~^p[0-9]$' \
	--format='value(name)'
expect_exact "p2" gc compute addresses list --global \
	--filter='name=p2 AND status=RESERVED' --format='value(name)'
expect_out "Updating labels of address \[p1\]" \
	gc beta compute addresses update p1 --global --update-labels env=prod
expect_exact "p1" gc compute addresses list --global --filter='labels.env=prod' \
	--format='value(name)'
expect_out "Deleted \[$L/global/addresses/p2\]" gc compute addresses delete p1 p2 --global
expect_exact "lb-ip" gc compute addresses list --global --format='value(name)'

# --- health check ----------------------------------------------------------------
expect_out "Created \[$L/global/healthChecks/hc1\]" gc compute health-checks create http hc1 \
	--port 8080 --request-path /healthz --check-interval 10s
expect_exact $'10\t8080\t/healthz\t5' gc compute health-checks describe hc1 \
	--format='value(checkIntervalSec,httpHealthCheck.port,httpHealthCheck.requestPath,timeoutSec)'
expect_out "Updated \[$L/global/healthChecks/hc1\]" gc compute health-checks update http hc1 --port 9090
expect_exact "hc1 HTTP" gc compute health-checks list --filter='name=hc1' \
	--format='value[separator=" "](name,type)'

# --- network endpoint group --------------------------------------------------------
expect_out "Created \[$L/zones/$Z/networkEndpointGroups/neg1\]" \
	gc compute network-endpoint-groups create neg1 --zone $Z \
	--network-endpoint-type gce-vm-ip-port --network default --subnet default --default-port 8080
expect_out "Attaching 2 endpoints to \[neg1\]" gc compute network-endpoint-groups update neg1 \
	--zone $Z --add-endpoint instance=vm1,ip=10.0.0.5,port=8080 \
	--add-endpoint instance=vm2,ip=10.0.0.6
expect_out "Detaching 1 endpoints from \[neg1\]" gc compute network-endpoint-groups update neg1 \
	--zone $Z --remove-endpoint instance=vm2,ip=10.0.0.6,port=8080
expect_exact $'vm1\t10.0.0.5\t8080' gc compute network-endpoint-groups list-network-endpoints \
	neg1 --zone $Z --format='value(networkEndpoint.instance,networkEndpoint.ipAddress,networkEndpoint.port)'
expect_exact $'neg1\tus-central1-a\t1' gc compute network-endpoint-groups list \
	--format='value(name,zone.basename(),size)'
expect_exact "$L/global/networks/default" gc compute network-endpoint-groups describe neg1 \
	--zone $Z --format='value(network)'

# --- backend service -----------------------------------------------------------------
expect_out "Created \[$L/global/backendServices/bs1\]" gc compute backend-services create bs1 \
	--global --load-balancing-scheme EXTERNAL_MANAGED --protocol HTTP --health-checks hc1 \
	--port-name http
expect_out "Updated \[$L/global/backendServices/bs1\]" gc compute backend-services add-backend \
	bs1 --global --network-endpoint-group neg1 --network-endpoint-group-zone $Z \
	--balancing-mode RATE --max-rate-per-endpoint 100 --capacity-scaler 0.5
expect_out "Updated \[$L/global/backendServices/bs1\]" \
	gc compute backend-services update bs1 --global --timeout 60s
expect_exact $'60\t0.5\tRATE' gc compute backend-services describe bs1 --global \
	--format='value(timeoutSec,backends[0].capacityScaler,backends[0].balancingMode)'
expect_out "healthState: HEALTHY" gc compute backend-services get-health bs1 --global
expect_exact "bs1" gc compute backend-services list \
	--filter='loadBalancingScheme=EXTERNAL_MANAGED' --format='value(name)'

# --- url maps ----------------------------------------------------------------------------
expect_out "Created \[$L/global/urlMaps/um1\]" gc compute url-maps create um1 --default-service bs1
expect_out "Updated \[$L/global/urlMaps/um1\]" gc compute url-maps add-path-matcher um1 \
	--path-matcher-name pm1 --default-service bs1 --new-hosts example.com \
	--path-rules '/api/*=bs1'
expect_exact $'example.com\t/api/*' gc compute url-maps describe um1 \
	--format='value(hostRules[0].hosts[0],pathMatchers[0].pathRules[0].paths[0])'
expect_out "Created \[$L/global/urlMaps/um2\]" gc compute url-maps create um2 --default-service bs1
expect_exact "$L/global/urlMaps/um1" gc compute backend-services describe bs1 --global \
	--format='value(usedBy[0].reference)'

# --- ssl certificates: managed (forced ACTIVE / FAILED) and self-managed --------------------
expect_out "Created \[$L/global/sslCertificates/cert1\]" gc compute ssl-certificates create \
	cert1 --domains a.example.com,b.example.com --global
expect_out "Created \[$L/global/sslCertificates/cert2\]" gc compute ssl-certificates create \
	cert2 --domains c.example.com --global
expect_exact "PROVISIONING" gc compute ssl-certificates describe cert1 --global \
	--format='value(managed.status)'
admin POST sslCertificates/test-proj/cert1 '{"state":"ACTIVE"}' >/dev/null
admin POST sslCertificates/test-proj/cert2 '{"state":"FAILED","domainStatus":"FAILED_CAA_FORBIDDEN"}' >/dev/null
expect_exact $'ACTIVE\ta.example.com;b.example.com' gc compute ssl-certificates describe cert1 \
	--global --format='value(managed.status,subjectAlternativeNames)'
expect_out "c.example.com: FAILED_CAA_FORBIDDEN" gc compute ssl-certificates list \
	--filter='name=cert2'
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$INTEROP_TMP/key.pem" \
	-out "$INTEROP_TMP/cert.pem" -days 30 -subj /CN=self.example.com \
	-addext subjectAltName=DNS:self.example.com 2>/dev/null
expect_out "Created \[$L/global/sslCertificates/cert3\]" gc compute ssl-certificates create \
	cert3 --certificate "$INTEROP_TMP/cert.pem" --private-key "$INTEROP_TMP/key.pem" --global
expect_exact $'SELF_MANAGED\tself.example.com' gc compute ssl-certificates describe cert3 \
	--global --format='value(type,subjectAlternativeNames)'

# --- target proxies ----------------------------------------------------------------------------
expect_out "Created \[$L/global/targetHttpProxies/thp1\]" \
	gc compute target-http-proxies create thp1 --url-map um1
expect_out "Updated \[$L/global/targetHttpProxies/thp1\]" \
	gc compute target-http-proxies update thp1 --url-map um2
expect_exact "$L/global/urlMaps/um2" gc compute target-http-proxies describe thp1 \
	--format='value(urlMap)'
expect_out "Created \[$L/global/targetHttpsProxies/thsp1\]" \
	gc compute target-https-proxies create thsp1 --url-map um1 --ssl-certificates cert1
expect_out "Updated \[$L/global/targetHttpsProxies/thsp1\]" \
	gc compute target-https-proxies update thsp1 --ssl-certificates cert1,cert3
expect_out "Updated \[$L/global/targetHttpsProxies/thsp1\]" \
	gc compute target-https-proxies update thsp1 --quic-override ENABLE
expect_exact $'cert1;cert3\tENABLE' gc compute target-https-proxies describe thsp1 \
	--format='value(sslCertificates.map().basename().list(separator=";"),quicOverride)'
# a certificate map (created through Certificate Manager when that API is served)
if curl -sf "$MOCK_URL/v1/projects/test-proj/locations/global/certificateMaps" >/dev/null; then
	expect_out "cmap1" gc certificate-manager maps create cmap1
fi
expect_out "Updated \[$L/global/targetHttpsProxies/thsp1\]" \
	gc compute target-https-proxies update thsp1 --certificate-map cmap1
expect_exact "//certificatemanager.googleapis.com/projects/test-proj/locations/global/certificateMaps/cmap1" \
	gc compute target-https-proxies describe thsp1 --format='value(certificateMap)'

# --- forwarding rules -----------------------------------------------------------------------------
LBIP="$(gc compute addresses describe lb-ip --global --format='value(address)')"
expect_out "Created \[$L/global/forwardingRules/fr1\]" gc compute forwarding-rules create fr1 \
	--global --load-balancing-scheme EXTERNAL_MANAGED --address lb-ip \
	--target-http-proxy thp1 --ports 80
expect_out "Created \[$L/global/forwardingRules/fr2\]" gc compute forwarding-rules create fr2 \
	--global --load-balancing-scheme EXTERNAL_MANAGED --target-https-proxy thsp1 --ports 443
expect_exact "$LBIP	80-80	TCP	PREMIUM" gc compute forwarding-rules describe fr1 --global \
	--format='value(IPAddress,portRange,IPProtocol,networkTier)'
expect_exact "IN_USE	$L/global/forwardingRules/fr1" gc compute addresses describe lb-ip \
	--global --format='value(status,users[0])'
expect_out "Updated \[$L/global/forwardingRules/fr2\]" \
	gc compute forwarding-rules update fr2 --global --update-labels tier=edge
expect_exact "fr2" gc compute forwarding-rules list --global --filter='labels.tier=edge' \
	--format='value(name)'
expect_out "Updated \[$L/global/forwardingRules/fr1\]" \
	gc compute forwarding-rules set-target fr1 --global --target-https-proxy thsp1
expect_exact "thsp1" gc compute forwarding-rules describe fr1 --global \
	--format='value(target.basename())'

# --- firewall ---------------------------------------------------------------------------------------
expect_out "Created \[$L/global/firewalls/fw1\]" gc compute firewall-rules create fw1 \
	--allow tcp:80,tcp:443 --source-ranges 10.0.0.0/8 --target-tags web
expect_out "Updated \[$L/global/firewalls/fw1\]" gc compute firewall-rules update fw1 --priority 900
expect_exact $'fw1\t900\t10.0.0.0/8\tINGRESS' gc compute firewall-rules list \
	--filter='name=fw1' --format='value(name,priority,sourceRanges.list(),direction)'
expect_out "Deleted \[$L/global/firewalls/fw1\]" gc compute firewall-rules delete fw1

# --- deletes refused while referenced ----------------------------------------------------------------
expect_fail "The health_check resource 'projects/test-proj/global/healthChecks/hc1' is already being used by 'projects/test-proj/global/backendServices/bs1'" \
	gc compute health-checks delete hc1
expect_fail "is already being used by 'projects/test-proj/global/urlMaps/um" \
	gc compute backend-services delete bs1 --global
expect_fail "is already being used by 'projects/test-proj/global/backendServices/bs1'" \
	gc compute network-endpoint-groups delete neg1 --zone $Z
expect_fail "is already being used by 'projects/test-proj/global/targetHttpsProxies/thsp1'" \
	gc compute url-maps delete um1
expect_fail "is already being used by 'projects/test-proj/global/targetHttpsProxies/thsp1'" \
	gc compute ssl-certificates delete cert1 --global
expect_fail "is already being used by 'projects/test-proj/global/forwardingRules/fr1'" \
	gc compute target-https-proxies delete thsp1
expect_fail "The address resource 'projects/test-proj/global/addresses/lb-ip' is already being used by 'projects/test-proj/global/forwardingRules/fr1'" \
	gc compute addresses delete lb-ip --global

# --- operations ---------------------------------------------------------------------------------------
OP="$(gc compute operations list --filter='operationType=insert AND targetLink~healthChecks/hc1$' \
	--format='value(name)')"
expect_exact $'DONE\tinsert' gc compute operations describe "$OP" --global \
	--format='value(status,operationType)'
expect_out "networkEndpointGroups/neg1" gc compute operations list --zones $Z \
	--format='value(targetLink)'

# --- faults: an op kept RUNNING for 3 polls, an op failing, a quota --------------------------------------
admin POST ops/hold '{"operationType":"insert","target":"*/healthChecks/hc-slow","polls":3}' >/dev/null
SEQ="$(curl -sf "$MOCK_URL/_mock/requests" | jq .last)"
expect_out "Created \[$L/global/healthChecks/hc-slow\]" gc compute health-checks create tcp hc-slow --port 443
# three waits saw it RUNNING, the fourth DONE
expect_exact "4" bash -c "curl -sf '$MOCK_URL/_mock/requests?since=$SEQ' |
	jq '[.requests[] | select(.path | endswith(\"/wait\"))] | length'"
FAIL_RULE='{"target": "*/healthChecks/hc-bad", "httpStatus": 403, "code": "QUOTA_EXCEEDED",
  "message": "Quota '\''HEALTH_CHECKS'\'' exceeded.  Limit: 2.0 globally."}'
admin POST ops/fail "$FAIL_RULE" >/dev/null
expect_fail "Quota 'HEALTH_CHECKS' exceeded" gc compute health-checks create tcp hc-bad --port 443
expect_fail "was not found" gc compute health-checks describe hc-bad
admin POST quotas '{"metric":"BACKEND_SERVICES","limit":1}' >/dev/null
expect_fail "Quota 'BACKEND_SERVICES' exceeded.  Limit: 1.0 globally." \
	gc compute backend-services create bs2 --global --health-checks hc1 --load-balancing-scheme EXTERNAL_MANAGED
admin DELETE ops/rules >/dev/null
admin DELETE quotas >/dev/null

# --- delete the chain in dependency order --------------------------------------------------------------
expect_out "Deleted \[$L/global/forwardingRules/fr2\]" gc compute forwarding-rules delete fr1 fr2 --global
expect_exact "RESERVED" gc compute addresses describe lb-ip --global --format='value(status)'
expect_out "Deleted \[$L/global/targetHttpProxies/thp1\]" gc compute target-http-proxies delete thp1
expect_out "Deleted \[$L/global/targetHttpsProxies/thsp1\]" gc compute target-https-proxies delete thsp1
expect_out "Deleted \[$L/global/urlMaps/um2\]" gc compute url-maps delete um1 um2
expect_out "Deleted \[$L/global/backendServices/bs1\]" gc compute backend-services delete bs1 --global
expect_out "Deleted \[$L/global/healthChecks/hc-slow\]" gc compute health-checks delete hc1 hc-slow
expect_out "Deleted \[$L/zones/$Z/networkEndpointGroups/neg1\]" \
	gc compute network-endpoint-groups delete neg1 --zone $Z
expect_out "Deleted \[$L/global/sslCertificates/cert3\]" \
	gc compute ssl-certificates delete cert1 cert2 cert3 --global
expect_out "Deleted \[$L/global/addresses/lb-ip\]" gc compute addresses delete lb-ip --global
expect_exact "0" bash -c "curl -sf $MOCK_URL/_mock/state | jq '.compute.resources | length'"

# --- --state survives a restart ------------------------------------------------------------------------
expect_out "Created \[$L/global/addresses/keep1\]" gc compute addresses create keep1 --global
KEEPIP="$(gc compute addresses describe keep1 --global --format='value(address)')"
kill "${INTEROP_PIDS[-1]}"
wait "${INTEROP_PIDS[-1]}" 2>/dev/null || true
rm -f "$INTEROP_TMP/mock-gcp.out"
start_mock_gcp --state "$STATE"
gcloud_setup
expect_exact "$KEEPIP	RESERVED" gc compute addresses describe keep1 --global \
	--format='value(address,status)'
expect_out "Deleted \[$L/global/addresses/keep1\]" gc compute addresses delete keep1 --global

T1=$(date +%s.%N)
echo "gcloud commands: $(wc -l <"$INTEROP_TMP/ncmd"), duration: $(awk "BEGIN{print $T1 - $T0}") s"
interop_done
