/**
 * Filling in defaults, as the Go kubelet's `SetDefaults_KubeletConfiguration` does, with our
 * secure values (they are the table's defaults). A `profile` reproduces the Go kubelet's own
 * defaults instead, so that `inspect` can show what a Go kubelet really runs with.
 */
import { parseDuration } from '../lib/duration.js';
import { getPath, isPlainObject, setPath, type JsonObject } from './merge.js';
import type { FieldSpec } from './spec.js';

/**
 * Whose defaults apply:
 * - `kubelet-ts`: ours, the same with or without a config file;
 * - `go-config`: the Go kubelet started with `--config` (v1beta1 defaults);
 * - `go-flags`: the Go kubelet started without `--config` (its legacy, insecure flag defaults).
 */
export type DefaultsProfile = 'kubelet-ts' | 'go-config' | 'go-flags';

/** Where the Go kubelet's defaults differ from ours. `undefined` = empty / unset. */
const GO_CONFIG_DIFFERENCES: Readonly<Record<string, unknown>> = {
  rotateCertificates: false,
  tlsMinVersion: undefined,
};

const GO_FLAGS_DIFFERENCES: Readonly<Record<string, unknown>> = {
  ...GO_CONFIG_DIFFERENCES,
  'authentication.anonymous.enabled': true,
  'authentication.webhook.enabled': false,
  'authorization.mode': 'AlwaysAllow',
  readOnlyPort: 10255,
};

function defaultFor(spec: FieldSpec, profile: DefaultsProfile): unknown {
  const diff = profile === 'go-flags' ? GO_FLAGS_DIFFERENCES : profile === 'go-config' ? GO_CONFIG_DIFFERENCES : {};
  return spec.path in diff ? diff[spec.path] : spec.default;
}

/**
 * Returns a copy of `doc` with every absent field set to its default. Some defaults depend on
 * which fields the operator set (present in `doc`).
 */
export function applyDefaults(
  doc: JsonObject,
  specs: readonly FieldSpec[],
  profile: DefaultsProfile,
): JsonObject {
  const out = structuredClone(doc);
  const explicit = (path: string): boolean => getPath(doc, path) !== undefined;

  for (const spec of specs) {
    if (getPath(out, spec.path) !== undefined) continue;
    const value = defaultFor(spec, profile);
    if (value !== undefined) setPath(out, spec.path, structuredClone(value));
  }

  // nodeStatusReportFrequency follows nodeStatusUpdateFrequency when only the latter was set.
  if (!explicit('nodeStatusReportFrequency') && explicit('nodeStatusUpdateFrequency')) {
    setPath(out, 'nodeStatusReportFrequency', getPath(out, 'nodeStatusUpdateFrequency'));
  }

  // Parallel pulls: serializeImagePulls defaults to false when maxParallelImagePulls > 1 was
  // asked for; maxParallelImagePulls is 1 when pulls are serialized and unset otherwise.
  const maxParallel = getPath(doc, 'maxParallelImagePulls');
  if (!explicit('serializeImagePulls')) {
    setPath(out, 'serializeImagePulls', !(typeof maxParallel === 'number' && maxParallel > 1));
  }
  if (maxParallel === undefined && getPath(out, 'serializeImagePulls') === true) setPath(out, 'maxParallelImagePulls', 1);

  // Setting any hard eviction signal drops the other defaults unless asked to merge them.
  const hard = getPath(doc, 'evictionHard');
  const hardSpec = specs.find((s) => s.path === 'evictionHard');
  if (isPlainObject(hard) && getPath(out, 'mergeDefaultEvictionSettings') === true && isPlainObject(hardSpec?.default)) {
    setPath(out, 'evictionHard', { ...hardSpec.default, ...hard });
  }

  // The image service is the runtime unless given separately.
  if (!getPath(out, 'imageServiceEndpoint')) setPath(out, 'imageServiceEndpoint', getPath(out, 'containerRuntimeEndpoint'));

  return out;
}

/** Whether `value` is the Go zero value of a field of this kind (0, "", a zero duration). */
export function isZeroValue(spec: FieldSpec, value: unknown): boolean {
  if (value === 0 || value === '') return true;
  return spec.kind.type === 'duration' && typeof value === 'string' && parseDuration(value) === 0;
}

/**
 * A copy of a config file document without the zero values of `zeroIsDefault` fields: in a
 * file, those mean "use the default", as upstream's defaulting treats them.
 */
export function dropZeroValues(doc: JsonObject, specs: readonly FieldSpec[]): JsonObject {
  const out = structuredClone(doc);
  for (const spec of specs) {
    if (spec.zeroIsDefault && isZeroValue(spec, getPath(out, spec.path))) setPath(out, spec.path, undefined);
  }
  return out;
}
