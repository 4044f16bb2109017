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


/* libFuzzer target: arbitrary bytes as an invitation file. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "innernetctl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct invitation	inv, back;
	char			err[256], buf[8192];

	if (invite_parse((const char *)data, len, &inv, err,
	    sizeof(err)) == -1)
		return (0);
	/* Whatever is accepted must write out and read back the same. */
	if (invite_format(&inv, buf, sizeof(buf)) == -1 ||
	    invite_parse(buf, strlen(buf), &back, err, sizeof(err)) == -1 ||
	    memcmp(&inv, &back, sizeof(inv)) != 0)
		abort();
	return (0);
}
