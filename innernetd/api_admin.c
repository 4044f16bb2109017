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
 * /v1/admin/...: peers, CIDRs and associations, for enabled, redeemed
 * admin peers.  Collections take GET and POST, members ("/{id}") PUT and
 * DELETE; an id that is not a number is an unknown route (404), as
 * upstream.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

enum admin_table { ADMIN_PEERS, ADMIN_CIDRS, ADMIN_ASSOCS };

/* An i64 as Rust parses it: optional sign, digits only, in range. */
static int
parse_id(const char *s, int64_t *id)
{
	char		*end;
	long long	 v;

	if (*s == '\0' || !(*s == '+' || *s == '-' ||
	    (*s >= '0' && *s <= '9')))
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s ||
	    ((*s == '+' || *s == '-') && end == s + 1))
		return (-1);
	*id = v;
	return (0);
}

static json_t *
body_or_400(struct api_req *ar)
{
	json_t	*body;

	if ((body = api_body(ar)) == NULL)
		api_done(ar, 400, "invalid JSON", NULL);
	return (body);
}

static void
admin_collection(struct api_req *ar, struct engine_net *en,
    enum admin_table t, int method)
{
	json_t	*body;

	if (method == API_GET) {
		if (t == ADMIN_PEERS)
			server_peers_list(en, api_done, ar);
		else if (t == ADMIN_CIDRS)
			server_cidrs_list(en, api_done, ar);
		else
			server_assocs_list(en, api_done, ar);
		return;
	}
	if (method != API_POST) {
		api_done(ar, 404, NULL, NULL);
		return;
	}
	if ((body = body_or_400(ar)) == NULL)
		return;
	if (t == ADMIN_PEERS)
		server_peer_add(en, body, api_done, ar);
	else if (t == ADMIN_CIDRS)
		server_cidr_add(en, body, api_done, ar);
	else
		server_assoc_add(en, body, api_done_empty, ar);
	json_decref(body);
}

/*
 * An admin disabling the peer it calls from would lose its own answer
 * with its tunnel, and the network its admin: refused.
 */
static int
disables_caller(struct ns_peer *caller, int64_t id, int method, json_t *body)
{
	if (id != caller->p.id)
		return (0);
	if (method == API_DELETE)
		return (1);
	return (json_is_true(json_object_get(body, "is_disabled")));
}

static void
admin_member(struct api_req *ar, struct engine_net *en,
    struct ns_peer *caller, enum admin_table t, int method,
    const char *idstr)
{
	json_t	*body;
	int64_t	 id;

	if ((method != API_PUT && method != API_DELETE) ||
	    (method == API_PUT && t == ADMIN_ASSOCS) ||
	    parse_id(idstr, &id) == -1) {
		api_done(ar, 404, NULL, NULL);
		return;
	}
	if (method == API_DELETE) {
		if (t == ADMIN_PEERS && disables_caller(caller, id, method,
		    NULL))
			api_done(ar, 400, "you cannot disable the peer you "
			    "are calling from", NULL);
		else if (t == ADMIN_PEERS)
			server_peer_disable(en, id, api_done, ar);
		else if (t == ADMIN_CIDRS)
			server_cidr_delete(en, id, api_done, ar);
		else
			server_assoc_delete(en, id, api_done, ar);
		return;
	}
	if ((body = body_or_400(ar)) == NULL)
		return;
	if (t == ADMIN_PEERS && disables_caller(caller, id, method, body))
		api_done(ar, 400, "you cannot disable the peer you are "
		    "calling from", NULL);
	else if (t == ADMIN_PEERS)
		server_peer_update(en, id, body, api_done, ar);
	else
		server_cidr_update(en, id, body, api_done, ar);
	json_decref(body);
}

void
api_admin(struct api_req *ar, struct engine_net *en, struct ns_peer *caller,
    int method, char **comps, int n)
{
	enum admin_table	t;

	if (!caller->p.is_admin || caller->p.is_disabled ||
	    !caller->p.is_redeemed) {
		api_done(ar, 401, "not an admin", NULL);
		return;
	}
	if (n < 1) {
		api_done(ar, 404, NULL, NULL);
		return;
	}
	if (strcmp(comps[0], "peers") == 0)
		t = ADMIN_PEERS;
	else if (strcmp(comps[0], "cidrs") == 0)
		t = ADMIN_CIDRS;
	else if (strcmp(comps[0], "associations") == 0)
		t = ADMIN_ASSOCS;
	else {
		api_done(ar, 404, NULL, NULL);
		return;
	}
	/* "/v1/admin/cidrs/5/extra" is no route, not CIDR 5 */
	if (n == 1)
		admin_collection(ar, en, t, method);
	else if (n == 2)
		admin_member(ar, en, caller, t, method, comps[1]);
	else
		api_done(ar, 404, NULL, NULL);
}
