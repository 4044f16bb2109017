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
 * The hosts file, which the parent alone writes: renaming over
 * /etc/hosts needs write access to all of /etc, which no sandboxed
 * process gets.  The engine says what a network's section holds; each
 * line is checked here, once, against what root configured: a name
 * under the network's host suffix, an address inside the root CIDR wgd
 * recorded for the network's link, and that CIDR inside allowed-ranges.
 * One bad line and nothing of the section is written.
 *
 * Each network owns one section between the markers
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

#include "config.h"
#include "hosts.h"
#include "proc.h"

#define HOSTS_MAXSIZE	(16 * 1024 * 1024)

/*
 * A hosts section from the engine, written in the order they came once
 * wgd has named the root CIDR of the network's link.
 */
struct hosts_req {
	TAILQ_ENTRY(hosts_req) entry;
	uint32_t	 id;		/* the engine's request */
	uint32_t	 link_id;	/* our PARENT_LINK_REQ to wgd */
	char		 network[IN_IFNAMSZ];
	struct in_hostent *ents;
	size_t		 n, cap;
	int		 ended;		/* PARENT_HOSTS_END came */
	int		 known;		/* wgd answered: net or status */
	struct in_prefix net;
	int		 status;	/* wgd's refusal */
	char		 err[IN_ERRSZ];
};
static TAILQ_HEAD(hosts_reqs, hosts_req) hosts_reqs =
    TAILQ_HEAD_INITIALIZER(hosts_reqs);
static size_t		 hosts_nreqs;
static uint32_t		 hosts_link_ids;
static struct proc_pipe		*hosts_engine, *hosts_wgd;
static const struct innernet_conf *conf;

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

/*
 * A network's section, checked whole, then written: 0, or the status of
 * the error answer with err set.  net is the root CIDR of the network's
 * link (unused when there are no lines: the section is dropped).
 */
int
hosts_apply(const char *path, const char *network, const char *suffix,
    const struct in_prefix *net, const struct in_prefix *ranges,
    size_t nranges, const struct in_hostent *ents, size_t nents, char *err,
    size_t errlen)
{
	size_t	i;

	if (nents > 0 && !in_prefix_in_ranges(net, ranges, nranges)) {
		snprintf(err, errlen, "%s: hosts: the network lies outside "
		    "allowed-ranges", network);
		return (403);
	}
	for (i = 0; i < nents; i++) {
		if (!in_str_ok(ents[i].ifname) ||
		    strcmp(ents[i].ifname, network) != 0) {
			snprintf(err, errlen, "%s: a hosts entry for another "
			    "network", network);
			return (400);
		}
		if (!hosts_entry_ok(&ents[i], suffix, net, err, errlen))
			return (403);
	}
	if (hosts_rewrite(path, network, ents, nents, err, errlen) == -1)
		return (500);
	return (0);
}

void
hosts_init(struct proc_pipe *engine, struct proc_pipe *wgd,
    const struct innernet_conf *c)
{
	hosts_engine = engine;
	hosts_wgd = wgd;
	conf = c;
}

/*
 * The parent's part: the engine sends a network's lines; wgd, which
 * recorded the root CIDR of each link it made where the engine cannot
 * write, names the network the lines must lie in.  Sections are written
 * in the order they came, each answered to the engine.
 */
static const struct in_netopts *
netopts_find(const char *network)
{
	size_t	i;

	for (i = 0; i < conf->nnets; i++)
		if (strcmp(conf->nets[i].name, network) == 0)
			return (&conf->nets[i]);
	return (NULL);
}

static void
hosts_answer(uint32_t id, int status, const char *msg)
{
	struct proc_pipe	*engine = hosts_engine;
	struct in_error		 e;

	if (status == 0) {
		proc_compose(engine, IMSG_WG_OK, id, NULL, 0);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.status = status;
	strlcpy(e.msg, msg, sizeof(e.msg));
	log_warnx("%s", e.msg);
	proc_compose(engine, IMSG_WG_ERR, id, &e, sizeof(e));
}

/* Write the sections whose network is known, oldest first. */
static void
hosts_run(void)
{
	struct hosts_req	*r;
	char			 suffix[IN_HOSTSZ], err[IN_ERRSZ];
	int			 status;

	while ((r = TAILQ_FIRST(&hosts_reqs)) != NULL && r->ended &&
	    (r->n == 0 || r->known)) {
		TAILQ_REMOVE(&hosts_reqs, r, entry);
		hosts_nreqs--;
		if (r->status != 0)
			hosts_answer(r->id, r->status, r->err);
		else {
			hosts_suffix(r->network, netopts_find(r->network),
			    suffix, sizeof(suffix));
			status = hosts_apply(conf->global.hosts_file,
			    r->network, suffix, &r->net, conf->ranges,
			    conf->nranges, r->ents, r->n, err, sizeof(err));
			hosts_answer(r->id, status, err);
		}
		/* a large network's lines are not kept */
		free(r->ents);
		free(r);
	}
}

/* The section the engine is sending, or a new one. */
static struct hosts_req *
hosts_req_open(uint32_t id)
{
	struct hosts_req	*r;

	if ((r = TAILQ_LAST(&hosts_reqs, hosts_reqs)) != NULL && !r->ended) {
		if (r->id != id)
			fatalx("engine: interleaved hosts sections");
		return (r);
	}
	if (hosts_nreqs >= 2 * IN_MAXNETWORKS)
		fatalx("engine: too many hosts sections at once");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(NULL);
	r->id = id;
	TAILQ_INSERT_TAIL(&hosts_reqs, r, entry);
	hosts_nreqs++;
	return (r);
}

void
hosts_line(struct proc_pipe *p, struct imsg *imsg, const struct in_hostent *he)
{
	struct hosts_req	*r = hosts_req_open(imsg->hdr.peerid);
	struct in_hostent	*nv;
	size_t			 cap;

	if (!in_str_ok(he->ifname) || !in_str_ok(he->name))
		proc_bad(p, imsg, "unterminated string");
	if (r->n >= IN_MAXNETPEERS)
		proc_bad(p, imsg, "more lines than a network has peers");
	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 256;
		if ((nv = reallocarray(r->ents, cap, sizeof(*nv))) == NULL)
			fatal(NULL);
		r->ents = nv;
		r->cap = cap;
	}
	r->ents[r->n++] = *he;
}

void
hosts_end(const struct in_netreq *nr, uint32_t id)
{
	struct hosts_req	*r = hosts_req_open(id);
	struct in_netreq	 req;

	r->ended = 1;
	if (!in_str_ok(nr->network) || !in_ifname_ok(nr->network)) {
		r->known = 1;
		r->status = 400;
		strlcpy(r->err, "hosts: invalid network name", sizeof(r->err));
	} else if (r->n > 0) {
		strlcpy(r->network, nr->network, sizeof(r->network));
		r->link_id = ++hosts_link_ids;
		memset(&req, 0, sizeof(req));
		strlcpy(req.network, nr->network, sizeof(req.network));
		proc_compose(hosts_wgd, IMSG_PARENT_LINK_REQ,
		    r->link_id, &req, sizeof(req));
	} else
		strlcpy(r->network, nr->network, sizeof(r->network));
	hosts_run();
}

static struct hosts_req *
hosts_req_asked(uint32_t link_id)
{
	struct hosts_req	*r;

	TAILQ_FOREACH(r, &hosts_reqs, entry)
		if (r->ended && !r->known && r->n > 0 &&
		    r->link_id == link_id)
			return (r);
	fatalx("wgd: answer to an unknown request");
}

void
hosts_link(const struct in_linknet *ln, uint32_t link_id)
{
	struct hosts_req	*r = hosts_req_asked(link_id);

	if (!in_str_ok(ln->network) || strcmp(ln->network, r->network) != 0)
		fatalx("wgd: PARENT_LINK for another network");
	r->known = 1;
	r->net = ln->net;
	hosts_run();
}

void
hosts_link_refused(const struct in_error *e, uint32_t link_id)
{
	struct hosts_req	*r = hosts_req_asked(link_id);

	if (!in_str_ok(e->msg))
		fatalx("wgd: unterminated string in WG_ERR");
	r->known = 1;
	r->status = e->status;
	strlcpy(r->err, e->msg, sizeof(r->err));
	hosts_run();
}
