/* rls/rlmi.h - resource list meta-information (RFC 4662 section 5):
 * the RLMI document (application/rlmi+xml) and the multipart/related
 * body (RFC 2387) of a list NOTIFY, built and read. Pure code. */
#ifndef RLS_RLMI_H
#define RLS_RLMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define RLMI_NS    "urn:ietf:params:xml:ns:rlmi"
#define RLMI_CTYPE "application/rlmi+xml"

enum rlmi_state { RLMI_ACTIVE = 0, RLMI_PENDING, RLMI_TERMINATED };

/* One instance (a back-end subscription) of a resource. */
struct rlmi_inst {
	const char *id; /* unique within the resource */
	enum rlmi_state state;
	const char
	    *reason;     /* terminated: "noresource", "rejected",
	                    "deactivated", "timeout", "giveup", ... or NULL */
	const char *cid; /* Content-ID (without <>) of its body part, or
	                    NULL (pending, terminated, active without a
	                    document yet) */
};

struct rlmi_res {
	const char *uri;
	const char *name; /* <name> (display name) or NULL */
	struct rlmi_inst *inst;
	uint32_t ninst;
};

struct rlmi_list {
	const char *uri; /* the list's URI */
	uint32_t version;
	bool full;            /* fullState */
	const char *name;     /* the list's <name> or NULL */
	const char *cid;      /* the list's own Content-ID (for nested use) or
	                         NULL */
	struct rlmi_res *res; /* in order */
	uint32_t nres;
};

/* Append the RLMI document for l to mb (UTF-8, with XML declaration).
 * EINVAL for text that is not valid XML characters. */
int rlmi_encode(struct buf *mb, const struct rlmi_list *l);

/* One body part after the RLMI root. */
struct rlmi_part {
	const char *cid;   /* without <> */
	const char *ctype; /* "application/pidf+xml" */
	const char *body;
	size_t len;
};

/*
 * The multipart/related body: the RLMI document as the root part
 * (Content-ID <root_cid>), then the parts in order, each with
 * Content-Transfer-Encoding: binary, Content-ID and Content-Type. The
 * boundary is chosen so that it occurs in no part. ctype gets the
 * Content-Type value for the NOTIFY:
 * multipart/related;type="application/rlmi+xml";start="<root_cid>";
 * boundary="..." . root_cid NULL: one is made from the list URI.
 */
int rlmi_multipart(struct buf **mbp, char *ctype, size_t ctype_size,
                   const struct rlmi_list *l, const char *root_cid,
                   const struct rlmi_part *parts, uint32_t n);

/* --- reading (tests, and impd as an RLS client later) --- */

/* A decoded RLMI document; a mem object owning every string. */
struct rlmi_doc {
	struct rlmi_list l; /* strings and arrays owned by the object */
};
/* EBADMSG with err ("line N: what") for documents that are not
 * RLMI (root <list> in RLMI_NS with uri, version, fullState; resource
 * with uri; instance with id and state), ENOMEM. */
int rlmi_decode(struct rlmi_doc **dp, const char *xml, size_t len, char *err,
                size_t errsize);

/* A multipart/related body split: the root part (by start, else the
 * first) decoded as RLMI, and the other parts by Content-ID. A mem
 * object. EBADMSG with err. */
struct rlmi_body_part {
	char *cid;
	char *ctype;
	char *body; /* NUL-terminated copy */
	size_t len;
};
struct rlmi_body {
	struct rlmi_doc *rlmi;
	struct rlmi_body_part *parts; /* mem array */
	uint32_t n;
};
int rlmi_body_decode(struct rlmi_body **bp, const char *ctype, const char *body,
                     size_t len, char *err, size_t errsize);

#endif
