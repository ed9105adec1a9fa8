// bubble doctor's judgement over faked facts: the machines we cannot be on in CI
// (Ubuntu 24.04's AppArmor, no bwrap, root, a locked-down container).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  apparmorProfile,
  exitStatus,
  runChecks,
  type Check,
  type DoctorFacts,
} from '../../src/doctor/checks.ts';

function healthy(): DoctorFacts {
  return {
    uid: 1000,
    bwrap: {
      path: '/usr/bin/bwrap',
      version: '0.9.0',
      features: {
        disableUserns: true,
        size: true,
        perms: true,
        jsonStatusFd: true,
        seccomp: true,
        roBindData: true,
        overlay: true,
      },
      setuid: false,
    },
    bwrapTrial: { ok: true, detail: 'bwrap started a sandbox' },
    sysctl: {
      unprivilegedUsernsClone: undefined,
      maxUserNamespaces: '63000\n',
      apparmorRestrictUnprivilegedUserns: undefined,
      legacyTiocsti: '0\n',
      seccompActionsAvail: 'kill_process kill_thread trap errno user_notif trace log allow\n',
    },
    seccompStatus: '0',
    lsm: 'lockdown,capability,landlock,yama,apparmor\n',
    container: undefined,
    resolvConf: { symlinkTarget: undefined, nameservers: ['192.168.1.1'] },
    socat: '/usr/bin/socat',
    agents: [
      { name: 'claude', path: '/home/u/.local/bin/claude', profile: 'claude' },
      { name: 'codex', path: undefined, profile: 'generic' },
    ],
    dirs: [
      { name: 'config', path: '/home/u/.config/bubble', writable: true },
      { name: 'state', path: '/home/u/.local/state/bubble', writable: true },
    ],
    memoryCgroup: { kind: 'systemd', systemdRun: '/usr/bin/systemd-run' },
    live: { ok: true, detail: 'echo came back' },
  };
}

const byId = (checks: Check[], id: string): Check => {
  const c = checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id}`);
  return c;
};

describe('doctor checks', () => {
  test('a healthy machine: everything ok, exit 0', () => {
    const checks = runChecks(healthy());
    assert.deepEqual(
      checks.filter((c) => c.status !== 'ok'),
      [],
    );
    assert.equal(exitStatus(checks), 0);
    for (const c of checks) assert.equal(c.fix, undefined, c.id);
    assert.match(
      byId(checks, 'agents').message,
      /claude at \/home\/u\/\.local\/bin\/claude \(profile claude\); not found: codex/,
    );
  });

  test('Ubuntu 24.04: AppArmor blocks user namespaces: fail with the profile fix and the sysctl alternative', () => {
    const f = healthy();
    f.sysctl.apparmorRestrictUnprivilegedUserns = '1\n';
    f.bwrapTrial = {
      ok: false,
      detail: 'bwrap exited with 1: bwrap: setting up uid map: Permission denied',
    };
    f.live = undefined;
    const checks = runChecks(f);
    const userns = byId(checks, 'userns');
    assert.equal(userns.status, 'fail');
    assert.match(userns.message, /AppArmor forbids unprivileged user namespaces/);
    assert.match(userns.message, /setting up uid map: Permission denied/);
    const fix = userns.fix!;
    assert.doesNotMatch(fix, /\n/, 'the fix is one line');
    assert.ok(fix.includes('sudo tee /etc/apparmor.d/bwrap'), fix);
    assert.ok(fix.includes('sudo apparmor_parser -r /etc/apparmor.d/bwrap'), fix);
    assert.ok(fix.includes('profile bwrap /usr/bin/bwrap flags=(unconfined) {\\n  userns,'), fix);
    assert.ok(fix.includes('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'), fix);
    assert.equal(byId(checks, 'live').status, 'fail');
    assert.equal(exitStatus(checks), 1);
  });

  test('the printf in the AppArmor fix writes exactly the profile', () => {
    const fix = runChecks({
      ...healthy(),
      sysctl: { ...healthy().sysctl, apparmorRestrictUnprivilegedUserns: '1' },
      bwrapTrial: { ok: false, detail: 'x' },
    }).find((c) => c.id === 'userns')!.fix!;
    const printed = /printf '([^']*)'/.exec(fix)![1]!.replace(/\\n/g, '\n');
    assert.equal(printed, apparmorProfile('/usr/bin/bwrap'));
  });

  test('AppArmor restricts, but a profile already lets bwrap in: ok', () => {
    const f = healthy();
    f.sysctl.apparmorRestrictUnprivilegedUserns = '1';
    const userns = byId(runChecks(f), 'userns');
    assert.equal(userns.status, 'ok');
    assert.match(userns.message, /bwrap is allowed/);
  });

  test('userns disabled by sysctl: fail naming the sysctl', () => {
    const f = healthy();
    f.sysctl.maxUserNamespaces = '0\n';
    f.bwrapTrial = { ok: false, detail: 'No space left on device' };
    f.live = undefined;
    const userns = byId(runChecks(f), 'userns');
    assert.equal(userns.status, 'fail');
    assert.match(userns.fix!, /sysctl -w user\.max_user_namespaces=/);
    const f2 = healthy();
    f2.sysctl.unprivilegedUsernsClone = '0';
    f2.bwrapTrial = { ok: false, detail: 'Operation not permitted' };
    assert.match(byId(runChecks(f2), 'userns').fix!, /kernel\.unprivileged_userns_clone=1/);
  });

  test('no cgroup for a memory limit: a warning naming why, with a fix; exit 0', () => {
    const f = healthy();
    f.memoryCgroup = { kind: 'none', why: 'no delegated cgroup and no systemd-run' };
    const checks = runChecks(f);
    const c = byId(checks, 'memory');
    assert.equal(c.status, 'warn');
    assert.match(c.message, /no memory limit possible: no delegated cgroup/);
    assert.match(c.fix!, /enable-linger|delegate/);
    assert.equal(exitStatus(checks), 0);
    f.memoryCgroup = { kind: 'delegated', version: 1, parent: '/sys/fs/cgroup/memory/ci' };
    assert.equal(byId(runChecks(f), 'memory').status, 'ok');
  });

  test('root: a warning, not a failure', () => {
    const f = healthy();
    f.uid = 0;
    const checks = runChecks(f);
    const root = byId(checks, 'root');
    assert.equal(root.status, 'warn');
    assert.match(root.fix!, /normal user/);
    assert.equal(exitStatus(checks), 0);
  });

  test('missing bwrap: fail with the install line, live check not run, exit 1', () => {
    const f = healthy();
    f.bwrap = undefined;
    f.bwrapTrial = undefined;
    f.live = undefined;
    const checks = runChecks(f);
    const bwrap = byId(checks, 'bwrap');
    assert.equal(bwrap.status, 'fail');
    assert.match(bwrap.fix!, /apt-get install bubblewrap/);
    assert.equal(byId(checks, 'live').status, 'fail');
    assert.equal(exitStatus(checks), 1);
    for (const c of checks.filter((x) => x.status !== 'ok')) {
      assert.ok(
        c.fix !== undefined && c.fix.length > 0 && !c.fix.includes('\n'),
        `${c.id} has a one-line fix`,
      );
    }
  });

  test('an old bwrap: a warning listing the missing flags', () => {
    const f = healthy();
    f.bwrap!.features = {
      ...f.bwrap!.features,
      disableUserns: false,
      jsonStatusFd: false,
      overlay: false,
    };
    const bwrap = byId(runChecks(f), 'bwrap');
    assert.equal(bwrap.status, 'warn');
    assert.match(bwrap.message, /lacks --disable-userns --json-status-fd/);
    assert.doesNotMatch(bwrap.message, /lacks.*--overlay/);
  });

  test('live check failed: exit 1; a container then warns', () => {
    const f = healthy();
    f.container = 'docker';
    f.live = { ok: false, detail: 'bubble run exited with 125' };
    const checks = runChecks(f);
    assert.equal(byId(checks, 'live').status, 'fail');
    assert.equal(byId(checks, 'container').status, 'warn');
    assert.equal(exitStatus(checks), 1);
    f.live = { ok: true, detail: 'ok' };
    assert.equal(byId(runChecks(f), 'container').status, 'ok');
  });

  test("bubble refusing the user's own config file: the container is not blamed", () => {
    const f = healthy();
    f.container = 'docker';
    f.live = {
      ok: false,
      refused: true,
      detail: 'bubble run exited with 2: bubble: cannot open ~/.config/bubble/config.toml',
    };
    const checks = runChecks(f);
    assert.equal(byId(checks, 'container').status, 'ok');
    assert.equal(byId(checks, 'live').status, 'fail');
    assert.match(byId(checks, 'live').message, /not a problem of this machine\): .*config\.toml/);
  });

  test('no seccomp: fail', () => {
    const f = healthy();
    f.seccompStatus = undefined;
    assert.equal(byId(runChecks(f), 'seccomp').status, 'fail');
  });

  test('resolv.conf into /run with a stub resolver: a warning for logged/host only', () => {
    const f = healthy();
    f.resolvConf = {
      symlinkTarget: '/run/systemd/resolve/stub-resolv.conf',
      nameservers: ['127.0.0.53'],
    };
    const r = byId(runChecks(f), 'resolv.conf');
    assert.equal(r.status, 'warn');
    assert.match(r.message, /--net filtered resolves on the host/);
    assert.match(r.fix!, /--ro \/run\/systemd\/resolve$/);
    f.resolvConf = { symlinkTarget: undefined, nameservers: ['127.0.0.53'] };
    const plain = byId(runChecks(f), 'resolv.conf');
    assert.equal(plain.status, 'ok');
    assert.match(plain.message, /stub resolver.*resolves on the host/);
  });

  test('forwarder: says whether socat or the Node bridge carries filtered connections', () => {
    const f = healthy();
    f.socat = '/usr/bin/socat';
    const s = byId(runChecks(f), 'forwarder');
    assert.equal(s.status, 'ok');
    assert.match(s.message, /socat \(\/usr\/bin\/socat\)/);
    f.socat = undefined;
    const n = byId(runChecks(f), 'forwarder');
    assert.equal(n.status, 'warn');
    assert.match(n.message, /Node bridge/);
    assert.match(n.fix!, /apt-get install socat/);
  });

  test('unwritable state dir: a warning with a fix', () => {
    const f = healthy();
    f.dirs[1] = {
      name: 'state',
      path: '/home/u/.local/state/bubble',
      writable: false,
      detail: '/home/u/.local: EACCES',
    };
    const d = byId(runChecks(f), 'state-dir');
    assert.equal(d.status, 'warn');
    assert.match(d.fix!, /XDG_STATE_HOME/);
  });
});
