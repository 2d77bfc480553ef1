/* event/winfo_doc.h - watcher information documents (RFC 3858) */
#ifndef EVENT_WINFO_DOC_H
#define EVENT_WINFO_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

#define WINFO_CTYPE "application/watcherinfo+xml"

/* One <watcher>. status: "pending", "active", "waiting", "terminated";
 * event: "subscribe", "approved", "deactivated", "probation", "rejected",
 * "timeout", "giveup", "noresource". */
struct winfo_watcher {
	const char *id;      /* stable per subscription */
	const char *uri;     /* watcher URI (element content) */
	const char *display; /* display-name or NULL */
	const char *status;
	const char *event;
	uint32_t duration_s;   /* duration-subscribed */
	uint32_t expiration_s; /* 0: attribute left out */
};

/* A <watcherinfo> with one <watcher-list resource=... package=...>.
 * state "full" or "partial". Pure; strings are XML-escaped by libxml2.
 * (added by the winfo_doc helper: EINVAL for a missing id/uri, an unknown
 * status or event, or text that is not UTF-8 XML characters, e.g. a
 * control character in a display name: callers clean those first. The
 * parser calls h only once the whole document is valid; the strings h
 * sees live until it returns.) */
int winfo_doc_build(struct buf **mbp, uint32_t version, bool full,
                    const char *resource_uri, const char *package,
                    const struct winfo_watcher *w, size_t n);

/* Parse (tests; impd as a winfo subscriber later): calls h for every
 * watcher of every list. EBADMSG with err text. */
struct winfo_info {
	uint32_t version;
	bool full;
};
typedef void winfo_watcher_h(const char *resource, const char *package,
                             const struct winfo_watcher *w, void *arg);
int winfo_doc_parse(const char *xml, size_t len, struct winfo_info *info,
                    winfo_watcher_h *h, void *arg, char *err, size_t errsize);

#endif
