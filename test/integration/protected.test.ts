// The agent's behaviour-shaping config: read-only, not replaceable, not plantable, and no
// placeholder left behind on the host. Attacked from inside, checked on the host.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { waitFor } from '../support/wait.ts';
import {
  homeView,
  makeWorld,
  runBubble,
  sandboxed,
  sandboxSh,
  type World,
} from '../support/world.ts';

const claude = ['--profile', 'claude'];

describe('protected agent config (claude profile)', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld({ claude: true });
  });
  afterEach(() => w.cleanup());

  test('settings, commands and the statusline script cannot be changed, removed or renamed', async (t) => {
    if (!(await requireBwrap(t))) return;
    const before = homeView(w.home);
    const r = await sandboxSh(
      w,
      `cd ~/.claude
       for f in settings.json statusline.sh commands/review.md; do
         (echo '{"hooks":{}}' > "$f") 2>/dev/null && echo "WROTE $f"
         rm -f "$f" 2>/dev/null && echo "REMOVED $f"
         mv "$f" "$f.bak" 2>/dev/null && echo "RENAMED $f"
       done
       mv commands commands.bak 2>/dev/null && echo RENAMED-DIR
       rm -rf commands 2>/dev/null; test -e commands/review.md || echo REMOVED-DIR
       echo pwned > commands/new.md 2>/dev/null && echo WROTE-NEW
       echo done`,
      claude,
    );
    assert.ok(r.stdout.includes('done'), r.stderr);
    assert.doesNotMatch(r.stdout, /WROTE|REMOVED|RENAMED/);
    assert.deepEqual(homeView(w.home), before);
  });

  test('agent state stays writable and reaches the host', async (t) => {
    if (!(await requireBwrap(t))) return;
    const r = await sandboxSh(
      w,
      'mkdir -p ~/.claude/projects/p && echo session > ~/.claude/projects/p/log.jsonl && echo \'{"numStartups":2}\' > ~/.claude.json',
      claude,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      fs.readFileSync(join(w.home, '.claude/projects/p/log.jsonl'), 'utf8'),
      'session\n',
    );
    assert.equal(fs.readFileSync(join(w.home, '.claude.json'), 'utf8'), '{"numStartups":2}\n');
  });

  test('missing protected paths cannot be created, and leave nothing behind', async (t) => {
    if (!(await requireBwrap(t))) return;
    const before = homeView(w.home);
    const r = await sandboxSh(
      w,
      `cd ~/.claude
       mkdir skills/evil 2>/dev/null && echo CREATED-IN-SKILLS
       echo x > hooks/run.sh 2>/dev/null && echo CREATED-HOOK
       rmdir skills 2>/dev/null && echo REMOVED-SKILLS
       mv agents agents2 2>/dev/null && echo RENAMED-AGENTS
       ln -s .. plugins 2>/dev/null && echo PLANTED-LINK
       echo '{"hooks":{"Stop":[]}}' > settings.local.json 2>/dev/null && echo WROTE-LOCAL
       echo '# evil' > CLAUDE.md 2>/dev/null && echo WROTE-MEMORY
       cat settings.local.json; echo done`,
      claude,
    );
    assert.ok(r.stdout.includes('done'), r.stderr);
    assert.doesNotMatch(r.stdout, /CREATED|REMOVED|RENAMED|PLANTED|WROTE/);
    assert.deepEqual(
      homeView(w.home),
      before,
      'the home changed: a placeholder was left or a plant got through',
    );
  });

  test('a protected path that is a symlink makes bubble refuse (two-run escalation)', async (t) => {
    if (!(await requireBwrap(t))) return;
    fs.symlinkSync('..', join(w.home, '.claude', 'skills'));
    const r = await sandboxSh(w, 'ls ~/.claude/skills/; echo RAN', claude);
    assert.equal(r.code, 125);
    assert.ok(!r.stdout.includes('RAN'));
    assert.match(r.stderr, /\.claude\/skills is a symlink/);
  });

  test('a protected file with a second hard link makes bubble refuse', async (t) => {
    if (!(await requireBwrap(t))) return;
    fs.linkSync(join(w.home, '.claude', 'settings.json'), join(w.project, 'settings-link.json'));
    const r = await sandboxSh(w, 'echo RAN', claude);
    assert.equal(r.code, 125);
    assert.ok(!r.stdout.includes('RAN'));
    assert.match(r.stderr, /settings\.json has 2 hard links/);
  });

  // ~/.claude is staged (policy/agent-state.ts): its missing protected paths are mount points
  // in bubble's stage, never on the host. The project's still need host placeholders.
  test('placeholders are removed after kill -9 of bubble', async (t) => {
    if (!(await requireBwrap(t))) return;
    const skills = join(w.project, '.vscode');
    let pid: number | undefined;
    const marker = `bubble-placeholder-${process.pid}`;
    const done = runBubble(w, ['run', ...claude, '--', 'sh', '-c', 'sleep 60', marker], {
      onSpawn: (c) => (pid = c.pid),
    });
    // The command runs inside: bwrap has made every mount, the placeholder's included.
    await waitFor(() => sandboxed(marker).length > 0, 'the sandboxed command');
    assert.ok(fs.existsSync(skills), 'the placeholder never appeared: the test proves nothing');
    process.kill(pid!, 'SIGKILL');
    const r = await done;
    assert.equal(r.signal, 'SIGKILL');
    // The watchdog removes them one by one: wait for the last of the two looked at.
    const mcp = join(w.project, '.mcp.json');
    await waitFor(
      () => !fs.existsSync(skills) && !fs.existsSync(mcp),
      'the placeholders removed after kill -9',
    );
    assert.ok(!fs.existsSync(skills), 'placeholder left behind after kill -9');
    assert.ok(!fs.existsSync(mcp));
    assert.ok(!fs.existsSync(join(w.home, '.claude', 'hooks')));
  });

  test('the next run cleans up after a session whose watchdog died too', async (t) => {
    if (!(await requireBwrap(t))) return;
    const dir = join(w.home, '.local/state/bubble/placeholders');
    fs.mkdirSync(dir, { recursive: true });
    const skills = join(w.project, '.vscode');
    fs.mkdirSync(skills);
    fs.writeFileSync(
      join(dir, '999999999.json'),
      JSON.stringify({ pid: 999999999, start: '1', paths: [{ path: skills, type: 'dir' }] }),
    );
    const r = await sandboxSh(w, 'mkdir .vscode/x 2>/dev/null && echo CREATED; echo done', claude);
    assert.equal(r.stdout, 'done\n', r.stderr);
    assert.ok(!fs.existsSync(skills), 'stale placeholder kept');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test("concurrent sessions keep each other's placeholders", async (t) => {
    if (!(await requireBwrap(t))) return;
    const skills = join(w.project, '.vscode');
    // The long session runs until the test says go (a file in the project), so it provably
    // outlives the short one whatever the machine's speed.
    const marker = `bubble-long-session-${process.pid}`;
    const go = join(w.project, 'go');
    const long = runBubble(w, [
      'run',
      ...claude,
      '--',
      'sh',
      '-c',
      'until [ -e go ]; do sleep 0.05; done; mkdir .vscode/x 2>/dev/null && echo CREATED; echo done',
      marker,
    ]);
    await waitFor(() => sandboxed(marker).length > 0, 'the long session running');
    const short = await sandboxSh(w, 'true', claude);
    assert.equal(short.code, 0, short.stderr);
    assert.ok(
      fs.existsSync(skills),
      'the short session removed a placeholder the long one relies on',
    );
    fs.writeFileSync(go, '');
    const r = await long;
    fs.rmSync(go);
    assert.equal(r.stdout, 'done\n');
    assert.ok(!fs.existsSync(skills));
  });
});
