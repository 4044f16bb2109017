# A raw HTTP exchange for t_httperr.sh, for requests curl will not send:
# connects from SRC to DST:PORT, sends standard input as it is, then
# reads until the server closes (10 s at most) without closing its own
# side first, as a client waiting for its answer does.  A line "--" in
# the input: what follows is sent once an answer has begun (after an
# interim "100 Continue", or a second request on the connection).
# Prints the status of the last answer (000 for none) and writes its
# headers to OUT.head and its body to OUT.
import socket
import sys
import time

dst, port, src, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
parts = sys.stdin.buffer.read().split(b"--\n", 1)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(10)
data = b""
try:
    s.bind((src, 0))
    s.connect((dst, port))
    s.sendall(parts[0])
    if len(parts) > 1:
        while b"\r\n\r\n" not in data:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.sendall(parts[1])
    end = time.time() + 10
    while time.time() < end:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError:
    pass
s.close()

# the last answer: after any interim one or earlier ones (Content-Length)
status, head, body = "000", b"", b""
while data.startswith(b"HTTP/"):
    head, _, body = data.partition(b"\r\n\r\n")
    fields = head.split(b" ", 2)
    status = fields[1].decode() if len(fields) > 1 else "000"
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length" and v.strip().isdigit():
            length = int(v)
    if not body[length:].startswith(b"HTTP/"):
        break
    data = body[length:]
with open(out + ".head", "wb") as f:
    f.write(head)
with open(out, "wb") as f:
    f.write(body)
print(status)
