// Errors bubble reports to the user: a stable code, the exit status it maps to, a hint.

export const EXIT_USAGE = 2;
export const EXIT_SETUP = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

/** Marks a BubbleError from any copy of this module (the bundle has more than one). */
const BRAND = Symbol.for('bubble.BubbleError');

export class BubbleError extends Error {
  /**
   * `instanceof` by brand: the cold commands' bundle (scripts/bundle.mjs) has its own copy
   * of this class, and main.ts must still know their errors for the user's.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value;
  }

  readonly [BRAND] = true;
  readonly code: string;
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(
    code: string,
    message: string,
    opts: { exitCode?: number; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'BubbleError';
    this.code = code;
    this.exitCode = opts.exitCode ?? EXIT_USAGE;
    this.hint = opts.hint;
  }
}
