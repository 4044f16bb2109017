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
 * What the platform lacks.  On OpenBSD, pledge(2) and unveil(2) are the
 * kernel's; on Linux they are ours: pledge compiles promises into a
 * seccomp-bpf allowlist, unveil collects paths for a Landlock ruleset.
 */

#ifndef COMPAT_H
#define COMPAT_H

#include <unistd.h>

#ifdef __linux__
int		 pledge(const char *, const char *);
int		 unveil(const char *, const char *);
void		 unveil_no_tcp(void);
#else
#define unveil_no_tcp()	do { } while (0)	/* pledge without inet */
#endif
const char	*sandbox_state(void);
void		 memtrim_start(void);	/* memtrim.c, after event_init */
void		 memtrim_poke(void);	/* work arrived: trim soon */

/*
 * In a sanitizer build (make SAN=1), LeakSanitizer's check at exit stops
 * the process with ptrace, which no sandbox of ours allows: a daemon
 * would die of SIGSYS on its way out.  The daemons leave leak checks to
 * the unit tests and the fuzzers, which run unsandboxed.
 */
#ifdef IN_SANITIZE
#define DAEMON_SANITIZER_OPTIONS					\
	const char *__asan_default_options(void);			\
	const char *__asan_default_options(void)			\
	{ return ("detect_leaks=0"); }
#else
#define DAEMON_SANITIZER_OPTIONS
#endif

#endif /* COMPAT_H */
