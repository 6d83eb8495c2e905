/**
 * What the kubelet reads from the API server for its pods: ConfigMaps and Secrets (volumes,
 * env, image pull secrets) under the three change-detection strategies, service account
 * tokens (TokenRequest), and service-link env. See README.md for the wiring.
 */
export { createObjectResolvers } from './resolvers.js';
export type { ChangeDetectionStrategy, ObjectResolvers, ObjectResolversOptions, ObjectStats } from './resolvers.js';
export { serviceEnv, serviceVariables, linkedServices, hasClusterIP } from './service-env.js';
export { TokenManager, TokenRequestError, requiresRefresh, tokenRequester, tokenKey } from './tokens.js';
export type { IssuedToken, IssueToken, TokenSpec } from './tokens.js';
export { buildKeyring, dockerConfigOf, lookupCredentials, registryMatches, repositoryOf, DockerConfigError } from './docker-config.js';
export type { Keyring, RegistryCredential } from './docker-config.js';
export { podReferences, envReferenceNames } from './references.js';
export { ObjectUnavailableError } from './store-types.js';
export type { Lookup, ObjectStore, StoreStats } from './store-types.js';
