/**
 * Which ConfigMaps and Secrets a pod reads, for the object manager's reference counting (the
 * Go kubelet's `getConfigMapNames` / `getSecretNames`, limited to the volume kinds kubelet-ts
 * implements). Pure.
 *
 * - ConfigMaps: `configMap` volumes, `configMap` projections, and `configMapKeyRef` /
 *   `envFrom.configMapRef` of every container (init, regular, ephemeral).
 * - Secrets: the same for secrets, plus `spec.imagePullSecrets`.
 *
 * Names are deduplicated; empty names (which API validation lets through in
 * imagePullSecrets) are left out.
 */
import type { Container, EphemeralContainer, Pod } from 'kubernetes-types/core/v1.js';

export interface PodReferences {
  readonly configMaps: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
}

/** Every container of the pod: init, regular and ephemeral (they all carry env). */
export function allContainers(pod: Pod): (Container | EphemeralContainer)[] {
  const spec = pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
}

/** The ConfigMaps and Secrets the containers' environment reads (env and envFrom). */
export function envReferenceNames(pod: Pod): PodReferences {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const add = (set: Set<string>, name: string | undefined): void => {
    if (name) set.add(name);
  };
  for (const c of allContainers(pod)) {
    for (const from of c.envFrom ?? []) {
      add(configMaps, from.configMapRef?.name);
      add(secrets, from.secretRef?.name);
    }
    for (const e of c.env ?? []) {
      add(configMaps, e.valueFrom?.configMapKeyRef?.name);
      add(secrets, e.valueFrom?.secretKeyRef?.name);
    }
  }
  return { configMaps, secrets };
}

/** Everything the pod reads: volumes, projections, env and image pull secrets. */
export function podReferences(pod: Pod): PodReferences {
  const env = envReferenceNames(pod);
  const configMaps = new Set(env.configMaps);
  const secrets = new Set(env.secrets);
  const add = (set: Set<string>, name: string | undefined): void => {
    if (name) set.add(name);
  };
  for (const ref of pod.spec?.imagePullSecrets ?? []) add(secrets, ref.name);
  for (const v of pod.spec?.volumes ?? []) {
    add(configMaps, v.configMap?.name);
    add(secrets, v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add(configMaps, s.configMap?.name);
      add(secrets, s.secret?.name);
    }
  }
  return { configMaps, secrets };
}

/** The pod's identity for registration: namespace, name and UID (as upstream's key). */
export function podKey(pod: Pod): string {
  const m = pod.metadata;
  return `${m?.namespace ?? ''}/${m?.name ?? ''}/${m?.uid ?? ''}`;
}
