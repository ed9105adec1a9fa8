// The project's other "runs on the host" files (src/policy/project.ts): mise's other config
// names, other AI editors' project config, the .env files agents load at start-up, aider's
// model settings. Planted from inside with the real bwrap; the host project checked after.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, sandboxSh, snapshot, type World } from '../support/world.ts';

const VECTORS = [
  'mise.local.toml',
  '.mise.local.toml',
  'mise/config.toml',
  '.mise/config.toml',
  '.config/mise.toml',
  '.config/mise/config.toml',
  '.config/mise/conf.d/x.toml',
  '.cursor/mcp.json',
  '.cursor/rules/x.mdc',
  '.windsurf/rules/x.md',
  '.continue/config.yaml',
  '.zed/settings.json',
  '.amazonq/mcp.json',
  '.roo/mcp.json',
  '.kiro/settings/mcp.json',
  '.env',
  '.aider.model.settings.yml',
  '.aider.model.metadata.json',
  'opencode.jsonc',
  '.aider.tags.cache.v4/cache.db',
  '.aider.tags.cache.v3/cache.db',
];

describe('project files other tools run on the host', () => {
  let w: World;
  beforeEach(() => {
    w = makeWorld();
  });
  afterEach(() => w.cleanup());

  test('absent ones cannot be created, existing ones cannot be changed or renamed away', async (t) => {
    if (!(await requireBwrap(t))) return;
    // Half exist (the user's own), half do not.
    const existing = VECTORS.filter((_, i) => i % 2 === 0);
    for (const v of existing) {
      fs.mkdirSync(join(w.project, v, '..'), { recursive: true });
      fs.writeFileSync(join(w.project, v), 'the user\n');
    }
    const before = snapshot(w.project);
    const script = VECTORS.map(
      (v) =>
        `mkdir -p "$(dirname ${v})" 2>/dev/null; echo pwned > ${v} 2>/dev/null && echo "PLANTED ${v}"
         mv ${v} ${v}.old 2>/dev/null && echo "MOVED ${v}"`,
    ).join('\n');
    const r = await sandboxSh(
      w,
      `${script}
      for d in .cursor .mise .config mise; do mv $d $d-old 2>/dev/null && echo "RENAMED $d"; done
      echo ok > normal-work.txt && echo done`,
    );
    assert.match(r.stdout, /done/, r.stderr);
    assert.doesNotMatch(r.stdout, /PLANTED|MOVED|RENAMED/);
    const after = snapshot(w.project);
    after.delete(join(w.project, 'normal-work.txt'));
    assert.deepEqual(after, before, 'the project changed on the host');
    assert.equal(fs.readFileSync(join(w.project, 'normal-work.txt'), 'utf8'), 'ok\n');
  });
});
