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
 * What dbd, wgd and the parent could send the engine.  Each input is a
 * sequence of messages, framed as imsgs and taken by the engine's own
 * imsg_get loop and dispatch (engine.c is compiled in here, so its
 * pipes, request registry and configuration are reachable), going on to
 * the real request callbacks of server.c and client.c.  The engine
 * starts as it does under innernetd: the parent's configuration, then
 * its request for the networks, which the input answers.
 *
 * A record: flags, type, request, length byte, then the payload.  The
 * type is picked among those the chosen pipe may send (or taken raw);
 * the request is one of those in flight (oldest or newest first), or a
 * raw id; the length is the exact size (or off by up to 128 bytes); and
 * names, keys, addresses and strings may be set so that whole flows
 * happen: a server network loads its mirror, brings WireGuard up, syncs
 * its peers and offers its addresses; a client network loads its cache
 * and comes up.
 *
 * Nothing leaves the process: binding and connecting an inet socket
 * fail (a server's API listener is not made, a client's fetch is
 * refused), names are not resolved, the control socket is not opened.
 * Where the engine would exit (fatal), the input ends; after every
 * input the requests in flight get an error, the networks are stopped
 * and removed, and the engine is as it started.
 */

#include "fuzzlog.h"

#include "engine.c"

#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	bind(int, const struct sockaddr *, socklen_t);
int	connect(int, const struct sockaddr *, socklen_t);

#define FZ_MAXIN	(16 * 1024)
#define FZ_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* A record's flags. */
#define R_PIPE		0x03	/* 0, 3 dbd, 1 wgd, 2 parent */
#define R_RAWTYPE	0x04
#define R_RAWLEN	0x08
#define R_FIXUP		0x10
#define R_ALT		0x20	/* the client network, the second value */
#define R_KEYSHIFT	6	/* two bits: which key */

/* The request byte. */
#define Q_RAW		0x80	/* the low bits are the id */
#define Q_NEWEST	0x40	/* count from the newest request */

enum fzkind {
	K_NONE, K_ERROR, K_NETWORK, K_PEER, K_CIDR, K_ASSOC, K_NETREQ,
	K_PROCINFO, K_WGKEY, K_WGSTAT, K_IP, K_CONF, K_NETOPTS
};

struct fzmsg {
	uint32_t	type;
	size_t		len;
	enum fzkind	kind;
};

static const struct fzmsg dbd_msgs[] = {
	{ IMSG_DB_OK, 0, K_NONE },
	{ IMSG_DB_END, 0, K_NONE },
	{ IMSG_DB_ERR, sizeof(struct in_error), K_ERROR },
	{ IMSG_DB_NETWORK, sizeof(struct in_network), K_NETWORK },
	{ IMSG_DB_PEER, sizeof(struct in_peer), K_PEER },
	{ IMSG_DB_CIDR, sizeof(struct in_cidr), K_CIDR },
	{ IMSG_DB_ASSOC, sizeof(struct in_assoc), K_ASSOC },
	{ IMSG_DB_PEER_EXPIRED, sizeof(struct in_netreq), K_NETREQ },
	{ IMSG_PROCINFO, sizeof(struct in_procinfo), K_PROCINFO },
};

static const struct fzmsg wgd_msgs[] = {
	{ IMSG_WG_OK, 0, K_NONE },
	{ IMSG_WG_END, 0, K_NONE },
	{ IMSG_WG_ERR, sizeof(struct in_error), K_ERROR },
	{ IMSG_WG_KEY, sizeof(struct in_wgkey), K_WGKEY },
	{ IMSG_WG_STAT, sizeof(struct in_wgstat), K_WGSTAT },
	{ IMSG_WG_ADDR, sizeof(struct in_ip), K_IP },
	{ IMSG_PROCINFO, sizeof(struct in_procinfo), K_PROCINFO },
};

static const struct fzmsg parent_msgs[] = {
	{ IMSG_CONF_GLOBAL, sizeof(struct in_conf_global), K_CONF },
	{ IMSG_CONF_NETOPTS, sizeof(struct in_netopts), K_NETOPTS },
	{ IMSG_CONF_END, 0, K_NONE },
	{ IMSG_WG_OK, 0, K_NONE },
	{ IMSG_WG_ERR, sizeof(struct in_error), K_ERROR },
	{ IMSG_PROCINFO, sizeof(struct in_procinfo), K_PROCINFO },
};

static const char *fz_names[] = { "fz", "fzc" };
static const char *fz_keys[] = {
	"YBVIgpfLbi/knrMCTEb0L6eVy0daiZnJJQkxBK9s+2I=",
	"4CNZorWVtohO64n6AAaH/JyFjIIgBFrfJK2SGtKjzEE=",
	"ACNZorWVtohO64n6AAaH/JyFjIIgBFrfJK2SGtKjzEE=",
	"gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=",
};

static int	show;		/* FUZZ_SHOW: print the messages */
static int	far[3] = { -1, -1, -1 };	/* the pipes' other ends */

static void	far_drain(void);

/*
 * The registry entry of a final answer whose callback ended in a fatal
 * error: req_deliver took it out to free it after the callback, which
 * never returned.
 */
static struct engine_req	*delivering;

static void
delivering_lost(void)
{
	struct engine_req	*r = delivering;

	delivering = NULL;
	if (r != NULL && RB_FIND(engine_reqs, &reqs, r) != r)
		free(r);
}

/* The control socket stays closed. */
void
control_init(int fd)
{
}

/* No inet socket is bound or connected: the host's network is not ours. */
int
bind(int s, const struct sockaddr *sa, socklen_t len)
{
	static int	(*real)(int, const struct sockaddr *, socklen_t);

	if (sa != NULL && sa->sa_family != AF_UNIX) {
		errno = EADDRNOTAVAIL;
		return (-1);
	}
	if (real == NULL && (real = dlsym(RTLD_NEXT, "bind")) == NULL)
		abort();
	return (real(s, sa, len));
}

int
connect(int s, const struct sockaddr *sa, socklen_t len)
{
	static int	(*real)(int, const struct sockaddr *, socklen_t);

	if (sa != NULL && sa->sa_family != AF_UNIX) {
		errno = ECONNREFUSED;
		return (-1);
	}
	if (real == NULL && (real = dlsym(RTLD_NEXT, "connect")) == NULL)
		abort();
	return (real(s, sa, len));
}

static void
fz_str(char *s, size_t size, const char *v)
{
	memset(s, 0, size);
	strlcpy(s, v, size);
}

static void
fz_terminate(char *s, size_t size)
{
	s[size - 1] = '\0';
}

static void
fz_ip4(struct in_ip *ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(ip, 0, sizeof(*ip));
	ip->af = AF_INET;
	ip->u.b[0] = a;
	ip->u.b[1] = b;
	ip->u.b[2] = c;
	ip->u.b[3] = d;
}

static const char fz_cand[] = "198.51.100.1:51820";

/* Names, keys and strings a flow can go on with; the rest stays. */
static size_t
fixup(uint8_t *pl, size_t len, const struct fzmsg *m, uint8_t flags,
    uint8_t lb)
{
	struct in_network	 n;
	struct in_peer		 p;
	struct in_cidr		 c;
	struct in_assoc		 a;
	struct in_netreq	 nr;
	struct in_wgkey		 k;
	struct in_wgstat	 st;
	struct in_ip		 ip;
	struct in_error		 e;
	struct in_procinfo	 pi;
	struct in_conf_global	 g;
	struct in_netopts	 o;
	int			 alt = (flags & R_ALT) != 0;
	const char		*name = fz_names[alt];
	const char		*key = fz_keys[(flags >> R_KEYSHIFT) & 3];

	if (len < m->len)
		return (len);
	switch (m->kind) {
	case K_NONE:
		break;
	case K_ERROR:
		memcpy(&e, pl, sizeof(e));
		fz_terminate(e.msg, sizeof(e.msg));
		memcpy(pl, &e, sizeof(e));
		break;
	case K_NETWORK:
		memcpy(&n, pl, sizeof(n));
		fz_str(n.name, sizeof(n.name), name);
		n.role = alt ? IN_ROLE_CLIENT : IN_ROLE_SERVER;
		n.flags &= IN_NETF_ALL;
		fz_ip4(&n.net.ip, 10, 0, 0, 0);
		n.net.len = 16;
		fz_ip4(&n.address, 10, 0, 0, alt ? 5 : 1);
		fz_ip4(&n.server_ip, 10, 0, 0, 1);
		n.listen_port = alt ? 0 : 51820;
		n.server_port = 51820;
		fz_str(n.public_key, sizeof(n.public_key), key);
		fz_str(n.server_public_key, sizeof(n.server_public_key),
		    fz_keys[0]);
		fz_str(n.external_endpoint, sizeof(n.external_endpoint),
		    "192.0.2.1:51820");
		fz_terminate(n.override_endpoint,
		    sizeof(n.override_endpoint));
		memcpy(pl, &n, sizeof(n));
		break;
	case K_PEER:
		memcpy(&p, pl, sizeof(p));
		fz_terminate(p.name, sizeof(p.name));
		if (!in_hostname_ok(p.name))
			snprintf(p.name, sizeof(p.name), "peer%u",
			    (unsigned int)(p.id & 0xff));
		fz_str(p.public_key, sizeof(p.public_key), key);
		fz_terminate(p.endpoint, sizeof(p.endpoint));
		if (!in_endpoint_ok(p.endpoint))
			p.endpoint[0] = '\0';
		fz_ip4(&p.ip, 10, 0, p.ip.u.b[2], p.ip.u.b[3]);
		p.cidr_id &= 7;
		p.id &= 0xff;
		p.ncandidates = 0;
		p.candidates_len = 0;
		if (lb & 0x40 && len >= sizeof(p) + sizeof(fz_cand)) {
			p.ncandidates = 1;
			p.candidates_len = sizeof(fz_cand);
			memcpy(pl + sizeof(p), fz_cand, sizeof(fz_cand));
		}
		memcpy(pl, &p, sizeof(p));
		return (sizeof(p) + p.candidates_len);
	case K_CIDR:
		memcpy(&c, pl, sizeof(c));
		fz_terminate(c.name, sizeof(c.name));
		if (c.name[0] == '\0')
			snprintf(c.name, sizeof(c.name), "cidr%u",
			    (unsigned int)(c.id & 0xff));
		c.id &= 7;
		c.parent &= 7;
		if (c.cidr.ip.af != AF_INET6) {
			c.cidr.ip.af = AF_INET;
			c.cidr.len %= 33;
		}
		memcpy(pl, &c, sizeof(c));
		break;
	case K_ASSOC:
		memcpy(&a, pl, sizeof(a));
		a.id &= 7;
		a.cidr_id_1 &= 7;
		a.cidr_id_2 &= 7;
		memcpy(pl, &a, sizeof(a));
		break;
	case K_NETREQ:
		memcpy(&nr, pl, sizeof(nr));
		fz_str(nr.network, sizeof(nr.network), name);
		nr.id &= 0xff;
		memcpy(pl, &nr, sizeof(nr));
		break;
	case K_PROCINFO:
		memcpy(&pi, pl, sizeof(pi));
		fz_terminate(pi.name, sizeof(pi.name));
		fz_terminate(pi.root, sizeof(pi.root));
		fz_terminate(pi.sandbox, sizeof(pi.sandbox));
		memcpy(pl, &pi, sizeof(pi));
		break;
	case K_WGKEY:
		memcpy(&k, pl, sizeof(k));
		fz_str(k.ifname, sizeof(k.ifname), name);
		fz_str(k.key, sizeof(k.key), key);
		memcpy(pl, &k, sizeof(k));
		break;
	case K_WGSTAT:
		memcpy(&st, pl, sizeof(st));
		fz_str(st.ifname, sizeof(st.ifname), name);
		fz_str(st.public_key, sizeof(st.public_key), key);
		fz_terminate(st.endpoint, sizeof(st.endpoint));
		if (!in_endpoint_ok(st.endpoint))
			snprintf(st.endpoint, sizeof(st.endpoint),
			    "192.0.2.%u:51820", lb);
		memcpy(pl, &st, sizeof(st));
		break;
	case K_IP:
		memcpy(&ip, pl, sizeof(ip));
		if (ip.af != AF_INET6)
			ip.af = AF_INET;
		memcpy(pl, &ip, sizeof(ip));
		break;
	case K_CONF:
		memcpy(&g, pl, sizeof(g));
		fz_terminate(g.user, sizeof(g.user));
		fz_terminate(g.state_dir, sizeof(g.state_dir));
		fz_terminate(g.socket_path, sizeof(g.socket_path));
		fz_terminate(g.hosts_file, sizeof(g.hosts_file));
		fz_terminate(g.wg_userspace, sizeof(g.wg_userspace));
		memcpy(pl, &g, sizeof(g));
		break;
	case K_NETOPTS:
		memcpy(&o, pl, sizeof(o));
		fz_str(o.name, sizeof(o.name), name);
		fz_terminate(o.host_suffix, sizeof(o.host_suffix));
		memcpy(pl, &o, sizeof(o));
		break;
	}
	return (len);
}

/* The request an answer goes to. */
static uint32_t
request_id(uint8_t b)
{
	struct engine_req	*r;
	size_t			 n = 0, i;

	if (b & Q_RAW)
		return (b & 0x7f);
	RB_FOREACH(r, engine_reqs, &reqs)
		n++;
	if (n == 0)
		return (0);
	i = (b & 0x3f) % n;
	if (b & Q_NEWEST)
		i = n - 1 - i;
	RB_FOREACH(r, engine_reqs, &reqs)
		if (i-- == 0)
			return (r->id);
	abort();
}

/* What the engine sent is its own business: the queue is dropped. */
static void
drop_sent(struct proc_pipe *p)
{
	struct ibuf	*b;
	struct imsg_hdr	 hdr;

	if (show)
		TAILQ_FOREACH(b, &p->ibuf.w.bufs, entry) {
			memcpy(&hdr, b->buf, sizeof(hdr));
			fprintf(stderr, "-> %s %s id %u\n", p->name,
			    in_imsg_name(hdr.type), hdr.peerid);
		}
	msgbuf_clear(&p->ibuf.w);
}

static void
run_loop(void)
{
	drop_sent(&pipe_parent);
	drop_sent(&pipe_dbd);
	drop_sent(&pipe_wgd);
	event_base_loop(engine_base, EVLOOP_NONBLOCK);
	drop_sent(&pipe_parent);
	drop_sent(&pipe_dbd);
	drop_sent(&pipe_wgd);
}

/* One message into the pipe's read buffer, then the engine's get loop. */
static int
deliver(struct proc_pipe *p, uint32_t type, uint32_t peerid,
    const uint8_t *pl, size_t len)
{
	struct imsg_hdr	 hdr;
	struct imsg	 imsg;
	jmp_buf		 jb;
	ssize_t		 n;
	volatile int	 have = 0;

	if (len > MAX_IMSGSIZE - IMSG_HEADER_SIZE ||
	    p->ibuf.r.wpos + IMSG_HEADER_SIZE + len > sizeof(p->ibuf.r.buf))
		abort();
	if (show)
		fprintf(stderr, "<- %s %s id %u len %zu\n", p->name,
		    in_imsg_name(type), peerid, len);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = IMSG_HEADER_SIZE + len;
	hdr.peerid = peerid;
	memcpy(p->ibuf.r.buf + p->ibuf.r.wpos, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(p->ibuf.r.buf + p->ibuf.r.wpos + sizeof(hdr), pl, len);
	p->ibuf.r.wpos += hdr.len;

	if (setjmp(jb) != 0) {
		if (have)
			imsg_free(&imsg);
		delivering_lost();
		return (-1);
	}
	fuzz_fatal_jmp = &jb;
	delivering = RB_FIND(engine_reqs, &reqs,
	    &(struct engine_req){ .id = peerid });
	/* proc.c's get loop without the read and write */
	for (;;) {
		if ((n = imsg_get(&p->ibuf, &imsg)) == -1)
			abort();
		if (n == 0)
			break;
		have = 1;
		p->dispatch(p, &imsg);
		imsg_free(&imsg);
		have = 0;
	}
	/* a fatal error inside libevent's loop cannot be returned from */
	fuzz_fatal_jmp = NULL;
	delivering = NULL;
	run_loop();
	return (0);
}

/* The engine as innernetd starts it: configured, asking for networks. */
static void
engine_start(void)
{
	struct in_conf_global	g;

	memset(&g, 0, sizeof(g));
	strlcpy(g.user, "_innernet", sizeof(g.user));
	if (deliver(&pipe_parent, IMSG_CONF_GLOBAL, 0, (uint8_t *)&g,
	    sizeof(g)) == -1 ||
	    deliver(&pipe_parent, IMSG_CONF_END, 0, NULL, 0) == -1)
		abort();
}

/*
 * Every request in flight ends with an error, as if its process had
 * given up; the networks stop and go; the engine forgets its
 * configuration.
 */
static void
engine_reset(void)
{
	struct engine_req	*r;
	struct engine_net	*en;
	struct proc_pipe	*p;
	struct in_error		 e;
	struct imsg		 imsg;
	jmp_buf			 jb;
	volatile int		 round;

	memset(&e, 0, sizeof(e));
	e.status = 500;
	strlcpy(e.msg, "the harness resets", sizeof(e.msg));
	for (round = 0; round < 16; round++) {
		if ((r = RB_MIN(engine_reqs, &reqs)) == NULL)
			break;
		if (setjmp(jb) != 0) {
			delivering_lost();
			continue;
		}
		fuzz_fatal_jmp = &jb;
		while ((r = RB_MIN(engine_reqs, &reqs)) != NULL) {
			if (r->type == IMSG_PROCINFO_REQ) {
				RB_REMOVE(engine_reqs, &reqs, r);
				req_free(r);
				continue;
			}
			/* the error of the process the request went to */
			p = r->pipe != NULL ? r->pipe : &pipe_dbd;
			memset(&imsg, 0, sizeof(imsg));
			imsg.hdr.type = p == &pipe_dbd ? IMSG_DB_ERR :
			    IMSG_WG_ERR;
			imsg.hdr.len = IMSG_HEADER_SIZE + sizeof(e);
			imsg.hdr.peerid = r->id;
			imsg.fd = -1;
			imsg.data = &e;
			delivering = r;
			req_deliver(p, &imsg, 1);
			delivering = NULL;
		}
		fuzz_fatal_jmp = NULL;
		run_loop();
	}
	fuzz_fatal_jmp = NULL;
	while ((r = RB_MIN(engine_reqs, &reqs)) != NULL) {
		/* a callback that keeps asking: its argument is lost */
		RB_REMOVE(engine_reqs, &reqs, r);
		req_free(r);
	}
	while ((en = TAILQ_FIRST(&engine_nets)) != NULL) {
		net_stop(en);
		engine_net_remove(en);
	}
	/* what libevent frees a pass later (connections) goes now */
	for (round = 0; round < 4; round++)
		run_loop();
	req_next = 1;
	configured = 0;
	memset(&conf_pending, 0, sizeof(conf_pending));
	memset(&engine_conf, 0, sizeof(engine_conf));
	memset(netopts, 0, sizeof(netopts));
	memset(netopts_pending, 0, sizeof(netopts_pending));
	nnetopts = nnetopts_pending = 0;
	pipe_parent.ibuf.r.rpos = pipe_parent.ibuf.r.wpos = 0;
	pipe_dbd.ibuf.r.rpos = pipe_dbd.ibuf.r.wpos = 0;
	pipe_wgd.ibuf.r.rpos = pipe_wgd.ibuf.r.wpos = 0;
	far_drain();
	log_setverbose(0);
}

static void
pipe_setup(int i, struct proc_pipe *p, const char *name,
    proc_dispatch_cb dispatch)
{
	int	sv[2];

	/* a real descriptor for the event; what is written there is lost */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	proc_pipe_init(p, name, sv[0], dispatch, NULL, NULL);
	far[i] = sv[1];
}

static void
far_drain(void)
{
	char	buf[8192];
	int	i;

	for (i = 0; i < 3; i++)
		while (read(far[i], buf, sizeof(buf)) > 0)
			;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 ready;
	static uint8_t		 pl[2048];
	const struct fzmsg	*m;
	struct fzmsg		 raw;
	struct proc_pipe	*p;
	size_t			 off = 0, len, take;
	uint32_t		 peerid;
	uint8_t			 flags, tb, qb, lb;

	if (!ready) {
		if (sodium_init() == -1)
			abort();
		signal(SIGPIPE, SIG_IGN);
		if ((engine_base = event_init()) == NULL)
			abort();
		pipe_setup(0, &pipe_parent, PROC_PARENT, dispatch_parent);
		pipe_setup(1, &pipe_dbd, PROC_DBD, dispatch_dbd);
		pipe_setup(2, &pipe_wgd, PROC_WGD, dispatch_wgd);
		show = getenv("FUZZ_SHOW") != NULL;
		ready = 1;
	}
	if (size > FZ_MAXIN)
		size = FZ_MAXIN;
	engine_start();
	while (size - off >= 4) {
		flags = data[off];
		tb = data[off + 1];
		qb = data[off + 2];
		lb = data[off + 3];
		off += 4;
		switch (flags & R_PIPE) {
		case 1:
			p = &pipe_wgd;
			m = &wgd_msgs[tb % FZ_NITEMS(wgd_msgs)];
			break;
		case 2:
			p = &pipe_parent;
			m = &parent_msgs[tb % FZ_NITEMS(parent_msgs)];
			break;
		default:
			p = &pipe_dbd;
			m = &dbd_msgs[tb % FZ_NITEMS(dbd_msgs)];
			break;
		}
		if (flags & R_RAWTYPE) {
			raw.type = tb;
			raw.len = 0;
			raw.kind = K_NONE;
			m = &raw;
		}
		peerid = request_id(qb);
		len = m->len;
		if (m->kind == K_PEER && !(flags & R_FIXUP))
			len += lb & 0x3f;	/* candidates */
		else if (m->kind == K_PEER)
			len += sizeof(fz_cand);
		if (flags & R_RAWLEN) {
			if ((int)len + (int8_t)lb < 0)
				len = 0;
			else
				len += (int8_t)lb;
		}
		if (len > sizeof(pl))
			len = sizeof(pl);
		take = size - off < len ? size - off : len;
		memset(pl, 0, len);
		memcpy(pl, data + off, take);
		off += take;
		if (flags & R_FIXUP)
			len = fixup(pl, len, m, flags, lb);
		if (deliver(p, m->type, peerid, pl, len) == -1)
			break;
	}
	engine_reset();
	return (0);
}
