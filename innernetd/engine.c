/*
 * Copyright (c) 2026 The innernet-in-C authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The engine process: setup and sandbox, the three pipes (parent, dbd,
 * wgd) and the registry of requests in flight to dbd and wgd.  Answers
 * are checked for size and terminated strings here, once, so callbacks
 * can trust what they get.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/dns.h>
#include <sodium.h>

#include "engine.h"
#include "compat.h"

struct engine_req {
	RB_ENTRY(engine_req)	 entry;
	uint32_t		 id;
	engine_cb		 cb;
	void			*arg;
	struct proc_pipe	*pipe;	/* where the request went */
	uint32_t		 type;	/* what it asked */
	int			 owned;	/* arg is ours, freed at the end */
};

static int
req_cmp(struct engine_req *a, struct engine_req *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_HEAD(engine_reqs, engine_req);
RB_PROTOTYPE(engine_reqs, engine_req, entry, req_cmp);
RB_GENERATE(engine_reqs, engine_req, entry, req_cmp);

struct engine_nets	 engine_nets = TAILQ_HEAD_INITIALIZER(engine_nets);
struct in_conf_global	 engine_conf;
struct event_base	*engine_base;
struct evdns_base	*engine_dns;

static struct engine_reqs	 reqs = RB_INITIALIZER(&reqs);
static uint32_t			 req_next = 1;
static struct proc_pipe		 pipe_parent, pipe_dbd, pipe_wgd;

/* Configuration being received, applied at IMSG_CONF_END. */
static struct in_conf_global	 conf_pending;
static struct in_netopts	 netopts[IN_MAXNETWORKS], netopts_pending[
				    IN_MAXNETWORKS];
static size_t			 nnetopts, nnetopts_pending;
static struct in_prefix		 ranges[IN_MAXRANGES], ranges_pending[
				    IN_MAXRANGES];
static size_t			 nranges, nranges_pending;
static int			 configured;

static __attribute__((__noreturn__)) void engine_usage(void);
static int	pipe_compose(struct proc_pipe *, uint32_t, uint32_t,
		    const struct iovec *, int);
static void	dispatch_parent(struct proc_pipe *, struct imsg *);
static void	dispatch_dbd(struct proc_pipe *, struct imsg *);
static void	dispatch_wgd(struct proc_pipe *, struct imsg *);
static void	req_deliver(struct proc_pipe *, struct imsg *, int);
static void	req_sent(struct proc_pipe *, uint32_t, uint32_t);
static int	req_answered_by(uint32_t, uint32_t);
static void	engine_configured(void);
static void	parent_log_answer(struct imsg *, void *);
static void	networks_loaded(struct imsg *, void *);
static void	engine_sig(int, short, void *);
static void	engine_violate(int, short, void *);

static __attribute__((__noreturn__)) void
engine_usage(void)
{
	fprintf(stderr, "usage: innernetd -E [-dv] -u user -s statedir\n");
	exit(1);
}

int
engine_main(int argc, char **argv)
{
	struct passwd	*pw;
	struct rlimit	 rl;
	struct event	 ev_sigint, ev_sigterm, ev_sighup, ev_violate;
	struct timeval	 tv = { 1, 0 };
	const char	*user = NULL;
	int		 ch, debug = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "Edvu:s:")) != -1) {
		switch (ch) {
		case 'E':
			break;
		case 'd':
			debug = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'u':
			user = optarg;
			break;
		case 's':
			/* the engine touches no files; dbd owns the state */
			break;
		default:
			engine_usage();
		}
	}
	if (user == NULL || optind != argc)
		engine_usage();

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit(PROC_ENGINE);

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	if (pw->pw_uid == 0)
		fatalx("user %s must not be root", user);
	if (sodium_init() == -1)
		fatalx("sodium_init");

	/*
	 * Batch epoll changes until the next wait: each HTTP request turns
	 * reading off and writing on, then back, four epoll_ctl calls where
	 * the changes, merged, need two.
	 */
	if (setenv("EVENT_EPOLL_USE_CHANGELIST", "1", 1) == -1)
		fatal("setenv");
	if ((engine_base = event_init()) == NULL)
		fatalx("event_init");
	/* The resolver reads its configuration now: no files after chroot. */
	if ((engine_dns = evdns_base_new(engine_base, 0)) == NULL)
		fatalx("evdns_base_new");
	/* Seed libevent's generator now: /dev/urandom is gone after chroot. */
	if (evutil_secure_rng_init() == -1)
		fatalx("evutil_secure_rng_init");
	if (evdns_base_resolv_conf_parse(engine_dns, DNS_OPTIONS_ALL,
	    "/etc/resolv.conf") != 0)
		log_warnx("cannot read /etc/resolv.conf: hostname endpoints "
		    "will not resolve");

	setproctitle("%s", PROC_ENGINE);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Every API connection is a descriptor: take all the system allows,
	 * so that idle connections of one peer cannot starve the others.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit");
	}

	if (chroot(INNERNET_EMPTYDIR) == -1)
		fatal("chroot %s (the parent creates it; does it exist?)",
		    INNERNET_EMPTYDIR);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);

	/*
	 * No file at all, and (Landlock ABI 6) no signal or abstract UNIX
	 * socket outside the set.  TCP is not narrowed by port: the ports
	 * the engine binds (a server network's listen port) and connects
	 * to (a server's API port, from an invitation) belong to networks
	 * that `innernetctl new` and `install` create while we run, and a
	 * Landlock domain can only ever narrow.  What bounds the engine's
	 * TCP is its user (no port below 1024) and the API's own checks.
	 */
	if (unveil(NULL, NULL) == -1)
		fatal("unveil");
	if (pledge("stdio inet unix dns", NULL) == -1)
		fatal("pledge");

	proc_info(PROC_ENGINE, INNERNET_EMPTYDIR, NULL);
	proc_pipe_init(&pipe_parent, PROC_PARENT, PROC_FD_PARENT,
	    dispatch_parent, NULL, NULL);
	proc_pipe_init(&pipe_dbd, PROC_DBD, PROC_FD_DBD, dispatch_dbd, NULL,
	    NULL);
	proc_pipe_init(&pipe_wgd, PROC_WGD, PROC_FD_WGD, dispatch_wgd, NULL,
	    NULL);

	signal_set(&ev_sigint, SIGINT, engine_sig, NULL);
	signal_set(&ev_sigterm, SIGTERM, engine_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, engine_sig, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sighup, NULL);

	if (regress_violate_wanted(PROC_ENGINE)) {
		evtimer_set(&ev_violate, engine_violate, NULL);
		evtimer_add(&ev_violate, &tv);
	}

	log_debug("running as %s, chrooted to %s", user, INNERNET_EMPTYDIR);
	memtrim_start();
	event_dispatch();
	fatalx("event loop ended");
}

static void
engine_violate(int fd, short event, void *arg)
{
	regress_violate(PROC_ENGINE);
}

static void
engine_sig(int sig, short event, void *arg)
{
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		log_debug("exiting on signal %d", sig);
		exit(0);
	default:
		/* the parent rereads the configuration and sends it */
		break;
	}
}

static int
pipe_compose(struct proc_pipe *p, uint32_t type, uint32_t id,
    const struct iovec *iov, int iovcnt)
{
	if (proc_composev(p, type, id, iov, iovcnt) == -1)
		return (-1);
	req_sent(p, type, id);
	return (0);
}

static int
compose1(struct proc_pipe *p, uint32_t type, uint32_t id,
    const void *data, size_t len)
{
	if (proc_compose(p, type, id, data, len) == -1)
		return (-1);
	req_sent(p, type, id);
	return (0);
}

int
engine_db_compose(uint32_t type, uint32_t id, const void *data, size_t len)
{
	return (compose1(&pipe_dbd, type, id, data, len));
}

int
engine_db_composev(uint32_t type, uint32_t id, const struct iovec *iov,
    int iovcnt)
{
	return (pipe_compose(&pipe_dbd, type, id, iov, iovcnt));
}

int
engine_wg_compose(uint32_t type, uint32_t id, const void *data, size_t len)
{
	return (compose1(&pipe_wgd, type, id, data, len));
}

int
engine_parent_compose(uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	return (compose1(&pipe_parent, type, id, data, len));
}

/* A request to the parent whose answer is only logged. */
void
engine_parent_fire(uint32_t type, const void *data, size_t len)
{
	uint32_t	id;

	id = engine_req_new(parent_log_answer, NULL);
	if (engine_parent_compose(type, id, data, len) == -1)
		engine_req_cancel(id);
}

/* Request ids: never 0 (unsolicited messages), never one in use. */
uint32_t
engine_req_new(engine_cb cb, void *arg)
{
	struct engine_req	*r, key;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("request");
	for (;;) {
		key.id = req_next++;
		if (key.id != 0 && RB_FIND(engine_reqs, &reqs, &key) == NULL)
			break;
	}
	r->id = key.id;
	r->cb = cb;
	r->arg = arg;
	RB_INSERT(engine_reqs, &reqs, r);
	return (r->id);
}

/*
 * A request whose context the registry keeps: arg, allocated by the
 * caller (engine_req_adopt), or a copy of ctx (engine_req_new_ctx), is
 * handed to every answer's callback and freed when the request ends or
 * is cancelled, so no callback frees its argument.
 */
uint32_t
engine_req_adopt(engine_cb cb, void *arg)
{
	struct engine_req	*r, key;

	key.id = engine_req_new(cb, arg);
	r = RB_FIND(engine_reqs, &reqs, &key);
	r->owned = 1;
	return (key.id);
}

uint32_t
engine_req_new_ctx(engine_cb cb, const void *ctx, size_t len)
{
	void	*copy;

	if ((copy = malloc(len)) == NULL)
		fatal("request");
	memcpy(copy, ctx, len);
	return (engine_req_adopt(cb, copy));
}

static void
req_free(struct engine_req *r)
{
	if (r->owned)
		free(r->arg);
	free(r);
}

void
engine_req_cancel(uint32_t id)
{
	struct engine_req	*r, key;

	key.id = id;
	if ((r = RB_FIND(engine_reqs, &reqs, &key)) == NULL)
		return;
	RB_REMOVE(engine_reqs, &reqs, r);
	req_free(r);
}

/* A request's first message says where it went and what it asks. */
static void
req_sent(struct proc_pipe *p, uint32_t type, uint32_t id)
{
	struct engine_req	*r, key;

	key.id = id;
	if (id == 0 || type == IMSG_PROCINFO ||
	    (r = RB_FIND(engine_reqs, &reqs, &key)) == NULL || r->pipe != NULL)
		return;
	r->pipe = p;
	r->type = type;
}

/*
 * Can "answer" come for a request that began with "type"?  Any end of
 * the request's process (OK, ERR, END), and only the rows it asks for:
 * a callback may take another row for its end, free its state and be
 * called again by the real end.
 */
static int
req_answered_by(uint32_t type, uint32_t answer)
{
	if (type == IMSG_PROCINFO_REQ)
		return (answer == IMSG_PROCINFO);
	switch (answer) {
	case IMSG_DB_OK:
	case IMSG_DB_ERR:
	case IMSG_DB_END:
	case IMSG_WG_OK:
	case IMSG_WG_ERR:
	case IMSG_WG_END:
		return (1);
	case IMSG_DB_NETWORK:
		return (type == IMSG_DB_NETWORKS_REQ ||
		    type == IMSG_DB_NETWORK_CREATE ||
		    type == IMSG_DB_NETWORK_IMPORT);
	case IMSG_DB_PEER:
		return (type == IMSG_DB_LOAD || type == IMSG_DB_PEER_ADD ||
		    type == IMSG_DB_PEER_UPDATE ||
		    type == IMSG_DB_PEER_REDEEM ||
		    type == IMSG_DB_PEER_DELETE);
	case IMSG_DB_OVERRIDE:
		return (type == IMSG_DB_LOAD);
	case IMSG_DB_CIDR:
		return (type == IMSG_DB_LOAD || type == IMSG_DB_CIDR_ADD ||
		    type == IMSG_DB_CIDR_UPDATE);
	case IMSG_DB_ASSOC:
		return (type == IMSG_DB_LOAD || type == IMSG_DB_ASSOC_ADD);
	case IMSG_DB_VERSION:
		return (type == IMSG_DB_VERSION_GET);
	case IMSG_WG_KEY:
		return (type == IMSG_WG_IF_UP || type == IMSG_WG_KEY_SET ||
		    type == IMSG_WG_KEY_NEW || type == IMSG_WG_KEY_PENDING);
	case IMSG_WG_STAT:
		return (type == IMSG_WG_STATS_REQ ||
		    type == IMSG_WG_ENDPOINTS_REQ);
	case IMSG_WG_ADDR:
		return (type == IMSG_WG_ADDRS_REQ);
	default:
		return (0);
	}
}

/*
 * Hand an answer to its request.  The entry leaves the registry before a
 * final answer's callback runs, so the callback may start new requests
 * or cancel this one without harm.  Answers to cancelled requests are
 * dropped.
 */
static void
req_deliver(struct proc_pipe *p, struct imsg *imsg, int final)
{
	struct engine_req	*r, key;

	key.id = imsg->hdr.peerid;
	if ((r = RB_FIND(engine_reqs, &reqs, &key)) == NULL) {
		log_debug("%s: %s for no request (%u)", p->name,
		    in_imsg_name(imsg->hdr.type), imsg->hdr.peerid);
		return;
	}
	/* only the process asked answers, and only with what was asked */
	if (r->pipe != NULL && (r->pipe != p ||
	    !req_answered_by(r->type, imsg->hdr.type)))
		fatalx("%s: %s does not answer %s", p->name,
		    in_imsg_name(imsg->hdr.type), in_imsg_name(r->type));
	if (final)
		RB_REMOVE(engine_reqs, &reqs, r);
	r->cb(imsg, r->arg);
	if (final)
		req_free(r);
}

int
engine_imsg_error(struct imsg *imsg, struct in_error *e)
{
	switch (imsg->hdr.type) {
	case IMSG_DB_ERR:
	case IMSG_WG_ERR:
		if (imsg_get_data(imsg, e, sizeof(*e)) == -1)
			fatalx("bad error answer");
		return (1);
	default:
		return (0);
	}
}

/*
 * May a network live at this root CIDR?  Checked before anything is
 * made, so `new' and `install' fail at once with the key to change;
 * wgd refuses such a network anyway.
 */
int
engine_net_allowed(const struct in_prefix *net, char *err, size_t errlen)
{
	char	s[IN_CIDRSTRSZ];

	if (in_prefix_in_ranges(net, ranges, nranges))
		return (1);
	if (in_prefix_str(net, s, sizeof(s)) == -1)
		strlcpy(s, "the network", sizeof(s));
	snprintf(err, errlen, "%s lies outside allowed-ranges in "
	    "innernet.conf(5); add a range holding it there first", s);
	return (0);
}

/* The parent's configuration, applied at IMSG_CONF_END. */
static void
conf_global(const struct in_conf_global *g)
{
	if (!in_str_ok(g->user) || !in_str_ok(g->state_dir) ||
	    !in_str_ok(g->socket_path) || !in_str_ok(g->hosts_file) ||
	    !in_str_ok(g->wg_userspace))
		fatalx("parent: unterminated string in CONF_GLOBAL");
	conf_pending = *g;
	nnetopts_pending = 0;
	nranges_pending = 0;
}

static void
conf_range(const struct in_conf_range *r)
{
	if (nranges_pending >= IN_MAXRANGES)
		fatalx("parent: too many allowed ranges");
	ranges_pending[nranges_pending++] = r->range;
}

static void
conf_netopts(const struct in_netopts *o)
{
	if (!in_str_ok(o->name) || !in_str_ok(o->host_suffix))
		fatalx("parent: unterminated string in CONF_NETOPTS");
	if (nnetopts_pending >= IN_MAXNETWORKS)
		fatalx("parent: too many networks");
	netopts_pending[nnetopts_pending++] = *o;
}

static void
conf_end(void)
{
	engine_conf = conf_pending;
	memcpy(netopts, netopts_pending, sizeof(netopts));
	nnetopts = nnetopts_pending;
	memcpy(ranges, ranges_pending, sizeof(ranges));
	nranges = nranges_pending;
	engine_configured();
}

/*
 * Answers to our requests are checked here, once, then handed to the
 * request's callback: callbacks trust what they get.
 */
static void
answer_end(struct proc_pipe *p, struct imsg *imsg)
{
	req_deliver(p, imsg, 1);
}

static void
answer_error(struct proc_pipe *p, struct imsg *imsg, const struct in_error *e)
{
	if (!in_str_ok(e->msg))
		proc_bad(p, imsg, "unterminated error message");
	req_deliver(p, imsg, 1);
}

static void
answer_procinfo(struct proc_pipe *p, struct imsg *imsg)
{
	proc_procinfo_check(p, imsg);
	req_deliver(p, imsg, 1);
}

static void
row_network(struct proc_pipe *p, struct imsg *imsg, const struct in_network *n)
{
	if (!in_str_ok(n->name) || !in_str_ok(n->public_key) ||
	    !in_str_ok(n->server_public_key) ||
	    !in_str_ok(n->external_endpoint) ||
	    !in_str_ok(n->override_endpoint) || !in_ifname_ok(n->name))
		proc_bad(p, imsg, "network");
	req_deliver(p, imsg, 0);
}

static void
row_peer(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_peer	 peer;
	const char	*cand;

	cand = proc_get_peer(p, imsg, &peer, sizeof(peer));
	if (!in_peer_candidates_ok(&peer, cand, peer.candidates_len))
		proc_bad(p, imsg, "candidates");
	if (peer.ip.af != AF_INET && peer.ip.af != AF_INET6)
		proc_bad(p, imsg, "address family");
	req_deliver(p, imsg, 0);
}

static void
row_cidr(struct proc_pipe *p, struct imsg *imsg, const struct in_cidr *c)
{
	if (!in_str_ok(c->name) || (c->cidr.ip.af != AF_INET &&
	    c->cidr.ip.af != AF_INET6))
		proc_bad(p, imsg, "CIDR");
	req_deliver(p, imsg, 0);
}

static void
row_override(struct proc_pipe *p, struct imsg *imsg,
    const struct in_override *o)
{
	if (!in_str_ok(o->network) || !in_str_ok(o->public_key) ||
	    !in_str_ok(o->endpoint))
		proc_bad(p, imsg, "override");
	req_deliver(p, imsg, 0);
}

static void
row_key(struct proc_pipe *p, struct imsg *imsg, const struct in_wgkey *k)
{
	if (!in_str_ok(k->ifname) || !in_str_ok(k->key))
		proc_bad(p, imsg, "key");
	req_deliver(p, imsg, 0);
}

static void
row_stat(struct proc_pipe *p, struct imsg *imsg, const struct in_wgstat *s)
{
	if (!in_str_ok(s->ifname) || !in_str_ok(s->public_key) ||
	    !in_str_ok(s->endpoint))
		proc_bad(p, imsg, "stat");
	req_deliver(p, imsg, 0);
}

static void
row_addr(struct proc_pipe *p, struct imsg *imsg, const struct in_ip *ip)
{
	if (ip->af != AF_INET && ip->af != AF_INET6)
		proc_bad(p, imsg, "address family");
	req_deliver(p, imsg, 0);
}

static void
row_version(struct proc_pipe *p, struct imsg *imsg,
    const struct in_version *v)
{
	if (!in_str_ok(v->network))
		proc_bad(p, imsg, "version");
	req_deliver(p, imsg, 0);
}

static void
peer_expired(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netreq *nr)
{
	if (!in_str_ok(nr->network))
		proc_bad(p, imsg, "network name");
	server_peer_expired(nr->network, nr->id);
}

static void
dispatch_parent(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_conf_global	g;
	struct in_conf_range	r;
	struct in_netopts	o;
	struct in_error		e;

	switch (imsg->hdr.type) {
	case IMSG_CONF_GLOBAL:
		proc_get(p, imsg, &g, sizeof(g));
		conf_global(&g);
		break;
	case IMSG_CONF_RANGE:
		proc_get(p, imsg, &r, sizeof(r));
		conf_range(&r);
		break;
	case IMSG_CONF_NETOPTS:
		proc_get(p, imsg, &o, sizeof(o));
		conf_netopts(&o);
		break;
	case IMSG_CONF_END:
		proc_get_none(p, imsg);
		conf_end();
		break;
	case IMSG_WG_OK:
		proc_get_none(p, imsg);
		answer_end(p, imsg);
		break;
	case IMSG_WG_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		answer_error(p, imsg, &e);
		break;
	case IMSG_PROCINFO:
		answer_procinfo(p, imsg);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

static void
dispatch_dbd(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_network	net;
	struct in_cidr		cidr;
	struct in_assoc		assoc;
	struct in_override	ov;
	struct in_version	ver;
	struct in_netreq	nr;
	struct in_error		e;

	switch (imsg->hdr.type) {
	case IMSG_DB_OK:
	case IMSG_DB_END:
		proc_get_none(p, imsg);
		answer_end(p, imsg);
		break;
	case IMSG_DB_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		answer_error(p, imsg, &e);
		break;
	case IMSG_DB_NETWORK:
		proc_get(p, imsg, &net, sizeof(net));
		row_network(p, imsg, &net);
		break;
	case IMSG_DB_PEER:
		row_peer(p, imsg);
		break;
	case IMSG_DB_CIDR:
		proc_get(p, imsg, &cidr, sizeof(cidr));
		row_cidr(p, imsg, &cidr);
		break;
	case IMSG_DB_ASSOC:
		proc_get(p, imsg, &assoc, sizeof(assoc));
		req_deliver(p, imsg, 0);
		break;
	case IMSG_DB_OVERRIDE:
		proc_get(p, imsg, &ov, sizeof(ov));
		row_override(p, imsg, &ov);
		break;
	case IMSG_DB_VERSION:
		proc_get(p, imsg, &ver, sizeof(ver));
		row_version(p, imsg, &ver);
		break;
	case IMSG_DB_PEER_EXPIRED:
		proc_get(p, imsg, &nr, sizeof(nr));
		peer_expired(p, imsg, &nr);
		break;
	case IMSG_PROCINFO:
		answer_procinfo(p, imsg);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

static void
dispatch_wgd(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_wgkey		k;
	struct in_wgstat	st;
	struct in_ip		ip;
	struct in_error		e;

	switch (imsg->hdr.type) {
	case IMSG_WG_OK:
	case IMSG_WG_END:
		proc_get_none(p, imsg);
		answer_end(p, imsg);
		break;
	case IMSG_WG_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		answer_error(p, imsg, &e);
		break;
	case IMSG_WG_KEY:
		proc_get(p, imsg, &k, sizeof(k));
		row_key(p, imsg, &k);
		break;
	case IMSG_WG_STAT:
		proc_get(p, imsg, &st, sizeof(st));
		row_stat(p, imsg, &st);
		break;
	case IMSG_WG_ADDR:
		proc_get(p, imsg, &ip, sizeof(ip));
		row_addr(p, imsg, &ip);
		break;
	case IMSG_PROCINFO:
		answer_procinfo(p, imsg);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

static void
parent_log_answer(struct imsg *imsg, void *arg)
{
	struct in_error	e;

	if (engine_imsg_error(imsg, &e))
		log_warnx("parent: %s", e.msg);
}

const struct in_netopts *
engine_netopts(const char *name)
{
	size_t	i;

	for (i = 0; i < nnetopts; i++)
		if (strcmp(netopts[i].name, name) == 0)
			return (&netopts[i]);
	return (NULL);
}

struct engine_net *
engine_net_find(const char *name)
{
	struct engine_net	*en;

	TAILQ_FOREACH(en, &engine_nets, entry)
		if (strcmp(en->net.name, name) == 0)
			return (en);
	return (NULL);
}

struct engine_net *
engine_net_add(const struct in_network *net)
{
	struct engine_net	*en;
	const struct in_netopts	*o;

	if ((en = engine_net_find(net->name)) != NULL)
		return (en);
	if ((en = calloc(1, sizeof(*en))) == NULL)
		fatal("network");
	en->net = *net;
	if ((o = engine_netopts(net->name)) != NULL)
		en->opts = *o;
	else
		strlcpy(en->opts.name, net->name, sizeof(en->opts.name));
	ns_init(&en->state);
	ns_init(&en->cache);
	TAILQ_INSERT_TAIL(&engine_nets, en, entry);
	return (en);
}

/* The caller has stopped the network's role (timers, listener) first. */
void
engine_net_remove(struct engine_net *en)
{
	TAILQ_REMOVE(&engine_nets, en, entry);
	ns_clear(&en->state);
	ns_clear(&en->cache);
	free(en);
}

static void
engine_configured(void)
{
	struct engine_net	*en;
	const struct in_netopts	*o;
	uint32_t		 id;

	log_setverbose(engine_conf.verbose);
	TAILQ_FOREACH(en, &engine_nets, entry) {
		if ((o = engine_netopts(en->net.name)) != NULL)
			en->opts = *o;
		if (en->net.role == IN_ROLE_SERVER)
			server_net_reconf(en);
	}
	http_reconf();
	if (configured)
		return;
	configured = 1;
	net_role_set(IN_ROLE_SERVER, &server_role);
	net_role_set(IN_ROLE_CLIENT, &client_role);
	control_init(PROC_FD_CONTROL);
	id = engine_req_new(networks_loaded, NULL);
	if (engine_db_compose(IMSG_DB_NETWORKS_REQ, id, NULL, 0) == -1)
		fatalx("cannot ask dbd for the networks");
}

static void
networks_loaded(struct imsg *imsg, void *arg)
{
	struct in_network	 net;
	struct in_error		 e;
	struct engine_net	*en;

	switch (imsg->hdr.type) {
	case IMSG_DB_NETWORK:
		memcpy(&net, imsg->data, sizeof(net));
		if (engine_net_find(net.name) != NULL) {
			log_warnx("network %s listed twice", net.name);
			break;
		}
		en = engine_net_add(&net);
		if (net.role == IN_ROLE_SERVER) {
			log_info("%s: starting as server", net.name);
			net_start(en);
		} else if (net.role == IN_ROLE_CLIENT) {
			log_info("%s: starting as client", net.name);
			client_net_start(en);
		} else
			log_warnx("%s: unknown role %d", net.name, net.role);
		break;
	case IMSG_DB_END:
		log_debug("networks loaded");
		break;
	default:
		if (engine_imsg_error(imsg, &e))
			fatalx("cannot load networks: %s", e.msg);
		fatalx("networks: unexpected %s",
		    in_imsg_name(imsg->hdr.type));
	}
}
