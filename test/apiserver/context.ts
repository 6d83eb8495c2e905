/** Who is asking, and what a resource strategy may use while preparing an object. */

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
  /** How the user authenticated: 'x509' | 'token' | 'serviceaccount'. */
  readonly via?: string;
}

export interface StrategyContext {
  readonly now: number;
  readonly user: UserInfo;
  /** Next free ClusterIP for a Service. */
  allocateClusterIP(): string;
}
