"""mp.h against real Python: run by tests/interop.sh with each interpreter found.

    python3 tests/interop.py PEER     (PEER: the built tests/interop_peer.c)

C listener with Python clients and Python listener with C clients, over a Unix socket, Linux's
abstract namespace and TCP on 127.0.0.1 and ::1 (skipped with a note without an IPv6
loopback); right and wrong keys; messages of 0 B to 64 MiB; many clients at once, both ways;
named shared memory both ways. Every wait is bounded; the servers stop by themselves. Prints one line per
check and "N passed, N failed".
"""
import os, socket, subprocess, sys, tempfile, threading
from multiprocessing import shared_memory
from multiprocessing import connection
from multiprocessing.connection import Listener, AuthenticationError

PEER = os.path.abspath(sys.argv[1])
VER = "%d.%d" % sys.version_info[:2]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   [%s] %s" % (VER, name))
    else:
        failed += 1
        print("FAIL [%s] %s %s" % (VER, name, detail))


def pattern(n):
    """The bytes interop_peer.c makes for a message of n bytes: (i * 31 + n * 7) & 255."""
    block = bytes((i * 31 + n * 7) & 0xFF for i in range(256))
    return (block * (n // 256 + 1))[:n]


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def families():
    d = tempfile.mkdtemp(prefix="mp-interop-")
    out = [("unix", os.path.join(d, "s")), ("tcp 127.0.0.1", "127.0.0.1:0")]
    if have_ipv6():
        out.append(("tcp ::1", "[::1]:0"))
    else:
        print("note [%s] no IPv6 loopback here: ::1 skipped" % VER)
    if sys.platform.startswith("linux"):
        out.append(("abstract", "@mp-interop-%d" % os.getpid()))
    return out


def py_address(text):
    """mp.h's address text as a Python address."""
    if text.startswith("@"):
        return "\0" + text[1:]
    if text.startswith("["):
        host, port = text[1:].rsplit("]:", 1)
        return (host, int(port))
    if ":" in text and "/" not in text:
        host, port = text.rsplit(":", 1)
        return (host, int(port))
    return text


def c_text(a):
    """A Python address as mp.h's text."""
    if isinstance(a, tuple):
        return ("[%s]:%d" if ":" in a[0] else "%s:%d") % (a[0], a[1])
    if isinstance(a, bytes):
        a = a.decode()
    return "@" + a[1:] if a.startswith("\0") else a


def Client(address, authkey):
    """multiprocessing.connection.Client, which takes every tuple for AF_INET: an IPv6 one is
    connected by hand, then handed to the same Connection and handshake as Client's."""
    if isinstance(address, tuple) and ":" in address[0]:
        s = socket.create_connection(address)
        c = connection.Connection(s.detach())
        connection.answer_challenge(c, authkey)
        connection.deliver_challenge(c, authkey)
        return c
    return connection.Client(address, authkey=authkey)


def start_server(address, key, n):
    p = subprocess.Popen([PEER, "serve", address, key, str(n)], stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline().split()
    if len(line) != 2 or line[0] != "address":
        p.kill()
        raise RuntimeError("peer did not listen: %r" % line)
    return p, py_address(line[1])


def finish(p):
    try:
        out, _ = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return -999, out
    return p.returncode, out


def c_listener_python_client(fam, address, sizes):
    p, addr = start_server(address, "secret", 2)
    ok, detail, wrong = True, "", "?"
    try:
        with Client(addr, authkey=b"secret") as c:
            for n in sizes:
                m = pattern(n)
                c.send_bytes(m)
                if c.recv_bytes() != m:
                    ok, detail = False, "echo of %d bytes differs" % n
        try:
            Client(addr, authkey=b"wrong")
            wrong = "no error"
        except AuthenticationError:
            wrong = "AuthenticationError"
    except Exception as e:
        ok, detail = False, repr(e)
    code, out = finish(p)
    check("C listener, Python client, %s, 0 B .. %d B" % (fam, max(sizes)),
          ok and code == 0 and "accept 0" in out, detail + out)
    check("C listener, Python client, %s, wrong key: AuthenticationError / MP_EAUTH" % fam,
          wrong == "AuthenticationError" and "accept -33" in out, wrong + out)


def c_listener_many_python_clients(address, n=16):
    p, addr = start_server(address, "secret", n)
    errors = []

    def one(i):
        try:
            with Client(addr, authkey=b"secret") as c:
                for k in range(20):
                    m = b"client %d message %d" % (i, k)
                    c.send_bytes(m)
                    if c.recv_bytes() != m:
                        errors.append("client %d: bad echo" % i)
        except Exception as e:
            errors.append("client %d: %r" % (i, e))

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    code, out = finish(p)
    check("C listener, %d Python clients at once" % n,
          not errors and code == 0 and out.count("accept 0") == n, "%s %s" % (errors, out))


def python_listener_c_client(fam, address, sizes):
    if address == "127.0.0.1:0":
        address = ("127.0.0.1", 0)
    elif address == "[::1]:0":
        address = ("::1", 0)
    elif address.startswith("@"):
        address = "\0" + address[1:]
    elif os.path.exists(address):
        os.unlink(address)
    results = []
    family = "AF_INET6" if isinstance(address, tuple) and ":" in address[0] else None
    with Listener(address, family=family, authkey=b"secret") as l:
        text = c_text(l.address)

        def serve():
            for _ in range(2):
                try:
                    c = l.accept()
                except AuthenticationError:
                    results.append("AuthenticationError")
                    continue
                except Exception as e:
                    results.append(repr(e))
                    continue
                try:
                    while True:
                        c.send_bytes(c.recv_bytes())
                except EOFError:
                    results.append("served")
                finally:
                    c.close()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        right = subprocess.run([PEER, "client", text, "secret"] + [str(n) for n in sizes],
                               capture_output=True, text=True, timeout=120)
        wrong = subprocess.run([PEER, "client", text, "wrong"], capture_output=True, text=True,
                               timeout=60)
        t.join(60)
    check("Python listener, C client, %s, 0 B .. %d B" % (fam, max(sizes)),
          right.returncode == 0 and "served" in results, right.stdout + str(results))
    check("Python listener, C client, %s, wrong key: MP_EAUTH / AuthenticationError" % fam,
          wrong.returncode == 33 and "AuthenticationError" in results,
          wrong.stdout + str(wrong.returncode) + str(results))


def python_listener_many_c_clients(n=8):
    served = []
    # backlog: Python's default of 1 drops the SYNs of clients that come at once, and the
    # kernel's retries of those can outlast the clients' timeout
    with Listener(("127.0.0.1", 0), backlog=n, authkey=b"secret") as l:
        text = c_text(l.address)

        def echo(c):
            try:
                while True:
                    c.send_bytes(c.recv_bytes())
            except EOFError:
                served.append(1)
            finally:
                c.close()

        def serve():
            for _ in range(n):
                try:
                    c = l.accept()
                except Exception as e:
                    print("note: accept: %r" % e)
                    continue
                threading.Thread(target=echo, args=(c,), daemon=True).start()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        ps = [subprocess.Popen([PEER, "client", text, "secret", "0", "100", "70000"],
                               stdout=subprocess.PIPE, text=True) for _ in range(n)]
        codes = []
        for p in ps:
            try:
                p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
            codes.append(p.returncode)
        t.join(30)
    check("Python listener, %d C clients at once" % n, codes == [0] * n, str(codes))


def untrack(shm):
    """A block this process attached but does not own: its resource tracker (3.12 and older)
    would unlink it at exit."""
    try:
        from multiprocessing import resource_tracker
        resource_tracker.unregister(shm._name, "shared_memory")
    except Exception:
        pass


def shm_both_ways():
    name = "mp_interop_%d" % os.getpid()
    # C creates, Python attaches
    p = subprocess.Popen([PEER, "shm-create", name], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    ok = line.startswith("ready")
    try:
        s = shared_memory.SharedMemory(name)
        untrack(s)
        ok = ok and bytes(s.buf[1:14]) == b"written by C\0" and s.buf[(1 << 20) - 1] == 0x5A
        s.buf[1:20] = b"answered by Python\0"
        s.buf[0] = 2
        s.close()
    except Exception as e:
        ok = False
        line += repr(e)
    code, out = finish(p)
    check("named shared memory: C creates %s, Python attaches" % name, ok and code == 0,
          line + out)
    # Python creates, C attaches
    s = shared_memory.SharedMemory(create=True, size=4096)
    s.buf[1:19] = b"written by Python\0"
    s.buf[0] = 1
    r = subprocess.run([PEER, "shm-attach", s.name], capture_output=True, text=True, timeout=60)
    ok = r.returncode == 0 and s.buf[0] == 2 and bytes(s.buf[1:15]) == b"answered by C\0"
    check("named shared memory: Python creates %s, C attaches" % s.name, ok,
          str(r.returncode) + r.stdout + r.stderr)
    s.close()
    s.unlink()


def main():
    small = [0, 1, 4, 100, 65536, 1 << 20]
    for fam, address in families():
        sizes = small + [64 << 20] if fam == "unix" else small
        c_listener_python_client(fam, address, sizes)
        python_listener_c_client(fam, address, sizes)
    c_listener_many_python_clients("127.0.0.1:0")
    python_listener_many_c_clients()
    shm_both_ways()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
