/* conf/conf_table.c - every configuration key, once */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/sa.h"
#include "conf_int.h"

#define OFF(f) offsetof(struct conf, f)
#define SZ(f)  sizeof(((struct conf *)0)->f)
#define STR(k, f, def, fl, chk, doc)                                           \
	{                                                                      \
		(k), CONF_STR, OFF(f), SZ(f), (def), 0, 0, (fl), (chk), (doc)  \
	}
#define U32(k, f, def, lo, hi, fl, doc)                                        \
	{                                                                      \
		(k), CONF_U32, OFF(f), SZ(f), (def), (lo), (hi), (fl), NULL,   \
		    (doc)                                                      \
	}
#define BOOL(k, f, def, fl, doc)                                               \
	{                                                                      \
		(k), CONF_BOOL, OFF(f), SZ(f), (def), 0, 1, (fl), NULL, (doc)  \
	}

static const char *check_log_level(const char *v)
{
	enum log_level lvl;

	return log_level_parse(v, &lvl)
	           ? "expected one of debug, info, notice, warn, err"
	           : NULL;
}

/* "" or "ADDR:PORT", "[v6]:PORT" with a numeric address (what
 * http_alloc takes). */
static const char *check_http_listen(const char *v)
{
	const char *colon = strrchr(v, ':'), *rb = strchr(v, ']');
	struct sa sa;

	if (!*v)
		return NULL;
	if (!colon || !colon[1] || (v[0] == '[' && (!rb || colon < rb)) ||
	    sa_decode(&sa, v, strlen(v)))
		return "expected ADDR:PORT or [IPv6]:PORT";
	return NULL;
}

/* "scheme:rest" with a lower-case scheme; store_open knows which ones
 * this build has. */
static const char *check_store(const char *v)
{
	const char *c = strchr(v, ':');

	if (!c || c == v)
		return "expected a store URI such as sqlite:impd.db";
	for (const char *p = v; p < c; p++)
		if (*p < 'a' || *p > 'z')
			return "expected a store URI such as sqlite:impd.db";
	return NULL;
}

static const char *check_handling(const char *v)
{
	static const char *const names[] = {"allow", "confirm", "polite-block",
	                                    "block"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			return NULL;
	return "expected one of allow, confirm, polite-block, block";
}

const struct conf_key conf_keys[] = {
    /* core */
    {"listen", CONF_LISTEN, OFF(listen), SZ(listen[0].spec), NULL, 0,
     CONF_MAX_LISTEN, 0, NULL,
     "Where SIP is served: udp|tcp|tls:ADDRESS:PORT, IPv6 in brackets. "
     "Repeatable. None given: the daemon listens on "
     "udp:127.0.0.1:5060 and tcp:127.0.0.1:5060."},
    {"domain", CONF_DOMAIN, OFF(domains), SZ(domains[0]), NULL, 0,
     CONF_MAX_DOMAINS, CONF_RELOAD, NULL,
     "A domain this server is responsible for, in addition to those in "
     "the store (impctl domain add). Repeatable."},
    STR("store", store, "sqlite:impd.db", CONF_NONEMPTY, check_store,
        "Where users, domains and registrations live: sqlite:PATH."),
    STR("server_name", server_name, "impd/0.1.0", CONF_RELOAD, NULL,
        "Server and User-Agent header value; empty: no header."),
    STR("log_level", log_level, "info", CONF_RELOAD | CONF_NONEMPTY,
        check_log_level, "One of debug, info, notice, warn, err."),

    /* tls */
    STR("tls.cert", tls_cert, "", 0, NULL,
        "PEM certificate chain for TLS listeners and client connections."),
    STR("tls.key", tls_key, "", 0, NULL, "PEM private key of tls.cert."),
    STR("tls.ca", tls_ca, "", 0, NULL,
        "PEM CA bundle to verify peers; empty: the system store."),
    BOOL("tls.verify_client", tls_verify_client, "no", 0,
         "Require and verify client certificates (needs tls.ca)."),
    BOOL("tls.verify_server", tls_verify_server, "yes", 0,
         "Verify the certificates of servers we connect to."),

    /* sip */
    U32("sip.max_msg", max_msg, "65535", 1024, 16777216, 0,
        "Largest SIP message accepted, in octets."),
    U32("sip.max_hdr", max_hdr, "16384", 512, 1048576, 0,
        "Largest header section accepted, in octets (<= sip.max_msg)."),
    U32("sip.max_conns", max_conns, "4096", 1, 1000000, 0,
        "Most simultaneous TCP/TLS connections."),
    U32("sip.tcp_idle_s", tcp_idle_s, "600", 10, 86400, 0,
        "Close a TCP/TLS connection idle this long, in seconds."),
    U32("sip.connect_ms", connect_ms, "5000", 100, 60000, 0,
        "Timeout for outgoing TCP/TLS connection setup, in ms."),
    U32("sip.udp_mtu", udp_mtu, "1300", 576, 65535, 0,
        "Requests larger than this go over TCP (RFC 3261 18.1.1)."),
    U32("sip.t1_ms", t1_ms, "500", 10, 10000, 0,
        "Timer T1, the RTT estimate (RFC 3261 17), in ms."),
    U32("sip.t2_ms", t2_ms, "4000", 100, 60000, 0,
        "Timer T2, the longest retransmit interval, in ms (>= T1)."),
    U32("sip.t4_ms", t4_ms, "5000", 100, 60000, 0,
        "Timer T4, the longest a message stays in the network, in ms."),
    BOOL("sip.lenient", lenient, "no", CONF_RELOAD,
         "Accept common malformed forms from old clients (logged)."),

    /* registrar */
    U32("registrar.min_expires", reg_min_expires, "60", 1, 86400, CONF_RELOAD,
        "Shortest registration accepted (else 423), in s."),
    U32("registrar.max_expires", reg_max_expires, "3600", 1, 604800,
        CONF_RELOAD, "Longer registrations are cut to this, in s."),
    U32("registrar.default_expires", reg_default_expires, "3600", 1, 604800,
        CONF_RELOAD, "Expiry when the REGISTER gives none, in s (min..max)."),
    U32("registrar.max_contacts", reg_max_contacts, "10", 1, 1000, CONF_RELOAD,
        "Most bindings per address of record."),

    /* auth */
    BOOL("auth.register", auth_register, "yes", CONF_RELOAD,
         "Challenge REGISTER requests (401)."),
    BOOL("auth.proxy", auth_proxy, "yes", CONF_RELOAD,
         "Challenge requests from local users (407)."),
    U32("auth.nonce_ttl_s", nonce_ttl_s, "300", 10, 86400, CONF_RELOAD,
        "A nonce is stale after this many seconds."),
    U32("auth.cache_s", auth_cache_s, "60", 0, 3600, CONF_RELOAD,
        "Cache credentials read from the store this long, in s."),
    BOOL("auth.md5", auth_md5, "yes", CONF_RELOAD,
         "Offer MD5 digest challenges."),
    BOOL("auth.sha256", auth_sha256, "no", CONF_RELOAD,
         "Offer SHA-256 digest challenges too (RFC 8760). Off by default: "
         "some deployed clients (baresip 1.0) fail on any challenge "
         "whose algorithm they do not know."),
    BOOL("auth.sha256_first", auth_sha256_first, "no", CONF_RELOAD,
         "With auth.sha256: put the SHA-256 challenge before the MD5 one "
         "(RFC 8760 order of preference); off: MD5 first, for clients "
         "that answer only the first challenge (sipp)."),

    /* proxy */
    U32("proxy.timer_c_s", timer_c_s, "180", 10, 86400, CONF_RELOAD,
        "Timer C for proxied INVITEs (RFC 3261 16.6), in s."),
    U32("proxy.serial_s", serial_s, "0", 0, 3600, CONF_RELOAD,
        "Try each contact this long in q order; 0: fork in parallel."),

    /* events (RFC 6665) */
    U32("events.min_expires", evt_min_expires, "60", 1, 86400, 0,
        "Shortest subscription accepted (else 423), in s."),
    U32("events.max_expires", evt_max_expires, "3600", 1, 604800, 0,
        "Longer subscriptions are shortened to this, in s."),
    U32("events.notify_interval_ms", evt_notify_interval_ms, "500", 0, 600000,
        0,
        "Least time between two NOTIFYs of one subscription; changes in "
        "between are sent together. A subscriber's RFC 6446 throttle "
        "may ask for more."),
    U32("events.notify_retries", evt_notify_retries, "3", 0, 10, 0,
        "A NOTIFY that times out or gets 408/5xx is sent again (after 1, "
        "2, 4 ... s) this many times before the subscription ends."),
    U32("events.max_subs", evt_max_subs, "0", 0, 100000000, 0,
        "Most subscriptions at once (503 beyond); 0: no limit."),

    /* presence */
    U32("presence.pub_min_expires", pres_pub_min_expires, "60", 1, 86400, 0,
        "Shortest publication accepted (else 423), in s."),
    U32("presence.pub_max_expires", pres_pub_max_expires, "3600", 1, 604800, 0,
        "Longer publications are shortened to this, in s."),
    U32("presence.pub_default_expires", pres_pub_default_expires, "3600", 1,
        604800, 0, "Publication lifetime when PUBLISH has no Expires, in s."),
    U32("presence.sub_default_expires", pres_sub_default_expires, "3600", 1,
        604800, 0,
        "Subscription lifetime when SUBSCRIBE has no Expires, in s."),
    U32("presence.max_doc", pres_max_doc, "65536", 1024, 1048576, 0,
        "Largest presence document accepted in PUBLISH (else 413), octets."),
    U32("presence.max_pubs", pres_max_pubs, "16", 1, 1024, 0,
        "Most live publications per presentity (else 403)."),
    BOOL("presence.lenient_pidf", pres_lenient, "yes", 0,
         "Accept PIDF with undeclared well-known prefixes (rpid:, dm:, "
         "sc:), as in the seed documents; output is always strict."),
    STR("presence.trusted_publishers", pres_trusted, "", 0, NULL,
        "Comma-separated users (user@domain) that may publish for every "
        "presentity of their domain: calendar or telephony gateways."),
    STR("presence.default_local", pres_default_local, "allow", CONF_NONEMPTY,
        check_handling,
        "What a watcher of the presentity's own domain gets when the "
        "presentity's rules do not decide: allow, confirm, polite-block, "
        "block."),
    STR("presence.default_foreign", pres_default_foreign, "confirm",
        CONF_NONEMPTY, check_handling,
        "The same for watchers of other domains."),
    BOOL("presence.trust_foreign_from", pres_trust_foreign_from, "no", 0,
         "Let the From of an unauthenticated watcher of another domain "
         "match identity conditions of rules (only behind a trusted "
         "federation link)."),
    U32("presence.rules_poll_ms", pres_rules_poll_ms, "500", 0, 60000, 0,
        "How often the daemon looks for rules changed by impctl or "
        "another node, in ms; 0: never."),

    /* pager IM (RFC 3428) */
    U32("im.max_body", im_max_body, "65536", 1, 1048576, 0,
        "Largest MESSAGE body accepted (else 413), octets."),
    BOOL("im.store_offline", im_store_offline, "yes", 0,
         "Keep MESSAGEs for users with no device that takes them and "
         "answer 202; no: answer 480."),
    U32("im.quota_msgs", im_quota_msgs, "100", 0, 1000000, 0,
        "Most messages waiting for one user (else 486); 0: no limit."),
    U32("im.quota_kb", im_quota_kb, "1024", 0, 16777216, 0,
        "Most KiB of message bodies waiting for one user (else 486); 0: "
        "no limit."),
    U32("im.max_age_h", im_max_age_h, "168", 1, 87600, 0,
        "Waiting messages older than this are dropped (negative IMDN when "
        "asked for), in hours."),
    U32("im.retry_s", im_retry_s, "60", 0, 86400, 0,
        "A registered user whose devices refused delivery is tried again "
        "after this long, in s; 0: only at the next registration."),
    STR("im.archive_domains", im_archive_domains, "", 0, NULL,
        "Domains whose users' messages are archived (comma-separated, '*' "
        "for all); a user's own setting (impctl im archive) wins."),
    U32("im.archive_days", im_archive_days, "365", 1, 36500, 0,
        "Archived messages older than this are deleted, in days."),
    STR("im.exploder", im_exploder, "exploder", 0, NULL,
        "User part of the URI-list service (RFC 5365): MESSAGEs to "
        "sip:exploder@DOMAIN with Require: recipient-list-message fan "
        "out; empty: none."),
    U32("im.max_group", im_max_group, "100", 1, 10000, 0,
        "Most recipients of one group or URI-list message (else 403)."),

    /* HTTP: message history API (XCAP later) */
    STR("http.listen", http_listen, "", 0, NULL,
        "HTTP listener \"ADDR:PORT\" (\"[::1]:8080\"); empty: no HTTP."),
    STR("http.admins", http_admins, "", 0, NULL,
        "Users (user@domain, comma-separated) who may read every user's "
        "data of their domain over HTTP."),
    U32("http.max_body", http_max_body, "1048576", 1024, 67108864, 0,
        "Largest HTTP request body (else 413), octets."),
    STR("http.tls_listen", http_tls_listen, "", 0, check_http_listen,
        "HTTPS listener for XCAP and the HTTP API, e.g. 127.0.0.1:8443; "
        "empty: no HTTPS."),
    STR("http.tls_cert", http_tls_cert, "", 0, NULL,
        "PEM certificate chain of the HTTPS listener; empty: tls.cert."),
    STR("http.tls_key", http_tls_key, "", 0, NULL,
        "PEM private key of http.tls_cert; empty: tls.key."),

    /* XCAP (RFC 4825) on the HTTP listeners */
    STR("xcap.root", xcap_root, "/xcap", 0, NULL,
        "Path of the XCAP root on the HTTP and HTTPS listeners."),
    STR("xcap.root_uri", xcap_root_uri, "", 0, NULL,
        "Absolute XCAP root URI given to clients and written into "
        "xcap-diff bodies; empty: built from http.tls_listen (else "
        "http.listen) and xcap.root."),
    U32("xcap.max_doc", xcap_max_doc, "1048576", 1024, 16777216, 0,
        "Largest document an XCAP write may leave (else 409 "
        "constraint-failure), octets."),

    /* resource list server (RFC 4662) */
    STR("rls.buddies_suffix", rls_buddies_suffix, "-buddies", 0, NULL,
        "sip:USER<suffix>@DOMAIN is USER's buddy list (every list of "
        "the resource-lists document \"index\"); empty: off."),
    U32("rls.max_resources", rls_max_resources, "1000", 1, 10000, 0,
        "Most members of one list subscription (the rest is left out "
        "and logged)."),
    U32("rls.wait_ms", rls_wait_ms, "300", 0, 10000, 0,
        "How long the first NOTIFY of a list waits for the first state "
        "of its local members, ms."),
    U32("rls.be_expires", rls_be_expires, "3600", 60, 86400, 0,
        "Expires of the RLS's SIP subscriptions to members in other "
        "domains, s."),
};

const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);

const struct conf_key *conf_key_find(const char *key, size_t len)
{
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strlen(k->key) == len && !strncasecmp(k->key, key, len))
			return k;
	}
	return NULL;
}
