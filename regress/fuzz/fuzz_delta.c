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
 * What a watching client takes from the server (innernetd/cwatch.c,
 * delta.c): the first byte picks a body that is gzip or not, then the
 * JSON is applied as a delta to a state held; the result, if taken,
 * must still be a state whose rows all have ids.  Also versions.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"
#include "delta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *held = "{\"peers\":[{\"id\":2,\"name\":\"a\"},"
    "{\"id\":5,\"name\":\"b\"}],\"cidrs\":[{\"id\":1},{\"id\":2}]}";

static void
rows_have_ids(json_t *a)
{
	size_t	 i;
	json_t	*o;

	if (!json_is_array(a))
		abort();
	json_array_foreach(a, i, o)
		if (!json_is_integer(json_object_get(o, "id")))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t		*state, *delta;
	uint8_t		*plain = NULL;
	const uint8_t	*body;
	size_t		 len;
	char		 err[256], v[64];
	uint64_t	 e, c;

	if (size < 1)
		return (0);
	body = data + 1;
	len = size - 1;
	if (data[0] & 1) {
		if (gz_inflate(body, len, 1 << 20, &plain, &len) == -1)
			return (0);
		body = plain;
	}
	if (len < sizeof(v)) {
		memcpy(v, body, len);
		v[len] = '\0';
		if (delta_version_parse(v, &e, &c) == 0 && e != 0) {
			delta_version_str(e, c, err, sizeof(err));
			if (strcmp(err, v) != 0)
				abort();
		}
	}
	if ((delta = json_loadb((const char *)body, len, 0, NULL)) != NULL) {
		state = json_loads(held, 0, NULL);
		if (delta_apply(state, delta, err, sizeof(err)) == 0) {
			rows_have_ids(json_object_get(state, "peers"));
			rows_have_ids(json_object_get(state, "cidrs"));
		}
		json_decref(state);
		json_decref(delta);
	}
	free(plain);
	return (0);
}
