/* tests/unit/conf/test_conf.c - configuration parser, checks, dump */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "conf/conf.h"
#include "conf/conf_int.h"
#include "test.h"

static int load(struct conf *cf, const char *text, char *eb, size_t es)
{
	conf_defaults(cf);
	eb[0] = '\0';
	return conf_load_text(cf, text, strlen(text), "t.conf", eb, es);
}

/* Expect text to fail with exactly msg. */
static int expect_err(const char *text, const char *msg)
{
	struct conf cf;
	char eb[256];
	int err = 0;

	TEST_ERR_EQ(EINVAL, load(&cf, text, eb, sizeof(eb)));
	TEST_STR_EQ(msg, eb);
out:
	return err;
}

/* Expect the text to load and conf_validate to fail with msg. */
static int expect_invalid(const char *text, const char *msg)
{
	struct conf cf;
	char eb[256];
	int err = load(&cf, text, eb, sizeof(eb));

	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, conf_validate(&cf, eb, sizeof(eb)));
	TEST_STR_EQ(msg, eb);
out:
	return err;
}

/* Field-by-field equality through the table. */
static bool conf_equal(const struct conf *a, const struct conf *b)
{
	if (a->n_listen != b->n_listen || a->n_domains != b->n_domains)
		return false;
	for (uint32_t i = 0; i < a->n_listen; i++)
		if (strcmp(a->listen[i].spec, b->listen[i].spec))
			return false;
	for (uint32_t i = 0; i < a->n_domains; i++)
		if (strcmp(a->domains[i], b->domains[i]))
			return false;
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *fa = (const char *)a + k->off;
		const char *fb = (const char *)b + k->off;

		switch (k->type) {
		case CONF_STR:
			if (strcmp(fa, fb))
				return false;
			break;
		case CONF_U32:
			if (memcmp(fa, fb, sizeof(uint32_t)))
				return false;
			break;
		case CONF_BOOL:
			if (*(const bool *)fa != *(const bool *)fb)
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

TEST(test_conf_defaults)
{
	struct conf cf;
	char eb[256] = "";
	int err = 0;

	conf_defaults(&cf);
	TEST_EQ(0, cf.n_listen); /* the daemon picks its default listeners */
	TEST_EQ(0, cf.n_domains);
	TEST_STR_EQ("sqlite:impd.db", cf.store);
	TEST_STR_EQ("impd/0.1.0", cf.server_name);
	TEST_STR_EQ("info", cf.log_level);
	TEST_STR_EQ("", cf.tls_cert);
	TEST_ASSERT(!cf.tls_verify_client && cf.tls_verify_server);
	TEST_EQ(65535, cf.max_msg);
	TEST_EQ(16384, cf.max_hdr);
	TEST_EQ(4096, cf.max_conns);
	TEST_EQ(600, cf.tcp_idle_s);
	TEST_EQ(5000, cf.connect_ms);
	TEST_EQ(1300, cf.udp_mtu);
	TEST_EQ(500, cf.t1_ms);
	TEST_EQ(4000, cf.t2_ms);
	TEST_EQ(5000, cf.t4_ms);
	TEST_ASSERT(!cf.lenient);
	TEST_EQ(60, cf.reg_min_expires);
	TEST_EQ(3600, cf.reg_max_expires);
	TEST_EQ(3600, cf.reg_default_expires);
	TEST_EQ(10, cf.reg_max_contacts);
	TEST_ASSERT(cf.auth_register && cf.auth_proxy);
	TEST_EQ(300, cf.nonce_ttl_s);
	TEST_EQ(60, cf.auth_cache_s);
	TEST_ASSERT(cf.auth_md5 && !cf.auth_sha256 && !cf.auth_sha256_first);
	TEST_EQ(180, cf.timer_c_s);
	TEST_EQ(0, cf.serial_s);
	err = conf_validate(&cf, eb, sizeof(eb));
	TEST_ERR(err);
out:
	return err;
}

/* Every default in the table is a value the table accepts. */
TEST(test_conf_table_defaults_valid)
{
	struct conf cf;
	char eb[256];
	int err = 0;

	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		TEST_ASSERT(k->doc && *k->doc);
		TEST_ASSERT(conf_key_find(k->key, strlen(k->key)) == k);
		if (!k->def)
			continue;
		conf_defaults(&cf);
		err = conf_set(&cf, k->key, k->def, eb, sizeof(eb));
		if (err)
			test_fail(__FILE__, __LINE__, "%s", eb);
		TEST_ERR(err);
		if (k->type == CONF_U32) {
			TEST_ASSERT(k->min <= k->max);
		}
	}
out:
	return err;
}

TEST(test_conf_full_file)
{
	struct conf cf;
	char path[1024], eb[256] = "";
	int err;

	snprintf(path, sizeof(path), "%s/conf/full.conf", test_datadir());
	conf_defaults(&cf);
	err = conf_load_file(&cf, path, eb, sizeof(eb));
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s", eb);
	TEST_ERR(err);

	TEST_EQ(3, cf.n_listen);
	TEST_STR_EQ("udp:127.0.0.1:5060", cf.listen[0].spec);
	TEST_STR_EQ("tcp:127.0.0.1:5060", cf.listen[1].spec);
	TEST_STR_EQ("tls:[::1]:5061", cf.listen[2].spec);
	TEST_EQ(2, cf.n_domains);
	TEST_STR_EQ("example.com", cf.domains[0]);
	TEST_STR_EQ("second.example", cf.domains[1]);
	TEST_STR_EQ("sqlite:/var/lib/impd/impd.db", cf.store);
	TEST_STR_EQ("impd test # not a comment", cf.server_name);
	TEST_STR_EQ("debug", cf.log_level);
	TEST_STR_EQ("cert.pem", cf.tls_cert);
	TEST_STR_EQ("key.pem", cf.tls_key);
	TEST_STR_EQ("ca.pem", cf.tls_ca);
	TEST_ASSERT(cf.tls_verify_client && !cf.tls_verify_server);
	TEST_EQ(100000, cf.max_msg);
	TEST_EQ(20000, cf.max_hdr);
	TEST_EQ(10, cf.max_conns);
	TEST_EQ(60, cf.tcp_idle_s);
	TEST_EQ(2000, cf.connect_ms);
	TEST_EQ(1400, cf.udp_mtu);
	TEST_EQ(250, cf.t1_ms);
	TEST_EQ(8000, cf.t2_ms);
	TEST_EQ(9000, cf.t4_ms);
	TEST_ASSERT(cf.lenient);
	TEST_EQ(30, cf.reg_min_expires);
	TEST_EQ(7200, cf.reg_max_expires);
	TEST_EQ(600, cf.reg_default_expires);
	TEST_EQ(5, cf.reg_max_contacts);
	TEST_ASSERT(!cf.auth_register && !cf.auth_proxy);
	TEST_EQ(600, cf.nonce_ttl_s);
	TEST_EQ(0, cf.auth_cache_s);
	TEST_ASSERT(!cf.auth_md5 && cf.auth_sha256);
	TEST_EQ(200, cf.timer_c_s);
	TEST_EQ(20, cf.serial_s);
	err = conf_validate(&cf, eb, sizeof(eb));
	TEST_ERR(err);
out:
	return err;
}

TEST(test_conf_missing_file)
{
	struct conf cf;
	char path[1024], eb[256] = "";
	int err = 0;

	snprintf(path, sizeof(path), "%s/conf/no-such.conf", test_datadir());
	conf_defaults(&cf);
	TEST_ERR_EQ(ENOENT, conf_load_file(&cf, path, eb, sizeof(eb)));
	TEST_ASSERT(strstr(eb, "no-such.conf: cannot open: "));
out:
	return err;
}

TEST(test_conf_syntax)
{
	struct conf cf;
	char eb[256];
	int err;

	/* CRLF, blank and comment lines, tabs, trailing comments, no final
	 * newline, keys in any case */
	err = load(&cf,
	           "# comment\r\n\r\n   \t\r\n  # indented comment\n"
	           "SIP.T1_MS\t250   # a comment\r\n"
	           "server_name  my server  \n"
	           "tls.ca run#not-a-comment\n"
	           "tls.cert \"a \\\"quoted\\\" \\\\ name\"  # c\n"
	           "tls.key \"\"\n"
	           "log_level warn",
	           eb, sizeof(eb));
	TEST_ERR(err);
	TEST_EQ(250, cf.t1_ms);
	TEST_STR_EQ("my server", cf.server_name);
	TEST_STR_EQ("run#not-a-comment", cf.tls_ca);
	TEST_STR_EQ("a \"quoted\" \\ name", cf.tls_cert);
	TEST_STR_EQ("", cf.tls_key);
	TEST_STR_EQ("warn", cf.log_level);

	/* an empty text is a valid (all-default) configuration */
	err = conf_load_text(&cf, NULL, 0, NULL, eb, sizeof(eb));
	TEST_ERR(err);
out:
	return err;
}

TEST(test_conf_bool_forms)
{
	static const char *const yes[] = {"yes", "true", "on",
	                                  "1",   "YES",  "True"};
	static const char *const no[] = {"no", "false", "off", "0", "OFF"};
	struct conf cf;
	char eb[256];
	int err = 0;

	conf_defaults(&cf);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		cf.lenient = false;
		err = conf_set(&cf, "sip.lenient", yes[i], eb, sizeof(eb));
		TEST_ERR(err);
		TEST_ASSERT(cf.lenient);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		cf.lenient = true;
		err = conf_set(&cf, "sip.lenient", no[i], eb, sizeof(eb));
		TEST_ERR(err);
		TEST_ASSERT(!cf.lenient);
	}
	TEST_ERR_EQ(EINVAL,
	            conf_set(&cf, "sip.lenient", "yess", eb, sizeof(eb)));
	TEST_STR_EQ("--sip.lenient: bad value 'yess': expected "
	            "yes/no/true/false/on/off/1/0",
	            eb);
out:
	return err;
}

TEST(test_conf_errors)
{
	int err = 0;

#define E(text, msg)                                                           \
	do {                                                                   \
		err = expect_err(text, msg);                                   \
		if (err)                                                       \
			goto out;                                              \
	} while (0)

	E("# x\nfoo 1\n", "t.conf:2: unknown key 'foo'");
	E("sip.t1 500\n", "t.conf:1: unknown key 'sip.t1'");
	E("sip.t1_ms=500\n", "t.conf:1: unknown key 'sip.t1_ms=500'");
	E("bad\x01key 1\n", "t.conf:1: unknown key 'bad?key'");
	E("sip.t1_ms abc\n",
	  "t.conf:1: bad value for 'sip.t1_ms': expected a number 10..10000");
	E("\n\nsip.t1_ms 5\n",
	  "t.conf:3: bad value for 'sip.t1_ms': expected a number 10..10000");
	E("sip.t1_ms 10001\n",
	  "t.conf:1: bad value for 'sip.t1_ms': expected a number 10..10000");
	E("sip.t1_ms 99999999999999999999\n",
	  "t.conf:1: bad value for 'sip.t1_ms': expected a number 10..10000");
	E("sip.t1_ms -5\n",
	  "t.conf:1: bad value for 'sip.t1_ms': expected a number 10..10000");
	E("sip.t1_ms 5 0 0\n",
	  "t.conf:1: bad value for 'sip.t1_ms': expected a number 10..10000");
	E("sip.t1_ms\n", "t.conf:1: missing value for 'sip.t1_ms'");
	E("sip.t1_ms   # nothing\n", "t.conf:1: missing value for 'sip.t1_ms'");
	E("auth.md5 maybe\n", "t.conf:1: bad value for 'auth.md5': expected "
	                      "yes/no/true/false/on/off/1/0");
	E("store \"sqlite:x\n", "t.conf:1: unterminated quoted value for "
	                        "'store'");
	E("store \"sqlite:x\" y\n",
	  "t.conf:1: unexpected text after the quoted value of 'store'");
	E("store \"\"\n", "t.conf:1: bad value for 'store': must not be empty");
	E("store impd.db\n", "t.conf:1: bad value for 'store': expected a "
	                     "store URI such as sqlite:impd.db");
	E("log_level loud\n", "t.conf:1: bad value for 'log_level': expected "
	                      "one of debug, info, notice, warn, err");
	E("server_name a\x01z\n", "t.conf:1: bad value for 'server_name': "
	                          "control character in the value");
	E("server_name \"a\x7fz\"\n", "t.conf:1: bad value for 'server_name': "
	                              "control character in the value");
	E("server_name "
	  "0123456789012345678901234567890123456789012345678901234567890123\n",
	  "t.conf:1: bad value for 'server_name': longer than 63 characters");

	/* listeners */
#define LBAD                                                                   \
	"bad value for 'listen': expected udp|tcp|tls:ADDRESS:PORT, "          \
	"e.g. udp:127.0.0.1:5060 or tls:[::1]:5061"
	E("listen udp:127.0.0.1\n", "t.conf:1: " LBAD);
	E("listen sctp:127.0.0.1:5060\n", "t.conf:1: " LBAD);
	E("listen udp:::1:5060\n", "t.conf:1: " LBAD);
	E("listen tcp:[::1]\n", "t.conf:1: " LBAD);
	E("listen tcp:[::1]5060\n", "t.conf:1: " LBAD);
	E("listen udp:example.com:5060\n", "t.conf:1: " LBAD);
	E("listen udp:127.0.0.1:65536\n", "t.conf:1: " LBAD);
	E("listen udp:127.0.0.1:\n", "t.conf:1: " LBAD);
	E("listen udp\n", "t.conf:1: " LBAD);
	E("listen udp:127.0.0.1:5060\nlisten UDP:127.0.0.1:5060\n",
	  "t.conf:2: bad value for 'listen': given twice");
	E("listen udp:127.0.0.1:1\nlisten udp:127.0.0.1:2\n"
	  "listen udp:127.0.0.1:3\nlisten udp:127.0.0.1:4\n"
	  "listen udp:127.0.0.1:5\nlisten udp:127.0.0.1:6\n"
	  "listen udp:127.0.0.1:7\nlisten udp:127.0.0.1:8\n"
	  "listen udp:127.0.0.1:9\nlisten udp:127.0.0.1:10\n"
	  "listen udp:127.0.0.1:11\nlisten udp:127.0.0.1:12\n"
	  "listen udp:127.0.0.1:13\nlisten udp:127.0.0.1:14\n"
	  "listen udp:127.0.0.1:15\nlisten udp:127.0.0.1:16\n"
	  "listen udp:127.0.0.1:17\n",
	  "t.conf:17: bad value for 'listen': more than 16 listeners");

	/* domains */
	E("domain exa_mple.com\n",
	  "t.conf:1: bad value for 'domain': expected a domain name");
	E("domain .example.com\n",
	  "t.conf:1: bad value for 'domain': expected a domain name");
	E("domain example..com\n",
	  "t.conf:1: bad value for 'domain': expected a domain name");
	E("domain example.com.\n",
	  "t.conf:1: bad value for 'domain': expected a domain name");
	E("domain -example.com\n",
	  "t.conf:1: bad value for 'domain': expected a domain name");
	E("domain \"\"\n",
	  "t.conf:1: bad value for 'domain': expected a domain name");
	E("domain a.example\ndomain A.EXAMPLE\n",
	  "t.conf:2: bad value for 'domain': given twice");
	E("domain d1.example\ndomain d2.example\ndomain d3.example\n"
	  "domain d4.example\ndomain d5.example\ndomain d6.example\n"
	  "domain d7.example\ndomain d8.example\ndomain d9.example\n"
	  "domain d10.example\ndomain d11.example\ndomain d12.example\n"
	  "domain d13.example\ndomain d14.example\ndomain d15.example\n"
	  "domain d16.example\ndomain d17.example\n",
	  "t.conf:17: bad value for 'domain': more than 16 domains");
#undef E
out:
	return err;
}

TEST(test_conf_nul_byte)
{
	struct conf cf;
	char eb[256];
	static const char text[] = "sip.t1_ms 500\nstore sqlite:a\0b\n";
	int err = 0;

	conf_defaults(&cf);
	TEST_ERR_EQ(EINVAL, conf_load_text(&cf, text, sizeof(text) - 1, "n", eb,
	                                   sizeof(eb)));
	TEST_STR_EQ("n:2: NUL character in the line", eb);
	/* errbuf may be absent or tiny */
	TEST_ERR_EQ(EINVAL,
	            conf_load_text(&cf, text, sizeof(text) - 1, "n", NULL, 0));
	TEST_ERR_EQ(EINVAL,
	            conf_load_text(&cf, text, sizeof(text) - 1, "n", eb, 4));
	TEST_STR_EQ("n:2", eb);
out:
	return err;
}

TEST(test_conf_long_value)
{
	struct conf cf;
	char *text = NULL, eb[256];
	size_t n = 5000;
	int err = 0;

	text = mem_alloc(n + 1, NULL);
	if (!text)
		return ENOMEM;
	memcpy(text, "tls.cert ", 9);
	memset(text + 9, 'x', n - 9);
	text[n] = '\0';
	TEST_ERR_EQ(EINVAL, load(&cf, text, eb, sizeof(eb)));
	TEST_STR_EQ("t.conf:1: value of 'tls.cert' too long", eb);
	memset(text + 9, 'x', 520);
	text[9 + 520] = '\0';
	TEST_ERR_EQ(EINVAL, load(&cf, text, eb, sizeof(eb)));
	TEST_STR_EQ("t.conf:1: bad value for 'tls.cert': longer than 511 "
	            "characters",
	            eb);
	/* the longest key shown is cut */
	memset(text, 'k', 200);
	text[200] = '\0';
	TEST_ERR_EQ(EINVAL, load(&cf, text, eb, sizeof(eb)));
	TEST_STR_EQ("t.conf:1: unknown key "
	            "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...'",
	            eb);
out:
	mem_deref(text);
	return err;
}

TEST(test_conf_set)
{
	struct conf cf;
	char eb[256];
	int err;

	conf_defaults(&cf);
	err = conf_set(&cf, "registrar.max_expires", "7200", eb, sizeof(eb));
	TEST_ERR(err);
	TEST_EQ(7200, cf.reg_max_expires);
	err = conf_set(&cf, "listen", "tcp:[::]:5060", eb, sizeof(eb));
	TEST_ERR(err);
	TEST_EQ(1, cf.n_listen);
	TEST_ERR_EQ(EINVAL, conf_set(&cf, "nope", "1", eb, sizeof(eb)));
	TEST_STR_EQ("--nope: unknown key", eb);
	TEST_ERR_EQ(EINVAL, conf_set(&cf, "sip.t1_ms", "abc", eb, sizeof(eb)));
	TEST_STR_EQ("--sip.t1_ms: bad value 'abc': expected a number 10..10000",
	            eb);
	TEST_ERR_EQ(EINVAL,
	            conf_set(&cf, "server_name", "a\nb", eb, sizeof(eb)));
	TEST_STR_EQ("--server_name: bad value 'a?b': control character in "
	            "the value",
	            eb);
	TEST_ERR_EQ(EINVAL, conf_set(&cf, NULL, "1", eb, sizeof(eb)));
out:
	return err;
}

TEST(test_conf_validate)
{
	int err = 0;

#define V(text, msg)                                                           \
	do {                                                                   \
		err = expect_invalid(text, msg);                               \
		if (err)                                                       \
			goto out;                                              \
	} while (0)

	V("listen tls:0.0.0.0:5061\n",
	  "listen tls:0.0.0.0:5061: a TLS listener needs tls.cert and "
	  "tls.key");
	V("listen tls:0.0.0.0:5061\ntls.cert c.pem\n",
	  "listen tls:0.0.0.0:5061: a TLS listener needs tls.cert and "
	  "tls.key");
	V("registrar.min_expires 4000\n",
	  "registrar expiry: need min_expires (4000) <= default_expires "
	  "(3600) <= max_expires (3600)");
	V("registrar.max_expires 600\n",
	  "registrar expiry: need min_expires (60) <= default_expires "
	  "(3600) <= max_expires (600)");
	V("sip.t1_ms 5000\n", "sip.t1_ms (5000) must not exceed sip.t2_ms "
	                      "(4000)");
	V("sip.max_hdr 70000\n", "sip.max_hdr (70000) must not exceed "
	                         "sip.max_msg (65535)");
	V("tls.verify_client yes\n", "tls.verify_client needs tls.ca (the "
	                             "CAs that sign client certificates)");
	V("auth.md5 no\nauth.sha256 no\n",
	  "auth.md5 and auth.sha256 are both off: no challenge can be sent "
	  "(turn one on, or auth.register and auth.proxy off)");
#undef V

	struct conf cf;
	char eb[256];

	/* with both: fine; with no auth at all, no algorithm is fine */
	err = load(&cf,
	           "listen tls:0.0.0.0:5061\ntls.cert c.pem\ntls.key k.pem\n"
	           "auth.md5 no\nauth.sha256 no\nauth.register no\n"
	           "auth.proxy no\n",
	           eb, sizeof(eb));
	TEST_ERR(err);
	err = conf_validate(&cf, eb, sizeof(eb));
	TEST_ERR(err);

	/* fields set by code are checked too */
	cf.t1_ms = 1;
	TEST_ERR_EQ(EINVAL, conf_validate(&cf, eb, sizeof(eb)));
	TEST_STR_EQ("sip.t1_ms 1 is out of range 10..10000", eb);
	cf.t1_ms = 500;
	strcpy(cf.log_level, "chatty");
	TEST_ERR_EQ(EINVAL, conf_validate(&cf, eb, sizeof(eb)));
	TEST_STR_EQ("log_level: expected one of debug, info, notice, warn, "
	            "err",
	            eb);
out:
	return err;
}

/* What conf_dump writes reads back as the same configuration. */
TEST(test_conf_dump_roundtrip)
{
	struct conf a, b;
	char path[1024], eb[256] = "";
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = NULL;
	int err;

	snprintf(path, sizeof(path), "%s/conf/full.conf", test_datadir());
	conf_defaults(&a);
	err = conf_load_file(&a, path, eb, sizeof(eb));
	TEST_ERR(err);
	/* values that need quoting */
	err = conf_set(&a, "tls.ca", " lead\\ \"q\" #x\t", eb, sizeof(eb));
	TEST_ERR(err);

	f = open_memstream(&out, &outlen);
	TEST_ASSERT(f);
	conf_dump(&a, f);
	fclose(f);
	f = NULL;
	TEST_ASSERT(strstr(out, "sip.t1_ms                   250\n"));
	TEST_ASSERT(
	    strstr(out, "listen                      tls:[::1]:5061\n"));

	conf_defaults(&b);
	err = conf_load_text(&b, out, outlen, "dump", eb, sizeof(eb));
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s\n%s", eb, out);
	TEST_ERR(err);
	TEST_ASSERT(conf_equal(&a, &b));

	/* the defaults too */
	free(out);
	out = NULL;
	conf_defaults(&a);
	f = open_memstream(&out, &outlen);
	TEST_ASSERT(f);
	conf_dump(&a, f);
	fclose(f);
	f = NULL;
	TEST_ASSERT(strstr(out, "# listen"));
	conf_defaults(&b);
	err = conf_load_text(&b, out, outlen, "dump", eb, sizeof(eb));
	TEST_ERR(err);
	TEST_ASSERT(conf_equal(&a, &b));
out:
	if (f)
		fclose(f);
	free(out);
	return err;
}

TEST(test_conf_print_doc)
{
	char *out = NULL;
	size_t outlen = 0, lines = 0;
	FILE *f;
	int err = 0;

	f = open_memstream(&out, &outlen);
	TEST_ASSERT(f);
	conf_print_doc(f);
	fclose(f);
	for (size_t i = 0; i < outlen; i++)
		lines += out[i] == '\n';
	TEST_EQ(conf_nkeys + 2, lines);
	for (size_t i = 0; i < conf_nkeys; i++) {
		char k[80];

		snprintf(k, sizeof(k), "| `%s` |", conf_keys[i].key);
		TEST_ASSERT(strstr(out, k));
	}
	TEST_ASSERT(strstr(out, "| `sip.t1_ms` | `500` | 10..10000 | "));
	TEST_ASSERT(strstr(out, "udp\\|tcp\\|tls"));
out:
	free(out);
	return err;
}
