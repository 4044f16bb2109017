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
 * innernet-dbd: the only process that opens the databases.  It runs
 * chrooted to the state directory as the unprivileged user, and answers
 * the engine's typed requests; the engine is not trusted to keep the
 * rules, so every change is checked again here inside its transaction.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <event.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "compat.h"
#include "dbd.h"

struct dbd_pipe {
	const char	*name;
	struct imsgbuf	 ibuf;
	struct event	 ev;
	short		 events;
	void		(*dispatch)(struct dbd_pipe *, struct imsg *);
};

TAILQ_HEAD(store_list, db_store);

static struct dbenv		 dbd_env;
static struct dbd_pipe		 pipe_parent, pipe_engine;
static struct store_list	 dbd_stores =
    TAILQ_HEAD_INITIALIZER(dbd_stores);
static int			 dbd_nstores;
static char			 dbd_statedir[IN_PATHSZ];
static struct event		 ev_sweep;

static __attribute__((__noreturn__)) void usage(void);
static void	pipe_init(struct dbd_pipe *, const char *, int,
		    void (*)(struct dbd_pipe *, struct imsg *));
static void	pipe_update(struct dbd_pipe *);
static void	pipe_handler(int, short, void *);
static void	dispatch_parent(struct dbd_pipe *, struct imsg *);
static void	dispatch_engine(struct dbd_pipe *, struct imsg *);
static void	dbd_sweep(int, short, void *);
static void	dbd_violate(int, short, void *);
static void	dbd_sig(int, short, void *);
static void	make_subdir(const char *, const struct passwd *);

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: innernet-dbd [-dv] -u user -s statedir\n");
	exit(1);
}

DAEMON_SANITIZER_OPTIONS

int
main(int argc, char *argv[], char *envp[])
{
	struct passwd	*pw;
	struct event	 ev_sigint, ev_sigterm, ev_sighup, ev_violate;
	struct timeval	 tv_violate = { 1, 0 };
	struct timeval	 tv_sweep = { IN_SWEEP_INTERVAL, 0 };
	const char	*user = NULL, *statedir = NULL;
	int		 ch, debug = 0, verbose = 0, n;

	setproctitle_init(argc, argv, envp);
	while ((ch = getopt(argc, argv, "dvu:s:")) != -1) {
		switch (ch) {
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
			statedir = optarg;
			break;
		default:
			usage();
		}
	}
	if (user == NULL || statedir == NULL || optind != argc)
		usage();

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit(PROC_DBD);

	if (statedir[0] != '/')
		fatalx("the state directory must be an absolute path: %s",
		    statedir);
	if (strlcpy(dbd_statedir, statedir, sizeof(dbd_statedir)) >=
	    sizeof(dbd_statedir))
		fatalx("state directory name too long");
	if (geteuid() != 0)
		fatalx("needs to start as root to chroot");
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s: create it (see sysusers.d) or name "
		    "another one", user);
	if (pw->pw_uid == 0)
		fatalx("user %s must not be root", user);

	setproctitle("%s", PROC_DBD);
	signal(SIGPIPE, SIG_IGN);
	/* databases hold keys and the network's shape: ours alone */
	umask(077);

	make_subdir(DBD_SERVERDIR, pw);
	make_subdir(DBD_CLIENTDIR, pw);
	if (chroot(statedir) == -1)
		fatal("chroot %s", statedir);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);

	unveil_no_tcp();
	if (unveil("/" DBD_SERVERDIR, "rwc") == -1 ||
	    unveil("/" DBD_CLIENTDIR, "rwc") == -1 ||
	    unveil(NULL, NULL) == -1)
		fatal("unveil");
	if (pledge("stdio rpath wpath cpath flock", NULL) == -1)
		fatal("pledge");

	if (event_init() == NULL)
		fatalx("event_init");

	/* the chroot is the state directory */
	dbenv_init(&dbd_env, "");
	n = dbenv_open_all(&dbd_env);
	log_debug("%d network database%s open", n, n == 1 ? "" : "s");

	pipe_init(&pipe_parent, PROC_PARENT, PROC_FD_PARENT, dispatch_parent);
	pipe_init(&pipe_engine, PROC_ENGINE, PROC_FD_ENGINE, dispatch_engine);

	signal_set(&ev_sigint, SIGINT, dbd_sig, NULL);
	signal_set(&ev_sigterm, SIGTERM, dbd_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, dbd_sig, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sighup, NULL);

	memtrim_start();
	evtimer_set(&ev_sweep, dbd_sweep, NULL);
	evtimer_add(&ev_sweep, &tv_sweep);

	if (regress_violate_wanted(PROC_DBD)) {
		evtimer_set(&ev_violate, dbd_violate, NULL);
		evtimer_add(&ev_violate, &tv_violate);
	}

	log_debug("running as %s, chrooted to %s", user, statedir);
	event_dispatch();
	fatalx("event loop ended");
}

/*
 * The parent prepares the directories; if one is missing we make it,
 * owned by the user so it stays writable once we are not root.
 */
static void
make_subdir(const char *sub, const struct passwd *pw)
{
	char		path[IN_PATHSZ * 2];
	struct stat	st;
	int		n;

	n = snprintf(path, sizeof(path), "%s/%s", dbd_statedir, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		fatalx("state directory name too long");
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			fatalx("%s is not a directory", path);
		if (st.st_uid != pw->pw_uid)
			log_warnx("%s is not owned by %s", path, pw->pw_name);
		return;
	}
	if (errno != ENOENT)
		fatal("%s", path);
	if (mkdir(path, 0700) == -1)
		fatal("mkdir %s", path);
	if (chown(path, pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown %s", path);
}

static void
dbd_violate(int fd, short event, void *arg)
{
	regress_violate(PROC_DBD);
}

static void
dbd_sig(int sig, short event, void *arg)
{
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		log_debug("exiting on signal %d", sig);
		dbenv_close_all(&dbd_env);
		exit(0);
	default:
		/* the parent rereads the configuration and sends it */
		break;
	}
}

static void
pipe_init(struct dbd_pipe *p, const char *name, int fd,
    void (*dispatch)(struct dbd_pipe *, struct imsg *))
{
	p->name = name;
	p->dispatch = dispatch;
	imsg_init(&p->ibuf, fd);
	p->events = EV_READ;
	event_set(&p->ev, fd, EV_READ | EV_PERSIST, pipe_handler, p);
	if (event_add(&p->ev, NULL) == -1)
		fatal("event_add %s", name);
}

/* Listen for writability only while something is queued. */
static void
pipe_update(struct dbd_pipe *p)
{
	short	events = EV_READ;

	if (p->ibuf.w.queued)
		events |= EV_WRITE;
	if (events == p->events)
		return;
	p->events = events;
	event_del(&p->ev);
	event_set(&p->ev, p->ibuf.fd, events | EV_PERSIST, pipe_handler, p);
	if (event_add(&p->ev, NULL) == -1)
		fatal("event_add %s", p->name);
}

static void
pipe_handler(int fd, short event, void *arg)
{
	struct dbd_pipe	*p = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	if (event & EV_READ) {
		memtrim_poke();
		if ((n = imsg_read(&p->ibuf)) == -1 && errno != EAGAIN)
			fatal("pipe to %s: read", p->name);
		if (n == 0) {
			/* the set is going down; nothing is half-written */
			log_debug("pipe to %s closed", p->name);
			dbenv_close_all(&dbd_env);
			exit(0);
		}
	}
	if (event & EV_WRITE) {
		if (msgbuf_write(&p->ibuf.w) <= 0 && errno != EAGAIN)
			fatal("pipe to %s: write", p->name);
	}
	for (;;) {
		if ((n = imsg_get(&p->ibuf, &imsg)) == -1)
			fatal("pipe to %s: imsg_get", p->name);
		if (n == 0)
			break;
		p->dispatch(p, &imsg);
		imsg_free(&imsg);
	}
	pipe_update(p);
}

static void
composev(struct dbd_pipe *p, uint32_t type, uint32_t id,
    const struct iovec *iov, int iovcnt)
{
	if (imsg_composev(&p->ibuf, type, id, 0, -1, iov, iovcnt) == -1)
		fatal("compose %s to %s", in_imsg_name(type), p->name);
	pipe_update(p);
}

static void
compose(struct dbd_pipe *p, uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)data;
	iov.iov_len = len;
	composev(p, type, id, &iov, len > 0 ? 1 : 0);
}

static void
send_error(struct dbd_pipe *p, uint32_t id, const struct in_error *err)
{
	struct in_error	e = *err;

	/* a status out of range would be our bug; the engine needs one */
	if (e.status < 400 || e.status > 599)
		e.status = 500;
	e.msg[sizeof(e.msg) - 1] = '\0';
	if (e.status >= 500)
		log_warnx("request %u: %s", id, e.msg);
	else
		log_debug("request %u: %d %s", id, e.status, e.msg);
	compose(p, IMSG_DB_ERR, id, &e, sizeof(e));
}

static void
send_ok(struct dbd_pipe *p, uint32_t id)
{
	compose(p, IMSG_DB_OK, id, NULL, 0);
}

static void
send_peer(struct dbd_pipe *p, uint32_t type, uint32_t id,
    const struct db_peer *dp)
{
	struct iovec	iov[2];

	iov[0].iov_base = (void *)&dp->p;
	iov[0].iov_len = sizeof(dp->p);
	iov[1].iov_base = (void *)dp->cand;
	iov[1].iov_len = dp->p.candidates_len;
	composev(p, type, id, iov, dp->p.candidates_len > 0 ? 2 : 1);
}

static void
send_procinfo(struct dbd_pipe *p, uint32_t id)
{
	struct in_procinfo	pi;

	memset(&pi, 0, sizeof(pi));
	strlcpy(pi.name, PROC_DBD, sizeof(pi.name));
	pi.pid = getpid();
	pi.uid = getuid();
	pi.gid = getgid();
	pi.chrooted = 1;
	strlcpy(pi.root, dbd_statedir, sizeof(pi.root));
	strlcpy(pi.sandbox, sandbox_state(), sizeof(pi.sandbox));
	compose(p, IMSG_PROCINFO, id, &pi, sizeof(pi));
}

static size_t
payload(const struct imsg *imsg)
{
	return (imsg->hdr.len - IMSG_HEADER_SIZE);
}

/* A peer that breaks the protocol is not answered: it is stopped. */
static void
need_len(struct dbd_pipe *p, const struct imsg *imsg, size_t len)
{
	if (payload(imsg) != len)
		fatalx("%s sent %s with %zu bytes, expected %zu", p->name,
		    in_imsg_name(imsg->hdr.type), payload(imsg), len);
}

static void
need_str(struct dbd_pipe *p, const struct imsg *imsg, int ok)
{
	if (!ok)
		fatalx("%s sent %s with an unterminated string", p->name,
		    in_imsg_name(imsg->hdr.type));
}

static void
dispatch_parent(struct dbd_pipe *p, struct imsg *imsg)
{
	struct in_conf_global	g;
	struct in_netopts	o;

	switch (imsg->hdr.type) {
	case IMSG_CONF_GLOBAL:
		need_len(p, imsg, sizeof(g));
		memcpy(&g, imsg->data, sizeof(g));
		need_str(p, imsg, in_str_ok(g.user) &&
		    in_str_ok(g.state_dir) && in_str_ok(g.socket_path) &&
		    in_str_ok(g.hosts_file) && in_str_ok(g.wg_userspace));
		log_setverbose(g.verbose);
		break;
	case IMSG_CONF_NETOPTS:
		/* the options concern the engine and wgd */
		need_len(p, imsg, sizeof(o));
		memcpy(&o, imsg->data, sizeof(o));
		need_str(p, imsg, in_str_ok(o.name) &&
		    in_str_ok(o.host_suffix));
		break;
	case IMSG_CONF_END:
		need_len(p, imsg, 0);
		break;
	case IMSG_PROCINFO_REQ:
		need_len(p, imsg, 0);
		send_procinfo(p, imsg->hdr.peerid);
		break;
	default:
		fatalx("parent sent unexpected %s",
		    in_imsg_name(imsg->hdr.type));
	}
}

/* The database of a request's network, or an error answer. */
static struct db *
request_db(struct dbd_pipe *p, uint32_t id, const char *network)
{
	struct in_error	 err;
	struct db	*db;

	if ((db = db_find(&dbd_env, network)) == NULL) {
		db_fail(&err, 404, "no network %s", network);
		send_error(p, id, &err);
	}
	return (db);
}

struct load_ctx {
	struct dbd_pipe	*p;
	uint32_t	 id;
};

static int
load_cidr(const struct in_cidr *c, void *arg)
{
	struct load_ctx	*lc = arg;

	compose(lc->p, IMSG_DB_CIDR, lc->id, c, sizeof(*c));
	return (0);
}

static int
load_peer(const struct db_peer *dp, void *arg)
{
	struct load_ctx	*lc = arg;

	send_peer(lc->p, IMSG_DB_PEER, lc->id, dp);
	return (0);
}

static int
load_override(const struct in_override *o, void *arg)
{
	struct load_ctx	*lc = arg;

	compose(lc->p, IMSG_DB_OVERRIDE, lc->id, o, sizeof(*o));
	return (0);
}

static int
load_assoc(const struct in_assoc *a, void *arg)
{
	struct load_ctx	*lc = arg;

	compose(lc->p, IMSG_DB_ASSOC, lc->id, a, sizeof(*a));
	return (0);
}

static void
db_load(struct dbd_pipe *p, uint32_t id, struct db *db)
{
	struct load_ctx	lc = { p, id };
	struct in_error	err;
	int		rc;

	if (db->net.role == IN_ROLE_SERVER)
		rc = db_cidr_foreach(db, load_cidr, &lc, &err) == -1 ||
		    db_peer_foreach(db, load_peer, &lc, &err) == -1 ||
		    db_assoc_foreach(db, load_assoc, &lc, &err) == -1;
	else
		rc = db_client_cidr_foreach(db, load_cidr, &lc, &err) == -1 ||
		    db_client_peer_foreach(db, load_peer, &lc, &err) == -1 ||
		    db_client_override_foreach(db, load_override, &lc,
		    &err) == -1;
	if (rc)
		send_error(p, id, &err);
	else
		compose(p, IMSG_DB_END, id, NULL, 0);
}

static struct db_store *
store_find(uint32_t id)
{
	struct db_store	*s;

	TAILQ_FOREACH(s, &dbd_stores, entry)
		if (s->id == id)
			return (s);
	return (NULL);
}

/* A peer row as the engine sends it: the struct, then candidates. */
static const char *
peer_payload(struct dbd_pipe *p, struct imsg *imsg, size_t off, size_t head,
    struct in_peer *peer)
{
	const char	*data = imsg->data;

	if (payload(imsg) < head)
		fatalx("%s sent a short %s", p->name,
		    in_imsg_name(imsg->hdr.type));
	memcpy(peer, data + off, sizeof(*peer));
	need_str(p, imsg, in_str_ok(peer->name) &&
	    in_str_ok(peer->public_key) && in_str_ok(peer->endpoint));
	need_len(p, imsg, head + peer->candidates_len);
	return (data + head);
}

/* The version of a server network's state (db_version.c). */
static void
dbd_version(struct dbd_pipe *p, struct imsg *imsg)
{
	struct in_version	 v;
	struct in_error		 err;
	struct db		*db;
	uint32_t		 id = imsg->hdr.peerid;
	int			 rc;

	need_len(p, imsg, sizeof(v));
	memcpy(&v, imsg->data, sizeof(v));
	need_str(p, imsg, in_str_ok(v.network));
	if ((db = request_db(p, id, v.network)) == NULL)
		return;
	if (imsg->hdr.type == IMSG_DB_VERSION_GET)
		rc = db_version_get(db, &v, &err);
	else
		rc = db_version_set(db, &v, &err);
	if (rc == -1) {
		send_error(p, id, &err);
		return;
	}
	if (imsg->hdr.type == IMSG_DB_VERSION_GET)
		compose(p, IMSG_DB_VERSION, id, &v, sizeof(v));
	send_ok(p, id);
}

static void
dispatch_engine(struct dbd_pipe *p, struct imsg *imsg)
{
	struct in_netcreate	 nc;
	struct in_network	 net;
	struct in_netreq	 nr;
	struct in_peerreq	 pr;
	struct in_redeem	 rd;
	struct in_cidrreq	 cr;
	struct in_assocreq	 ar;
	struct in_override	 ov;
	struct in_peer		 peer;
	struct in_cidr		 cidr;
	struct in_assoc		 assoc;
	struct in_error		 err;
	struct db_peer		 dp;
	struct db_store		*s;
	struct db		*db;
	const char		*cand;
	uint32_t		 id = imsg->hdr.peerid;

	switch (imsg->hdr.type) {
	case IMSG_PROCINFO_REQ:
		need_len(p, imsg, 0);
		send_procinfo(p, id);
		break;
	case IMSG_DB_NETWORKS_REQ:
		need_len(p, imsg, 0);
		TAILQ_FOREACH(db, &dbd_env.dbs, entry)
			compose(p, IMSG_DB_NETWORK, id, &db->net,
			    sizeof(db->net));
		compose(p, IMSG_DB_END, id, NULL, 0);
		break;
	case IMSG_DB_NETWORK_CREATE:
		need_len(p, imsg, sizeof(nc));
		memcpy(&nc, imsg->data, sizeof(nc));
		need_str(p, imsg, in_str_ok(nc.net.name) &&
		    in_str_ok(nc.net.public_key) &&
		    in_str_ok(nc.net.server_public_key) &&
		    in_str_ok(nc.net.external_endpoint) &&
		    in_str_ok(nc.net.override_endpoint) &&
		    in_str_ok(nc.root_name) && in_str_ok(nc.server_name));
		if (db_network_create(&dbd_env, &nc, &net, &err) == -1) {
			send_error(p, id, &err);
			break;
		}
		compose(p, IMSG_DB_NETWORK, id, &net, sizeof(net));
		send_ok(p, id);
		break;
	case IMSG_DB_NETWORK_UPDATE:
		need_len(p, imsg, sizeof(net));
		memcpy(&net, imsg->data, sizeof(net));
		need_str(p, imsg, in_str_ok(net.name) &&
		    in_str_ok(net.public_key) &&
		    in_str_ok(net.server_public_key) &&
		    in_str_ok(net.external_endpoint) &&
		    in_str_ok(net.override_endpoint));
		if (db_network_update(&dbd_env, &net, NULL, &err) == -1)
			send_error(p, id, &err);
		else
			send_ok(p, id);
		break;
	case IMSG_DB_NETWORK_IMPORT:
		need_len(p, imsg, sizeof(net));
		memcpy(&net, imsg->data, sizeof(net));
		need_str(p, imsg, in_str_ok(net.name) &&
		    in_str_ok(net.public_key));
		if (db_network_import(&dbd_env, &net, &net, &err) == -1) {
			send_error(p, id, &err);
			break;
		}
		compose(p, IMSG_DB_NETWORK, id, &net, sizeof(net));
		send_ok(p, id);
		break;
	case IMSG_DB_NETWORK_DELETE:
		need_len(p, imsg, sizeof(nr));
		memcpy(&nr, imsg->data, sizeof(nr));
		need_str(p, imsg, in_str_ok(nr.network));
		if (db_network_delete(&dbd_env, nr.network, &err) == -1)
			send_error(p, id, &err);
		else
			send_ok(p, id);
		break;
	case IMSG_DB_LOAD:
		need_len(p, imsg, sizeof(nr));
		memcpy(&nr, imsg->data, sizeof(nr));
		need_str(p, imsg, in_str_ok(nr.network));
		if ((db = request_db(p, id, nr.network)) != NULL)
			db_load(p, id, db);
		break;
	case IMSG_DB_PEER_ADD:
	case IMSG_DB_PEER_UPDATE:
		cand = peer_payload(p, imsg,
		    offsetof(struct in_peerreq, peer), sizeof(pr), &peer);
		memcpy(&pr, imsg->data, sizeof(pr));
		need_str(p, imsg, in_str_ok(pr.network));
		if ((db = request_db(p, id, pr.network)) == NULL)
			break;
		if ((imsg->hdr.type == IMSG_DB_PEER_ADD ?
		    db_peer_add(db, &peer, cand, peer.candidates_len, &dp,
		    &err) :
		    db_peer_update(db, &peer, cand, peer.candidates_len, &dp,
		    &err)) == -1) {
			send_error(p, id, &err);
			break;
		}
		send_peer(p, IMSG_DB_PEER, id, &dp);
		send_ok(p, id);
		break;
	case IMSG_DB_PEER_REDEEM:
		need_len(p, imsg, sizeof(rd));
		memcpy(&rd, imsg->data, sizeof(rd));
		need_str(p, imsg, in_str_ok(rd.network) &&
		    in_str_ok(rd.public_key));
		if ((db = request_db(p, id, rd.network)) == NULL)
			break;
		if (db_peer_redeem(db, rd.id, rd.public_key, time(NULL), &dp,
		    &err) == -1) {
			send_error(p, id, &err);
			break;
		}
		send_peer(p, IMSG_DB_PEER, id, &dp);
		send_ok(p, id);
		break;
	case IMSG_DB_PEER_DELETE:
		need_len(p, imsg, sizeof(nr));
		memcpy(&nr, imsg->data, sizeof(nr));
		need_str(p, imsg, in_str_ok(nr.network));
		if ((db = request_db(p, id, nr.network)) == NULL)
			break;
		if (db_peer_delete(db, nr.id, time(NULL), &dp, &err) == -1) {
			send_error(p, id, &err);
			break;
		}
		send_peer(p, IMSG_DB_PEER, id, &dp);
		send_ok(p, id);
		break;
	case IMSG_DB_VERSION_GET:
	case IMSG_DB_VERSION_SET:
		dbd_version(p, imsg);
		break;
	case IMSG_DB_OVERRIDE:
		need_len(p, imsg, sizeof(ov));
		memcpy(&ov, imsg->data, sizeof(ov));
		need_str(p, imsg, in_str_ok(ov.network) &&
		    in_str_ok(ov.public_key) && in_str_ok(ov.endpoint));
		if ((db = request_db(p, id, ov.network)) == NULL)
			break;
		if (db_client_override_set(db, &ov, &err) == -1)
			send_error(p, id, &err);
		else
			send_ok(p, id);
		break;
	case IMSG_DB_CIDR_ADD:
	case IMSG_DB_CIDR_UPDATE:
		need_len(p, imsg, sizeof(cr));
		memcpy(&cr, imsg->data, sizeof(cr));
		need_str(p, imsg, in_str_ok(cr.network) &&
		    in_str_ok(cr.cidr.name));
		if ((db = request_db(p, id, cr.network)) == NULL)
			break;
		if ((imsg->hdr.type == IMSG_DB_CIDR_ADD ?
		    db_cidr_add(db, &cr.cidr, &cidr, &err) :
		    db_cidr_update(db, &cr.cidr, &cidr, &err)) == -1) {
			send_error(p, id, &err);
			break;
		}
		compose(p, IMSG_DB_CIDR, id, &cidr, sizeof(cidr));
		send_ok(p, id);
		break;
	case IMSG_DB_CIDR_DELETE:
	case IMSG_DB_ASSOC_DELETE:
		need_len(p, imsg, sizeof(nr));
		memcpy(&nr, imsg->data, sizeof(nr));
		need_str(p, imsg, in_str_ok(nr.network));
		if ((db = request_db(p, id, nr.network)) == NULL)
			break;
		if ((imsg->hdr.type == IMSG_DB_CIDR_DELETE ?
		    db_cidr_delete(db, nr.id, &err) :
		    db_assoc_delete(db, nr.id, &err)) == -1)
			send_error(p, id, &err);
		else
			send_ok(p, id);
		break;
	case IMSG_DB_ASSOC_ADD:
		need_len(p, imsg, sizeof(ar));
		memcpy(&ar, imsg->data, sizeof(ar));
		need_str(p, imsg, in_str_ok(ar.network));
		if ((db = request_db(p, id, ar.network)) == NULL)
			break;
		if (db_assoc_add(db, &ar.assoc, &assoc, &err) == -1) {
			send_error(p, id, &err);
			break;
		}
		compose(p, IMSG_DB_ASSOC, id, &assoc, sizeof(assoc));
		send_ok(p, id);
		break;
	case IMSG_DB_STORE_BEGIN:
		need_len(p, imsg, sizeof(nr));
		memcpy(&nr, imsg->data, sizeof(nr));
		need_str(p, imsg, in_str_ok(nr.network));
		if (store_find(id) != NULL)
			fatalx("%s began store %u twice", p->name, id);
		if (dbd_nstores >= DBD_MAXSTORES)
			fatalx("%s keeps %d stores open", p->name,
			    dbd_nstores);
		if ((s = db_store_new(id, nr.network)) == NULL)
			fatal("store");
		TAILQ_INSERT_TAIL(&dbd_stores, s, entry);
		dbd_nstores++;
		break;
	case IMSG_DB_PEER:
		if ((s = store_find(id)) == NULL)
			fatalx("%s sent a peer outside of a store", p->name);
		cand = peer_payload(p, imsg, 0, sizeof(peer), &peer);
		db_store_add_peer(s, &peer, cand, peer.candidates_len);
		break;
	case IMSG_DB_CIDR:
		if ((s = store_find(id)) == NULL)
			fatalx("%s sent a CIDR outside of a store", p->name);
		need_len(p, imsg, sizeof(cidr));
		memcpy(&cidr, imsg->data, sizeof(cidr));
		need_str(p, imsg, in_str_ok(cidr.name));
		db_store_add_cidr(s, &cidr);
		break;
	case IMSG_DB_STORE_END:
		need_len(p, imsg, sizeof(nr));
		memcpy(&nr, imsg->data, sizeof(nr));
		need_str(p, imsg, in_str_ok(nr.network));
		if ((s = store_find(id)) == NULL ||
		    strcmp(s->network, nr.network) != 0)
			fatalx("%s ended store %u it did not begin", p->name,
			    id);
		TAILQ_REMOVE(&dbd_stores, s, entry);
		dbd_nstores--;
		if ((db = request_db(p, id, nr.network)) != NULL) {
			if (db_store_commit(db, s, &err) == -1)
				send_error(p, id, &err);
			else
				send_ok(p, id);
		}
		db_store_free(s);
		break;
	default:
		fatalx("%s sent unexpected %s", p->name,
		    in_imsg_name(imsg->hdr.type));
	}
}

/* Invitations that expired unredeemed go, as upstream's sweeper does. */
static void
dbd_sweep(int fd, short event, void *arg)
{
	struct timeval		 tv = { IN_SWEEP_INTERVAL, 0 };
	struct in_netreq	 nr;
	struct in_error		 err;
	struct db		*db;
	int64_t			*ids;
	size_t			 n, i;

	TAILQ_FOREACH(db, &dbd_env.dbs, entry) {
		if (db->net.role != IN_ROLE_SERVER)
			continue;
		if (db_peer_sweep(db, time(NULL), &ids, &n, &err) == -1) {
			log_warnx("%s: sweeping invitations: %s",
			    db->net.name, err.msg);
			continue;
		}
		for (i = 0; i < n; i++) {
			log_info("%s: invitation of peer %lld expired",
			    db->net.name, (long long)ids[i]);
			memset(&nr, 0, sizeof(nr));
			strlcpy(nr.network, db->net.name, sizeof(nr.network));
			nr.id = ids[i];
			compose(&pipe_engine, IMSG_DB_PEER_EXPIRED, 0, &nr,
			    sizeof(nr));
		}
		free(ids);
	}
	evtimer_add(&ev_sweep, &tv);
}
