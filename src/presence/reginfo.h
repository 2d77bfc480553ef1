/* presence/reginfo.h - registration state documents (RFC 3680) */
#ifndef PRESENCE_REGINFO_H
#define PRESENCE_REGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

#define REGINFO_CTYPE "application/reginfo+xml"

/* contact state "active"/"terminated"; event "registered", "created",
 * "refreshed", "shortened", "expired", "deactivated", "probation",
 * "unregistered", "rejected". */
struct reginfo_contact {
	const char *id;
	const char *state;
	const char *event;
	const char *uri;
	uint32_t expires;    /* seconds left (0: attribute left out) */
	uint32_t duration_s; /* duration-registered */
	uint32_t q;          /* x1000; 0: left out */
	const char *callid;  /* or NULL */
	uint32_t cseq;
	const char *instance; /* unknown-param +sip.instance, or NULL */
	uint32_t reg_id;      /* 0: none */
};
/* registration state "init", "active", "terminated". */
struct reginfo_reg {
	const char *aor; /* "sip:bob@example.com" */
	const char *id;
	const char *state;
	const struct reginfo_contact *contacts;
	size_t n;
};

/* added by the reg event helper: duration_s 0 is left out too; cseq is
 * written with a non-empty callid only; the instance is written as its
 * Contact parameter value ("<urn:...>" in quotes) and parsed back
 * without quotes and brackets. EINVAL for a missing required string, an
 * unknown state or event, q > 1000, or text that is not UTF-8 XML
 * characters. The parser calls h only once the whole document is valid;
 * the strings h sees live until it returns. */
int reginfo_doc_build(struct buf **mbp, uint32_t version, bool full,
                      const struct reginfo_reg *regs, size_t n);

struct reginfo_info {
	uint32_t version;
	bool full;
};
/* h for every contact (contact NULL for a registration without any). */
typedef void reginfo_contact_h(const struct reginfo_reg *reg,
                               const struct reginfo_contact *c, void *arg);
int reginfo_doc_parse(const char *xml, size_t len, struct reginfo_info *info,
                      reginfo_contact_h *h, void *arg, char *err,
                      size_t errsize);

#endif
