/* tests/unit/sip/test_uri.c - SIP/SIPS/tel URIs (RFC 3261 19.1, RFC 5118) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sip/msg.h"
#include "test.h"

static int uri(struct sip_uri *u, const char *s)
{
	struct pl pl;

	pl_set_str(&pl, s);
	return sip_uri_decode(u, &pl, NULL);
}

TEST(test_sip_uri_decode)
{
	struct sip_uri u;
	int err;

	err = uri(&u, "sip:alice@atlanta.com;transport=tcp");
	TEST_ERR(err);
	TEST_ASSERT(u.is_sip && !u.sips && !u.is_tel);
	TEST_PL_EQ("sip", &u.scheme);
	TEST_PL_EQ("alice", &u.user);
	TEST_PL_EQ("atlanta.com", &u.host);
	TEST_EQ(0, u.af);
	TEST_EQ(0, u.port);
	TEST_PL_EQ(";transport=tcp", &u.params);
	TEST_PL_EQ("tcp", &u.transport);

	err = uri(&u, "SIPS:Alice:secretword@Atlanta.COM:5061;LR;maddr="
	              "239.255.255.1;user=phone;gr=urn:uuid:f81d;ttl=15");
	TEST_ERR(err);
	TEST_ASSERT(u.is_sip && u.sips);
	TEST_PL_EQ("SIPS", &u.scheme);
	TEST_PL_EQ("Alice", &u.user);
	TEST_PL_EQ("secretword", &u.password);
	TEST_PL_EQ("Atlanta.COM", &u.host);
	TEST_EQ(5061, u.port);
	TEST_ASSERT(u.lr);
	TEST_PL_EQ("239.255.255.1", &u.maddr);
	TEST_PL_EQ("phone", &u.user_param);
	TEST_ASSERT(u.has_gr);
	TEST_PL_EQ("urn:uuid:f81d", &u.gr);

	err = uri(&u, "sip:a@b;gr");
	TEST_ERR(err);
	TEST_ASSERT(u.has_gr);
	TEST_EQ(0, u.gr.l);
	TEST_ASSERT(!u.lr);

	/* IPv6 references (RFC 5118) */
	err = uri(&u, "sip:[2001:db8::10]:5070");
	TEST_ERR(err);
	TEST_PL_EQ("2001:db8::10", &u.host);
	TEST_EQ(AF_INET6, u.af);
	TEST_EQ(5070, u.port);
	TEST_EQ(0, u.user.l);
	err = uri(&u, "sip:user@[::ffff:192.0.2.2];lr");
	TEST_ERR(err);
	TEST_PL_EQ("::ffff:192.0.2.2", &u.host);
	TEST_ASSERT(u.lr);
	err = uri(&u, "sip:[::1]");
	TEST_ERR(err);
	TEST_PL_EQ("::1", &u.host);
	err = uri(&u, "sip:192.0.2.4");
	TEST_ERR(err);
	TEST_EQ(AF_INET, u.af);

	/* escaped user, headers, odd characters */
	err = uri(&u, "sip:%61lice@atlanta.com?subject=project%20x&priority="
	              "urgent");
	TEST_ERR(err);
	TEST_PL_EQ("%61lice", &u.user);
	TEST_PL_EQ("subject=project%20x&priority=urgent", &u.headers);
	TEST_EQ(0, u.params.l);
	err = uri(&u, "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue"
	              "%25%34%31");
	TEST_ERR(err);
	TEST_ASSERT(u.lr); /* escaped "lr" */
	err = uri(&u, "sip:user;par=u%40example.net@example.com");
	TEST_ERR(err);
	TEST_PL_EQ("user;par=u%40example.net", &u.user);
	TEST_PL_EQ("example.com", &u.host);
	err = uri(&u, "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:"
	              "bob%40biloxi.com");
	TEST_ERR(err);
	TEST_EQ(0, u.user.l);
	TEST_PL_EQ("to=sip:bob%40biloxi.com", &u.headers);
	err = uri(&u, "sip:host;maddr=[2001:db8::1]");
	TEST_ERR(err);
	TEST_PL_EQ("[2001:db8::1]", &u.maddr);

	/* tel (RFC 3966) */
	err = uri(&u, "tel:+1-201-555-0123;phone-context=example.com");
	TEST_ERR(err);
	TEST_ASSERT(u.is_tel && !u.is_sip);
	TEST_PL_EQ("+1-201-555-0123", &u.user);
	TEST_EQ(0, u.host.l);
	TEST_PL_EQ(";phone-context=example.com", &u.params);
	err = uri(&u, "TEL:7042;phone-context=+1-201");
	TEST_ERR(err);
	TEST_ASSERT(u.is_tel);

	/* other schemes: opaque */
	err = uri(&u, "soap.beep://192.0.2.103:3002");
	TEST_ERR(err);
	TEST_PL_EQ("soap.beep", &u.scheme);
	TEST_PL_EQ("//192.0.2.103:3002", &u.user);
	TEST_ASSERT(!u.is_sip && !u.is_tel);
	err = uri(&u, "urn:service:sos");
	TEST_ERR(err);
out:
	return err;
}

TEST(test_sip_uri_reject)
{
	static const char *const bad[] = {
	    "",
	    "sip",
	    "sip:",
	    "1sip:a@b",
	    "<sip:a@b>",
	    "sip:@host",
	    "sip:a@",
	    "sip:a@host:",
	    "sip:a@host:99999",
	    "sip:a@host:5060x",
	    "sip:a@ho st",
	    "sip:a@host ",
	    "sip:a@host; lr",
	    "sip:a@host;",
	    "sip:a@host;=x",
	    "sip:a@host;x=",
	    "sip:a@host;x=\"y\"",
	    "sip:a@host?",
	    "sip:a@host?x",
	    "sip:a@host?=y",
	    "sip:a@host?x=y&",
	    "sip:a@1.2.3.999",
	    "sip:a@1.2.3",
	    "sip:a%zz@h",
	    "sip:a%4@h",
	    "sip:a b@h",
	    "sip:a:p w@h",
	    "sip:2001:db8::10",
	    "sip:[2001:db8::10",
	    "sip:[2001:db8:::192.0.2.1]",
	    "sip:[2001:db8::g]",
	    "sip:[1:2:3:4:5:6:7:8:9]",
	    "sip:[1:2:3:4:5:6:7]",
	    "sip:[::1]x",
	    "sip:a@b@",
	    "tel:",
	    "tel:+1 201",
	    "tel:+1;",
	    "tel:+1?x=y",
	    "foo:",
	    "foo:a b",
	    "foo:<x>",
	};
	struct sip_uri u;
	int err = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parse_err pe = {NULL, 0};
		struct pl pl;

		pl_set_str(&pl, bad[i]);
		if (sip_uri_decode(&u, &pl, &pe) != EBADMSG || !pe.reason) {
			test_fail(__FILE__, __LINE__, "accepted: \"%s\"",
			          bad[i]);
			err = EINVAL;
		}
	}
	return err;
}

/* RFC 3261 19.1.4 examples */
TEST(test_sip_uri_cmp)
{
	static const struct {
		const char *a, *b;
		bool eq;
	} v[] = {
	    {"sip:%61lice@atlanta.com;transport=TCP",
	     "sip:alice@AtLanTa.CoM;Transport=tcp", true},
	    {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true},
	    {"sip:carol@chicago.com;newparam=5",
	     "sip:carol@chicago.com;security=on", true},
	    {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40"
	     "biloxi.com",
	     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40"
	     "biloxi.com",
	     true},
	    {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	     "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true},
	    {"SIP:ALICE@AtLanTa.CoM;Transport=udp",
	     "sip:alice@AtLanTa.CoM;Transport=UDP", false},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp",
	     false},
	    {"sip:carol@chicago.com",
	     "sip:carol@chicago.com?Subject=next%20meeting", false},
	    {"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
	    {"sip:a@b;newparam=5", "sip:a@b;newparam=6", false},
	    {"sip:a@b;lr", "sip:a@b", true},
	    {"sip:a@b;maddr=x", "sip:a@b", false},
	    {"sip:a@b;ttl=1", "sip:a@b", false},
	    {"sip:a@b;user=phone", "sip:a@b", false},
	    {"sip:a@b;method=INVITE", "sip:a@b", false},
	    {"sip:a:pw@b", "sip:a:pw@b", true},
	    {"sip:a:pw@b", "sip:a:PW@b", false},
	    {"sip:a:pw@b", "sip:a@b", false},
	    {"sips:a@b", "sip:a@b", false},
	    {"sip:[2001:db8::1]", "sip:[2001:DB8:0::1]", true},
	    {"sip:[2001:db8::1]", "sip:[2001:db8::2]", false},
	    {"sip:a@b?x=1", "sip:a@b?x=2", false},
	    {"tel:+1-201-555-0123", "tel:+12015550123", true},
	    {"tel:+1-201-555-0123", "tel:+12015550124", false},
	    {"tel:7042;phone-context=a", "tel:7042;phone-context=b", false},
	    {"tel:7042;phone-context=a", "tel:7042", false},
	    {"foo:x", "FOO:x", true},
	    {"foo:x", "foo:X", false},
	    {"sip:a@b", "tel:a", false},
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sip_uri a, b;

		err = uri(&a, v[i].a);
		err = err ? err : uri(&b, v[i].b);
		if (err) {
			test_fail(__FILE__, __LINE__, "decode #%zu", i);
			goto out;
		}
		if (sip_uri_cmp(&a, &b) != v[i].eq ||
		    sip_uri_cmp(&b, &a) != v[i].eq) {
			test_fail(__FILE__, __LINE__, "%s %s %s", v[i].a,
			          v[i].eq ? "!=" : "==", v[i].b);
			err = EINVAL;
			goto out;
		}
	}
out:
	return err;
}

TEST(test_sip_uri_params_unescape)
{
	const struct pl params = PL(";a=b;lr; Tag = x ;c=\"x;y\";d=");
	struct pl v;
	char buf[16];
	size_t n;
	int err;

	err = sip_param_get(&params, "a", &v);
	TEST_ERR(err);
	TEST_PL_EQ("b", &v);
	err = sip_param_get(&params, "LR", &v);
	TEST_ERR(err);
	TEST_EQ(0, v.l);
	err = sip_param_get(&params, "tag", &v);
	TEST_ERR(err);
	TEST_PL_EQ("x", &v);
	err = sip_param_get(&params, "c", &v);
	TEST_ERR(err);
	TEST_PL_EQ("\"x;y\"", &v);
	err = sip_param_get(&params, "d", &v);
	TEST_ERR(err);
	TEST_EQ(0, v.l);
	TEST_ERR_EQ(ENOENT, sip_param_get(&params, "y", &v));
	TEST_ERR_EQ(ENOENT, sip_param_get(&params, "l", &v));
	TEST_ERR_EQ(ENOENT, sip_param_get(&pl_null, "a", &v));
	TEST_ASSERT(sip_param_exists(&params, "lr"));
	TEST_ASSERT(!sip_param_exists(&params, "x;y"));
	err = sip_param_get(&PL("transport=udp"), "transport", &v);
	TEST_ERR(err);
	TEST_PL_EQ("udp", &v);

	err = sip_unescape(&PL("I%20have%20spaces"), buf, sizeof(buf), &n);
	TEST_ERR(err);
	TEST_STR_EQ("I have spaces", buf);
	TEST_EQ(13, n);
	err = sip_unescape(&PL("a%00%00"), buf, sizeof(buf), &n);
	TEST_ERR(err);
	TEST_EQ(3, n);
	TEST_ASSERT(!memcmp(buf, "a\0\0", 4));
	TEST_ERR_EQ(EBADMSG, sip_unescape(&PL("%4"), buf, sizeof(buf), &n));
	TEST_ERR_EQ(EBADMSG, sip_unescape(&PL("%zz"), buf, sizeof(buf), &n));
	TEST_ERR_EQ(ERANGE, sip_unescape(&PL("0123456789abcdef"), buf,
	                                 sizeof(buf), &n));
	err = sip_unescape(&PL("0123456789abcde"), buf, sizeof(buf), &n);
	TEST_ERR(err);
	err = sip_unescape(&pl_null, buf, sizeof(buf), &n);
	TEST_ERR(err);
	TEST_EQ(0, n);
out:
	return err;
}

TEST(test_sip_uri_aor_print)
{
	static const struct {
		const char *uri, *aor;
	} v[] = {
	    {"sip:%61lice@AtLanTa.CoM;transport=tcp", "sip:alice@atlanta.com"},
	    {"SIP:Bob@Biloxi.com:5070?x=y", "sip:Bob@biloxi.com:5070"},
	    {"sips:[2001:DB8::1]:5061", "sips:[2001:db8::1]:5061"},
	    {"sip:null-%00-null@example.com", "sip:null-%00-null@example.com"},
	    {"sip:%00@h", "sip:%00@h"},
	    {"sip:%00%00@h", "sip:%00%00@h"},
	    {"sip:user;par=u%40example.net@example.com",
	     "sip:user;par=u%40example.net@example.com"},
	    {"sip:I%20have%20spaces@example.net",
	     "sip:I%20have%20spaces@example.net"},
	    {"sip:example.com", "sip:example.com"},
	    {"tel:+1-201-555-0123;x=y", "tel:+1-201-555-0123"},
	    {"isbn:2983792873", "isbn:2983792873"},
	};
	char buf[128];
	int err = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sip_uri u;

		err = uri(&u, v[i].uri);
		TEST_ERR(err);
		err = sip_uri_aor_print(&u, buf, sizeof(buf));
		TEST_ERR(err);
		TEST_STR_EQ(v[i].aor, buf);
	}
	{
		struct sip_uri u;

		err = uri(&u, "sip:alice@atlanta.com");
		TEST_ERR(err);
		TEST_ERR_EQ(ERANGE, sip_uri_aor_print(&u, buf, 21));
		err = sip_uri_aor_print(&u, buf, 22);
		TEST_ERR(err);
	}
out:
	return err;
}
