/* store/docwatch.h - follow stored documents of some application usages:
 * load them at start-up, then learn about changes (impctl, XCAP, other
 * nodes) by polling the store's change sequence. */
#ifndef STORE_DOCWATCH_H
#define STORE_DOCWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct store;
struct store_doc;
struct tmrl;
struct docwatch;

/* Called for every live document at start-up (startup true) and for
 * every later change (content NULL: deleted). A non-zero return (ENOMEM)
 * makes the watcher offer that change again at the next poll. */
typedef int docwatch_h(const struct store_doc *d, bool startup, void *arg);

/* Watch the documents whose auid is in auids (NULL-terminated, borrowed:
 * static strings). Loads the live ones synchronously (call before the
 * loop runs), then polls every poll_ms (0: never). */
int docwatch_alloc(struct docwatch **wp, struct store *st, struct tmrl *tl,
                   uint32_t poll_ms, const char *const *auids, docwatch_h *h,
                   void *arg);
/* Look for changes now (a local writer knows something changed). */
void docwatch_poll(struct docwatch *w);
/* docwatch_poll for every watcher of st: a writer in this process (XCAP)
 * makes every service see its change at once instead of at the next
 * poll. */
void docwatch_kick(struct store *st);

#endif
