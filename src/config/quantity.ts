/**
 * Kubernetes resource quantities (`10Mi`, `100m`, `1.5G`, `2e3`), as in apimachinery's
 * `resource.Quantity`. Only what the kubelet needs: checking the syntax and reading a value.
 */

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The numeric value of a quantity (bytes for memory, cores for cpu), or undefined if invalid. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, num = '', suffix, exp] = m;
  const base = Number(num);
  if (exp !== undefined) return base * 10 ** Number(exp);
  if (suffix === undefined) return base;
  return base * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

export function isQuantity(text: string): boolean {
  return parseQuantity(text) !== undefined;
}

/** An eviction threshold value: a quantity or a percentage (`10%`). */
export function isQuantityOrPercent(text: string): boolean {
  const t = text.trim();
  if (t.endsWith('%')) {
    const n = Number(t.slice(0, -1));
    return t.length > 1 && Number.isFinite(n) && n >= 0 && n <= 100;
  }
  return isQuantity(t);
}
