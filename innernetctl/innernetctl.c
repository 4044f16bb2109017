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
 * innernetctl: the control client.  It turns the command line into one
 * JSON request, sends it to innernetd over the control socket and prints
 * the answer, as tables or (-j) as JSON.  Private keys of new peers are
 * made here and go only into the invitation file.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "imsg.h"
#include "innernetctl.h"

/* Longer than the slowest verb, install: redeem attempts, then a fetch. */
#define CTL_TIMEOUT	180

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: innernetctl [-jv] [-s socket] verb [flags] "
	    "[network]\n(see innernetctl(8) for the verbs)\n");
	exit(EXIT_USAGE);
}

static __attribute__((__noreturn__)) void
die(int code, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "innernetctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		die(EXIT_USAGE, "socket path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EXIT_CONNECT, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die(EXIT_CONNECT, "cannot reach innernetd at %s: %s (is it "
		    "running? systemctl start innernetd)", path,
		    strerror(errno));
	return (fd);
}

/* Send one document, read one back. */
static json_t *
ctl_exchange(int fd, json_t *req)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	struct pollfd	 pfd;
	char		*s, *doc = NULL, *p;
	size_t		 len, off, chunk, dlen, dsz = 0;
	ssize_t		 n;
	json_t		*ans;
	json_error_t	 jerr;

	imsg_init(&ibuf, fd);
	if ((s = json_dumps(req, JSON_COMPACT)) == NULL)
		die(EXIT_USAGE, "out of memory");
	len = strlen(s);
	for (off = 0; off < len; off += chunk) {
		chunk = len - off;
		if (chunk > MAX_IMSGSIZE - IMSG_HEADER_SIZE)
			chunk = MAX_IMSGSIZE - IMSG_HEADER_SIZE;
		imsg_compose(&ibuf, IMSG_CTL_DATA, 0, 0, -1, s + off, chunk);
	}
	imsg_compose(&ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0);
	free(s);
	if (imsg_flush(&ibuf) == -1)
		die(EXIT_CONNECT, "write to innernetd: %s", strerror(errno));
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, CTL_TIMEOUT * 1000) == 0)
			die(EXIT_CONNECT, "no answer from innernetd in %d "
			    "seconds", CTL_TIMEOUT);
		if ((n = imsg_read(&ibuf)) == -1 && errno != EAGAIN)
			die(EXIT_CONNECT, "read from innernetd: %s",
			    strerror(errno));
		if (n == 0)
			die(EXIT_CONNECT, "innernetd closed the connection");
		while ((n = imsg_get(&ibuf, &imsg)) > 0) {
			dlen = imsg.hdr.len - IMSG_HEADER_SIZE;
			if (imsg.hdr.type == IMSG_CTL_END) {
				imsg_free(&imsg);
				ans = json_loadb(doc != NULL ? doc : "", dsz,
				    0, &jerr);
				free(doc);
				imsg_clear(&ibuf);
				if (ans == NULL)
					die(EXIT_CONNECT, "bad answer from "
					    "innernetd: %s", jerr.text);
				return (ans);
			}
			if (imsg.hdr.type != IMSG_CTL_DATA ||
			    dsz + dlen > CTL_MAXJSON)
				die(EXIT_CONNECT, "bad answer from innernetd");
			if ((p = realloc(doc, dsz + dlen + 1)) == NULL)
				die(EXIT_CONNECT, "out of memory");
			doc = p;
			memcpy(doc + dsz, imsg.data, dlen);
			dsz += dlen;
			imsg_free(&imsg);
		}
		if (n == -1)
			die(EXIT_CONNECT, "bad answer from innernetd");
	}
}

/* add-peer: a fresh key pair; only the public half leaves this process. */
static void
addpeer_keys(json_t *args, struct invitation *inv)
{
	unsigned char	pk[crypto_box_PUBLICKEYBYTES];
	unsigned char	sk[crypto_box_SECRETKEYBYTES];
	char		pub[IN_KEYSZ];

	crypto_box_keypair(pk, sk);
	sodium_bin2base64(pub, sizeof(pub), pk, sizeof(pk),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(inv->private_key, sizeof(inv->private_key), sk,
	    sizeof(sk), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(sk, sizeof(sk));
	json_object_set_new(args, "public_key", json_string(pub));
}

/* install: the interface name, the invitation's network by default. */
static int
prompt_name(json_t *args, const char *def)
{
	char	err[256];
	char	buf[64];
	size_t	n;
	int	tries;

	for (tries = 0; tries < 3; tries++) {
		fprintf(stderr, "Interface name [%s]: ", def);
		fflush(stderr);
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			return (-1);
		n = strcspn(buf, "\r\n");
		buf[n] = '\0';
		if (buf[0] == '\0')
			strlcpy(buf, def, sizeof(buf));
		if (in_ifname_ok(buf))
			return (set_flag_value(args, "name", buf, err,
			    sizeof(err)));
		fprintf(stderr, "an interface name is lowercase letters, "
		    "digits and inner hyphens, at most 15\n");
	}
	return (-1);
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return (json_is_string(v) ? json_string_value(v) : "");
}

/* import: upstream names a network after its configuration file. */
static void
conf_name(json_t *args, const char *path)
{
	char	 buf[1024], *b, *dot;

	if (json_object_get(args, "name") != NULL)
		return;
	strlcpy(buf, path, sizeof(buf));
	b = basename(buf);
	if ((dot = strrchr(b, '.')) != NULL && strcmp(dot, ".conf") == 0)
		*dot = '\0';
	if (!in_ifname_ok(b))
		die(EXIT_USAGE, "cannot take a network name from %s; give "
		    "--name", path);
	json_object_set_new(args, "name", json_string(b));
}

/* What import wrote, removed at exit unless innernetd took it. */
static char	import_db[PATH_MAX], import_key[PATH_MAX];
static int	import_taken;

static void
import_cleanup(void)
{
	if (import_taken)
		return;
	if (import_db[0] != '\0')
		unlink(import_db);
	if (import_key[0] != '\0')
		unlink(import_key);
}

/*
 * import runs as root and writes into innernetd's state directory: the
 * directory is the one given with --state-dir, in INNERNET_STATEDIR or
 * the default, and what
 * is written belongs to whoever owns the directory it is written in.
 * Nothing of where or as whom comes from innernetd's answers: a taken
 * engine could otherwise direct root's writes.
 */
static int
import_dir(const char *state, const char *sub, char *path, size_t len,
    struct stat *st)
{
	if ((size_t)snprintf(path, len, "%s/%s", state, sub) >= len)
		die(EXIT_USAGE, "%s: path too long", state);
	if (lstat(path, st) == -1 || !S_ISDIR(st->st_mode))
		die(EXIT_USAGE, "%s is not a directory of innernetd's (is its "
		    "state directory elsewhere? --state-dir)", path);
	return (0);
}

/* A new file in dir, 0600 and the directory owner's, durably. */
static int
import_file(const char *dir, const struct stat *owner, char *tmp,
    size_t len)
{
	int	fd;

	if ((size_t)snprintf(tmp, len, "%s/.innernetctl.XXXXXX", dir) >= len)
		die(EXIT_USAGE, "%s: path too long", dir);
	if ((fd = mkstemp(tmp)) == -1)
		die(EXIT_DAEMON, "%s: %s", dir, strerror(errno));
	if (fchmod(fd, 0600) == -1 ||
	    fchown(fd, owner->st_uid, owner->st_gid) == -1) {
		unlink(tmp);
		die(EXIT_DAEMON, "%s: %s", tmp, strerror(errno));
	}
	return (fd);
}

/* The temporary file takes its name, never replacing another. */
static void
import_place(const char *tmp, const char *path)
{
	int	saved;

	if (link(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		die(saved == EEXIST ? EXIT_USAGE : EXIT_DAEMON, "%s: %s", path,
		    saved == EEXIST ? "exists already" : strerror(saved));
	}
	unlink(tmp);
}

/* The database goes into dbd's directory, as its owner, durably. */
static void
copy_database(const char *src, const char *state, const char *name,
    char *placed, size_t placedlen)
{
	struct stat	 st, dirst;
	char		 wal[1100], dir[PATH_MAX], tmp[PATH_MAX];
	char		 dst[PATH_MAX], buf[65536];
	ssize_t		 n;
	int		 in, out;

	snprintf(wal, sizeof(wal), "%s-wal", src);
	if (stat(wal, &st) == 0 && st.st_size > 0)
		die(EXIT_USAGE, "%s is in use (it has a write-ahead log): "
		    "stop innernet-server first", src);
	import_dir(state, "server", dir, sizeof(dir), &dirst);
	if ((size_t)snprintf(dst, sizeof(dst), "%s/" IN_IMPORT_PREFIX "%s.db",
	    dir, name) >= sizeof(dst))
		die(EXIT_USAGE, "%s: path too long", dir);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		die(EXIT_USAGE, "%s: %s", src, strerror(errno));
	out = import_file(dir, &dirst, tmp, sizeof(tmp));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	if (n != 0 || fsync(out) == -1) {
		unlink(tmp);
		die(EXIT_DAEMON, "copying %s: %s", src, strerror(errno));
	}
	close(in);
	close(out);
	import_place(tmp, dst);
	strlcpy(placed, dst, placedlen);
}

/*
 * The server's private key goes straight into wgd's key store, where
 * wgd takes it when it brings the interface up: it never passes through
 * the engine.  The engine learns the public key.
 */
static void
store_key(const char *priv, const char *state, const char *name,
    char *pub, char *placed, size_t placedlen)
{
	struct stat	 dirst;
	unsigned char	 sk[32], pk[32];
	char		 dir[PATH_MAX], tmp[PATH_MAX], line[IN_KEYSZ + 1];
	char		 dst[PATH_MAX];
	size_t		 len;
	int		 fd;

	if (sodium_base642bin(sk, sizeof(sk), priv, strlen(priv), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof(sk) ||
	    crypto_scalarmult_base(pk, sk) != 0) {
		sodium_memzero(sk, sizeof(sk));
		die(EXIT_USAGE, "the server's private key is not a key");
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_bin2base64(pub, IN_KEYSZ, pk, sizeof(pk),
	    sodium_base64_VARIANT_ORIGINAL);
	import_dir(state, "keys", dir, sizeof(dir), &dirst);
	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s.key", dir, name) >=
	    sizeof(dst))
		die(EXIT_USAGE, "%s: path too long", dir);
	fd = import_file(dir, &dirst, tmp, sizeof(tmp));
	snprintf(line, sizeof(line), "%s\n", priv);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    fsync(fd) == -1) {
		sodium_memzero(line, sizeof(line));
		unlink(tmp);
		die(EXIT_DAEMON, "%s: %s", tmp, strerror(errno));
	}
	sodium_memzero(line, sizeof(line));
	close(fd);
	import_place(tmp, dst);
	strlcpy(placed, dst, placedlen);
}

/*
 * import: a client configuration is read here and sent like an
 * invitation; a server's database is copied next to dbd's, its key put
 * in wgd's key store, and the name, port and public key go with the
 * request.
 */
static void
import_setup(json_t *args)
{
	struct invitation	 inv;
	struct server_conf	 sc;
	char			 err[1024], buf[8193], *cut, pub[IN_KEYSZ];
	char			 statebuf[PATH_MAX];
	const char		*cc, *scf, *db, *state;
	ssize_t			 n;
	int			 fd;

	cc = json_string_value(json_object_get(args, "client_config"));
	scf = json_string_value(json_object_get(args, "server_config"));
	db = json_string_value(json_object_get(args, "database"));
	if ((state = json_string_value(json_object_get(args,
	    "state_dir"))) == NULL &&
	    (state = getenv("INNERNET_STATEDIR")) == NULL)
		state = INNERNET_STATEDIR;
	/* innernetctl's own: not sent */
	if (strlcpy(statebuf, state, sizeof(statebuf)) >= sizeof(statebuf))
		die(EXIT_USAGE, "%s: path too long", state);
	state = statebuf;
	json_object_del(args, "state_dir");
	if (cc != NULL) {
		if ((fd = open(cc, O_RDONLY | O_CLOEXEC)) == -1)
			die(EXIT_USAGE, "%s: %s", cc, strerror(errno));
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0)
			die(EXIT_USAGE, "%s: %s", cc, strerror(errno));
		buf[n] = '\0';
		/* per-peer endpoint overrides stay behind */
		if ((cut = strstr(buf, "[peer-endpoint-overrides]")) != NULL) {
			fprintf(stderr, "innernetctl: peer endpoint overrides "
			    "of %s are not imported\n", cc);
			*cut = '\0';
		}
		if (invite_parse(buf, strlen(buf), &inv, err,
		    sizeof(err)) == -1)
			die(EXIT_USAGE, "%s: %s", cc, err);
		sodium_memzero(buf, sizeof(buf));
		conf_name(args, cc);
		json_object_set_new(args, "client", invite_json(&inv));
		sodium_memzero(&inv, sizeof(inv));
		return;
	}
	if (scf == NULL || db == NULL)
		die(EXIT_USAGE, "import needs --client-config FILE, or "
		    "--server-config FILE and --database FILE");
	if (geteuid() != 0)
		die(EXIT_USAGE, "import of a server runs as root: it writes "
		    "into innernetd's state directory");
	if (server_conf_read(scf, &sc, err, sizeof(err)) == -1)
		die(EXIT_USAGE, "%s", err);
	conf_name(args, scf);
	atexit(import_cleanup);
	copy_database(db, state, jstr(args, "name"), import_db,
	    sizeof(import_db));
	store_key(sc.private_key, state, jstr(args, "name"), pub, import_key,
	    sizeof(import_key));
	sodium_memzero(&sc.private_key, sizeof(sc.private_key));
	json_object_set_new(args, "public_key", json_string(pub));
	json_object_set_new(args, "listen_port", json_integer(sc.listen_port));
}

int
main(int argc, char *argv[])
{
	const char		*sock, *verb, *path = NULL, *network;
	const char		*invite = NULL;
	char			 err[1024], save[1024], invpath[1024];
	json_t			*req, *args, *ans, *res, *iv;
	struct invitation	 inv;
	int			 ch, jflag = 0, fd;

	if (sodium_init() == -1)
		die(EXIT_CONNECT, "libsodium failed to start");
	if ((sock = getenv("INNERNET_SOCKET")) == NULL)
		sock = INNERNET_SOCKET;
	while ((ch = getopt(argc, argv, "+hjs:v")) != -1) {
		switch (ch) {
		case 'j':
			jflag = 1;
			break;
		case 's':
			sock = optarg;
			break;
		case 'v':
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if ((req = parse_command(argc, argv, err, sizeof(err))) == NULL)
		die(EXIT_USAGE, "%s", err);
	verb = argv[0];
	args = json_object_get(req, "args");
	network = json_string_value(json_object_get(req, "network"));
	memset(&inv, 0, sizeof(inv));
	inv.listen_port = -1;

	if (strcmp(verb, "install") == 0) {
		strlcpy(invpath, jstr(args, "invitation"), sizeof(invpath));
		invite = invpath;
		if (invite_read(invite, &inv, err, sizeof(err)) == -1)
			die(EXIT_USAGE, "%s", err);
		if (json_object_get(args, "name") == NULL &&
		    !json_is_true(json_object_get(args, "default_name")) &&
		    prompt_interactive() && prompt_name(args,
		    inv.network_name) == -1)
			die(EXIT_USAGE, "no usable interface name");
		json_object_set_new(args, "invitation", invite_json(&inv));
		sodium_memzero(&inv, sizeof(inv));
	}
	if (strcmp(verb, "import") == 0)
		import_setup(args);
	switch (prompt_missing(verb, args, network, err, sizeof(err))) {
	case PROMPT_NO:
		fprintf(stderr, "innernetctl: nothing done\n");
		return (EXIT_OK);
	case PROMPT_ERR:
		die(EXIT_USAGE, "%s", err);
	}
	if (strcmp(verb, "add-peer") == 0) {
		path = jstr(args, "save_config");
		if (*path == '\0') {
			snprintf(save, sizeof(save), "%s.toml",
			    jstr(args, "name"));
			path = save;
		}
		if (access(path, F_OK) == 0)
			die(EXIT_USAGE, "%s exists already; choose another "
			    "--save-config", path);
		addpeer_keys(args, &inv);
	}

	fd = ctl_connect(sock);
	ans = ctl_exchange(fd, req);
	close(fd);
	if (!json_is_true(json_object_get(ans, "ok"))) {
		die(EXIT_DAEMON, "%s", jstr(ans, "error"));
	}
	import_taken = 1;
	res = json_object_get(ans, "result");

	if (strcmp(verb, "add-peer") == 0) {
		iv = json_object_get(res, "invitation");
		strlcpy(inv.network_name, jstr(iv, "network_name"),
		    sizeof(inv.network_name));
		strlcpy(inv.address, jstr(iv, "address"), sizeof(inv.address));
		strlcpy(inv.server_public_key, jstr(iv, "server_public_key"),
		    sizeof(inv.server_public_key));
		strlcpy(inv.external_endpoint, jstr(iv, "external_endpoint"),
		    sizeof(inv.external_endpoint));
		strlcpy(inv.internal_endpoint, jstr(iv, "internal_endpoint"),
		    sizeof(inv.internal_endpoint));
		if (invite_write(path, &inv, err, sizeof(err)) == -1)
			die(EXIT_DAEMON, "peer added, but the invitation could "
			    "not be written: %s", err);
		sodium_memzero(&inv, sizeof(inv));
		res = json_object_get(res, "peer");
		if (!jflag)
			printf("peer %s added; invitation saved to %s\n",
			    jstr(res, "name"), path);
	}
	if (strcmp(verb, "install") == 0 && invite != NULL &&
	    (json_is_true(json_object_get(args, "delete_invite")) ||
	    (prompt_interactive() && prompt_confirm("Delete the invitation "
	    "file now? (it is no longer needed)", 1)))) {
		if (unlink(invite) == -1)
			fprintf(stderr, "innernetctl: cannot delete %s: %s\n",
			    invite, strerror(errno));
	}
	if (jflag) {
		json_dumpf(res, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		printf("\n");
	} else if (strcmp(verb, "add-peer") != 0)
		output_human(verb, res, args);
	json_decref(ans);
	json_decref(req);
	return (EXIT_OK);
}
