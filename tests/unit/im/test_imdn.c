/* tests/unit/im/test_imdn.c - IMDN (RFC 5438): Disposition-Notification
 * values and message/imdn+xml documents */
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "im/imdn.h"
#include "test.h"

static bool has(const struct buf *mb, const char *needle)
{
	return memmem(mb->b, mb->end, needle, strlen(needle)) != NULL;
}

TEST(test_imdn_disp)
{
	char buf[80];
	int err = 0;

	TEST_EQ(IMDN_POSITIVE_DELIVERY,
	        imdn_disp_parse(&PL("positive-delivery")));
	TEST_EQ(IMDN_POSITIVE_DELIVERY | IMDN_NEGATIVE_DELIVERY | IMDN_DISPLAY |
	            IMDN_PROCESSING,
	        imdn_disp_parse(&PL(" Display ,positive-delivery,"
	                            "\r\n\tnegative-delivery , PROCESSING")));
	/* unknown tokens are ignored */
	TEST_EQ(IMDN_DISPLAY,
	        imdn_disp_parse(&PL("read-receipt, display, ,x-y")));
	TEST_EQ(0, imdn_disp_parse(&PL("")));
	TEST_EQ(0, imdn_disp_parse(&PL(",,")));
	TEST_EQ(0, imdn_disp_parse(&PL("displays")));
	TEST_EQ(0, imdn_disp_parse(&pl_null));
	TEST_EQ(0, imdn_disp_parse(NULL));

	TEST_ERR_EQ(0, imdn_disp_print(buf, sizeof(buf),
	                               IMDN_POSITIVE_DELIVERY |
	                                   IMDN_NEGATIVE_DELIVERY));
	TEST_STR_EQ("positive-delivery, negative-delivery", buf);
	TEST_ERR_EQ(0, imdn_disp_print(buf, sizeof(buf), 0xffffffff));
	TEST_STR_EQ("positive-delivery, negative-delivery, display, "
	            "processing",
	            buf);
	TEST_ERR_EQ(0, imdn_disp_print(buf, sizeof(buf), IMDN_PROCESSING));
	TEST_STR_EQ("processing", buf);
	TEST_ERR_EQ(0, imdn_disp_print(buf, sizeof(buf), 0));
	TEST_STR_EQ("", buf);
	TEST_ERR_EQ(ERANGE, imdn_disp_print(buf, 17, IMDN_POSITIVE_DELIVERY));
	TEST_STR_EQ("", buf);
	TEST_ERR_EQ(0, imdn_disp_print(buf, 18, IMDN_POSITIVE_DELIVERY));
	TEST_ERR_EQ(EINVAL, imdn_disp_print(NULL, 10, 1));
	/* what is printed parses back */
	for (uint32_t bits = 0; bits < 16; bits++) {
		struct pl v;

		TEST_ERR_EQ(0, imdn_disp_print(buf, sizeof(buf), bits));
		pl_set_str(&v, buf);
		TEST_EQ(bits, imdn_disp_parse(&v));
	}
	err = 0;
out:
	return err;
}

TEST(test_imdn_status_name)
{
	int err = 0;

	TEST_STR_EQ("delivered", imdn_status_name(IMDN_DELIVERED));
	TEST_STR_EQ("failed", imdn_status_name(IMDN_FAILED));
	TEST_STR_EQ("forbidden", imdn_status_name(IMDN_FORBIDDEN));
	TEST_STR_EQ("error", imdn_status_name(IMDN_ERROR));
	TEST_STR_EQ("displayed", imdn_status_name(IMDN_DISPLAYED));
	TEST_STR_EQ("processed", imdn_status_name(IMDN_PROCESSED));
	TEST_STR_EQ("stored", imdn_status_name(IMDN_STORED));
	TEST_STR_EQ("unknown", imdn_status_name((enum imdn_status)0));
	TEST_STR_EQ("unknown", imdn_status_name((enum imdn_status)99));
out:
	return err;
}

TEST(test_imdn_parse)
{
	/* a delivery notification with every optional element, white
	 * space, an extension and a comment */
	static const char doc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"\n"
	    "      xmlns:x=\"urn:example:ext\">\n"
	    "  <message-id> 34jk324j </message-id>\n"
	    "  <datetime>2008-04-04T12:16:49-05:00</datetime>\n"
	    "  <recipient-uri>im:bob@example.com</recipient-uri>\n"
	    "  <original-recipient-uri>im:bob@example.com"
	    "</original-recipient-uri>\n"
	    "  <subject> Weekly &amp; report </subject>\n"
	    "  <!-- a comment -->\n"
	    "  <delivery-notification>\n"
	    "    <status><delivered/><x:reason>ok</x:reason></status>\n"
	    "  </delivery-notification>\n"
	    "  <x:trace>hop</x:trace>\n"
	    "</imdn>\n";
	/* minimal, prefixed namespace, processing/stored */
	static const char doc2[] =
	    "<i:imdn xmlns:i=\"urn:ietf:params:xml:ns:imdn\">"
	    "<i:message-id>m2</i:message-id>"
	    "<i:datetime>2026-01-02T03:04:05Z</i:datetime>"
	    "<i:processing-notification><i:status><i:stored/></i:status>"
	    "</i:processing-notification></i:imdn>";
	struct imdn d;
	char e[128];
	int err;

	memset(&d, 0, sizeof(d));
	err = imdn_parse(&d, doc, sizeof(doc) - 1, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("", e);
	TEST_STR_EQ("34jk324j", d.message_id);
	TEST_STR_EQ("2008-04-04T12:16:49-05:00", d.datetime);
	TEST_STR_EQ("im:bob@example.com", d.recipient_uri);
	TEST_STR_EQ("im:bob@example.com", d.original_recipient_uri);
	TEST_STR_EQ(" Weekly & report ", d.subject);
	TEST_EQ(IMDN_KIND_DELIVERY, d.kind);
	TEST_EQ(IMDN_DELIVERED, d.status);
	imdn_reset(&d);
	TEST_ASSERT(d.message_id == NULL && d.subject == NULL);
	TEST_EQ(0, d.kind);

	err = imdn_parse(&d, doc2, sizeof(doc2) - 1, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ("m2", d.message_id);
	TEST_STR_EQ("2026-01-02T03:04:05Z", d.datetime);
	TEST_ASSERT(d.recipient_uri == NULL);
	TEST_ASSERT(d.original_recipient_uri == NULL);
	TEST_ASSERT(d.subject == NULL);
	TEST_EQ(IMDN_KIND_PROCESSING, d.kind);
	TEST_EQ(IMDN_STORED, d.status);
out:
	imdn_reset(&d);
	return err;
}

#define HEAD                                                                   \
	"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n"                       \
	"<message-id>m</message-id>\n"                                         \
	"<datetime>2026-01-02T03:04:05Z</datetime>\n"

struct bad {
	const char *doc;
	const char *err;
};

TEST(test_imdn_parse_errors)
{
	static const struct bad bad[] = {
	    {"", "line 1: "},
	    {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">", "line 1: "},
	    {"<imdn><message-id>m</message-id></imdn>",
	     "line 1: root is not <imdn> of urn:ietf:params:xml:ns:imdn"},
	    {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdnx\"/>",
	     "line 1: root is not <imdn> of urn:ietf:params:xml:ns:imdn"},
	    {"<!DOCTYPE imdn [<!ENTITY x \"y\">]>\n"
	     "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>",
	     "line 1: DTD not allowed"},
	    {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n"
	     "<datetime>2026-01-02T03:04:05Z</datetime>\n"
	     "<display-notification><status><displayed/></status>"
	     "</display-notification></imdn>",
	     "line 1: <imdn> without <message-id>"},
	    {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n"
	     "<message-id> </message-id>\n"
	     "<datetime>2026-01-02T03:04:05Z</datetime>\n"
	     "<display-notification><status><displayed/></status>"
	     "</display-notification></imdn>",
	     "line 1: <imdn> without <message-id>"},
	    {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n"
	     "<message-id>m</message-id>\n"
	     "<display-notification><status><displayed/></status>"
	     "</display-notification></imdn>",
	     "line 1: <imdn> without <datetime>"},
	    {HEAD "</imdn>", "line 1: <imdn> without a notification element"},
	    {HEAD "<message-id>n</message-id></imdn>",
	     "line 4: two <message-id>"},
	    {HEAD "<subject>a<b/></subject></imdn>",
	     "line 4: element inside <subject>"},
	    {HEAD "<color>red</color></imdn>",
	     "line 4: unexpected element <color>"},
	    {HEAD "free text</imdn>", "line 4: text in <imdn>"},
	    {HEAD "<display-notification><status><displayed/></status>"
	          "</display-notification>\n"
	          "<delivery-notification><status><delivered/></status>"
	          "</delivery-notification></imdn>",
	     "line 5: two notification elements"},
	    {HEAD "<delivery-notification/></imdn>",
	     "line 4: <delivery-notification> without <status>"},
	    {HEAD "<delivery-notification><status/>"
	          "</delivery-notification></imdn>",
	     "line 4: empty <status>"},
	    {HEAD "<delivery-notification>\n<status><delivered/></status>\n"
	          "<status><failed/></status></delivery-notification></imdn>",
	     "line 6: two <status>"},
	    {HEAD "<delivery-notification><status><delivered/>\n<failed/>"
	          "</status></delivery-notification></imdn>",
	     "line 5: two values in <status>"},
	    {HEAD "<delivery-notification><status><displayed/></status>"
	          "</delivery-notification></imdn>",
	     "line 4: status <displayed> does not belong to "
	     "<delivery-notification>"},
	    {HEAD "<display-notification><status><stored/></status>"
	          "</display-notification></imdn>",
	     "line 4: status <stored> does not belong to "
	     "<display-notification>"},
	    {HEAD "<processing-notification><status><delivered/></status>"
	          "</processing-notification></imdn>",
	     "line 4: status <delivered> does not belong to "
	     "<processing-notification>"},
	    {HEAD "<display-notification><status><seen/></status>"
	          "</display-notification></imdn>",
	     "line 4: unknown status <seen>"},
	    {HEAD "<display-notification><status>ok</status>"
	          "</display-notification></imdn>",
	     "line 4: text in <status>"},
	    {HEAD "<display-notification>x<status><displayed/></status>"
	          "</display-notification></imdn>",
	     "line 4: text in <display-notification>"},
	    {HEAD "<display-notification><reason/><status><displayed/>"
	          "</status></display-notification></imdn>",
	     "line 4: unexpected element <reason>"},
	};
	struct imdn d;
	char e[160];
	int err = 0;

	memset(&d, 0, sizeof(d));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = imdn_parse(&d, bad[i].doc, strlen(bad[i].doc), e,
		                 sizeof(e));
		if (err != ENOMEM &&
		    (err != EBADMSG ||
		     strncmp(e, bad[i].err, strlen(bad[i].err))))
			test_fail(__FILE__, __LINE__, "case %zu: %d \"%s\"", i,
			          err, e);
		TEST_ERR_EQ(EBADMSG, err);
		if (!strcmp(bad[i].err, "line 1: "))
			TEST_ASSERT(strlen(e) > strlen(bad[i].err));
		else
			TEST_STR_EQ(bad[i].err, e);
		TEST_ASSERT(d.message_id == NULL); /* untouched */
	}
	/* err is optional */
	TEST_ERR_EQ(EBADMSG, imdn_parse(&d, "<x/>", 4, NULL, 0));
	TEST_ERR_EQ(EINVAL, imdn_parse(NULL, "<x/>", 4, e, sizeof(e)));
	TEST_ERR_EQ(EINVAL, imdn_parse(&d, NULL, 4, e, sizeof(e)));
	err = 0;
out:
	imdn_reset(&d);
	return err;
}

TEST(test_imdn_print)
{
	const struct imdn in = {
	    .message_id = "id<&>\"'",
	    .datetime = "2026-11-22T10:01:02.345Z",
	    .recipient_uri = "sip:bob@example.com;x=\"a&b\"",
	    .original_recipient_uri = "sip:list@example.com",
	    .subject = "  Tom & Jerry <3\r\n\tend ",
	    .kind = IMDN_KIND_DISPLAY,
	    .status = IMDN_FORBIDDEN,
	};
	struct imdn out;
	struct buf *mb = NULL;
	char e[128];
	int err;

	memset(&out, 0, sizeof(out));
	err = imdn_print(&mb, &in);
	TEST_ERR(err);
	TEST_ASSERT(
	    !memcmp(mb->b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38));
	TEST_ASSERT(has(mb, "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">"));
	TEST_ASSERT(has(mb, "<message-id>id&lt;&amp;&gt;&quot;'</message-id>"));
	TEST_ASSERT(has(mb, "<datetime>2026-11-22T10:01:02.345Z</datetime>"));
	TEST_ASSERT(
	    has(mb, "<recipient-uri>sip:bob@example.com;x=&quot;a&amp;b&quot;"
	            "</recipient-uri>"));
	TEST_ASSERT(has(mb, "<original-recipient-uri>sip:list@example.com"
	                    "</original-recipient-uri>"));
	TEST_ASSERT(has(mb, "<subject>  Tom &amp; Jerry &lt;3&#13;\n\tend "
	                    "</subject>"));
	TEST_ASSERT(has(mb, "<display-notification>"));
	TEST_ASSERT(has(mb, "<status>"));
	TEST_ASSERT(has(mb, "<forbidden/>"));
	TEST_ASSERT(has(mb, "</display-notification>\n</imdn>"));

	err = imdn_parse(&out, (const char *)mb->b, mb->end, e, sizeof(e));
	TEST_ERR(err);
	TEST_STR_EQ(in.message_id, out.message_id);
	TEST_STR_EQ(in.datetime, out.datetime);
	TEST_STR_EQ(in.recipient_uri, out.recipient_uri);
	TEST_STR_EQ(in.original_recipient_uri, out.original_recipient_uri);
	TEST_STR_EQ(in.subject, out.subject);
	TEST_EQ(in.kind, out.kind);
	TEST_EQ(in.status, out.status);
out:
	imdn_reset(&out);
	mem_deref(mb);
	return err;
}

/* Every valid kind/status pair prints and parses back; the others are
 * EINVAL. */
TEST(test_imdn_print_kinds)
{
	static const bool fits[4][8] = {
	    [IMDN_KIND_DELIVERY] = {[IMDN_DELIVERED] = true,
	                            [IMDN_FAILED] = true,
	                            [IMDN_FORBIDDEN] = true,
	                            [IMDN_ERROR] = true},
	    [IMDN_KIND_DISPLAY] = {[IMDN_DISPLAYED] = true,
	                           [IMDN_FORBIDDEN] = true,
	                           [IMDN_ERROR] = true},
	    [IMDN_KIND_PROCESSING] = {[IMDN_PROCESSED] = true,
	                              [IMDN_STORED] = true,
	                              [IMDN_FORBIDDEN] = true,
	                              [IMDN_ERROR] = true},
	};
	struct imdn out;
	struct buf *mb = NULL;
	int err = 0;

	memset(&out, 0, sizeof(out));
	for (int k = 0; k < 5; k++) {
		for (int s = 0; s < 9; s++) {
			const struct imdn in = {
			    .message_id = "m",
			    .datetime = "2026-01-01T00:00:00Z",
			    .kind = (enum imdn_kind)k,
			    .status = (enum imdn_status)s,
			};
			bool ok = k < 4 && s < 8 && fits[k][s];

			err = imdn_print(&mb, &in);
			if (!ok) {
				TEST_ERR_EQ(EINVAL, err);
				TEST_ASSERT(mb == NULL);
				continue;
			}
			TEST_ERR(err);
			err = imdn_parse(&out, (const char *)mb->b, mb->end,
			                 NULL, 0);
			mb = mem_deref(mb);
			TEST_ERR(err);
			TEST_EQ(k, out.kind);
			TEST_EQ(s, out.status);
			TEST_STR_EQ("m", out.message_id);
			TEST_ASSERT(out.subject == NULL);
			imdn_reset(&out);
		}
	}
	err = 0;
out:
	imdn_reset(&out);
	mem_deref(mb);
	return err;
}

TEST(test_imdn_print_errors)
{
	const struct imdn ok = {
	    .message_id = "m",
	    .datetime = "2026-01-01T00:00:00Z",
	    .kind = IMDN_KIND_DELIVERY,
	    .status = IMDN_DELIVERED,
	};
	struct imdn d;
	struct buf *mb = NULL;
	int err = 0;

#define BAD(field, val)                                                        \
	do {                                                                   \
		d = ok;                                                        \
		d.field = val;                                                 \
		TEST_ERR_EQ(EINVAL, imdn_print(&mb, &d));                      \
		TEST_ASSERT(mb == NULL);                                       \
	} while (0)

	BAD(message_id, NULL);
	BAD(message_id, "");
	BAD(datetime, NULL);
	BAD(datetime, "");
	BAD(subject, "bell\a");
	BAD(recipient_uri, "\xc3");              /* truncated UTF-8 */
	BAD(original_recipient_uri, "\xc0\xaf"); /* overlong */
	BAD(message_id, "\xed\xa0\x80");         /* surrogate */
#undef BAD
	TEST_ERR_EQ(EINVAL, imdn_print(NULL, &ok));
	TEST_ERR_EQ(EINVAL, imdn_print(&mb, NULL));
	/* UTF-8 is fine */
	d = ok;
	d.subject = "caf\xc3\xa9 \xf0\x9f\x98\x80";
	err = imdn_print(&mb, &d);
	TEST_ERR(err);
	TEST_ASSERT(has(mb, "<subject>caf\xc3\xa9 \xf0\x9f\x98\x80</subject>"));
out:
	mem_deref(mb);
	return err;
}
