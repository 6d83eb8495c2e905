/**
 * A small Prometheus registry and its text exposition format (version 0.0.4): counters,
 * gauges and histograms with labels, and collect hooks that refresh values at scrape time.
 * Written here because prom-client is not among the project's dependencies; the shapes follow
 * prom-client (`inc`, `set`, `observe`, `labels(...)`) so that a switch would be mechanical.
 *
 * Contract: names and label names are checked when a metric is created (throws
 * MetricsError); label values are escaped on output; a family with labels and no series yet is
 * left out of the output (as client_golang does), one without labels always shows its value.
 */
import { KubeletError } from '../lib/errors.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class MetricsError extends KubeletError {
  constructor(message: string) {
    super('ERR_METRICS', message);
  }
}

type MetricType = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: MetricType;
  protected readonly series = new Map<string, { values: string[]; state: S }>();

  constructor(o: MetricOptions<L>) {
    if (!NAME.test(o.name)) throw new MetricsError(`invalid metric name ${JSON.stringify(o.name)}`);
    for (const l of o.labelNames ?? []) if (!LABEL.test(l) || l.startsWith('__')) throw new MetricsError(`invalid label name ${JSON.stringify(l)} for ${o.name}`);
    this.name = o.name;
    this.help = o.help;
    this.labelNames = o.labelNames ?? [];
  }

  protected abstract fresh(): S;

  protected stateFor(labels: Partial<Record<L, string>> = {}): S {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = { values, state: this.fresh() };
      this.series.set(key, s);
    }
    return s.state;
  }

  /** Forgets every series (gauges rebuilt at scrape time use this). */
  reset(): void {
    this.series.clear();
  }

  protected abstract lines(values: readonly string[], state: S): string[];

  render(): string {
    if (this.labelNames.length === 0 && this.series.size === 0) this.stateFor();
    if (this.series.size === 0) return '';
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    const sorted = [...this.series.values()].sort((a, b) => (a.values.join('\u0000') < b.values.join('\u0000') ? -1 : 1));
    for (const s of sorted) out.push(...this.lines(s.values, s.state));
    return `${out.join('\n')}\n`;
  }
}

export class Counter<L extends string = never> extends Metric<L, { v: number }> {
  readonly type = 'counter';
  protected fresh() {
    return { v: 0 };
  }
  inc(labels?: Partial<Record<L, string>>, by = 1): void {
    if (by < 0) throw new MetricsError(`counter ${this.name} cannot decrease`);
    this.stateFor(labels).v += by;
  }
  get(labels?: Partial<Record<L, string>>): number {
    return this.stateFor(labels).v;
  }
  protected lines(values: readonly string[], s: { v: number }): string[] {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatValue(s.v)}`];
  }
}

export class Gauge<L extends string = never> extends Metric<L, { v: number }> {
  readonly type = 'gauge';
  protected fresh() {
    return { v: 0 };
  }
  set(labels: Partial<Record<L, string>>, value: number): void {
    this.stateFor(labels).v = value;
  }
  inc(labels?: Partial<Record<L, string>>, by = 1): void {
    this.stateFor(labels).v += by;
  }
  dec(labels?: Partial<Record<L, string>>, by = 1): void {
    this.stateFor(labels).v -= by;
  }
  get(labels?: Partial<Record<L, string>>): number {
    return this.stateFor(labels).v;
  }
  protected lines(values: readonly string[], s: { v: number }): string[] {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatValue(s.v)}`];
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(o: MetricOptions<L> & { readonly buckets: readonly number[] }) {
    super(o);
    if (this.labelNames.includes('le' as L)) throw new MetricsError(`histogram ${o.name} cannot have a label "le"`);
    const b = [...o.buckets].filter((x) => x !== Number.POSITIVE_INFINITY);
    for (let i = 1; i < b.length; i++) if (!((b[i] ?? 0) > (b[i - 1] ?? 0))) throw new MetricsError(`histogram ${o.name}: buckets must increase`);
    this.buckets = b;
  }
  protected fresh(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  observe(labels: Partial<Record<L, string>>, value: number): void {
    const s = this.stateFor(labels);
    s.sum += value;
    s.count++;
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i] = (s.counts[i] ?? 0) + 1;
    });
  }
  protected lines(values: readonly string[], s: HistogramState): string[] {
    const out = this.buckets.map((b, i) => `${this.name}_bucket${labelText(this.labelNames, values, ['le', formatValue(b)])} ${s.counts[i] ?? 0}`);
    out.push(`${this.name}_bucket${labelText(this.labelNames, values, ['le', '+Inf'])} ${s.count}`);
    out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatValue(s.sum)}`);
    out.push(`${this.name}_count${labelText(this.labelNames, values)} ${s.count}`);
    return out;
  }
}

export type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

export class Registry {
  readonly #metrics = new Map<string, AnyMetric>();
  readonly #collectors: (() => void | Promise<void>)[] = [];

  /** Adds a metric; a second metric with the same name throws. Returns it for chaining. */
  register<M extends AnyMetric>(m: M): M {
    if (this.#metrics.has(m.name)) throw new MetricsError(`metric ${m.name} registered twice`);
    this.#metrics.set(m.name, m);
    return m;
  }

  /** A hook run before each scrape, to refresh gauges from their sources. */
  onCollect(fn: () => void | Promise<void>): void {
    this.#collectors.push(fn);
  }

  /** The whole registry in the text format (families sorted by name). */
  async metrics(): Promise<string> {
    for (const c of this.#collectors) await c();
    return [...this.#metrics.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((m) => m.render())
      .join('');
  }
}
