// After-session report of changes to files that run code on the host (issue 4).
// Usage in `bubble run`:
//   const report = changeReporter(projectDir, home);   // right before launch
//   ... session ...
//   if (!quiet) process.stderr.write(report());          // after the session

import { renderChanges } from './render.ts';
import { diffSnapshots, takeSnapshot, type Change } from './snapshot.ts';

/** Snapshots the watched files now; the returned function snapshots again and lists what changed. */
export function changeLister(projectDir: string, home: string): () => Change[] {
  const before = takeSnapshot(projectDir, home);
  return () => diffSnapshots(before, takeSnapshot(projectDir, home));
}

/** As changeLister, rendered ('' if nothing changed). */
export function changeReporter(projectDir: string, home: string): () => string {
  const list = changeLister(projectDir, home);
  return () => renderChanges(list());
}

export { diffSnapshots, takeSnapshot, type Change, type Item, type Snapshot } from './snapshot.ts';
export { renderChanges } from './render.ts';
