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
 * The upstream JSON shapes: what we write is what serde writes, what we
 * accept is what serde accepts (and the daemon's checks allow).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

#define KEY1	"YBVIgpfLbi/knrMCTEb0L6eVy0daiZnJJQkxBK9s+2I="

static int	failures;

static void
check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

static json_t *
parse(const char *s)
{
	json_error_t	 e;
	json_t		*j;

	if ((j = json_loads(s, JSON_DECODE_ANY, &e)) == NULL) {
		printf("not ok - test JSON does not parse: %s: %s\n", s,
		    e.text);
		exit(1);
	}
	return (j);
}

static char *
dump(json_t *j)
{
	return (json_dumps(j, JSON_COMPACT));
}

/* A valid PeerContents with one field replaced (or removed: "-"). */
static json_t *
peer_with(const char *field, const char *value)
{
	json_t	*o;
	char	 buf[2048];

	snprintf(buf, sizeof(buf), "{\"name\":\"developer3\","
	    "\"ip\":\"10.80.64.4\",\"cidr_id\":4,\"public_key\":\"%s\","
	    "\"endpoint\":null,\"persistent_keepalive_interval\":25,"
	    "\"is_admin\":false,\"is_disabled\":false,\"is_redeemed\":true,"
	    "\"invite_expires\":null,\"candidates\":[]}", KEY1);
	o = parse(buf);
	if (field != NULL) {
		if (strcmp(value, "-") == 0)
			json_object_del(o, field);
		else
			json_object_set_new(o, field, parse(value));
	}
	return (o);
}

static int
peer_ok(json_t *o, struct in_peer *p, char *cands)
{
	char	err[IN_ERRSZ];
	int	rc;

	rc = json_to_peer_contents(o, p, cands, IN_CANDIDATES_MAXLEN, err,
	    sizeof(err));
	json_decref(o);
	return (rc == 0);
}

static void
test_peer_roundtrip(void)
{
	struct in_peer	 p, q;
	char		 cands[IN_CANDIDATES_MAXLEN], cands2[IN_CANDIDATES_MAXLEN];
	json_t		*j;
	char		*s;

	memset(&p, 0, sizeof(p));
	p.id = 7;
	p.cidr_id = 4;
	strlcpy(p.name, "developer3", sizeof(p.name));
	in_ip_parse("10.80.64.4", &p.ip);
	strlcpy(p.public_key, KEY1, sizeof(p.public_key));
	strlcpy(p.endpoint, "169.10.26.8:14720", sizeof(p.endpoint));
	p.keepalive = 25;
	p.is_admin = 1;
	p.is_redeemed = 0;
	p.invite_expires = 1700000000;
	p.ncandidates = 2;
	memcpy(cands, "1.1.1.1:51820\0[2001:db8::1]:5", 30);
	p.candidates_len = 30;

	j = json_from_peer(&p, cands, 30);
	s = dump(j);
	check(s != NULL && strcmp(s, "{\"id\":7,\"name\":\"developer3\","
	    "\"ip\":\"10.80.64.4\",\"cidr_id\":4,\"public_key\":\"" KEY1 "\","
	    "\"endpoint\":\"169.10.26.8:14720\","
	    "\"persistent_keepalive_interval\":25,\"is_admin\":true,"
	    "\"is_disabled\":false,\"is_redeemed\":false,"
	    "\"invite_expires\":{\"secs_since_epoch\":1700000000,"
	    "\"nanos_since_epoch\":0},\"candidates\":[\"1.1.1.1:51820\","
	    "\"[2001:db8::1]:5\"]}") == 0, "peer JSON as serde writes it");
	free(s);

	check(peer_ok(j, &q, cands2), "peer JSON parses back");
	check(strcmp(q.name, p.name) == 0 && in_ip_cmp(&q.ip, &p.ip) == 0 &&
	    q.cidr_id == 4 && strcmp(q.public_key, KEY1) == 0 &&
	    strcmp(q.endpoint, p.endpoint) == 0 && q.keepalive == 25 &&
	    q.is_admin && !q.is_disabled && !q.is_redeemed &&
	    q.invite_expires == 1700000000 && q.ncandidates == 2 &&
	    q.candidates_len == 30 && memcmp(cands2, cands, 30) == 0,
	    "peer round trip keeps every field");

	p.endpoint[0] = '\0';
	p.keepalive = -1;
	p.invite_expires = 0;
	p.candidates_len = 0;
	p.ncandidates = 0;
	j = json_from_peer(&p, NULL, 0);
	check(json_is_null(json_object_get(j, "endpoint")) &&
	    json_is_null(json_object_get(j, "persistent_keepalive_interval")) &&
	    json_is_null(json_object_get(j, "invite_expires")) &&
	    json_array_size(json_object_get(j, "candidates")) == 0,
	    "nulls for unset options, empty candidates");
	json_decref(j);

	in_ip_parse("fd00:1337::2:0:0:3", &p.ip);
	j = json_from_peer(&p, NULL, 0);
	check(strcmp(json_string_value(json_object_get(j, "ip")),
	    "fd00:1337::2:0:0:3") == 0, "IPv6 peer address");
	json_decref(j);
}

static void
test_peer_inputs(void)
{
	struct in_peer	 p;
	char		 cands[IN_CANDIDATES_MAXLEN], err[IN_ERRSZ];
	json_t		*o;
	char		 eleven[512];
	int		 i;

	check(peer_ok(peer_with(NULL, NULL), &p, cands) &&
	    p.keepalive == 25 && p.is_redeemed, "valid peer contents");
	check(peer_ok(peer_with("candidates", "-"), &p, cands) &&
	    p.ncandidates == 0, "candidates may be absent");
	check(peer_ok(peer_with("endpoint", "-"), &p, cands) &&
	    p.endpoint[0] == '\0', "endpoint may be absent");
	check(peer_ok(peer_with("invite_expires", "-"), &p, cands) &&
	    p.invite_expires == 0, "invite_expires may be absent");
	check(peer_ok(peer_with("persistent_keepalive_interval", "null"), &p,
	    cands) && p.keepalive == -1, "keepalive null");
	check(peer_ok(peer_with("invite_expires",
	    "{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":5}"), &p,
	    cands) && p.invite_expires == 1700000000,
	    "invite_expires SystemTime object");
	check(peer_ok(peer_with("endpoint", "\"vpn.example.com:51820\""), &p,
	    cands) && strcmp(p.endpoint, "vpn.example.com:51820") == 0,
	    "endpoint with a DNS name");
	check(peer_ok(peer_with("candidates",
	    "[\"1.1.1.1:1\",\"[2001:db8::1]:2\"]"), &p, cands) &&
	    p.ncandidates == 2, "two candidates");
	check(peer_ok(peer_with("extra_field", "1"), &p, cands),
	    "unknown fields ignored");

	check(!peer_ok(peer_with("name", "\"devel oper\""), &p, cands),
	    "name with a space");
	check(!peer_ok(peer_with("name", "\"Developer\""), &p, cands),
	    "name with uppercase");
	check(!peer_ok(peer_with("name", "\"-dev\""), &p, cands),
	    "name with a leading hyphen");
	check(!peer_ok(peer_with("name", "\"dev--x\""), &p, cands),
	    "name with a double hyphen");
	check(!peer_ok(peer_with("name", "\"a1234567890123456789012345678901"
	    "23456789012345678901234567890123\""), &p, cands),
	    "name of 64 characters");
	check(!peer_ok(peer_with("name", "\"\""), &p, cands), "empty name");
	check(!peer_ok(peer_with("name", "-"), &p, cands), "missing name");
	check(!peer_ok(peer_with("name", "7"), &p, cands), "numeric name");
	check(!peer_ok(peer_with("ip", "\"10.80.64\""), &p, cands),
	    "bad ip");
	check(!peer_ok(peer_with("ip", "\"10.80.64.4/24\""), &p, cands),
	    "ip with a prefix");
	check(!peer_ok(peer_with("ip", "-"), &p, cands), "missing ip");
	check(!peer_ok(peer_with("cidr_id", "\"4\""), &p, cands),
	    "cidr_id as a string");
	check(!peer_ok(peer_with("cidr_id", "4.5"), &p, cands),
	    "cidr_id as a float");
	check(!peer_ok(peer_with("cidr_id", "-"), &p, cands),
	    "missing cidr_id");
	check(!peer_ok(peer_with("public_key", "\"abc\""), &p, cands),
	    "short public key");
	check(!peer_ok(peer_with("public_key", "\"!!!!!!!!!!!!!!!!!!!!!!!!!"
	    "!!!!!!!!!!!!!!!!!!!\""), &p, cands), "public key not base64");
	check(!peer_ok(peer_with("public_key", "null"), &p, cands),
	    "null public key");
	check(!peer_ok(peer_with("endpoint", "\"1.2.3.4\""), &p, cands),
	    "endpoint without port");
	check(!peer_ok(peer_with("endpoint", "\"1.2.3.4:99999\""), &p,
	    cands), "endpoint port out of range");
	check(!peer_ok(peer_with("endpoint", "\"::1:80\""), &p, cands),
	    "IPv6 endpoint without brackets");
	check(!peer_ok(peer_with("endpoint", "5"), &p, cands),
	    "numeric endpoint");
	check(!peer_ok(peer_with("persistent_keepalive_interval", "65536"),
	    &p, cands), "keepalive beyond u16");
	check(!peer_ok(peer_with("persistent_keepalive_interval", "-1"), &p,
	    cands), "negative keepalive");
	check(!peer_ok(peer_with("is_admin", "1"), &p, cands),
	    "is_admin as a number");
	check(!peer_ok(peer_with("is_disabled", "-"), &p, cands),
	    "missing is_disabled");
	check(!peer_ok(peer_with("is_redeemed", "null"), &p, cands),
	    "null is_redeemed");
	check(!peer_ok(peer_with("invite_expires", "1700000000"), &p, cands),
	    "invite_expires as a number");
	check(!peer_ok(peer_with("invite_expires",
	    "{\"secs_since_epoch\":1}"), &p, cands),
	    "invite_expires without nanos");
	check(!peer_ok(peer_with("invite_expires",
	    "{\"secs_since_epoch\":1,\"nanos_since_epoch\":1000000000}"), &p,
	    cands), "invite_expires nanos out of range");
	check(!peer_ok(peer_with("candidates", "\"1.1.1.1:1\""), &p, cands),
	    "candidates not a list");
	check(!peer_ok(peer_with("candidates", "[\"nope\"]"), &p, cands),
	    "invalid candidate");
	check(!peer_ok(peer_with("candidates", "[1]"), &p, cands),
	    "numeric candidate");

	strlcpy(eleven, "[", sizeof(eleven));
	for (i = 0; i < 11; i++) {
		char	one[32];

		snprintf(one, sizeof(one), "%s\"192.0.2.%d:1\"", i ? "," : "",
		    i + 1);
		strlcat(eleven, one, sizeof(eleven));
	}
	strlcat(eleven, "]", sizeof(eleven));
	check(!peer_ok(peer_with("candidates", eleven), &p, cands),
	    "eleven candidates in peer contents");

	o = parse(eleven);
	memset(&p, 0, sizeof(p));
	check(json_to_candidates(o, cands, sizeof(cands), &p, err,
	    sizeof(err)) == -2, "eleven candidates: too many (413)");
	json_decref(o);
	o = parse("[\"192.0.2.1:1\",\"bad\"]");
	check(json_to_candidates(o, cands, sizeof(cands), &p, err,
	    sizeof(err)) == -1, "bad candidate list (400)");
	json_decref(o);
	o = parse("{}");
	check(json_to_candidates(o, cands, sizeof(cands), &p, err,
	    sizeof(err)) == -1, "candidates object instead of list");
	json_decref(o);
	o = parse("[]");
	check(json_to_candidates(o, cands, sizeof(cands), &p, err,
	    sizeof(err)) == 0 && p.ncandidates == 0 && p.candidates_len == 0,
	    "empty candidate list");
	json_decref(o);
	o = parse("[\"192.0.2.1:1\",\"h.example:2\"]");
	check(json_to_candidates(o, cands, sizeof(cands), &p, err,
	    sizeof(err)) == 0 && p.ncandidates == 2 &&
	    in_peer_candidates_ok(&p, cands, p.candidates_len),
	    "candidate list in the imsg layout");
	json_decref(o);

	o = parse("[1,2]");
	check(json_to_peer_contents(o, &p, cands, sizeof(cands), err,
	    sizeof(err)) == -1 && err[0] != '\0', "peer must be an object");
	json_decref(o);
}

static void
test_cidr(void)
{
	struct in_cidr	 c;
	json_t		*o;
	char		 err[IN_ERRSZ], *s;
	static const struct {
		const char	*json;
		int		 ok;
		const char	*what;
	} cases[] = {
		{ "{\"name\":\"experimental\",\"cidr\":\"10.81.0.0/16\","
		    "\"parent\":1}", 1, "valid cidr contents" },
		{ "{\"name\":\"x\",\"cidr\":\"10.81.0.0/16\"}", 1,
		    "parent may be absent" },
		{ "{\"name\":\"x\",\"cidr\":\"fd00:1337::4:0:0:0/80\","
		    "\"parent\":null}", 1, "IPv6 cidr, null parent" },
		{ "{\"cidr\":\"10.81.0.0/16\",\"parent\":1}", 0,
		    "missing name" },
		{ "{\"name\":\"\",\"cidr\":\"10.81.0.0/16\",\"parent\":1}", 0,
		    "empty name" },
		{ "{\"name\":\"x\",\"cidr\":\"10.81.0.0\",\"parent\":1}", 0,
		    "cidr without prefix" },
		{ "{\"name\":\"x\",\"cidr\":\"10.81.0.0/33\",\"parent\":1}", 0,
		    "prefix too long" },
		{ "{\"name\":\"x\",\"cidr\":\"nonsense/8\",\"parent\":1}", 0,
		    "cidr address invalid" },
		{ "{\"name\":\"x\",\"cidr\":\"10.81.0.0/16\",\"parent\":\"1\"}",
		    0, "parent as a string" },
		{ "{\"name\":\"x\",\"cidr\":\"10.81.0.0/16\",\"parent\":-3}", 0,
		    "negative parent" },
		{ "{\"name\":\"x\",\"cidr\":16,\"parent\":1}", 0,
		    "numeric cidr" },
		{ "[]", 0, "cidr not an object" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = parse(cases[i].json);
		check((json_to_cidr_contents(o, &c, err, sizeof(err)) == 0) ==
		    cases[i].ok, cases[i].what);
		json_decref(o);
	}

	o = parse("{\"name\":\"x\",\"cidr\":\"10.81.3.4/16\",\"parent\":1}");
	check(json_to_cidr_contents(o, &c, err, sizeof(err)) == 0 &&
	    c.cidr.len == 16 && c.parent == 1, "host bits cleared");
	json_decref(o);
	c.id = 6;
	o = json_from_cidr(&c);
	s = dump(o);
	check(s != NULL && strcmp(s, "{\"id\":6,\"name\":\"x\","
	    "\"cidr\":\"10.81.0.0/16\",\"parent\":1}") == 0,
	    "cidr JSON as serde writes it");
	free(s);
	json_decref(o);
	c.parent = 0;
	o = json_from_cidr(&c);
	check(json_is_null(json_object_get(o, "parent")), "root parent null");
	json_decref(o);
}

static void
test_assoc(void)
{
	struct in_assoc	 a;
	json_t		*o;
	char		 err[IN_ERRSZ], *s;

	o = parse("{\"cidr_id_1\":1,\"cidr_id_2\":2}");
	check(json_to_assoc_contents(o, &a, err, sizeof(err)) == 0 &&
	    a.cidr_id_1 == 1 && a.cidr_id_2 == 2, "valid association");
	json_decref(o);
	a.id = 3;
	o = json_from_assoc(&a);
	s = dump(o);
	check(s != NULL && strcmp(s, "{\"id\":3,\"cidr_id_1\":1,"
	    "\"cidr_id_2\":2}") == 0, "association JSON");
	free(s);
	json_decref(o);
	o = parse("{\"cidr_id_1\":1}");
	check(json_to_assoc_contents(o, &a, err, sizeof(err)) == -1,
	    "association missing cidr_id_2");
	json_decref(o);
	o = parse("{\"cidr_id_1\":1,\"cidr_id_2\":true}");
	check(json_to_assoc_contents(o, &a, err, sizeof(err)) == -1,
	    "association with a bool id");
	json_decref(o);
	o = parse("\"x\"");
	check(json_to_assoc_contents(o, &a, err, sizeof(err)) == -1,
	    "association not an object");
	json_decref(o);
}

static void
test_endpoint_contents(void)
{
	json_t	*o;
	char	 ep[IN_ENDPOINTSZ], err[IN_ERRSZ], *s;

	o = parse("{\"option\":\"Set\",\"content\":\"1.1.1.1:51820\"}");
	check(json_to_endpoint_contents(o, ep, sizeof(ep), err,
	    sizeof(err)) == 0 && strcmp(ep, "1.1.1.1:51820") == 0,
	    "EndpointContents Set");
	json_decref(o);
	o = parse("{\"option\":\"Unset\"}");
	strlcpy(ep, "x", sizeof(ep));
	check(json_to_endpoint_contents(o, ep, sizeof(ep), err,
	    sizeof(err)) == 0 && ep[0] == '\0', "EndpointContents Unset");
	json_decref(o);
	o = parse("{\"option\":\"Set\",\"content\":\"0.0.0.0:51820\"}");
	check(json_to_endpoint_contents(o, ep, sizeof(ep), err,
	    sizeof(err)) == 0, "Set with an unspecified address");
	json_decref(o);
	o = parse("{\"option\":\"Set\"}");
	check(json_to_endpoint_contents(o, ep, sizeof(ep), err,
	    sizeof(err)) == -1, "Set without content");
	json_decref(o);
	o = parse("{\"option\":\"Set\",\"content\":\"blah\"}");
	check(json_to_endpoint_contents(o, ep, sizeof(ep), err,
	    sizeof(err)) == -1, "Set with a bad endpoint");
	json_decref(o);
	o = parse("{\"option\":\"Maybe\"}");
	check(json_to_endpoint_contents(o, ep, sizeof(ep), err,
	    sizeof(err)) == -1, "unknown option");
	json_decref(o);
	o = parse("\"endpoint=blah\"");
	check(json_to_endpoint_contents(o, ep, sizeof(ep), err,
	    sizeof(err)) == -1, "form-encoded body rejected");
	json_decref(o);

	o = json_from_endpoint_contents("1.2.3.4:5");
	s = dump(o);
	check(s != NULL && strcmp(s, "{\"option\":\"Set\","
	    "\"content\":\"1.2.3.4:5\"}") == 0, "Set JSON");
	free(s);
	json_decref(o);
	o = json_from_endpoint_contents("");
	s = dump(o);
	check(s != NULL && strcmp(s, "{\"option\":\"Unset\"}") == 0,
	    "Unset JSON");
	free(s);
	json_decref(o);
}

static void
test_redeem(void)
{
	json_t	*o;
	char	 key[IN_KEYSZ], err[IN_ERRSZ];

	o = parse("{\"public_key\":\"" KEY1 "\"}");
	check(json_to_redeem_contents(o, key, sizeof(key), err,
	    sizeof(err)) == 0 && strcmp(key, KEY1) == 0, "redeem contents");
	json_decref(o);
	o = parse("{\"public_key\":\"short\"}");
	check(json_to_redeem_contents(o, key, sizeof(key), err,
	    sizeof(err)) == -1, "redeem with a bad key");
	json_decref(o);
	o = parse("{}");
	check(json_to_redeem_contents(o, key, sizeof(key), err,
	    sizeof(err)) == -1, "redeem without a key");
	json_decref(o);
}

int
main(void)
{
	test_peer_roundtrip();
	test_peer_inputs();
	test_cidr();
	test_assoc();
	test_endpoint_contents();
	test_redeem();
	return (failures ? 1 : 0);
}
