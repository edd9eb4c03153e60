import { describe, expect, it } from 'vitest';
import { useKeys } from '../hooks/use-keys.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { KeyDispatcher } from './KeyDispatcher.js';
import { KEYS, renderApp } from '../testing/render-app.js';
import { Table, columnWidths, type ColumnSpec } from './Table.js';

interface Row {
  id: string;
  name: string;
}

const ROWS: Row[] = Array.from({ length: 100_000 }, (_, index) => ({
  id: `h${String(index + 1).padStart(6, '0')}`,
  name: `Habilitation très longue à couper n° ${index + 1}`,
}));
const COLUMNS: ColumnSpec<Row>[] = [
  { header: 'Id', width: 7, cell: (row) => row.id },
  { header: 'Nom', grow: 1, cell: (row) => row.name },
];

function Harness({ height }: { height: number }) {
  const list = useListCursor(ROWS.length, height);
  useKeys((press) => list.handle(press, (index) => ROWS[index]!.id));
  return (
    <Table
      columns={COLUMNS}
      rows={ROWS}
      cursor={list.cursor}
      offset={list.offset}
      height={height}
      width={40}
      idOf={(row) => row.id}
      marked={list.marked}
      empty="vide"
    />
  );
}

describe('Table', () => {
  it('shares the spare width by grow and fills the line exactly', () => {
    expect(columnWidths([{ width: 7 }, { grow: 1 }, { grow: 2 }], 80)).toEqual([7, 23, 46]);
    expect(columnWidths([{ width: 10 }, { grow: 1 }], 40).reduce((a, b) => a + b, 0) + 2 + 1).toBe(40);
  });

  it('renders only the visible window of 100,000 rows, follows the cursor and marks selections', async () => {
    const app = renderApp(
      <KeyDispatcher global={() => undefined} onInterrupt={() => undefined}>
        <Harness height={5} />
      </KeyDispatcher>,
      { columns: 40, rows: 10 },
    );
    await app.waitFor('h000001');
    expect(app.frame()).toMatchInlineSnapshot(`
      "  Id      Nom
       ›h000001 Habilitation très longue à co…
        h000002 Habilitation très longue à co…
        h000003 Habilitation très longue à co…
        h000004 Habilitation très longue à co…
        h000005 Habilitation très longue à co…"
    `);
    await app.press(KEYS.pageDown, ' ', 'j');
    await app.waitFor('›h000008');
    expect(app.frame()).toMatchInlineSnapshot(`
      "  Id      Nom
        h000004 Habilitation très longue à co…
        h000005 Habilitation très longue à co…
      ● h000006 Habilitation très longue à co…
        h000007 Habilitation très longue à co…
       ›h000008 Habilitation très longue à co…"
    `);
    await app.press('G');
    await app.waitFor('›h100000');
    expect(app.frame().split('\n')).toHaveLength(6);
    expect(app.frame()).toContain(' h099996');
    await app.press('g');
    await app.waitFor('›h000001');
    app.unmount();
  });

  it('keeps ids whole and gives optional columns up before a name becomes unreadable', async () => {
    const rows = [{ id: 'association-du-pays-de-montbeliard-h0001', name: 'Louise Martin', dep: '25' }];
    const columns: ColumnSpec<(typeof rows)[number]>[] = [
      { header: 'Id', whole: true, cell: (row) => row.id },
      { header: 'Titulaire', grow: 1, cell: (row) => row.name },
      { header: 'Dép.', width: 4, optional: true, cell: (row) => row.dep },
    ];
    const render = (width: number) =>
      renderApp(<Table columns={columns} rows={rows} cursor={0} offset={0} height={1} width={width} empty="vide" />, { columns: width, rows: 5 });
    const narrow = render(60);
    expect(await narrow.waitFor('h0001')).toMatchInlineSnapshot(`
      "  Id                                       Titulaire
       ›association-du-pays-de-montbeliard-h0001 Louise Martin"
    `);
    narrow.unmount();
    const wide = render(80);
    expect(await wide.waitFor('h0001')).toMatchInlineSnapshot(`
      "  Id                                       Titulaire                        Dép.
       ›association-du-pays-de-montbeliard-h0001 Louise Martin                    25"
    `);
    wide.unmount();
  });
});
