# Slow clients for t_admission.sh and t_emfile.sh: open N connections from
# SRC to DST:PORT and feed each a byte string slowly, one piece a second,
# for at most SECS seconds.  MODE "headers" sends a request line, then a
# header line a second; "body" sends whole headers announcing 1000 bytes
# of body, then one byte a second.  Prints: opened, still open after
# 1.5 s, still open at the end, seconds elapsed (the run ends early once
# the server has closed them all).
import socket
import sys
import time

dst, port, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n, secs, mode = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
if mode == "headers":
    first = b"GET /v1/user/state HTTP/1.1\r\nHost: x\r\n"
    piece = b"X-Slow: y\r\n"
else:
    first = (b"PUT /v1/user/endpoint HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    piece = b" "

socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
        s.sendall(first)
    except OSError:
        s.close()
        continue
    s.setblocking(False)
    socks.append(s)

start = time.time()
alive = set(socks)
held = None
while alive and time.time() - start < secs:
    for s in list(alive):
        try:
            if s.recv(4096) == b"":
                alive.discard(s)
                continue
        except BlockingIOError:
            pass
        except OSError:
            alive.discard(s)
            continue
        try:
            s.send(piece)
        except BlockingIOError:
            pass
        except OSError:
            alive.discard(s)
    if held is None and time.time() - start >= 1.5:
        held = len(alive)
    time.sleep(1)
if held is None:
    held = len(alive)
print(len(socks), held, len(alive), round(time.time() - start, 1))
for s in socks:
    s.close()
