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
 * A compromised engine against the real innernet-wgd (t_hostile.sh runs
 * this inside a host of its own):
 *
 *	hostile WGD STATEDIR VERB ARGS...
 *
 * starts WGD with socketpairs as its parent and engine pipes, plays the
 * parent (the configuration with the default allowed-ranges, starting
 * wireguard-go when asked), sends what VERB says as an engine could (or,
 * for "link", as the parent does), and prints the answer: "ok", "err
 * STATUS MESSAGE", "link CIDR", or "exit" when wgd went away.  Each run
 * is a new wgd, so whatever it keeps across a restart is tested on every
 * run.  Verbs:
 *
 *	up NAME ADDRESS/LEN ROUTE		IF_UP, userspace WireGuard
 *	down NAME				IF_DOWN
 *	keyset NAME PRIVATE-KEY | keynew NAME	KEY_SET, KEY_NEW
 *	port NAME PORT				LISTEN_PORT
 *	peer NAME KEY ENDPOINT|- ALLOWED...	PEER_SET
 *	stats NAME				STATS_REQ
 *	link NAME				the parent's PARENT_LINK_REQ:
 *						the network a hosts section
 *						of NAME must lie in
 *	flood NAME COUNT NET/24			a SYNC of COUNT peers inside
 *						NET; prints "rss-growth KB"
 *						of wgd as well
 *	twosync NAME				two SYNC streams at once
 *
 * wgd and wireguard-go run the way innernetd starts them: as wgd's user
 * (_innernetwg) with CAP_NET_ADMIN (and, for wireguard-go, also
 * CAP_NET_BIND_SERVICE) as ambient capabilities and the bounding set,
 * and wireguard-go on a TUN descriptor made here when /dev/net/tun is
 * root's alone.  So what is refused is refused by wgd's own checks, not
 * because a socket or a key of the host happens to be out of its reach.
 * Without wgd, "hostile wggo NAME" starts wireguard-go for NAME that way
 * (someone else's device wgd could reach, or an older set's).
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <net/if.h>

#include <linux/capability.h>
#include <linux/if_tun.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "imsg.h"
#include "innernet.h"

#define WAIT_SECONDS	30
#define CAPBIT(c)	(1ULL << (c))

static struct imsgbuf	 parent, engine;
static pid_t		 wgd_pid;
static int		 done;

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: hostile wgd statedir verb args...\n");
	exit(2);
}

static void
send_msg(struct imsgbuf *ib, uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	if (imsg_compose(ib, type, id, 0, -1, data, len) == -1)
		err(2, "imsg_compose");
}

static void
flush(struct imsgbuf *ib)
{
	if (imsg_flush(ib) == -1 && errno != EPIPE)
		err(2, "imsg_flush");
}

/*
 * Become wgd's user keeping caps alone, as ambient capabilities and the
 * bounding set, as innernetd's become_wgd_user() does.  In a child.
 */
static void
become_wgd_user(uint64_t caps)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];
	struct passwd			*pw;
	int				 cap;

	if ((pw = getpwnam(INNERNET_WGD_USER)) == NULL)
		errx(2, "no user %s", INNERNET_WGD_USER);
	for (cap = 0; cap <= 63; cap++)
		if (!(caps & CAPBIT(cap)) &&
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			err(2, "PR_CAPBSET_DROP");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
		err(2, "cannot become %s", INNERNET_WGD_USER);
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = data[0].inheritable =
	    (uint32_t)caps;
	if (syscall(SYS_capset, &hdr, data) == -1)
		err(2, "capset");
	for (cap = 0; cap <= 63; cap++)
		if ((caps & CAPBIT(cap)) && prctl(PR_CAP_AMBIENT,
		    PR_CAP_AMBIENT_RAISE, cap, 0, 0) == -1)
			err(2, "ambient capability %d", cap);
}

/*
 * Start wireguard-go for name as innernetd's wggo_start() does, and wait
 * for it to go to the background: 0 when it did.
 */
static int
wggo(const char *name)
{
	struct ifreq	 ifr;
	struct stat	 st;
	FILE		*f;
	char		 line[128], *v;
	pid_t		 pid;
	int		 status, fd, pi = 0;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		/* its banner is no answer */
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		closefrom(STDERR_FILENO + 1);
		if (stat("/dev/net/tun", &st) == -1 ||
		    (st.st_mode & 0006) != 0006) {
			/* root's alone: the interface is made here */
			if ((f = popen("wireguard-go --version 2>/dev/null",
			    "r")) != NULL) {
				while (fgets(line, sizeof(line), f) != NULL)
					if ((v = strstr(line, "v0.0.")) !=
					    NULL && strtoul(v + 5, NULL, 10) <
					    20230223)
						pi = 1;
				pclose(f);
			}
			if ((fd = open("/dev/net/tun", O_RDWR)) == -1)
				_exit(125);
			memset(&ifr, 0, sizeof(ifr));
			strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
			ifr.ifr_flags = IFF_TUN | (pi ? 0 : IFF_NO_PI);
			if (ioctl(fd, TUNSETIFF, &ifr) == -1 ||
			    (fd != 3 && (dup2(fd, 3) == -1 ||
			    close(fd) == -1)) ||
			    setenv("WG_TUN_FD", "3", 1) == -1)
				_exit(125);
		}
		become_wgd_user(CAPBIT(CAP_NET_ADMIN) |
		    CAPBIT(CAP_NET_BIND_SERVICE));
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			_exit(126);
		execlp("wireguard-go", "wireguard-go", name, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return (-1);
	return (0);
}

static void
start_wgd(const char *wgd, const char *statedir)
{
	int	ps[2], es[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, ps) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, es) == -1)
		err(2, "socketpair");
	switch (wgd_pid = fork()) {
	case -1:
		err(2, "fork");
	case 0:
		if (dup2(ps[1], PROC_FD_PARENT) == -1 ||
		    dup2(es[1], PROC_FD_ENGINE) == -1)
			_exit(2);
		closefrom(PROC_FD_ENGINE + 1);
		become_wgd_user(CAPBIT(CAP_NET_ADMIN));
		execl(wgd, "innernet-wgd", "-d", "-u", INNERNET_WGD_USER, "-s",
		    statedir, (char *)NULL);
		_exit(127);
	default:
		break;
	}
	close(ps[1]);
	close(es[1]);
	imsg_init(&parent, ps[0]);
	imsg_init(&engine, es[0]);
}

/* The parent's configuration: nothing but the default ranges. */
static void
configure(void)
{
	struct in_conf_global	g;
	struct in_conf_range	r;
	struct in_prefix	p[IN_MAXRANGES];
	size_t			n, i;

	memset(&g, 0, sizeof(g));
	send_msg(&parent, IMSG_CONF_GLOBAL, 0, &g, sizeof(g));
	in_ranges_default(p, &n);
	/* a wgd from before allowed-ranges takes no CONF_RANGE */
	if (getenv("HOSTILE_NO_RANGES") != NULL)
		n = 0;
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.range = p[i];
		send_msg(&parent, IMSG_CONF_RANGE, 0, &r, sizeof(r));
	}
	send_msg(&parent, IMSG_CONF_END, 0, NULL, 0);
	flush(&parent);
}

/* The parent's part: start wireguard-go, or hear wgd's PARENT_LINK. */
static void
parent_msg(struct imsg *imsg, uint32_t want)
{
	struct in_wgif		wif;
	struct in_linknet	ln;
	struct in_error		e;
	char			net[IN_CIDRSTRSZ];

	switch (imsg->hdr.type) {
	case IMSG_PARENT_WGGO_START:
		if (imsg_get_data(imsg, &wif, sizeof(wif)) == -1)
			errx(2, "bad WGGO_START");
		wif.name[sizeof(wif.name) - 1] = '\0';
		printf("wggo %s\n", wif.name);
		if (wggo(wif.name) == -1) {
			memset(&e, 0, sizeof(e));
			e.status = 500;
			strlcpy(e.msg, "wireguard-go failed", sizeof(e.msg));
			send_msg(&parent, IMSG_WG_ERR, imsg->hdr.peerid, &e,
			    sizeof(e));
		} else
			send_msg(&parent, IMSG_WG_OK, imsg->hdr.peerid,
			    NULL, 0);
		flush(&parent);
		break;
	case IMSG_PARENT_LINK:
		if (imsg_get_data(imsg, &ln, sizeof(ln)) == -1)
			errx(2, "bad PARENT_LINK");
		if (in_prefix_str(&ln.net, net, sizeof(net)) == -1)
			strlcpy(net, "?", sizeof(net));
		if (imsg->hdr.peerid == want) {
			printf("link %s\n", net);
			done = 1;
		}
		break;
	case IMSG_WG_ERR:
		if (imsg_get_data(imsg, &e, sizeof(e)) == -1)
			errx(2, "bad WG_ERR");
		e.msg[sizeof(e.msg) - 1] = '\0';
		if (imsg->hdr.peerid == want) {
			printf("err %d %s\n", e.status, e.msg);
			done = 1;
		}
		break;
	default:
		break;
	}
}

/* What wgd answers the engine; the request is over at OK/ERR/END. */
static void
engine_msg(struct imsg *imsg, uint32_t want)
{
	struct in_error	e;
	struct in_wgkey	k;

	switch (imsg->hdr.type) {
	case IMSG_WG_OK:
		if (imsg->hdr.peerid == want) {
			printf("ok\n");
			done = 1;
		}
		break;
	case IMSG_WG_END:
	case IMSG_PROCINFO:
		if (imsg->hdr.peerid == want) {
			printf("end\n");
			done = 1;
		}
		break;
	case IMSG_WG_ERR:
		if (imsg_get_data(imsg, &e, sizeof(e)) == -1)
			errx(2, "bad WG_ERR");
		e.msg[sizeof(e.msg) - 1] = '\0';
		if (imsg->hdr.peerid == want) {
			printf("err %d %s\n", e.status, e.msg);
			done = 1;
		}
		break;
	case IMSG_WG_KEY:
		if (imsg_get_data(imsg, &k, sizeof(k)) == 0) {
			k.key[sizeof(k.key) - 1] = '\0';
			printf("key %s\n", k.key);
		}
		break;
	default:
		break;
	}
}

/* Serve both pipes until request "want" is answered or wgd is gone. */
static int
await(uint32_t want)
{
	struct pollfd	 pfd[2];
	struct imsg	 imsg;
	struct imsgbuf	*ib;
	time_t		 end = time(NULL) + WAIT_SECONDS;
	ssize_t		 n;
	int		 i;

	done = 0;
	while (!done) {
		if (time(NULL) > end) {
			printf("timeout\n");
			return (-1);
		}
		pfd[0].fd = parent.fd;
		pfd[1].fd = engine.fd;
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, 1000) == -1 && errno != EINTR)
			err(2, "poll");
		for (i = 0; i < 2 && !done; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			ib = i == 0 ? &parent : &engine;
			if ((n = imsg_read(ib)) == -1 && errno != EAGAIN)
				n = 0;
			if (n == 0) {
				printf("exit\n");
				return (-1);
			}
			while ((n = imsg_get(ib, &imsg)) > 0) {
				if (i == 0)
					parent_msg(&imsg, want);
				else
					engine_msg(&imsg, want);
				imsg_free(&imsg);
			}
		}
	}
	fflush(stdout);
	return (0);
}

static long
rss_kb(void)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)wgd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return (kb);
}

static void
netreq(struct in_netreq *nr, const char *name)
{
	memset(nr, 0, sizeof(*nr));
	strlcpy(nr->network, name, sizeof(nr->network));
}

/* Peer i of a flood: its own key, a host address in the /24. */
static void
flood_peer(struct in_wgpeer *w, const char *name, const struct in_prefix *net,
    uint32_t i)
{
	unsigned char	bin[32];

	memset(w, 0, sizeof(*w));
	strlcpy(w->ifname, name, sizeof(w->ifname));
	memset(bin, 0x5a, sizeof(bin));
	memcpy(bin, &i, sizeof(i));
	sodium_bin2base64(w->public_key, sizeof(w->public_key), bin,
	    sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	w->keepalive = -1;
	w->nallowed = 1;
	w->allowed[0].ip = net->ip;
	w->allowed[0].ip.u.b[3] = 1 + i % 254;
	w->allowed[0].len = 32;
}

static int
prefix_arg(const char *s, struct in_prefix *p)
{
	struct in_ip	host;

	if (in_prefix_parse_host(s, p, &host) == -1)
		errx(2, "bad prefix %s", s);
	p->ip = host;		/* as sent: host bits kept for addresses */
	return (0);
}

int
main(int argc, char *argv[])
{
	struct in_wgif		 wif;
	struct in_wgkey		 k;
	struct in_wgpeer	 w;
	struct in_netreq	 nr;
	const char		*verb, *name;
	uint32_t		 id = 1, i, count;
	long			 before, after;
	int			 status, a;

	if (argc < 5 && !(argc == 3 && strcmp(argv[1], "wggo") == 0))
		usage();
	if (sodium_init() == -1)
		errx(2, "libsodium");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "wggo") == 0)
		return (wggo(argv[2]) == -1 ? 1 : 0);
	verb = argv[3];
	name = argv[4];
	start_wgd(argv[1], argv[2]);
	configure();

	if (strcmp(verb, "up") == 0 && argc == 7) {
		memset(&wif, 0, sizeof(wif));
		strlcpy(wif.name, name, sizeof(wif.name));
		wif.backend = IN_BACKEND_USERSPACE;
		prefix_arg(argv[5], &wif.address);
		prefix_arg(argv[6], &wif.route);
		wif.mtu = IN_DEFAULT_MTU;
		send_msg(&engine, IMSG_WG_IF_UP, id, &wif, sizeof(wif));
	} else if (strcmp(verb, "down") == 0 && argc == 5) {
		netreq(&nr, name);
		send_msg(&engine, IMSG_WG_IF_DOWN, id, &nr, sizeof(nr));
	} else if ((strcmp(verb, "keyset") == 0 && argc == 6) ||
	    (strcmp(verb, "keynew") == 0 && argc == 5) ||
	    (strcmp(verb, "port") == 0 && argc == 6)) {
		memset(&k, 0, sizeof(k));
		strlcpy(k.ifname, name, sizeof(k.ifname));
		if (verb[0] == 'p')
			k.listen_port = (uint16_t)atoi(argv[5]);
		else if (argc == 6)
			strlcpy(k.key, argv[5], sizeof(k.key));
		send_msg(&engine, verb[0] == 'p' ? IMSG_WG_LISTEN_PORT :
		    argc == 6 ? IMSG_WG_KEY_SET : IMSG_WG_KEY_NEW, id, &k,
		    sizeof(k));
	} else if (strcmp(verb, "peer") == 0 && argc >= 8) {
		memset(&w, 0, sizeof(w));
		strlcpy(w.ifname, name, sizeof(w.ifname));
		strlcpy(w.public_key, argv[5], sizeof(w.public_key));
		if (strcmp(argv[6], "-") != 0)
			strlcpy(w.endpoint, argv[6], sizeof(w.endpoint));
		w.keepalive = -1;
		for (a = 7; a < argc && w.nallowed < IN_MAXALLOWEDIPS; a++)
			in_prefix_parse(argv[a], &w.allowed[w.nallowed++]);
		send_msg(&engine, IMSG_WG_PEER_SET, id, &w, sizeof(w));
	} else if (strcmp(verb, "stats") == 0 && argc == 5) {
		netreq(&nr, name);
		send_msg(&engine, IMSG_WG_STATS_REQ, id, &nr, sizeof(nr));
	} else if (strcmp(verb, "link") == 0 && argc == 5) {
		netreq(&nr, name);
		send_msg(&parent, IMSG_PARENT_LINK_REQ, id, &nr, sizeof(nr));
		flush(&parent);
	} else if (strcmp(verb, "flood") == 0 && argc == 7) {
		count = (uint32_t)strtoul(argv[5], NULL, 10);
		prefix_arg(argv[6], &wif.route);
		/* wgd has read its configuration once it answers */
		send_msg(&engine, IMSG_PROCINFO_REQ, 99, NULL, 0);
		flush(&engine);
		if (await(99) == -1)
			goto out;
		before = rss_kb();
		netreq(&nr, name);
		send_msg(&engine, IMSG_WG_SYNC_BEGIN, id, &nr, sizeof(nr));
		for (i = 0; i < count; i++) {
			flood_peer(&w, name, &wif.route, i);
			send_msg(&engine, IMSG_WG_SYNC_PEER, id, &w,
			    sizeof(w));
			if (i % 512 == 511)
				flush(&engine);
		}
		send_msg(&engine, IMSG_PROCINFO_REQ, 98, NULL, 0);
		flush(&engine);
		if (await(98) == -1)
			goto out;
		after = rss_kb();
		printf("rss-growth %ld\n", after - before);
		send_msg(&engine, IMSG_WG_SYNC_END, id, &nr, sizeof(nr));
	} else if (strcmp(verb, "twosync") == 0 && argc == 5) {
		netreq(&nr, name);
		send_msg(&engine, IMSG_WG_SYNC_BEGIN, id, &nr, sizeof(nr));
		send_msg(&engine, IMSG_WG_SYNC_BEGIN, id + 1, &nr, sizeof(nr));
		send_msg(&engine, IMSG_WG_SYNC_END, id + 1, &nr, sizeof(nr));
		send_msg(&engine, IMSG_WG_SYNC_END, id, &nr, sizeof(nr));
	} else
		usage();
	flush(&engine);
	await(id);
 out:
	close(engine.fd);
	close(parent.fd);
	/* wgd leaves when its pipes close */
	for (a = 0; a < 50 && waitpid(wgd_pid, &status, WNOHANG) == 0; a++)
		usleep(100 * 1000);
	if (a == 50) {
		kill(wgd_pid, SIGKILL);
		waitpid(wgd_pid, &status, 0);
	}
	return (0);
}
