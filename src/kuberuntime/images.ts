/**
 * Making sure a container's image is there before it is created: the pull policy (the Go
 * kubelet's defaulting: `:latest` or no tag means Always), ImageStatus before any pull
 * (containerd pulls even what it has), pulls serialized unless serializeImagePulls is false,
 * and a per-image backoff between failed pulls (ErrImagePull, then ImagePullBackOff).
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ImageService } from '../cri/index.js';
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
  async ensure(podUID: string, container: Container, events: ImageEvents, signal: AbortSignal): Promise<string> {
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
      const ref = await this.#pull(image, signal);
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

  #pull(image: string, signal: AbortSignal): Promise<string> {
    const run = async (): Promise<string> => (await this.images.pullImage({ image: { image } }, { signal })).imageRef;
    if (!this.opts.serialize) return run();
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
