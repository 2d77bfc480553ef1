/* im/im.h - the pager-mode IM service (RFC 3428): sender and receiver
 * chains (policy, archiving), relaying to every device, deferred delivery
 * with CPIM (DEF-01..04), IMDN (RFC 5438), group messages (list URIs and
 * URI-list bodies, RFC 5365), the message-summary package (RFC 3842) */
#ifndef IM_IM_H
#define IM_IM_H

#include <stdbool.h>
#include <stdint.h>

struct evt;
struct loc;
struct proxy;
struct store;
struct tmrl;
struct sip_stsx;
struct im;

/* Per-user documents in the store (owner "user@domain", name "index"):
 * - IM_RULES_AUID: common-policy ruleset with impd's IM actions
 *   (presence/rules.h: im-handling, reception), read by the same engine
 *   as pres-rules;
 * - IM_SETTINGS_AUID: "key=value" lines set by the administrator:
 *   send=no (the user may not send IM: 403), archive=yes|no (overrides
 *   the domain policy);
 * - RLS_AUID (list/rlist.h): rls-services whose service URIs are group
 *   URIs for pager messages. */
#define IM_RULES_AUID    "impd-im-rules"
#define IM_SETTINGS_AUID "impd-im"

enum im_reception_default { IM_DEFAULT_DELIVER, IM_DEFAULT_REJECT };

struct im_conf {
	uint32_t max_body;    /* 65536: larger bodies get 413 */
	bool store_offline;   /* yes: defer for offline users (202); no: 480 */
	uint32_t quota_msgs;  /* 100 waiting messages per user (0: none) */
	uint64_t quota_bytes; /* 1 MiB of waiting bodies per user (0: none) */
	uint32_t max_age_s;   /* 604800: waiting messages older are dropped
	                         (negative IMDN when asked for) */
	uint32_t retry_s;     /* 60: a failed drain is retried this late */
	const char *archive_domains; /* "*" or "a.example, b.example": whose
	                                messages are archived; "" none */
	uint32_t archive_days;       /* 365: archive retention */
	const char *exploder;        /* "exploder": sip:exploder@<domain> takes
	                                URI-list MESSAGEs (RFC 5365) */
	uint32_t max_group; /* 100: most recipients of one group message */
	bool stream_ok;     /* a TCP listener exists (large MESSAGEs to
	                       UDP devices go over TCP; else 513) */
	uint32_t udp_mtu;   /* 1300 */
	uint32_t poll_ms;   /* 500: documents changed by impctl */
	const char *server_name;
};

struct dom;
int im_alloc(struct im **ip, const struct im_conf *cf, struct proxy *px,
             struct loc *loc, struct dom *dom, struct store *st, struct evt *e,
             struct tmrl *tl);
/* proxy_local_h for MESSAGE to a local AoR. */
bool im_handle_message(struct sip_stsx *st, const char *ident, void *arg);

struct im_stats {
	uint32_t waiting;  /* deferred messages in the store */
	uint32_t draining; /* recipients being delivered to */
	uint64_t relayed, stored, delivered_later, expired, rejected;
};
void im_stats_get(const struct im *im, struct im_stats *s);

#endif
