/**
 * Loads api.proto (next to this module, in src/ and in dist/) once per process and prepares,
 * for each CRI method, its gRPC path and the (de)serializers that also apply the conversions
 * of wire.ts.
 */
import { fileURLToPath } from 'node:url';
import { load } from '@grpc/proto-loader';
import type { Options, PackageDefinition } from '@grpc/proto-loader';
import { IMAGE_METHODS, serviceOf } from './methods.js';
import type { CriMethodName } from './methods.js';
import { buildWirePlan, fromWire, toWire } from './wire.js';
import type { WirePlan } from './wire.js';

export const CRI_PACKAGE = 'runtime.v1';
export const PROTO_PATH = fileURLToPath(new URL('./api.proto', import.meta.url));

/**
 * camelCase field names; 64-bit integers as decimal strings (converted to bigint by wire.ts);
 * enums as their names; zero values filled in for absent scalars, lists and maps.
 */
export const LOAD_OPTIONS: Options = { keepCase: false, longs: String, enums: String, defaults: true };

/** One CRI method ready for `Client.makeUnaryRequest`. */
export interface MethodBinding {
  readonly path: string;
  readonly serialize: (request: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
}

export interface LoadedCri {
  readonly definition: PackageDefinition;
  readonly plan: WirePlan;
  readonly methods: ReadonlyMap<CriMethodName, MethodBinding>;
}

interface RawMethod {
  path: string;
  requestSerialize: (value: object) => Buffer;
  responseDeserialize: (bytes: Buffer) => object;
  responseType: { type: { name: string } };
}

function isRawMethod(v: unknown): v is RawMethod {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Partial<RawMethod>;
  return typeof m.path === 'string' && typeof m.requestSerialize === 'function' && typeof m.responseDeserialize === 'function';
}

const RUNTIME_METHODS: readonly CriMethodName[] = [
  'Version', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox',
  'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus',
  'UpdateContainerResources', 'ReopenContainerLog', 'ExecSync', 'Exec', 'Attach', 'PortForward',
  'ContainerStats', 'ListContainerStats', 'PodSandboxStats', 'ListPodSandboxStats', 'UpdateRuntimeConfig',
  'Status', 'RuntimeConfig',
];

/** Every method the client binds, in proto order. */
export const ALL_METHODS: readonly CriMethodName[] = [...RUNTIME_METHODS, ...IMAGE_METHODS];

/** Binds the methods of an already loaded package definition (pure; used by tests too). */
export function bindDefinition(definition: PackageDefinition): LoadedCri {
  const plan = buildWirePlan(definition, CRI_PACKAGE);
  const methods = new Map<CriMethodName, MethodBinding>();
  for (const name of ALL_METHODS) {
    const service: unknown = definition[`${CRI_PACKAGE}.${serviceOf(name)}`];
    const raw: unknown = typeof service === 'object' && service !== null ? (service as Record<string, unknown>)[name] : undefined;
    if (!isRawMethod(raw)) throw new Error(`api.proto: ${serviceOf(name)}.${name} is missing`);
    const responseType = `${CRI_PACKAGE}.${raw.responseType.type.name}`;
    methods.set(name, {
      path: raw.path,
      serialize: (request) => raw.requestSerialize(toWire(request) as object),
      deserialize: (bytes) => fromWire(plan, responseType, raw.responseDeserialize(bytes)),
    });
  }
  return { definition, plan, methods };
}

let loading: Promise<LoadedCri> | undefined;

/** Loads and binds api.proto; the file is read once per process. */
export function loadCri(): Promise<LoadedCri> {
  if (loading === undefined) {
    const p = load(PROTO_PATH, LOAD_OPTIONS).then(bindDefinition);
    loading = p;
    // A failed load is not kept, so that a later call can try again.
    p.catch(() => {
      if (loading === p) loading = undefined;
    });
  }
  return loading;
}
