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
 * unveil(2) for Linux with Landlock: each call records a path and its
 * permissions; unveil(NULL, NULL) turns the records into a ruleset that
 * handles every filesystem right the running kernel knows, so whatever
 * was not unveiled is refused.  The same ruleset scopes the process
 * where the kernel can (ABI 6): it may neither signal nor connect to an
 * abstract UNIX socket of a process outside its own sandbox.  After
 * unveil_no_tcp() it handles TCP bind and connect (ABI 4) with no rule
 * allowing any port.  Without Landlock this does nothing and says so in
 * sandbox_state().
 */

#ifdef __linux__

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "compat.h"

/* Rights by number: the installed header may predate newer ABIs. */
#define LL_EXECUTE	(1ULL << 0)
#define LL_WRITE_FILE	(1ULL << 1)
#define LL_READ_FILE	(1ULL << 2)
#define LL_READ_DIR	(1ULL << 3)
#define LL_REMOVE_DIR	(1ULL << 4)
#define LL_REMOVE_FILE	(1ULL << 5)
#define LL_MAKE_CHAR	(1ULL << 6)
#define LL_MAKE_DIR	(1ULL << 7)
#define LL_MAKE_REG	(1ULL << 8)
#define LL_MAKE_SOCK	(1ULL << 9)
#define LL_MAKE_FIFO	(1ULL << 10)
#define LL_MAKE_BLOCK	(1ULL << 11)
#define LL_MAKE_SYM	(1ULL << 12)
#define LL_REFER	(1ULL << 13)	/* ABI 2 */
#define LL_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#define LL_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */

/* Network rights (ABI 4) and scopes (ABI 6). */
#define LL_NET_BIND_TCP		(1ULL << 0)
#define LL_NET_CONNECT_TCP	(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)
#define LL_SCOPE_SIGNAL		(1ULL << 1)

/*
 * struct landlock_ruleset_attr as of ABI 6; the kernel takes a longer
 * struct than it knows as long as the fields it does not know are zero.
 */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};

#define LL_FILE_RIGHTS	(LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | \
	LL_TRUNCATE | LL_IOCTL_DEV)

#define MAXUNVEIL	32

struct unveil_rule {
	char		*path;
	uint64_t	 rights;
};

static struct unveil_rule	rules[MAXUNVEIL];
static size_t			nrules;
static int			no_tcp;
static char			landlock_state[96] = "no landlock";

const char	*sandbox_landlock_state(void);

const char *
sandbox_landlock_state(void)
{
	return (landlock_state);
}

static uint64_t
abi_rights(int abi)
{
	uint64_t	r = (LL_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		r |= LL_REFER;
	if (abi >= 3)
		r |= LL_TRUNCATE;
	if (abi >= 5)
		r |= LL_IOCTL_DEV;
	return (r);
}

/*
 * No TCP at all for this process, where the kernel can refuse it: no
 * bind, no connect, on any port.  Takes effect with unveil(NULL, NULL).
 */
void
unveil_no_tcp(void)
{
	no_tcp = 1;
}

static int
perms_rights(const char *perms, uint64_t *rights)
{
	*rights = 0;
	for (; *perms != '\0'; perms++) {
		switch (*perms) {
		case 'r':
			*rights |= LL_READ_FILE | LL_READ_DIR;
			break;
		case 'w':
			*rights |= LL_WRITE_FILE | LL_TRUNCATE;
			break;
		case 'x':
			*rights |= LL_EXECUTE;
			break;
		case 'c':
			*rights |= LL_MAKE_REG | LL_MAKE_DIR | LL_MAKE_SOCK |
			    LL_MAKE_FIFO | LL_MAKE_SYM | LL_REMOVE_FILE |
			    LL_REMOVE_DIR | LL_REFER;
			break;
		default:
			return (-1);
		}
	}
	return (0);
}

static int
unveil_commit(void)
{
	struct ll_ruleset_attr		 attr;
	struct landlock_path_beneath_attr pb;
	struct stat			 st;
	uint64_t			 handled;
	size_t				 i;
	int				 abi, rfd, fd, saved;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		snprintf(landlock_state, sizeof(landlock_state),
		    "landlock unavailable");
		return (0);
	}
	handled = abi_rights(abi);
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	if (no_tcp && abi >= 4)
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	if ((rfd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr),
	    0)) < 0)
		return (-1);
	for (i = 0; i < nrules; i++) {
		if ((fd = open(rules[i].path, O_PATH | O_CLOEXEC)) == -1)
			goto fail;
		if (fstat(fd, &st) == -1) {
			close(fd);
			goto fail;
		}
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = rules[i].rights & handled;
		if (!S_ISDIR(st.st_mode))
			pb.allowed_access &= LL_FILE_RIGHTS;
		pb.parent_fd = fd;
		if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule,
		    rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
			close(fd);
			goto fail;
		}
		close(fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, rfd, 0) != 0)
		goto fail;
	close(rfd);
	snprintf(landlock_state, sizeof(landlock_state),
	    "landlock abi %d, %zu path%s%s%s", abi, nrules,
	    nrules == 1 ? "" : "s", attr.handled_access_net ? ", no tcp" : "",
	    attr.scoped ? ", scoped" : "");
	return (0);
fail:
	saved = errno;
	close(rfd);
	errno = saved;
	return (-1);
}

int
unveil(const char *path, const char *perms)
{
	struct stat	 st;
	uint64_t	 rights;
	size_t		 i;

	if (path == NULL && perms == NULL)
		return (unveil_commit());
	if (path == NULL || perms == NULL || perms_rights(perms, &rights)) {
		errno = EINVAL;
		return (-1);
	}
	if (stat(path, &st) == -1)
		return (-1);
	for (i = 0; i < nrules; i++)
		if (strcmp(rules[i].path, path) == 0) {
			rules[i].rights = rights;
			return (0);
		}
	if (nrules >= MAXUNVEIL) {
		errno = E2BIG;
		return (-1);
	}
	if ((rules[nrules].path = strdup(path)) == NULL)
		return (-1);
	rules[nrules++].rights = rights;
	return (0);
}

#endif /* __linux__ */
