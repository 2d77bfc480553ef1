/* sip/msg.h - SIP message model, decoder and encoder (RFC 3261 7, 20, 25) */
#ifndef SIP_MSG_H
#define SIP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/list.h"
#include "../base/pl.h"
#include "../base/sa.h"

/*
 * Everything here is pure: no sockets, clock, globals or logging. Parse
 * results are struct pl slices into the message's receive buffer, which the
 * message holds a reference to. A decoder that fails fills a parse_err with
 * a reason phrase the caller can put in a 400.
 */

struct parse_err {
	const char *reason; /* static text, e.g. "Bad CSeq header" */
	size_t off;         /* octet offset of the problem, if known */
};

enum sip_transp {
	SIP_TRANSP_NONE = 0,
	SIP_TRANSP_UDP,
	SIP_TRANSP_TCP,
	SIP_TRANSP_TLS,
};
const char *sip_transp_name(enum sip_transp tp);  /* "UDP" ... */
const char *sip_transp_lname(enum sip_transp tp); /* "udp" ..., "?" */
/* "udp"/"UDP"/"tcp"/"tls" -> value; SIP_TRANSP_NONE if unknown. */
enum sip_transp sip_transp_decode(const struct pl *pl);
static inline bool sip_transp_reliable(enum sip_transp tp)
{
	return tp == SIP_TRANSP_TCP || tp == SIP_TRANSP_TLS;
}
uint16_t sip_transp_port(enum sip_transp tp); /* 5060 or 5061 */

/* Header ids: every header impd gives meaning to. Compact forms map to
 * the same id. Unknown headers are SIP_HDR_OTHER (kept, forwarded). */
enum sip_hdrid {
	SIP_HDR_OTHER = 0,
	SIP_HDR_ACCEPT,
	SIP_HDR_ACCEPT_CONTACT, /* a */
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_ALLOW,
	SIP_HDR_ALLOW_EVENTS, /* u */
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_CALL_ID, /* i */
	SIP_HDR_CALL_INFO,
	SIP_HDR_CONTACT, /* m */
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_CONTENT_ENCODING, /* e */
	SIP_HDR_CONTENT_LANGUAGE,
	SIP_HDR_CONTENT_LENGTH, /* l */
	SIP_HDR_CONTENT_TYPE,   /* c */
	SIP_HDR_CSEQ,
	SIP_HDR_DATE,
	SIP_HDR_ERROR_INFO,
	SIP_HDR_EVENT, /* o */
	SIP_HDR_EXPIRES,
	SIP_HDR_FROM, /* f */
	SIP_HDR_IN_REPLY_TO,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_PREFERRED_IDENTITY,
	SIP_HDR_PATH,
	SIP_HDR_PRIORITY,
	SIP_HDR_PRIVACY,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_RACK,
	SIP_HDR_REASON,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_REFER_TO,       /* r */
	SIP_HDR_REFERRED_BY,    /* b */
	SIP_HDR_REJECT_CONTACT, /* j */
	SIP_HDR_REPLACES,
	SIP_HDR_REPLY_TO,
	SIP_HDR_REQUEST_DISPOSITION, /* d */
	SIP_HDR_REQUIRE,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_ROUTE,
	SIP_HDR_RSEQ,
	SIP_HDR_SERVER,
	SIP_HDR_SIP_ETAG,
	SIP_HDR_SIP_IF_MATCH,
	SIP_HDR_SUBJECT, /* s */
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_SUPPORTED, /* k */
	SIP_HDR_TIMESTAMP,
	SIP_HDR_TO, /* t */
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_USER_AGENT,
	SIP_HDR_VIA, /* v */
	SIP_HDR_WARNING,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_MIN_SE,
	SIP_HDR_SESSION_EXPIRES, /* x */
	SIP_HDR_IDENTITY,
	SIP_HDR_IDENTITY_INFO,
	SIP_HDR_GEOLOCATION,
	SIP_HDR_HISTORY_INFO,
	SIP_HDR_SERVICE_ROUTE,
	SIP_HDR__COUNT
};
/* Canonical long name ("Call-ID"); NULL for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdrid id);
/* Case-insensitive, compact forms included. */
enum sip_hdrid sip_hdr_id(const struct pl *name);

/* One header field value. Headers whose grammar is a comma list (Via,
 * Contact, Route, Record-Route, Path, Allow, Supported, Require,
 * Proxy-Require, Unsupported, Accept, Allow-Events, ...) get one sip_hdr
 * per value; others (Authorization, WWW-Authenticate, Date, unknown
 * headers...) get one per header line, value as received. */
struct sip_hdr {
	struct le le;   /* in sip_msg.hdrl, message order */
	struct pl name; /* as received (may be compact) */
	struct pl val;  /* one value, trimmed; folding kept as received */
	enum sip_hdrid id;
	uint16_t line; /* header line number (0-based), to find values
	                  that came from the same line */
};

/* URI (RFC 3261 19.1, RFC 3966 tel). host is without [] for IPv6 and
 * af says which kind it is. */
struct sip_uri {
	struct pl scheme; /* "sip", "sips", "tel", or any other */
	struct pl user;   /* escaped as received; for tel: the number */
	struct pl password;
	struct pl host;      /* for tel: empty */
	int af;              /* AF_INET, AF_INET6, or 0 for a name */
	uint16_t port;       /* 0 if absent */
	struct pl params;    /* ";a=b;lr" including the leading ';' */
	struct pl headers;   /* "?x=y" without the '?' */
	struct pl transport; /* value of transport= */
	struct pl maddr;
	struct pl user_param; /* value of user= */
	struct pl gr; /* gr param value (may be set-but-empty: see has_gr) */
	bool has_gr;
	bool lr;
	bool sips;   /* scheme is sips */
	bool is_sip; /* sip or sips */
	bool is_tel;
};
/* Decode a URI (whole slice). EBADMSG with pe filled. Unknown schemes
 * decode (scheme set, the rest in user) - callers answer 416. */
int sip_uri_decode(struct sip_uri *uri, const struct pl *pl,
                   struct parse_err *pe);
/* Compare per RFC 3261 19.1.4. */
bool sip_uri_cmp(const struct sip_uri *a, const struct sip_uri *b);
/* Find a uri-parameter (or any ";name=value" list). ENOENT; value empty
 * for a parameter without '='. */
int sip_param_get(const struct pl *params, const char *name, struct pl *val);
bool sip_param_exists(const struct pl *params, const char *name);
/* Unescape %HH into buf (NUL-terminated). EBADMSG on a bad escape,
 * ERANGE if it does not fit. */
int sip_unescape(const struct pl *in, char *buf, size_t size, size_t *len);
/* Print "sip:user@host:port;params" form used as a key: scheme, user
 * (unescaped, case kept), host (lower case) and port if set. */
int sip_uri_aor_print(const struct sip_uri *uri, char *buf, size_t size);

/* name-addr / addr-spec (From, To, Contact, Route, Record-Route, Path,
 * Refer-To, P-Asserted-Identity ...) */
struct sip_addr {
	struct pl dname; /* display name, quotes stripped, escapes kept */
	struct pl auri;  /* URI text (inside <> if any) */
	struct sip_uri uri;
	struct pl params; /* header params after the URI (";tag=x;q=0.5") */
	struct pl tag;
	bool angle; /* name-addr form */
};
int sip_addr_decode(struct sip_addr *addr, const struct pl *pl,
                    struct parse_err *pe);

/* Contact value: an addr plus the star form. */
struct sip_contact {
	struct sip_addr addr;
	bool star;       /* "Contact: *" */
	int64_t expires; /* expires param, -1 if absent */
	uint32_t q;      /* q param x1000 (1000 if absent) */
	bool has_q;
};
int sip_contact_decode(struct sip_contact *c, const struct pl *pl,
                       struct parse_err *pe);

struct sip_via {
	struct pl val;      /* whole value */
	struct pl proto;    /* "SIP/2.0" */
	struct pl tp_name;  /* "UDP", "TCP", "TLS", "SCTP", other */
	enum sip_transp tp; /* NONE if not one we run */
	struct pl sentby;   /* "host[:port]" as received */
	struct pl host;     /* without [] */
	int af;
	uint16_t port;    /* 0 if absent */
	struct pl params; /* ";branch=...;rport" */
	struct pl branch;
	struct pl received;
	bool rport;         /* rport present */
	uint16_t rport_val; /* 0 if rport present without value */
};
int sip_via_decode(struct sip_via *via, const struct pl *pl,
                   struct parse_err *pe);

struct sip_cseq {
	uint32_t num;
	struct pl met;
};

/* Authorization / Proxy-Authorization / WWW-Authenticate credentials. */
struct sip_auth {
	struct pl scheme; /* "Digest" */
	struct pl username, realm, nonce, uri, response, algorithm, cnonce,
	    opaque, qop, nc;
	bool has_auth_param; /* unknown params present (kept, ignored) */
};
/* Values with quotes stripped. EBADMSG on broken syntax. */
int sip_auth_decode(struct sip_auth *auth, const struct pl *pl,
                    struct parse_err *pe);

/* Event header (RFC 6665): package name (with template, "presence.winfo")
 * and params (";id=1"). */
struct sip_event {
	struct pl package;
	struct pl params;
	struct pl id;
};
int sip_event_decode(struct sip_event *ev, const struct pl *pl,
                     struct parse_err *pe);

struct sip_msg {
	struct buf *mb; /* the receive buffer; reference held */
	struct pl raw;  /* the whole message within mb */

	/* start line */
	bool req;
	struct pl met;      /* request method (case kept) */
	struct pl ruri;     /* Request-URI text */
	struct sip_uri uri; /* decoded Request-URI (if req) */
	struct pl ver;      /* "SIP/2.0" */
	uint16_t scode;     /* response status */
	struct pl reason;   /* response reason phrase */

	struct list hdrl; /* struct sip_hdr, in message order */

	/* decoded at decode time (required ones are checked there) */
	struct sip_via via; /* top Via */
	struct sip_addr from, to;
	struct pl callid;
	struct sip_cseq cseq;
	int32_t maxfwd;  /* -1 when absent */
	int64_t expires; /* Expires header, -1 when absent */
	struct pl ctype; /* Content-Type value (may be empty) */
	uint32_t clen;   /* Content-Length value (body length for UDP if
	                    absent) */
	bool has_clen;
	struct pl body; /* exactly clen octets */

	/* set by the transport that received it */
	struct sa src;
	struct sa dst; /* local address it arrived on */
	enum sip_transp tp;
	void *conn;     /* struct sip_conn, reference held, or NULL */
	uint64_t rx_ms; /* receive time */
};

/* Decode one framed message: b->b[b->pos .. b->end) must hold exactly one
 * message (the framer found its end). The message takes a reference to b.
 * For datagrams (stream == false) octets after Content-Length are ignored;
 * a missing Content-Length means "to the end". On error *msgp is NULL and
 * pe explains: a request whose start line, Via, CSeq and Call-ID were
 * readable enough to answer gets EBADMSG with pe->reason; responses and
 * hopeless input too (callers drop those). Checks done here: RFC 3261
 * mandatory headers (To, From, CSeq, Call-ID, Via; Max-Forwards is
 * optional for RFC 2543 peers), single-value fields not repeated, CSeq
 * method == request method, scalar ranges (CSeq < 2^31, Max-Forwards
 * 0-255 ...), Content-Length consistent, version SIP/2.0 (ENOTSUP ->
 * 505). */
int sip_msg_decode(struct sip_msg **msgp, struct buf *b, bool stream,
                   struct parse_err *pe);

/* Best effort for error replies: if decode failed on a request, fill the
 * fields needed to build a response (Via list, From, To, Call-ID, CSeq)
 * from a message whose problem lies elsewhere; ENOENT when impossible. */
int sip_msg_decode_lenient(struct sip_msg **msgp, struct buf *b, bool stream,
                           struct parse_err *pe);

/* First header with id, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdrid id);
/* First header whose name matches (for SIP_HDR_OTHER too). */
const struct sip_hdr *sip_msg_xhdr(const struct sip_msg *msg, const char *name);
/* Next header with the same id after h, or NULL. */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg,
                                       const struct sip_hdr *h);
uint32_t sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdrid id);
/* Whether an option-tag list header (Require, Supported, Proxy-Require,
 * Unsupported, Allow, Allow-Events) holds tag (case-insensitive). */
bool sip_msg_hdr_has_value(const struct sip_msg *msg, enum sip_hdrid id,
                           const char *tag);
static inline bool sip_msg_is(const struct sip_msg *msg, const char *met)
{
	return msg->req && !pl_strcmp(&msg->met, met);
}

/* --- framer (RFC 3261 18.3) --- */

/* Find the end of one message at the start of p[0..n). *scanned carries
 * the resume point between calls (start with 0; reset to 0 after each
 * message). Returns 0 with *len = the message length (headers + body),
 * ENODATA if more octets are needed, EBADMSG if the stream cannot be
 * framed (no/invalid Content-Length on a stream, header section over
 * max_hdr octets) and must be closed, EMSGSIZE if the message exceeds
 * max_msg (a 513 may be sent, then close). Leading CRLFs are keep-alives:
 * *ka_len tells how many octets of CRLF precede the message (skip them;
 * a lone "\r\n\r\n" ping is answered "\r\n" by the caller, RFC 5626 4.4.1).
 */
int sip_frame(const uint8_t *p, size_t n, size_t *scanned, size_t *len,
              size_t *ka_len, size_t max_hdr, size_t max_msg);

/* --- encoder --- */

/* Print one header: "Name: value\r\n" using the canonical name. */
int sip_hdr_encode(struct buf *mb, const struct sip_hdr *h);
/* Build a response to req: status line, all Vias of req in order, From,
 * (the top one with received/rport filled: sip_via_encode_rx),
 * To (adding ;tag=totag if To has none and totag is non-NULL), Call-ID,
 * CSeq, then the extra headers in fmt (each ending "\r\n"; may be NULL),
 * Content-Length, and body (may be NULL). reason NULL = default phrase.
 * A 100 never gets a To tag. */
int sip_resp_encode(struct buf **mbp, const struct sip_msg *req, uint16_t scode,
                    const char *reason, const char *totag,
                    const struct pl *body, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Print Via header h of msg (the top one, as received) with received and
 * rport filled in from msg->src (RFC 3261 18.2.1, RFC 3581 4); copied
 * unchanged when they would add nothing or msg->src is not set. */
int sip_via_encode_rx(struct buf *mb, const struct sip_msg *msg,
                      const struct sip_hdr *h);
/* Default reason phrase for a status code ("Not Found"). */
const char *sip_reason(uint16_t scode);

/* Generic header extraction for the typed accessors not decoded at decode
 * time: Contact list, Route list... Call h for each value of id; stop when
 * h returns true. */
typedef bool sip_hdr_h(const struct sip_hdr *h, const struct sip_msg *msg,
                       void *arg);
const struct sip_hdr *sip_msg_hdr_apply(const struct sip_msg *msg,
                                        enum sip_hdrid id, sip_hdr_h *h,
                                        void *arg);

#endif
