// Opt-in modes stay as narrow as their names: --gitconfig rw is announced and its changes
// shown, --home persist keeps caches but not what runs code in the next session, and
// --ssh-agent lists and signs with the named keys only, every signature in the session log.

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait.ts';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireTools, startSshd } from '../fixtures/net-tools/host.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, sandboxSh, snapshot, type Result, type World } from '../support/world.ts';

describe('--gitconfig rw', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
    fs.writeFileSync(join(w.home, '.gitconfig'), '[user]\n\tname = Host User\n');
    fs.mkdirSync(join(w.home, '.config', 'git'), { recursive: true });
    fs.writeFileSync(join(w.home, '.config', 'git', 'config'), '[color]\n\tui = auto\n');
  });
  afterEach(() => w.cleanup());

  test('warns at start, and the report shows what the agent added to the host git config', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      `printf '[core]\\n\\tfsmonitor = touch /tmp/pwned\\n' >> ~/.gitconfig && echo WROTE
       printf '[alias]\\n\\tst = !sh -c evil\\n' >> ~/.config/git/config && echo WROTE2`,
      ['--gitconfig', 'rw'],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'WROTE\nWROTE2\n');
    // The write reached the host (that is what rw means)...
    assert.match(fs.readFileSync(join(w.home, '.gitconfig'), 'utf8'), /fsmonitor = touch/);
    // ...announced before the agent ran, and shown line by line after.
    const warning = r.stderr.indexOf('bubble: warning: --gitconfig rw:');
    assert.ok(warning >= 0, r.stderr);
    const report = r.stderr.indexOf('bubble: your git config changed during the session');
    assert.ok(report > warning, r.stderr);
    const block = r.stderr.slice(report);
    assert.match(
      block,
      /\n {2}M ~\/\.gitconfig\n {4}\+ \[core\]\n {4}\+ \\tfsmonitor = touch \/tmp\/pwned\n/,
    );
    assert.match(
      block,
      /\n {2}M ~\/\.config\/git\/config\n {4}\+ \[alias\]\n {4}\+ \\tst = !sh -c evil\n/,
    );
  });

  test('nothing changed: warned, but no report; read-only (the default): neither', async (t) => {
    if (!(await requireBwrap(t))) return;
    const rw = await sandboxSh(w, 'git config --global user.name', ['--gitconfig', 'rw']);
    assert.equal(rw.stdout, 'Host User\n', rw.stderr);
    assert.match(rw.stderr, /--gitconfig rw:/);
    assert.doesNotMatch(rw.stderr, /git config changed/);
    const ro = await sandboxSh(w, 'echo x >> ~/.gitconfig 2>/dev/null || echo REFUSED');
    assert.equal(ro.stdout, 'REFUSED\n');
    assert.doesNotMatch(ro.stderr, /--gitconfig|git config changed/);
    assert.equal(
      fs.readFileSync(join(w.home, '.gitconfig'), 'utf8'),
      '[user]\n\tname = Host User\n',
    );
    execFileSync('git', ['config', '--file', join(w.home, '.gitconfig'), '--list']);
  });
});

// A sign request written straight to the agent socket, for a key named by a .pub file:
// what a client that skips the key list would send. Exits with the reply's message type.
const RAW_SIGN = `
import base64, os, socket, struct, sys
s = lambda b: struct.pack('>I', len(b)) + b
blob = base64.b64decode(open(sys.argv[1]).read().split()[1])
body = bytes([13]) + s(blob) + s(b'anything the agent asks') + struct.pack('>I', 0)
c = socket.socket(socket.AF_UNIX)
c.connect(os.environ['SSH_AUTH_SOCK'])
c.sendall(struct.pack('>I', len(body)) + body)
n = struct.unpack('>I', c.recv(4))[0]
sys.exit(c.recv(n)[0])
`;

const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The session log's ssh-agent records (readers of older versions skip them). */
function agentRecords(home: string): Array<Record<string, unknown>> {
  const dir = join(home, '.local/state/bubble/sessions');
  const newest = fs.readdirSync(dir).sort().at(-1)!;
  return fs
    .readFileSync(join(dir, newest), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.type === 'ssh-agent');
}

describe('--ssh-agent: list and sign with the named keys only', () => {
  let w: World;
  let sock: string;
  let agentEnv: NodeJS.ProcessEnv;
  let allowed: string;
  let other: string;
  let agent: ChildProcess;
  const fp = (pub: string): string =>
    execFileSync('ssh-keygen', ['-lf', pub], { encoding: 'utf8' }).split(' ')[1]!;
  const hostKeys = (): string =>
    execFileSync('ssh-add', ['-l'], { env: agentEnv, encoding: 'utf8' });

  beforeEach(async () => {
    w = makeWorld();
    sock = join(w.root, 'agent.sock');
    agentEnv = { ...process.env, SSH_AUTH_SOCK: sock };
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    await waitFor(() => fs.existsSync(sock), 'ssh-agent listening');
    // Public halves in the project (the sandbox names keys by .pub); private ones outside.
    const keys = join(w.root, 'keys');
    fs.mkdirSync(keys);
    for (const name of ['allowed', 'other']) {
      const key = join(keys, name);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}-key`, '-f', key]);
      execFileSync('ssh-add', ['-q', key], { env: agentEnv, stdio: 'ignore' });
      fs.copyFileSync(`${key}.pub`, join(w.project, `${name}.pub`));
    }
    allowed = join(keys, 'allowed');
    other = join(keys, 'other');
  });
  afterEach(() => {
    agent.kill();
    w.cleanup();
  });

  test('inside: one key listed, signing with it works (commit too), everything else refused; host agent intact, every request logged', async (t) => {
    if (!(await requireBwrap(t))) return;
    if (!requireTools(t, ['ssh-agent', 'ssh-add', 'ssh-keygen', 'git'])) return;
    const before = hostKeys();
    assert.equal(before.trim().split('\n').length, 2);
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: w.project });
    const r = await sandboxSh(
      w,
      `ssh-add -l; echo "list=$?"
       ssh-add -D 2>/dev/null; echo "remove-all=$?"
       ssh-add -d other.pub 2>/dev/null; echo "remove=$?"
       ssh-keygen -q -t ed25519 -N '' -C planted -f /tmp/planted && ssh-add /tmp/planted 2>/dev/null; echo "add=$?"
       ssh-add -x </dev/null 2>/dev/null; echo "lock=$?"
       echo payload > msg && ssh-keygen -Y sign -f allowed.pub -n file msg >/dev/null 2>&1; echo "sign=$?"
       echo payload > msg2 && ssh-keygen -Y sign -f other.pub -n file msg2 >/dev/null 2>&1; echo "sign-other=$?"
       echo a > a && git add a && git -c gpg.format=ssh -c user.signingkey="$PWD/allowed.pub" -c user.name=t -c user.email=t@example.com commit -qS -m signed; echo "commit=$?"
       git -c gpg.format=ssh -c user.signingkey="$PWD/other.pub" -c user.name=t -c user.email=t@example.com commit -qS --allow-empty -m other 2>/dev/null; echo "commit-other=$?"
       python3 -c "$RAW_SIGN" other.pub; echo "raw-sign-other=$?"
       python3 -c "$RAW_SIGN" allowed.pub; echo "raw-sign=$?"
       ssh-add -l; echo "list-after=$?"`,
      ['--ssh-key', join(w.project, 'allowed.pub'), '--env', 'RAW_SIGN'],
      { env: { SSH_AUTH_SOCK: sock, RAW_SIGN } },
    );
    const [listing, ...rest] = r.stdout.split('\n');
    assert.match(
      listing!,
      new RegExp(`^256 ${literal(fp(`${allowed}.pub`))} allowed-key \\(ED25519\\)$`),
      r.stdout + r.stderr,
    );
    assert.deepEqual(
      rest.filter((l) => l.includes('=')),
      [
        'list=0',
        'remove-all=1',
        'remove=1',
        'add=1',
        'lock=1',
        'sign=0',
        'sign-other=255',
        'commit=0',
        'commit-other=128',
        'raw-sign-other=5',
        'raw-sign=14',
        'list-after=0',
      ],
      r.stdout + r.stderr,
    );
    assert.doesNotMatch(r.stdout, /other-key|planted/);
    // Host: the real agent still holds both keys, and no planted one.
    assert.equal(hostKeys(), before);
    // Host: the signatures verify with the allowed key.
    const signers = join(w.root, 'allowed_signers');
    fs.writeFileSync(signers, `t@example.com ${fs.readFileSync(`${allowed}.pub`, 'utf8')}`);
    execFileSync(
      'ssh-keygen',
      [
        '-Y',
        'verify',
        '-f',
        signers,
        '-I',
        't@example.com',
        '-n',
        'file',
        '-s',
        join(w.project, 'msg.sig'),
      ],
      { input: 'payload\n' },
    );
    const show = execFileSync(
      'git',
      ['-c', `gpg.ssh.allowedSignersFile=${signers}`, 'log', '-1', '--format=%G?', 'main'],
      { cwd: w.project, encoding: 'utf8' },
    );
    assert.equal(show.trim(), 'G', 'the commit is not signed by the allowed key');
    assert.equal(
      execFileSync('git', ['rev-list', '--count', 'main'], {
        cwd: w.project,
        encoding: 'utf8',
      }).trim(),
      '1',
    );
    // Host: one record per signature, with the key and what it was for; refusals logged.
    const recs = agentRecords(w.home);
    const signs = recs.filter((x) => x.request === 'sign' && x.decision === 'allow');
    assert.equal(signs.length, 3, JSON.stringify(recs, null, 1));
    for (const s of signs) assert.equal(s.key, fp(`${allowed}.pub`));
    assert.deepEqual(
      signs.map((s) => (s.signed as { namespace?: string }).namespace),
      ['file', 'git', undefined],
    );
    const denied = recs.filter((x) => x.decision === 'deny').map((x) => x.request);
    for (const want of ['remove-all', 'remove', 'add', 'lock'])
      assert.ok(denied.includes(want), `${want} not logged: ${denied.join(', ')}`);
    const deniedSigns = recs.filter((x) => x.request === 'sign' && x.decision === 'deny');
    assert.equal(deniedSigns.length, 1, JSON.stringify(recs, null, 1));
    assert.equal(deniedSigns[0]!.key, fp(`${other}.pub`));
    assert.match(
      r.stderr,
      /bubble: ssh-agent: 3 signatures \(file signature x1, git signature x1, unrecognised data x1\), \d+ requests refused/,
    );
  });

  test('ssh login through the proxy with the named key; the other key is never offered', async (t) => {
    if (!(await requireBwrap(t))) return;
    if (!requireTools(t, ['ssh', 'ssh-agent', 'ssh-add', '/usr/sbin/sshd'])) return;
    // sshd accepts both keys: which one logs in shows which one the sandbox could use.
    const sshd = await startSshd(join(w.root, 'sshd'), `${allowed}.pub`);
    t.after(() => sshd.close());
    fs.appendFileSync(join(w.root, 'sshd', 'authorized_keys'), fs.readFileSync(`${other}.pub`));
    fs.writeFileSync(join(w.project, 'known_hosts'), `${sshd.knownHost('127.0.0.1')}\n`);
    const login = (keys: string[]): Promise<Result> =>
      sandboxSh(
        w,
        `eval "$GIT_SSH_COMMAND -o UserKnownHostsFile=$PWD/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -p ${sshd.port} 127.0.0.1 echo hello-from-sshd"`,
        ['--host-port', String(sshd.port), ...keys.flatMap((k) => ['--ssh-key', k])],
        { env: { SSH_AUTH_SOCK: sock } },
      );
    const r = await login(['allowed-key']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello-from-sshd\n');
    const accepted =
      sshd.log().match(/Accepted publickey for \S+ from \S+ port \d+ ssh2: ED25519 (\S+)/g) ?? [];
    assert.equal(accepted.length, 1, sshd.log());
    assert.ok(accepted[0].endsWith(fp(`${allowed}.pub`)), sshd.log());
    assert.ok(!sshd.log().includes(fp(`${other}.pub`)), sshd.log());
    const signs = agentRecords(w.home).filter((x) => x.request === 'sign');
    assert.equal(signs.length, 1, JSON.stringify(signs));
    assert.equal((signs[0]!.signed as { kind: string }).kind, 'ssh-userauth');
    assert.equal((signs[0]!.signed as { user: string }).user, userInfo().username);
    assert.match(r.stderr, /ssh-agent: 1 signature \(ssh login as /);
  });

  test('no key named, or one the agent lacks: refused before the sandbox starts, naming the keys', async (t) => {
    if (!(await requireBwrap(t))) return;
    const unnamed = await sandboxSh(w, 'echo RAN', ['--ssh-agent'], {
      env: { SSH_AUTH_SOCK: sock },
    });
    assert.equal(unnamed.code, 2);
    assert.equal(unnamed.stdout, '');
    assert.match(unnamed.stderr, /--ssh-agent: name the keys the sandbox may use/);
    assert.match(unnamed.stderr, /allowed-key/);
    assert.match(unnamed.stderr, /other-key/);
    const missing = await sandboxSh(w, 'echo RAN', ['--ssh-key', 'no-such-comment'], {
      env: { SSH_AUTH_SOCK: sock },
    });
    assert.equal(missing.code, 2);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /--ssh-key no-such-comment: not in your ssh-agent/);
    const priv = await sandboxSh(w, 'echo RAN', ['--ssh-key', join(w.project, 'README')], {
      env: { SSH_AUTH_SOCK: sock },
    });
    assert.equal(priv.code, 2);
    assert.match(priv.stderr, /--ssh-key .*README: .*README\.pub: no such file/);
    // Naming by fingerprint works as well.
    const byFp = await sandboxSh(w, 'ssh-add -l', ['--ssh-key', fp(`${other}.pub`)], {
      env: { SSH_AUTH_SOCK: sock },
    });
    assert.equal(byFp.code, 0, byFp.stderr);
    assert.match(byFp.stdout, /^256 \S+ other-key \(ED25519\)\n$/);
  });
});

describe('--home persist: caches persist, what runs code does not', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
    execFileSync('git', ['init', '-q'], { cwd: w.project });
  });
  afterEach(() => w.cleanup());
  const homes = (): string => join(w.home, '.local/state/bubble/homes');

  test('a session plants rc files, git and ssh config, PATH shims; the next session of the project sees none of them', async (t) => {
    if (!(await requireBwrap(t))) return;
    const plant = await sandboxSh(
      w,
      `set -e
       echo 'touch "$PWD/ran-bashrc"' > ~/.bashrc; echo 'touch "$PWD/ran-profile"' > ~/.profile
       printf '[core]\\n\\tfsmonitor = "touch $PWD/ran-fsmonitor"\\n' > ~/.gitconfig
       mkdir -p ~/.config/git ~/.ssh ~/.local/bin ~/.local/lib/python3/site-packages ~/.cache/tool ~/.npm/_cacache
       cp ~/.gitconfig ~/.config/git/config
       printf 'Host *\\n  ProxyCommand sh -c "touch $PWD/ran-ssh"\\n' > ~/.ssh/config
       printf '#!/bin/sh\\ntouch "$PWD/ran-shim"\\n' > ~/.local/bin/git; chmod +x ~/.local/bin/git
       echo 'import os' > ~/.local/lib/python3/site-packages/evil.pth
       echo 'node-options=--require=/tmp/x' > ~/.npmrc
       echo cached > ~/.cache/tool/x; echo entry > ~/.npm/_cacache/e
       echo PLANTED`,
      ['--home', 'persist', '--net', 'none'],
    );
    assert.equal(plant.code, 0, plant.stderr);
    assert.equal(plant.stdout, 'PLANTED\n');
    const next = await sandboxSh(
      w,
      `cat ~/.cache/tool/x ~/.npm/_cacache/e
       for f in .bashrc .profile .gitconfig .config/git/config .ssh/config .local/bin/git .local/lib/python3/site-packages/evil.pth .npmrc; do
         test -e ~/$f && echo "SURVIVED $f"
       done
       bash -ic true 2>/dev/null; git status >/dev/null; ls ran-* 2>/dev/null; echo done`,
      ['--home', 'persist'],
      { env: { PATH: `${join(w.home, '.local/bin')}:${process.env.PATH ?? '/usr/bin:/bin'}` } },
    );
    assert.equal(next.code, 0, next.stderr);
    assert.equal(next.stdout, 'cached\nentry\ndone\n');
    // Host: the project's persistent home holds the caches and nothing else.
    const [dir, ...more] = fs.readdirSync(homes());
    assert.equal(more.length, 0);
    const kept = snapshot(join(homes(), dir!));
    const names = [...kept.keys()].map((k) => k.slice(join(homes(), dir!).length + 1));
    assert.ok(
      names.every((n) =>
        /^(\.cache|\.local|\.local\/state|\.npm|\.npm\/_cacache|\.cargo|\.cargo\/registry|go|go\/pkg|go\/pkg\/mod)(\/|$)/.test(
          n,
        ),
      ),
      names.join(' '),
    );
    assert.ok(
      !names.some((n) => /bashrc|gitconfig|ssh|bin|pth|npmrc|profile/.test(n)),
      names.join(' '),
    );
    assert.deepEqual(
      fs.readdirSync(w.project).filter((n) => n.startsWith('ran-')),
      [],
    );
  });

  test('--home-keep keeps one more path, on purpose; only that one', async (t) => {
    if (!(await requireBwrap(t))) return;
    const args = ['--home', 'persist', '--home-keep', '.config/gh'];
    const first = await sandboxSh(
      w,
      'mkdir -p ~/.config/gh ~/.config/git && echo token-cfg > ~/.config/gh/hosts.yml && echo x > ~/.config/git/config && echo ok',
      args,
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await sandboxSh(
      w,
      'cat ~/.config/gh/hosts.yml; test -e ~/.config/git/config && echo SURVIVED; echo done',
      args,
    );
    assert.equal(second.stdout, 'token-cfg\ndone\n', second.stderr);
    const header = fs.readdirSync(join(w.home, '.local/state/bubble/sessions')).length;
    assert.ok(header >= 2);
    const bad = await sandboxSh(w, 'true', ['--home', 'persist', '--home-keep', '../../etc']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--home-keep \.\.\/\.\.\/etc: expected a path inside your home/);
  });

  test('a link planted in the persistent home (by an older bubble) is refused, never followed', async (t) => {
    if (!(await requireBwrap(t))) return;
    const first = await sandboxSh(w, 'true', ['--home', 'persist']);
    assert.equal(first.code, 0, first.stderr);
    const dir = join(homes(), fs.readdirSync(homes())[0]!);
    fs.rmSync(join(dir, '.cache'), { recursive: true });
    fs.symlinkSync(join(w.home, '.ssh'), join(dir, '.cache'));
    const before = snapshot(join(w.home, '.ssh'));
    const r = await sandboxSh(w, 'echo x > ~/.cache/planted; echo RAN', ['--home', 'persist']);
    assert.equal(r.code, 125);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /\.cache is a symlink: bubble will not follow it out of the persistent home/,
    );
    assert.deepEqual(snapshot(join(w.home, '.ssh')), before);
  });
});
