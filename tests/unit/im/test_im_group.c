/* tests/unit/im/test_im_group.c - group pager messages: list URIs of
 * rls-services documents and URI-list MESSAGEs (RFC 5365) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "im/cpim.h"
#include "im_fix.h"
#include "list/rlist.h"
#include "sip/rec_tp.h"
#include "store/store.h"

#define TEAM "sip:team@example.com"
#define DEVS "sip:devs@example.com"

/* carol online, bob offline */
static const struct pt_binding carol_on[] = {
    {"carol@example.com", "sip:carol@" IMF_CAROL_UA, "udp:" IMF_CAROL_UA, 0,
     NULL},
};

/* alice's team holds bob, carol, itself and carol's devs; devs holds
 * team, alice and bob */
static int groups(struct imfix *f)
{
	static const char *const team[] = {IMF_BOB, IMF_CAROL, TEAM, DEVS};
	static const char *const devs[] = {TEAM, IMF_ALICE, IMF_BOB};
	int err = imf_group(f, "alice@example.com", TEAM, team, 4);

	if (!err)
		err = imf_group(f, "carol@example.com", DEVS, devs, 3);
	return err;
}

/* The stored copy x is text/plain body from sender to group to. */
static bool copy_ok(const struct imf_m *x, const char *owner,
                    const char *sender, const char *to, const char *body)
{
	return !strcmp(x->owner, owner) && !strcmp(x->sender, sender) &&
	       !strcmp(x->recipient, to) && !strcmp(x->ctype, "text/plain") &&
	       !strcmp(x->body, body);
}

/* One 202; one copy per member but the sender; the lists holding
 * themselves and each other do not loop; online members get theirs. */
TEST(test_im_group_fanout)
{
	struct imfix f;
	struct imf_msgs ms;
	struct sip_msg *msg = NULL;
	struct cpim c;
	struct pl uri;
	const char *why;
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init_store(&f, carol_on, 1, true);
	if (!err)
		err = groups(&f);
	if (!err)
		err = imf_start(&f, NULL);
	if (err)
		goto out;

	PFX_ERR(imf_msg(&f, IMF_ALICE, TEAM, "stand-up at ten", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_EQ(1, rec_tp_count_prefix(f.p.rt, "SIP/2.0 202 "));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(2, ms.n);
	PFX_ASSERT(copy_ok(&ms.m[0], "bob@example.com", IMF_ALICE, TEAM,
	                   "stand-up at ten"));
	PFX_ASSERT(copy_ok(&ms.m[1], "carol@example.com", IMF_ALICE, TEAM,
	                   "stand-up at ten"));

	/* carol is online: hers goes out at once, To the group */
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", NULL));
	i = imf_find(&f, 0, "MESSAGE", IMF_CAROL_UA, 0);
	PFX_ERR(imf_decode(&f, i, &msg));
	PFX_ASSERT(!pl_strcmp(&msg->ruri, "sip:carol@" IMF_CAROL_UA));
	PFX_ASSERT(!pl_strcmp(&msg->from.auri, IMF_ALICE));
	PFX_ASSERT(!pl_strcmp(&msg->to.auri, TEAM));
	PFX_ASSERT(!pl_strcmp(&msg->ctype, "message/cpim"));
	PFX_ASSERT(!cpim_parse(&c, msg->body.p, msg->body.l, &why));
	PFX_ASSERT(!cpim_addr(cpim_field(&c, NULL, "To"), NULL, &uri));
	PFX_ASSERT(!pl_strcmp(&uri, TEAM));
	PFX_ASSERT(!pl_strcmp(&c.ctype, "text/plain"));
	PFX_ASSERT(!pl_strcmp(&c.body, "stand-up at ten"));
	PFX_ERR(imf_answer(&f, i, 200));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(1, ms.n);
	PFX_ASSERT(!strcmp(ms.m[0].owner, "bob@example.com"));

	/* bob (a member) writes to carol's devs: carol and alice */
	imf_clear(&f);
	msg = mem_deref(msg);
	PFX_ERR(imf_msg(&f, IMF_BOB, DEVS, "build is red", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(3, ms.n);
	PFX_ASSERT(copy_ok(&ms.m[1], "carol@example.com", IMF_BOB, DEVS,
	                   "build is red"));
	PFX_ASSERT(copy_ok(&ms.m[2], "alice@example.com", IMF_BOB, DEVS,
	                   "build is red"));
out:
	mem_deref(msg);
	imf_close(&f);
	return err;
}

/* Only the owner and members send to a group; each member's policy
 * counts; too many recipients: 403. */
TEST(test_im_group_rights)
{
	static const struct imf_rule block[] = {
	    {"r-alice", IMF_ALICE, "block", NULL},
	};
	struct im_conf cf;
	struct imfix f;
	struct imf_msgs ms;
	struct sip_msg *rsp = NULL;
	unsigned id;
	int err;

	PFX_START();
	imf_conf(&cf);
	err = imf_init_store(&f, NULL, 0, true);
	if (!err)
		err = groups(&f);
	if (!err)
		err = imf_im_rules(&f, "bob@example.com", block, 1);
	if (!err)
		err = imf_start(&f, &cf);
	if (err)
		goto out;
	PFX_ERR(imf_msg(&f, IMF_EVE, TEAM, "let me in", false, &id));
	PFX_EQ(403, imf_status(&f, id));
	PFX_ERR(imf_resp(&f, id, &rsp));
	PFX_ASSERT(
	    !pl_strcmp(&rsp->reason, "Not allowed to send to this group"));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(0, ms.n);

	/* bob blocks alice: carol only */
	PFX_ERR(imf_msg(&f, IMF_ALICE, TEAM, "hi team", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(1, ms.n);
	PFX_ASSERT(
	    copy_ok(&ms.m[0], "carol@example.com", IMF_ALICE, TEAM, "hi team"));
out:
	mem_deref(rsp);
	imf_close(&f);
	return err;
}

TEST(test_im_group_too_many)
{
	struct im_conf cf;
	struct imfix f;
	struct imf_msgs ms;
	struct sip_msg *rsp = NULL;
	unsigned id;
	int err;

	PFX_START();
	imf_conf(&cf);
	cf.max_group = 1;
	err = imf_init_store(&f, NULL, 0, true);
	if (!err)
		err = groups(&f);
	if (!err)
		err = imf_start(&f, &cf);
	if (err)
		goto out;
	PFX_ERR(imf_msg(&f, IMF_ALICE, TEAM, "all hands", true, &id));
	PFX_EQ(403, imf_status(&f, id));
	PFX_ERR(imf_resp(&f, id, &rsp));
	PFX_ASSERT(!pl_strcmp(&rsp->reason, "Too many recipients"));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(0, ms.n);
out:
	mem_deref(rsp);
	imf_close(&f);
	return err;
}

static const char urilist[] =
    "--b1\r\n"
    "Content-Type: application/resource-lists+xml\r\n"
    "Content-Disposition: recipient-list\r\n"
    "\r\n"
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"\r\n"
    "    xmlns:cp=\"urn:ietf:params:xml:ns:copycontrol\">\r\n"
    "  <list>\r\n"
    "    <entry uri=\"sip:bob@example.com\" cp:copyControl=\"to\"/>\r\n"
    "    <entry uri=\"sip:carol@example.com\" cp:copyControl=\"cc\"/>\r\n"
    "  </list>\r\n"
    "</resource-lists>\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello all\r\n"
    "--b1--\r\n";

/* RFC 5365: the exploder fans the message part out to the listed URIs,
 * one 202; local senders only; multipart/mixed only. */
TEST(test_im_urilist)
{
	struct imfix f;
	struct imf_req r;
	struct imf_msgs ms;
	unsigned id;
	int err;

	PFX_START();
	err = imf_init(&f, NULL, NULL, 0, true);
	if (err)
		goto out;
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.ruri = "sip:exploder@example.com";
	r.ctype = "multipart/mixed;boundary=b1";
	r.body = urilist;
	r.hdrs = "Require: recipient-list-message\r\n";
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_EQ(1, rec_tp_count_prefix(f.p.rt, "SIP/2.0 202 "));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(2, ms.n);
	PFX_ASSERT(copy_ok(&ms.m[0], "bob@example.com", IMF_ALICE, IMF_BOB,
	                   "hello all"));
	PFX_ASSERT(copy_ok(&ms.m[1], "carol@example.com", IMF_ALICE, IMF_CAROL,
	                   "hello all"));

	/* a foreign sender may not use the exploder */
	r.from = IMF_EVE;
	r.auth = false;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(403, imf_status(&f, id));
	/* not multipart */
	r.from = IMF_ALICE;
	r.auth = true;
	r.ctype = "text/plain";
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(415, imf_status(&f, id));
	/* without Require the exploder is no user */
	r.ctype = "multipart/mixed;boundary=b1";
	r.hdrs = NULL;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(404, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_EQ(2, ms.n);
out:
	imf_close(&f);
	return err;
}

/*
 * KNOWN BUG (im_group.c next(), reported to the lead; fails until fixed):
 * a member's reception "reject" means "never stored: 480 while offline"
 * and the contract says each member's own IM policy applies to group
 * messages; the group path only looks at im-handling and stores a copy
 * for an offline member that rejects storage.
 */
TEST(test_im_group_bug_member_reject)
{
	static const struct imf_rule reject[] = {
	    {"r-all", NULL, NULL, "reject"},
	};
	struct imfix f;
	struct imf_msgs ms;
	unsigned id;
	int err;

	PFX_START();
	err = imf_init_store(&f, NULL, 0, true);
	if (!err)
		err = groups(&f);
	if (!err)
		err = imf_im_rules(&f, "carol@example.com", reject, 1);
	if (!err)
		err = imf_start(&f, NULL);
	if (err)
		goto out;
	PFX_ERR(imf_msg(&f, IMF_ALICE, TEAM, "lunch?", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, NULL, &ms));
	PFX_ASSERT(ms.n >= 1);
	PFX_ASSERT(
	    copy_ok(&ms.m[0], "bob@example.com", IMF_ALICE, TEAM, "lunch?"));
	PFX_EQ(1, ms.n); /* fails: carol's copy is stored too */
out:
	imf_close(&f);
	return err;
}

struct arch_seen {
	uint32_t n;
	char outcome[512];
	char recipients[256];
	char peer[64];
};

static void arch_h(const struct store_arch *a, void *arg)
{
	struct arch_seen *s = arg;

	s->n++;
	snprintf(s->outcome, sizeof(s->outcome), "%s", a->outcome);
	snprintf(s->recipients, sizeof(s->recipients), "%s", a->recipients);
	snprintf(s->peer, sizeof(s->peer), "%s", a->peer);
}

/* With archiving on, the sender's history holds the group message once,
 * with every member and its outcome (D-28). */
TEST(test_im_group_archive)
{
	static const struct imf_rule block[] = {
	    {"r-alice", IMF_ALICE, "block", NULL},
	};
	struct store_arch_query q = {.owner = "alice@example.com"};
	struct arch_seen seen;
	struct im_conf cf;
	struct imfix f;
	unsigned id;
	int err;

	PFX_START();
	memset(&seen, 0, sizeof(seen));
	imf_conf(&cf);
	cf.archive_domains = "example.com";
	err = imf_init_store(&f, carol_on, 1, true);
	if (!err)
		err = groups(&f);
	if (!err)
		err = imf_im_rules(&f, "carol@example.com", block, 1);
	if (!err)
		err = imf_start(&f, &cf);
	if (err)
		goto out;

	PFX_ERR(imf_msg(&f, IMF_ALICE, TEAM, "lunch?", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(store_arch_list(f.p.st, &q, arch_h, &seen));
	PFX_EQ(1, seen.n);
	PFX_ASSERT(!strcmp(seen.peer, TEAM));
	PFX_ASSERT(!strcmp(seen.recipients, IMF_BOB ", " IMF_CAROL));
	PFX_ASSERT(!strcmp(seen.outcome,
	                   "group: " IMF_BOB " stored; " IMF_CAROL " blocked"));
out:
	imf_close(&f);
	return err;
}
