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
 * RFC 3339). Actions: sub-handling (and the IM actions below).
 * Transformations: every provide-* of RFC 5025 3.3. Unknown conditions
 * make a rule never match (RFC 4745 10: a condition that is not
 * understood is false); unknown actions and transformations are
 * ignored. EBADMSG with err "line N: what" for XML that is not well
 * formed, a wrong root or namespace, rules without id, duplicate rule
 * ids, bad sub-handling values or dates. */
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

/* ---- pager IM policy (added by the policy helper) ----
 * The same <ruleset> (RFC 4745 conditions: identity, sphere, validity)
 * may carry impd's IM actions in their own namespace:
 *   <im:im-handling>block|discard|allow</im:im-handling>
 *   <im:reception>reject|store|deliver</im:reception>
 * pres_rules_parse reads them (EBADMSG for other values or a second one
 * in a rule); a ruleset with only IM actions is valid, and they change
 * nothing in pres_rules_eval. */
#define IM_RULES_NS "urn:x-impd:im-rules"

/* Values as RFC 4745 10.2 combines them: the highest wins. */
enum pres_im_handling {
	PRES_IM_BLOCK = 0,    /* 403 to the sender */
	PRES_IM_DISCARD = 20, /* 200 to the sender, message dropped */
	PRES_IM_ALLOW = 30,
};
enum pres_im_reception {
	PRES_IM_REJECT = 0,   /* never stored: 480 while offline */
	PRES_IM_STORE = 10,   /* always stored (202), delivered later */
	PRES_IM_DELIVER = 20, /* to the devices, stored while offline */
};

struct pres_im_perm {
	enum pres_im_handling handling;
	enum pres_im_reception reception;
	bool has_handling, has_reception; /* decided by a matching rule */
};

/* Evaluate the IM actions for one sender: every matching rule counts
 * and each action gets the highest value among the matching rules that
 * carry it (RFC 4745 10.2; so an allow for a domain wins over a block
 * of one of its users: the permissive combination). Sphere conditions
 * never match here (no sphere is given). perm is reset first (block,
 * reject, nothing decided). Returns true when at least one matching
 * rule carries im-handling or reception; has_* tell which actions were
 * decided, and the caller applies its defaults to the others. */
bool pres_rules_eval_im(const struct pres_rules *r,
                        const struct pres_watcher *sender, uint64_t now_s,
                        struct pres_im_perm *perm);

/* Like pres_rules_with, for IM: one rule rule_id whose condition is
 * identity one sender_uri (NULL: no condition, the rule applies to
 * everyone) and whose actions are im-handling handling ("allow",
 * "block", "discard") and reception reception ("deliver", "store",
 * "reject"), each NULL to leave it out (not both). Appended to base, or
 * replacing the rule with that id. EINVAL for bad arguments, EBADMSG
 * when base is not a valid ruleset. */
int pres_rules_with_im(struct buf **mbp, const char *base, size_t base_len,
                       const char *rule_id, const char *sender_uri,
                       const char *handling, const char *reception);

/* One rule as a summary shows it (impctl im show). Strings are valid
 * during the call. */
struct pres_rule_info {
	const char *id;
	/* condition elements impd understands; 0 (and !never): the rule
	 * applies to everyone */
	uint32_t nconds;
	/* the compared form of the identity ("bob@example.com",
	 * "tel:+15550100") when the only condition is an identity with a
	 * single <one>, else NULL */
	const char *one;
	bool never; /* a condition impd does not understand */
	bool has_sub_handling;
	enum pres_handling sub_handling;
	struct pres_im_perm im; /* has_*: the rule carries that action */
};
typedef void pres_rule_info_h(const struct pres_rule_info *ri, void *arg);
/* Visit the rules in document order. */
void pres_rules_info(const struct pres_rules *r, pres_rule_info_h *h,
                     void *arg);

#endif
