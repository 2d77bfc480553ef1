/* tests/fuzz/fuzz_winfo.c - libFuzzer target: watcherinfo (RFC 3858) */
#include <errno.h>
#include <stdlib.h>

#include "base/mem.h"
#include "event/winfo_doc.h"

/* Whatever parses must build again, and that must parse. */
static void watcher_h(const char *res, const char *pkg,
                      const struct winfo_watcher *w, void *arg)
{
	struct winfo_info info;
	struct buf *mb = NULL;
	int err;

	(void)arg;
	err = winfo_doc_build(&mb, 1, true, res, pkg, w, 1);
	if (!err)
		err = winfo_doc_parse((const char *)mb->b, mb->end, &info, NULL,
		                      NULL, NULL, 0);
	if (err && err != ENOMEM)
		abort();
	mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct winfo_info info;
	char err[128];

	winfo_doc_parse((const char *)data, size, &info, watcher_h, NULL, err,
	                sizeof(err));
	return 0;
}
