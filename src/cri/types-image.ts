/** CRI image messages (conventions in types-common.ts). */
import type { ImageSpec, Int64Value, StringMap } from './types-common.js';
import type { PodSandboxConfig } from './types-sandbox.js';

export interface Image {
  /** The image id; the same value as `PullImageResponse.imageRef` and `Container.imageId`. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: bigint;
  uid?: Int64Value;
  username: string;
  spec?: ImageSpec;
  /** The runtime asks that garbage collection leaves this image alone. */
  pinned: boolean;
}

export interface ListImagesRequest {
  filter?: { image?: ImageSpec };
}

export interface ListImagesResponse {
  images: Image[];
}

export interface ImageStatusRequest {
  image?: ImageSpec;
  verbose: boolean;
}

export interface ImageStatusResponse {
  /** `undefined` when the image is not on the node (not an error). */
  image?: Image;
  info: StringMap;
}

/** Registry credentials. Secret fields: never log this object. */
export interface AuthConfig {
  username: string;
  password: string;
  auth: string;
  serverAddress: string;
  identityToken: string;
  registryToken: string;
}

export interface PullImageRequest {
  image?: ImageSpec;
  auth?: AuthConfig;
  sandboxConfig?: PodSandboxConfig;
}

export interface PullImageResponse {
  imageRef: string;
}

export interface RemoveImageRequest {
  image?: ImageSpec;
}

export interface FilesystemUsage {
  /** Nanoseconds since the epoch. */
  timestamp: bigint;
  fsId?: { mountpoint: string };
  usedBytes?: { value: bigint };
  inodesUsed?: { value: bigint };
}

export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}
