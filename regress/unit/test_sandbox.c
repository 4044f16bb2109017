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
 * The sandbox layer refuses for real: each case runs in a child, and a
 * forbidden call must end it with SIGSYS while allowed ones work.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sys/syscall.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <linux/landlock.h>
#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "compat.h"

static int	failed;
static char	dir[] = "/tmp/sandbox-test.XXXXXX";

/* Run fn in a child; return its wait status. */
static int
in_child(int (*fn)(void))
{
	pid_t	pid;
	int	status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		exit(2);
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &status, 0) == -1)
		exit(2);
	return (status);
}

static void
expect_killed(const char *name, int (*fn)(void))
{
	int	st = in_child(fn);

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		printf("ok - %s\n", name);
	else {
		printf("not ok - %s (status %#x)\n", name, st);
		failed = 1;
	}
}

static void
expect_ok(const char *name, int (*fn)(void))
{
	int	st = in_child(fn);

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		printf("ok - %s\n", name);
	else {
		printf("not ok - %s (status %#x)\n", name, st);
		failed = 1;
	}
}

static int
status_is(const char *field, const char *value)
{
	char	line[256];
	FILE	*f;
	size_t	l = strlen(field);
	int	ok = 0;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, l) == 0 && line[l] == ':' &&
		    strtol(line + l + 1, NULL, 10) == strtol(value, NULL, 10))
			ok = 1;
	fclose(f);
	return (ok);
}

static int
stdio_open(void)
{
	if (pledge("stdio", NULL) == -1)
		return (3);
	return (open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES ? 0 :
	    4);
}

static int
stdio_unlink(void)
{
	if (pledge("stdio", NULL) == -1)
		return (3);
	unlink("/nonexistent/file");
	return (0);
}

static int
stdio_status(void)
{
	char	buf[1024];
	int	fd;
	ssize_t	n;

	/* Read the status first: the filter forbids opening it later. */
	if ((fd = open("/proc/self/status", O_RDONLY)) == -1)
		return (1);
	if (pledge("stdio", NULL) == -1)
		return (3);
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return (4);
	buf[n] = '\0';
	(void)status_is;
	if (strstr(buf, "NoNewPrivs:\t1") == NULL)
		return (5);
	return (strstr(buf, "Seccomp:\t2") == NULL ? 6 : 0);
}

/*
 * The engine's state documents: written to an anonymous file and sent
 * from it with sendfile(2), under stdio alone.
 */
static int
stdio_memfd_sendfile(void)
{
	char	buf[8];
	off_t	off = 0;
	int	fd, sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return (1);
	if (pledge("stdio", NULL) == -1)
		return (3);
	if ((fd = memfd_create("test", MFD_CLOEXEC)) == -1 ||
	    write(fd, "state", 5) != 5)
		return (4);
	if (sendfile(sv[0], fd, &off, 5) != 5 || read(sv[1], buf, 5) != 5 ||
	    memcmp(buf, "state", 5) != 0)
		return (5);
	return (0);
}

static int
rpath_open(void)
{
	int	fd;

	if (pledge("stdio rpath", NULL) == -1)
		return (3);
	if ((fd = open("/etc/passwd", O_RDONLY)) == -1)
		return (4);
	close(fd);
	return (0);
}

static int
rpath_socket(void)
{
	if (pledge("stdio rpath", NULL) == -1)
		return (3);
	socket(AF_INET, SOCK_STREAM, 0);
	return (0);
}

static int
unix_socket(void)
{
	int	s;

	if (pledge("stdio unix", NULL) == -1)
		return (3);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (4);
	close(s);
	return (0);
}

static int
unix_inet(void)
{
	if (pledge("stdio unix", NULL) == -1)
		return (3);
	socket(AF_INET6, SOCK_DGRAM, 0);
	return (0);
}

static int
inet_netlink(void)
{
	if (pledge("stdio inet", NULL) == -1)
		return (3);
	socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	return (0);
}

static int
route_netlink(void)
{
	int	s;

	if (pledge("stdio route", NULL) == -1)
		return (3);
	if ((s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)) == -1)
		return (4);
	close(s);
	return (0);
}

static int
route_generic(void)
{
	int	s;

	if (pledge("stdio route", NULL) == -1)
		return (3);
	if ((s = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC)) == -1)
		return (4);
	close(s);
	return (0);
}

/* wgd's exact promises: no netfilter, no xfrm (issue 17). */
static int
route_netfilter(void)
{
	if (pledge("stdio rpath wpath cpath unix route", NULL) == -1)
		return (3);
	socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	return (0);
}

static int
route_xfrm(void)
{
	if (pledge("stdio rpath wpath cpath unix route", NULL) == -1)
		return (3);
	socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM);
	return (0);
}

/* wgd needs no fattr: chmod is no longer among its calls. */
static int
wgd_chmod(void)
{
	if (pledge("stdio rpath wpath cpath unix route", NULL) == -1)
		return (3);
	chmod(dir, 04777);
	return (0);
}

static int
route_packet(void)
{
	if (pledge("stdio route", NULL) == -1)
		return (3);
	socket(AF_PACKET, SOCK_RAW, 0);
	return (0);
}

static int
narrowing(void)
{
	if (pledge("stdio unix", NULL) == -1)
		return (3);
	if (pledge("stdio", NULL) == -1)
		return (4);
	socket(AF_UNIX, SOCK_STREAM, 0);
	return (0);
}

static int
unknown_promise(void)
{
	if (pledge("stdio teleport", NULL) != -1 || errno != EINVAL)
		return (1);
	return (0);
}

static int
no_exec(void)
{
	char	*argv[] = { "true", NULL };

	if (pledge("stdio rpath proc", NULL) == -1)
		return (3);
	execv("/bin/true", argv);
	return (0);
}

static void
tick(int fd, short ev, void *arg)
{
	int	*n = arg;

	(*n)++;
}

static int
libevent_loop(void)
{
	struct event	 ev;
	struct timeval	 tv = { 0, 1000 };
	int		 sv[2], n = 0, i;
	char		 c = 'x';

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return (2);
	event_init();
	if (pledge("stdio", NULL) == -1)
		return (3);
	for (i = 0; i < 3; i++) {
		evtimer_set(&ev, tick, &n);
		evtimer_add(&ev, &tv);
		event_dispatch();
	}
	if (write(sv[0], &c, 1) != 1 || read(sv[1], &c, 1) != 1)
		return (4);
	return (n == 3 ? 0 : 5);
}

static char	inside[64], created[64];

static int
unveil_read(void)
{
	char	buf[8];
	int	fd;

	if (unveil(dir, "r") == -1 || unveil(NULL, NULL) == -1)
		return (3);
	if ((fd = open(inside, O_RDONLY)) == -1 || read(fd, buf, 2) != 2)
		return (4);
	close(fd);
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return (5);
	if (open(created, O_WRONLY | O_CREAT, 0600) != -1 || errno != EACCES)
		return (6);
	return (0);
}

static int
unveil_create(void)
{
	int	fd;

	if (unveil(dir, "rwc") == -1 || unveil(NULL, NULL) == -1)
		return (3);
	if ((fd = open(created, O_WRONLY | O_CREAT, 0600)) == -1)
		return (4);
	close(fd);
	return (unlink(created) == -1 ? 5 : 0);
}

static int
unveil_nothing(void)
{
	if (unveil(NULL, NULL) == -1)
		return (3);
	return (open("/etc/hostname", O_RDONLY) == -1 && errno == EACCES ?
	    0 : 4);
}

static int
landlock_abi(void)
{
	return (syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION));
}

static char	abstract_name[64];

/*
 * Scopes (Landlock ABI 6): an abstract UNIX socket of a process outside
 * the sandbox, and a signal to one, are refused; our own still work.
 */
static int
scope_abstract(void)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, abstract_name, strlen(abstract_name));
	len = offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(abstract_name);
	if (unveil(NULL, NULL) == -1)
		return (3);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (4);
	if (connect(s, (struct sockaddr *)&sun, len) != -1 || errno != EPERM)
		return (5);
	close(s);
	return (0);
}

static int
scope_signal(void)
{
	if (unveil(NULL, NULL) == -1)
		return (3);
	if (kill(getppid(), 0) != -1 || errno != EPERM)
		return (4);
	return (kill(getpid(), 0) == 0 ? 0 : 5);
}

/* unveil_no_tcp(): no TCP bind or connect on any port (ABI 4). */
static int
no_tcp(void)
{
	struct sockaddr_in	sin;
	int			s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(9);
	unveil_no_tcp();
	if (unveil(NULL, NULL) == -1)
		return (3);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (4);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) != -1 ||
	    errno != EACCES)
		return (5);
	sin.sin_port = htons(40000 + getpid() % 20000);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != -1 ||
	    errno != EACCES)
		return (6);
	close(s);
	return (0);
}

/* Without it, TCP is left to seccomp (the engine's case). */
static int
tcp_unhandled(void)
{
	struct sockaddr_in	sin;
	int			s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (unveil(NULL, NULL) == -1)
		return (3);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (4);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return (5);
	close(s);
	return (0);
}

static int
unveil_missing(void)
{
	return (unveil("/nonexistent/path", "r") == -1 && errno == ENOENT ?
	    0 : 1);
}

int
main(void)
{
	struct sockaddr_un	sun;
	int			fd, abi, ls;

	if (mkdtemp(dir) == NULL)
		return (2);
	snprintf(inside, sizeof(inside), "%s/file", dir);
	snprintf(created, sizeof(created), "%s/new", dir);
	if ((fd = open(inside, O_WRONLY | O_CREAT, 0644)) == -1 ||
	    write(fd, "hi", 2) != 2)
		return (2);
	close(fd);

	expect_ok("pledge stdio: open() fails with EACCES", stdio_open);
	expect_killed("pledge stdio: unlink() kills", stdio_unlink);
	expect_ok("pledge sets NoNewPrivs 1 and Seccomp 2", stdio_status);
	expect_ok("pledge stdio: memfd_create() and sendfile() work",
	    stdio_memfd_sendfile);
	expect_ok("pledge stdio rpath: open for reading works", rpath_open);
	expect_killed("pledge stdio rpath: socket(AF_INET) kills",
	    rpath_socket);
	expect_ok("pledge unix: socket(AF_UNIX) works", unix_socket);
	expect_killed("pledge unix: socket(AF_INET6) kills", unix_inet);
	expect_killed("pledge inet: socket(AF_NETLINK) kills", inet_netlink);
	expect_ok("pledge route: socket(AF_NETLINK) works", route_netlink);
	expect_killed("pledge route: socket(AF_PACKET) kills", route_packet);
	expect_ok("pledge route: a generic netlink socket works",
	    route_generic);
	expect_killed("wgd's pledge: a netfilter netlink socket kills",
	    route_netfilter);
	expect_killed("wgd's pledge: an xfrm netlink socket kills",
	    route_xfrm);
	expect_killed("wgd's pledge: chmod kills", wgd_chmod);
	expect_killed("a second pledge narrows the first", narrowing);
	expect_ok("an unknown promise is EINVAL", unknown_promise);
	expect_killed("execve without exec kills", no_exec);
	expect_ok("libevent loop and socket I/O live under stdio",
	    libevent_loop);
	expect_ok("unveil r: inside readable, outside and create refused",
	    unveil_read);
	expect_ok("unveil rwc: create and remove inside", unveil_create);
	expect_ok("unveil(NULL, NULL) alone: no file at all",
	    unveil_nothing);
	expect_ok("unveil of a missing path is ENOENT", unveil_missing);
	abi = landlock_abi();
	if (abi >= 6) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(abstract_name, sizeof(abstract_name),
		    "innernet-test-sandbox-%d", (int)getpid());
		memcpy(sun.sun_path + 1, abstract_name,
		    strlen(abstract_name));
		if ((ls = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    bind(ls, (struct sockaddr *)&sun,
		    offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(abstract_name)) == -1 || listen(ls, 1) == -1)
			return (2);
		expect_ok("landlock scope: an abstract socket outside is "
		    "EPERM", scope_abstract);
		close(ls);
		expect_ok("landlock scope: a signal outside is EPERM, our "
		    "own goes", scope_signal);
	} else
		printf("ok - landlock scopes # skip landlock abi %d\n", abi);
	if (abi >= 4) {
		expect_ok("unveil_no_tcp: TCP connect and bind are EACCES",
		    no_tcp);
		expect_ok("without unveil_no_tcp TCP bind works",
		    tcp_unhandled);
	} else
		printf("ok - landlock tcp # skip landlock abi %d\n", abi);

	unlink(inside);
	rmdir(dir);
	return (failed);
}
