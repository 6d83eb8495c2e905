// Runs after tsc: makes the CLI entry point executable so that `npx kubelet-ts` and the
// `bin` link work from a fresh checkout, and copies non-TypeScript assets next to the output.
import { chmodSync, cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

chmodSync('dist/src/cli/main.js', 0o755);

// Assets (.proto files and the like) live beside the sources that read them.
const assetExt = ['.proto'];
function copyAssets(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) copyAssets(p);
    else if (assetExt.some((e) => name.endsWith(e))) cpSync(p, join('dist', p));
  }
}
copyAssets('src');
