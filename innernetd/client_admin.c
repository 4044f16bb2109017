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
 * Admin verbs from a client host: the server's admin API over the
 * tunnel, one request, or the whole admin view for the verbs that
 * read it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <evhttp.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <jansson.h>

#include "compat.h"
#include "engine.h"
#include "client.h"

/* Admin verbs from this peer: the server's admin API over the tunnel. */

struct adminctx {
	server_cb	 cb;
	void		*arg;
	struct net_ref	 ref;
	int		 step;
	json_t		*peers, *cidrs;
};

static void
admin_done(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct adminctx	*ac = arg;

	if (status == 0)
		status = 502;
	reply(ac->cb, ac->arg, status, err, json_incref(j));
}

static enum evhttp_cmd_type
method(const char *m)
{
	if (strcmp(m, "POST") == 0)
		return (EVHTTP_REQ_POST);
	if (strcmp(m, "PUT") == 0)
		return (EVHTTP_REQ_PUT);
	if (strcmp(m, "DELETE") == 0)
		return (EVHTTP_REQ_DELETE);
	return (EVHTTP_REQ_GET);
}

void
client_admin(struct engine_net *en, const char *m, const char *path,
    json_t *body, server_cb cb, void *arg)
{
	struct adminctx	ac;

	memset(&ac, 0, sizeof(ac));
	ac.cb = cb;
	ac.arg = arg;
	if (chttp(&en->net, method(m), path, body, NULL, admin_done, &ac,
	    sizeof(ac)) == -1)
		replyf(cb, arg, 500, "cannot make the request");
}

static void	view_next(struct adminctx *, struct engine_net *);

static void
view_got(void *arg, int status, const char *err, json_t *j,
    const char *etag)
{
	struct adminctx		*ac = arg;
	struct engine_net	*en;
	json_t			*st;
	char			 e[IN_ERRSZ * 2];

	if ((en = engine_net_find(ac->ref.name)) == NULL) {
		reply(ac->cb, ac->arg, 410, "the network went away", NULL);
		goto done;
	}
	if (status != 200) {
		reply(ac->cb, ac->arg, status == 0 ? 502 : status, err, NULL);
		goto done;
	}
	switch (ac->step++) {
	case 0:
		ac->peers = json_incref(j);
		view_next(ac, en);
		return;
	case 1:
		ac->cidrs = json_incref(j);
		view_next(ac, en);
		return;
	}
	ns_clear(&en->state);
	st = json_pack("{s:O, s:O}", "peers", ac->peers, "cidrs", ac->cidrs);
	if (st == NULL || !json_is_array(j) || json_to_state(st, &en->state, j,
	    e, sizeof(e)) == -1) {
		ns_clear(&en->state);
		reply(ac->cb, ac->arg, 502, st == NULL ? "out of memory" :
		    !json_is_array(j) ? "associations are not a list" : e,
		    NULL);
	} else
		reply(ac->cb, ac->arg, 200, NULL, NULL);
	json_decref(st);
 done:
	json_decref(ac->peers);
	json_decref(ac->cidrs);
}

static void
view_next(struct adminctx *ac, struct engine_net *en)
{
	static const char	*paths[] = { "/admin/peers", "/admin/cidrs",
				    "/admin/associations" };

	/* the next request's copy takes the references along */
	if (chttp(&en->net, EVHTTP_REQ_GET, paths[ac->step], NULL, NULL,
	    view_got, ac, sizeof(*ac)) == -1) {
		reply(ac->cb, ac->arg, 500, "cannot make the request", NULL);
		json_decref(ac->peers);
		json_decref(ac->cidrs);
	}
}

void
client_admin_view(struct engine_net *en, server_cb cb, void *arg)
{
	struct adminctx	ac;

	memset(&ac, 0, sizeof(ac));
	ac.cb = cb;
	ac.arg = arg;
	strlcpy(ac.ref.name, en->net.name, sizeof(ac.ref.name));
	view_next(&ac, en);
}
