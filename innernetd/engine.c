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
 * The engine process: setup and sandbox, then what comes unasked on the
 * pipes (the parent's configuration, dbd's expired peers) and the start
 * of every network once configured.  This is the top of the engine: it
 * calls down into the roles, the API and the control socket, and gives
 * the lower files their callbacks (the pipes' handlers to req.c, the
 * roles to net.c, the API's routes to http.c, the verbs to control.c);
 * nothing calls back up into it.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

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

#include "engine_local.h"
#include "compat.h"

static int	configured;

static __attribute__((__noreturn__)) void engine_usage(void);
static void	parent_msg(struct proc_pipe *, struct imsg *);
static void	dbd_msg(struct proc_pipe *, struct imsg *);
static void	engine_configured(void);
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
	engine_pipes_init(parent_msg, dbd_msg);

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

/* The parent's configuration; answers to requests are req.c's. */
static void
parent_msg(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_conf_global	g;
	struct in_conf_range	r;
	struct in_netopts	o;

	switch (imsg->hdr.type) {
	case IMSG_CONF_GLOBAL:
		proc_get(p, imsg, &g, sizeof(g));
		engine_conf_global(&g);
		break;
	case IMSG_CONF_RANGE:
		proc_get(p, imsg, &r, sizeof(r));
		engine_conf_range(&r);
		break;
	case IMSG_CONF_NETOPTS:
		proc_get(p, imsg, &o, sizeof(o));
		engine_conf_netopts(&o);
		break;
	case IMSG_CONF_END:
		proc_get_none(p, imsg);
		engine_conf_end();
		engine_configured();
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

/* dbd's sweeper removed a peer whose invitation expired. */
static void
dbd_msg(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_netreq	nr;

	switch (imsg->hdr.type) {
	case IMSG_DB_PEER_EXPIRED:
		proc_get(p, imsg, &nr, sizeof(nr));
		if (!in_str_ok(nr.network))
			proc_bad(p, imsg, "network name");
		server_peer_expired(nr.network, nr.id);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
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
	http_routes(api_user, api_admin);
	control_init(PROC_FD_CONTROL, ctl_dispatch);
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
