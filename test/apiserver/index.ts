/**
 * The strict test API server, in-process: `startTestApiServer({ dataDir, port: 0 })`.
 * `reflect-metadata` must load before @peculiar/x509 (its tsyringe container), hence first.
 */
import 'reflect-metadata';

export { startTestApiServer } from './server.js';
export type { TestApiServer, TestApiServerOptions } from './server.js';
export type { Faults, FailRule, RequestMatch, Counts, CountEntry, CountFilter } from './faults.js';
export type { Rule as AuthzRule } from './authz.js';
export type { KeyPairPem } from './pki.js';
