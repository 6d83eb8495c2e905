/**
 * Test doubles for the node subsystem: an in-memory API (`FakeApi`, the part of RestClient the
 * node agent uses: get/create/update/patch of nodes and leases), a fixed host and runtime.
 * Records every call; `failNext` injects errors. Used by the unit tests only.
 */
import { ApiStatusError, type RestClient } from '../api/index.js';
import type { ResourceDescriptor } from '../api/index.js';
import { applyDefaults } from '../config/defaults.js';
import { FIELD_SPECS } from '../config/fields.js';
import type { KubeletConfig } from '../config/kubelet-config.js';
import type { JsonObject } from '../config/merge.js';
import { resolveConfig } from '../config/resolve.js';
import type { HostProbe } from './host.js';
import type { MachineFacts } from './resources.js';

type Obj = { metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown }; [k: string]: unknown };

export interface Call {
  readonly verb: 'get' | 'create' | 'update' | 'patch';
  readonly resource: string;
  readonly name: string;
  readonly subresource?: string;
  readonly body?: unknown;
}

function status(code: number, reason: string, request: string): ApiStatusError {
  return new ApiStatusError({ status: code, request, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message: `${reason} (fake)`, code } });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON merge patch, plus the strategic directives the node agent sends (lists merged by `type`). */
export function applyPatch(target: unknown, patch: unknown, strategic: boolean): unknown {
  if (!isMap(patch)) return patch;
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else if (strategic && Array.isArray(v)) out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v);
    else out[k] = isMap(v) ? applyPatch(out[k], v, strategic) : v;
  }
  return out;
}

function mergeList(orig: unknown[], patch: unknown[]): unknown[] {
  if (patch.some((e) => isMap(e) && e.$patch === 'replace')) return patch.filter((e) => !(isMap(e) && e.$patch === 'replace'));
  if (!patch.every((e) => isMap(e) && 'type' in e)) return patch;
  const out = [...orig];
  for (const el of patch as Record<string, unknown>[]) {
    const i = out.findIndex((o) => isMap(o) && o.type === el.type);
    if (el.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = applyPatch(out[i], el, true);
    else out.push(el);
  }
  return out;
}

export class FakeApi {
  readonly objects = new Map<string, Obj>();
  readonly calls: Call[] = [];
  #rv = 100;
  #uid = 0;
  #failures: { match: (c: Call) => boolean; error: () => Error; left: number }[] = [];

  /** The next `count` calls matching `match` fail with `code` (default 500). */
  failNext(match: Partial<Pick<Call, 'verb' | 'resource' | 'subresource'>>, count = 1, code = 500, reason = 'InternalError'): void {
    const m = (c: Call): boolean => (match.verb === undefined || match.verb === c.verb) && (match.resource === undefined || match.resource === c.resource) && (match.subresource === undefined || match.subresource === c.subresource);
    this.#failures.push({ match: m, error: () => status(code, reason, 'fake'), left: count });
  }

  count(verb?: Call['verb'], resource?: string, subresource?: string): number {
    return this.calls.filter((c) => (verb === undefined || c.verb === verb) && (resource === undefined || c.resource === resource) && (subresource === undefined || c.subresource === subresource)).length;
  }

  get<T>(resource: string, name: string): T | undefined {
    return this.objects.get(`${resource}/${name}`) as T | undefined;
  }

  put(resource: string, obj: Obj): void {
    this.objects.set(`${resource}/${obj.metadata?.name ?? ''}`, structuredClone(obj));
  }

  #check(c: Call): void {
    this.calls.push(c);
    const f = this.#failures.find((x) => x.left > 0 && x.match(c));
    if (f) {
      f.left--;
      throw f.error();
    }
  }

  #store(resource: string, obj: Obj): Obj {
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.#rv) };
    this.objects.set(`${resource}/${stored.metadata.name ?? ''}`, stored);
    return structuredClone(stored);
  }

  /** The RestClient face. Only get/create/update/patch work; the rest throw. */
  client(): RestClient {
    const fail = (): never => {
      throw new Error('FakeApi: not implemented');
    };
    const res = (r: ResourceDescriptor<unknown>): string => r.resource;
    return {
      server: 'https://fake',
      request: fail,
      stream: fail,
      list: fail,
      delete: fail,
      reloadCredentials: () => Promise.resolve(),
      close: () => undefined,
      get: <T>(r: ResourceDescriptor<T>, name: string): Promise<T> => {
        this.#check({ verb: 'get', resource: res(r), name });
        const o = this.objects.get(`${res(r)}/${name}`);
        if (!o) return Promise.reject(status(404, 'NotFound', 'get'));
        return Promise.resolve(structuredClone(o) as T);
      },
      create: <T>(r: ResourceDescriptor<T>, obj: T): Promise<T> => {
        const o = obj as Obj;
        const name = o.metadata?.name ?? '';
        this.#check({ verb: 'create', resource: res(r), name, body: structuredClone(obj) });
        if (this.objects.has(`${res(r)}/${name}`)) return Promise.reject(status(409, 'AlreadyExists', 'create'));
        return Promise.resolve(this.#store(res(r), { ...o, metadata: { ...o.metadata, uid: `uid-${++this.#uid}` } }) as T);
      },
      update: <T>(r: ResourceDescriptor<T>, obj: T): Promise<T> => {
        const o = obj as Obj;
        const name = o.metadata?.name ?? '';
        this.#check({ verb: 'update', resource: res(r), name, body: structuredClone(obj) });
        const old = this.objects.get(`${res(r)}/${name}`);
        if (!old) return Promise.reject(status(404, 'NotFound', 'update'));
        const rv = o.metadata?.resourceVersion;
        if (rv && rv !== old.metadata?.resourceVersion) return Promise.reject(status(409, 'Conflict', 'update'));
        return Promise.resolve(this.#store(res(r), { ...o, metadata: { ...o.metadata, uid: old.metadata?.uid } }) as T);
      },
      patch: <T>(r: ResourceDescriptor<T>, name: string, patch: unknown, options: { contentType: string; subresource?: string }): Promise<T> => {
        this.#check({ verb: 'patch', resource: res(r), name, ...(options.subresource ? { subresource: options.subresource } : {}), body: structuredClone(patch) });
        const old = this.objects.get(`${res(r)}/${name}`);
        if (!old) return Promise.reject(status(404, 'NotFound', 'patch'));
        let next = applyPatch(old, patch, options.contentType.startsWith('strategic')) as Obj;
        if (options.subresource === 'status') next = { ...old, status: next.status };
        else next = { ...next, status: old.status };
        return Promise.resolve(this.#store(res(r), next) as T);
      },
    } as RestClient;
  }
}

export const MACHINE: MachineFacts = {
  cpuCount: 4,
  memoryBytes: 8 * 2 ** 30,
  hugePages: [{ pageSizeBytes: 2 * 2 ** 20, pages: 0 }],
  machineID: 'machine-1',
  systemUUID: 'uuid-1',
  bootID: 'boot-1',
  kernelVersion: '6.1.0-test',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  operatingSystem: 'linux',
  architecture: 'amd64',
};

/** A host with MACHINE, a 100 GiB root filesystem and node IP 10.0.0.5. */
export function fakeHost(overrides: Partial<{ machine: MachineFacts; fsBytes: number | undefined; ips: string[] }> = {}): HostProbe {
  return {
    machine: () => Promise.resolve(overrides.machine ?? MACHINE),
    filesystemBytes: () => Promise.resolve('fsBytes' in overrides ? overrides.fsBytes : 100 * 2 ** 30),
    nodeIPs: () => Promise.resolve({ ips: overrides.ips ?? ['10.0.0.5'], problems: [] }),
  };
}


/** A resolved configuration: kubelet-ts defaults plus `fields` (file form, e.g. `{nodeStatusUpdateFrequency: '10s'}`). */
export function testConfig(fields: JsonObject = {}): KubeletConfig {
  return resolveConfig(applyDefaults(fields, FIELD_SPECS, 'kubelet-ts'));
}
