#!/usr/bin/env bash
# gcloud_dns.sh -- the real gcloud drives mock-gcp's Cloud DNS: zones, record
# sets, a transaction (SOA bump inside one change), a refused duplicate.
source "$(dirname "$0")/lib.sh"
interop_require gcloud

start_mock_gcp
gcloud_setup

expect_out 'Created \[.*managedZones/z1\]' \
	gcloud dns managed-zones create z1 --dns-name example.com. --description "interop zone"
expect_out 'example\.com\.' gcloud dns managed-zones describe z1 --format 'value(dnsName)'
expect_out '^z1 +example\.com\.' gcloud dns managed-zones list --format 'table[no-heading](name,dnsName)'

# the zone starts with its apex NS and SOA
expect_out 'example\.com\. +SOA +21600 +ns-cloud-.1\.googledomains\.com\. cloud-dns-hostmaster\.google\.com\. 1 ' \
	gcloud dns record-sets list --zone z1 --format 'table[no-heading](name,type,ttl,rrdatas.list())'

expect_out 'www\.example\.com\. +A +300 +1\.2\.3\.4' \
	gcloud dns record-sets create www.example.com. --zone z1 --type A --ttl 300 --rrdatas 1.2.3.4
expect_fail "HTTPError 409: The resource 'entity.rrset' named 'www.example.com. \(A\)' already exists" \
	gcloud dns record-sets create www.example.com. --zone z1 --type A --ttl 300 --rrdatas 1.2.3.4
expect_out 'www\.example\.com\. +A +60 +5\.6\.7\.8' \
	gcloud dns record-sets update www.example.com. --zone z1 --type A --ttl 60 --rrdatas 5.6.7.8
expect_out '^60[[:space:]]+5\.6\.7\.8$' \
	gcloud dns record-sets describe www.example.com. --zone z1 --type A --format 'value(ttl,rrdatas.list())'

# a transaction: gcloud replaces the SOA (serial 1 -> 2) in the same change
cd "$INTEROP_TMP"
expect_out 'Transaction started' gcloud dns record-sets transaction start --zone z1
expect_out 'Record addition appended' \
	gcloud dns record-sets transaction add --zone z1 --name api.example.com. --type TXT --ttl 120 '"hello world"'
expect_out 'Created \[.*managedZones/z1/changes/[0-9]+\]' gcloud dns record-sets transaction execute --zone z1
expect_out 'cloud-dns-hostmaster\.google\.com\. 2 ' \
	gcloud dns record-sets list --zone z1 --name example.com. --type SOA --format 'value(rrdatas.list())'
expect_out '"hello world"' \
	gcloud dns record-sets list --zone z1 --name api.example.com. --format 'value(rrdatas.list())'
expect_out "^3[[:space:]]+done$" gcloud dns record-sets changes list --zone z1 --sort-order descending --limit 1 --format "value(id,status)"

# a zone with records cannot go; after deleting them it can
expect_fail "HTTPError 400: The resource named 'z1' cannot be deleted because it contains one or more 'resource records'" \
	gcloud dns managed-zones delete z1
expect_out 'Deleted \[.*www\.example\.com\./A\]' gcloud dns record-sets delete www.example.com. --zone z1 --type A
expect_out 'Deleted \[.*api\.example\.com\./TXT\]' gcloud dns record-sets delete api.example.com. --zone z1 --type TXT
expect_out 'Deleted \[.*managedZones/z1\]' gcloud dns managed-zones delete z1
expect_fail "HTTPError 404: The 'parameters.managedZone' resource named 'z1' does not exist" \
	gcloud dns managed-zones describe z1

interop_done
