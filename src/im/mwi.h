/* im/mwi.h - the message-summary event package (RFC 3842) for deferred
 * pager messages: a user subscribes to its own AoR and learns how many
 * messages wait for it. */
#ifndef IM_MWI_H
#define IM_MWI_H

#include <stdint.h>

struct buf;
struct evt;
struct im_mwi;

#define MWI_EVENT "message-summary"
#define MWI_CTYPE "application/simple-message-summary"

/* Registers the package on e: owner-only subscriptions (others 403),
 * default expiry 3600; every NOTIFY carries the current counts (the
 * body is always full state). */
int im_mwi_alloc(struct im_mwi **mp, struct evt *e);
/* The waiting count of aor ("bob@example.com") changed: remember it and
 * NOTIFY its subscribers (coalesced by the events framework). */
void im_mwi_set(struct im_mwi *m, const char *aor, uint32_t waiting);
uint32_t im_mwi_get(const struct im_mwi *m, const char *aor);

/* The body (pure): "Messages-Waiting: yes|no", "Message-Account:
 * <account>" and "Text-Message: N/0" lines (RFC 3842 5.2, message class
 * text-message of RFC 3458). */
int im_mwi_body(struct buf **mbp, const char *account_uri, uint32_t waiting);

#endif
