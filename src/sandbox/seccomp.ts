// A seccomp filter for `bwrap --seccomp FD`, generated as raw classic-BPF bytes.
//
// No libseccomp, no native addon, no shipped binary: the program is a deny list
// small enough to assemble by hand. bwrap reads the fd to EOF, checks that the
// length is a multiple of 8 and installs it with PR_SET_SECCOMP just before it
// execs the command, after dropping its own privileges.
//
// Layout (every path ends in a `ret`, every jump is forward and short):
//
//   ld arch;  if arch != native            -> KILL_PROCESS
//   ld nr;    if x86_64 and nr is x32 ABI  -> KILL_PROCESS
//   for each syscall with rules:
//     if nr != this syscall -> next syscall
//     [ld argN low word; if it matches -> ERRNO(e)]...   (or an unconditional ERRNO)
//     ALLOW
//   ALLOW
//
// References: flatpak common/flatpak-run.c (setup_seccomp), bubblewrap's
// demos/flatpak-run.sh, Documentation/userspace-api/seccomp_filter.rst.

export interface SeccompOptions {
  /**
   * Let the agent create nested namespaces (its own bwrap, rootless podman,
   * Chromium's sandbox). Lifts the namespace rules and, because a nested
   * sandbox cannot be set up without them, the mount/chroot/pivot_root rules:
   * without capabilities those only work inside namespaces the agent created,
   * where the mounts inherited from bwrap stay locked (MNT_LOCKED, and read-only
   * ones MNT_LOCK_READONLY).
   */
  allowUserns: boolean;
}

/** One line of what the filter refuses, for `bubble explain`. */
export interface SeccompRule {
  syscall: string;
  why: string;
  /** When only some calls are refused: which argument is looked at and what is refused. */
  match?: string;
  /** What the caller sees: an errno, or the process killed with SIGSYS. */
  action: 'EPERM' | 'ENOSYS' | 'KILL';
}

// ---------------------------------------------------------------------------
// Syscall numbers, copied from the kernel's tables:
//   x64:   arch/x86/entry/syscalls/syscall_64.tbl
//   arm64: include/uapi/asm-generic/unistd.h (arm64 uses the generic table)
// Numbers from 424 up are shared by every architecture.

// Only its type is used: the union of names every table must define.
export const SYSCALL_NAMES = [
  'ioctl',
  'socket',
  'clone',
  'clone3',
  'unshare',
  'setns',
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
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'open_by_handle_at',
  'syslog',
] as const;
type SyscallName = (typeof SYSCALL_NAMES)[number];

type Arch = 'x64' | 'arm64';

interface ArchInfo {
  /** AUDIT_ARCH_* from include/uapi/linux/audit.h, as seen in seccomp_data.arch. */
  auditArch: number;
  /** x86_64 only: the x32 ABI shares AUDIT_ARCH_X86_64 and is told apart by this bit in nr. */
  x32Bit?: number;
  nr: Record<SyscallName, number>;
}

const ARCHES: Record<Arch, ArchInfo> = {
  x64: {
    auditArch: 0xc000003e, // AUDIT_ARCH_X86_64 = EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
    x32Bit: 0x40000000, // __X32_SYSCALL_BIT
    nr: {
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
    },
  },
  arm64: {
    auditArch: 0xc00000b7, // AUDIT_ARCH_AARCH64 = EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
    nr: {
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
    },
  },
};

// ---------------------------------------------------------------------------
// Constants from the kernel's uapi headers.

const EPERM = 1;
const ENOSYS = 38;

const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const AF_PACKET = 17;
const AF_VSOCK = 40;

const CLONE_NEWTIME = 0x00000080;
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEW_ALL =
  CLONE_NEWTIME |
  CLONE_NEWNS |
  CLONE_NEWCGROUP |
  CLONE_NEWUTS |
  CLONE_NEWIPC |
  CLONE_NEWUSER |
  CLONE_NEWPID |
  CLONE_NEWNET;
// clone()'s low byte is the exit signal (CSIGNAL), not flags; CLONE_NEWTIME
// (0x80) shares that byte and can only be asked for through unshare/clone3.
const CSIGNAL = 0xff;
const CLONE_NEW_CLONE = CLONE_NEW_ALL & ~CSIGNAL;
const CLONE_NEW_TEXT =
  'CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET';

// SECCOMP_RET_* from include/uapi/linux/seccomp.h.
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const RET_ALLOW = 0x7fff0000;

// ---------------------------------------------------------------------------
// The deny list, as data. Every entry says why.

type Condition =
  /** Refused when the low 32 bits of the argument equal one of the values. */
  | { arg: number; equals: readonly number[]; text: string }
  /** Refused when the low 32 bits of the argument have any of these bits set. */
  | { arg: number; anyBit: number; text: string };

interface Deny {
  syscall: SyscallName;
  errno: 'EPERM' | 'ENOSYS';
  why: string;
  when?: Condition;
  /** Lifted by allowUserns: only useful, and only harmful, with nested namespaces. */
  userns?: true;
}

const MOUNT_WHY =
  'changing the mount table could uncover or replace what the sandbox hides; nested namespaces ' +
  'are off, so only bwrap itself needs it';

const DENY: readonly Deny[] = [
  // Hot syscall first: ioctl is the only frequent one whose verdict depends on an argument.
  {
    syscall: 'ioctl',
    errno: 'EPERM',
    when: { arg: 1, equals: [TIOCSTI], text: 'arg1 (request), low 32 bits, is TIOCSTI (0x5412)' },
    why:
      'pushes keystrokes into the terminal input queue, so a sandboxed process could type ' +
      'commands into the shell that started bubble (CVE-2017-5226). Only the low 32 bits are ' +
      'compared because the kernel ignores the rest (CVE-2019-10063)',
  },
  {
    syscall: 'ioctl',
    errno: 'EPERM',
    when: {
      arg: 1,
      equals: [TIOCLINUX],
      text: 'arg1 (request), low 32 bits, is TIOCLINUX (0x541c)',
    },
    why:
      'on a Linux virtual console, the selection/paste subcommands inject input like TIOCSTI ' +
      '(CVE-2023-1523)',
  },
  {
    syscall: 'socket',
    errno: 'EPERM',
    when: {
      arg: 0,
      equals: [AF_VSOCK, AF_PACKET],
      text: 'arg0 (domain) is AF_VSOCK (40) or AF_PACKET (17)',
    },
    why:
      'AF_VSOCK reaches the hypervisor and other VMs outside any network namespace; AF_PACKET ' +
      'is raw link-layer access and a recurring source of kernel bugs',
  },
  {
    syscall: 'clone',
    errno: 'EPERM',
    userns: true,
    when: { arg: 0, anyBit: CLONE_NEW_CLONE, text: `arg0 (flags) has any of ${CLONE_NEW_TEXT}` },
    why:
      'new namespaces, above all a new user namespace, hand the process capabilities over ' +
      'kernel code that is otherwise unreachable: the most common path of container escapes',
  },
  {
    syscall: 'unshare',
    errno: 'EPERM',
    userns: true,
    when: {
      arg: 0,
      anyBit: CLONE_NEW_ALL,
      text: `arg0 (flags) has any of ${CLONE_NEW_TEXT}|CLONE_NEWTIME`,
    },
    why: 'same as clone: no new namespaces inside the sandbox',
  },
  {
    syscall: 'clone3',
    errno: 'ENOSYS',
    userns: true,
    why:
      'its flags live in a struct in memory that seccomp cannot read; ENOSYS makes glibc and ' +
      'other runtimes fall back to clone(), whose flags are checked (as flatpak does)',
  },
  {
    syscall: 'setns',
    errno: 'EPERM',
    userns: true,
    why: 'joining another namespace could leave the sandbox',
  },
  {
    syscall: 'ptrace',
    errno: 'EPERM',
    why: "reading and writing other processes' memory and registers, e.g. to escape through a process that holds an fd",
  },
  {
    syscall: 'process_vm_readv',
    errno: 'EPERM',
    why: "reads another process's memory, like ptrace",
  },
  {
    syscall: 'process_vm_writev',
    errno: 'EPERM',
    why: "writes another process's memory, like ptrace",
  },
  {
    syscall: 'keyctl',
    errno: 'EPERM',
    why: "the kernel keyring is not namespaced: the user's keys (e.g. Kerberos, ecryptfs) live there",
  },
  { syscall: 'add_key', errno: 'EPERM', why: 'kernel keyring, see keyctl' },
  { syscall: 'request_key', errno: 'EPERM', why: 'kernel keyring, see keyctl' },
  {
    syscall: 'bpf',
    errno: 'EPERM',
    why: 'the BPF verifier and JIT are large kernel attack surface; no agent needs them',
  },
  {
    syscall: 'perf_event_open',
    errno: 'EPERM',
    why: 'observes other processes and the kernel, a side channel and frequent source of kernel bugs',
  },
  {
    syscall: 'userfaultfd',
    errno: 'EPERM',
    why: 'lets an exploit pause the kernel mid-copy to win races (a standard exploitation primitive)',
  },
  {
    syscall: 'io_uring_setup',
    errno: 'EPERM',
    why: 'io_uring has been a major source of kernel privilege escalations and bypasses seccomp for the operations it performs',
  },
  { syscall: 'io_uring_enter', errno: 'EPERM', why: 'io_uring, see io_uring_setup' },
  { syscall: 'io_uring_register', errno: 'EPERM', why: 'io_uring, see io_uring_setup' },
  { syscall: 'mount', errno: 'EPERM', userns: true, why: MOUNT_WHY },
  { syscall: 'umount2', errno: 'EPERM', userns: true, why: MOUNT_WHY },
  { syscall: 'open_tree', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  { syscall: 'open_tree_attr', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  { syscall: 'move_mount', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  { syscall: 'fsopen', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  { syscall: 'fsconfig', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  { syscall: 'fsmount', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  { syscall: 'fspick', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  { syscall: 'mount_setattr', errno: 'EPERM', userns: true, why: `new mount API: ${MOUNT_WHY}` },
  {
    syscall: 'chroot',
    errno: 'EPERM',
    userns: true,
    why: 'changing the root is a classic step of escapes that combine it with an open fd',
  },
  { syscall: 'pivot_root', errno: 'EPERM', userns: true, why: MOUNT_WHY },
  // The rest need capabilities the sandbox never has; refusing them here as well
  // costs nothing and keeps a capability leak from becoming a host compromise.
  { syscall: 'kexec_load', errno: 'EPERM', why: 'replaces the running kernel' },
  { syscall: 'kexec_file_load', errno: 'EPERM', why: 'replaces the running kernel' },
  { syscall: 'init_module', errno: 'EPERM', why: 'loads code into the kernel' },
  { syscall: 'finit_module', errno: 'EPERM', why: 'loads code into the kernel' },
  { syscall: 'delete_module', errno: 'EPERM', why: 'unloads kernel modules' },
  {
    syscall: 'open_by_handle_at',
    errno: 'EPERM',
    why: 'opens files by handle, bypassing the mount namespace (the "shocker" container escape)',
  },
  {
    syscall: 'syslog',
    errno: 'EPERM',
    why: 'the kernel log is not namespaced and leaks host activity and kernel addresses',
  },
];

/** The filter's verdicts, in program order: what `bubble explain` shows. */
export function seccompRules(opts: SeccompOptions): SeccompRule[] {
  const rules: SeccompRule[] = [
    {
      syscall: '*',
      action: 'KILL',
      match: 'a syscall from a foreign ABI (i386 via int 0x80, x32, AArch32)',
      why:
        'foreign ABIs number syscalls differently and would slip past every rule below; killing ' +
        'is loud (SIGSYS) where a stream of EPERMs would leave a confused, half-working program',
    },
  ];
  for (const d of activeDenies(opts)) {
    const rule: SeccompRule = { syscall: d.syscall, why: d.why, action: d.errno };
    if (d.when !== undefined) rule.match = d.when.text;
    rules.push(rule);
  }
  return rules;
}

export function seccompSupported(arch: string): boolean {
  return Object.hasOwn(ARCHES, arch);
}

/**
 * The filter as `struct sock_filter[]`, little endian (x86_64 and aarch64 both
 * are): 8 bytes per instruction, u16 code, u8 jt, u8 jf, u32 k.
 */
export function seccompProgram(arch: string, opts: SeccompOptions): Buffer {
  if (!isArch(arch)) {
    throw Object.assign(
      new Error(
        `seccomp: unsupported architecture '${arch}': bubble has syscall tables for ` +
          `${Object.keys(ARCHES).join(', ')} only`,
      ),
      { code: 'BUBBLE_SECCOMP_ARCH' },
    );
  }
  const info = ARCHES[arch];
  const a = new Assembler();

  // 1. Architecture. The kernel runs the same filter for every ABI the process
  //    can enter through (on x86_64: `int 0x80` and sysenter reach the i386
  //    table with other numbers, e.g. 26 is ptrace there and `ioctl` is 54).
  //    Killing rather than returning EPERM: no legitimate agent tool is a
  //    32-bit binary inside this sandbox, and SIGSYS says plainly what happened.
  a.ld(OFF_ARCH);
  a.jeq(info.auditArch, 'native', 'kill');
  a.label('kill');
  a.ret(RET_KILL_PROCESS);

  a.label('native');
  a.ld(OFF_NR);
  if (info.x32Bit !== undefined) {
    // 2. The x32 ABI reports AUDIT_ARCH_X86_64 but sets bit 30 in nr and has
    //    its own table (x32 ioctl is 514). Same reasoning: kill. nr == -1 is
    //    not x32; it is what syscall(-1) and a skipped syscall look like, and
    //    the kernel answers ENOSYS itself, so let it through like libseccomp.
    a.jge(info.x32Bit, 'x32', 'rules');
    a.label('x32');
    a.jeq(0xffffffff, 'rules', 'kill32');
    a.label('kill32');
    a.ret(RET_KILL_PROCESS);
  }

  // 3. One block per syscall; A holds nr on entry to each block.
  a.label('rules');
  const groups = groupBySyscall(activeDenies(opts));
  groups.forEach((denies, i) => {
    const next = `next${i}`;
    const block = `sys${i}`;
    a.jeq(info.nr[denies[0]!.syscall], block, next);
    a.label(block);
    const always = denies.find((d) => d.when === undefined);
    if (always !== undefined) {
      a.ret(retErrno(always.errno));
    } else {
      denies.forEach((d, j) => {
        const when = d.when!;
        const hit = `hit${i}_${j}`;
        const miss = `miss${i}_${j}`;
        // Only the low word: every argument checked here is an int to the
        // kernel (ioctl's request, socket's domain) or has all its flags there.
        a.ld(offArgLow(when.arg));
        if ('equals' in when) {
          when.equals.forEach((v, k) => {
            const more = `more${i}_${j}_${k}`;
            a.jeq(v, hit, k === when.equals.length - 1 ? miss : more);
            a.label(more);
          });
        } else {
          a.jset(when.anyBit, hit, miss);
        }
        a.label(hit);
        a.ret(retErrno(d.errno));
        a.label(miss);
      });
      a.ret(RET_ALLOW);
    }
    a.label(next);
  });

  // 4. Everything else.
  a.ret(RET_ALLOW);
  return a.assemble();
}

function isArch(arch: string): arch is Arch {
  return seccompSupported(arch);
}

function activeDenies(opts: SeccompOptions): Deny[] {
  return DENY.filter((d) => !(opts.allowUserns && d.userns === true));
}

function groupBySyscall(denies: readonly Deny[]): Deny[][] {
  const groups = new Map<SyscallName, Deny[]>();
  for (const d of denies) {
    const g = groups.get(d.syscall);
    if (g === undefined) groups.set(d.syscall, [d]);
    else g.push(d);
  }
  return [...groups.values()];
}

function retErrno(errno: 'EPERM' | 'ENOSYS'): number {
  return RET_ERRNO | (errno === 'EPERM' ? EPERM : ENOSYS);
}

// ---------------------------------------------------------------------------
// A tiny classic-BPF assembler: instructions refer to labels, which are
// resolved to the relative, forward, 8-bit jump offsets BPF needs.

// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
const OFF_NR = 0;
const OFF_ARCH = 4;
/** Offset of the low 32 bits of args[i] (little endian: the first word). */
function offArgLow(i: number): number {
  return 16 + 8 * i;
}

const BPF_LD_W_ABS = 0x00 | 0x00 | 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JEQ_K = 0x05 | 0x10 | 0x00; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JGE_K = 0x05 | 0x30 | 0x00; // BPF_JMP | BPF_JGE | BPF_K
const BPF_JSET_K = 0x05 | 0x40 | 0x00; // BPF_JMP | BPF_JSET | BPF_K
const BPF_RET_K = 0x06 | 0x00; // BPF_RET | BPF_K
/** Kernel limit on a classic BPF program (BPF_MAXINSNS). */
const MAX_INSNS = 4096;

type Insn = { code: number; k: number } | { code: number; k: number; jt: string; jf: string };

class Assembler {
  readonly #insns: Insn[] = [];
  readonly #labels = new Map<string, number>();

  label(name: string): void {
    if (this.#labels.has(name)) throw new Error(`seccomp: duplicate label ${name}`);
    this.#labels.set(name, this.#insns.length);
  }
  ld(offset: number): void {
    this.#insns.push({ code: BPF_LD_W_ABS, k: offset });
  }
  jeq(k: number, jt: string, jf: string): void {
    this.#insns.push({ code: BPF_JEQ_K, k, jt, jf });
  }
  jge(k: number, jt: string, jf: string): void {
    this.#insns.push({ code: BPF_JGE_K, k, jt, jf });
  }
  jset(k: number, jt: string, jf: string): void {
    this.#insns.push({ code: BPF_JSET_K, k, jt, jf });
  }
  ret(k: number): void {
    this.#insns.push({ code: BPF_RET_K, k });
  }

  assemble(): Buffer {
    if (this.#insns.length > MAX_INSNS) throw new Error('seccomp: program too long');
    const out = Buffer.alloc(this.#insns.length * 8);
    this.#insns.forEach((insn, pc) => {
      out.writeUInt16LE(insn.code, pc * 8);
      if ('jt' in insn) {
        out.writeUInt8(this.#offset(pc, insn.jt), pc * 8 + 2);
        out.writeUInt8(this.#offset(pc, insn.jf), pc * 8 + 3);
      }
      out.writeUInt32LE(insn.k >>> 0, pc * 8 + 4);
    });
    return out;
  }

  /** Jumps are relative to the next instruction, forward only, and fit in a u8. */
  #offset(pc: number, label: string): number {
    const target = this.#labels.get(label);
    if (target === undefined) throw new Error(`seccomp: undefined label ${label}`);
    const off = target - (pc + 1);
    if (off < 0 || off > 255) throw new Error(`seccomp: jump to ${label} out of range (${off})`);
    return off;
  }
}
