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
 * pledge(2) for Linux: every promise names the system calls it allows; the
 * union becomes a seccomp-bpf program whose default is to kill the whole
 * process.  socket() is allowed only for the address families a promise
 * grants (netlink only for routing and generic netlink), ioctl() only
 * for a few harmless requests.  The call numbers are the architecture's
 * own: a table per architecture below, and none means no build.  Each
 * call stacks one more filter, so a later pledge can only narrow what
 * an earlier allowed.
 */

#ifdef __linux__

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "compat.h"

#define FAM_UNIX		0x01
#define FAM_INET		0x02
#define FAM_NETLINK	0x04

struct promise {
	const char	*name;
	unsigned int	 families;
	const int	*calls;
	const int	*arch_calls;
};

#define END	-1

/*
 * The architecture: which audit arch the kernel reports for our calls,
 * and the calls each promise needs beyond the generic ones below (the
 * old path-taking calls, 64-bit file calls and 32-bit ids of 32-bit
 * ABIs, calls newer ABIs dropped).  A filter for the wrong table would
 * kill the process at its first call, or let calls through unchecked:
 * an architecture without a table does not build.
 */
#if defined(__x86_64__) && defined(__ILP32__)
#error "x32: no seccomp table for this ABI"
#elif defined(__x86_64__)

#define SANDBOX_AUDIT_ARCH	AUDIT_ARCH_X86_64
#define SANDBOX_X32_BIT		0x40000000	/* x32 numbers: refused */
static const int arch_stdio[] = {
	SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getresuid,
	SYS_getresgid, SYS_fstat, SYS_newfstatat, SYS_lseek, SYS_mmap,
	SYS_fcntl, SYS_sendfile, SYS_pipe, SYS_dup2, SYS_time,
	SYS_epoll_create, SYS_epoll_wait, SYS_poll, SYS_select,
	SYS_getrlimit, END
};
static const int arch_rpath[] = {
	SYS_open, SYS_stat, SYS_lstat, SYS_access, SYS_readlink,
	SYS_newfstatat, SYS_statfs, SYS_fstatfs, END
};
static const int arch_wpath[] = { SYS_open, SYS_truncate, SYS_ftruncate,
    END };
static const int arch_cpath[] = {
	SYS_open, SYS_mkdir, SYS_rmdir, SYS_unlink, SYS_rename,
	SYS_renameat, SYS_link, SYS_symlink, END
};
static const int arch_fattr[] = { SYS_chmod, SYS_chown, SYS_lchown,
    SYS_fchown, END };
static const int arch_sock[] = { SYS_accept, END };
static const int arch_proc[] = { SYS_fork, SYS_vfork, END };
static const int arch_id[] = {
	SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid,
	SYS_setresgid, SYS_setgroups, END
};

#elif defined(__aarch64__) && defined(__AARCH64EL__)

#define SANDBOX_AUDIT_ARCH	AUDIT_ARCH_AARCH64
static const int arch_stdio[] = {
	SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getresuid,
	SYS_getresgid, SYS_fstat, SYS_newfstatat, SYS_lseek, SYS_mmap,
	SYS_fcntl, SYS_sendfile, SYS_getrlimit, END
};
static const int arch_rpath[] = { SYS_newfstatat, SYS_statfs,
    SYS_fstatfs, END };
static const int arch_wpath[] = { SYS_truncate, SYS_ftruncate, END };
static const int arch_cpath[] = { SYS_renameat, END };
static const int arch_fattr[] = { SYS_fchown, END };
static const int arch_sock[] = { SYS_accept, END };
static const int arch_proc[] = { END };
static const int arch_id[] = {
	SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid,
	SYS_setresgid, SYS_setgroups, END
};

#elif defined(__i386__) || (defined(__arm__) && defined(__ARMEL__) && \
    defined(__ARM_EABI__))

/*
 * The 32-bit ABIs: 32-bit ids, 64-bit file offsets, and the *_time64
 * calls a libc with a 64-bit time_t makes.  i386's socketcall(2), which
 * hides its arguments behind a pointer, is not allowed: libc makes the
 * direct socket calls the kernel has had since 4.3.
 */
#ifdef __i386__
#define SANDBOX_AUDIT_ARCH	AUDIT_ARCH_I386
#else
#define SANDBOX_AUDIT_ARCH	AUDIT_ARCH_ARM
#endif
static const int arch_stdio[] = {
	SYS_getuid32, SYS_geteuid32, SYS_getgid32, SYS_getegid32,
	SYS_getresuid32, SYS_getresgid32, SYS_fstat64, SYS_fstatat64,
	SYS__llseek, SYS_mmap2, SYS_fcntl64, SYS_sendfile64, SYS_pipe,
	SYS_dup2, SYS_epoll_create, SYS_epoll_wait, SYS_poll,
	SYS__newselect, SYS_ugetrlimit, SYS_sigreturn,
#ifdef SYS_lseek
	SYS_lseek,
#endif
#ifdef SYS_time
	SYS_time,
#endif
#ifdef SYS_clock_gettime64
	SYS_clock_gettime64, SYS_clock_getres_time64,
	SYS_clock_nanosleep_time64, SYS_futex_time64, SYS_ppoll_time64,
	SYS_pselect6_time64, SYS_recvmmsg_time64,
#endif
	END
};
static const int arch_rpath[] = {
	SYS_open, SYS_stat64, SYS_lstat64, SYS_access, SYS_readlink,
	SYS_fstatat64, SYS_statfs64, SYS_fstatfs64, END
};
static const int arch_wpath[] = { SYS_open, SYS_truncate64,
    SYS_ftruncate64, END };
static const int arch_cpath[] = {
	SYS_open, SYS_mkdir, SYS_rmdir, SYS_unlink, SYS_rename,
	SYS_renameat, SYS_link, SYS_symlink, END
};
static const int arch_fattr[] = {
	SYS_chmod, SYS_chown32, SYS_lchown32, SYS_fchown32,
#ifdef SYS_utimensat_time64
	SYS_utimensat_time64,
#endif
	END
};
#ifdef __i386__
static const int arch_sock[] = { END };
#else
static const int arch_sock[] = { SYS_accept, END };
#endif
static const int arch_proc[] = { SYS_fork, SYS_vfork, END };
static const int arch_id[] = {
	SYS_setuid32, SYS_setgid32, SYS_setreuid32, SYS_setregid32,
	SYS_setresuid32, SYS_setresgid32, SYS_setgroups32, END
};

#else
#error "no seccomp table for this architecture: add one to pledge_linux.c"
#endif

/* The generic calls: the same name on every architecture above. */
static const int stdio_calls[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64,
	SYS_pwrite64, SYS_close, SYS_dup, SYS_dup3, SYS_pipe2,
	SYS_fsync, SYS_fdatasync,
	SYS_brk, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_madvise,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_sigaltstack, SYS_exit, SYS_exit_group, SYS_restart_syscall,
	SYS_getpid, SYS_gettid, SYS_getppid,
	SYS_getrandom, SYS_clock_gettime, SYS_clock_getres,
	SYS_gettimeofday, SYS_nanosleep, SYS_clock_nanosleep,
	SYS_sched_yield, SYS_futex, SYS_set_robust_list, SYS_rseq,
	/* the event loop */
	SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_pwait, SYS_ppoll,
	SYS_pselect6, SYS_eventfd2,
	/* on descriptors already open */
	SYS_sendmsg, SYS_recvmsg, SYS_sendto, SYS_recvfrom, SYS_shutdown,
	SYS_getsockopt, SYS_setsockopt, SYS_getsockname, SYS_getpeername,
	/* a file with no name anywhere, like a pipe: documents to send */
	SYS_memfd_create,
	/* abort() */
	SYS_tgkill,
	SYS_prlimit64, SYS_uname, SYS_sysinfo, SYS_umask,
	END
};
static const int rpath_calls[] = {
	SYS_openat, SYS_statx, SYS_faccessat,
#ifdef SYS_faccessat2
	SYS_faccessat2,
#endif
	SYS_readlinkat, SYS_getdents64, SYS_getcwd, SYS_chdir, SYS_fchdir,
	END
};
static const int wpath_calls[] = {
	SYS_openat, SYS_fallocate, SYS_getcwd, END
};
static const int cpath_calls[] = {
	SYS_openat, SYS_mkdirat, SYS_unlinkat, SYS_renameat2, SYS_linkat,
	SYS_symlinkat, END
};
static const int fattr_calls[] = {
	SYS_fchmod, SYS_fchmodat, SYS_fchownat, SYS_utimensat, END
};
static const int flock_calls[] = { SYS_flock, END };
static const int sock_calls[] = {
	SYS_socketpair, SYS_bind, SYS_connect, SYS_listen, SYS_accept4, END
};
static const int dns_calls[] = { SYS_connect, SYS_bind, END };
static const int none_calls[] = { END };
static const int proc_calls[] = {
	SYS_clone, SYS_kill, SYS_wait4, SYS_waitid, SYS_setpgid,
	SYS_getpgid, SYS_setsid, END
};
static const int exec_calls[] = { SYS_execve, SYS_execveat, END };
static const int id_calls[] = { SYS_capget, SYS_capset, END };

static const struct promise promises[] = {
	{ "stdio",	0,		stdio_calls,	arch_stdio },
	{ "rpath",	0,		rpath_calls,	arch_rpath },
	{ "wpath",	0,		wpath_calls,	arch_wpath },
	{ "cpath",	0,		cpath_calls,	arch_cpath },
	{ "fattr",	0,		fattr_calls,	arch_fattr },
	{ "flock",	0,		flock_calls,	none_calls },
	{ "unix",	FAM_UNIX,	sock_calls,	arch_sock },
	{ "inet",	FAM_INET,	sock_calls,	arch_sock },
	{ "dns",	FAM_INET,	dns_calls,	none_calls },
	{ "route",	FAM_NETLINK,	sock_calls,	arch_sock },
	{ "wroute",	FAM_NETLINK,	sock_calls,	arch_sock },
	{ "sendfd",	0,		none_calls,	none_calls },
	{ "recvfd",	0,		none_calls,	none_calls },
	{ "proc",	0,		proc_calls,	arch_proc },
	{ "exec",	0,		exec_calls,	none_calls },
	{ "id",		0,		id_calls,	arch_id },
};

/* ioctl requests any process may make. */
static const unsigned long ioctl_ok[] = { FIONBIO, FIONREAD, TCGETS,
    TIOCGWINSZ };

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define NCALLS	512

static char	pledge_state[160] = "none";

const char	*sandbox_landlock_state(void);

const char *
sandbox_state(void)
{
	static char	buf[256];

	snprintf(buf, sizeof(buf), "%s, %s", pledge_state,
	    sandbox_landlock_state());
	return (buf);
}

static int
emit(struct sock_filter *prog, size_t *n, size_t max, struct sock_filter f)
{
	if (*n >= max)
		return (-1);
	prog[(*n)++] = f;
	return (0);
}

#define EMIT(f)	do { if (emit(prog, &n, nitems_prog, (f)) == -1)	\
		goto toolong; } while (0)

/* Mark a promise's calls allowed; a number past the table is a bug. */
static int
allow_calls(unsigned char *allowed, const int *c)
{
	for (; *c != END; c++) {
		if (*c < 0 || *c >= NCALLS)
			return (-1);
		allowed[*c] = 1;
	}
	return (0);
}

int
pledge(const char *promstr, const char *execpromises)
{
	static const size_t	 nitems_prog = 2 * NCALLS + 64;
	struct sock_filter	*prog;
	struct sock_fprog	 fprog;
	unsigned char		 allowed[NCALLS];
	unsigned int		 families = 0, kill_action;
	char			*copy, *word, *sp;
	size_t			 i, n = 0, found;
	int			 nr, saved;

	(void)execpromises;
	if (promstr == NULL)
		return (0);
	memset(allowed, 0, sizeof(allowed));
	if ((copy = strdup(promstr)) == NULL)
		return (-1);
	for (word = strtok_r(copy, " ", &sp); word != NULL;
	    word = strtok_r(NULL, " ", &sp)) {
		found = 0;
		for (i = 0; i < nitems(promises); i++) {
			if (strcmp(word, promises[i].name) != 0)
				continue;
			found = 1;
			families |= promises[i].families;
			if (allow_calls(allowed, promises[i].calls) == -1 ||
			    allow_calls(allowed, promises[i].arch_calls) ==
			    -1) {
				free(copy);
				errno = E2BIG;
				return (-1);
			}
		}
		if (!found) {
			free(copy);
			errno = EINVAL;
			return (-1);
		}
	}
	free(copy);
	if (families != 0)
		allowed[SYS_socket] = 0;	/* checked by family below */
	allowed[SYS_ioctl] = 0;			/* checked by request */

	kill_action = SECCOMP_RET_KILL_PROCESS;
#ifdef IN_REGRESS
	/* Regress builds only: find what a new code path calls. */
	if (getenv("INNERNET_SANDBOX_LOG") != NULL)
		kill_action = SECCOMP_RET_LOG;
#endif

	if ((prog = calloc(nitems_prog, sizeof(*prog))) == NULL)
		return (-1);

	/* Only calls of the architecture whose table we compiled. */
	EMIT(((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch))));
	EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SANDBOX_AUDIT_ARCH, 1, 0)));
	EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS)));
	EMIT(((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr))));
#ifdef SANDBOX_X32_BIT
	EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    SANDBOX_X32_BIT, 0, 1)));
	EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS)));
#endif
	for (nr = 0; nr < NCALLS; nr++) {
		if (!allowed[nr])
			continue;
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    nr, 0, 1)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ALLOW)));
	}

	/*
	 * Opening a file without a file promise fails with EACCES rather
	 * than killing, as OpenSSH's sandbox does: libraries probe files
	 * (libc falls back to /dev/urandom) and cope with a refusal, and the
	 * chroot and Landlock already deny every path.
	 */
	if (!allowed[SYS_openat]) {
#ifdef SYS_open
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    SYS_open, 1, 0)));
#endif
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    SYS_openat, 0, 1)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA))));
	}

	/* ioctl: a short list of requests, by the second argument. */
	EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SYS_ioctl, 0, 2 * nitems(ioctl_ok) + 2)));
	EMIT(((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, args[1]))));
	for (i = 0; i < nitems(ioctl_ok); i++) {
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    ioctl_ok[i], 0, 1)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ALLOW)));
	}
	EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, kill_action)));

	/*
	 * socket: only the families promised, by the first argument; a
	 * netlink socket only for routing and generic netlink (WireGuard),
	 * by the third: no netfilter, xfrm, audit or uevents.
	 */
	if (families != 0) {
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    SYS_socket, 0, 12)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, args[0]))));
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    AF_UNIX, 0, 1)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    (families & FAM_UNIX) ? SECCOMP_RET_ALLOW : kill_action)));
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    AF_INET, 1, 0)));
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    AF_INET6, 0, 1)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    (families & FAM_INET) ? SECCOMP_RET_ALLOW : kill_action)));
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    AF_NETLINK, 0, 5)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, args[2]))));
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    NETLINK_ROUTE, 2, 0)));
		EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    NETLINK_GENERIC, 1, 0)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    kill_action)));
		EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    (families & FAM_NETLINK) ? SECCOMP_RET_ALLOW :
		    kill_action)));
	}
	EMIT(((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, kill_action)));

	fprog.len = n;
	fprog.filter = prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == -1) {
		saved = errno;
		free(prog);
		errno = saved;
		return (-1);
	}
	free(prog);
	snprintf(pledge_state, sizeof(pledge_state), "seccomp \"%s\"%s",
	    promstr, kill_action == SECCOMP_RET_LOG ? " (log only)" : "");
	return (0);

toolong:
	free(prog);
	errno = E2BIG;
	return (-1);
}

#else /* !__linux__ */

const char *
sandbox_state(void)
{
	return ("pledge, unveil");
}

#endif
