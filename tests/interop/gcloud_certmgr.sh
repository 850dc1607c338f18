#!/usr/bin/env bash
# gcloud_certmgr.sh -- the real gcloud drives mock-gcp's Certificate Manager:
# a DNS authorization, a managed certificate that turns ACTIVE once its CNAME
# is published through the mock's Cloud DNS, a map with an entry, lists with
# and without --location, and deletes refused while in use.
source "$(dirname "$0")/lib.sh"
interop_require gcloud

start_mock_gcp --cert-latency-ms 100
gcloud_setup

L=projects/test-proj/locations/global
cm() { gcloud certificate-manager "$@"; }

expect_out 'Created dnsAuthorization \[auth1\]' cm dns-authorizations create auth1 --domain example.com
rec="$(cm dns-authorizations describe auth1 --format 'value(dnsResourceRecord.name,dnsResourceRecord.type,dnsResourceRecord.data)')"
INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
echo "dns authorization record: $rec"
read -r rname rtype rdata <<<"$rec"
if [ "$rname" != "_acme-challenge.example.com." ] || [ "$rtype" != CNAME ] ||
	! grep -Eq '^[0-9a-f-]{36}\.[0-9]\.authorize\.certificatemanager\.goog\.$' <<<"$rdata"; then
	echo "FAIL: unexpected dnsResourceRecord '$rec'" >&2
	exit 1
fi

expect_out 'Created certificate \[cert1\]' \
	cm certificates create cert1 --domains 'example.com,*.example.com' --dns-authorizations auth1
expect_fail "ALREADY_EXISTS: Resource '$L/certificates/cert1' already exists" \
	cm certificates create cert1 --domains example.com --dns-authorizations auth1
expect_out '^PROVISIONING$' cm certificates describe cert1 --format 'value(managed.state)'

# publish the CNAME in the mock's Cloud DNS; the certificate then provisions
gcloud dns managed-zones create z1 --dns-name example.com. >/dev/null 2>&1
expect_out '_acme-challenge\.example\.com\. +CNAME' \
	gcloud dns record-sets create "$rname" --zone z1 --type CNAME --ttl 300 --rrdatas "$rdata"
state=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	state="$(cm certificates describe cert1 --format 'value(managed.state)')"
	[ "$state" = ACTIVE ] && break
	sleep 0.2
done
INTEROP_CHECKS=$((INTEROP_CHECKS + 1))
[ "$state" = ACTIVE ] || { echo "FAIL: cert1 is '$state', not ACTIVE" >&2; exit 1; }
echo "ok: cert1 ACTIVE"
expect_out 'AUTHORIZED' cm certificates describe cert1 --format 'value(managed.authorizationAttemptInfo[0].state)'

expect_out 'Created certificate map \[cmap1\]' cm maps create cmap1
expect_out 'Created certificate map entry \[e1\]' \
	cm maps entries create e1 --map cmap1 --hostname www.example.com --certificates cert1
expect_out '^www\.example\.com[[:space:]]+ACTIVE$' \
	cm maps entries describe e1 --map cmap1 --format 'value(hostname,state)'
expect_out "$L/certificateMaps/cmap1/certificateMapEntries/e1" \
	cm certificates describe cert1 --format 'value(usedBy[0].name)'

# lists: default location is "-", --location narrows
expect_out '^cert1$' cm certificates list --format 'value(name.basename())'
expect_out '^cert1$' cm certificates list --location global --format 'value(name.basename())'
expect_out '^auth1$' cm dns-authorizations list --format 'value(name.basename())'
expect_out '^cmap1$' cm maps list --location global --format 'value(name.basename())'
expect_out '^e1$' cm maps entries list --map cmap1 --format 'value(name.basename())'

# in-use deletes are refused
expect_fail "FAILED_PRECONDITION: Resource '$L/certificates/cert1' is still used by '$L/certificateMaps/cmap1/certificateMapEntries/e1'" \
	cm certificates delete cert1 --quiet
expect_fail "FAILED_PRECONDITION: Resource '$L/dnsAuthorizations/auth1' is still used by '$L/certificates/cert1'" \
	cm dns-authorizations delete auth1 --quiet
expect_fail "FAILED_PRECONDITION: Resource '$L/certificateMaps/cmap1' is still used by" \
	cm maps delete cmap1 --quiet

expect_out 'Updated certificate \[cert1\]' cm certificates update cert1 --description hello
expect_out '^hello$' cm certificates describe cert1 --format 'value(description)'

# in dependency order they go
expect_out 'Deleted map entry \[e1\]' cm maps entries delete e1 --map cmap1 --quiet
expect_out 'Deleted map \[cmap1\]' cm maps delete cmap1 --quiet
expect_out 'Deleted .*\[cert1\]' cm certificates delete cert1 --quiet
expect_out 'Deleted .*\[auth1\]' cm dns-authorizations delete auth1 --quiet
expect_fail "NOT_FOUND: Resource '$L/certificates/cert1' was not found" cm certificates describe cert1

interop_done
