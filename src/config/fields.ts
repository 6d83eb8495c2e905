/**
 * Every leaf field of `kubelet.config.k8s.io/v1beta1` KubeletConfiguration (Kubernetes
 * v1.32 to v1.34), one FieldSpec each. Nested structs are flattened into dotted paths;
 * lists of structs and other structured values are `object` kinds with a check function.
 * `kind` and `apiVersion` are handled by the loader and are not listed.
 *
 * The table is split by topic over the fields-*.ts files; this module joins them.
 */
import type { FieldSpec } from './spec.js';
import { SERVER_FIELDS } from './fields-server.js';
import { NODE_FIELDS } from './fields-node.js';
import { POD_FIELDS } from './fields-pods.js';
import { RESOURCE_FIELDS } from './fields-resources.js';
import { LOGGING_FIELDS } from './fields-logging.js';

export {
  CIPHER_SUITE_OPENSSL_NAMES,
  INSECURE_CIPHER_SUITES,
  STRONG_CIPHER_SUITES,
  TLS_CIPHER_SUITES,
  TLS_VERSIONS,
} from './fields-ciphers.js';
export { DEFAULT_EVICTION_HARD, NODE_ALLOCATABLE_ENFORCEMENTS } from './fields-resources.js';

export const FIELD_SPECS: readonly FieldSpec[] = [
  ...SERVER_FIELDS,
  ...NODE_FIELDS,
  ...POD_FIELDS,
  ...RESOURCE_FIELDS,
  ...LOGGING_FIELDS,
];
