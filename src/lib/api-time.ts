/**
 * Timestamps in the forms the Kubernetes API accepts. Pure.
 *
 * - `rfc3339(ms)`: `metav1.Time`, whole seconds in UTC (`2024-05-01T10:00:00Z`). The API
 *   server keeps only seconds, so sending more would make a value we compare later differ
 *   from what the server stored.
 * - `microTime(ms)`: `metav1.MicroTime`, exactly six fractional digits
 *   (`2024-05-01T10:00:00.123000Z`), as Lease `renewTime` and Event `eventTime` need.
 */

/** `metav1.Time`: RFC 3339 with whole seconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `metav1.MicroTime`: RFC 3339 with six fractional digits, UTC (milliseconds padded). */
export function microTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
