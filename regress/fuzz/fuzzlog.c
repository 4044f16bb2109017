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
 * log.c for the dispatch harnesses: every message is formatted, as a
 * daemon would, so a bad argument still shows, and then dropped.  A
 * fatal error, where the daemon would exit, returns to the harness
 * through fuzz_fatal_jmp, which resets the process's state; outside a
 * dispatch it is the harness's own bug and aborts.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "innernet.h"
#include "fuzzlog.h"

jmp_buf		*fuzz_fatal_jmp;
unsigned long	 fuzz_fatals;
static int	 verbose;

void
log_init(int to_stderr, int facility)
{
}

void
log_procinit(const char *name)
{
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return (verbose);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (getenv("FUZZ_SHOW") != NULL)
		fprintf(stderr, "%s\n", buf);
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

static __attribute__((__noreturn__)) void
fuzz_fatal(void)
{
	jmp_buf	*j = fuzz_fatal_jmp;

	if (j == NULL)
		abort();
	fuzz_fatal_jmp = NULL;
	fuzz_fatals++;
	longjmp(*j, 1);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vlog(0, fmt, ap);
		va_end(ap);
	}
	fuzz_fatal();
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vlog(0, fmt, ap);
		va_end(ap);
	}
	fuzz_fatal();
}
