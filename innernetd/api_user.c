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
 * /v1/user/...: what every peer may ask about itself.  The order of the
 * checks is upstream's: route, then who is asking, then the body.
 */

#include <sys/types.h>

#include <string.h>

#include "engine_local.h"

static int
user_capable(const struct ns_peer *p)
{
	return (!p->p.is_disabled && p->p.is_redeemed);
}

static int
redeemable(const struct ns_peer *p)
{
	return (!p->p.is_disabled && !p->p.is_redeemed);
}

void
api_user(struct api_req *ar, struct engine_net *en, struct ns_peer *caller,
    int method, char **comps, int n)
{
	/* exactly one component: "/v1/user/state/x" is no route */
	const char	*route = n == 1 ? comps[0] : NULL;
	json_t		*body, *o;
	int		 put = (method == API_PUT);

	if (route == NULL) {
		api_done(ar, 404, NULL, NULL);
	} else if (method == API_GET && strcmp(route, "state") == 0) {
		if (!user_capable(caller))
			api_done(ar, 401, "not a redeemed peer", NULL);
		else
			watch_reply_state(ar, en, caller);
	} else if (method == API_GET && strcmp(route, "capabilities") == 0) {
		if ((o = json_pack("{s:b, s:i}",
		    "unspecified_ip_in_override_endpoint", 1,
		    IN_CAP_KEY_SWAP, IN_REDEEM_SWAP_MS)) == NULL) {
			api_done(ar, 500, "out of memory", NULL);
			return;
		}
		watch_capabilities(o);
		api_done(ar, 200, NULL, o);
		json_decref(o);
	} else if (method == API_POST && strcmp(route, "redeem") == 0) {
		if (!redeemable(caller)) {
			api_done(ar, 401, "not an unredeemed invitation",
			    NULL);
			return;
		}
		if ((body = api_body(ar)) == NULL) {
			api_done(ar, 400, "invalid JSON", NULL);
			return;
		}
		server_redeem(en, caller, body, api_done, ar);
		json_decref(body);
	} else if (put && (strcmp(route, "endpoint") == 0 ||
	    strcmp(route, "candidates") == 0)) {
		if (!user_capable(caller)) {
			api_done(ar, 401, "not a redeemed peer", NULL);
			return;
		}
		if ((body = api_body(ar)) == NULL) {
			api_done(ar, 400, "invalid JSON", NULL);
			return;
		}
		if (strcmp(route, "endpoint") == 0)
			server_endpoint(en, caller, body, api_done, ar);
		else
			server_candidates(en, caller, body, api_done, ar);
		json_decref(body);
	} else
		api_done(ar, 404, NULL, NULL);
}
