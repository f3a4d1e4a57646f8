import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as main from '@medxfer/metrics';
import * as node from '@medxfer/metrics/node';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));

describe('package entries', () => {
  it('./node exports exactly what the main entry exports', () => {
    expect(Object.keys(node).sort()).toEqual(Object.keys(main).sort());
    expect(node.rocAuc).toBe(main.rocAuc);
  });

  it('the sources use no Node modules or Node globals (they must run in Deno and browsers)', () => {
    const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const code = readFileSync(srcDir + f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      expect(code, f).not.toMatch(/from\s+['"]node:|require\(|\bprocess\.|\bBuffer\b|\b__dirname\b|\bglobal\./);
      for (const m of code.matchAll(/from\s+['"]([^'"]+)['"]/g)) expect(m[1], `${f} imports ${m[1]}`).toMatch(/^\.\/[\w-]+\.js$/);
    }
  });
});
