/**
 * The shape of one KubeletConfiguration field, as data.
 *
 * Every field of `kubelet.config.k8s.io/v1beta1` is described once, in `fields.ts`, by a
 * `FieldSpec`. Everything else is derived from that table: the zod schema that checks a config
 * file strictly, the defaults, the command-line flags that map to fields, `--help`, relative
 * path resolution, millisecond durations in the resolved config, and `config view`.
 */

/** How `--help` groups the flags. */
export type FlagGroup =
  | 'config'
  | 'node'
  | 'api'
  | 'server'
  | 'auth'
  | 'tls'
  | 'runtime'
  | 'pods'
  | 'resources'
  | 'eviction'
  | 'logging'
  | 'misc';

export const FLAG_GROUP_TITLES: Readonly<Record<FlagGroup, string>> = {
  config: 'Configuration sources',
  node: 'Node identity and registration',
  api: 'API server client',
  server: 'Kubelet API server',
  auth: 'Authentication and authorization',
  tls: 'TLS and certificates',
  runtime: 'Container runtime',
  pods: 'Pods, static pods and images',
  resources: 'Resources, cgroups and reservations',
  eviction: 'Eviction',
  logging: 'Logging',
  misc: 'Other',
};

/**
 * How a field's value is written and checked. File values are JSON/YAML values; flag values are
 * strings parsed by `flagFormat` (see `FieldSpec`).
 */
export type FieldKind =
  | { readonly type: 'bool' }
  /** An integer. `min`/`max` are inclusive; without them the Go type's range applies. */
  | { readonly type: 'int'; readonly min?: number; readonly max?: number; readonly bits?: 32 | 64 }
  | { readonly type: 'float'; readonly min?: number; readonly max?: number }
  /** A string; `enum` lists the accepted values (case-sensitive, as the Go kubelet). */
  | { readonly type: 'string'; readonly enum?: readonly string[] }
  /** A filesystem path: relative ones resolve against the config file's folder (flags: cwd). */
  | { readonly type: 'path' }
  /** A Go duration string (`90s`, `1m30s`, `2h`); the number 0 is accepted too. */
  | { readonly type: 'duration'; readonly minMs?: number; readonly maxMs?: number }
  /** A resource quantity (`10Mi`, `100m`, `1G`). */
  | { readonly type: 'quantity' }
  | { readonly type: 'stringList'; readonly enum?: readonly string[] }
  | { readonly type: 'stringMap' }
  /** map[string]bool, e.g. featureGates. */
  | { readonly type: 'boolMap' }
  /**
   * Anything with more structure (taints, reserved memory, tracing...). `check` validates a
   * value and returns problems as [relative path, message] pairs; an empty list means valid.
   */
  | { readonly type: 'object'; readonly check: (value: unknown) => readonly (readonly [string, string])[] };

/** How a flag's string value becomes a field value. Defaults follow the field kind. */
export type FlagFormat =
  /** `a,b,c` */
  | 'list'
  /** `k1=v1,k2=v2` */
  | 'map'
  /** `k1<v1,k2<v2` (the eviction thresholds) */
  | 'langleMap'
  /** `A=true,B=false` */
  | 'boolMap'
  /** `key=value:Effect,key2:Effect` (registerWithTaints) */
  | 'taints'
  /** `key:value1,key:value2` merged into map[string][]string (staticPodURLHeader) */
  | 'headerMap'
  /** `pattern=N,pattern2=M` (logging.vmodule) */
  | 'vmodule'
  /** `0:memory=1Gi,hugepages-1M=2Gi;1:memory=2Gi` (reservedMemory) */
  | 'reservedMemory';

export interface FieldSpec {
  /** Dotted path in the v1beta1 document, e.g. `authentication.x509.clientCAFile`. */
  readonly path: string;
  readonly kind: FieldKind;
  /**
   * The config-file default in file form (`'1m'`, `10250`, `true`, `['pods']`), i.e. what the
   * kubelet runs with when the field is absent. `undefined` means absent/empty. Our secure
   * defaults are written here directly: there are no separate flag-only defaults.
   */
  readonly default?: unknown;
  /** The Go kubelet's flag for this field, without dashes. Absent: the field is file-only. */
  readonly flag?: string;
  readonly flagFormat?: FlagFormat;
  /** A one-letter alias, e.g. `v` for `-v N`. */
  readonly short?: string;
  /**
   * In a config file, the Go zero value (`0`, `""`, `0s`) means "use the default", as upstream's
   * defaulting treats it. Flags are applied after defaulting, so a zero flag value is kept.
   */
  readonly zeroIsDefault?: boolean;
  /** The Go kubelet marks the flag deprecated in favour of the config file; still accepted. */
  readonly flagDeprecated?: boolean;
  readonly group: FlagGroup;
  /** One line for `--help`, in our own words. */
  readonly help: string;
}

/** Flags that do not map to a KubeletConfiguration field. */
export interface FlagOnlySpec {
  readonly flag: string;
  readonly type: 'string' | 'path' | 'bool' | 'int' | 'stringList' | 'stringMap';
  readonly default?: unknown;
  readonly group: FlagGroup;
  readonly help: string;
  /** Short alias, e.g. `v` for `--v`. */
  readonly short?: string;
}

/**
 * Flags the Go kubelet has removed but that old systemd units still pass. They are accepted and
 * ignored with one warning each, except where `accept` says a value is an error.
 */
export interface RemovedFlagSpec {
  readonly flag: string;
  /** Whether the flag takes a value (`--flag=value` / `--flag value`) or is boolean. */
  readonly takesValue: boolean;
  /** What replaced it, for the warning. */
  readonly replacement: string;
  /** Values that may be ignored; any other value is a usage error (e.g. container-runtime=remote). */
  readonly accept?: readonly string[];
}
