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
 * The hosts file: our section goes in, changes and goes out again while
 * every byte that is not ours stays as it was, through a temporary file
 * that never lingers, with the file's mode kept.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hosts.h"
#include "proc.h"

static int	failed;

#define CHECK(c, n) do { if (c) printf("ok - %s\n", n); else {		\
	printf("not ok - %s\n", n); failed = 1; } } while (0)

static char	dir[] = "/tmp/test_hosts.XXXXXX";
static char	path[256];

/* Not ours: no final newline handling of its own, CRLF, tabs, UTF-8. */
static const char foreign_head[] =
    "127.0.0.1\tlocalhost\n"
    "::1 localhost ip6-localhost\r\n"
    "# a comment \xc3\xa9t\xc3\xa9 with\ttabs   and spaces\n"
    "\n"
    "# DO NOT EDIT innernet other BEGIN\n"
    "10.9.0.1 a.other.wg\n"
    "# DO NOT EDIT innernet other END\n";
static const char foreign_tail[] = "192.0.2.9 after.example\n";

static void
put(const char *s, size_t len)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd == -1 || write(fd, s, len) != (ssize_t)len || close(fd) == -1)
		abort();
	chmod(path, 0640);
}

static char *
get(size_t *len)
{
	static char	buf[65536];
	ssize_t		n;
	int		fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		abort();
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		abort();
	buf[n] = '\0';
	*len = n;
	return (buf);
}

static struct in_hostent
ent(const char *ip, const char *name)
{
	struct in_hostent	he;

	memset(&he, 0, sizeof(he));
	strlcpy(he.ifname, "corp", sizeof(he.ifname));
	in_ip_parse(ip, &he.ip);
	strlcpy(he.name, name, sizeof(he.name));
	return (he);
}

static int
leftovers(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".hosts", 6) == 0)
			n++;
	closedir(d);
	return (n);
}

/*
 * What the parent (and wgd before it) lets into a network's section: a
 * peer label under the network's suffix, an address inside it.
 */
static void
entry_checks(void)
{
	struct in_netopts	o;
	struct in_hostent	he;
	struct in_prefix	net;
	char			suffix[IN_HOSTSZ], err[IN_ERRSZ];

	in_prefix_parse("10.66.0.0/16", &net);
	hosts_suffix("corp", NULL, suffix, sizeof(suffix));
	CHECK(strcmp(suffix, "corp.wg") == 0, "the default suffix");
	memset(&o, 0, sizeof(o));
	o.host_suffix_set = 1;
	hosts_suffix("corp", &o, suffix, sizeof(suffix));
	CHECK(suffix[0] == '\0', "a suffix set empty stays empty");
	strlcpy(o.host_suffix, "corp.internal", sizeof(o.host_suffix));
	hosts_suffix("corp", &o, suffix, sizeof(suffix));
	CHECK(strcmp(suffix, "corp.internal") == 0, "a suffix of its own");

	he = ent("10.66.0.5", "alice.corp.wg");
	CHECK(hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "a peer of the network passes");
	he = ent("198.51.100.66", "deb.debian.org");
	CHECK(!hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "deb.debian.org is refused");
	he = ent("10.66.0.5", "deb.debian.org");
	CHECK(!hosts_entry_ok(&he, "", &net, err, sizeof(err)),
	    "a dotted name without a suffix is refused");
	he = ent("10.66.0.5", "localhost");
	CHECK(!hosts_entry_ok(&he, "", &net, err, sizeof(err)),
	    "localhost is refused");
	he = ent("10.66.0.5", "localhost.corp.wg");
	CHECK(!hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "localhost under the suffix is refused");
	he = ent("10.66.0.5", "bob");
	CHECK(hosts_entry_ok(&he, "", &net, err, sizeof(err)),
	    "a bare label with an empty suffix passes");
	he = ent("198.51.100.66", "bob.corp.wg");
	CHECK(!hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "an address outside the network is refused");
	he = ent("10.66.0.5", "x.evilcorp.wg");
	CHECK(!hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "a suffix that only ends the same is refused");
	he = ent("10.66.0.5", ".corp.wg");
	CHECK(!hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "an empty label is refused");
	he = ent("10.66.0.5", "Alice_1.corp.wg");
	CHECK(!hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "a label outside hostname(7) is refused");
	memset(&net, 0, sizeof(net));
	he = ent("10.66.0.5", "alice.corp.wg");
	CHECK(!hosts_entry_ok(&he, "corp.wg", &net, err, sizeof(err)),
	    "no network, no entry");
}

/*
 * The parent's hosts path, driven as the engine and wgd drive it: the
 * engine's lines, wgd's answer naming the network's root CIDR, the
 * answer the engine gets and what the file holds.  A compromised engine
 * may send any line; only peer names under the suffix with an address
 * inside the network wgd recorded reach the file.
 */
static struct proc_pipe		 p_engine, p_wgd;	/* the parent's ends */
static struct imsgbuf		 engine_end, wgd_end;	/* ours */
static struct innernet_conf	 pconf;
static int			 link_asked;

static void
pump(struct proc_pipe *p)
{
	int	tries;

	for (tries = 0; p->ibuf.w.queued && tries < 100; tries++)
		if (msgbuf_write(&p->ibuf.w) <= 0 && errno != EAGAIN)
			abort();
}

static int
next(struct imsgbuf *ib, struct imsg *imsg)
{
	ssize_t	n;

	if ((n = imsg_get(ib, imsg)) != 0)
		return (n == -1 ? -1 : 0);
	if (imsg_read(ib) <= 0 || imsg_get(ib, imsg) <= 0)
		return (-1);
	return (0);
}

/*
 * A section from the engine: 0 when the parent wrote it, else the
 * status of its error answer.  linknet: what wgd says of the network's
 * link, NULL for a link wgd did not make.
 */
static int
section(uint32_t id, const char *network, const struct in_hostent *ents,
    size_t n, const char *linknet)
{
	struct imsg		 fake, imsg;
	struct in_netreq	 nr, req;
	struct in_linknet	 ln;
	struct in_error		 e;
	size_t			 i;
	int			 status = -1;

	memset(&fake, 0, sizeof(fake));
	fake.hdr.type = IMSG_PARENT_HOSTS;
	fake.hdr.peerid = id;
	for (i = 0; i < n; i++)
		hosts_line(&p_engine, &fake, &ents[i]);
	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, network, sizeof(nr.network));
	hosts_end(&nr, id);
	pump(&p_wgd);
	link_asked = 0;
	if (n > 0) {
		if (next(&wgd_end, &imsg) == -1 ||
		    imsg.hdr.type != IMSG_PARENT_LINK_REQ ||
		    imsg_get_data(&imsg, &req, sizeof(req)) == -1 ||
		    strcmp(req.network, network) != 0)
			return (-1);
		link_asked = 1;
		if (linknet != NULL) {
			memset(&ln, 0, sizeof(ln));
			strlcpy(ln.network, network, sizeof(ln.network));
			in_prefix_parse(linknet, &ln.net);
			hosts_link(&ln, imsg.hdr.peerid);
		} else {
			memset(&e, 0, sizeof(e));
			e.status = 403;
			strlcpy(e.msg, "not made by innernet", sizeof(e.msg));
			hosts_link_refused(&e, imsg.hdr.peerid);
		}
		imsg_free(&imsg);
	}
	pump(&p_engine);
	if (next(&engine_end, &imsg) == -1 || imsg.hdr.peerid != id)
		return (-1);
	if (imsg.hdr.type == IMSG_WG_OK)
		status = 0;
	else if (imsg.hdr.type == IMSG_WG_ERR &&
	    imsg_get_data(&imsg, &e, sizeof(e)) == 0)
		status = e.status;
	imsg_free(&imsg);
	return (status);
}

static struct in_hostent
line(const char *ip, const char *name)
{
	struct in_hostent	he;

	he = ent(ip, name);
	strlcpy(he.ifname, "inwg0", sizeof(he.ifname));
	return (he);
}

static void
parent_path(void)
{
	struct in_hostent	 e[3];
	char			 before[65536], *got;
	size_t			 len;
	int			 es[2], ws[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, es) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, ws) == -1)
		abort();
	event_init();
	proc_pipe_init(&p_engine, PROC_ENGINE, es[0], NULL, NULL, NULL);
	proc_pipe_init(&p_wgd, PROC_WGD, ws[0], NULL, NULL, NULL);
	imsg_init(&engine_end, es[1]);
	imsg_init(&wgd_end, ws[1]);
	memset(&pconf, 0, sizeof(pconf));
	strlcpy(pconf.global.hosts_file, path, sizeof(pconf.global.hosts_file));
	in_ranges_default(pconf.ranges, &pconf.nranges);
	hosts_init(&p_engine, &p_wgd, &pconf);

	put(foreign_head, strlen(foreign_head));
	got = get(&len);
	memcpy(before, got, len + 1);

	e[0] = line("10.77.0.5", "deb.debian.org");
	CHECK(section(1, "inwg0", e, 1, "10.77.0.0/24") == 403,
	    "parent: a name outside the suffix (deb.debian.org) is refused");
	e[0] = line("10.77.0.5", "localhost");
	CHECK(section(2, "inwg0", e, 1, "10.77.0.0/24") == 403,
	    "parent: localhost is refused");
	e[0] = line("10.77.0.5", "localhost.inwg0.wg");
	CHECK(section(3, "inwg0", e, 1, "10.77.0.0/24") == 403,
	    "parent: localhost under the suffix is refused");
	e[0] = line("198.51.100.66", "alice.inwg0.wg");
	CHECK(section(4, "inwg0", e, 1, "10.77.0.0/24") == 403,
	    "parent: an address outside the link's network is refused");
	e[0] = line("10.77.0.5", "alice.hbr0.wg");
	strlcpy(e[0].ifname, "hbr0", sizeof(e[0].ifname));
	CHECK(section(5, "hbr0", e, 1, NULL) == 403 && link_asked,
	    "parent: a section for a link wgd did not make is refused");
	e[0] = line("203.0.113.5", "alice.inwg0.wg");
	CHECK(section(6, "inwg0", e, 1, "203.0.113.0/24") == 403,
	    "parent: a network outside allowed-ranges is refused");
	e[0] = line("10.77.0.5", "alice.inwg0.wg");
	strlcpy(e[0].ifname, "inwg1", sizeof(e[0].ifname));
	CHECK(section(7, "inwg0", e, 1, "10.77.0.0/24") == 400,
	    "parent: a line for another network is refused");
	e[0] = line("10.77.0.5", "alice.inwg0.wg");
	e[1] = line("10.77.0.6", "localhost.inwg0.wg");
	CHECK(section(8, "inwg0", e, 2, "10.77.0.0/24") == 403,
	    "parent: one bad line refuses the whole section");
	got = get(&len);
	CHECK(strcmp(got, before) == 0,
	    "parent: nothing refused reached the file");

	e[0] = line("10.77.0.5", "alice.inwg0.wg");
	e[1] = line("10.77.0.6", "bob.inwg0.wg");
	CHECK(section(9, "inwg0", e, 2, "10.77.0.0/24") == 0,
	    "parent: peers of the network pass");
	got = get(&len);
	CHECK(strstr(got, "10.77.0.5 alice.inwg0.wg\n10.77.0.6 "
	    "bob.inwg0.wg\n") != NULL, "parent: and are written");
	CHECK(section(10, "inwg0", NULL, 0, NULL) == 0 && !link_asked,
	    "parent: a section without lines is dropped");
	got = get(&len);
	CHECK(strcmp(got, before) == 0,
	    "parent: the file is as it was before innernet");
}

int
main(void)
{
	struct in_hostent	 e[3];
	struct stat		 st, st2;
	char			 err[IN_ERRSZ], want[4096], *got;
	size_t			 len, hl = strlen(foreign_head);
	int			 rc;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/hosts", dir);
	put(foreign_head, hl);

	e[0] = ent("10.66.0.1", "innernet-server.corp.wg");
	e[1] = ent("10.66.1.2", "alice.corp.wg");
	rc = hosts_rewrite(path, "corp", e, 2, err, sizeof(err));
	got = get(&len);
	snprintf(want, sizeof(want), "%s# DO NOT EDIT innernet corp BEGIN\n"
	    "10.66.0.1 innernet-server.corp.wg\n10.66.1.2 alice.corp.wg\n"
	    "# DO NOT EDIT innernet corp END\n", foreign_head);
	CHECK(rc == 0 && strcmp(got, want) == 0,
	    "the section is appended, every other byte kept");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640,
	    "the file keeps its mode");

	/* text after our section stays after it */
	strlcat(want, foreign_tail, sizeof(want));
	put(want, strlen(want));
	e[1] = ent("10.66.1.3", "bob.corp.wg");
	e[2] = ent("fd00::5", "carol.corp.wg");
	rc = hosts_rewrite(path, "corp", e, 3, err, sizeof(err));
	got = get(&len);
	snprintf(want, sizeof(want), "%s# DO NOT EDIT innernet corp BEGIN\n"
	    "10.66.0.1 innernet-server.corp.wg\n10.66.1.3 bob.corp.wg\n"
	    "fd00::5 carol.corp.wg\n# DO NOT EDIT innernet corp END\n%s",
	    foreign_head, foreign_tail);
	CHECK(rc == 0 && strcmp(got, want) == 0,
	    "the section is replaced in place, lines after it kept");
	CHECK(strstr(got, "# DO NOT EDIT innernet other BEGIN\n"
	    "10.9.0.1 a.other.wg\n") != NULL,
	    "another network's section is untouched");

	stat(path, &st);
	rc = hosts_rewrite(path, "corp", e, 3, err, sizeof(err));
	stat(path, &st2);
	CHECK(rc == 0 && st.st_ino == st2.st_ino,
	    "an unchanged section does not rewrite the file");

	rc = hosts_rewrite(path, "corp", NULL, 0, err, sizeof(err));
	got = get(&len);
	snprintf(want, sizeof(want), "%s%s", foreign_head, foreign_tail);
	CHECK(rc == 0 && strcmp(got, want) == 0,
	    "clearing the section gives back the foreign bytes exactly");

	/* no final newline: ours starts on a line of its own */
	put("127.0.0.1 localhost", 19);
	rc = hosts_rewrite(path, "corp", e, 1, err, sizeof(err));
	got = get(&len);
	CHECK(rc == 0 && strcmp(got, "127.0.0.1 localhost\n"
	    "# DO NOT EDIT innernet corp BEGIN\n"
	    "10.66.0.1 innernet-server.corp.wg\n"
	    "# DO NOT EDIT innernet corp END\n") == 0,
	    "a file without a final newline gets one before the section");

	/* a section whose end marker was lost is ours to the end */
	snprintf(want, sizeof(want), "%s# DO NOT EDIT innernet corp BEGIN\n"
	    "10.66.9.9 stale.corp.wg\n", foreign_head);
	put(want, strlen(want));
	rc = hosts_rewrite(path, "corp", e, 1, err, sizeof(err));
	got = get(&len);
	CHECK(rc == 0 && strncmp(got, foreign_head, hl) == 0 &&
	    strstr(got, "stale") == NULL && strstr(got,
	    "# DO NOT EDIT innernet corp END\n") != NULL,
	    "an unterminated section is replaced");

	/* a marker inside a line is not a marker */
	snprintf(want, sizeof(want), "10.0.0.1 x # DO NOT EDIT innernet "
	    "corp BEGIN\n");
	put(want, strlen(want));
	rc = hosts_rewrite(path, "corp", NULL, 0, err, sizeof(err));
	got = get(&len);
	CHECK(rc == 0 && strcmp(got, want) == 0,
	    "a marker inside a line is left alone");

	unlink(path);
	rc = hosts_rewrite(path, "corp", e, 1, err, sizeof(err));
	got = get(&len);
	CHECK(rc == 0 && strncmp(got, "# DO NOT EDIT innernet corp BEGIN\n",
	    34) == 0, "a missing file is created");
	CHECK(leftovers() == 0, "no temporary file is left behind");

	parent_path();
	unlink(path);
	rmdir(dir);
	entry_checks();
	return (failed);
}
