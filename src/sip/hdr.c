/* sip/hdr.c - header names, compact forms, char classes (RFC 3261 7.3, 25.1) */
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "msg_int.h"

/* Generated from the grammar of RFC 3261 25.1 (see msg_int.h CT_*); one
 * row per 8 octets. */
/* clang-format off */
const uint16_t sip_ctype[256] = {
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* 00 */
	0x0000, 0x0200, 0x0200, 0x0000, 0x0000, 0x0200, 0x0000, 0x0000, /* 08 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* 10 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* 18 */
	0x0200, 0x003f, 0x2000, 0x0800, 0x003c, 0x0001, 0x001c, 0x003f, /* 20 */
	0x083e, 0x083e, 0x083f, 0x0c3d, 0x200c, 0x0c7f, 0x0c7f, 0x0034, /* 28 */
	0x0dff, 0x0dff, 0x0dff, 0x0dff, 0x0dff, 0x0dff, 0x0dff, 0x0dff, /* 30 */
	0x0dff, 0x0dff, 0x0030, 0x0004, 0x2000, 0x000c, 0x0000, 0x0024, /* 38 */
	0x0000, 0x1d7f, 0x1d7f, 0x1d7f, 0x1d7f, 0x1d7f, 0x1d7f, 0x147f, /* 40 */
	0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, /* 48 */
	0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, /* 50 */
	0x147f, 0x147f, 0x147f, 0x0030, 0x0000, 0x0030, 0x0000, 0x007f, /* 58 */
	0x0001, 0x1d7f, 0x1d7f, 0x1d7f, 0x1d7f, 0x1d7f, 0x1d7f, 0x147f, /* 60 */
	0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, /* 68 */
	0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, 0x147f, /* 70 */
	0x147f, 0x147f, 0x147f, 0x0000, 0x0000, 0x0000, 0x003f, 0x0000, /* 78 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* 80 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* 88 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* 90 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* 98 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* a0 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* a8 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* b0 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* b8 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* c0 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* c8 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* d0 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* d8 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* e0 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* e8 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* f0 */
	0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, /* f8 */
};
/* clang-format on */

static const char *const hdr_names[SIP_HDR__COUNT] = {
    [SIP_HDR_ACCEPT] = "Accept",
    [SIP_HDR_ACCEPT_CONTACT] = "Accept-Contact",
    [SIP_HDR_ACCEPT_ENCODING] = "Accept-Encoding",
    [SIP_HDR_ACCEPT_LANGUAGE] = "Accept-Language",
    [SIP_HDR_ALERT_INFO] = "Alert-Info",
    [SIP_HDR_ALLOW] = "Allow",
    [SIP_HDR_ALLOW_EVENTS] = "Allow-Events",
    [SIP_HDR_AUTHENTICATION_INFO] = "Authentication-Info",
    [SIP_HDR_AUTHORIZATION] = "Authorization",
    [SIP_HDR_CALL_ID] = "Call-ID",
    [SIP_HDR_CALL_INFO] = "Call-Info",
    [SIP_HDR_CONTACT] = "Contact",
    [SIP_HDR_CONTENT_DISPOSITION] = "Content-Disposition",
    [SIP_HDR_CONTENT_ENCODING] = "Content-Encoding",
    [SIP_HDR_CONTENT_LANGUAGE] = "Content-Language",
    [SIP_HDR_CONTENT_LENGTH] = "Content-Length",
    [SIP_HDR_CONTENT_TYPE] = "Content-Type",
    [SIP_HDR_CSEQ] = "CSeq",
    [SIP_HDR_DATE] = "Date",
    [SIP_HDR_ERROR_INFO] = "Error-Info",
    [SIP_HDR_EVENT] = "Event",
    [SIP_HDR_EXPIRES] = "Expires",
    [SIP_HDR_FROM] = "From",
    [SIP_HDR_IN_REPLY_TO] = "In-Reply-To",
    [SIP_HDR_MAX_FORWARDS] = "Max-Forwards",
    [SIP_HDR_MIME_VERSION] = "MIME-Version",
    [SIP_HDR_MIN_EXPIRES] = "Min-Expires",
    [SIP_HDR_ORGANIZATION] = "Organization",
    [SIP_HDR_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
    [SIP_HDR_P_PREFERRED_IDENTITY] = "P-Preferred-Identity",
    [SIP_HDR_PATH] = "Path",
    [SIP_HDR_PRIORITY] = "Priority",
    [SIP_HDR_PRIVACY] = "Privacy",
    [SIP_HDR_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
    [SIP_HDR_PROXY_AUTHORIZATION] = "Proxy-Authorization",
    [SIP_HDR_PROXY_REQUIRE] = "Proxy-Require",
    [SIP_HDR_RACK] = "RAck",
    [SIP_HDR_REASON] = "Reason",
    [SIP_HDR_RECORD_ROUTE] = "Record-Route",
    [SIP_HDR_REFER_TO] = "Refer-To",
    [SIP_HDR_REFERRED_BY] = "Referred-By",
    [SIP_HDR_REJECT_CONTACT] = "Reject-Contact",
    [SIP_HDR_REPLACES] = "Replaces",
    [SIP_HDR_REPLY_TO] = "Reply-To",
    [SIP_HDR_REQUEST_DISPOSITION] = "Request-Disposition",
    [SIP_HDR_REQUIRE] = "Require",
    [SIP_HDR_RETRY_AFTER] = "Retry-After",
    [SIP_HDR_ROUTE] = "Route",
    [SIP_HDR_RSEQ] = "RSeq",
    [SIP_HDR_SERVER] = "Server",
    [SIP_HDR_SIP_ETAG] = "SIP-ETag",
    [SIP_HDR_SIP_IF_MATCH] = "SIP-If-Match",
    [SIP_HDR_SUBJECT] = "Subject",
    [SIP_HDR_SUBSCRIPTION_STATE] = "Subscription-State",
    [SIP_HDR_SUPPORTED] = "Supported",
    [SIP_HDR_TIMESTAMP] = "Timestamp",
    [SIP_HDR_TO] = "To",
    [SIP_HDR_UNSUPPORTED] = "Unsupported",
    [SIP_HDR_USER_AGENT] = "User-Agent",
    [SIP_HDR_VIA] = "Via",
    [SIP_HDR_WARNING] = "Warning",
    [SIP_HDR_WWW_AUTHENTICATE] = "WWW-Authenticate",
    [SIP_HDR_MIN_SE] = "Min-SE",
    [SIP_HDR_SESSION_EXPIRES] = "Session-Expires",
    [SIP_HDR_IDENTITY] = "Identity",
    [SIP_HDR_IDENTITY_INFO] = "Identity-Info",
    [SIP_HDR_GEOLOCATION] = "Geolocation",
    [SIP_HDR_HISTORY_INFO] = "History-Info",
    [SIP_HDR_SERVICE_ROUTE] = "Service-Route",
};

/* Compact forms (RFC 3261 7.3.3 and the RFCs defining them). */
static const uint8_t hdr_compact[26] = {
    ['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT,
    ['b' - 'a'] = SIP_HDR_REFERRED_BY,
    ['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
    ['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION,
    ['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
    ['f' - 'a'] = SIP_HDR_FROM,
    ['i' - 'a'] = SIP_HDR_CALL_ID,
    ['j' - 'a'] = SIP_HDR_REJECT_CONTACT,
    ['k' - 'a'] = SIP_HDR_SUPPORTED,
    ['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
    ['m' - 'a'] = SIP_HDR_CONTACT,
    ['n' - 'a'] = SIP_HDR_IDENTITY_INFO,
    ['o' - 'a'] = SIP_HDR_EVENT,
    ['r' - 'a'] = SIP_HDR_REFER_TO,
    ['s' - 'a'] = SIP_HDR_SUBJECT,
    ['t' - 'a'] = SIP_HDR_TO,
    ['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
    ['v' - 'a'] = SIP_HDR_VIA,
    ['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
    ['y' - 'a'] = SIP_HDR_IDENTITY,
};

/* Open addressing, linear probing; key = hash_name(), slots hold ids.
 * At most one extra probe for the known names. */
static const uint8_t hdr_hash[256] = {
    [2] = SIP_HDR_FROM,
    [4] = SIP_HDR_MAX_FORWARDS,
    [9] = SIP_HDR_REJECT_CONTACT,
    [15] = SIP_HDR_MIN_EXPIRES,
    [20] = SIP_HDR_RETRY_AFTER,
    [23] = SIP_HDR_DATE,
    [27] = SIP_HDR_SUPPORTED,
    [46] = SIP_HDR_UNSUPPORTED,
    [47] = SIP_HDR_ROUTE,
    [48] = SIP_HDR_GEOLOCATION,
    [49] = SIP_HDR_ALLOW,
    [56] = SIP_HDR_SERVICE_ROUTE,
    [61] = SIP_HDR_REQUIRE,
    [64] = SIP_HDR_TO,
    [66] = SIP_HDR_MIME_VERSION,
    [71] = SIP_HDR_REASON,
    [73] = SIP_HDR_ACCEPT_LANGUAGE,
    [74] = SIP_HDR_AUTHORIZATION,
    [78] = SIP_HDR_CONTENT_TYPE,
    [80] = SIP_HDR_SESSION_EXPIRES,
    [81] = SIP_HDR_WWW_AUTHENTICATE,
    [82] = SIP_HDR_CONTENT_LANGUAGE,
    [83] = SIP_HDR_SIP_ETAG,
    [89] = SIP_HDR_MIN_SE,
    [92] = SIP_HDR_PROXY_REQUIRE,
    [93] = SIP_HDR_CSEQ,
    [97] = SIP_HDR_PROXY_AUTHENTICATE,
    [103] = SIP_HDR_SUBSCRIPTION_STATE,
    [107] = SIP_HDR_WARNING,
    [108] = SIP_HDR_RSEQ,
    [113] = SIP_HDR_REFER_TO,
    [114] = SIP_HDR_ACCEPT_ENCODING,
    [117] = SIP_HDR_CONTENT_DISPOSITION,
    [119] = SIP_HDR_IN_REPLY_TO,
    [122] = SIP_HDR_AUTHENTICATION_INFO,
    [123] = SIP_HDR_CONTENT_ENCODING,
    [127] = SIP_HDR_PROXY_AUTHORIZATION,
    [128] = SIP_HDR_PATH,
    [131] = SIP_HDR_ORGANIZATION,
    [132] = SIP_HDR_REQUEST_DISPOSITION,
    [133] = SIP_HDR_VIA,
    [134] = SIP_HDR_REPLY_TO,
    [136] = SIP_HDR_RECORD_ROUTE,
    [145] = SIP_HDR_IDENTITY_INFO,
    [152] = SIP_HDR_HISTORY_INFO,
    [154] = SIP_HDR_CALL_INFO,
    [156] = SIP_HDR_TIMESTAMP,
    [159] = SIP_HDR_ALERT_INFO,
    [163] = SIP_HDR_ERROR_INFO,
    [164] = SIP_HDR_IDENTITY,
    [165] = SIP_HDR_PRIORITY,
    [170] = SIP_HDR_PRIVACY,
    [172] = SIP_HDR_RACK,
    [186] = SIP_HDR_REPLACES,
    [188] = SIP_HDR_REFERRED_BY,
    [190] = SIP_HDR_EXPIRES,
    [195] = SIP_HDR_EVENT,
    [198] = SIP_HDR_ACCEPT,
    [200] = SIP_HDR_P_ASSERTED_IDENTITY,
    [205] = SIP_HDR_SERVER,
    [207] = SIP_HDR_P_PREFERRED_IDENTITY,
    [209] = SIP_HDR_ALLOW_EVENTS,
    [228] = SIP_HDR_CONTENT_LENGTH,
    [230] = SIP_HDR_SIP_IF_MATCH,
    [234] = SIP_HDR_USER_AGENT,
    [238] = SIP_HDR_SUBJECT,
    [244] = SIP_HDR_CALL_ID,
    [248] = SIP_HDR_ACCEPT_CONTACT,
    [252] = SIP_HDR_CONTACT,
};

static inline unsigned hash_name(const char *p, size_t n)
{
	unsigned a = (uint8_t)p[0] | 0x20, b = (uint8_t)p[n - 1] | 0x20;
	unsigned c = (uint8_t)p[n / 2] | 0x20;

	return ((unsigned)n * 7 + a + b * 31 + c * 3) & 255;
}

/* p[0..n) equals NUL-terminated s, ASCII case-insensitive. */
static bool name_eq(const char *p, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		char a = p[i], b = s[i], lb = (char)(b | 0x20);

		if (!b)
			return false;
		if (a != b && ((a | 0x20) != lb || lb < 'a' || lb > 'z'))
			return false;
	}
	return s[n] == '\0';
}

const char *sip_hdr_name(enum sip_hdrid id)
{
	if (id <= SIP_HDR_OTHER || id >= SIP_HDR__COUNT)
		return NULL;
	return hdr_names[id];
}

enum sip_hdrid sip_hdr_id(const struct pl *name)
{
	const char *p;
	size_t n;

	if (!name || !name->p || !name->l)
		return SIP_HDR_OTHER;
	p = name->p;
	n = name->l;
	if (n == 1) {
		unsigned c = (uint8_t)p[0] | 0x20;
		if (c < 'a' || c > 'z')
			return SIP_HDR_OTHER;
		return (enum sip_hdrid)hdr_compact[c - 'a'];
	}
	for (unsigned k = hash_name(p, n);; k = (k + 1) & 255) {
		unsigned id = hdr_hash[k];
		const char *s;

		if (!id)
			return SIP_HDR_OTHER;
		s = hdr_names[id];
		if (name_eq(p, n, s))
			return (enum sip_hdrid)id;
	}
}

bool sip_hdr_is_list(enum sip_hdrid id)
{
	switch (id) {
	case SIP_HDR_ACCEPT:
	case SIP_HDR_ACCEPT_CONTACT:
	case SIP_HDR_ACCEPT_ENCODING:
	case SIP_HDR_ACCEPT_LANGUAGE:
	case SIP_HDR_ALERT_INFO:
	case SIP_HDR_ALLOW:
	case SIP_HDR_ALLOW_EVENTS:
	case SIP_HDR_CALL_INFO:
	case SIP_HDR_CONTACT:
	case SIP_HDR_CONTENT_ENCODING:
	case SIP_HDR_CONTENT_LANGUAGE:
	case SIP_HDR_ERROR_INFO:
	case SIP_HDR_IN_REPLY_TO:
	case SIP_HDR_P_ASSERTED_IDENTITY:
	case SIP_HDR_P_PREFERRED_IDENTITY:
	case SIP_HDR_PATH:
	case SIP_HDR_PROXY_REQUIRE:
	case SIP_HDR_REASON:
	case SIP_HDR_RECORD_ROUTE:
	case SIP_HDR_REJECT_CONTACT:
	case SIP_HDR_REQUEST_DISPOSITION:
	case SIP_HDR_REQUIRE:
	case SIP_HDR_ROUTE:
	case SIP_HDR_SUPPORTED:
	case SIP_HDR_UNSUPPORTED:
	case SIP_HDR_VIA:
	case SIP_HDR_WARNING:
	case SIP_HDR_GEOLOCATION:
	case SIP_HDR_HISTORY_INFO:
	case SIP_HDR_SERVICE_ROUTE:
		return true;
	default:
		return false;
	}
}

const char *sip_transp_name(enum sip_transp tp)
{
	switch (tp) {
	case SIP_TRANSP_UDP:
		return "UDP";
	case SIP_TRANSP_TCP:
		return "TCP";
	case SIP_TRANSP_TLS:
		return "TLS";
	default:
		return "";
	}
}

const char *sip_transp_lname(enum sip_transp tp)
{
	switch (tp) {
	case SIP_TRANSP_UDP:
		return "udp";
	case SIP_TRANSP_TCP:
		return "tcp";
	case SIP_TRANSP_TLS:
		return "tls";
	default:
		return "?";
	}
}

enum sip_transp sip_transp_decode(const struct pl *pl)
{
	if (!pl || !pl->p)
		return SIP_TRANSP_NONE;
	if (PL_IEQ(pl, "udp"))
		return SIP_TRANSP_UDP;
	if (PL_IEQ(pl, "tcp"))
		return SIP_TRANSP_TCP;
	if (PL_IEQ(pl, "tls"))
		return SIP_TRANSP_TLS;
	return SIP_TRANSP_NONE;
}

uint16_t sip_transp_port(enum sip_transp tp)
{
	return tp == SIP_TRANSP_TLS ? 5061 : 5060;
}
