/* store/docwatch.c - start-up load and change polling of documents */
#include "docwatch.h"

#include <errno.h>
#include <string.h>

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/tmr.h"
#include "../base/util.h"
#include "store.h"
#include "store_int.h"

#define LOG_MODULE "store"
#define POLL_MAX   256 /* documents per store round trip */

struct docwatch {
	struct le le; /* in st->dwatch */
	struct store *st;
	struct tmrl *tl;
	struct tmr tmr;
	uint32_t poll_ms;
	const char *const *auids;
	docwatch_h *h;
	void *arg;
	uint64_t seq;       /* highest change sequence seen */
	struct wpoll *busy; /* the round trip in progress, or NULL */
	bool again;         /* asked to poll while one was in progress */
};

/* One round trip; outlives the watcher when the store is slower. */
struct wpoll {
	struct docwatch *w; /* NULL once the watcher is gone */
};

static bool wanted(const struct docwatch *w, const char *auid)
{
	for (const char *const *a = w->auids; *a; a++)
		if (!strcmp(*a, auid))
			return true;
	return false;
}

static void start(struct docwatch *w);

static void poll_tmr_h(void *arg)
{
	start(arg);
}

static void schedule(struct docwatch *w)
{
	if (w->poll_ms && !w->busy)
		tmr_start(&w->tmr, w->tl, w->poll_ms, poll_tmr_h, w);
}

static void done(int err, const struct store_doc *docs, uint32_t n, void *arg)
{
	struct wpoll *p = arg;
	struct docwatch *w = p->w;
	bool more;

	if (!w)
		return;
	p->w = NULL;
	w->busy = NULL;
	if (err) {
		log_warn(NULL, "looking for changed documents: %s",
		         err_str(err));
		schedule(w);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (wanted(w, docs[i].auid)) {
			err = w->h(&docs[i], false, w->arg);
			if (err) {
				log_warn(NULL, "applying %s of %s: %s",
				         docs[i].auid, docs[i].owner,
				         err_str(err));
				break;
			}
		}
		if (docs[i].seq > w->seq)
			w->seq = docs[i].seq;
	}
	more = (!err && n >= POLL_MAX) || w->again;
	w->again = false;
	if (more && !err)
		start(w);
	else
		schedule(w);
}

static void start(struct docwatch *w)
{
	struct wpoll *p;
	int err;

	if (w->busy) {
		w->again = true;
		return;
	}
	tmr_cancel(&w->tmr);
	p = mem_zalloc(sizeof(*p), NULL);
	if (!p) {
		schedule(w);
		return;
	}
	p->w = w;
	w->busy = p;
	err = store_doc_changes_async(w->st, w->seq, POLL_MAX, done, p);
	if (err) {
		log_warn(NULL, "looking for changed documents: %s",
		         err_str(err));
		p->w = NULL;
		w->busy = NULL;
		schedule(w);
	}
	mem_deref(p);
}

void docwatch_poll(struct docwatch *w)
{
	if (w)
		start(w);
}

void docwatch_kick(struct store *st)
{
	struct le *le, *next;

	if (!st)
		return;
	/* a poll may complete at once (a store without a loop) and its
	 * handler may free watchers: take the next one first */
	for (le = st->dwatch.head; le; le = next) {
		next = le->next;
		docwatch_poll(le->data);
	}
}

static void destroy(void *data)
{
	struct docwatch *w = data;

	tmr_cancel(&w->tmr);
	list_unlink(&w->le);
	if (w->busy)
		w->busy->w = NULL;
}

struct load {
	struct docwatch *w;
	int err;
};

static void load_h(const struct store_doc *d, void *arg)
{
	struct load *l = arg;

	if (!l->err)
		l->err = l->w->h(d, true, l->w->arg);
}

int docwatch_alloc(struct docwatch **wp, struct store *st, struct tmrl *tl,
                   uint32_t poll_ms, const char *const *auids, docwatch_h *h,
                   void *arg)
{
	struct docwatch *w;
	struct load l;
	int err;

	if (!wp || !st || !tl || !auids || !h)
		return EINVAL;
	w = mem_zalloc(sizeof(*w), destroy);
	if (!w)
		return ENOMEM;
	w->st = st;
	w->tl = tl;
	w->poll_ms = poll_ms;
	w->auids = auids;
	w->h = h;
	w->arg = arg;
	tmr_init(&w->tmr);
	/* the sequence first: a change made while loading is seen again */
	err = store_doc_seq(st, &w->seq);
	l.w = w;
	l.err = 0;
	for (const char *const *a = auids; !err && *a; a++) {
		err = store_doc_list(st, *a, NULL, load_h, &l);
		if (!err)
			err = l.err;
	}
	if (err) {
		mem_deref(w);
		return err;
	}
	list_append(&st->dwatch, &w->le, w);
	schedule(w);
	*wp = w;
	return 0;
}
