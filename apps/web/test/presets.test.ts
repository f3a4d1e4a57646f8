import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { presetPlan, PRESETS } from '@medxfer/train';
import { PRESET_FIELDS } from '../src/presets.js';

describe('the recipes of the page', () => {
  it('are the CLI presets, each with its own batch size', () => {
    expect(Object.keys(PRESET_FIELDS).sort()).toEqual(Object.keys(PRESETS).sort());
    for (const [name, fields] of Object.entries(PRESET_FIELDS)) expect(fields.batch, name).toBe(presetPlan(name).batchSize);
    const html = readFileSync(new URL('../index.html', import.meta.url), 'utf8');
    const options = [...html.slice(html.indexOf('<select id="preset">'), html.indexOf('</select>', html.indexOf('<select id="preset">'))).matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    expect(options.sort()).toEqual(Object.keys(PRESETS).sort());
    for (const fields of Object.values(PRESET_FIELDS)) for (const id of [...fields.epochs, ...fields.rates]) expect(html).toContain(`id="${id}"`);
  });
});
