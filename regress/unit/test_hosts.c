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

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wgd.h"

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

	unlink(path);
	rmdir(dir);
	entry_checks();
	return (failed);
}
