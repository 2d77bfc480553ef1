/* sip/reason.c - default reason phrases (RFC 3261 21 and extensions) */
#include <stddef.h>

#include "msg.h"

static const struct {
	uint16_t code;
	const char *phrase;
} reasons[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {199, "Early Dialog Terminated"}, /* RFC 6228 */
    {200, "OK"},
    {202, "Accepted"},        /* RFC 3265 */
    {204, "No Notification"}, /* RFC 5839 */
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {412, "Conditional Request Failed"}, /* RFC 3903 */
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {417, "Unknown Resource-Priority"}, /* RFC 4412 */
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"}, /* RFC 4028 */
    {423, "Interval Too Brief"},
    {424, "Bad Location Information"},         /* RFC 6442 */
    {428, "Use Identity Header"},              /* RFC 4474 */
    {429, "Provide Referrer Identity"},        /* RFC 3892 */
    {430, "Flow Failed"},                      /* RFC 5626 */
    {433, "Anonymity Disallowed"},             /* RFC 5079 */
    {436, "Bad Identity-Info"},                /* RFC 4474 */
    {437, "Unsupported Certificate"},          /* RFC 4474 */
    {438, "Invalid Identity Header"},          /* RFC 4474 */
    {439, "First Hop Lacks Outbound Support"}, /* RFC 5626 */
    {440, "Max-Breadth Exceeded"},             /* RFC 5393 */
    {469, "Bad Info Package"},                 /* RFC 6086 */
    {470, "Consent Needed"},                   /* RFC 5360 */
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"}, /* RFC 6665 */
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {494, "Security Agreement Required"}, /* RFC 3329 */
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {555, "Push Notification Service Not Supported"}, /* 8599 */
    {580, "Precondition Failure"},                    /* RFC 3312 */
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
    {607, "Unwanted"}, /* RFC 8197 */
    {608, "Rejected"}, /* RFC 8688 */
};

const char *sip_reason(uint16_t scode)
{
	static const char *const cls[] = {
	    "Unknown",      "Provisional",  "Successful",    "Redirection",
	    "Client Error", "Server Error", "Global Failure"};
	size_t lo = 0, hi = sizeof(reasons) / sizeof(reasons[0]);

	while (lo < hi) { /* sorted by code */
		size_t mid = (lo + hi) / 2;

		if (reasons[mid].code == scode)
			return reasons[mid].phrase;
		if (reasons[mid].code < scode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return scode >= 100 && scode < 700 ? cls[scode / 100] : cls[0];
}
