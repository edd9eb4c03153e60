import { describe, expect, it } from 'vitest';
import { filterRows } from './search.js';

describe('the interface’s filters', () => {
  it('find a word whatever its accents, case and apostrophe', () => {
    const names = ['Office public de l’habitat de Tarnos', 'Mairie de Mérignac', "Commune d'Évry"];
    const found = (filter: string) => filterRows(names, filter, (name) => name);
    expect(found("l'habitat")).toEqual(['Office public de l’habitat de Tarnos']);
    expect(found('MERIGNAC')).toEqual(['Mairie de Mérignac']);
    expect(found('d’evry')).toEqual(["Commune d'Évry"]);
    expect(found('  ')).toEqual(names);
  });
});
