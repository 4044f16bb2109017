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
 * innernetctl import: an existing upstream installation runs on under
 * innernetd without inviting anyone again.  A server brings its
 * database (copied into dbd's directory by innernetctl) and the public
 * key of its configuration: innernetctl, as root, put the private key
 * in wgd's key store itself, so the engine never holds it; wgd takes it
 * when it brings the interface up.  A client brings its interface
 * configuration, whose key is already the redeemed one.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>
#include <jansson.h>

#include "compat.h"
#include "engine.h"

struct import {
	server_cb		 cb;
	void			*arg;
	struct in_network	 net;
};

static void
ignore(struct imsg *imsg, void *arg)
{
}

static void
import_fail(struct import *im, int status, const char *msg)
{
	struct in_wgkey	k;
	uint32_t	id;

	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, im->net.name, sizeof(k.ifname));
	id = engine_req_new(ignore, NULL);
	if (engine_wg_compose(IMSG_WG_KEY_DELETE, id, &k, sizeof(k)) == -1)
		engine_req_cancel(id);
	im->cb(im->arg, status, msg, NULL);
	free(im);
}

static void
import_opened(struct imsg *imsg, void *arg)
{
	struct import		*im = arg;
	struct engine_net	*en;
	struct in_error		 e;
	json_t			*r;

	if (imsg->hdr.type == IMSG_DB_NETWORK) {
		memcpy(&im->net, imsg->data, sizeof(im->net));
		return;
	}
	if (engine_imsg_error(imsg, &e)) {
		import_fail(im, e.status >= 400 ? e.status : 500, e.msg);
		return;
	}
	en = engine_net_add(&im->net);
	log_info("%s: imported, starting as server", en->net.name);
	net_start(en);
	r = json_pack("{s:s, s:s, s:s, s:i}", "network", en->net.name,
	    "role", "server", "public_key", en->net.public_key,
	    "listen_port", en->net.listen_port);
	im->cb(im->arg, 201, NULL, r);
	json_decref(r);
	free(im);
}

void
engine_import(json_t *args, server_cb cb, void *arg)
{
	struct import	*im;
	const char	*name, *key;
	json_t		*port;
	uint32_t	 id;

	if (json_is_object(json_object_get(args, "client"))) {
		json_object_set(args, "invitation",
		    json_object_get(args, "client"));
		json_object_set_new(args, "imported", json_true());
		client_install(args, cb, arg);
		return;
	}
	name = json_string_value(json_object_get(args, "name"));
	key = json_string_value(json_object_get(args, "public_key"));
	port = json_object_get(args, "listen_port");
	if (json_object_get(args, "private_key") != NULL) {
		cb(arg, 400, "a private key is never sent to innernetd: "
		    "innernetctl import stores it with wgd", NULL);
		return;
	}
	if (name == NULL || !in_ifname_ok(name) || key == NULL ||
	    !in_key_ok(key) || !json_is_integer(port) ||
	    json_integer_value(port) < 1 || json_integer_value(port) > 65535) {
		cb(arg, 400, "import needs a network name, the server's "
		    "public key and listen port", NULL);
		return;
	}
	if (engine_net_find(name) != NULL) {
		cb(arg, 409, "a network of that name exists already", NULL);
		return;
	}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		cb(arg, 500, "out of memory", NULL);
		return;
	}
	im->cb = cb;
	im->arg = arg;
	strlcpy(im->net.name, name, sizeof(im->net.name));
	im->net.role = IN_ROLE_SERVER;
	im->net.listen_port = (uint16_t)json_integer_value(port);
	strlcpy(im->net.public_key, key, sizeof(im->net.public_key));
	id = engine_req_new(import_opened, im);
	engine_db_compose(IMSG_DB_NETWORK_IMPORT, id, &im->net,
	    sizeof(im->net));
}
