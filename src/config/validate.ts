/**
 * Checks across fields, run on the merged and defaulted document. Every problem names the
 * fields, their flags, where the values came from, and how to fix it; all are collected.
 */
import { isIP } from 'node:net';
import type { ConfigIssue } from '../lib/errors.js';
import { parseDuration } from '../lib/duration.js';
import { getPath, isPlainObject, type JsonObject } from './merge.js';
import { isQuantity, isQuantityOrPercent, parseQuantity } from './quantity.js';
import type { FieldSpec } from './spec.js';

export interface ValidationContext {
  readonly specs: ReadonlyMap<string, FieldSpec>;
  /** Field path -> where its value came from (`file:line:col` or `flag --x`); absent = default. */
  readonly origins: ReadonlyMap<string, string>;
  /** Whether a kubeconfig (or bootstrap kubeconfig) was given: the kubelet has an API client. */
  readonly hasApiClient: boolean;
}

export const EVICTION_SIGNALS = [
  'memory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'containerfs.available',
  'containerfs.inodesFree',
  'pid.available',
  'allocatableMemory.available',
];

const RESERVABLE = /^(cpu|memory|ephemeral-storage|pid|hugepages-.+)$/;

type Check = (doc: JsonObject, ctx: ValidationContext, report: (paths: string[], message: string) => void) => void;

function label(ctx: ValidationContext, path: string): string {
  const flag = ctx.specs.get(path)?.flag;
  return flag ? `${path} (--${flag})` : path;
}

const checks: Check[] = [
  (doc, ctx, report) => {
    const high = getPath(doc, 'imageGCHighThresholdPercent');
    const low = getPath(doc, 'imageGCLowThresholdPercent');
    if (typeof high === 'number' && typeof low === 'number' && high <= low) {
      report(
        ['imageGCHighThresholdPercent', 'imageGCLowThresholdPercent'],
        `${label(ctx, 'imageGCHighThresholdPercent')} is ${high} but must be above ${label(ctx, 'imageGCLowThresholdPercent')}, which is ${low}: raise the high threshold or lower the low one`,
      );
    }
  },
  (doc, ctx, report) => {
    if (getPath(doc, 'enableServer') === false || ctx.hasApiClient) return;
    const fix = 'give --kubeconfig (or --bootstrap-kubeconfig) so the kubelet can reach the API server, or set enableServer: false for a standalone node';
    if (getPath(doc, 'authentication.webhook.enabled') === true) {
      report(['authentication.webhook.enabled'], `${label(ctx, 'authentication.webhook.enabled')} is on, but webhook token authentication needs an API server and no kubeconfig was given: ${fix}`);
    }
    if (getPath(doc, 'authorization.mode') === 'Webhook') {
      report(['authorization.mode'], `${label(ctx, 'authorization.mode')} is Webhook, but webhook authorization needs an API server and no kubeconfig was given: ${fix}`);
    }
  },
  (doc, ctx, report) => {
    if (getPath(doc, 'enableServer') === false) return;
    const webhook = getPath(doc, 'authentication.webhook.enabled') === true;
    const ca = getPath(doc, 'authentication.x509.clientCAFile');
    const anonymous = getPath(doc, 'authentication.anonymous.enabled') === true;
    if (!webhook && !ca && !anonymous) {
      report(
        ['authentication.webhook.enabled', 'authentication.x509.clientCAFile'],
        `no authentication method is configured for the kubelet API: set ${label(ctx, 'authentication.x509.clientCAFile')} and/or enable ${label(ctx, 'authentication.webhook.enabled')}`,
      );
    }
  },
  (doc, ctx, report) => {
    const cert = getPath(doc, 'tlsCertFile');
    const key = getPath(doc, 'tlsPrivateKeyFile');
    if (Boolean(cert) !== Boolean(key)) {
      report(['tlsCertFile', 'tlsPrivateKeyFile'], `${label(ctx, 'tlsCertFile')} and ${label(ctx, 'tlsPrivateKeyFile')} go together: set both, or neither to use a self-signed certificate in --cert-dir`);
    }
  },
  (doc, ctx, report) => {
    const parallel = getPath(doc, 'maxParallelImagePulls');
    if (getPath(doc, 'serializeImagePulls') === true && typeof parallel === 'number' && parallel > 1) {
      report(['maxParallelImagePulls', 'serializeImagePulls'], `${label(ctx, 'maxParallelImagePulls')} is ${parallel} but ${label(ctx, 'serializeImagePulls')} is true: set serializeImagePulls: false to pull in parallel, or maxParallelImagePulls: 1`);
    }
  },
  (doc, ctx, report) => {
    for (const field of ['evictionHard', 'evictionSoft', 'evictionMinimumReclaim']) {
      const map = getPath(doc, field);
      if (!isPlainObject(map)) continue;
      for (const [signal, value] of Object.entries(map)) {
        if (!EVICTION_SIGNALS.includes(signal)) {
          report([field], `${label(ctx, field)} names the unknown signal "${signal}": use one of ${EVICTION_SIGNALS.join(', ')}`);
        } else if (typeof value !== 'string' || !isQuantityOrPercent(value)) {
          report([field], `${label(ctx, field)}["${signal}"] is ${JSON.stringify(value)}: write a quantity such as "100Mi" or a percentage such as "10%"`);
        }
      }
    }
    const soft = getPath(doc, 'evictionSoft');
    const grace = getPath(doc, 'evictionSoftGracePeriod');
    const graceMap = isPlainObject(grace) ? grace : {};
    if (isPlainObject(soft)) {
      for (const signal of Object.keys(soft)) {
        if (!(signal in graceMap)) {
          report(['evictionSoft', 'evictionSoftGracePeriod'], `${label(ctx, 'evictionSoft')} sets "${signal}" without a grace period: add "${signal}" to ${label(ctx, 'evictionSoftGracePeriod')}, e.g. "1m30s"`);
        }
      }
    }
    for (const [signal, value] of Object.entries(graceMap)) {
      if (typeof value !== 'string' || parseDuration(value) === undefined || (parseDuration(value) ?? 0) < 0) {
        report(['evictionSoftGracePeriod'], `${label(ctx, 'evictionSoftGracePeriod')}["${signal}"] is ${JSON.stringify(value)}: write a duration such as "1m30s"`);
      }
    }
  },
  (doc, ctx, report) => {
    for (const field of ['kubeReserved', 'systemReserved']) {
      const map = getPath(doc, field);
      if (!isPlainObject(map)) continue;
      for (const [resource, value] of Object.entries(map)) {
        if (!RESERVABLE.test(resource)) report([field], `${label(ctx, field)} names "${resource}": reserve cpu, memory, ephemeral-storage, pid or hugepages-<size>`);
        else if (typeof value !== 'string' || !isQuantity(value)) report([field], `${label(ctx, field)}["${resource}"] is ${JSON.stringify(value)}: write a quantity such as "100m" or "1Gi"`);
      }
    }
  },
  (doc, ctx, report) => {
    for (const field of ['address', 'healthzBindAddress']) {
      const value = getPath(doc, field);
      if (typeof value === 'string' && value !== '' && isIP(value) === 0) {
        report([field], `${label(ctx, field)} is "${value}", which is not an IP address: write one such as "0.0.0.0" or "127.0.0.1"`);
      }
    }
  },
  (doc, ctx, report) => {
    for (const field of ['containerRuntimeEndpoint', 'imageServiceEndpoint']) {
      const value = getPath(doc, field);
      if (typeof value !== 'string' || value === 'host') continue;
      if (!/^unix:\/\/\/.+/.test(value)) {
        report([field], `${label(ctx, field)} is "${value}": write a unix socket as unix:///absolute/path.sock, or "host" for the built-in host runtime`);
      }
    }
  },
  (doc, ctx, report) => {
    const size = getPath(doc, 'containerLogMaxSize');
    const bytes = typeof size === 'string' ? parseQuantity(size) : undefined;
    if (bytes !== undefined && !Number.isInteger(bytes)) {
      report(['containerLogMaxSize'], `${label(ctx, 'containerLogMaxSize')} is "${String(size)}", which is not a whole number of bytes: write it like "10Mi" or "50M"`);
    }
  },
  (doc, ctx, report) => {
    const list = getPath(doc, 'enforceNodeAllocatable');
    if (Array.isArray(list) && list.includes('none') && list.length > 1) {
      report(['enforceNodeAllocatable'], `${label(ctx, 'enforceNodeAllocatable')} lists "none" with other values: use "none" alone or drop it`);
    }
    if (getPath(doc, 'cgroupsPerQOS') === false && Array.isArray(list) && list.includes('pods')) {
      report(['enforceNodeAllocatable', 'cgroupsPerQOS'], `${label(ctx, 'enforceNodeAllocatable')} includes "pods", which needs ${label(ctx, 'cgroupsPerQOS')} true: turn cgroupsPerQOS on or remove "pods"`);
    }
  },
  (doc, ctx, report) => {
    const ms = (path: string): number => {
      const v = getPath(doc, path);
      return typeof v === 'string' ? (parseDuration(v) ?? 0) : 0;
    };
    const total = ms('shutdownGracePeriod');
    const critical = ms('shutdownGracePeriodCriticalPods');
    if (critical > total) {
      report(['shutdownGracePeriodCriticalPods', 'shutdownGracePeriod'], `${label(ctx, 'shutdownGracePeriodCriticalPods')} must not exceed ${label(ctx, 'shutdownGracePeriod')}: it is the part of the shutdown grace period kept for critical pods`);
    }
  },
];

/** Runs every cross-field check; problems carry the origin of the first field that has one. */
export function validateDocument(doc: JsonObject, ctx: ValidationContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const check of checks) {
    check(doc, ctx, (paths, message) => {
      const where = paths.map((p) => ctx.origins.get(p)).find((o) => o !== undefined) ?? '';
      issues.push({ where, message });
    });
  }
  return issues;
}
