import { existsSync, readFileSync } from 'node:fs';
import { countOf, escapeForTerminal, plural, type TraceVerification } from '@cafsup/shared';
import {
  appendCheckpoint,
  checkAgainstCheckpoints,
  contradictedBy,
  defaultCheckpointsPath,
  defaultSigningKeyPath,
  loadSigningKey,
  readCheckpoints,
  readPublicKey,
  refuseUnwritableCheckpoints,
  signCheckpoint,
  type CheckpointReport,
  type SigningKey,
} from '@cafsup/sdk';
import type { KeyObject } from 'node:crypto';
import { stringOption, type Command } from '../command.js';
import { UsageError } from '../context.js';

// The trail's integrity from the command line: the chain itself, and signed checkpoints that a
// rewritten database file cannot fool (operations.md, "Tamper evidence").

/**
 * The key that signs checkpoints (`traces checkpoint`, `serve`), made when there is none, its
 * making said on stderr even with --json or --quiet: from an account other than the service's
 * (without its CAFSUP_CONFIG_DIR), the key made is that account's, and the service's `traces
 * verify` refuses what it signs. Nothing else tells the admin so (review 43).
 */
export function signingKeyMadeIfNone(path?: string): SigningKey {
  return loadSigningKey({
    ...(path === undefined ? {} : { path }),
    create: true,
    made: (made) =>
      process.stderr.write(
        `Nouvelle clé de signature créée : ${escapeForTerminal(made)} (aucune n’existait pour ce compte ; une vérification qui fait confiance à une autre clé, celle du service par exemple, refusera les points de contrôle qu’elle signe).\n`,
      ),
  });
}

export const tracesCheckpointCommand: Command = {
  name: 'traces checkpoint',
  summary: 'signe la tête de la chaîne des traces (Ed25519) et l’ajoute au fichier des points de contrôle',
  usage: 'cafsup traces checkpoint [--file FICHIER] [--key FICHIER] [--new-store]',
  example: 'cafsup traces checkpoint --file points-de-controle.jsonl',
  options: {
    file: { type: 'string', file: true, description: 'fichier des points de contrôle, en ajout seul (défaut : dossier de configuration)' },
    key: { type: 'string', file: true, description: 'clé privée Ed25519 (défaut : CAFSUP_SIGNING_KEY, sinon créée dans le dossier de configuration)' },
    'new-store': {
      type: 'boolean',
      description:
        'premier point de contrôle d’une nouvelle base dans un fichier qui contient ceux d’autres bases (sans lui, refusé : son identifiant a pu être changé)',
    },
  },
  async run(context, { options }) {
    const file = stringOption(options.file) ?? defaultCheckpointsPath();
    // The key is made last, once the checkpoint can be written: a command refused for its file or
    // its database left a new key behind (review 44).
    refuseUnwritableCheckpoints(file);
    const client = await context.client();
    // Only a chain that holds is worth signing: a checkpoint must never vouch for a broken one.
    const verification = await client.traces.verify();
    if (!verification.ok) {
      return { json: { verification, checkpoint: null }, text: () => `Point de contrôle refusé : ${describeBreak(verification)}`, exitCode: 1 };
    }
    // A new key has signed nothing, so the file's checkpoints cannot contradict it.
    const key = signingKeyMadeIfNone(stringOption(options.key));
    // Nor one the checkpoints it already signed into this file contradict (a tail rewritten, an identifier changed).
    const { refusal: contradiction } = await contradictedBy(file, verification.head, key, (ids) => client.traces.hashes(ids), {
      newStore: options['new-store'] === true,
    });
    if (contradiction !== null) {
      return {
        json: { verification, checkpoint: null, contradiction },
        text: () => `Point de contrôle refusé : ${escapeForTerminal(contradiction)}.`,
        exitCode: 1,
      };
    }
    const checkpoint = signCheckpoint(verification.head, new Date().toISOString(), key);
    appendCheckpoint(file, checkpoint);
    return {
      json: { checkpoint, file },
      text: () =>
        `Point de contrôle ajouté à ${escapeForTerminal(file)} : trace n° ${checkpoint.id}, empreinte ${checkpoint.hash}, clé ${checkpoint.keyId}.\nCopiez ce fichier hors de la machine (autre serveur, stockage non modifiable, mél au responsable sécurité).`,
    };
  },
};

/** A record of the chain's head as the database holds it, escaped; « illisible » where it holds none of that name. */
function shownRecord(value: number | string | undefined): string {
  return value === undefined ? 'illisible' : escapeForTerminal(String(value));
}

function describeBreak(result: TraceVerification): string {
  return `chaîne rompue à la trace n° ${result.firstBrokenId} (${result.problem ?? 'altération'}) ; ${countOf(result.checked, 'trace intègre', 'traces intègres')} avant elle.`;
}

/**
 * The keys a checkpoint may be signed with: each `--public-key` (one per server of a shared file:
 * trial 33, 2, where only the last given counted), and this machine's own key when there is one.
 */
function trustedKeys(publicKeyFiles: readonly string[]): KeyObject[] {
  const keys = publicKeyFiles.map((publicKeyFile) => {
    try {
      return readPublicKey(readFileSync(publicKeyFile, 'utf8'));
    } catch {
      throw new UsageError(`--public-key : clé publique illisible dans ${publicKeyFile} (PEM ou clé brute en base64 attendue).`);
    }
  });
  if (process.env.CAFSUP_SIGNING_KEY !== undefined || existsSync(defaultSigningKeyPath())) keys.push(loadSigningKey().publicKey);
  return keys;
}

/** Problems shown on a terminal, at most this many: a damaged file of 100,000 lines is not read line by line there (`--json` lists them all). */
const SHOWN_PROBLEMS = 20;
const SHOWN_OTHER_STORES = 5;

function shownProblems(problems: readonly string[]): string {
  const shown = problems.slice(0, SHOWN_PROBLEMS).join(' ; ');
  const more = problems.length - SHOWN_PROBLEMS;
  return more > 0 ? `${shown} ; et ${countOf(more, 'autre écart', 'autres écarts')} (--json pour tous)` : shown;
}

export const tracesVerifyCommand: Command = {
  name: 'traces verify',
  summary: 'vérifie la chaîne des traces et ses points de contrôle signés ; sort en 1 et nomme la première trace altérée',
  usage: 'cafsup traces verify [--checkpoints FICHIER] [--public-key FICHIER]…',
  example: 'cafsup traces verify --checkpoints points-de-controle.jsonl',
  options: {
    checkpoints: { type: 'string', file: true, description: 'points de contrôle signés à confronter à la chaîne' },
    'public-key': {
      type: 'string',
      multiple: true,
      file: true,
      description: 'clé publique de confiance, répétable (une par serveur qui signe le fichier) ; la clé de cette machine est aussi acceptée',
    },
  },
  async run(context, { options }) {
    const client = await context.client();
    const result = await client.traces.verify();
    const file = stringOption(options.checkpoints);
    let checkpoints: (CheckpointReport & { file: string }) | null = null;
    if (file !== undefined) {
      const { checkpoints: lines, notCheckpoints } = readCheckpoints(file);
      const keys = trustedKeys((options['public-key'] as string[] | undefined) ?? []);
      const report = await checkAgainstCheckpoints(result.head, lines, keys, (ids) => client.traces.hashes(ids));
      if (keys.length === 0) report.problems.unshift('aucune clé de confiance pour vérifier les signatures (--public-key)');
      // One by one: a file of ~125,000 bad lines or more overflowed the call stack as arguments.
      for (const { first, last } of notCheckpoints) {
        report.problems.push(
          first === last
            ? `${file}, ligne ${first} : ligne qui n’est pas un point de contrôle`
            : `${file}, lignes ${first} à ${last} : lignes qui ne sont pas des points de contrôle`,
        );
      }
      report.ok = report.problems.length === 0;
      checkpoints = { ...report, file };
    }
    const ok = result.ok && (checkpoints?.ok ?? true);
    const firstBrokenId = [result.firstBrokenId, checkpoints?.firstBrokenId ?? null].filter((id): id is number => id !== null).sort((a, b) => a - b)[0] ?? null;
    const text = () => {
      const lines = [
        // Read from the database, whose records may have been written by hand: escaped (review 28c, R4), or missing (no JSON there).
        `Tête de la chaîne : trace n° ${shownRecord(result.head.id)}, empreinte ${shownRecord(result.head.hash)}.`,
        result.ok ? `Chaîne des traces intègre : ${countOf(result.checked, 'trace vérifiée')}.` : `Chaîne des traces rompue : ${describeBreak(result)}`,
      ];
      if (checkpoints !== null) {
        lines.push(
          checkpoints.ok
            ? `Points de contrôle (${escapeForTerminal(checkpoints.file)}) : ${countOf(checkpoints.matched, 'concordant')}, aucun écart.`
            : // The checkpoint file is data from elsewhere: what it says is escaped before it reaches the terminal.
              `Points de contrôle (${escapeForTerminal(checkpoints.file)}) : ${escapeForTerminal(shownProblems(checkpoints.problems))}.`,
        );
        if (checkpoints.firstBrokenId !== null) lines.push(`Première trace qui peut différer de ce qui a été signé : n° ${checkpoints.firstBrokenId}.`);
        // Each line of the file may name a store of its own: the terminal names a few (review 43).
        for (const other of checkpoints.otherStores.slice(0, SHOWN_OTHER_STORES)) {
          lines.push(
            `${countOf(other.checkpoints, 'point de contrôle', 'points de contrôle')} d’une autre base (identifiant ${escapeForTerminal(other.storeId)}), ${plural(other.checkpoints, 'ignoré', 'ignorés')} : si cette base était celle-ci, son identifiant (${escapeForTerminal(result.head.storeId)}) a été changé.`,
          );
        }
        const unnamed = checkpoints.otherStores.length - SHOWN_OTHER_STORES;
        if (unnamed > 0) lines.push(`Et ceux de ${countOf(unnamed, 'autre base', 'autres bases')}, ignorés aussi (--json pour toutes).`);
      }
      return lines.join('\n');
    };
    return { json: { ...result, ok, firstBrokenId, checkpoints }, text, ...(ok ? {} : { exitCode: 1 }) };
  },
};
