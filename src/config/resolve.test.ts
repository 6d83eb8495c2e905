import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfiguration } from './load.js';

test('the resolved config has durations in milliseconds under ...Ms and is frozen', async () => {
  const c = await loadConfiguration({ argv: ['--kubeconfig=/k', '--sync-frequency=90s', '--pod-manifest-path=m'], cwd: '/srv' });
  assert.deepEqual(c.issues, []);
  assert.equal(c.config.syncFrequencyMs, 90_000);
  assert.equal(c.config.nodeStatusReportFrequencyMs, 300_000);
  assert.equal(c.config.authentication.webhook.cacheTTLMs, 120_000);
  assert.equal(c.config.authorization.webhook.cacheUnauthorizedTTLMs, 30_000);
  assert.equal(c.config.staticPodPath, '/srv/m');
  assert.equal(c.config.port, 10250);
  assert.equal(c.config.authentication.anonymous.enabled, false);
  assert.equal(c.config.authentication.x509.clientCAFile, undefined);
  assert.ok(Object.isFrozen(c.config.authentication.webhook));
  assert.equal((c.config as unknown as Record<string, unknown>).syncFrequency, undefined, 'no file-form duration left');
});
