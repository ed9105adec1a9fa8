// Golden files: compare text with test/golden/NAME; UPDATE_GOLDEN=1 rewrites them.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../golden/', import.meta.url));

export function assertGolden(name: string, actual: string): void {
  const file = dir + name;
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(
    fs.existsSync(file),
    `missing golden file ${name}: run with UPDATE_GOLDEN=1 and review it`,
  );
  assert.equal(
    actual,
    fs.readFileSync(file, 'utf8'),
    `${name} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`,
  );
}
