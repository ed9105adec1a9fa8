// What runs inside the sandbox during `bubble selftest`: a Node driver that runs probe
// bodies one after the other and prints one result line each, and small Python programs
// for what Node cannot do (raw syscalls through ctypes, abstract sockets, a pty). They are
// written into the world's probes directory, which is mounted read-only inside.

/**
 * The driver. argv: CTX_JSON_PATH PROBES_JSON_PATH. Each probe body is the body of an
 * async function that receives the helpers below and returns a JSON value; it prints
 * `@@selftest {"id":..., "r":...}` per probe. Nothing here trusts the probe bodies to end:
 * every child process and socket has a timeout, and each probe a deadline.
 */
export const DRIVER = String.raw`
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';

// Before anything opens a descriptor: what did the sandbox inherit?
const startFds = {};
for (const fd of fs.readdirSync('/proc/self/fd')) {
  try { startFds[fd] = fs.readlinkSync('/proc/self/fd/' + fd); } catch {}
}

const C = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const probes = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
// The proxy the agent is told about (filtered: the bridge on 127.0.0.1 inside; logged: the
// host's loopback). Without one, pivots try 127.0.0.1:3128 and must find nothing there.
{
  const m = /^http:\/\/([0-9.]+):(\d+)/.exec(process.env.HTTP_PROXY || '');
  C.proxy = m ? { host: m[1], port: Number(m[2]) } : C.mode === 'none' ? { host: '127.0.0.1', port: 3128 } : null;
}
const code = (e) => (e && (e.code || e.message)) || String(e);

function read(p) {
  try {
    const s = fs.readFileSync(p, 'utf8');
    return s.includes(C.canary) ? 'CANARY' : 'READ';
  } catch (e) { return code(e); }
}
function write(p, data = 'bubble-selftest\n') {
  try { fs.writeFileSync(p, data); return 'OK'; } catch (e) { return code(e); }
}
function append(p, data = '\n# bubble-selftest\n') {
  try { fs.appendFileSync(p, data); return 'OK'; } catch (e) { return code(e); }
}
function ls(p) {
  try { return fs.readdirSync(p); } catch (e) { return code(e); }
}
function exists(p) {
  try { fs.lstatSync(p); return true; } catch { return false; }
}
function attempt(fn) {
  try { const r = fn(); return r === undefined ? 'OK' : r; } catch (e) { return code(e); }
}
function sh(cmd, timeout = 8000) {
  const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, signal: r.signal, out: (r.stdout || '').trim(), err: (r.stderr || '').trim().slice(0, 300), error: r.error ? code(r.error) : undefined };
}
const pyCache = new Map();
function py(script, args = [], timeout = 20000) {
  const key = script + ' ' + args.join(' ');
  if (pyCache.has(key)) return pyCache.get(key);
  let result;
  const r = spawnSync('python3', [C.probes + '/' + script, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error && r.error.code === 'ENOENT') result = { skip: 'no python3 on this machine' };
  else {
    const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
    try { result = JSON.parse(line); } catch { result = { error: 'python3 ' + script + ' failed: ' + (r.signal || r.status) + ' ' + (r.stderr || '').slice(-300) }; }
  }
  pyCache.set(key, result);
  return result;
}
function withTimeout(ms, fn) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (!done) { done = true; clearTimeout(t); resolve(v); } };
    const t = setTimeout(() => finish('TIMEOUT'), ms);
    try { fn(finish); } catch (e) { finish(code(e)); }
  });
}
/** Connect, send payload, wait for the peer's end: 'OK' if it arrived, else the error. */
function tcp(host, port, payload) {
  return withTimeout(3000, (finish) => {
    const s = net.connect({ host, port });
    s.on('connect', () => { s.end(payload + '\n'); });
    s.on('error', (e) => finish(code(e)));
    s.on('close', () => finish('OK'));
    s.resume();
  });
}
function udp(host, port, payload) {
  return withTimeout(3000, (finish) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.on('error', (e) => { s.close(); finish(code(e)); });
    s.send(payload + '\n', port, host, (e) => { s.close(); finish(e ? code(e) : 'SENT'); });
  });
}
/** Speak HTTP to the proxy (C.proxy) on a raw socket; return its status line. On a 2xx, send payload. */
function proxyTalk(request, payload) {
  if (!C.proxy) return Promise.resolve('NO_PROXY');
  return withTimeout(5000, (finish) => {
    const s = net.connect({ host: C.proxy.host, port: C.proxy.port });
    let buf = Buffer.alloc(0);
    s.on('connect', () => s.write(request));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      const line = buf.subarray(0, i).toString('latin1');
      if (/^HTTP\/1\.[01] 2/.test(line) && payload) s.end(payload + '\n'); else s.destroy();
      finish(line);
    });
    s.on('error', (e) => finish(code(e)));
    s.on('close', () => finish('CLOSED'));
  });
}
function httpConnect(authority, payload) {
  return proxyTalk('CONNECT ' + authority + ' HTTP/1.1\r\nHost: ' + authority + '\r\n\r\n', payload);
}
function httpForward(url, payload) {
  return proxyTalk('GET ' + url + '/' + payload + ' HTTP/1.1\r\nHost: ' + new URL(url).host + '\r\nConnection: close\r\n\r\n');
}
/** SOCKS5 CONNECT to an IPv4 address; returns 'SOCKS5 reply N' (0 = connected). */
function socks5(ip4, port, payload) {
  if (!C.proxy) return Promise.resolve('NO_PROXY');
  return withTimeout(5000, (finish) => {
    const s = net.connect({ host: C.proxy.host, port: C.proxy.port });
    let stage = 0;
    let buf = Buffer.alloc(0);
    s.on('connect', () => s.write(Buffer.from([5, 1, 0])));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2) return;
      if (stage === 0) {
        if (buf[1] !== 0) { finish('SOCKS5 method ' + buf[1]); s.destroy(); return; }
        stage = 1;
        buf = Buffer.alloc(0);
        s.write(Buffer.from([5, 1, 0, 1, ...ip4.split('.').map(Number), port >> 8, port & 255]));
      } else {
        if (buf[1] === 0 && payload) s.end(payload + '\n'); else s.destroy();
        finish('SOCKS5 reply ' + buf[1]);
      }
    });
    s.on('error', (e) => finish(code(e)));
    s.on('close', () => finish('CLOSED'));
  });
}
function limits() {
  const out = {};
  for (const line of fs.readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1].trim()] = m[2];
  }
  return out;
}
function status() {
  return Object.fromEntries(fs.readFileSync('/proc/self/status', 'utf8').split('\n').filter(Boolean).map((l) => { const i = l.indexOf(':'); return [l.slice(0, i), l.slice(i + 1).trim()]; }));
}

const H = { C, fs, net, dns, os, read, write, append, ls, exists, attempt, sh, py, tcp, udp, httpConnect, httpForward, socks5, withTimeout, limits, status, startFds, code };
const AsyncFunction = (async () => {}).constructor;
for (const p of probes) {
  let r;
  try {
    const fn = new AsyncFunction(...Object.keys(H), p.body);
    r = await Promise.race([fn(...Object.values(H)), new Promise((res) => setTimeout(() => res({ error: 'probe timed out inside' }), p.timeoutMs || 10000).unref())]);
  } catch (e) {
    r = { error: 'probe threw: ' + code(e) };
  }
  process.stdout.write('@@selftest ' + JSON.stringify({ id: p.id, r: r === undefined ? null : r }) + '\n');
}
process.exit(0);
`;

/**
 * Syscalls through ctypes, each in a forked child (a probe the filter kills shows up as a
 * signal, one that succeeds changes nothing for the next). Arguments are chosen so that
 * without bubble's filter the kernel answers something other than EPERM, or succeeds
 * harmlessly: an EPERM then comes from the filter. Prints one JSON object
 * {name: "OK" | "EPERM" | ... | "SIGSYS"}. Syscall numbers are written out here, not
 * taken from bubble's filter, so a wrong number on either side shows up.
 */
export const SYS_PY = String.raw`
import ctypes, errno, json, mmap, os, platform, signal, socket, sys
NR = {
  "x86_64": {"ioctl": 16, "clone": 56, "unshare": 272, "setns": 308, "ptrace": 101,
    "process_vm_readv": 310, "process_vm_writev": 311, "keyctl": 250, "add_key": 248,
    "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "mount": 165, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442, "chroot": 161, "pivot_root": 155,
    "getpid": 39, "syslog": 103},
  "aarch64": {"ioctl": 29, "clone": 220, "unshare": 97, "setns": 268, "ptrace": 117,
    "process_vm_readv": 270, "process_vm_writev": 271, "keyctl": 219, "add_key": 217,
    "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
    "io_uring_setup": 425, "mount": 40, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442, "chroot": 51, "pivot_root": 41,
    "getpid": 172, "syslog": 116},
}
MACHINE = platform.machine()
if MACHINE not in NR:
    print(json.dumps({"skip": "no syscall table for " + MACHINE}))
    sys.exit(0)
N = NR[MACHINE]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
BAD = 1
AT_FDCWD = -100
SIGCHLD = 17

def sc(name, *args):
    nr = N[name] if isinstance(name, str) else name
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_ulong(a & 0xFFFFFFFFFFFFFFFF) if isinstance(a, int) else a for a in args])
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r

P = {}
def probe(f):
    P[f.__name__] = f
    return f

@probe
def ptrace(): sc("ptrace", 16, 0x7FFFFFF0, 0, 0)          # attach to a pid that does not exist: ESRCH unfiltered
@probe
def ptrace_pid1(): sc("ptrace", 16, 1, 0, 0)
@probe
def process_vm_readv(): sc("process_vm_readv", os.getpid(), 0, 0, 0, 0, 0)
@probe
def process_vm_writev(): sc("process_vm_writev", os.getpid(), 0, 0, 0, 0, 0)
@probe
def keyctl(): sc("keyctl", 0, -3, 0)
@probe
def add_key(): sc("add_key", b"user", b"bubble-selftest", b"x", 1, -2)
@probe
def request_key(): sc("request_key", b"user", b"bubble-selftest", None, 0)
@probe
def bpf(): sc("bpf", 0xFFFF, 0, 0)
@probe
def perf_event_open(): sc("perf_event_open", BAD, 0, -1, -1, 0)
@probe
def userfaultfd(): os.close(sc("userfaultfd", os.O_CLOEXEC | 1))
@probe
def io_uring_setup(): sc("io_uring_setup", 1, BAD)
@probe
def mount(): sc("mount", 0, BAD, 0, 0, 0)
@probe
def fsopen(): os.close(sc("fsopen", b"tmpfs", 0))
@probe
def fspick(): os.close(sc("fspick", AT_FDCWD, b"/", 0))
@probe
def open_tree(): os.close(sc("open_tree", AT_FDCWD, b"/", 1))   # OPEN_TREE_CLONE
@probe
def move_mount(): sc("move_mount", -1, BAD, -1, BAD, 0)
@probe
def mount_setattr(): sc("mount_setattr", -1, BAD, 0, 0, 0)
@probe
def chroot(): sc("chroot", BAD)
@probe
def pivot_root(): sc("pivot_root", BAD, BAD)
@probe
def setns(): sc("setns", -1, 0)
@probe
def unshare_user(): sc("unshare", 0x10000000)
@probe
def unshare_mount(): sc("unshare", 0x20000)
@probe
def unshare_net(): sc("unshare", 0x40000000)
@probe
def clone_newuser():
    pid = sc("clone", 0x10000000 | SIGCHLD, 0, 0, 0, 0)
    if pid == 0: os._exit(0)
    os.waitpid(pid, 0)
@probe
def syslog(): sc("syslog", 10, 0, 0)
@probe
def socket_vsock(): socket.socket(40, socket.SOCK_STREAM, 0).close()
@probe
def socket_packet(): socket.socket(17, socket.SOCK_RAW, 0).close()
@probe
def socket_raw(): socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
if MACHINE == "x86_64":
    @probe
    def x32_getpid(): sc(0x40000000 | N["getpid"])
    @probe
    def i386_getpid():
        code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
        buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        buf.write(code)
        r = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))()
        if r < 0: raise OSError(-r, os.strerror(-r))

def run(fn):
    pid = os.fork()
    if pid == 0:
        c = 254
        try:
            fn(); c = 0
        except OSError as e:
            c = e.errno if e.errno and 0 < e.errno < 250 else 254
        except BaseException:
            c = 254
        os._exit(c)
    _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        return signal.Signals(os.WTERMSIG(st)).name
    c = os.WEXITSTATUS(st)
    return "OK" if c == 0 else errno.errorcode.get(c, "error %d" % c)

print(json.dumps({name: run(f) for name, f in P.items()}))
`;

/** Connects to an abstract Unix socket: argv NAME PAYLOAD. */
export const ABSTRACT_PY = String.raw`
import errno, json, socket, sys
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect("\0" + sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\n")
    s.close()
    r = "OK"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__
print(json.dumps({"r": r}))
`;

/**
 * Terminal injection under a real pty (the host runs bubble through pty.spawn): TIOCSTI
 * and TIOCLINUX on the controlling terminal, also with high bits set (CVE-2019-10063).
 */
export const TTY_PY = String.raw`
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_IOCTL = {"x86_64": 16, "aarch64": 29}.get(os.uname().machine)
out = {"isatty": os.isatty(0)}
if NR_IOCTL is None:
    out["skip"] = "no ioctl number for " + os.uname().machine
else:
    for name, req in [("tiocsti", 0x5412), ("tiocsti_high", 0x100005412), ("tioclinux", 0x541C), ("tioclinux_high", 0x10000541C)]:
        c = ctypes.c_char(b"#" if "sti" in name else bytes([6]))
        r = libc.syscall(ctypes.c_long(NR_IOCTL), ctypes.c_long(0), ctypes.c_ulong(req), ctypes.byref(c))
        out[name] = "OK" if r == 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
print(json.dumps(out))
`;

/**
 * A bounded fork bomb: fork children that wait on a pipe until fork fails or a cap is
 * reached (the process limit plus 64, at most 1024 when the limit is high or absent),
 * report how many, then end them. Bounded by counts only: the verdict does not depend on
 * the machine's speed.
 */
export const BOMB_PY = String.raw`
import errno, json, os, resource, signal
soft = resource.getrlimit(resource.RLIMIT_NPROC)[0]
limit = "unlimited" if soft == resource.RLIM_INFINITY else soft
# A limit above 4096 does not contain a bomb: stop at 1024 and report it.
cap = 1024 if limit == "unlimited" or limit > 4096 else limit + 64
kids, err = [], None
hold_r, hold_w = os.pipe()
while len(kids) < cap:
    try:
        pid = os.fork()
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
        break
    if pid == 0:
        try:
            os.close(hold_w)
            os.read(hold_r, 1)  # until the parent closes the pipe or kills us
        finally:
            os._exit(0)
    kids.append(pid)
os.close(hold_w)
for pid in kids:
    try: os.kill(pid, signal.SIGKILL)
    except OSError: pass
for pid in kids:
    try: os.waitpid(pid, 0)
    except OSError: pass
print(json.dumps({"forked": len(kids), "errno": err, "limit": limit, "cap": cap}))
`;

/** Runs a command under a fresh pseudo-terminal and copies its output (argv: COMMAND...). */
export const PTY_RUN_PY = String.raw`
import os, pty, sys
sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))
`;
