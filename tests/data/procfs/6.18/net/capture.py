"""Capture /proc/net/{netstat,snmp,sockstat} three times 1 s apart while a loopback listener
with a backlog of 1 never accepts and 50 clients try to connect to it."""
import datetime, errno, os, socket, sys, time

SOURCES = [("/proc/net/netstat", "net_netstat.txt"),
           ("/proc/net/snmp", "net_snmp.txt"),
           ("/proc/net/sockstat", "net_sockstat.txt")]
out_dir = sys.argv[1]

def snapshot():
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H:%M:%S.%f")
    for source, name in SOURCES:
        with open(source) as f:
            content = f.read()
        with open(os.path.join(out_dir, name), "a") as out:
            out.write(f"==> {source} @ {stamp} <==\n{content}")
            if not content.endswith("\n"):
                out.write("\n")

start = time.monotonic()
snapshot()
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
port = listener.getsockname()[1]
clients = []
try:
    for _ in range(50):
        client = socket.socket()
        client.setblocking(False)
        err = client.connect_ex(("127.0.0.1", port))
        assert err in (0, errno.EINPROGRESS), err
        clients.append(client)
    time.sleep(max(0.0, start + 1.0 - time.monotonic()))
    snapshot()
    time.sleep(max(0.0, start + 1.8 - time.monotonic()))
finally:
    for client in clients:
        client.close()
    listener.close()
time.sleep(max(0.0, start + 2.0 - time.monotonic()))
snapshot()
