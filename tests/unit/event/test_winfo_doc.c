/* tests/unit/event/test_winfo_doc.c - watcherinfo documents (RFC 3858) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "event/winfo_doc.h"
#include "test.h"

enum { MAXW = 4 };

/* What the parser handed to the callback, copied. */
struct seen {
	unsigned n;
	struct {
		char resource[64], package[32];
		char id[32], uri[96], display[64], status[16], event[16];
		bool has_display;
		uint32_t duration, expiration;
	} w[MAXW];
};

static void cpy(char *d, size_t size, const char *s)
{
	snprintf(d, size, "%s", s ? s : "");
}

static void seen_h(const char *resource, const char *package,
                   const struct winfo_watcher *w, void *arg)
{
	struct seen *s = arg;

	if (s->n >= MAXW) {
		s->n++;
		return;
	}
	cpy(s->w[s->n].resource, sizeof(s->w[0].resource), resource);
	cpy(s->w[s->n].package, sizeof(s->w[0].package), package);
	cpy(s->w[s->n].id, sizeof(s->w[0].id), w->id);
	cpy(s->w[s->n].uri, sizeof(s->w[0].uri), w->uri);
	cpy(s->w[s->n].display, sizeof(s->w[0].display), w->display);
	cpy(s->w[s->n].status, sizeof(s->w[0].status), w->status);
	cpy(s->w[s->n].event, sizeof(s->w[0].event), w->event);
	s->w[s->n].has_display = w->display != NULL;
	s->w[s->n].duration = w->duration_s;
	s->w[s->n].expiration = w->expiration_s;
	s->n++;
}

/* The built document as a C string (it has no NUL inside). */
static bool has(const struct buf *mb, const char *needle)
{
	return memmem(mb->b, mb->end, needle, strlen(needle)) != NULL;
}

TEST(test_winfo_doc_roundtrip)
{
	const struct winfo_watcher w[2] = {
	    {"w1", "sip:alice@example.com", "Alice", "pending", "subscribe", 0,
	     3600},
	    {"w2", "sips:carol@example.org", NULL, "terminated", "timeout", 725,
	     0},
	};
	struct winfo_info info = {99, false};
	struct buf *mb = NULL;
	struct seen s;
	char e[128];
	int err;

	memset(&s, 0, sizeof(s));
	err = winfo_doc_build(&mb, 7, true, "sip:bob@example.com", "presence",
	                      w, 2);
	TEST_ERR(err);
	TEST_ASSERT(mb->end > 0);
	TEST_ASSERT(!memcmp(mb->b, "<?xml version=\"1.0\"", 19));
	TEST_ASSERT(has(mb, "encoding=\"UTF-8\""));
	TEST_ASSERT(has(mb, "<watcherinfo xmlns=\"urn:ietf:params:xml:ns:"
	                    "watcherinfo\" version=\"7\" state=\"full\">"));
	TEST_ASSERT(has(mb, "<watcher-list resource=\"sip:bob@example.com\" "
	                    "package=\"presence\">"));
	TEST_ASSERT(has(mb, "<watcher id=\"w1\" status=\"pending\" "
	                    "event=\"subscribe\" duration-subscribed=\"0\" "
	                    "expiration=\"3600\" display-name=\"Alice\">"
	                    "sip:alice@example.com</watcher>"));
	/* expiration 0 is left out, no display-name */
	TEST_ASSERT(has(mb, "<watcher id=\"w2\" status=\"terminated\" "
	                    "event=\"timeout\" duration-subscribed=\"725\">"
	                    "sips:carol@example.org</watcher>"));

	err = winfo_doc_parse((const char *)mb->b, mb->end, &info, seen_h, &s,
	                      e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_EQ(7, info.version);
	TEST_ASSERT(info.full);
	TEST_EQ(2, s.n);
	TEST_STR_EQ("sip:bob@example.com", s.w[0].resource);
	TEST_STR_EQ("presence", s.w[0].package);
	TEST_STR_EQ("w1", s.w[0].id);
	TEST_STR_EQ("sip:alice@example.com", s.w[0].uri);
	TEST_STR_EQ("Alice", s.w[0].display);
	TEST_STR_EQ("pending", s.w[0].status);
	TEST_STR_EQ("subscribe", s.w[0].event);
	TEST_EQ(0, s.w[0].duration);
	TEST_EQ(3600, s.w[0].expiration);
	TEST_STR_EQ("w2", s.w[1].id);
	TEST_ASSERT(!s.w[1].has_display);
	TEST_STR_EQ("terminated", s.w[1].status);
	TEST_STR_EQ("timeout", s.w[1].event);
	TEST_EQ(725, s.w[1].duration);
	TEST_EQ(0, s.w[1].expiration);
	mb = mem_deref(mb);

	/* partial, no watchers */
	memset(&s, 0, sizeof(s));
	err = winfo_doc_build(&mb, 8, false, "sip:bob@example.com", "presence",
	                      NULL, 0);
	TEST_ERR(err);
	TEST_ASSERT(has(mb, "state=\"partial\""));
	err = winfo_doc_parse((const char *)mb->b, mb->end, &info, seen_h, &s,
	                      e, sizeof(e));
	TEST_ERR(err);
	TEST_EQ(8, info.version);
	TEST_ASSERT(!info.full);
	TEST_EQ(0, s.n);
out:
	mem_deref(mb);
	return err;
}

TEST(test_winfo_doc_escaping)
{
	const struct winfo_watcher w = {"id\"<&>'",
	                                "sip:a%20b@example.com;x=\"<&>\"",
	                                "Al & \"Bo\" <x>\n",
	                                "active",
	                                "approved",
	                                5,
	                                0};
	struct winfo_info info;
	struct buf *mb = NULL;
	struct seen s;
	int err;

	memset(&s, 0, sizeof(s));
	err = winfo_doc_build(&mb, 0, true, "sip:b&o@example.com", "reg\"x", &w,
	                      1);
	TEST_ERR(err);
	/* nothing raw that would break the markup */
	TEST_ASSERT(has(mb, "resource=\"sip:b&amp;o@example.com\""));
	TEST_ASSERT(has(mb, "package=\"reg&quot;x\""));
	TEST_ASSERT(has(mb, "&lt;&amp;&gt;&quot;</watcher>"));
	TEST_ASSERT(has(mb, "&lt;x&gt;&#10;\""));
	TEST_ASSERT(!has(mb, "<&>"));
	err = winfo_doc_parse((const char *)mb->b, mb->end, &info, seen_h, &s,
	                      NULL, 0);
	TEST_ERR(err);
	TEST_EQ(1, s.n);
	TEST_STR_EQ("sip:b&o@example.com", s.w[0].resource);
	TEST_STR_EQ("reg\"x", s.w[0].package);
	TEST_STR_EQ("id\"<&>'", s.w[0].id);
	TEST_STR_EQ("sip:a%20b@example.com;x=\"<&>\"", s.w[0].uri);
	TEST_STR_EQ("Al & \"Bo\" <x>\n", s.w[0].display);
	mb = mem_deref(mb);

	/* non-ASCII survives */
	memset(&s, 0, sizeof(s));
	{
		struct winfo_watcher u = w;

		u.display = "J\xc3\xbcrgen \xe2\x82\xac";
		err = winfo_doc_build(&mb, 1, true, "sip:b@example.com",
		                      "presence", &u, 1);
		TEST_ERR(err);
	}
	err = winfo_doc_parse((const char *)mb->b, mb->end, &info, seen_h, &s,
	                      NULL, 0);
	TEST_ERR(err);
	TEST_STR_EQ("J\xc3\xbcrgen \xe2\x82\xac", s.w[0].display);
out:
	mem_deref(mb);
	return err;
}

TEST(test_winfo_doc_build_invalid)
{
	static const char *const bad_text[] = {
	    "a\x01z",           /* control character */
	    "a\xc3",            /* truncated UTF-8 */
	    "\xc0\xaf",         /* overlong */
	    "\xed\xa0\x80",     /* surrogate */
	    "\xef\xbf\xbf",     /* U+FFFF */
	    "\xf4\x90\x80\x80", /* beyond U+10FFFF */
	};
	struct winfo_watcher w = {
	    "w1", "sip:a@example.com", NULL, "active", "approved", 1, 0};
	struct buf *mb = NULL;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
		struct winfo_watcher u = w;

		u.display = bad_text[i];
		TEST_ERR_EQ(EINVAL, winfo_doc_build(&mb, 0, true, "sip:b@x",
		                                    "presence", &u, 1));
		u.display = NULL;
		u.uri = bad_text[i];
		TEST_ERR_EQ(EINVAL, winfo_doc_build(&mb, 0, true, "sip:b@x",
		                                    "presence", &u, 1));
	}
	{
		struct winfo_watcher u = w;

		u.status = "happy";
		TEST_ERR_EQ(EINVAL, winfo_doc_build(&mb, 0, true, "sip:b@x",
		                                    "presence", &u, 1));
		u = w;
		u.event = "refresh";
		TEST_ERR_EQ(EINVAL, winfo_doc_build(&mb, 0, true, "sip:b@x",
		                                    "presence", &u, 1));
		u = w;
		u.id = "";
		TEST_ERR_EQ(EINVAL, winfo_doc_build(&mb, 0, true, "sip:b@x",
		                                    "presence", &u, 1));
		u = w;
		u.uri = NULL;
		TEST_ERR_EQ(EINVAL, winfo_doc_build(&mb, 0, true, "sip:b@x",
		                                    "presence", &u, 1));
	}
	TEST_ERR_EQ(EINVAL,
	            winfo_doc_build(&mb, 0, true, NULL, "presence", &w, 1));
	TEST_ERR_EQ(EINVAL,
	            winfo_doc_build(&mb, 0, true, "sip:b@x", "", &w, 1));
	TEST_ERR_EQ(EINVAL, winfo_doc_build(&mb, 0, true, "sip:b@x", "presence",
	                                    NULL, 1));
	TEST_ASSERT(mb == NULL);
out:
	mem_deref(mb);
	return err;
}

#define NS  "urn:ietf:params:xml:ns:watcherinfo"
#define HDR "<?xml version=\"1.0\"?>\n"

static const struct {
	const char *doc;
	const char *err; /* expected start of the error text */
} bad_docs[] = {
    {"", "line 1: "},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
         "</watcherinfo>\n",
     "line 4: "},
    {HDR "<watcherinfo xmlns=\"urn:example:other\" version=\"1\" "
         "state=\"full\"/>",
     "line 2: root is not <watcherinfo>"},
    {HDR "<watcherinfo version=\"1\" state=\"full\"/>",
     "line 2: root is not <watcherinfo>"},
    {HDR "<wi xmlns=\"" NS "\" version=\"1\" state=\"full\"/>",
     "line 2: root is not <watcherinfo>"},
    {HDR "<watcherinfo xmlns=\"" NS "\" state=\"full\"/>",
     "line 2: watcherinfo: missing or bad version"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"-1\" state=\"full\"/>",
     "line 2: watcherinfo: missing or bad version"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"4294967296\" "
         "state=\"full\"/>",
     "line 2: watcherinfo: missing or bad version"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\"/>",
     "line 2: watcherinfo: state"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"half\"/>",
     "line 2: watcherinfo: state"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list package=\"presence\"/></watcherinfo>",
     "line 3: watcher-list without resource"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\"/></watcherinfo>",
     "line 3: watcher-list without package"},
    /* the second watcher is bad: the first must not reach h */
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
         "<watcher id=\"1\" status=\"active\" event=\"approved\">sip:a@x"
         "</watcher>\n"
         "<watcher status=\"active\" event=\"approved\">sip:c@x</watcher>\n"
         "</watcher-list></watcherinfo>",
     "line 5: watcher without id"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
         "<watcher id=\"1\" event=\"approved\">sip:a@x</watcher>\n"
         "</watcher-list></watcherinfo>",
     "line 4: watcher: missing or unknown status"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
         "<watcher id=\"1\" status=\"active\" event=\"bored\">sip:a@x"
         "</watcher>\n</watcher-list></watcherinfo>",
     "line 4: watcher: missing or unknown event"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
         "<watcher id=\"1\" status=\"active\" event=\"approved\" "
         "expiration=\"soon\">sip:a@x</watcher>\n"
         "</watcher-list></watcherinfo>",
     "line 4: watcher: bad expiration"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
         "<watcher id=\"1\" status=\"active\" event=\"approved\">  "
         "</watcher>\n</watcher-list></watcherinfo>",
     "line 4: watcher without URI"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
         "<watcher id=\"1\" status=\"active\" event=\"approved\">sip:a@x"
         "<b/></watcher>\n</watcher-list></watcherinfo>",
     "line 4: element inside watcher"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "<watchers/></watcherinfo>",
     "line 3: unexpected element <watchers>"},
    {HDR "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\">\n"
         "hello</watcherinfo>",
     "line 3: text in watcherinfo"},
    {HDR "<!DOCTYPE watcherinfo [<!ENTITY a \"aaaaaaaa\">]>\n"
         "<watcherinfo xmlns=\"" NS "\" version=\"1\" state=\"full\"/>",
     "line 2: DTD not allowed"},
    {HDR "<x:watcherinfo version=\"1\" state=\"full\"/>", "line 2: "},
};

TEST(test_winfo_doc_parse_errors)
{
	struct winfo_info info = {42, true};
	struct seen s;
	char e[160];
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		memset(&s, 0, sizeof(s));
		err = winfo_doc_parse(bad_docs[i].doc, strlen(bad_docs[i].doc),
		                      &info, seen_h, &s, e, sizeof(e));
		if (err != EBADMSG ||
		    strncmp(e, bad_docs[i].err, strlen(bad_docs[i].err))) {
			test_fail(__FILE__, __LINE__, "doc %zu: %d \"%s\"", i,
			          err, e);
			err = EINVAL;
			goto out;
		}
		TEST_EQ(0, s.n);
		TEST_EQ(42, info.version); /* untouched */
	}
	err = 0;
	/* a tiny error buffer is still NUL-terminated */
	err = winfo_doc_parse("<a", 2, &info, NULL, NULL, e, 4);
	TEST_EQ(EBADMSG, err);
	TEST_EQ(3, strlen(e));
	err = winfo_doc_parse(NULL, 0, &info, NULL, NULL, e, sizeof(e));
	TEST_EQ(EINVAL, err);
	err = 0;
out:
	return err;
}

TEST(test_winfo_doc_parse_forms)
{
	/* a prefix, extensions of another namespace, two lists, whitespace
	 * around values, a watcher without duration */
	static const char doc[] =
	    HDR "<w:watcherinfo xmlns:w=\"" NS "\" xmlns:e=\"urn:example:ext\" "
	        "version=\" 12 \" state=\"partial\">\n"
	        "  <e:note>ignored <w:watcher/></e:note>\n"
	        "  <w:watcher-list resource=\"sip:b@x\" package=\"presence\">\n"
	        "    <w:watcher id=\"a\" status=\"waiting\" event=\"giveup\" "
	        "e:extra=\"1\">\n   sip:a@x\n  </w:watcher>\n"
	        "    <!-- a comment -->\n"
	        "  </w:watcher-list>\n"
	        "  <w:watcher-list resource=\"sip:b@x\" package=\"reg\">\n"
	        "    <w:watcher id=\"b\" status=\"active\" event=\"approved\" "
	        "duration-subscribed=\"99999999999\"><![CDATA[sip:c@x]]>"
	        "</w:watcher>\n"
	        "  </w:watcher-list>\n"
	        "</w:watcherinfo>\n";
	struct winfo_info info;
	struct seen s;
	char e[128];
	int err;

	memset(&s, 0, sizeof(s));
	err = winfo_doc_parse(doc, sizeof(doc) - 1, &info, seen_h, &s, e,
	                      sizeof(e));
	TEST_ERR(err);
	TEST_EQ(12, info.version);
	TEST_ASSERT(!info.full);
	TEST_EQ(2, s.n);
	TEST_STR_EQ("a", s.w[0].id);
	TEST_STR_EQ("sip:a@x", s.w[0].uri);
	TEST_STR_EQ("presence", s.w[0].package);
	TEST_STR_EQ("waiting", s.w[0].status);
	TEST_STR_EQ("giveup", s.w[0].event);
	TEST_EQ(0, s.w[0].duration);
	TEST_STR_EQ("b", s.w[1].id);
	TEST_STR_EQ("reg", s.w[1].package);
	TEST_STR_EQ("sip:c@x", s.w[1].uri);
	TEST_EQ(UINT32_MAX, s.w[1].duration); /* saturates */

	/* h may be NULL: a check only */
	err = winfo_doc_parse(doc, sizeof(doc) - 1, &info, NULL, NULL, NULL, 0);
	TEST_ERR(err);
out:
	return err;
}
