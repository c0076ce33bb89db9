import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of Keel's own package.json. Found by walking up from this file, because the code
 * runs both from `src/` (tests) and from `dist/src/` (the built CLI).
 */
export const packageRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export const keelVersion: string = (
  JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'keel') {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`cannot find Keel's package.json above ${start}`);
  }
}
