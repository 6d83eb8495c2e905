/**
 * Static pods from manifests (a file under `staticPodPath`, or the body fetched from
 * `staticPodURL`), turned into the pods the kubelet runs, as upstream
 * `pkg/kubelet/config/common.go` (`applyDefaults`, `tryDecodeSinglePod`, `tryDecodePodList`)
 * and `config.go` (source and first-seen annotations) do:
 *
 * - YAML or JSON; exactly one `apiVersion: v1`, `kind: Pod` object per manifest (an http
 *   source may also serve a `v1 PodList`). Syntax errors, several documents, a wrong kind and
 *   invalid pods are reported as `<file or url>:line:col: message`.
 * - API defaults are applied first (`applyPodDefaults`).
 * - UID, when the manifest sets none: hex MD5 over `host:<nodeName>` + `file:<path>` (file
 *   sources) or `url:<url>` (http sources), followed by a deep hash of the defaulted pod.
 *   Deviation: upstream hashes the pod with its own serializer (`DeepHashObject`, spew-based in
 *   older releases); we hash a canonical JSON (keys sorted, nulls dropped). UIDs are therefore
 *   stable across kubelet-ts restarts and change exactly when the defaulted content changes
 *   (key order, formatting, comments and explicitly written defaults do not matter), but they
 *   are not the UIDs a Go kubelet would compute for the same file.
 * - name `<name>-<lowercased nodeName>`, namespace `default` when empty, `spec.nodeName` set,
 *   annotations `kubernetes.io/config.hash` (= UID), `kubernetes.io/config.source`
 *   (`file`/`http`), `kubernetes.io/config.seen` (`now` as RFC 3339 with nanoseconds, UTC);
 *   file pods tolerate every `NoExecute` taint; `status.phase` is `Pending`.
 * - `validatePod` then runs; any problem rejects the manifest.
 *
 * Pure: the caller reads the file or URL and passes the text and the time.
 */
import { createHash } from 'node:crypto';
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { formatRfc3339Nano, millisToNanos } from '../cri/time.js';
import { applyPodDefaults } from './pod-defaults.js';
import { validatePod, type FieldPath } from './validate.js';

export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

export type ManifestSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'http'; readonly url: string };

export interface ManifestIssue {
  /** `<file or url>:line:col`, or just the file or URL when no position applies. */
  readonly where: string;
  /** The problem, without the location. */
  readonly detail: string;
  /** `where: detail`. */
  readonly message: string;
}

export type StaticPodResult = { readonly ok: true; readonly pods: Pod[] } | { readonly ok: false; readonly issues: ManifestIssue[] };

export interface ManifestInput {
  readonly text: string;
  readonly source: ManifestSource;
  readonly nodeName: string;
  /** Epoch ms; becomes `kubernetes.io/config.seen`. Pass the first-seen time for known pods. */
  readonly now: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * JSON with object keys sorted and null/undefined members dropped, so that two manifests with
 * the same content in a different order or layout serialize identically.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (isObj(value)) {
    const members = Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined && value[k] !== null)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The UID of a static pod whose manifest sets none (see the module comment). */
export function staticPodUID(pod: Pod, source: ManifestSource, nodeName: string): string {
  const hash = createHash('md5');
  if (source.kind === 'file') {
    hash.update(`host:${nodeName}`);
    hash.update(`file:${source.path}`);
  } else {
    hash.update(`url:${source.url}`);
  }
  hash.update(canonicalJson(pod));
  return hash.digest('hex');
}

/** Adds `toleration`, replacing one with the same key/operator/value/effect (upstream AddOrUpdateTolerationInPod). */
function addOrUpdateToleration(list: Toleration[], toleration: Toleration): Toleration[] {
  const same = (a: Toleration): boolean =>
    (a.key ?? '') === (toleration.key ?? '') && (a.operator ?? '') === (toleration.operator ?? '') && (a.value ?? '') === (toleration.value ?? '') && (a.effect ?? '') === (toleration.effect ?? '');
  const i = list.findIndex(same);
  if (i < 0) return [...list, toleration];
  const copy = [...list];
  copy[i] = toleration;
  return copy;
}

/** Applies the kubelet's static-pod fields to a defaulted pod (after the UID is known). */
function kubeletFields(pod: Pod, uid: string, input: ManifestInput): Pod {
  // kubernetes-types marks server-set fields (uid, status) readonly; this is where we set them.
  const out = structuredClone(pod) as { -readonly [K in keyof Pod]: Pod[K] };
  const meta = (out.metadata ??= {}) as { -readonly [K in keyof NonNullable<Pod['metadata']>]: NonNullable<Pod['metadata']>[K] };
  if (typeof meta.name === 'string' && meta.name !== '') meta.name = `${meta.name}-${input.nodeName.toLowerCase()}`;
  if (!meta.namespace) meta.namespace = 'default';
  meta.uid = uid;
  const spec = (out.spec ??= { containers: [] });
  spec.nodeName = input.nodeName;
  meta.annotations = {
    ...(meta.annotations ?? {}),
    [CONFIG_HASH_ANNOTATION]: uid,
    [CONFIG_SOURCE_ANNOTATION]: input.source.kind,
    [CONFIG_SEEN_ANNOTATION]: formatRfc3339Nano(millisToNanos(input.now)),
  };
  if (input.source.kind === 'file') {
    const existing = Array.isArray(spec.tolerations) ? spec.tolerations : [];
    spec.tolerations = addOrUpdateToleration(existing, { operator: 'Exists', effect: 'NoExecute' });
  }
  out.status = { ...(isObj(out.status) ? out.status : {}), phase: 'Pending' };
  return out;
}

function nodeAt(doc: Document, path: FieldPath): unknown {
  let node: unknown = doc.contents;
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) next = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))?.value;
    else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
    if (next === undefined || next === null) return node;
    node = next;
  }
  return node;
}

/** Parses a manifest into the static pods to run, or the problems that reject it. */
export function staticPodFromManifest(input: ManifestInput): StaticPodResult {
  const where = input.source.kind === 'file' ? input.source.path : input.source.url;
  const lineCounter = new LineCounter();
  const issues: ManifestIssue[] = [];
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return where;
    const { line, col } = lineCounter.linePos(offset);
    return `${where}:${line}:${col}`;
  };
  const issue = (offset: number | undefined, detail: string): void => {
    const w = at(offset);
    issues.push({ where: w, detail, message: `${w}: ${detail}` });
  };
  const fail = (): StaticPodResult => ({ ok: false, issues });

  const parsed = parseAllDocuments(input.text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed.filter((d) => d.contents !== null || d.errors.length > 0) : [];
  for (const d of docs) for (const e of d.errors) issue(e.pos[0], `cannot parse as YAML or JSON: ${e.message.split('\n')[0] ?? ''}`);
  if (issues.length > 0) return fail();
  const doc = docs[0];
  if (doc === undefined) {
    issue(undefined, 'the manifest is empty: expected one v1 Pod');
    return fail();
  }
  if (docs.length > 1) {
    issue((docs[1]?.contents as YamlNode | undefined)?.range?.[0], `a manifest must hold exactly one v1 Pod, found ${docs.length} documents`);
    return fail();
  }
  const offsetOf = (path: FieldPath): number | undefined => (nodeAt(doc, path) as YamlNode | undefined)?.range?.[0];
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isObj(value)) {
    issue(offsetOf([]), 'expected a v1 Pod object');
    return fail();
  }
  const allowList = input.source.kind === 'http';
  const expected = allowList ? 'Pod or PodList' : 'Pod';
  const kind = JSON.stringify(value.kind);
  const apiVersion = JSON.stringify(value.apiVersion);
  if (value.kind === undefined) issue(offsetOf([]), `kind: Required value: expected "${expected}"`);
  else if (value.kind !== 'Pod' && !(allowList && value.kind === 'PodList')) issue(offsetOf(['kind']), `kind ${kind} is not supported: expected "${expected}"`);
  if (value.apiVersion === undefined) issue(offsetOf([]), 'apiVersion: Required value: expected "v1"');
  else if (value.apiVersion !== 'v1') issue(offsetOf(['apiVersion']), `apiVersion ${apiVersion} is not supported: expected "v1"`);
  if (issues.length > 0) return fail();

  let raws: { raw: Obj; base: FieldPath }[];
  if (value.kind === 'PodList') {
    const items: unknown = value.items ?? [];
    if (!Array.isArray(items) || !items.every(isObj)) {
      issue(offsetOf(['items']), 'items: Invalid value: must be a list of pods');
      return fail();
    }
    raws = items.map((raw, i) => ({ raw, base: ['items', i] }));
  } else {
    raws = [{ raw: value, base: [] }];
  }

  const pods: Pod[] = [];
  for (const { raw, base } of raws) {
    const defaulted = applyPodDefaults(raw);
    const given = defaulted.metadata?.uid;
    const uid = typeof given === 'string' && given !== '' ? given : staticPodUID(defaulted, input.source, input.nodeName);
    const pod = kubeletFields(defaulted, uid, input);
    for (const problem of validatePod(pod)) {
      // The offset of the field, or of its nearest ancestor present in the text.
      issue(offsetOf([...base, ...problem.path]), problem.message);
    }
    pods.push(pod);
  }
  return issues.length > 0 ? fail() : { ok: true, pods };
}

/** `<name>_<namespace>`, the kubelet's "pod full name" (logs, symlinks). */
export function podFullName(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}`;
}

/** True for pods that came from a file or http source (not the API server). */
export function isStaticPod(pod: Pod): boolean {
  const source = pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION];
  return source !== undefined && source !== 'api';
}
