/**
 * The ImageService of a runtime without images. Image names are accepted and reported, never
 * fetched: every name is "present" (so any pull policy works, including Never), its id and
 * reference are `hostruntime://<name>`, its size 0. PullImage only remembers the name for
 * ListImages; RemoveImage forgets it. ImageFsInfo reports the state directory's filesystem
 * with 0 bytes used: the runtime stores no image data, so image garbage collection has
 * nothing to reclaim.
 */
import { millisToNanos } from '../cri/time.js';
import type { Image, ImageFsInfoResponse, ImageStatusRequest, ImageStatusResponse, ListImagesRequest, ListImagesResponse, PullImageRequest, PullImageResponse, RemoveImageRequest } from '../cri/types-image.js';
import type { Empty } from '../cri/types-sandbox.js';
import type { RuntimeCore } from './core.js';
import { invalidArgument } from './errors.js';
import { IMAGE_REF_SCHEME, imageRefOf } from './records.js';

/** The name behind an image id or name: `hostruntime://busybox` and `busybox` are the same image. */
export function imageName(ref: string): string {
  return ref.startsWith(IMAGE_REF_SCHEME) ? ref.slice(IMAGE_REF_SCHEME.length) : ref;
}

export function imageOf(name: string): Image {
  const ref = imageRefOf(name);
  return {
    id: ref,
    repoTags: [name],
    repoDigests: [],
    size: 0n,
    username: '',
    spec: { image: ref, annotations: {}, userSpecifiedImage: name, runtimeHandler: '', imageRef: ref },
    pinned: false,
  };
}

export class ImageCatalog {
  readonly #core: RuntimeCore;
  /** Names pulled since this runtime process started. */
  readonly #pulled = new Set<string>();

  constructor(core: RuntimeCore) {
    this.#core = core;
  }

  listImages(req: ListImagesRequest): ListImagesResponse {
    const names = new Set(this.#pulled);
    for (const c of this.#core.containers.values()) if (c.image !== '') names.add(c.image);
    const wanted = req.filter?.image?.image;
    const list = [...names].sort().filter((n) => !wanted || n === imageName(wanted));
    return { images: list.map(imageOf) };
  }

  imageStatus(req: ImageStatusRequest): ImageStatusResponse {
    const name = imageName(req.image?.image ?? '');
    return { ...(name !== '' ? { image: imageOf(name) } : {}), info: {} };
  }

  pullImage(req: PullImageRequest): PullImageResponse {
    const name = imageName(req.image?.image ?? '');
    if (name === '') throw invalidArgument('image.image is required');
    this.#pulled.add(name);
    return { imageRef: imageRefOf(name) };
  }

  removeImage(req: RemoveImageRequest): Empty {
    this.#pulled.delete(imageName(req.image?.image ?? ''));
    return {};
  }

  imageFsInfo(): ImageFsInfoResponse {
    const timestamp = millisToNanos(this.#core.deps.clock.now());
    return {
      imageFilesystems: [{ timestamp, fsId: { mountpoint: this.#core.deps.stateDir }, usedBytes: { value: 0n }, inodesUsed: { value: 0n } }],
      containerFilesystems: [],
    };
  }
}
