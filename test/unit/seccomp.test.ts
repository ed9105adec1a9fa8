import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { seccompProgram, seccompRules, seccompSupported } from '../../src/sandbox/seccomp.ts';

// Independent copies of the kernel numbers (syscall_64.tbl, asm-generic/unistd.h),
// so a typo in the generator's table shows up as a failure here.
const NR = {
  x64: {
    ioctl: 16,
    socket: 41,
    clone: 56,
    clone3: 435,
    unshare: 272,
    setns: 308,
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    bpf: 321,
    perf_event_open: 298,
    userfaultfd: 323,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    mount: 165,
    umount2: 166,
    open_tree: 428,
    open_tree_attr: 467,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    chroot: 161,
    pivot_root: 155,
    kexec_load: 246,
    kexec_file_load: 320,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    open_by_handle_at: 304,
    syslog: 103,
    // allowed, for contrast
    read: 0,
    getpid: 39,
    openat: 257,
    execve: 59,
  },
  arm64: {
    ioctl: 29,
    socket: 198,
    clone: 220,
    clone3: 435,
    unshare: 97,
    setns: 268,
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    bpf: 280,
    perf_event_open: 241,
    userfaultfd: 282,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    mount: 40,
    umount2: 39,
    open_tree: 428,
    open_tree_attr: 467,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    chroot: 51,
    pivot_root: 41,
    kexec_load: 104,
    kexec_file_load: 294,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    open_by_handle_at: 265,
    syslog: 116,
    read: 63,
    getpid: 172,
    openat: 56,
    execve: 221,
  },
} as const;
type Arch = keyof typeof NR;
type Name = keyof (typeof NR)['x64'];
const ARCHES: Arch[] = ['x64', 'arm64'];
const AUDIT_ARCH: Record<Arch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;

const ALLOW = 0x7fff0000;
const KILL_PROCESS = 0x80000000;
const EPERM = 0x00050000 | 1;
const ENOSYS = 0x00050000 | 38;

const UNCONDITIONAL: Name[] = [
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'open_by_handle_at',
  'syslog',
];
// Lifted by allowUserns.
const USERNS_ONLY: Name[] = [
  'setns',
  'mount',
  'umount2',
  'open_tree',
  'open_tree_attr',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'chroot',
  'pivot_root',
];

const CLONE_NEW = {
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
};
const CLONE_NEWTIME = 0x80;
const SIGCHLD = 17;
const CLONE_THREAD_FLAGS = 0x003d0f00; // what glibc's pthread_create passes

// ---------------------------------------------------------------------------
// A classic-BPF interpreter for the instructions a seccomp filter may use,
// strict about what the kernel's checker rejects (backward or out-of-range
// jumps, falling off the end, unknown opcodes).

interface Data {
  nr: number;
  arch: number;
  args?: bigint[];
}

function seccompData(d: Data): Buffer {
  const b = Buffer.alloc(64);
  b.writeInt32LE(d.nr, 0);
  b.writeUInt32LE(d.arch, 4);
  (d.args ?? []).forEach((v, i) => b.writeBigUInt64LE(BigInt.asUintN(64, v), 16 + 8 * i));
  return b;
}

function run(prog: Buffer, d: Data): number {
  const data = seccompData(d);
  const n = prog.length / 8;
  let a = 0;
  for (let pc = 0; pc < n; pc++) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    const jump = (cond: boolean) => {
      pc += cond ? jt : jf;
      assert.ok(pc + 1 < n, 'jump past the end');
    };
    switch (code) {
      case 0x20: // ld [k]
        assert.ok(k % 4 === 0 && k + 4 <= 64, `bad load offset ${k}`);
        a = data.readUInt32LE(k);
        break;
      case 0x15:
        jump(a === k);
        break; // jeq
      case 0x35:
        jump(a >= k);
        break; // jge (unsigned)
      case 0x45:
        jump((a & k) !== 0);
        break; // jset
      case 0x06:
        return k; // ret
      default:
        assert.fail(`unknown opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  return assert.fail('fell off the end of the program');
}

function call(arch: Arch, name: Name, args: (number | bigint)[] = [], allowUserns = false): number {
  const prog = seccompProgram(arch, { allowUserns });
  return run(prog, { nr: NR[arch][name], arch: AUDIT_ARCH[arch], args: args.map(BigInt) });
}

// ---------------------------------------------------------------------------

describe('seccompProgram', () => {
  for (const arch of ARCHES) {
    describe(arch, () => {
      const prog = seccompProgram(arch, { allowUserns: false });

      test('is a whole number of sock_filter records, within BPF_MAXINSNS', () => {
        assert.equal(prog.length % 8, 0);
        assert.ok(prog.length / 8 > 10 && prog.length / 8 <= 4096);
      });

      test('starts with the architecture check', () => {
        // ld [4] (seccomp_data.arch); jeq AUDIT_ARCH_*
        assert.equal(prog.readUInt16LE(0), 0x20);
        assert.equal(prog.readUInt32LE(4), 4);
        assert.equal(prog.readUInt16LE(8), 0x15);
        assert.equal(prog.readUInt32LE(12), AUDIT_ARCH[arch]);
      });

      test('jumps stay forward and inside the program; the last instruction returns', () => {
        const n = prog.length / 8;
        for (let pc = 0; pc < n; pc++) {
          const code = prog.readUInt16LE(pc * 8);
          if ((code & 0x07) === 0x05) {
            assert.ok(pc + 1 + prog.readUInt8(pc * 8 + 2) < n, `jt at ${pc}`);
            assert.ok(pc + 1 + prog.readUInt8(pc * 8 + 3) < n, `jf at ${pc}`);
          }
        }
        assert.equal(prog.readUInt16LE((n - 1) * 8), 0x06);
      });

      test('compares nr against every denied syscall number', () => {
        const jeqKs = new Set<number>();
        for (let pc = 0; pc < prog.length / 8; pc++) {
          if (prog.readUInt16LE(pc * 8) === 0x15) jeqKs.add(prog.readUInt32LE(pc * 8 + 4));
        }
        for (const name of [
          ...UNCONDITIONAL,
          ...USERNS_ONLY,
          'ioctl',
          'socket',
          'clone',
          'clone3',
          'unshare',
        ] as Name[]) {
          assert.ok(jeqKs.has(NR[arch][name]), `${name} (${NR[arch][name]})`);
        }
      });

      test('is deterministic', () => {
        assert.deepEqual(seccompProgram(arch, { allowUserns: false }), prog);
        assert.notDeepEqual(seccompProgram(arch, { allowUserns: true }), prog);
      });

      test('kills foreign architectures', () => {
        for (const foreign of [
          AUDIT_ARCH_I386,
          AUDIT_ARCH_ARM,
          (AUDIT_ARCH.x64 ^ AUDIT_ARCH.arm64 ^ AUDIT_ARCH[arch]) >>> 0,
        ]) {
          assert.equal(run(prog, { nr: NR[arch].getpid, arch: foreign }), KILL_PROCESS);
        }
      });

      test('allows ordinary syscalls', () => {
        for (const name of ['read', 'getpid', 'openat', 'execve'] as const) {
          assert.equal(call(arch, name), ALLOW, name);
        }
      });

      test('denies the unconditional list with EPERM', () => {
        for (const name of [...UNCONDITIONAL, ...USERNS_ONLY]) {
          assert.equal(call(arch, name), EPERM, name);
        }
      });

      test('ioctl: TIOCSTI and TIOCLINUX on the low 32 bits only (CVE-2019-10063)', () => {
        assert.equal(call(arch, 'ioctl', [0, 0x5412]), EPERM);
        assert.equal(call(arch, 'ioctl', [0, 0x541c]), EPERM);
        assert.equal(call(arch, 'ioctl', [0, 0x1_0000_5412n]), EPERM);
        assert.equal(call(arch, 'ioctl', [0, 0xffffffff_0000541cn]), EPERM);
        assert.equal(call(arch, 'ioctl', [0x5412, 0x5413]), ALLOW); // TIOCGWINSZ; fd is not the request
        assert.equal(call(arch, 'ioctl', [0, 0x541b]), ALLOW); // FIONREAD
      });

      test('socket: AF_VSOCK and AF_PACKET only', () => {
        assert.equal(call(arch, 'socket', [40, 1, 0]), EPERM);
        assert.equal(call(arch, 'socket', [17, 3, 0]), EPERM);
        assert.equal(call(arch, 'socket', [0x1_0000_0011n, 3, 0]), EPERM);
        for (const domain of [1, 2, 10, 16])
          assert.equal(call(arch, 'socket', [domain, 1, 0]), ALLOW);
      });

      test('clone and unshare: namespace flags denied, plain use allowed', () => {
        for (const [flag, bit] of Object.entries(CLONE_NEW)) {
          assert.equal(call(arch, 'clone', [bit | SIGCHLD]), EPERM, `clone ${flag}`);
          assert.equal(call(arch, 'unshare', [bit]), EPERM, `unshare ${flag}`);
          assert.equal(call(arch, 'clone', [bit | SIGCHLD], true), ALLOW, `clone ${flag}, userns`);
          assert.equal(call(arch, 'unshare', [bit], true), ALLOW, `unshare ${flag}, userns`);
        }
        assert.equal(call(arch, 'unshare', [CLONE_NEWTIME]), EPERM);
        assert.equal(call(arch, 'clone', [SIGCHLD]), ALLOW);
        assert.equal(call(arch, 'clone', [0x80 | 0x40]), ALLOW); // exit signal byte is not flags
        assert.equal(call(arch, 'clone', [CLONE_THREAD_FLAGS]), ALLOW);
        assert.equal(call(arch, 'unshare', [0]), ALLOW);
        assert.equal(call(arch, 'unshare', [0x200 | 0x400]), ALLOW); // CLONE_FS | CLONE_FILES
      });

      test('clone3 answers ENOSYS so libc falls back to clone', () => {
        assert.equal(call(arch, 'clone3'), ENOSYS);
        assert.equal(call(arch, 'clone3', [], true), ALLOW);
      });

      test('allowUserns lifts namespace and mount rules only', () => {
        for (const name of USERNS_ONLY) assert.equal(call(arch, name, [], true), ALLOW, name);
        for (const name of UNCONDITIONAL) assert.equal(call(arch, name, [], true), EPERM, name);
        assert.equal(call(arch, 'ioctl', [0, 0x5412], true), EPERM);
        assert.equal(call(arch, 'socket', [40], true), EPERM);
      });
    });
  }

  test('x64: kills the x32 ABI but lets nr -1 through', () => {
    const prog = seccompProgram('x64', { allowUserns: false });
    const x64 = AUDIT_ARCH.x64;
    assert.equal(run(prog, { nr: 0x40000000 | 39, arch: x64 }), KILL_PROCESS);
    assert.equal(run(prog, { nr: 514, arch: x64 }), ALLOW); // not x32 without the bit: no such syscall
    assert.equal(run(prog, { nr: 0x40000000 | 514, arch: x64 }), KILL_PROCESS); // x32 ioctl
    assert.equal(run(prog, { nr: -1, arch: x64 }), ALLOW);
  });

  test('arm64 has no x32 check', () => {
    const prog = seccompProgram('arm64', { allowUserns: false });
    assert.equal(run(prog, { nr: -1, arch: AUDIT_ARCH.arm64 }), ALLOW);
    assert.equal(run(prog, { nr: 0x40000000 | 172, arch: AUDIT_ARCH.arm64 }), ALLOW);
  });

  test('throws a clear error on unsupported architectures', () => {
    for (const arch of ['ia32', 'arm', 'riscv64', 'x86_64', '']) {
      assert.equal(seccompSupported(arch), false);
      assert.throws(() => seccompProgram(arch, { allowUserns: false }), {
        message: new RegExp(`unsupported architecture '${arch}'.*x64, arm64`),
        code: 'BUBBLE_SECCOMP_ARCH',
      });
    }
    assert.equal(seccompSupported('x64'), true);
    assert.equal(seccompSupported('arm64'), true);
    assert.equal(seccompSupported('toString'), false);
  });
});

describe('seccompRules', () => {
  test('lists every denied syscall with a reason', () => {
    const rules = seccompRules({ allowUserns: false });
    const names = new Set(rules.map((r) => r.syscall));
    for (const name of [
      ...UNCONDITIONAL,
      ...USERNS_ONLY,
      'ioctl',
      'socket',
      'clone',
      'clone3',
      'unshare',
    ]) {
      assert.ok(names.has(name), name);
    }
    for (const r of rules) assert.ok(r.why.length > 10, `${r.syscall} has a why`);
    assert.equal(rules[0]?.syscall, '*');
    assert.equal(rules[0]?.action, 'KILL');
  });

  test('conditional rules say what they match', () => {
    const rules = seccompRules({ allowUserns: false });
    const ioctl = rules.filter((r) => r.syscall === 'ioctl').map((r) => r.match);
    assert.deepEqual(ioctl.length, 2);
    assert.match(ioctl.join(' '), /TIOCSTI \(0x5412\)/);
    assert.match(ioctl.join(' '), /TIOCLINUX \(0x541c\)/);
    assert.match(rules.find((r) => r.syscall === 'socket')?.match ?? '', /AF_VSOCK.*AF_PACKET/);
    assert.match(rules.find((r) => r.syscall === 'clone')?.match ?? '', /arg0.*CLONE_NEWUSER/);
    assert.equal(rules.find((r) => r.syscall === 'clone3')?.action, 'ENOSYS');
    assert.equal(rules.find((r) => r.syscall === 'ptrace')?.match, undefined);
  });

  test('allowUserns drops the namespace and mount rules', () => {
    const names = new Set(seccompRules({ allowUserns: true }).map((r) => r.syscall));
    for (const name of [...USERNS_ONLY, 'clone', 'clone3', 'unshare'])
      assert.ok(!names.has(name), name);
    for (const name of [...UNCONDITIONAL, 'ioctl', 'socket']) assert.ok(names.has(name), name);
  });
});
