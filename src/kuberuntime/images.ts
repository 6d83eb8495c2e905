/**
 * Making sure a container's image is there before it is created: the pull policy (the Go
 * kubelet's defaulting: `:latest` or no tag means Always), ImageStatus before any pull
 * (containerd pulls even what it has), pulls serialized unless serializeImagePulls is false,
 * and a per-image backoff between failed pulls (ErrImagePull, then ImagePullBackOff).
 *
 * Credentials (imagePullSecrets, cluster mode): when the caller passes a credential source,
 * each credential that matches the image is tried in order and the first successful pull
 * wins; all failing is one error listing each failure. With no matching credential the pull
 * is anonymous. As the Go kubelet, there is no anonymous attempt after matching credentials
 * failed.
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { AuthConfig, ImageService } from '../cri/index.js';
import type { KeyedBackoff } from '../lib/backoff.js';
import { KubeletError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { defaultImagePullPolicy } from '../pods/pod-defaults.js';

/** Why a container cannot start yet, with the waiting reason the status shows. */
export class ImageError extends KubeletError {
  constructor(
    readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName' | 'ImageInspectError',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_IMAGE', message, options);
  }
}

export interface ImageEvents {
  pulling(image: string): void;
  pulled(image: string, alreadyPresent: boolean, ms: number): void;
  failed(image: string, reason: string, message: string): void;
}

/** One registry credential for PullImage (CRI AuthConfig fields; unset ones are sent empty). */
export type PullAuth = Partial<AuthConfig>;

/** What the pod's imagePullSecrets give for one image. */
export interface PullCredentials {
  /** Matching credentials, to try in order; empty = pull anonymously. */
  readonly auths: readonly PullAuth[];
  /** imagePullSecrets that could not be read (missing or unavailable), by name. */
  readonly missingSecrets: readonly string[];
}

/** Credentials for `image`; rejects (e.g. an unreadable docker config) to fail the pull. */
export type PullCredentialSource = (image: string, signal: AbortSignal) => Promise<readonly PullAuth[]>;

function fullAuth(a: PullAuth): AuthConfig {
  return { username: a.username ?? '', password: a.password ?? '', auth: a.auth ?? '', serverAddress: a.serverAddress ?? '', identityToken: a.identityToken ?? '', registryToken: a.registryToken ?? '' };
}

export class ImageManager {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly images: ImageService,
    private readonly backoff: KeyedBackoff,
    private readonly opts: { readonly serialize: boolean; readonly log: Logger; readonly now: () => number },
  ) {}

  /**
   * Resolves with the image reference once the image is present. Rejects with ImageError
   * (waiting reason + message) or the signal's reason.
   */
  async ensure(podUID: string, container: Container, events: ImageEvents, signal: AbortSignal, credentials?: PullCredentialSource): Promise<string> {
    const image = container.image ?? '';
    if (image.trim() === '' || /\s/.test(image)) {
      const msg = `Failed to apply default image tag "${image}": invalid reference format`;
      events.failed(image, 'InvalidImageName', msg);
      throw new ImageError('InvalidImageName', msg);
    }
    const policy = container.imagePullPolicy ?? defaultImagePullPolicy(image);

    if (policy !== 'Always') {
      let present: string | undefined;
      try {
        const status = await this.images.imageStatus({ image: { image } }, { signal });
        present = status.image?.id;
      } catch (err) {
        if (signal.aborted) throw err;
        const msg = `Failed to inspect image "${image}": ${(err as Error).message}`;
        events.failed(image, 'ImageInspectError', msg);
        throw new ImageError('ImageInspectError', msg, { cause: err });
      }
      if (present) {
        events.pulled(image, true, 0);
        return present;
      }
      if (policy === 'Never') {
        const msg = `Container image "${image}" is not present with pull policy of Never`;
        events.failed(image, 'ErrImageNeverPull', msg);
        throw new ImageError('ErrImageNeverPull', msg);
      }
    }

    const key = `${podUID}/${image}`;
    if (this.backoff.isInBackoff(key)) {
      const msg = `Back-off pulling image "${image}"`;
      events.failed(image, 'ImagePullBackOff', msg);
      throw new ImageError('ImagePullBackOff', msg);
    }
    events.pulling(image);
    const started = this.opts.now();
    try {
      const auths = credentials ? await credentials(image, signal) : [];
      const ref = await this.#pull(image, auths, signal);
      this.backoff.reset(key);
      events.pulled(image, false, this.opts.now() - started);
      return ref;
    } catch (err) {
      if (signal.aborted) throw err;
      this.backoff.next(key);
      const msg = `Failed to pull image "${image}": ${(err as Error).message}`;
      events.failed(image, 'ErrImagePull', msg);
      throw new ImageError('ErrImagePull', msg, { cause: err });
    }
  }

  #pull(image: string, auths: readonly PullAuth[], signal: AbortSignal): Promise<string> {
    const run = async (): Promise<string> => {
      if (auths.length === 0) return (await this.images.pullImage({ image: { image } }, { signal })).imageRef;
      const errors: Error[] = [];
      for (const a of auths) {
        try {
          return (await this.images.pullImage({ image: { image }, auth: fullAuth(a) }, { signal })).imageRef;
        } catch (err) {
          if (signal.aborted) throw err;
          errors.push(err instanceof Error ? err : new Error(String(err)));
        }
      }
      // As Go's aggregate error: one failure reads as itself, several as "[a, b]".
      const text = errors.length === 1 ? (errors[0]?.message ?? '') : `[${errors.map((e) => e.message).join(', ')}]`;
      throw new AggregateError(errors, text);
    };
    if (!this.opts.serialize) return run();
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
