// The mount list under construction: bwrap applies it in order, later mounts covering
// earlier ones, so each resolve step asks what is already visible before it adds its own.

import type { HostFacts } from '../sandbox/facts.ts';
import type { MountOp } from '../sandbox/plan.ts';
import { ancestors, isUnder } from './paths.ts';

export class Mounts {
  readonly ops: MountOp[] = [];
  /** Stage directories of agent state dirs: writes there stay in bubble's stage. */
  private readonly stages = new Set<string>();

  push(op: MountOp): void {
    this.ops.push(op);
  }

  stagedSource(src: string): void {
    this.stages.add(src);
  }

  /** The last mount whose destination contains `path`: the one that decides what is seen there. */
  covering(path: string): MountOp | undefined {
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i]!;
      if (isUnder(path, op.dest)) return op;
    }
    return undefined;
  }

  /** A path inside whose writes reach the host (under a read-write bind). */
  persistsToHost(path: string): boolean {
    const op = this.covering(path);
    return op?.kind === 'rw' && !this.stages.has(op.src);
  }

  /** Whether `path` exists inside, following bind sources and symlink mounts. */
  visible(path: string, facts: HostFacts, depth = 0): boolean {
    const op = this.covering(path);
    if (op === undefined || depth > 8) return false;
    switch (op.kind) {
      case 'ro':
      case 'rw':
        return facts.fs.realpath(op.src + path.slice(op.dest.length)) !== undefined;
      case 'symlink':
        return this.visible(op.target + path.slice(op.dest.length), facts, depth + 1);
      default:
        return path === op.dest;
    }
  }

  /**
   * Parents of a mount point that no other mount provides are made by bwrap; make them
   * search-only (0111) so the sandbox can pass through but not list them.
   */
  parentsOf(dest: string): void {
    for (const dir of ancestors(dest).reverse()) {
      if (this.covering(dir) !== undefined) continue;
      this.push({
        kind: 'dir',
        dest: dir,
        mode: 0o111,
        why: 'parent of a mount: passable, not listable',
        source: 'default',
      });
    }
  }
}
