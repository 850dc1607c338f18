/* naming.h -- deterministic cloud resource names and the ownership mark.
 *
 * Every name cloudctl gives a cloud resource is a pure function of its
 * inputs, so a crash mid-pass can never create a duplicate: the next pass
 * computes the same name and finds the resource.
 *
 *   cc1-<type>-<ns'>-<name'>-<hash10>
 *
 * <type> is a short resource code ("um" url map, "bs" backend service...);
 * <ns'> and <name'> are the Gateway's namespace and name, lowercased, with
 * characters outside [a-z0-9-] turned into '-', trimmed evenly so the whole
 * name fits in 63 characters; <hash10> is 10 base-36 characters of SHA-256
 * over fleet, namespace, name and an optional discriminator (a listener
 * port, a hostname), so two fleets, or "a-b/c" and "a/b-c", never collide.
 * Names match [a-z]([-a-z0-9]*[a-z0-9])? as every GCP API requires.
 *
 * Ownership: every resource also carries a description of the form
 *   {"cloudctl.dev/owner":"<fleet>/<ns>/<name>","cloudctl.dev/version":1}
 * (and labels where the API has them).  Only resources whose description
 * parses to this fleet's mark are ever updated or deleted.
 */
#ifndef CC_GKE_NAMING_H
#define CC_GKE_NAMING_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define CC_GKE_NAME_MAX 63
#define CC_GKE_PREFIX   "cc1"

/* cc_gke_name -- write the name into out (at least CC_GKE_NAME_MAX + 1
 * bytes).  extra may be NULL.  Returns CC_INVAL for an empty type or a type
 * that is not [a-z0-9]{1,4}. */
cc_err cc_gke_name(char *out, size_t outsz, const char *type, const char *fleet, const char *ns,
                   const char *name, const char *extra);

/* The discriminator of a certificate map's primary entry (the entry with
 * `matcher: PRIMARY`, for an HTTPS listener without a hostname); hostnames
 * are lowercase, so it names no hostname's entry. */
#define CC_GKE_PRIMARY_ENTRY "PRIMARY"

/* cc_gke_content_hash -- lowercase hex SHA-256 of text (a certificate's
 * PEM), the discriminator of a self-managed certificate's name: changed
 * content, new name.  out has at least CC_GKE_CONTENT_HASH_LEN + 1 bytes;
 * on a digest failure it is all zeros (still deterministic). */
#define CC_GKE_CONTENT_HASH_LEN 64
void cc_gke_content_hash(const char *text, char *out, size_t outsz);

/* cc_gke_owner -- "<fleet>/<ns>/<name>" */
void cc_gke_owner(char *out, size_t outsz, const char *fleet, const char *ns, const char *name);

/* cc_gke_description -- the ownership mark for a resource's description. */
cc_err cc_gke_description(char *out, size_t outsz, const char *owner);

/* cc_gke_parse_owner -- the owner recorded in a description, or false when
 * the description is not ours (absent, foreign text, another format). */
bool cc_gke_parse_owner(const char *description, char *owner, size_t ownersz);

/* cc_gke_owner_fleet_matches -- true if owner ("fleet/ns/name") is in fleet. */
bool cc_gke_owner_in_fleet(const char *owner, const char *fleet);

/* cc_gke_valid_name -- true if s is a valid GCP resource name. */
bool cc_gke_valid_name(const char *s);

#endif
