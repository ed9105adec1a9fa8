import * as module from 'node:module';

/**
 * Node >= 22.1 can keep compiled code on disk between runs; a bin calls this before it
 * loads the rest of bubble. Older Node has no such function: nothing to do.
 */
export function enableCompileCache(): void {
  const m = module as { enableCompileCache?: () => unknown };
  try {
    m.enableCompileCache?.();
  } catch {
    // a cache directory we cannot write only costs speed
  }
}
