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
#include "innernet.h"

TAILQ_HEAD(store_list, db_store);

static struct dbenv		 dbd_env;
static struct proc_pipe		 pipe_parent, pipe_engine;
static struct store_list	 dbd_stores =
    TAILQ_HEAD_INITIALIZER(dbd_stores);
static int			 dbd_nstores;
static char			 dbd_statedir[IN_PATHSZ];
static struct event		 ev_sweep;

static __attribute__((__noreturn__)) void usage(void);
static void	dispatch_parent(struct proc_pipe *, struct imsg *);
static void	dispatch_engine(struct proc_pipe *, struct imsg *);
static void	pipe_closed(struct proc_pipe *);
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

	proc_info(PROC_DBD, dbd_statedir, NULL);
	proc_pipe_init(&pipe_parent, PROC_PARENT, PROC_FD_PARENT,
	    dispatch_parent, pipe_closed, NULL);
	proc_pipe_init(&pipe_engine, PROC_ENGINE, PROC_FD_ENGINE,
	    dispatch_engine, pipe_closed, NULL);

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

/* The set is going down; nothing is half-written. */
static void
pipe_closed(struct proc_pipe *p)
{
	log_debug("pipe to %s closed", p->name);
	dbenv_close_all(&dbd_env);
	exit(0);
}

/* An answer dbd cannot queue leaves the engine waiting: stop instead. */
static void
compose(struct proc_pipe *p, uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	if (proc_compose(p, type, id, data, len) == -1)
		fatalx("cannot answer %s", p->name);
}

static void
send_error(struct proc_pipe *p, uint32_t id, const struct in_error *err)
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
send_ok(struct proc_pipe *p, uint32_t id)
{
	compose(p, IMSG_DB_OK, id, NULL, 0);
}

static void
send_peer(struct proc_pipe *p, uint32_t type, uint32_t id,
    const struct db_peer *dp)
{
	struct iovec	iov[2];

	iov[0].iov_base = (void *)&dp->p;
	iov[0].iov_len = sizeof(dp->p);
	iov[1].iov_base = (void *)dp->cand;
	iov[1].iov_len = dp->p.candidates_len;
	if (proc_composev(p, type, id, iov, dp->p.candidates_len > 0 ? 2 :
	    1) == -1)
		fatalx("cannot answer %s", p->name);
}

/* The options concern the engine and wgd; dbd only checks them. */
static void
conf_global(struct proc_pipe *p, struct imsg *imsg,
    const struct in_conf_global *g)
{
	if (!in_str_ok(g->user) || !in_str_ok(g->state_dir) ||
	    !in_str_ok(g->socket_path) || !in_str_ok(g->hosts_file) ||
	    !in_str_ok(g->wg_userspace))
		proc_bad(p, imsg, "unterminated string");
	log_setverbose(g->verbose);
}

static void
conf_netopts(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netopts *o)
{
	if (!in_str_ok(o->name) || !in_str_ok(o->host_suffix))
		proc_bad(p, imsg, "unterminated string");
}

static void
dispatch_parent(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_conf_global	g;
	struct in_netopts	o;

	switch (imsg->hdr.type) {
	case IMSG_CONF_GLOBAL:
		proc_get(p, imsg, &g, sizeof(g));
		conf_global(p, imsg, &g);
		break;
	case IMSG_CONF_NETOPTS:
		proc_get(p, imsg, &o, sizeof(o));
		conf_netopts(p, imsg, &o);
		break;
	case IMSG_CONF_END:
		proc_get_none(p, imsg);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

/* The database of a request's network, or an error answer. */
static struct db *
request_db(struct proc_pipe *p, uint32_t id, const char *network)
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
	struct proc_pipe	*p;
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
db_load(struct proc_pipe *p, uint32_t id, struct db *db)
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

/*
 * The engine's requests, one handler each.  A request that breaks the
 * protocol (an unterminated string, a row outside a store) stops dbd;
 * one the database refuses gets an error answer.
 */
static void
need_str(struct proc_pipe *p, struct imsg *imsg, int ok)
{
	if (!ok)
		proc_bad(p, imsg, "unterminated string");
}

static int
network_strs_ok(const struct in_network *n)
{
	return (in_str_ok(n->name) && in_str_ok(n->public_key) &&
	    in_str_ok(n->server_public_key) &&
	    in_str_ok(n->external_endpoint) &&
	    in_str_ok(n->override_endpoint));
}

/* An answer: the row that changed, then OK; or the error. */
static void
answer(struct proc_pipe *p, uint32_t id, int rc, const struct in_error *err,
    uint32_t type, const void *row, size_t len)
{
	if (rc == -1) {
		send_error(p, id, err);
		return;
	}
	if (row != NULL)
		compose(p, type, id, row, len);
	send_ok(p, id);
}

/* The version of a server network's state (db_version.c). */
static void
version_get(struct proc_pipe *p, struct imsg *imsg,
    const struct in_version *req)
{
	struct in_version	 v = *req;
	struct in_error		 err;
	struct db		*db;

	need_str(p, imsg, in_str_ok(v.network));
	if ((db = request_db(p, imsg->hdr.peerid, v.network)) != NULL)
		answer(p, imsg->hdr.peerid, db_version_get(db, &v, &err), &err,
		    IMSG_DB_VERSION, &v, sizeof(v));
}

static void
version_set(struct proc_pipe *p, struct imsg *imsg,
    const struct in_version *v)
{
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(v->network));
	if ((db = request_db(p, imsg->hdr.peerid, v->network)) != NULL)
		answer(p, imsg->hdr.peerid, db_version_set(db, v, &err), &err,
		    0, NULL, 0);
}

static void
answer_peer(struct proc_pipe *p, uint32_t id, int rc,
    const struct in_error *err, const struct db_peer *dp)
{
	if (rc == -1) {
		send_error(p, id, err);
		return;
	}
	send_peer(p, IMSG_DB_PEER, id, dp);
	send_ok(p, id);
}

static void
networks_list(struct proc_pipe *p, struct imsg *imsg)
{
	struct db	*db;

	TAILQ_FOREACH(db, &dbd_env.dbs, entry)
		compose(p, IMSG_DB_NETWORK, imsg->hdr.peerid, &db->net,
		    sizeof(db->net));
	compose(p, IMSG_DB_END, imsg->hdr.peerid, NULL, 0);
}

static void
network_create(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netcreate *nc)
{
	struct in_network	net;
	struct in_error		err;

	need_str(p, imsg, network_strs_ok(&nc->net) &&
	    in_str_ok(nc->root_name) && in_str_ok(nc->server_name));
	answer(p, imsg->hdr.peerid, db_network_create(&dbd_env, nc, &net,
	    &err), &err, IMSG_DB_NETWORK, &net, sizeof(net));
}

static void
network_update(struct proc_pipe *p, struct imsg *imsg,
    const struct in_network *net)
{
	struct in_error	err;

	need_str(p, imsg, network_strs_ok(net));
	answer(p, imsg->hdr.peerid, db_network_update(&dbd_env, net, NULL,
	    &err), &err, 0, NULL, 0);
}

static void
network_import(struct proc_pipe *p, struct imsg *imsg,
    const struct in_network *req)
{
	struct in_network	net;
	struct in_error		err;

	need_str(p, imsg, in_str_ok(req->name) && in_str_ok(req->public_key));
	answer(p, imsg->hdr.peerid, db_network_import(&dbd_env, req, &net,
	    &err), &err, IMSG_DB_NETWORK, &net, sizeof(net));
}

static void
network_delete(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netreq *nr)
{
	struct in_error	err;

	need_str(p, imsg, in_str_ok(nr->network));
	answer(p, imsg->hdr.peerid, db_network_delete(&dbd_env, nr->network,
	    &err), &err, 0, NULL, 0);
}

static void
network_load(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netreq *nr)
{
	struct db	*db;

	need_str(p, imsg, in_str_ok(nr->network));
	if ((db = request_db(p, imsg->hdr.peerid, nr->network)) != NULL)
		db_load(p, imsg->hdr.peerid, db);
}

static void
peer_add(struct proc_pipe *p, struct imsg *imsg, const struct in_peerreq *pr,
    const char *cand)
{
	struct db_peer	 dp;
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(pr->network));
	if ((db = request_db(p, imsg->hdr.peerid, pr->network)) != NULL)
		answer_peer(p, imsg->hdr.peerid, db_peer_add(db, &pr->peer,
		    cand, pr->peer.candidates_len, &dp, &err), &err, &dp);
}

static void
peer_update(struct proc_pipe *p, struct imsg *imsg,
    const struct in_peerreq *pr, const char *cand)
{
	struct db_peer	 dp;
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(pr->network));
	if ((db = request_db(p, imsg->hdr.peerid, pr->network)) != NULL)
		answer_peer(p, imsg->hdr.peerid, db_peer_update(db, &pr->peer,
		    cand, pr->peer.candidates_len, &dp, &err), &err, &dp);
}

static void
peer_redeem(struct proc_pipe *p, struct imsg *imsg,
    const struct in_redeem *rd)
{
	struct db_peer	 dp;
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(rd->network) && in_str_ok(rd->public_key));
	if ((db = request_db(p, imsg->hdr.peerid, rd->network)) != NULL)
		answer_peer(p, imsg->hdr.peerid, db_peer_redeem(db, rd->id,
		    rd->public_key, time(NULL), &dp, &err), &err, &dp);
}

static void
peer_delete(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netreq *nr)
{
	struct db_peer	 dp;
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(nr->network));
	if ((db = request_db(p, imsg->hdr.peerid, nr->network)) != NULL)
		answer_peer(p, imsg->hdr.peerid, db_peer_delete(db, nr->id,
		    time(NULL), &dp, &err), &err, &dp);
}

static void
override_set(struct proc_pipe *p, struct imsg *imsg,
    const struct in_override *ov)
{
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(ov->network) &&
	    in_str_ok(ov->public_key) && in_str_ok(ov->endpoint));
	if ((db = request_db(p, imsg->hdr.peerid, ov->network)) != NULL)
		answer(p, imsg->hdr.peerid, db_client_override_set(db, ov,
		    &err), &err, 0, NULL, 0);
}

static void
cidr_add(struct proc_pipe *p, struct imsg *imsg, const struct in_cidrreq *cr)
{
	struct in_cidr	 cidr;
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(cr->network) && in_str_ok(cr->cidr.name));
	if ((db = request_db(p, imsg->hdr.peerid, cr->network)) != NULL)
		answer(p, imsg->hdr.peerid, db_cidr_add(db, &cr->cidr, &cidr,
		    &err), &err, IMSG_DB_CIDR, &cidr, sizeof(cidr));
}

static void
cidr_update(struct proc_pipe *p, struct imsg *imsg,
    const struct in_cidrreq *cr)
{
	struct in_cidr	 cidr;
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(cr->network) && in_str_ok(cr->cidr.name));
	if ((db = request_db(p, imsg->hdr.peerid, cr->network)) != NULL)
		answer(p, imsg->hdr.peerid, db_cidr_update(db, &cr->cidr,
		    &cidr, &err), &err, IMSG_DB_CIDR, &cidr, sizeof(cidr));
}

static void
cidr_delete(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netreq *nr)
{
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(nr->network));
	if ((db = request_db(p, imsg->hdr.peerid, nr->network)) != NULL)
		answer(p, imsg->hdr.peerid, db_cidr_delete(db, nr->id, &err),
		    &err, 0, NULL, 0);
}

static void
assoc_add(struct proc_pipe *p, struct imsg *imsg,
    const struct in_assocreq *ar)
{
	struct in_assoc	 assoc;
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(ar->network));
	if ((db = request_db(p, imsg->hdr.peerid, ar->network)) != NULL)
		answer(p, imsg->hdr.peerid, db_assoc_add(db, &ar->assoc,
		    &assoc, &err), &err, IMSG_DB_ASSOC, &assoc,
		    sizeof(assoc));
}

static void
assoc_delete(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netreq *nr)
{
	struct in_error	 err;
	struct db	*db;

	need_str(p, imsg, in_str_ok(nr->network));
	if ((db = request_db(p, imsg->hdr.peerid, nr->network)) != NULL)
		answer(p, imsg->hdr.peerid, db_assoc_delete(db, nr->id, &err),
		    &err, 0, NULL, 0);
}

/*
 * A client network's cache is replaced in one transaction: the rows of
 * a store are kept until its end.
 */
static void
store_begin(struct proc_pipe *p, struct imsg *imsg,
    const struct in_netreq *nr)
{
	struct db_store	*s;

	need_str(p, imsg, in_str_ok(nr->network));
	if (store_find(imsg->hdr.peerid) != NULL)
		proc_bad(p, imsg, "a store begun twice");
	if (dbd_nstores >= DBD_MAXSTORES)
		proc_bad(p, imsg, "too many stores open");
	if ((s = db_store_new(imsg->hdr.peerid, nr->network)) == NULL)
		fatal("store");
	TAILQ_INSERT_TAIL(&dbd_stores, s, entry);
	dbd_nstores++;
}

static struct db_store *
store_of(struct proc_pipe *p, struct imsg *imsg)
{
	struct db_store	*s;

	if ((s = store_find(imsg->hdr.peerid)) == NULL)
		proc_bad(p, imsg, "a row outside of a store");
	return (s);
}

static void
store_peer(struct proc_pipe *p, struct imsg *imsg,
    const struct in_peer *peer, const char *cand)
{
	db_store_add_peer(store_of(p, imsg), peer, cand,
	    peer->candidates_len);
}

static void
store_cidr(struct proc_pipe *p, struct imsg *imsg, const struct in_cidr *c)
{
	need_str(p, imsg, in_str_ok(c->name));
	db_store_add_cidr(store_of(p, imsg), c);
}

static void
store_end(struct proc_pipe *p, struct imsg *imsg, const struct in_netreq *nr)
{
	struct db_store	*s;
	struct in_error	 err;
	struct db	*db;
	uint32_t	 id = imsg->hdr.peerid;

	need_str(p, imsg, in_str_ok(nr->network));
	if ((s = store_find(id)) == NULL ||
	    strcmp(s->network, nr->network) != 0)
		proc_bad(p, imsg, "the end of a store not begun");
	TAILQ_REMOVE(&dbd_stores, s, entry);
	dbd_nstores--;
	if ((db = request_db(p, id, nr->network)) != NULL)
		answer(p, id, db_store_commit(db, s, &err), &err, 0, NULL, 0);
	db_store_free(s);
}

static void
dispatch_engine(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_netcreate	 nc;
	struct in_network	 net;
	struct in_netreq	 nr;
	struct in_peerreq	 pr;
	struct in_redeem	 rd;
	struct in_cidrreq	 cr;
	struct in_assocreq	 ar;
	struct in_override	 ov;
	struct in_version	 ver;
	struct in_peer		 peer;
	struct in_cidr		 cidr;
	const char		*cand;

	switch (imsg->hdr.type) {
	case IMSG_DB_NETWORKS_REQ:
		proc_get_none(p, imsg);
		networks_list(p, imsg);
		break;
	case IMSG_DB_NETWORK_CREATE:
		proc_get(p, imsg, &nc, sizeof(nc));
		network_create(p, imsg, &nc);
		break;
	case IMSG_DB_NETWORK_UPDATE:
		proc_get(p, imsg, &net, sizeof(net));
		network_update(p, imsg, &net);
		break;
	case IMSG_DB_NETWORK_IMPORT:
		proc_get(p, imsg, &net, sizeof(net));
		network_import(p, imsg, &net);
		break;
	case IMSG_DB_NETWORK_DELETE:
		proc_get(p, imsg, &nr, sizeof(nr));
		network_delete(p, imsg, &nr);
		break;
	case IMSG_DB_LOAD:
		proc_get(p, imsg, &nr, sizeof(nr));
		network_load(p, imsg, &nr);
		break;
	case IMSG_DB_PEER_ADD:
		cand = proc_get_peer(p, imsg, &pr, sizeof(pr));
		peer_add(p, imsg, &pr, cand);
		break;
	case IMSG_DB_PEER_UPDATE:
		cand = proc_get_peer(p, imsg, &pr, sizeof(pr));
		peer_update(p, imsg, &pr, cand);
		break;
	case IMSG_DB_PEER_REDEEM:
		proc_get(p, imsg, &rd, sizeof(rd));
		peer_redeem(p, imsg, &rd);
		break;
	case IMSG_DB_PEER_DELETE:
		proc_get(p, imsg, &nr, sizeof(nr));
		peer_delete(p, imsg, &nr);
		break;
	case IMSG_DB_VERSION_GET:
		proc_get(p, imsg, &ver, sizeof(ver));
		version_get(p, imsg, &ver);
		break;
	case IMSG_DB_VERSION_SET:
		proc_get(p, imsg, &ver, sizeof(ver));
		version_set(p, imsg, &ver);
		break;
	case IMSG_DB_OVERRIDE:
		proc_get(p, imsg, &ov, sizeof(ov));
		override_set(p, imsg, &ov);
		break;
	case IMSG_DB_CIDR_ADD:
		proc_get(p, imsg, &cr, sizeof(cr));
		cidr_add(p, imsg, &cr);
		break;
	case IMSG_DB_CIDR_UPDATE:
		proc_get(p, imsg, &cr, sizeof(cr));
		cidr_update(p, imsg, &cr);
		break;
	case IMSG_DB_CIDR_DELETE:
		proc_get(p, imsg, &nr, sizeof(nr));
		cidr_delete(p, imsg, &nr);
		break;
	case IMSG_DB_ASSOC_ADD:
		proc_get(p, imsg, &ar, sizeof(ar));
		assoc_add(p, imsg, &ar);
		break;
	case IMSG_DB_ASSOC_DELETE:
		proc_get(p, imsg, &nr, sizeof(nr));
		assoc_delete(p, imsg, &nr);
		break;
	case IMSG_DB_STORE_BEGIN:
		proc_get(p, imsg, &nr, sizeof(nr));
		store_begin(p, imsg, &nr);
		break;
	case IMSG_DB_PEER:
		cand = proc_get_peer(p, imsg, &peer, sizeof(peer));
		store_peer(p, imsg, &peer, cand);
		break;
	case IMSG_DB_CIDR:
		proc_get(p, imsg, &cidr, sizeof(cidr));
		store_cidr(p, imsg, &cidr);
		break;
	case IMSG_DB_STORE_END:
		proc_get(p, imsg, &nr, sizeof(nr));
		store_end(p, imsg, &nr);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
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
