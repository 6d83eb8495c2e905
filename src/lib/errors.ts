/**
 * The error hierarchy: every error the kubelet raises on purpose carries a stable `code`.
 * `instanceof` is branded through `Symbol.for`, so it holds across duplicate module copies.
 * Callers classify errors by code or class, never by message text.
 */

const BRAND = Symbol.for('kubelet-ts.error');

export class KubeletError extends Error {
  readonly code: string;
  readonly [BRAND] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
    // Subclasses: compare the prototype chain by name so copies of this module still match.
    let proto: unknown = Object.getPrototypeOf(value);
    while (proto !== null && typeof proto === 'object') {
      if ((proto as { constructor?: { name?: string } }).constructor?.name === this.name) return true;
      proto = Object.getPrototypeOf(proto);
    }
    return false;
  }
}

/** One problem found in the configuration, with where it came from and how to fix it. */
export interface ConfigIssue {
  /** `file:line:col`, `flag --x`, or '' when the problem is not tied to one place. */
  readonly where: string;
  readonly message: string;
}

/** Bad flags or configuration: the kubelet exits 2 and starts nothing. */
export class ConfigError extends KubeletError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('ERR_CONFIG', ConfigError.format(issues));
    this.issues = issues;
  }

  static format(issues: readonly ConfigIssue[]): string {
    return issues.map((i) => (i.where ? `${i.where}: ${i.message}` : i.message)).join('\n');
  }
}

/** A call was made in a state that does not allow it (a programming error). */
export class IllegalStateError extends KubeletError {
  constructor(message: string) {
    super('ERR_ILLEGAL_STATE', message);
  }
}

/** An operation was cancelled through its AbortSignal. */
export class AbortedError extends KubeletError {
  constructor(message = 'operation aborted', options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options);
  }
}

/** Walks `cause` chains and AggregateErrors; true if any error in them matches. */
export function someCause(err: unknown, match: (e: unknown) => boolean): boolean {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (e === undefined || e === null || seen.has(e)) continue;
    seen.add(e);
    if (match(e)) return true;
    if (e instanceof AggregateError) stack.push(...(e.errors as unknown[]));
    if (e instanceof Error && e.cause !== undefined) stack.push(e.cause);
  }
  return false;
}

export function hasCode(err: unknown, code: string): boolean {
  return someCause(err, (e) => e instanceof KubeletError && e.code === code);
}
