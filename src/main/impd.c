/* main/impd.c - the daemon: configuration, wiring of the layers, signals */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/mem.h"
#include "base/sa.h"
#include "base/tmr.h"
#include "base/util.h"
#include "conf/conf.h"
#include "event/evt.h"
#include "http/http.h"
#include "im/im.h"
#include "im/im_http.h"
#include "presence/presence.h"
#include "presence/regevent.h"
#include "proxy/auth.h"
#include "proxy/domain.h"
#include "proxy/location.h"
#include "proxy/proxy.h"
#include "proxy/registrar.h"
#include "rls/rls.h"
#include "sip/msg.h"
#include "sip/tp.h"
#include "sip/tsx.h"
#include "store/store.h"
#include "xcap/xcap.h"
#include "xcap/xdiff.h"

#define LOG_MODULE     "main"
#define DEFAULT_DOMAIN "example.com"

struct impd {
	struct conf cf;
	struct loop *loop;
	struct store *store;
	struct dom *dom;
	struct loc *loc;
	struct auth *auth;
	struct registrar *reg;
	struct sip_tp *tp;
	struct sip_tsxl *tl;
	struct proxy *px;
	struct evt *evt;
	struct pres *pres;
	struct regevent *regev;
	struct im *im;
	struct http *http;
	struct xcap *xcap;
	struct rls *rls;
	struct xdiff *xdiff;
	char xcap_root_uri[256];
	int sigfd;
	struct log_rl bad_rl;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: impd [options]\n"
	        "  --config FILE        read the configuration file\n"
	        "  --listen T:ADDR:PORT listener (udp|tcp|tls), repeatable\n"
	        "  --domain NAME        local domain, repeatable\n"
	        "  --store URI          sqlite:PATH (default sqlite:impd.db)\n"
	        "  --tls-cert FILE      TLS certificate (PEM)\n"
	        "  --tls-key FILE       TLS private key (PEM)\n"
	        "  --tls-ca FILE        CA bundle to verify peers\n"
	        "  --log-level LEVEL    err|warn|notice|info|debug\n"
	        "  --http ADDR:PORT     HTTP listener (XCAP, history API)\n"
	        "  --https ADDR:PORT    HTTPS listener (tls.cert, tls.key)\n"
	        "  --set KEY=VALUE      any configuration key\n"
	        "  --check-config       validate the configuration and exit\n"
	        "  --dump-config        print the effective configuration\n"
	        "  --help-config        document every configuration key\n"
	        "  --version, --help\n");
}

/* Command-line options that are shorthands for configuration keys. */
static const struct {
	const char *opt;
	const char *key;
} opt_keys[] = {
    {"--listen", "listen"},         {"--domain", "domain"},
    {"--store", "store"},           {"--tls-cert", "tls.cert"},
    {"--tls-key", "tls.key"},       {"--tls-ca", "tls.ca"},
    {"--log-level", "log_level"},   {"--http", "http.listen"},
    {"--https", "http.tls_listen"},
};

enum mode { MODE_RUN, MODE_CHECK, MODE_DUMP };

/* Two passes: the config file first (wherever --config appears), then
 * the command-line keys on top of it. */
static int parse_args(struct conf *cf, int argc, char **argv, enum mode *mode)
{
	char err[512];
	int i;

	conf_defaults(cf);
	*mode = MODE_RUN;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			if (++i >= argc) {
				fprintf(stderr,
				        "impd: --config needs a file\n");
				return EINVAL;
			}
			if (conf_load_file(cf, argv[i], err, sizeof(err))) {
				fprintf(stderr, "impd: %s\n", err);
				return EINVAL;
			}
		}
	}

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (!strcmp(a, "--check-config")) {
			*mode = MODE_CHECK;
			continue;
		}
		if (!strcmp(a, "--dump-config")) {
			*mode = MODE_DUMP;
			continue;
		}
		if (!strcmp(a, "--help-config")) {
			conf_print_doc(stdout);
			exit(0);
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--version")) {
			printf("impd %s\n", IMPD_VERSION);
			exit(0);
		}
		if (!strcmp(a, "--set")) {
			char key[128];
			const char *eq;

			if (++i >= argc || !(eq = strchr(argv[i], '=')) ||
			    (size_t)(eq - argv[i]) >= sizeof(key)) {
				fprintf(stderr,
				        "impd: --set needs KEY=VALUE\n");
				return EINVAL;
			}
			memcpy(key, argv[i], (size_t)(eq - argv[i]));
			key[eq - argv[i]] = '\0';
			if (conf_set(cf, key, eq + 1, err, sizeof(err))) {
				fprintf(stderr, "impd: %s\n", err);
				return EINVAL;
			}
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(opt_keys); k++)
			if (!strcmp(a, opt_keys[k].opt))
				break;
		if (k == ARRAY_SIZE(opt_keys)) {
			fprintf(stderr, "impd: unknown option '%s'\n", a);
			usage(stderr);
			return EINVAL;
		}
		if (++i >= argc) {
			fprintf(stderr, "impd: %s needs a value\n", a);
			return EINVAL;
		}
		if (conf_set(cf, opt_keys[k].key, argv[i], err, sizeof(err))) {
			fprintf(stderr, "impd: %s\n", err);
			return EINVAL;
		}
	}

	/* Embedded defaults when nothing says otherwise. */
	if (!cf->n_listen) {
		conf_set(cf, "listen", "udp:127.0.0.1:5060", err, sizeof(err));
		conf_set(cf, "listen", "tcp:127.0.0.1:5060", err, sizeof(err));
	}

	if (conf_validate(cf, err, sizeof(err))) {
		fprintf(stderr, "impd: %s\n", err);
		return EINVAL;
	}
	return 0;
}

/* A request the decoder refused: answer it statelessly with the reason
 * (400, or 505 for another SIP version); responses and hopeless octets
 * are dropped. Logged once per message, rate-limited. */
static void reply_bad(struct impd *d, int err, struct sip_msg *msg,
                      const struct parse_err *pe)
{
	const char *why = pe && pe->reason ? pe->reason : "Malformed message";
	struct log_ctx lc = {{0}, {0}, {0}};
	uint32_t suppressed = 0;
	struct buf *mb = NULL;
	struct sip_dst dst;
	uint16_t scode;

	if (msg)
		sa_print(&msg->src, lc.peer, sizeof(lc.peer));
	if (log_rl_allow(&d->bad_rl, &suppressed))
		log_notice(&lc, "bad %s: %s (%u similar suppressed)",
		           msg ? (msg->req ? "request" : "response")
		               : "message",
		           why, suppressed);

	if (!msg || !msg->req || sip_msg_is(msg, "ACK"))
		return;
	scode = err == ENOTSUP ? 505 : 400;
	if (sip_resp_encode(&mb, msg, scode, why, NULL, NULL, "%s%s%s",
	                    d->cf.server_name[0] ? "Server: " : "",
	                    d->cf.server_name,
	                    d->cf.server_name[0] ? "\r\n" : ""))
		return;
	sip_resp_dst(&dst, msg);
	sip_tsxl_send(d->tl, &dst, mb);
	mem_deref(mb);
}

static void tp_recv(int err, struct sip_msg *msg, const struct parse_err *pe,
                    void *arg)
{
	struct impd *d = arg;

	if (err) {
		reply_bad(d, err, msg, pe);
		return;
	}
	sip_tsxl_recv(d->tl, msg);
}

/* New requests (no matching server transaction) go to the proxy, which
 * routes them to the registrar, local services or onwards. */
static void core_request(struct sip_msg *msg, void *arg)
{
	struct impd *d = arg;

	if (d->px)
		proxy_recv(msg, d->px);
}

static void signal_handler(int flags, void *arg)
{
	struct impd *d = arg;
	struct signalfd_siginfo si;

	(void)flags;
	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_notice(NULL, "signal %u: shutting down",
			           si.ssi_signo);
			loop_stop(d->loop);
		} else if (si.ssi_signo == SIGHUP) {
			/* What impctl changes behind our back: domains and
			 * credentials. Configuration keys need a restart. */
			int err = dom_reload(d->dom);

			for (uint32_t i = 0; i < d->cf.n_domains; i++)
				dom_add(d->dom, d->cf.domains[i]);
			auth_cache_flush(d->auth);
			log_notice(NULL,
			           "SIGHUP: domains reloaded (%s), "
			           "credential cache flushed",
			           err ? err_str(err) : "ok");
		}
	}
}

static int setup_signals(struct impd *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return errno;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return errno;
	return loop_fd_listen(d->loop, d->sigfd, FD_READ, signal_handler, d);
}

struct domain_walk {
	struct dom *dom;
	uint32_t n;
};

static void domain_each(const char *domain, void *arg)
{
	struct domain_walk *w = arg;

	w->n++;
	(void)w->dom;
	(void)domain;
}

/* Configured domains are made to exist in the store (so impctl can add
 * users to them); with none configured and none stored, example.com. */
static int setup_domains(struct impd *d)
{
	struct domain_walk w = {d->dom, 0};
	int err;

	err = store_domain_list(d->store, domain_each, &w);
	if (err)
		return err;
	if (!d->cf.n_domains && !w.n) {
		char e[128];
		conf_set(&d->cf, "domain", DEFAULT_DOMAIN, e, sizeof(e));
	}
	for (uint32_t i = 0; i < d->cf.n_domains; i++) {
		bool exists = false;

		err = store_domain_exists(d->store, d->cf.domains[i], &exists);
		if (!err && !exists)
			err = store_domain_add(d->store, d->cf.domains[i]);
		if (err && err != EEXIST) {
			log_err(NULL, "cannot add domain %s to the store: %s",
			        d->cf.domains[i], err_str(err));
			return err;
		}
	}
	return dom_reload(d->dom);
}

static int setup_listeners(struct impd *d, char *summary, size_t size)
{
	size_t off = 0;

	summary[0] = '\0';
	for (uint32_t i = 0; i < d->cf.n_listen; i++) {
		enum sip_transp t;
		struct sa addr, bound;
		char buf[64];
		int err;

		err = sip_tp_addr_decode(d->cf.listen[i].spec, &t, &addr);
		if (!err)
			err = sip_tp_listen(d->tp, t, &addr);
		if (err) {
			log_err(NULL, "cannot listen on %s: %s",
			        d->cf.listen[i].spec, err_str(err));
			return err;
		}
		if (sip_tp_listen_addr(d->tp, t, sa_af(&addr), &bound))
			bound = addr;
		dom_add_self(d->dom, &bound);
		sa_print(&bound, buf, sizeof(buf));
		off +=
		    (size_t)snprintf(summary + off, size - off, "%s%s:%s",
		                     off ? " " : "", sip_transp_name(t), buf);
		if (off >= size)
			off = size - 1;
	}
	return 0;
}

static enum pres_handling handling(const char *name)
{
	if (!strcmp(name, "block"))
		return PRES_BLOCK;
	if (!strcmp(name, "confirm"))
		return PRES_CONFIRM;
	if (!strcmp(name, "polite-block"))
		return PRES_POLITE_BLOCK;
	return PRES_ALLOW;
}

/* Events framework, presence and reg packages, and their place in the
 * proxy's request path. */
static bool has_tcp_listener(const struct conf *cf)
{
	for (uint32_t i = 0; i < cf->n_listen; i++)
		if (!strncmp(cf->listen[i].spec, "tcp:", 4))
			return true;
	return false;
}

static int setup_im(struct impd *d)
{
	const struct conf *cf = &d->cf;
	struct im_conf ic = {
	    .max_body = cf->im_max_body,
	    .store_offline = cf->im_store_offline,
	    .quota_msgs = cf->im_quota_msgs,
	    .quota_bytes = (uint64_t)cf->im_quota_kb * 1024,
	    .max_age_s = cf->im_max_age_h * 3600,
	    .retry_s = cf->im_retry_s,
	    .archive_domains = cf->im_archive_domains,
	    .archive_days = cf->im_archive_days,
	    .exploder = cf->im_exploder,
	    .max_group = cf->im_max_group,
	    .stream_ok = has_tcp_listener(cf),
	    .udp_mtu = cf->udp_mtu,
	    .poll_ms = cf->pres_rules_poll_ms,
	    .server_name = cf->server_name,
	};
	struct http_conf hc = {
	    .listen = cf->http_listen,
	    .admins = cf->http_admins,
	    .max_body = cf->http_max_body,
	    .nonce_ttl_s = cf->nonce_ttl_s,
	    .server_name = cf->server_name,
	    .tls_listen = cf->http_tls_listen,
	    .tls_cert = cf->http_tls_cert[0] ? cf->http_tls_cert : cf->tls_cert,
	    .tls_key = cf->http_tls_key[0] ? cf->http_tls_key : cf->tls_key,
	};
	struct xcap_conf xc = {
	    .root = cf->xcap_root,
	    .max_doc = cf->xcap_max_doc,
	    .realm = dom_default(d->dom),
	};
	int err;

	err = im_alloc(&d->im, &ic, d->px, d->loc, d->dom, d->store, d->evt,
	               loop_tmrl(d->loop));
	if (err) {
		log_err(NULL, "cannot start the IM service: %s", err_str(err));
		return err;
	}
	err = proxy_local_register(d->px, "MESSAGE", PROXY_LOCAL_AOR,
	                           im_handle_message, d->im);
	if (err || (!cf->http_listen[0] && !cf->http_tls_listen[0]))
		return err;
	err = http_alloc(&d->http, &hc, d->loop, d->store);
	if (!err)
		err = im_http_attach(d->http, d->store);
	if (!err)
		err = xcap_alloc(&d->xcap, &xc, d->http, d->store,
		                 loop_tmrl(d->loop), d->dom);
	if (err) {
		log_err(NULL, "cannot start HTTP on %s%s%s: %s",
		        cf->http_listen, cf->http_tls_listen[0] ? " " : "",
		        cf->http_tls_listen, err_str(err));
		return err;
	}
	if (cf->http_listen[0])
		log_notice(NULL, "HTTP on %s", cf->http_listen);
	if (cf->http_tls_listen[0])
		log_notice(NULL, "HTTPS on %s", cf->http_tls_listen);
	log_notice(NULL, "XCAP root: %s", d->xcap_root_uri);
	return 0;
}

/* The XCAP root clients are given (XCAP-04): xcap.root_uri, else built
 * from the HTTPS listener (else the HTTP one) and xcap.root. */
static void xcap_root_uri(const struct conf *cf, char *buf, size_t size)
{
	if (cf->xcap_root_uri[0])
		snprintf(buf, size, "%s", cf->xcap_root_uri);
	else if (cf->http_tls_listen[0])
		snprintf(buf, size, "https://%s%s", cf->http_tls_listen,
		         cf->xcap_root);
	else if (cf->http_listen[0])
		snprintf(buf, size, "http://%s%s", cf->http_listen,
		         cf->xcap_root);
	else
		snprintf(buf, size, "(no HTTP listener)");
}

static int setup_services(struct impd *d)
{
	const struct conf *cf = &d->cf;
	struct evt_conf ec = {
	    .min_expires = cf->evt_min_expires,
	    .max_expires = cf->evt_max_expires,
	    .notify_interval_ms = cf->evt_notify_interval_ms,
	    .notify_retries = cf->evt_notify_retries,
	    .max_body = cf->max_msg,
	    .max_subs = cf->evt_max_subs,
	    .server_name = cf->server_name,
	    .lenient = cf->lenient,
	};
	struct pres_conf prc = {
	    .pub_min_expires = cf->pres_pub_min_expires,
	    .pub_max_expires = cf->pres_pub_max_expires,
	    .pub_default_expires = cf->pres_pub_default_expires,
	    .sub_default_expires = cf->pres_sub_default_expires,
	    .max_doc = cf->pres_max_doc,
	    .max_pubs = cf->pres_max_pubs,
	    .lenient = cf->pres_lenient,
	    .trusted = cf->pres_trusted,
	    .default_local = handling(cf->pres_default_local),
	    .default_foreign = handling(cf->pres_default_foreign),
	    .trust_foreign_from = cf->pres_trust_foreign_from,
	    .rules_poll_ms = cf->pres_rules_poll_ms,
	};
	struct rls_conf rlc = {
	    .buddies_suffix = cf->rls_buddies_suffix,
	    .max_resources = cf->rls_max_resources,
	    .poll_ms = cf->pres_rules_poll_ms,
	    .wait_ms = cf->rls_wait_ms,
	    .be_expires = cf->rls_be_expires,
	};
	struct xdiff_conf xdc = {
	    .root_uri = NULL,
	    .poll_ms = cf->pres_rules_poll_ms,
	};
	int err;

	err = evt_alloc(&d->evt, &ec, d->tl, d->store);
	if (err)
		return err;
	err = pres_alloc(&d->pres, &prc, d->evt, d->store, d->loc,
	                 loop_tmrl(d->loop));
	if (err) {
		log_err(NULL, "cannot start the presence service: %s",
		        err_str(err));
		return err;
	}
	err = regevent_alloc(&d->regev, d->evt, d->loc);
	if (err)
		return err;
	xcap_root_uri(cf, d->xcap_root_uri, sizeof(d->xcap_root_uri));
	xdc.root_uri = d->xcap_root_uri;
	err = rls_alloc(&d->rls, &rlc, d->evt, d->store, loop_tmrl(d->loop),
	                d->dom);
	if (!err)
		err = xdiff_alloc(&d->xdiff, &xdc, d->evt, d->store,
		                  loop_tmrl(d->loop));
	if (err) {
		log_err(NULL, "cannot start the list services: %s",
		        err_str(err));
		return err;
	}
	err = proxy_local_register(d->px, "SUBSCRIBE",
	                           PROXY_LOCAL_AOR | PROXY_LOCAL_SELF,
	                           evt_handle_subscribe, d->evt);
	if (!err)
		err = proxy_local_register(d->px, "NOTIFY", PROXY_LOCAL_SELF,
		                           evt_handle_notify, d->evt);
	if (!err)
		err = proxy_local_register(d->px, "PUBLISH", PROXY_LOCAL_AOR,
		                           pres_handle_publish, d->pres);
	if (err)
		return err;
	err = setup_im(d);
	if (err)
		return err;
	proxy_set_allow_events(d->px, evt_allow_events(d->evt));
	return 0;
}

static int impd_start(struct impd *d)
{
	const struct conf *cf = &d->cf;
	struct sip_tp_conf tpc = {
	    .max_msg = cf->max_msg,
	    .max_hdr = cf->max_hdr,
	    .max_conns = cf->max_conns,
	    .idle_s = cf->tcp_idle_s,
	    .connect_ms = cf->connect_ms,
	    .udp_mtu = cf->udp_mtu,
	    .tls_cert = cf->tls_cert[0] ? cf->tls_cert : NULL,
	    .tls_key = cf->tls_key[0] ? cf->tls_key : NULL,
	    .tls_ca = cf->tls_ca[0] ? cf->tls_ca : NULL,
	    .tls_verify_client = cf->tls_verify_client,
	    .tls_verify_server = cf->tls_verify_server,
	};
	struct sip_timers timers = {cf->t1_ms, cf->t2_ms, cf->t4_ms};
	struct auth_conf ac = {
	    .nonce_ttl_s = cf->nonce_ttl_s,
	    .cache_ttl_s = cf->auth_cache_s,
	    .sha256 = cf->auth_sha256,
	    .md5 = cf->auth_md5,
	    .sha256_first = cf->auth_sha256_first,
	    .secret = NULL,
	};
	struct registrar_conf rc = {
	    .min_expires = cf->reg_min_expires,
	    .max_expires = cf->reg_max_expires,
	    .default_expires = cf->reg_default_expires,
	    .max_contacts = cf->reg_max_contacts,
	    .auth = cf->auth_register,
	};
	struct proxy_conf pc = {
	    .timer_c_ms = cf->timer_c_s * 1000,
	    .serial_ms = cf->serial_s * 1000,
	    .auth_local = cf->auth_proxy,
	    .server_name = cf->server_name,
	};
	const char *store_uri = cf->store;
	char listening[512];
	int err;

	d->bad_rl = (struct log_rl)LOG_RL_INIT(10, 10);

	err = loop_alloc(&d->loop);
	if (err)
		return err;
	err = setup_signals(d);
	if (err)
		return err;
	err = store_open(&d->store, store_uri, d->loop);
	if (err) {
		log_err(NULL, "cannot open store %s: %s", store_uri,
		        err_str(err));
		return err;
	}
	err = dom_alloc(&d->dom, d->store);
	if (err)
		return err;
	for (uint32_t i = 0; i < cf->n_domains; i++)
		dom_add(d->dom, cf->domains[i]);
	err = setup_domains(d);
	if (err)
		return err;
	for (uint32_t i = 0; i < d->cf.n_domains; i++)
		dom_add(d->dom, d->cf.domains[i]);

	err = loc_alloc(&d->loc, d->store, loop_tmrl(d->loop));
	if (err) {
		log_err(NULL, "cannot load registrations: %s", err_str(err));
		return err;
	}
	err = auth_alloc(&d->auth, d->store, loop_tmrl(d->loop), &ac);
	if (err)
		return err;
	err = registrar_alloc(&d->reg, &rc, d->loc, d->auth, d->dom);
	if (err)
		return err;
	err = sip_tp_alloc(&d->tp, d->loop, &tpc, tp_recv, d);
	if (err)
		return err;
	err = sip_tsxl_alloc(&d->tl, loop_tmrl(d->loop), sip_tp_ops(), d->tp,
	                     &timers, core_request, d);
	if (err)
		return err;
	err = proxy_alloc(&d->px, &pc, d->tl, d->loc, d->dom, d->auth, d->reg);
	if (err)
		return err;
	proxy_set_lenient(d->px, cf->lenient);
	proxy_set_store(d->px, d->store);
	err = setup_services(d);
	if (err)
		return err;

	err = setup_listeners(d, listening, sizeof(listening));
	if (err)
		return err;
	/* stored subscriptions resume once NOTIFYs can leave */
	err = evt_restore(d->evt);
	if (err) {
		log_err(NULL, "cannot restore subscriptions: %s", err_str(err));
		return err;
	}

	log_notice(NULL,
	           "impd ready: %s, domain %s, store %s, %u bindings, "
	           "%u subscriptions",
	           listening, dom_default(d->dom), store_uri, loc_count(d->loc),
	           evt_sub_count(d->evt, NULL));
	log_notice(NULL,
	           "add a user with: impctl --store %s user add "
	           "alice@%s --password SECRET",
	           store_uri, dom_default(d->dom));
	return 0;
}

static void impd_stop(struct impd *d)
{
	d->http = mem_deref(d->http);
	d->xcap = mem_deref(d->xcap);
	d->im = mem_deref(d->im);
	d->xdiff = mem_deref(d->xdiff);
	d->rls = mem_deref(d->rls);
	d->px = mem_deref(d->px);
	d->regev = mem_deref(d->regev);
	d->pres = mem_deref(d->pres);
	d->evt = mem_deref(d->evt);
	d->tl = mem_deref(d->tl);
	d->tp = mem_deref(d->tp);
	d->reg = mem_deref(d->reg);
	d->auth = mem_deref(d->auth);
	if (d->store)
		store_flush(d->store);
	d->loc = mem_deref(d->loc);
	d->dom = mem_deref(d->dom);
	d->store = mem_deref(d->store);
	if (d->loop)
		loop_run_once(d->loop, 0); /* completions still posted */
	if (d->sigfd >= 0) {
		if (d->loop)
			loop_fd_close(d->loop, d->sigfd);
		close(d->sigfd);
	}
	d->loop = mem_deref(d->loop);
}

int main(int argc, char **argv)
{
	static struct impd d;
	enum log_level lvl;
	enum mode mode;
	int err;

	d.sigfd = -1;
	if (parse_args(&d.cf, argc, argv, &mode))
		return 2;
	if (mode == MODE_CHECK) {
		printf("impd: configuration OK\n");
		return 0;
	}
	if (mode == MODE_DUMP) {
		conf_dump(&d.cf, stdout);
		return 0;
	}
	if (!log_level_parse(d.cf.log_level, &lvl))
		log_level_set(lvl);

	err = impd_start(&d);
	if (!err)
		err = loop_run(d.loop);
	impd_stop(&d);
	if (err) {
		fprintf(stderr, "impd: %s\n", err_str(err));
		return 1;
	}
	return 0;
}
