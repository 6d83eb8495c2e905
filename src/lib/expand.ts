/**
 * `$(VAR)` expansion in container `command`, `args`, env values and `subPathExpr`, with the
 * rules of the Go kubelet's `third_party/forked/golang/expansion` (checked against upstream
 * `expand.go` and its tests):
 *
 * - `$(NAME)` is replaced by the value of NAME when `lookup` knows it, and kept verbatim
 *   (`$(NAME)`) when it does not. NAME is everything up to the first `)`, so nothing nests:
 *   `$(A$(B))` looks up the name `A$(B` and, that being unknown, stays as written.
 * - `$$` is an escaped `$`: it yields one `$` and the character after it is not examined, so
 *   `$$(NAME)` yields the literal `$(NAME)`.
 * - `$` followed by any other character (`$HOME`, `${X}`, `$?`) is kept with that character.
 * - `$(` with no `)` anywhere after it is kept verbatim, and scanning resumes after the `(`.
 * - A `$` that ends the input is kept.
 * - Expansion is one pass: replacement values are not expanded again.
 *
 * Pure; `lookup` must be side-effect free.
 */

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/** Expands `input`. `lookup` returns a variable's value, or undefined when it is not defined. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === OPERATOR) {
      // `$$`: an escaped operator.
      out += OPERATOR;
      cursor += 1;
    } else if (next === OPENER) {
      const close = input.indexOf(CLOSER, cursor + 2);
      if (close < 0) {
        // Unterminated reference: keep `$(` and carry on after the opener.
        out += OPERATOR + OPENER;
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `${OPERATOR}${OPENER}${name}${CLOSER}`;
        cursor = close;
      }
    } else {
      // A lone operator: keep it; the next character is copied from the checkpoint.
      out += OPERATOR;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * A lookup over several maps, searched in order (upstream `MappingFuncFor`): the first map that
 * has the name wins.
 */
export function lookupIn(...maps: readonly ReadonlyMap<string, string>[]): (name: string) => string | undefined {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** Expands every string of a `command` or `args` list against `lookup`. */
export function expandAll(values: readonly string[] | undefined, lookup: (name: string) => string | undefined): string[] {
  return (values ?? []).map((v) => expand(v, lookup));
}
