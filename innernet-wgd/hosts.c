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
 * The hosts file: each network owns one section between the markers
 * upstream writes ("# DO NOT EDIT innernet <if> BEGIN" ... "END"); every
 * other byte of the file is kept as it was.  Rewritten through a
 * temporary file in the same directory, fsync'd, renamed over; where
 * the directory may not be written (the service manager lets the set
 * write /etc/hosts but nothing else in /etc, or the file is a mount
 * point), rewritten in place under a lock.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wgd.h"

#define HOSTS_MAXSIZE	(16 * 1024 * 1024)

/*
 * Build the new file from the old: our section replaced in place (or
 * appended when absent; dropped when there are no entries).
 */
int
hosts_section(const char *old, size_t oldlen, const char *ifname,
    const struct in_hostent *ents, size_t nents, char **out, size_t *outlen)
{
	char		 begin[64], end[64], ip[IN_ADDRSTRSZ];
	const char	*b, *e, *after;
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0, i;

	snprintf(begin, sizeof(begin), "# DO NOT EDIT innernet %s BEGIN",
	    ifname);
	snprintf(end, sizeof(end), "# DO NOT EDIT innernet %s END", ifname);
	if ((f = open_memstream(&buf, &len)) == NULL)
		return (-1);

	b = NULL;
	for (e = old; e < old + oldlen; ) {
		if ((e == old || e[-1] == '\n') && (size_t)(old + oldlen - e) >=
		    strlen(begin) && strncmp(e, begin, strlen(begin)) == 0 &&
		    (e + strlen(begin) == old + oldlen ||
		    e[strlen(begin)] == '\n')) {
			b = e;
			break;
		}
		if ((e = memchr(e, '\n', old + oldlen - e)) == NULL)
			break;
		e++;
	}
	after = NULL;
	if (b != NULL) {
		for (e = b; e < old + oldlen; ) {
			if ((size_t)(old + oldlen - e) >= strlen(end) &&
			    strncmp(e, end, strlen(end)) == 0 &&
			    (e + strlen(end) == old + oldlen ||
			    e[strlen(end)] == '\n')) {
				after = e + strlen(end);
				if (after < old + oldlen)
					after++;
				break;
			}
			if ((e = memchr(e, '\n', old + oldlen - e)) == NULL)
				break;
			e++;
		}
		if (after == NULL)	/* unterminated: ours to the end */
			after = old + oldlen;
		fwrite(old, 1, b - old, f);
	} else {
		fwrite(old, 1, oldlen, f);
		if (oldlen > 0 && old[oldlen - 1] != '\n' && nents > 0)
			fputc('\n', f);
	}
	if (nents > 0) {
		fprintf(f, "%s\n", begin);
		for (i = 0; i < nents; i++) {
			if (in_ip_str(&ents[i].ip, ip, sizeof(ip)) == -1)
				continue;
			fprintf(f, "%s %s\n", ip, ents[i].name);
		}
		fprintf(f, "%s\n", end);
	}
	if (b != NULL)
		fwrite(after, 1, old + oldlen - after, f);
	if (fclose(f) != 0) {
		free(buf);
		return (-1);
	}
	*out = buf;
	*outlen = len;
	return (0);
}

/*
 * The file as it should be: *changed is 0 when it already is.  The
 * caller frees *out.
 */
int
hosts_build(const char *path, const char *ifname,
    const struct in_hostent *ents, size_t nents, char **out, size_t *outlen,
    int *changed, char *err, size_t errlen)
{
	char		*old = NULL, *p;
	size_t		 oldlen = 0, cap = 0;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		for (;;) {
			if (oldlen == cap) {
				if (cap >= HOSTS_MAXSIZE) {
					snprintf(err, errlen, "%s: too large",
					    path);
					close(fd);
					free(old);
					return (-1);
				}
				cap = cap ? cap * 2 : 8192;
				if ((p = realloc(old, cap)) == NULL)
					goto oom;
				old = p;
			}
			if ((n = read(fd, old + oldlen, cap - oldlen)) <= 0)
				break;
			oldlen += n;
		}
		close(fd);
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (hosts_section(old != NULL ? old : "", oldlen, ifname, ents, nents,
	    out, outlen) == -1)
		goto oom;
	*changed = !(oldlen == *outlen && (oldlen == 0 ||
	    memcmp(old, *out, oldlen) == 0));
	free(old);
	return (0);
 oom:
	free(old);
	snprintf(err, errlen, "out of memory");
	return (-1);
}

/*
 * In place: the same inode, so only the file itself need be writable.
 * Not atomic: a reader may see a mix of old and new bytes for the time
 * of one write, and a crash in the middle leaves the file half written;
 * hence only when renaming is impossible.  The lock keeps two writers
 * of ours apart.
 */
static int
hosts_write_inplace(const char *path, const char *buf, size_t len,
    char *err, size_t errlen)
{
	size_t	off;
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_EX) == -1)
		goto fail;
	for (off = 0; off < len; off += n)
		if ((n = pwrite(fd, buf + off, len - off, off)) <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
	if (ftruncate(fd, len) == -1 || fsync(fd) == -1)
		goto fail;
	close(fd);
	return (0);
 fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	return (-1);
}

/*
 * Replace the file with these bytes: a temporary file beside it, the
 * old file's mode, fsync, rename, fsync of the directory.
 */
int
hosts_write(const char *path, const char *buf, size_t len, char *err,
    size_t errlen)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX];
	struct stat	 st;
	mode_t		 mode = 0644;
	int		 fd, dfd, exists, saved;

	if ((exists = stat(path, &st) == 0))
		mode = st.st_mode & 07777;
	strlcpy(dir, path, sizeof(dir));
	snprintf(tmp, sizeof(tmp), "%s/.hosts.innernet.XXXXXX", dirname(dir));
	if ((fd = mkstemp(tmp)) == -1) {
		if (exists && (errno == EROFS || errno == EACCES ||
		    errno == EPERM))
			return (hosts_write_inplace(path, buf, len, err,
			    errlen));
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return (-1);
	}
	if (fchmod(fd, mode) == -1 || write(fd, buf, len) != (ssize_t)len ||
	    fsync(fd) == -1 || close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	if (rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		/* a mount point (a bind-mounted /etc/hosts) */
		if (errno == EBUSY && exists)
			return (hosts_write_inplace(path, buf, len, err,
			    errlen));
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	strlcpy(dir, path, sizeof(dir));
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(dfd);
		close(dfd);
	}
	return (0);
}

int
hosts_rewrite(const char *path, const char *ifname,
    const struct in_hostent *ents, size_t nents, char *err, size_t errlen)
{
	char	*new;
	size_t	 len;
	int	 changed, rc;

	if (hosts_build(path, ifname, ents, nents, &new, &len, &changed, err,
	    errlen) == -1)
		return (-1);
	rc = changed ? hosts_write(path, new, len, err, errlen) : 0;
	free(new);
	return (rc);
}

/*
 * The suffix of a network's host names: host-suffix from innernet.conf
 * (possibly set empty), else "<network>.wg" as upstream.  opts may be
 * NULL for a network the configuration does not name.
 */
void
hosts_suffix(const char *network, const struct in_netopts *opts, char *buf,
    size_t len)
{
	if (opts != NULL && (opts->host_suffix_set ||
	    opts->host_suffix[0] != '\0'))
		strlcpy(buf, opts->host_suffix, len);
	else
		snprintf(buf, len, "%s.wg", network);
}

/*
 * May this line go into the network's section?  The name is one
 * hostname(7) label then the network's suffix, the address lies inside
 * the network's root CIDR: whoever wrote the engine's list cannot name
 * another host (a package mirror, localhost) or point at an address
 * outside innernet.
 */
int
hosts_entry_ok(const struct in_hostent *he, const char *suffix,
    const struct in_prefix *net, char *err, size_t errlen)
{
	char	label[IN_NAMESZ];
	size_t	n, slen = strlen(suffix);

	if (!in_str_ok(he->ifname) || !in_str_ok(he->name)) {
		snprintf(err, errlen, "hosts entry: unterminated string");
		return (0);
	}
	n = strlen(he->name);
	if (slen > 0 && (n <= slen + 1 || he->name[n - slen - 1] != '.' ||
	    strcmp(he->name + n - slen, suffix) != 0)) {
		snprintf(err, errlen, "hosts entry %s: not a name under %s",
		    he->name, suffix);
		return (0);
	}
	if (slen > 0)
		n -= slen + 1;
	if (n >= sizeof(label)) {
		snprintf(err, errlen, "hosts entry %s: name too long",
		    he->name);
		return (0);
	}
	memcpy(label, he->name, n);
	label[n] = '\0';
	if (!in_hostname_ok(label) || strcmp(label, "localhost") == 0) {
		snprintf(err, errlen, "hosts entry %s: %s is not a peer "
		    "name", he->name, label);
		return (0);
	}
	if (net == NULL || net->len == 0 || !in_prefix_contains(net,
	    &he->ip)) {
		snprintf(err, errlen, "hosts entry %s: address outside the "
		    "network", he->name);
		return (0);
	}
	return (1);
}
