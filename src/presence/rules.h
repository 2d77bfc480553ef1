/* presence/rules.h - authorization rules: common policy (RFC 4745) with
 * the presence extensions (RFC 5025) */
#ifndef PRESENCE_RULES_H
#define PRESENCE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pidf.h"

/* A parsed ruleset (mem object, immutable). Pure code. */
struct pres_rules;

#define PRES_RULES_AUID "pres-rules"
#define PRES_RULES_NS   "urn:ietf:params:xml:ns:pres-rules"
#define PRES_CP_NS      "urn:ietf:params:xml:ns:common-policy"

/* Parse a <ruleset> document. Conditions: identity (one id, many domain
 * with except id/domain, RFC 4745 7.1), sphere, validity (from/until,
 * RFC 3339). Actions: sub-handling. Transformations: every provide-* of
 * RFC 5025 3.3. Unknown conditions make a rule never match (RFC 4745 10:
 * a condition that is not understood is false); unknown actions and
 * transformations are ignored. EBADMSG with err "line N: what" for XML
 * that is not well formed, a wrong root or namespace, rules without id,
 * duplicate rule ids, bad sub-handling values or dates. */
int pres_rules_parse(struct pres_rules **rp, const char *xml, size_t len,
                     char *err, size_t errsize);
size_t pres_rules_count(const struct pres_rules *r);

/* A watcher as the rules see it. */
struct pres_watcher {
	const char *uri;    /* "sip:bob@example.com" (From URI, no params) */
	bool authenticated; /* identity conditions only match authenticated
	                       watchers (RFC 4745 7.1) */
};
/* Evaluate: combine every matching rule (RFC 4745 10: the highest
 * sub-handling, the union of provide-*). perm is reset first. sphere:
 * the presentity's current sphere or NULL. now_s: wall clock (validity).
 * Returns true when the rules decide: at least one matching rule has a
 * sub-handling action. False: perm holds what matching rules without
 * sub-handling grant (with sub-handling block, the RFC default), and the
 * caller may apply its own default (impd: the domain default rule). */
bool pres_rules_eval(const struct pres_rules *r, const struct pres_watcher *w,
                     const char *sphere, uint64_t now_s,
                     struct pres_perm *perm);

/* The earliest validity boundary after now_s (a rule starts or stops
 * applying), 0 if none: the caller re-evaluates then. */
uint64_t pres_rules_next_change(const struct pres_rules *r, uint64_t now_s);

/* A ruleset document impd writes for a simple approve/block decision
 * (impctl, tests): one rule with id, the watcher URI as identity one id,
 * sub-handling h and, for allow, every provide-* granted. Appended to an
 * existing document when base is not NULL (a rule with the same id is
 * replaced). */
int pres_rules_with(struct buf **mbp, const char *base, size_t base_len,
                    const char *rule_id, const char *watcher_uri,
                    enum pres_handling h);

/* Added by the rules helper: a rule id (an XML ID, at most 80 octets
 * with the NUL) for a rule about one watcher, the same for every
 * spelling of one identity ("sip:bob@Example.COM;transport=tcp" and
 * "sips:bob@example.com" give one id), so that pres_rules_with replaces
 * the earlier decision about that watcher. EINVAL: not a URI, or size
 * too small. */
int pres_rules_watcher_id(char *id, size_t size, const char *watcher_uri);

#endif
