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
 * The links wgd made: one record per interface, "<ifindex> <root CIDR>"
 * in <if>.link beside its key, in the key directory only wgd may write.  A
 * link is innernet's when a record names it with the index the link has
 * now; any other link (a bridge, a veth, a WireGuard device someone else
 * made, or a link that took a gone one's name) is not, and wgd leaves it
 * alone.  Records are written like keys: a temporary file, fsync,
 * rename, then the directory.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wgd.h"

#define LINK_RECSZ	128

static int
link_path(const char *dir, const char *ifname, char *path, size_t len)
{
	if (!in_ifname_ok(ifname) ||
	    (size_t)snprintf(path, len, "%s/%s.link", dir, ifname) >= len) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

int
link_load(const char *dir, const char *ifname, struct link_rec *lr)
{
	char		 path[PATH_MAX], buf[LINK_RECSZ], *sp, *nl;
	const char	*errstr;
	ssize_t		 n;
	int		 fd;

	memset(lr, 0, sizeof(*lr));
	if (link_path(dir, ifname, path, sizeof(path)) == -1)
		return (-1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		goto bad;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL || (sp = strchr(buf, ' ')) ==
	    NULL || sp > nl)
		goto bad;
	*nl = *sp = '\0';
	lr->ifindex = strtonum(buf, 1, INT_MAX, &errstr);
	if (errstr != NULL || in_prefix_parse(sp + 1, &lr->net) == -1)
		goto bad;
	strlcpy(lr->ifname, ifname, sizeof(lr->ifname));
	return (0);
 bad:
	memset(lr, 0, sizeof(*lr));
	errno = EINVAL;
	return (-1);
}

int
link_store(const char *dir, const struct link_rec *lr)
{
	char	path[PATH_MAX], tmp[PATH_MAX], line[LINK_RECSZ];
	char	net[IN_CIDRSTRSZ];
	int	fd, dfd, saved, len;

	if (link_path(dir, lr->ifname, path, sizeof(path)) == -1 ||
	    lr->ifindex <= 0 || in_prefix_str(&lr->net, net,
	    sizeof(net)) == -1) {
		errno = EINVAL;
		return (-1);
	}
	len = snprintf(line, sizeof(line), "%d %s\n", lr->ifindex, net);
	snprintf(tmp, sizeof(tmp), "%s/.%s.link.XXXXXX", dir, lr->ifname);
	if ((fd = mkstemp(tmp)) == -1)
		return (-1);
	/* mkstemp made it 0600 */
	if (write(fd, line, len) != len || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return (-1);
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return (-1);
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return (0);
}

int
link_remove(const char *dir, const char *ifname)
{
	char	path[PATH_MAX];

	if (link_path(dir, ifname, path, sizeof(path)) == -1)
		return (-1);
	if (unlink(path) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

/* Records other than this name's: the links wgd may still make. */
size_t
link_count(const char *dir, const char *except)
{
	DIR		*d;
	struct dirent	*de;
	char		 mine[IN_IFNAMSZ + 8];
	size_t		 n = 0, len;

	snprintf(mine, sizeof(mine), "%s.link", except);
	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && (len = strlen(de->d_name)) > 5 &&
		    strcmp(de->d_name + len - 5, ".link") == 0 &&
		    strcmp(de->d_name, mine) != 0)
			n++;
	closedir(d);
	return (n);
}
