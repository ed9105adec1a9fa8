// `bubble doctor`'s judgement: pure, from the facts probe.ts gathered to a list of
// checks. Each one that is not ok says, in one line, how to fix it. Only what stops
// bubble from working on this machine is a failure; the rest are warnings.

import type { MemoryCgroup } from '../sandbox/cgroup.ts';
import type { BwrapFeatures } from '../sandbox/facts.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  id: string;
  status: CheckStatus;
  message: string;
  /** One line: what to do about it (absent when ok). */
  fix?: string;
}

export interface DoctorFacts {
  uid: number;
  bwrap:
    | {
        path: string;
        version: string;
        features: BwrapFeatures & { overlay: boolean };
        setuid: boolean;
      }
    | undefined;
  /** A minimal bwrap sandbox with its own user namespace: undefined when not tried. */
  bwrapTrial: { ok: boolean; detail: string } | undefined;
  /** Raw contents of the sysctls, undefined when the file does not exist. */
  sysctl: {
    unprivilegedUsernsClone: string | undefined;
    maxUserNamespaces: string | undefined;
    apparmorRestrictUnprivilegedUserns: string | undefined;
    legacyTiocsti: string | undefined;
    seccompActionsAvail: string | undefined;
  };
  /** The Seccomp line of /proc/self/status (0, 1 or 2), undefined without CONFIG_SECCOMP. */
  seccompStatus: string | undefined;
  /** /sys/kernel/security/lsm, undefined when securityfs is not readable. */
  lsm: string | undefined;
  /** docker, podman, lxc, kubernetes..., or undefined. */
  container: string | undefined;
  resolvConf: { symlinkTarget: string | undefined; nameservers: string[] } | undefined;
  agents: { name: string; path: string | undefined; profile: string }[];
  /** socat on PATH (the in-sandbox forwarder of --net filtered), undefined when absent. */
  socat?: string | undefined;
  dirs: { name: string; path: string; writable: boolean; detail?: string }[];
  /** Where the sandbox's memory limit can be set. */
  memoryCgroup: MemoryCgroup;
  /** The end-to-end self-check: undefined when it was not run. */
  /**
   * `refused`: bubble itself refused to start (exit 2: a config file it cannot read, a
   * usage error): the user's files, not the machine.
   */
  live: { ok: boolean; detail: string; refused?: boolean } | undefined;
}

const ok = (id: string, message: string): Check => ({ id, status: 'ok', message });
const warn = (id: string, message: string, fix: string): Check => ({
  id,
  status: 'warn',
  message,
  fix,
});
const fail = (id: string, message: string, fix: string): Check => ({
  id,
  status: 'fail',
  message,
  fix,
});

/** Ubuntu 24.04's standard shape for a profile that lets one program create user namespaces. */
export function apparmorProfile(bwrapPath: string): string {
  return [
    'abi <abi/4.0>,',
    'include <tunables/global>',
    '',
    `profile bwrap ${bwrapPath} flags=(unconfined) {`,
    '  userns,',
    '',
    '  include if exists <local/bwrap>',
    '}',
    '',
  ].join('\n');
}

/** The AppArmor fix as one shell line, then the sysctl alternative. */
function apparmorFix(bwrapPath: string): string {
  const printf = apparmorProfile(bwrapPath).replace(/\n/g, '\\n');
  return (
    `printf '${printf}' | sudo tee /etc/apparmor.d/bwrap && sudo apparmor_parser -r /etc/apparmor.d/bwrap` +
    ' (or, for every program: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, kept in /etc/sysctl.d/)'
  );
}

function bwrapCheck(f: DoctorFacts): Check {
  if (f.bwrap === undefined) {
    return fail(
      'bwrap',
      'bwrap (bubblewrap) not found on PATH',
      'install it: sudo apt-get install bubblewrap (Fedora: sudo dnf install bubblewrap); or set BUBBLE_BWRAP=/path/to/bwrap',
    );
  }
  const feats = f.bwrap.features;
  const names: [keyof typeof feats, string][] = [
    ['disableUserns', '--disable-userns'],
    ['size', '--size'],
    ['jsonStatusFd', '--json-status-fd'],
    ['perms', '--perms'],
    ['overlay', '--overlay'],
  ];
  const have = names.filter(([k]) => feats[k]).map(([, n]) => n);
  // --overlay is reported, not needed; the others have weaker fallbacks.
  const missing = names.filter(([k]) => !feats[k] && k !== 'overlay').map(([, n]) => n);
  const base = `bubblewrap ${f.bwrap.version} at ${f.bwrap.path}${f.bwrap.setuid ? ' (setuid)' : ''}; has ${have.join(' ') || 'none of the optional flags'}`;
  if (!feats.seccomp)
    return fail('bwrap', `${base}; no --seccomp`, 'upgrade bubblewrap to 0.8 or later');
  if (missing.length > 0) {
    return warn(
      'bwrap',
      `${base}; lacks ${missing.join(' ')} (bubble falls back to weaker settings)`,
      'upgrade bubblewrap to 0.8 or later',
    );
  }
  return ok('bwrap', base);
}

function usernsCheck(f: DoctorFacts): Check {
  const s = f.sysctl;
  const aa = s.apparmorRestrictUnprivilegedUserns?.trim() === '1';
  const bwrapPath = f.bwrap?.path ?? '/usr/bin/bwrap';
  if (f.bwrapTrial?.ok === true) {
    return ok(
      'userns',
      aa
        ? 'user namespaces work for bwrap (AppArmor restricts them, but bwrap is allowed)'
        : 'unprivileged user namespaces work',
    );
  }
  const why = f.bwrapTrial === undefined ? '' : `: ${f.bwrapTrial.detail}`;
  if (s.unprivilegedUsernsClone?.trim() === '0') {
    return fail(
      'userns',
      `unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)${why}`,
      'sudo sysctl -w kernel.unprivileged_userns_clone=1 (keep it: echo kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/90-bubble.conf)',
    );
  }
  if (s.maxUserNamespaces?.trim() === '0') {
    return fail(
      'userns',
      `user namespaces are disabled (user.max_user_namespaces = 0)${why}`,
      'sudo sysctl -w user.max_user_namespaces=15000 (keep it: echo user.max_user_namespaces=15000 | sudo tee /etc/sysctl.d/90-bubble.conf)',
    );
  }
  if (aa) {
    return fail(
      'userns',
      `AppArmor forbids unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1) and no profile allows bwrap${why}`,
      apparmorFix(bwrapPath),
    );
  }
  if (f.bwrapTrial === undefined) {
    // bwrap is missing: judge from the sysctls alone.
    return ok('userns', 'unprivileged user namespaces are allowed by the kernel settings');
  }
  return fail(
    'userns',
    `bwrap cannot create a sandbox${why}`,
    f.container !== undefined
      ? `inside ${f.container} the container must allow user namespaces (e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined)`
      : 'check dmesg and the sysctls user.max_user_namespaces and kernel.apparmor_restrict_unprivileged_userns',
  );
}

function seccompCheck(f: DoctorFacts): Check {
  if (f.seccompStatus === undefined) {
    return fail(
      'seccomp',
      'the kernel has no seccomp (no Seccomp field in /proc/self/status): bubble cannot load its syscall filter',
      'use a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER',
    );
  }
  const actions = f.sysctl.seccompActionsAvail?.trim().split(/\s+/) ?? [];
  if (f.sysctl.seccompActionsAvail !== undefined && !actions.includes('errno')) {
    return fail(
      'seccomp',
      `seccomp filters cannot return errors (actions: ${actions.join(' ')})`,
      'use a kernel with CONFIG_SECCOMP_FILTER',
    );
  }
  const already =
    f.seccompStatus.trim() === '2'
      ? "; bubble already runs under a filter (a container's), which stacks"
      : '';
  return ok(
    'seccomp',
    `seccomp filters available${actions.length > 0 ? ` (${actions.join(' ')})` : ''}${already}`,
  );
}

function landlockCheck(f: DoctorFacts): Check {
  if (f.lsm === undefined)
    return ok(
      'landlock',
      'unknown (/sys/kernel/security/lsm not readable); bubble does not need Landlock',
    );
  const lsms = f.lsm.trim().split(',');
  return ok(
    'landlock',
    lsms.includes('landlock')
      ? `available (LSMs: ${lsms.join(',')})`
      : `not enabled (LSMs: ${lsms.join(',')}); bubble does not need it`,
  );
}

function tiocstiCheck(f: DoctorFacts): Check {
  const v = f.sysctl.legacyTiocsti?.trim();
  if (v === '0')
    return ok(
      'tiocsti',
      "the kernel refuses TIOCSTI terminal injection (dev.tty.legacy_tiocsti = 0); bubble's seccomp filter denies it too",
    );
  const why =
    v === undefined
      ? 'this kernel (before 6.2) always allows TIOCSTI'
      : 'the kernel allows TIOCSTI (dev.tty.legacy_tiocsti = 1)';
  return ok(
    'tiocsti',
    `${why}; bubble's seccomp filter denies it inside the sandbox (CVE-2019-10063)`,
  );
}

function memoryCheck(f: DoctorFacts): Check {
  const cg = f.memoryCgroup;
  switch (cg.kind) {
    case 'delegated':
      return ok(
        'memory',
        `memory limit through a delegated cgroup (v${cg.version}) under ${cg.parent}`,
      );
    case 'systemd':
      return ok('memory', 'memory limit through a systemd user scope (systemd-run --user --scope)');
    case 'none':
      return warn(
        'memory',
        `no memory limit possible: ${cg.why}; a sandbox can fill all of the RAM`,
        'log in through systemd (a user manager: loginctl enable-linger $USER), or have root delegate a memory cgroup to you',
      );
  }
}

function rootCheck(f: DoctorFacts): Check {
  if (f.uid !== 0) return ok('root', `running as uid ${f.uid}`);
  return warn(
    'root',
    'running as root: uid 0 stays root to the kernel inside the sandbox, and bubble refuses it without --allow-root',
    'run bubble as your normal user',
  );
}

function containerCheck(f: DoctorFacts): Check {
  if (f.container === undefined) return ok('container', 'not inside a container');
  // bubble refusing the user's own files (exit 2) says nothing about the container.
  if (f.live?.ok === true || f.live?.refused === true)
    return ok('container', `inside a container (${f.container}); sandboxes work here`);
  return warn(
    'container',
    `inside a container (${f.container}): bwrap needs the container to allow user namespaces and mounts`,
    'run the container with --security-opt seccomp=unconfined --security-opt apparmor=unconfined, or run bubble on the host',
  );
}

function resolvCheck(f: DoctorFacts): Check {
  const r = f.resolvConf;
  if (r === undefined)
    return warn(
      'resolv.conf',
      '/etc/resolv.conf is missing',
      'the default --net filtered resolves names on the host and does not need it; for --net logged/host, configure DNS on the host',
    );
  const stub = r.nameservers.some((n) => n.startsWith('127.'));
  const parts: string[] = [];
  if (r.symlinkTarget !== undefined) parts.push(`a symlink to ${r.symlinkTarget}`);
  if (r.nameservers.length > 0)
    parts.push(`nameservers ${r.nameservers.join(' ')}${stub ? ' (a local stub resolver)' : ''}`);
  const desc = `/etc/resolv.conf: ${parts.join(', ') || 'no nameserver lines'}`;
  if (r.symlinkTarget !== undefined && /^\/run\//.test(r.symlinkTarget)) {
    return warn(
      'resolv.conf',
      `${desc}; /run is not in the sandbox, so it dangles inside. The default --net filtered resolves on the host and is unaffected`,
      `only for --net logged/host: add --ro ${r.symlinkTarget.replace(/\/[^/]*$/, '')}`,
    );
  }
  return ok('resolv.conf', `${desc}${stub ? '; fine: --net filtered resolves on the host' : ''}`);
}

function forwarderCheck(f: DoctorFacts): Check {
  if (f.socat !== undefined)
    return ok(
      'forwarder',
      `--net filtered: socat (${f.socat}) forwards the sandbox's connections to the proxy; with --host-port, bubble's Node bridge does`,
    );
  return warn(
    'forwarder',
    "--net filtered: socat not found, bubble's Node bridge forwards the sandbox's connections (each session starts tens of ms later)",
    'sudo apt-get install socat (Debian/Ubuntu), sudo dnf install socat (Fedora)',
  );
}

function agentsCheck(f: DoctorFacts): Check {
  const found = f.agents.filter((a) => a.path !== undefined);
  const missing = f.agents.filter((a) => a.path === undefined).map((a) => a.name);
  if (found.length === 0) {
    return warn(
      'agents',
      `no agent found on PATH (looked for ${missing.join(', ')}); bubble run -- COMMAND works for anything`,
      'install one, e.g. npm install -g @anthropic-ai/claude-code',
    );
  }
  const list = found.map((a) => `${a.name} at ${a.path} (profile ${a.profile})`).join(', ');
  return ok('agents', `${list}${missing.length > 0 ? `; not found: ${missing.join(', ')}` : ''}`);
}

function dirsCheck(f: DoctorFacts): Check[] {
  return f.dirs.map((d) =>
    d.writable
      ? ok(`${d.name}-dir`, `${d.path} is writable`)
      : warn(
          `${d.name}-dir`,
          `${d.path} is not writable${d.detail ? ` (${d.detail})` : ''}`,
          `make it yours: mkdir -p '${d.path}' && chown "$USER" '${d.path}', or set XDG_${d.name.toUpperCase()}_HOME`,
        ),
  );
}

function liveCheck(f: DoctorFacts): Check {
  if (f.live === undefined) {
    return fail(
      'live',
      'the live self-check did not run: bwrap cannot start here (see above)',
      'fix the failures above, then run bubble doctor again',
    );
  }
  if (f.live.ok) return ok('live', f.live.detail);
  if (f.live.refused === true)
    return fail(
      'live',
      `bubble refused to start (not a problem of this machine): ${f.live.detail}`,
      'fix what the message names (a config file, a directory), then run bubble doctor again',
    );
  return fail(
    'live',
    `the live self-check failed: ${f.live.detail}`,
    'run bubble run -- true to see the error; bubble selftest attacks the sandbox in detail',
  );
}

export function runChecks(f: DoctorFacts): Check[] {
  return [
    bwrapCheck(f),
    usernsCheck(f),
    seccompCheck(f),
    landlockCheck(f),
    tiocstiCheck(f),
    memoryCheck(f),
    rootCheck(f),
    containerCheck(f),
    resolvCheck(f),
    forwarderCheck(f),
    agentsCheck(f),
    ...dirsCheck(f),
    liveCheck(f),
  ];
}

/** 1 if bubble cannot work on this machine (a failed check), else 0. */
export function exitStatus(checks: readonly Check[]): number {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}
