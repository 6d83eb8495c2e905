import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/clock.js';
import { createKubeletMetrics, createProbeMetricsRegistry } from '../../metrics/kubelet.js';
import { metricsRoutes } from './metrics.js';
import { serveRoutes } from './testing.js';

test('/metrics and /metrics/probes serve the Prometheus text format, subresource metrics, read-only', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const m = createKubeletMetrics({ clock, nodeName: 'node-a', runningPods: () => 3, containerStates: () => ({ running: 4, exited: 1 }) });
  m.podStartDuration.observe(1.5);
  const routes = metricsRoutes({ registry: m.registry, probes: createProbeMetricsRegistry(clock) });
  assert.deepEqual(routes.map((r) => [r.path, r.subresources, r.readOnly]), [
    ['/metrics', ['metrics'], true],
    ['/metrics/probes', ['metrics'], true],
  ]);
  const srv = await serveRoutes(routes);
  try {
    const r = await fetch(`${srv.url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await r.text();
    assert.match(text, /^kubelet_node_name\{node="node-a"\} 1$/m);
    assert.match(text, /^kubelet_running_pods 3$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="exited"\} 1$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="running"\} 4$/m);
    assert.match(text, /^kubelet_pod_start_duration_seconds_bucket\{le="2"\} 1$/m);
    assert.match(text, /^kubelet_pod_start_duration_seconds_count 1$/m);
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
    const p = await (await fetch(`${srv.url}/metrics/probes`)).text();
    assert.match(p, /^process_start_time_seconds \d+$/m);
    assert.doesNotMatch(p, /kubelet_/);
  } finally {
    await srv.close();
  }
});
