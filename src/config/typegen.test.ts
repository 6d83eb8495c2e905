import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FIELD_SPECS } from './fields.js';
import { renderConfigType } from './typegen.js';

test('kubelet-config.ts is generated from the current field table', () => {
  const onDisk = readFileSync(new URL('../../../src/config/kubelet-config.ts', import.meta.url), 'utf8');
  assert.equal(onDisk, renderConfigType(FIELD_SPECS), 'run: npm run build && node scripts/gen-config-type.mjs');
});
