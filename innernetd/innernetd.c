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
 * innernetd: the parent.  It reads the configuration, prepares the
 * directories and the control socket, then forks and execs the engine,
 * innernet-dbd and innernet-wgd with one socketpair per pair of processes
 * that talk.  Afterwards, with five capabilities left, it only relays
 * configuration on SIGHUP, starts userspace WireGuard for wgd as wgd's
 * user (a sandboxed process cannot exec, and seccomp filters would
 * follow the exec), rewrites the hosts file from the engine's lines
 * (hosts.c), and takes the whole set down when any child dies.  Its
 * pipes are proc.c's, as every process's.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <net/if.h>

#include <linux/capability.h>
#include <linux/if_tun.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>

#include "imsg.h"
#include "innernet.h"
#include "compat.h"
#include "config.h"
#include "engine.h"
#include "hosts.h"
#include "proc.h"

enum child_id {
	CHILD_ENGINE,
	CHILD_DBD,
	CHILD_WGD,
	CHILD_MAX
};

struct child {
	const char	*name;		/* PROC_* */
	const char	*program;	/* file next to innernetd */
	pid_t		 pid;
	struct proc_pipe pipe;
};

/* A userspace WireGuard being started for wgd. */
struct wggo {
	TAILQ_ENTRY(wggo) entry;
	pid_t		 pid;
	uint32_t	 reqid;
	char		 ifname[IN_IFNAMSZ];
	struct event	 timeout;
};
TAILQ_HEAD(, wggo) wggos = TAILQ_HEAD_INITIALIZER(wggos);

static struct child children[CHILD_MAX] = {
	[CHILD_ENGINE] = { PROC_ENGINE, "innernetd", -1 },
	[CHILD_DBD] = { PROC_DBD, "innernet-dbd", -1 },
	[CHILD_WGD] = { PROC_WGD, "innernet-wgd", -1 },
};

static struct innernet_conf	 conf;
static const char		*conffile = INNERNET_CONF;
static int			 debug, verbose;
static int			 shutting_down;
static char			 progdir[PATH_MAX];
static uid_t			 wgd_uid;	/* innernet-wgd's own user */
static gid_t			 wgd_gid;

static __attribute__((__noreturn__)) void	usage(void);
static void	parent_shutdown(int);
static void	parent_sig(int, short, void *);
static void	dispatch_engine(struct proc_pipe *, struct imsg *);
static void	dispatch_dbd(struct proc_pipe *, struct imsg *);
static void	dispatch_wgd(struct proc_pipe *, struct imsg *);
static void	child_closed(struct proc_pipe *);
static void	parent_send_conf(void);
static void	wggo_start(const struct in_wgif *, uint32_t);
static void	wggo_answer(uint32_t, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	wggo_tun(const char *);
static void	wggo_reap(pid_t, int);
static void	child_reap(struct child *);
static void	prepare_dirs(const struct passwd *);
static void	prepare_keys(const char *);
static void	prepare_wgsockdir(void);
static void	wgd_can_reach(const char *);
static int	control_listen(const struct passwd *);
static pid_t	child_start(struct child *, int *, int);
static void	become_wgd_user(uint64_t);
static int	caps_limit(uint64_t, uint64_t, uint64_t);
static uint64_t	caps_held(uint64_t);

/*
 * What the parent keeps once its children run: CAP_SETUID, CAP_SETGID
 * and CAP_NET_ADMIN (with CAP_NET_BIND_SERVICE for a listen port below
 * 1024) to start userspace WireGuard as wgd's user with those as
 * ambient capabilities, CAP_KILL to stop children of other users.  The
 * hosts file and the control socket are root's own files: uid 0 needs
 * no capability for them.
 */
#define CAPBIT(c)	(1ULL << (c))
#define PARENT_CAPS	(CAPBIT(CAP_NET_ADMIN) | \
	CAPBIT(CAP_NET_BIND_SERVICE) | CAPBIT(CAP_SETUID) | \
	CAPBIT(CAP_SETGID) | CAPBIT(CAP_KILL))
#define PARENT_BOUNDING	PARENT_CAPS
#define WGGO_CAPS	(CAPBIT(CAP_NET_ADMIN) | CAPBIT(CAP_NET_BIND_SERVICE))
#define WGD_CAPS	CAPBIT(CAP_NET_ADMIN)

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [-f file]\n", getprogname());
	exit(1);
}

DAEMON_SANITIZER_OPTIONS

int
main(int argc, char *argv[], char *envp[])
{
	struct passwd	*pw;
	struct event	 ev_sigint, ev_sigterm, ev_sighup, ev_sigchld,
			 ev_sigpipe;
	char		 errbuf[512], exe[PATH_MAX];
	int		 ch, noaction = 0, engine = 0, i;
	int		 p_engine[2], p_dbd[2], p_wgd[2];
	int		 e_dbd[2], e_wgd[2], ctlfd;
	int		*pairs[] = { p_engine, p_dbd, p_wgd, e_dbd, e_wgd };
	int		 fds[4];
	size_t		 j;
	ssize_t		 n;

	setproctitle_init(argc, argv, envp);
	/* The engine is this program again, started by the parent. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-E") == 0)
			engine = 1;
	if (engine)
		return (engine_main(argc, argv));

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();

	log_init(1, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit(PROC_PARENT);

	if (config_parse(conffile, &conf, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "%s\n", errbuf);
		exit(1);
	}
	if (noaction) {
		/* the one setting the file cannot check by itself */
		if (getpwnam(conf.global.user) == NULL) {
			fprintf(stderr, "%s: unknown user %s\n", conffile,
			    conf.global.user);
			exit(1);
		}
		if (verbose)
			config_print(stdout, &conf);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}

	if (geteuid() != 0)
		errx(1, "need root privileges");
	/* wgd's user first: getpwnam() reuses its answer */
	if ((pw = getpwnam(conf.global.wgd_user)) == NULL)
		errx(1, "unknown user %s: create it (for example with "
		    "useradd -r -d %s -s /usr/sbin/nologin %s) or set "
		    "'wgd-user' in %s", conf.global.wgd_user, INNERNET_EMPTYDIR,
		    conf.global.wgd_user, conffile);
	if (pw->pw_uid == 0)
		errx(1, "user %s must not be root", conf.global.wgd_user);
	wgd_uid = pw->pw_uid;
	wgd_gid = pw->pw_gid;
	if ((pw = getpwnam(conf.global.user)) == NULL)
		errx(1, "unknown user %s: create it (for example with "
		    "useradd -r -d %s -s /usr/sbin/nologin %s) or set 'user' "
		    "in %s", conf.global.user, INNERNET_EMPTYDIR,
		    conf.global.user, conffile);
	if (pw->pw_uid == 0)
		errx(1, "user %s must not be root", conf.global.user);
	if (wgd_uid == pw->pw_uid)
		errx(1, "user %s must not be %s", conf.global.wgd_user,
		    conf.global.user);

	/* The children live next to us: same build, same install. */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		err(1, "readlink /proc/self/exe");
	exe[n] = '\0';
	if (strlcpy(progdir, dirname(exe), sizeof(progdir)) >=
	    sizeof(progdir))
		errx(1, "program directory too long");

	prepare_dirs(pw);
	ctlfd = control_listen(pw);

	if (!debug && daemon(0, 0) == -1)
		err(1, "daemon");
	log_init(debug, LOG_DAEMON);
	setproctitle("%s", PROC_PARENT);
	log_info("starting innernetd %s", INNERNET_VERSION);

	for (j = 0; j < sizeof(pairs) / sizeof(pairs[0]); j++)
		proc_socketpair(pairs[j]);

	/* Descriptor order is the child's PROC_FD_* order from 3 on. */
	fds[0] = p_dbd[1];
	fds[1] = e_dbd[1];
	children[CHILD_DBD].pid = child_start(&children[CHILD_DBD], fds, 2);
	fds[0] = p_wgd[1];
	fds[1] = e_wgd[1];
	children[CHILD_WGD].pid = child_start(&children[CHILD_WGD], fds, 2);
	fds[0] = p_engine[1];
	fds[1] = e_dbd[0];
	fds[2] = e_wgd[0];
	fds[3] = ctlfd;
	children[CHILD_ENGINE].pid = child_start(&children[CHILD_ENGINE],
	    fds, 4);

	/*
	 * The set runs; from here on the parent needs only what it does
	 * later (see PARENT_CAPS).  It stays uid 0: it rewrites root's
	 * hosts file and starts userspace WireGuard as root.
	 */
	if (caps_limit(PARENT_BOUNDING, caps_held(PARENT_CAPS), 0) == -1)
		fatal("cannot drop capabilities");

	close(p_engine[1]);
	close(p_dbd[1]);
	close(p_wgd[1]);
	close(e_dbd[0]);
	close(e_dbd[1]);
	close(e_wgd[0]);
	close(e_wgd[1]);
	close(ctlfd);

	event_init();
	memtrim_start();
	proc_info(PROC_PARENT, NULL, "none (root, 5 capabilities; starts "
	    "userspace WireGuard)");
	proc_pipe_init(&children[CHILD_ENGINE].pipe, PROC_ENGINE, p_engine[0],
	    dispatch_engine, child_closed, &children[CHILD_ENGINE]);
	proc_pipe_init(&children[CHILD_DBD].pipe, PROC_DBD, p_dbd[0],
	    dispatch_dbd, child_closed, &children[CHILD_DBD]);
	proc_pipe_init(&children[CHILD_WGD].pipe, PROC_WGD, p_wgd[0],
	    dispatch_wgd, child_closed, &children[CHILD_WGD]);
	hosts_init(&children[CHILD_ENGINE].pipe, &children[CHILD_WGD].pipe,
	    &conf);

	signal_set(&ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_set(&ev_sigpipe, SIGPIPE, parent_sig, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigchld, NULL);
	signal_add(&ev_sigpipe, NULL);

	parent_send_conf();

	/*
	 * The parent keeps root and exec (for userspace WireGuard) and so
	 * cannot take a seccomp filter, which every program it starts would
	 * inherit; its work after this point is small and fixed.
	 */
	event_dispatch();
	parent_shutdown(0);
	return (0);
}

/*
 * State directory layout: server/ and client/ hold the databases and
 * belong to the unprivileged user; keys/ holds private keys and belongs
 * to wgd's user alone.
 */
static void
prepare_dirs(const struct passwd *pw)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	static const char *userdirs[] = { "server", "client" };
	size_t		 i;

	/* 0755 whatever the umask: dbd, chrooted there, must search it */
	if (mkdir(conf.global.state_dir, 0755) == 0) {
		if (chmod(conf.global.state_dir, 0755) == -1)
			err(1, "%s", conf.global.state_dir);
	} else if (errno != EEXIST)
		err(1, "mkdir %s", conf.global.state_dir);
	for (i = 0; i < sizeof(userdirs) / sizeof(userdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", conf.global.state_dir,
		    userdirs[i]);
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			err(1, "mkdir %s", path);
		/*
		 * Root's again for the chmod, then the user's: no need of
		 * CAP_FOWNER, which the service unit does not grant.
		 */
		if (chown(path, 0, 0) == -1 || chmod(path, 0700) == -1 ||
		    chown(path, pw->pw_uid, pw->pw_gid) == -1)
			err(1, "%s", path);
	}
	snprintf(path, sizeof(path), "%s/keys", conf.global.state_dir);
	prepare_keys(path);
	wgd_can_reach(conf.global.state_dir);

	prepare_wgsockdir();

	if (mkdir(INNERNET_EMPTYDIR, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", INNERNET_EMPTYDIR);
	if (stat(INNERNET_EMPTYDIR, &st) == -1)
		err(1, "%s", INNERNET_EMPTYDIR);
	if (st.st_uid != 0 || (st.st_mode & 022) != 0)
		errx(1, "%s must belong to root and not be writable by "
		    "others", INNERNET_EMPTYDIR);
}

/*
 * keys/ and each key in it (made by an older wgd that ran as root, or
 * by wgd's previous user) become wgd's user's, 0700 and 0600.  wgd
 * owned this directory before and may have left anything in it: no
 * link is followed, and only plain files with a single name are given
 * away, so a link to a file elsewhere never changes that file.
 */
static void
prepare_keys(const char *path)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 dfd, fd;

	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		err(1, "mkdir %s", path);
	/*
	 * Under a service unit we have no capability to read another
	 * user's directory.  If it is wgd's user's, 0700, it was handed
	 * over at an earlier start, and what came in since is wgd's own or
	 * was put there as its user's (innernetctl import).
	 */
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == EACCES && lstat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode) && st.st_uid == wgd_uid &&
		    (st.st_mode & 07777) == 0700)
			return;
		err(1, "%s", path);
	}
	if (fchmod(dfd, 0700) == -1 || fchown(dfd, wgd_uid, wgd_gid) == -1)
		err(1, "%s", path);
	if ((d = fdopendir(dfd)) == NULL)
		err(1, "%s", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* also a temporary file half written */
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC)) == -1) {
			log_warn("%s/%s", path, de->d_name);
			continue;
		}
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_nlink != 1) {
			log_warnx("%s/%s is not a key file: left alone", path,
			    de->d_name);
			close(fd);
			continue;
		}
		if (fchmod(fd, 0600) == -1 ||
		    fchown(fd, wgd_uid, wgd_gid) == -1)
			err(1, "%s/%s", path, de->d_name);
		close(fd);
	}
	closedir(d);
}

/*
 * wgd is not root: every directory above its key directory must let its
 * user pass, or it cannot unveil the keys.  Say so before starting.
 */
static void
wgd_can_reach(const char *dir)
{
	char		 path[PATH_MAX], *p;
	struct stat	 st;

	if (strlcpy(path, dir, sizeof(path)) >= sizeof(path))
		errx(1, "%s: path too long", dir);
	for (;;) {
		if (stat(path[0] != '\0' ? path : "/", &st) == -1)
			err(1, "%s", path);
		if (!(st.st_mode & S_IXOTH) && !(st.st_uid == wgd_uid &&
		    (st.st_mode & S_IXUSR)) && !(st.st_gid == wgd_gid &&
		    (st.st_mode & S_IXGRP)))
			errx(1, "%s cannot reach its keys: %s must be "
			    "searchable (chmod o+x)", conf.global.wgd_user,
			    path[0] != '\0' ? path : "/");
		if ((p = strrchr(path, '/')) == NULL || path[0] == '\0')
			break;
		*p = '\0';
	}
}

/*
 * Userspace WireGuard runs as wgd's user, so that its UAPI socket, made
 * 0700 for the user that makes it, is wgd's to use (and a chown of the
 * socket would make the program close it).  It makes the socket in the
 * shared WireGuard socket directory: that directory stays root's, and
 * its group becomes wgd's with write and the sticky bit, so that wgd's
 * user can make and remove its own sockets there and nothing else.  A
 * directory anyone may write to (sticky) is left as it is.
 */
static void
prepare_wgsockdir(void)
{
	struct stat	st;
	int		fd;

	if (mkdir(INNERNET_WGSOCKDIR, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", INNERNET_WGSOCKDIR);
	if ((fd = open(INNERNET_WGSOCKDIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1)
		err(1, "%s", INNERNET_WGSOCKDIR);
	if (st.st_uid != 0)
		errx(1, "%s must belong to root", INNERNET_WGSOCKDIR);
	if ((st.st_mode & 01777) != 01777 &&
	    (fchown(fd, 0, wgd_gid) == -1 || fchmod(fd, 01775) == -1))
		err(1, "%s", INNERNET_WGSOCKDIR);
	close(fd);
}

static int
control_listen(const struct passwd *pw)
{
	struct sockaddr_un	 sun;
	char			 path[sizeof(sun.sun_path)];
	int			 fd;
	mode_t			 old;

	/*
	 * Made under a temporary name and renamed once it listens: whoever
	 * sees the socket can connect, with no moment of ECONNREFUSED.
	 */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(path, conf.global.socket_path, sizeof(path)) >=
	    sizeof(path) || (size_t)snprintf(sun.sun_path,
	    sizeof(sun.sun_path), "%s.new", path) >= sizeof(sun.sun_path))
		errx(1, "control socket path too long");
	/*
	 * The default directory, where no service manager made it; 0755
	 * whatever the umask, for the group's members to reach the socket.
	 */
	if (strcmp(path, INNERNET_SOCKET) == 0) {
		if (mkdir(INNERNET_SOCKDIR, 0755) == 0) {
			if (chmod(INNERNET_SOCKDIR, 0755) == -1)
				err(1, "%s", INNERNET_SOCKDIR);
		} else if (errno != EEXIST)
			err(1, "mkdir %s", INNERNET_SOCKDIR);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (unlink(sun.sun_path) == -1 && errno != ENOENT)
		err(1, "unlink %s", sun.sun_path);
	old = umask(S_IXUSR | S_IXGRP | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "bind %s", sun.sun_path);
	umask(old);
	if (chown(sun.sun_path, 0, pw->pw_gid) == -1 ||
	    chmod(sun.sun_path, 0660) == -1)
		err(1, "%s", sun.sun_path);
	if (listen(fd, 16) == -1)
		err(1, "listen");
	if (rename(sun.sun_path, path) == -1)
		err(1, "rename %s to %s", sun.sun_path, path);
	return (fd);
}

static pid_t
child_start(struct child *c, int *fds, int nfds)
{
	char	*argv[16], path[PATH_MAX];
	int	 argc = 0, i, fd;
	pid_t	 pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", progdir,
	    c->program) >= sizeof(path))
		fatalx("path too long");
	argv[argc++] = (char *)c->program;
	if (c == &children[CHILD_ENGINE])
		argv[argc++] = "-E";
	if (debug)
		argv[argc++] = "-d";
	for (i = 0; i < verbose && i < 3; i++)
		argv[argc++] = "-v";
	argv[argc++] = "-u";
	argv[argc++] = c == &children[CHILD_WGD] ? conf.global.wgd_user :
	    conf.global.user;
	argv[argc++] = "-s";
	argv[argc++] = conf.global.state_dir;
	argv[argc] = NULL;

	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		return (pid);
	}

	/*
	 * Move the descriptors out of the way first, so that placing them
	 * at 3, 4, ... never overwrites one not yet placed.
	 */
	for (i = 0; i < nfds; i++) {
		if ((fd = fcntl(fds[i], F_DUPFD, 64)) == -1)
			fatal("dup");
		fds[i] = fd;
	}
	for (i = 0; i < nfds; i++) {
		if (dup2(fds[i], PROC_FD_PARENT + i) == -1)
			fatal("dup2");
	}
	closefrom(PROC_FD_PARENT + nfds);
	if (c == &children[CHILD_WGD])
		become_wgd_user(WGD_CAPS);
	execv(path, argv);
	fatal("exec %s", path);
}

/*
 * wgd, and the userspace WireGuard it asks for, run as wgd's user with
 * the capabilities in caps alone, kept across the exec as ambient
 * capabilities: the program files have none of their own.  The bounding
 * set goes first while we may still drop it: wgd could not itself.
 * Changing the uids clears the ambient set, so it is raised last.
 */
static void
become_wgd_user(uint64_t caps)
{
	int	cap;

	/* a service manager may have bounded us below caps already */
	for (cap = 0; cap <= 63; cap++)
		if ((caps & CAPBIT(cap)) &&
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			caps &= ~CAPBIT(cap);
	if (prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1 &&
	    caps_limit(caps, ~0ULL, ~0ULL) == -1)
		fatal("bounding set");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(1, &wgd_gid) == -1 ||
	    setresgid(wgd_gid, wgd_gid, wgd_gid) == -1 ||
	    setresuid(wgd_uid, wgd_uid, wgd_uid) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
		fatal("cannot become %s", conf.global.wgd_user);
	if (caps_limit(~0ULL, caps, caps) == -1)
		fatal("capabilities");
	for (cap = 0; cap <= 63; cap++)
		if ((caps & CAPBIT(cap)) && prctl(PR_CAP_AMBIENT,
		    PR_CAP_AMBIENT_RAISE, cap, 0, 0) == -1)
			fatal("ambient capability %d", cap);
}

/*
 * Drop every capability not in bounding from the bounding set; then
 * make keep the effective and permitted sets, inherit the inheritable
 * set, and empty the ambient set.  keep ~0 stops after the bounding set.
 */
/*
 * Of caps, those we still hold: a service unit's bounding set may have
 * left out some (CAP_NET_BIND_SERVICE is only for userspace WireGuard on
 * a port below 1024), and capset(2) refuses to keep what is not held.
 */
static uint64_t
caps_held(uint64_t caps)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return (caps);
	return (caps & (data[0].permitted |
	    (uint64_t)data[1].permitted << 32));
}

static int
caps_limit(uint64_t bounding, uint64_t keep, uint64_t inherit)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];
	int				cap;

	for (cap = 0; cap <= 63; cap++) {
		if (bounding & CAPBIT(cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue;	/* gone, or unknown to this kernel */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return (-1);
	}
	if (keep == ~0ULL)
		return (0);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	data[0].inheritable = (uint32_t)inherit;
	data[1].inheritable = (uint32_t)(inherit >> 32);
	return (syscall(SYS_capset, &hdr, data) == -1 ? -1 : 0);
}

static void
parent_send_conf(void)
{
	size_t	i;
	int	c;

	conf.global.verbose = verbose;
	for (c = 0; c < CHILD_MAX; c++) {
		proc_compose(&children[c].pipe, IMSG_CONF_GLOBAL, 0,
		    &conf.global, sizeof(conf.global));
		/* the host suffixes are the engine's; wgd needs none */
		for (i = 0; c != CHILD_WGD && i < conf.nnets; i++)
			proc_compose(&children[c].pipe, IMSG_CONF_NETOPTS, 0,
			    &conf.nets[i], sizeof(conf.nets[i]));
		/* the ranges bound what the engine asks and wgd does */
		for (i = 0; c != CHILD_DBD && i < conf.nranges; i++)
			proc_compose(&children[c].pipe, IMSG_CONF_RANGE, 0,
			    &conf.ranges[i], sizeof(conf.ranges[i]));
		proc_compose(&children[c].pipe, IMSG_CONF_END, 0, NULL, 0);
	}
}

/*
 * Each child may send the parent only its own few messages; the status
 * answer is proc.c's.
 */
static void
dispatch_engine(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_hostent	he;
	struct in_netreq	nr;

	switch (imsg->hdr.type) {
	case IMSG_PARENT_HOSTS:
		proc_get(p, imsg, &he, sizeof(he));
		hosts_line(p, imsg, &he);
		break;
	case IMSG_PARENT_HOSTS_END:
		proc_get(p, imsg, &nr, sizeof(nr));
		hosts_end(&nr, imsg->hdr.peerid);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

static void
dispatch_dbd(struct proc_pipe *p, struct imsg *imsg)
{
	proc_bad(p, imsg, "unexpected");
}

static void
dispatch_wgd(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_wgif		wif;
	struct in_linknet	ln;
	struct in_error		e;

	switch (imsg->hdr.type) {
	case IMSG_PARENT_WGGO_START:
		proc_get(p, imsg, &wif, sizeof(wif));
		wggo_start(&wif, imsg->hdr.peerid);
		break;
	case IMSG_PARENT_LINK:
		proc_get(p, imsg, &ln, sizeof(ln));
		hosts_link(&ln, imsg->hdr.peerid);
		break;
	case IMSG_WG_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		hosts_link_refused(&e, imsg->hdr.peerid);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

/* A child's pipe closed: the whole set goes down. */
static void
child_closed(struct proc_pipe *p)
{
	struct child	*c = p->arg;

	if (!shutting_down)
		child_reap(c);
	parent_shutdown(1);
}

/*
 * A child's pipe closed: it is gone or going.  Wait a moment for it so
 * the log says how it ended (a sandbox kill shows as SIGSYS).
 */
static void
child_reap(struct child *c)
{
	int	status, tries;
	pid_t	pid;

	for (tries = 0; tries < 20 && c->pid > 0; tries++) {
		if ((pid = waitpid(c->pid, &status, WNOHANG)) == c->pid) {
			if (WIFSIGNALED(status))
				log_warnx("%s (pid %d) was killed by signal "
				    "%d%s", c->name, pid, WTERMSIG(status),
				    WTERMSIG(status) == SIGSYS ?
				    " (sandbox violation)" : "");
			else
				log_warnx("%s (pid %d) exited with status %d",
				    c->name, pid, WEXITSTATUS(status));
			c->pid = -1;
			return;
		}
		usleep(50 * 1000);
	}
	log_warnx("pipe to %s closed", c->name);
}

static void
wggo_answer(uint32_t reqid, int status, const char *fmt, ...)
{
	struct child	*wgd = &children[CHILD_WGD];
	struct in_error	 e;
	va_list		 ap;

	if (status == 0) {
		proc_compose(&wgd->pipe, IMSG_WG_OK, reqid, NULL, 0);
	} else {
		memset(&e, 0, sizeof(e));
		e.status = status;
		va_start(ap, fmt);
		vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
		va_end(ap);
		log_warnx("%s", e.msg);
		proc_compose(&wgd->pipe, IMSG_WG_ERR, reqid, &e, sizeof(e));
	}
}

static void
wggo_timeout(int fd, short event, void *arg)
{
	struct wggo	*w = arg;

	kill(w->pid, SIGKILL);
}

/* Userspace WireGuard starts at once, and programs running at all. */
#define WGGO_MAXSTARTING	4

static size_t
wggo_running(void)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0, len;

	if ((d = opendir(INNERNET_WGSOCKDIR)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if ((len = strlen(de->d_name)) > 5 &&
		    strcmp(de->d_name + len - 5, ".sock") == 0)
			n++;
	closedir(d);
	return (n);
}

/*
 * Start userspace WireGuard the way wg-quick does: the program puts
 * itself in the background once its UAPI socket is ready and keeps the
 * interface alive independently of us, like a kernel interface (so it
 * outlives a restart of the set; it exits when wgd deletes its link at
 * IMSG_WG_IF_DOWN).  Only for a name no link has, inside
 * allowed-ranges, and a bounded number of them.
 */
static void
wggo_start(const struct in_wgif *wifp, uint32_t reqid)
{
	struct in_wgif	 wif = *wifp;
	struct wggo	*w;
	struct timeval	 tv = { 15, 0 };
	pid_t		 pid;
	size_t		 n = 0;
	int		 fd;

	if (!in_str_ok(wif.name) || !in_ifname_ok(wif.name))
		fatalx("wgd: bad interface name");
	TAILQ_FOREACH(w, &wggos, entry)
		n++;
	if (if_nametoindex(wif.name) != 0) {
		wggo_answer(reqid, 409, "%s: an interface of that "
		    "name exists", wif.name);
		return;
	}
	if (!in_prefix_in_ranges(&wif.route, conf.ranges, conf.nranges)) {
		wggo_answer(reqid, 403, "%s: the network lies "
		    "outside allowed-ranges", wif.name);
		return;
	}
	if (n >= WGGO_MAXSTARTING || wggo_running() >= IN_MAXNETWORKS) {
		wggo_answer(reqid, 503, "%s: too many userspace "
		    "WireGuard interfaces", wif.name);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal(NULL);
	strlcpy(w->ifname, wif.name, sizeof(w->ifname));
	w->reqid = reqid;

	switch (pid = fork()) {
	case -1:
		free(w);
		wggo_answer(reqid, 500, "fork: %s",
		    strerror(errno));
		return;
	case 0:
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			if (!debug) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
		}
		closefrom(STDERR_FILENO + 1);
		wggo_tun(wif.name);
		become_wgd_user(WGGO_CAPS);
		/* nothing it starts gains a privilege */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			_exit(126);
		execlp(conf.global.wg_userspace, conf.global.wg_userspace,
		    wif.name, (char *)NULL);
		_exit(127);
	default:
		break;
	}
	w->pid = pid;
	evtimer_set(&w->timeout, wggo_timeout, w);
	evtimer_add(&w->timeout, &tv);
	TAILQ_INSERT_TAIL(&wggos, w, entry);
	log_info("started %s for %s (pid %d)", conf.global.wg_userspace,
	    wif.name, pid);
}

/*
 * Userspace WireGuard runs as wgd's user (see prepare_wgsockdir).  Where
 * the TUN device is root's alone (some containers; it is usually 0666)
 * that user cannot open it: we make the interface here, as root, and
 * hand it over the way wireguard-go hands it to itself when it goes to
 * the background, as descriptor 3 named in WG_TUN_FD.  wireguard-go
 * before 0.0.20230223 reads packet information in front of each packet
 * and later ones do not, so the interface is made the way the
 * installed program's version wants it.
 */
static void
wggo_tun(const char *ifname)
{
	struct ifreq	ifr;
	struct stat	st;
	FILE		*f;
	char		 cmd[IN_PATHSZ + 64], line[128], *v;
	int		 fd, pi = 0;

	if (stat("/dev/net/tun", &st) == 0 && (st.st_mode & 0006) == 0006)
		return;		/* the program opens it itself */
	if (strchr(conf.global.wg_userspace, '\'') != NULL)
		_exit(125);
	snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null",
	    conf.global.wg_userspace);
	if ((f = popen(cmd, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if ((v = strstr(line, "v0.0.")) != NULL &&
			    strtoul(v + 5, NULL, 10) < 20230223)
				pi = 1;
		pclose(f);
	}
	if ((fd = open("/dev/net/tun", O_RDWR)) == -1)
		_exit(125);
	memset(&ifr, 0, sizeof(ifr));
	strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_flags = IFF_TUN | (pi ? 0 : IFF_NO_PI);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		_exit(125);
	if (fd != 3 && (dup2(fd, 3) == -1 || close(fd) == -1))
		_exit(125);
	if (setenv("WG_TUN_FD", "3", 1) == -1)
		_exit(125);
}

static void
wggo_reap(pid_t pid, int status)
{
	struct wggo	*w;
	char		 sock[PATH_MAX];
	struct stat	 st;

	TAILQ_FOREACH(w, &wggos, entry)
		if (w->pid == pid)
			break;
	if (w == NULL)
		return;
	TAILQ_REMOVE(&wggos, w, entry);
	evtimer_del(&w->timeout);
	snprintf(sock, sizeof(sock), "%s/%s.sock", INNERNET_WGSOCKDIR,
	    w->ifname);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    stat(sock, &st) == 0)
		wggo_answer(w->reqid, 0, NULL);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 125)
		wggo_answer(w->reqid, 500, "cannot make the TUN interface %s",
		    w->ifname);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		wggo_answer(w->reqid, 500, "cannot run %s: install "
		    "wireguard-go or set wireguard-userspace",
		    conf.global.wg_userspace);
	else
		wggo_answer(w->reqid, 500, "%s %s failed (status %d)",
		    conf.global.wg_userspace, w->ifname,
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status));
	free(w);
}

static void
parent_sig(int sig, short event, void *arg)
{
	struct innernet_conf	 nconf;
	char			 err[512];
	pid_t			 pid;
	int			 status, i;

	switch (sig) {
	case SIGINT:
	case SIGTERM:
		log_info("received signal %d, shutting down", sig);
		parent_shutdown(0);
		break;
	case SIGHUP:
		log_info("reloading %s", conffile);
		if (config_parse(conffile, &nconf, err, sizeof(err)) == -1) {
			log_warnx("reload failed, keeping the running "
			    "configuration: %s", err);
			break;
		}
		if (strcmp(nconf.global.user, conf.global.user) != 0 ||
		    strcmp(nconf.global.state_dir, conf.global.state_dir) != 0 ||
		    strcmp(nconf.global.socket_path,
		    conf.global.socket_path) != 0 ||
		    strcmp(nconf.global.hosts_file,
		    conf.global.hosts_file) != 0)
			log_warnx("user, state-dir, control-socket and "
			    "hosts-file take effect only at restart");
		strlcpy(nconf.global.user, conf.global.user,
		    sizeof(nconf.global.user));
		strlcpy(nconf.global.state_dir, conf.global.state_dir,
		    sizeof(nconf.global.state_dir));
		strlcpy(nconf.global.socket_path, conf.global.socket_path,
		    sizeof(nconf.global.socket_path));
		strlcpy(nconf.global.hosts_file, conf.global.hosts_file,
		    sizeof(nconf.global.hosts_file));
		config_free(&conf);
		conf = nconf;
		parent_send_conf();
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < CHILD_MAX; i++)
				if (children[i].pid == pid)
					break;
			if (i == CHILD_MAX) {
				wggo_reap(pid, status);
				continue;
			}
			children[i].pid = -1;
			if (shutting_down)
				continue;
			if (WIFSIGNALED(status))
				log_warnx("%s (pid %d) was killed by signal "
				    "%d%s", children[i].name, pid,
				    WTERMSIG(status), WTERMSIG(status) ==
				    SIGSYS ? " (sandbox violation)" : "");
			else
				log_warnx("%s (pid %d) exited with status %d",
				    children[i].name, pid,
				    WEXITSTATUS(status));
			parent_shutdown(1);
		}
		break;
	default:
		break;
	}
}

/* Take the whole set down; children get SIGTERM, then SIGKILL. */
static void
parent_shutdown(int code)
{
	int	i, alive, tries, status;
	pid_t	pid;

	shutting_down = 1;
	/*
	 * A child killed by a signal may not be the first one noticed (its
	 * peers exit when their pipe to it closes): say which one it was.
	 */
	for (i = 0; i < CHILD_MAX; i++) {
		if (children[i].pid <= 0 || waitpid(children[i].pid, &status,
		    WNOHANG) != children[i].pid)
			continue;
		if (WIFSIGNALED(status))
			log_warnx("%s (pid %d) was killed by signal %d%s",
			    children[i].name, children[i].pid,
			    WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
			    " (sandbox violation)" : "");
		children[i].pid = -1;
	}
	for (i = 0; i < CHILD_MAX; i++)
		if (children[i].pid > 0)
			kill(children[i].pid, SIGTERM);
	for (tries = 0; tries < 50; tries++) {
		alive = 0;
		for (i = 0; i < CHILD_MAX; i++) {
			if (children[i].pid <= 0)
				continue;
			pid = waitpid(children[i].pid, &status, WNOHANG);
			if (pid == children[i].pid && WIFSIGNALED(status) &&
			    WTERMSIG(status) != SIGTERM)
				log_warnx("%s (pid %d) was killed by signal "
				    "%d%s", children[i].name, pid,
				    WTERMSIG(status), WTERMSIG(status) ==
				    SIGSYS ? " (sandbox violation)" : "");
			if (pid == children[i].pid || (pid == -1 &&
			    errno == ECHILD))
				children[i].pid = -1;
			else
				alive++;
		}
		if (!alive)
			break;
		usleep(100 * 1000);
	}
	for (i = 0; i < CHILD_MAX; i++)
		if (children[i].pid > 0) {
			kill(children[i].pid, SIGKILL);
			waitpid(children[i].pid, NULL, 0);
		}
	unlink(conf.global.socket_path);
	log_info("terminating%s", code ? " after an error" : "");
	exit(code);
}
