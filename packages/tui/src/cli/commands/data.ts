import { existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import {
  digitsOf,
  CafsupError,
  countOf,
  describeDecisionChange,
  escapeForTerminal,
  formatActor,
  frenchNumber,
  jsonSafe,
  todayInParis,
  type ImportCounts,
} from '@cafsup/shared';
import type { ImportOutcome } from '@cafsup/sdk';
import { isPostgresUrl } from '@cafsup/sdk/settings';
import { buildDemoDataset } from '../../demo/demo-data.js';
import { ACTION_OPTIONS, blankFileName, stringOption, type Command } from '../command.js';
import { UsageError } from '../context.js';
import { checkOutputFile, writeFileAtomically } from '../files.js';

/** Each section's noun, singular then plural (« Caf » does not take an s). */
const SECTION_NOUNS: Record<keyof ImportCounts, [string, string?]> = {
  cafs: ['Caf', 'Caf'],
  partners: ['partenaire'],
  conventions: ['convention'],
  users: ['utilisateur'],
  groups: ['groupe'],
  habilitations: ['habilitation'],
  reviews: ['revue'],
};

function describeCounts(counts: Partial<ImportCounts>): string {
  return (Object.entries(counts) as [keyof ImportCounts, number][]).map(([section, n]) => countOf(n, ...SECTION_NOUNS[section])).join(', ');
}

/** The changed decisions an import's summary shows; `--json` has them all (up to its own limit). */
const SHOWN_DECISION_CHANGES = 20;

/**
 * What an import replaced of the stored data, and the decisions it changes (a suspension undone
 * by an older file, an avenant unsigned…), said after its counts; nothing when it only added.
 */
function describeReplacements(result: ImportOutcome): string {
  // A server of an earlier version answers without them.
  if ((result.replaced as ImportOutcome['replaced'] | undefined) === undefined) return '';
  const replaced = Object.fromEntries(Object.entries(result.replaced).filter(([, n]) => n > 0));
  if (Object.keys(replaced).length === 0) return '';
  const lines = [`Entités ${result.dryRun ? 'qui seraient remplacées' : 'remplacées'} (déjà là sous le même identifiant) : ${describeCounts(replaced)}.`];
  // A server of session 21's version answered with the statuses only, under another name.
  const total = (result.decisionChangesTotal as number | undefined) ?? 0;
  if (total > 0) {
    lines.push(
      `${countOf(total, result.dryRun ? 'décision changerait' : 'décision changée', result.dryRun ? 'décisions changeraient' : 'décisions changées')} :`,
    );
    for (const change of result.decisionChanges.slice(0, SHOWN_DECISION_CHANGES)) lines.push(`  ${describeDecisionChange(change)}`);
    const more = total - Math.min(result.decisionChanges.length, SHOWN_DECISION_CHANGES);
    if (more > 0) lines.push(`  … et ${countOf(more, 'autre')} (--json en liste ${frenchNumber(result.decisionChanges.length)}, la trace de l’import aussi).`);
  }
  return `\n${lines.join('\n')}`;
}

/** The demo data is invented, so no supervisor vouches for it: its import trace says so. */
const DEMO_ACTOR = { name: 'Données de démonstration cafsup', email: 'demo@cafsup.invalid' };

export const demoCommand: Command = {
  name: 'demo',
  summary: 'crée la base de démonstration : les quatre partenaires des documents d’origine et des partenaires générés',
  usage: 'cafsup demo [--scale N] [--force | --if-missing]',
  example: 'cafsup demo --scale 200 --db ./demo.db',
  options: {
    scale: { type: 'string', value: 'N', description: 'nombre de partenaires (défaut 30, au moins 4)' },
    force: { type: 'boolean', description: 'remplace un fichier de base existant (une base PostgreSQL n’est jamais remplacée)' },
    'if-missing': { type: 'boolean', description: 'ne fait rien si la base existe déjà' },
  },
  async run(context, { options }) {
    const scale = digitsOf(stringOption(options.scale) ?? '30');
    if (!Number.isInteger(scale) || scale < 4 || scale > 100_000) throw new UsageError('--scale attend un nombre de partenaires entre 4 et 100 000.');
    const path = await context.databasePath();
    // A PostgreSQL URL shown with its password masked.
    const shown = await context.source();
    const kept = { json: { database: shown, created: false }, text: () => `Base existante conservée : ${escapeForTerminal(shown)}` };
    const { copiedNotReplaced, copyMarkOf, fileContent, isStoreMadeMeanwhile, refuseNonFile } = await import('@cafsup/sdk');
    if (!isPostgresUrl(path) && existsSync(path)) {
      // A folder or a device is no store to keep, nor to replace; nor is another application's
      // file (refused by `fileContent`). A file with no table yet is made a store, as where none is.
      refuseNonFile(path);
      if (fileContent(path, shown) === 'store') {
        if (options['if-missing'] === true) return kept;
        if (options.force !== true) {
          // Not replaced even with --force (`makeStoreAside`): said at once, rather than advising it.
          const moved = copyMarkOf(path);
          if (moved !== undefined) throw copiedNotReplaced(shown, moved);
          throw new CafsupError('CONFLICT', `La base ${shown} existe déjà : ajoutez --force pour la remplacer par la démonstration.`);
        }
      }
    }
    // A PostgreSQL database has no file to look for: a store there (cafsup's tables) is written
    // into, or else made by the demo's import, in its transaction (`newStoreClient`).
    const { client, makesStore } = isPostgresUrl(path)
      ? await context.importClient(DEMO_ACTOR)
      : // With --force, the file there stays as it is until the demo's is made, then is replaced by it.
        { client: await context.newStoreClient(DEMO_ACTOR, { replacing: options.force === true }), makesStore: true };
    // A store exists as cafsup's once anything was written in it (every write leaves a trace). It
    // is never replaced, not even with --force: the demo imported over it would merge invented
    // people into its data and its trail.
    if (!makesStore && (await client.traces.head()).id > 0) {
      if (options['if-missing'] === true) return kept;
      throw new CafsupError(
        'CONFLICT',
        `La base ${shown} contient déjà des données : la démonstration ne s’écrit que dans une base vide (--force ne remplace qu’un fichier). Rien n’a été écrit.`,
      );
    }
    let result: ImportOutcome;
    try {
      result = await client.dataset.import(buildDemoDataset({ partners: scale, today: context.options.asOf ?? todayInParis(new Date()) }), {
        reason: 'Création de la base de démonstration',
      });
      await context.putMadeStoreInPlace();
    } catch (error) {
      // Made by another process meanwhile (`cafsup start` runs `demo --if-missing`): kept, as when found first.
      if (options['if-missing'] === true && isStoreMadeMeanwhile(error)) return kept;
      throw error;
    }
    return {
      json: { database: shown, created: true, counts: result.counts },
      text: () => `Base de démonstration créée : ${escapeForTerminal(shown)}\n${describeCounts(result.counts)}.`,
    };
  },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'importe un jeu de données (format cafsup/dataset) : tout ou rien, chaque problème nommé par son chemin JSON',
  usage: 'cafsup import FICHIER|- [--dry-run] [--reason MOTIF] [--yes]',
  example: 'cafsup import sauvegarde.json --dry-run',
  positionals: { min: 1, max: 1, names: 'FICHIER' },
  options: { reason: { type: 'string', value: 'MOTIF', description: 'motif (défaut : import du jeu de données)' }, 'dry-run': ACTION_OPTIONS['dry-run']! },
  async run(context, { positionals, options }) {
    const file = positionals[0]!;
    // « - »: the standard input, for `cafsup export | cafsup import -` (operations.md); its size
    // is unknown, so no progress is shown. Typed on a terminal it would wait for a whole document.
    const fromInput = file === '-';
    if (fromInput && process.stdin.isTTY === true)
      throw new UsageError(
        '« cafsup import - » lit le jeu de données sur l’entrée standard, pas au clavier : « cafsup import - < FICHIER » ou « cafsup export | cafsup import - ».',
      );
    if (file.trim() === '') throw blankFileName('cafsup import');
    if (!fromInput && !existsSync(file)) throw new UsageError(`Fichier introuvable : ${file}.`);
    const total = fromInput ? null : statSync(file).size;
    const dryRun = options['dry-run'] === true;
    const { client, absent, makesStore } = dryRun
      ? { ...(await context.dryRunClient()), makesStore: false }
      : { ...(await context.importClient()), absent: false };
    // Over partners already there, an import replaces what has the same ids, statuses decided
    // since the file was made among them: a write as any other, confirmed on a terminal or by
    // --yes (cli.md). Into a store without partners (new, or holding only tokens) it replaces
    // nothing, and is not asked. A store the import makes is not there to read until it commits.
    if (!dryRun && !makesStore && (await client.partners.list({ limit: 1 })).items.length > 0) {
      const writer = await context.writer();
      await context.approve(
        `La base ${escapeForTerminal(await context.source())} contient déjà des données : l’import en remplacera les entités de même identifiant (--dry-run montre lesquelles, et les décisions qui changeraient : statuts, rôles, avenants…). Importer ${fromInput ? 'l’entrée standard' : escapeForTerminal(file)} au nom de ${formatActor(writer)} ?`,
      );
    }
    const onTerminal = process.stderr.isTTY === true && !context.options.json && !context.options.quiet;
    let lastShown = -1;
    const onProgress = ({ bytes, entities }: { bytes: number; entities: number }) => {
      if (total === null) return;
      const percent = total === 0 ? 100 : Math.floor((bytes / total) * 100);
      if (onTerminal) {
        const filled = Math.round(percent / 4);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(25 - filled)}] ${percent} %  ${countOf(entities, 'entité')}`);
      } else if (percent >= lastShown + 10 && total > 1 << 20) {
        lastShown = percent - (percent % 10);
        context.note(`import : ${lastShown} % (${countOf(entities, 'entité')})`);
      }
    };
    try {
      const result = await client.dataset
        .import(fromInput ? process.stdin : { path: file }, {
          dryRun,
          onProgress,
          ...(stringOption(options.reason) === undefined ? {} : { reason: stringOption(options.reason)! }),
        })
        .catch(async (error: unknown) => {
          // What the supervisor must read is the refusal, whatever removing the store says.
          if (makesStore) await context.forgetMadeStore().catch(() => undefined);
          throw error;
        });
      if (makesStore && !dryRun) await context.putMadeStoreInPlace();
      return {
        json: result,
        text: () =>
          `${result.dryRun ? `Simulation : rien n’a été écrit${absent ? ' (pas encore de base cafsup à cet endroit : l’import la créerait)' : ''}. Le fichier importerait` : `Import terminé (trace n° ${result.traceId}) :`} ${describeCounts(result.counts)}.${describeReplacements(result)}`,
      };
    } finally {
      if (onTerminal) process.stderr.write('\r\u001b[K');
    }
  },
};

export const exportCommand: Command = {
  name: 'export',
  summary: 'exporte toute la base au format cafsup/dataset (réimportable tel quel)',
  usage: 'cafsup export [--out FICHIER [--force]]',
  example: 'cafsup export --out sauvegarde.json --force',
  options: {
    out: { type: 'string', file: true, description: 'fichier de sortie (défaut : la sortie standard) ; jamais la base elle-même' },
    force: { type: 'boolean', description: 'remplace un fichier existant sans demander' },
  },
  async run(context, { options }) {
    const out = stringOption(options.out);
    if (out !== undefined) await checkOutputFile(context, out, options.force === true);
    const client = await context.client();
    if (out === undefined) {
      for await (const chunk of client.dataset.exportStream()) {
        if (!process.stdout.write(jsonSafe(chunk))) await once(process.stdout, 'drain');
      }
      return { json: undefined, text: () => '' };
    }
    await writeFileAtomically(out, client.dataset.exportStream());
    return { json: { out }, text: () => `Export écrit : ${escapeForTerminal(out)}` };
  },
};
