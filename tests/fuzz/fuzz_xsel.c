/* tests/fuzz/fuzz_xsel.c - libFuzzer target: XCAP node selectors and URIs
 * (RFC 4825 6); input "selector\nquery". What xsel_print writes, decoded,
 * parses again to the same selector. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/xml.h"
#include "xcap/xsel.h"

static const char doc_xml[] =
    "<r xmlns='urn:r' xmlns:x='urn:x'><l n='a'><e u='1'/><x:e u='2' "
    "x:t='v'/><e u='3' xml:lang='en'/></l><l n='b/&quot;&amp;'><e/></l>"
    "<x:l/></r>";

static void pct_decode(char *s)
{
	char *w = s, h[3] = {0};

	for (; *s; s++) {
		if (*s == '%' && s[1] && s[2]) {
			memcpy(h, s + 1, 2);
			*w++ = (char)strtol(h, NULL, 16);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* s printed, decoded and parsed again selects what s selects. */
static void reparse(const struct xsel *s, const char *q, xmlDocPtr doc, int err,
                    const xmlNode *n)
{
	static char b[32768], b2[32768];
	struct xsel *s2 = NULL;
	xmlNode *n2 = NULL;

	if (xsel_print(s, s->n, b, sizeof(b)))
		return;
	strcpy(b2, b);
	pct_decode(b2);
	if (strlen(b2) > 4096)
		return;
	if (xsel_parse(&s2, b2, q, NULL, 0) == ENOMEM)
		return;
	if (!s2 || s2->n != s->n || xsel_print(s2, s2->n, b2, sizeof(b2)) ||
	    strcmp(b, b2) || xsel_eval(s2, doc, "urn:r", &n2, NULL) != err ||
	    (!err && n2 != n))
		abort();
	mem_deref(s2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xmlDocPtr doc;
	struct xsel *s = NULL;
	struct xcap_uri u;
	xmlNode *n = NULL;
	char *in = NULL, *nl, e[128];
	uint32_t depth;
	int err;

	if (!doc && xml_read_strict(&doc, doc_xml, strlen(doc_xml), NULL))
		abort();
	if (mem_strndup(&in, (const char *)data, size))
		return 0;
	nl = strchr(in, '\n');
	if (nl)
		*nl = '\0';
	if (!xsel_parse(&s, in, nl ? nl + 1 : NULL, e, sizeof(e))) {
		err = xsel_eval(s, doc, "urn:r", &n, &depth);
		if (depth > s->n || (err == 0) != (depth == s->n) ||
		    (err && err != ENOENT && err != E2BIG))
			abort();
		for (uint32_t i = 0; i < s->n; i++)
			xsel_step_match(s, &s->steps[i],
			                xmlDocGetRootElement(doc), "urn:r");
		reparse(s, nl ? nl + 1 : NULL, doc, err, n);
		mem_deref(s);
	}
	xcap_uri_parse(&u, in, nl ? nl + 1 : NULL, e, sizeof(e));
	xcap_uri_reset(&u);
	if (nl)
		*nl = '\n';
	xcap_uri_parse(&u, in, NULL, e, sizeof(e));
	xcap_uri_reset(&u);
	mem_deref(in);
	return 0;
}
