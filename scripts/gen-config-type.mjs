// Writes src/config/kubelet-config.ts from the compiled field table (run after a build).
import { writeFileSync } from 'node:fs';
import { FIELD_SPECS } from '../dist/src/config/fields.js';
import { renderConfigType } from '../dist/src/config/typegen.js';

writeFileSync(new URL('../src/config/kubelet-config.ts', import.meta.url), renderConfigType(FIELD_SPECS));
