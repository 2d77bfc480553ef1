/* sip/tp_tls.c - TLS streams on OpenSSL 3 (RFC 3261 26.2, RFC 6066 3) */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../base/loop.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "tp_int.h"

#define LOG_MODULE "sip.tp"

static const unsigned char sid_ctx[] = "impd-sip";

/* OpenSSL writes sockets with write(): a peer reset would raise SIGPIPE.
 * A server ignores it; only the default disposition is changed. */
static void sigpipe_ignore(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		(void)sigaction(SIGPIPE, &sa, NULL);
	}
}

/* The OpenSSL error queue as one line (and empty it). */
static void ssl_errstr(char *buf, size_t size)
{
	unsigned long e;
	size_t pos = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) && pos + 2 < size) {
		char s[256];

		ERR_error_string_n(e, s, sizeof(s));
		pos += (size_t)snprintf(buf + pos, size - pos, "%s%s",
		                        pos ? "; " : "", s);
	}
	ERR_clear_error();
	if (!buf[0])
		snprintf(buf, size, "unknown error");
}

static void ctx_common(SSL_CTX *ctx)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                          SSL_MODE_RELEASE_BUFFERS);
	/* a peer that drops TCP without close_notify: plain EOF */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

static int ctx_cert(SSL_CTX *ctx, const struct sip_tp *tp, char *ebuf,
                    size_t esize)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, tp->cf.tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, tp->cf.tls_key,
	                                SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_errstr(ebuf, esize);
		return EINVAL;
	}
	return 0;
}

/** Server context: certificate and key from the configuration; with
 * tls_verify_client, client certificates are required and checked
 * against tls_ca. */
int tp_tls_srv_init(struct sip_tp *tp)
{
	char ebuf[512];
	SSL_CTX *ctx;
	int err;

	if (tp->tls_srv)
		return 0;
	if (!tp->cf.tls_cert || !tp->cf.tls_key) {
		log_warn(&tp->lctx, "TLS needs tls_cert and tls_key");
		return EINVAL;
	}
	if (tp->cf.tls_verify_client && !tp->cf.tls_ca) {
		log_warn(&tp->lctx, "tls_verify_client needs tls_ca");
		return EINVAL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return ENOMEM;
	ctx_common(ctx);
	err = ctx_cert(ctx, tp, ebuf, sizeof(ebuf));
	if (err) {
		log_warn(&tp->lctx, "TLS certificate %s / key %s: %s",
		         tp->cf.tls_cert, tp->cf.tls_key, ebuf);
		goto out;
	}
	(void)SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	if (tp->cf.tls_verify_client) {
		STACK_OF(X509_NAME) * names;

		if (SSL_CTX_load_verify_locations(ctx, tp->cf.tls_ca, NULL) !=
		    1) {
			ssl_errstr(ebuf, sizeof(ebuf));
			log_warn(&tp->lctx, "TLS CA %s: %s", tp->cf.tls_ca,
			         ebuf);
			err = EINVAL;
			goto out;
		}
		names = SSL_load_client_CA_file(tp->cf.tls_ca);
		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(
		    ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    NULL);
	}
	sigpipe_ignore();
out:
	if (err)
		SSL_CTX_free(ctx);
	else
		tp->tls_srv = ctx;
	return err;
}

/** Client context (outbound TLS): our certificate if configured (for
 * peers that ask), server verification with tls_ca or the system
 * store when tls_verify_server is set. */
int tp_tls_cli_init(struct sip_tp *tp)
{
	char ebuf[512];
	SSL_CTX *ctx;
	int err = 0;

	if (tp->tls_cli)
		return 0;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return ENOMEM;
	ctx_common(ctx);
	if (tp->cf.tls_cert && tp->cf.tls_key) {
		err = ctx_cert(ctx, tp, ebuf, sizeof(ebuf));
		if (err) {
			log_warn(&tp->lctx, "TLS certificate %s / key %s: %s",
			         tp->cf.tls_cert, tp->cf.tls_key, ebuf);
			goto out;
		}
	}
	if (tp->cf.tls_verify_server) {
		int ok = tp->cf.tls_ca ? SSL_CTX_load_verify_locations(
		                             ctx, tp->cf.tls_ca, NULL)
		                       : SSL_CTX_set_default_verify_paths(ctx);

		if (ok != 1) {
			ssl_errstr(ebuf, sizeof(ebuf));
			log_warn(&tp->lctx, "TLS CA %s: %s",
			         tp->cf.tls_ca ? tp->cf.tls_ca : "(system)",
			         ebuf);
			err = EINVAL;
			goto out;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	sigpipe_ignore();
out:
	if (err)
		SSL_CTX_free(ctx);
	else
		tp->tls_cli = ctx;
	return err;
}

void tp_tls_free(struct sip_tp *tp)
{
	SSL_CTX_free(tp->tls_srv);
	SSL_CTX_free(tp->tls_cli);
	tp->tls_srv = NULL;
	tp->tls_cli = NULL;
}

static bool is_ip_literal(const char *s)
{
	unsigned char b[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/** A new TLS session on a connected socket. Outbound: SNI is the host
 * name (never an IP literal, RFC 6066 3); with tls_verify_server the
 * certificate must match the host name, or the peer IP address when no
 * name is known. */
int tp_tls_conn_init(struct sip_conn *c)
{
	struct sip_tp *tp = c->tp;
	SSL_CTX *ctx = c->outbound ? tp->tls_cli : tp->tls_srv;
	SSL *ssl;
	int err = 0;

	if (!ctx)
		return EINVAL;
	ERR_clear_error();
	ssl = SSL_new(ctx);
	if (!ssl)
		return ENOMEM;
	if (SSL_set_fd(ssl, c->fd) != 1) {
		err = ENOMEM;
		goto out;
	}
	if (!c->outbound) {
		SSL_set_accept_state(ssl);
		goto out;
	}
	SSL_set_connect_state(ssl);
	if (c->host[0] && !is_ip_literal(c->host) &&
	    SSL_set_tlsext_host_name(ssl, c->host) != 1) {
		err = EINVAL;
		goto out;
	}
	if (tp->cf.tls_verify_server) {
		char ip[sizeof(c->host)];

		if (c->host[0] && !is_ip_literal(c->host)) {
			if (SSL_set1_host(ssl, c->host) != 1)
				err = ENOMEM;
		} else {
			if (c->host[0])
				snprintf(ip, sizeof(ip), "%s", c->host);
			else if (sa_ntop(&c->peer, ip, sizeof(ip)))
				ip[0] = '\0';
			if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			                                  ip) != 1)
				err = EINVAL;
		}
	}
out:
	if (err)
		SSL_free(ssl);
	else
		c->ssl = ssl;
	return err;
}

void tp_tls_conn_free(struct sip_conn *c)
{
	if (!c->ssl)
		return;
	if (c->ready) {
		/* best effort close_notify; never waits */
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	ERR_clear_error();
}

bool tp_tls_pending(const struct sip_conn *c)
{
	return c->ssl && SSL_pending(c->ssl) > 0;
}

/* Map an SSL_get_error() result; 0 for would-block (want set). */
static int ssl_fail(struct sip_conn *c, int r, int *want, const char *what)
{
	int e = SSL_get_error(c->ssl, r);
	char ebuf[512];
	long vr;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = FD_READ;
		return EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = FD_WRITE;
		return EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return ECONNRESET;
	case SSL_ERROR_SYSCALL:
		e = errno ? errno : ECONNRESET;
		ERR_clear_error();
		return e;
	default:
		ssl_errstr(ebuf, sizeof(ebuf));
		vr = SSL_get_verify_result(c->ssl);
		if (vr != X509_V_OK)
			tp_log_rl(c->tp, LOG_LVL_NOTICE, &c->lctx,
			          "TLS %s: %s (certificate: %s)", what, ebuf,
			          X509_verify_cert_error_string(vr));
		else
			tp_log_rl(c->tp, LOG_LVL_NOTICE, &c->lctx, "TLS %s: %s",
			          what, ebuf);
		return EPROTO;
	}
}

int tp_tls_handshake(struct sip_conn *c, int *want)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		log_debug(&c->lctx, "TLS %s %s", SSL_get_version(c->ssl),
		          SSL_get_cipher_name(c->ssl));
		return 0;
	}
	return ssl_fail(c, r, want, "handshake");
}

long tp_tls_read(struct sip_conn *c, uint8_t *p, size_t n, int *err, int *want)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
		return 0; /* close_notify */
	*err = ssl_fail(c, r, want, "read");
	return -1;
}

long tp_tls_write(struct sip_conn *c, const uint8_t *p, size_t n, int *err,
                  int *want)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	*err = ssl_fail(c, r, want, "write");
	return -1;
}
