# The benchmark network as a curl configuration: one request per CIDR
# (mode=cidrs) or per peer (mode=peers), all to the server's admin API,
# so every row goes through the engine, dbd and wgd like any admin's.
#
# CIDR k (from <= k < to) is c<k>, the /27 at 10.81.0.0 + 32k under the
# root; its peers p<k>-<j> (1 <= j <= per) sit at its hosts 1..per.
# mode=peers reads "name id" lines of the CIDRs (first file) and then
# random bytes as od -tu1 prints them (second file): 32 per public key.
# skip="k-j" leaves out one peer (the caller placed there by hand).

function ip(off)
{
	return ("10." (81 + int(off / 65536)) "." int(off / 256) % 256 "." \
	    off % 256)
}

function request(path, body)
{
	if (nreq++ > 0)
		printf("next\n")
	printf("url = \"%s%s\"\n", url, path)
	printf("header = \"X-Innernet-Server-Key: %s\"\n", key)
	printf("header = \"Content-Type: application/json\"\n")
	gsub(/"/, "\\\"", body)
	printf("data-binary = \"%s\"\n", body)
	printf("output = \"/dev/null\"\n")
	printf("max-time = 30\n")
	printf("write-out = \"%%{http_code}\\n\"\n")
}

function b64(v, n,	s, i)
{
	s = ""
	for (i = n - 1; i >= 0; i--)
		s = s substr(B64, int(v / 64 ^ i) % 64 + 1, 1)
	return (s)
}

# 32 bytes in base64: ten groups of three, then two bytes and "=".
function pubkey(	s, i)
{
	s = ""
	for (i = 0; i < 30; i += 3)
		s = s b64(k[i] * 65536 + k[i + 1] * 256 + k[i + 2], 4)
	return (s b64((k[30] * 65536 + k[31] * 256) / 64, 3) "=")
}

function peer(c, j)
{
	request("/v1/admin/peers", sprintf("{\"name\":\"p%d-%d\"," \
	    "\"ip\":\"%s\",\"cidr_id\":%d,\"public_key\":\"%s\"," \
	    "\"endpoint\":null,\"persistent_keepalive_interval\":25," \
	    "\"is_admin\":false,\"is_disabled\":false," \
	    "\"is_redeemed\":true,\"invite_expires\":null}", c, j,
	    ip(32 * c + j), id["c" c], pubkey()))
}

BEGIN {
	B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	    "0123456789+/"
	if (mode == "cidrs") {
		for (c = from; c < to; c++)
			request("/v1/admin/cidrs", sprintf( \
			    "{\"name\":\"c%d\",\"cidr\":\"%s/27\"," \
			    "\"parent\":1}", c, ip(32 * c)))
		exit
	}
	c = from
	j = 1
	nk = 0
}

FNR == NR {
	id[$1] = $2
	next
}

{
	for (f = 1; f <= NF && c < to; f++) {
		k[nk++] = $f
		if (nk < 32)
			continue
		nk = 0
		if (c "-" j != skip)
			peer(c, j)
		if (++j > per) {
			j = 1
			c++
		}
	}
}

END {
	if (mode == "peers" && c < to) {
		print "gen.awk: ran out of random bytes" > "/dev/stderr"
		exit 1
	}
}
