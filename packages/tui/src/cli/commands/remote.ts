import {
  CafsupError,
  EXIT_CODE,
  TOKEN_ROLE_LABELS,
  digitsOf,
  emailRefusal,
  escapeForTerminal,
  formatActor,
  isEmail,
  parseInput,
  reasonSchema,
} from '@cafsup/shared';
import {
  ALL_CAFS,
  Store,
  tokenCafsText,
  createClient,
  defaultCheckpointsPath,
  isPostgresUrl,
  readSettings,
  serverUrlProblem,
  shownLocation,
  shownServer,
  type TokenView,
} from '@cafsup/sdk';
import { idsOf, stringOption, type Command } from '../command.js';
import { stopAsked, whileAsking } from '../interrupt.js';
import { openConfig, openTokens } from '../config.js';
import { UsageError, type Context } from '../context.js';
import { frenchDateTime } from '../../format.js';
import { listTable, type RowSpec } from '../output.js';
import { signingKeyMadeIfNone } from './trail.js';

/** `--expires 90d`: the instant that many days from now. */
function expiryOf(value: string): string {
  const days = Number(/^(\d{1,4})d$/.exec(value)?.[1]);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError(`--expires attend un nombre de jours, de 1d à 3650d (reçu « ${value} »).`);
  return new Date(Date.now() + days * 86_400_000).toISOString();
}

function requiredOption(value: string | boolean | string[] | undefined, name: string, usage: string): string {
  const text = stringOption(value);
  if (text === undefined || text.trim() === '') throw new UsageError(`Il manque --${name}. Usage : ${usage}`);
  return text.trim();
}

/**
 * The reason of a token's write, by the rule of every write (`Context.reasonRule`): given, it is
 * checked before anything is asked, as the store will check it; else asked on a terminal once
 * the token is found (it was refused with « Il manque --reason », trial 21 F10), refused without one.
 */
async function tokenReason(context: Context, option: string | boolean | string[] | undefined): Promise<() => Promise<string>> {
  const given = stringOption(option);
  if (given !== undefined) parseInput(reasonSchema, given, 'reason');
  const reason = await context.reasonRule(given, false);
  return async () => parseInput(reasonSchema, await reason(), 'reason');
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'l’API HTTP sur la base, pour plusieurs superviseurs et des scripts distants (jetons et rôles)',
  usage:
    'cafsup serve [--host 127.0.0.1] [--port 7878] [--db FICHIER] [--tls-cert FICHIER --tls-key FICHIER] [--trust-proxy ADRESSE…] [--checkpoints FICHIER] [--checkpoint-minutes 15]',
  example: 'cafsup serve --port 7878',
  options: {
    host: { type: 'string', value: 'ADRESSE', description: 'adresse d’écoute (défaut 127.0.0.1)' },
    port: { type: 'string', value: 'PORT', description: 'port (défaut 7878, 0 pour un port libre)' },
    checkpoints: { type: 'string', file: true, description: 'points de contrôle signés de la chaîne des traces (défaut : dossier de configuration)' },
    'checkpoint-minutes': {
      type: 'string',
      value: 'N',
      description: 'un point de contrôle toutes les N minutes quand la chaîne a avancé (défaut 15, 0 : aucun)',
    },
    'tls-cert': { type: 'string', file: true, description: 'certificat TLS (PEM) : le serveur parle HTTPS' },
    'tls-key': { type: 'string', file: true, description: 'clé privée du certificat (PEM)' },
    'trust-proxy': {
      type: 'string',
      multiple: true,
      value: 'ADRESSE',
      description: 'proxy inverse dont X-Forwarded-For fait foi (adresse ou plage CIDR, répétable)',
    },
  },
  async run(context, { options }) {
    outliveTheLog();
    const port = digitsOf(stringOption(options.port) ?? '7878');
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError('--port attend un numéro de port entre 0 et 65535.');
    const host = stringOption(options.host) ?? '127.0.0.1';
    const database = await context.databasePath();
    const minutes = digitsOf(stringOption(options['checkpoint-minutes']) ?? '15');
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 1440) throw new UsageError('--checkpoint-minutes attend un nombre de minutes entre 0 et 1440.');
    const tlsCert = stringOption(options['tls-cert']);
    const tlsKey = stringOption(options['tls-key']);
    if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert et --tls-key vont ensemble : le certificat et sa clé.');
    const trustProxy = idsOf(options['trust-proxy']);
    const { buildServer } = await import('@cafsup/server');
    const checkpoints =
      minutes === 0
        ? undefined
        : {
            file: stringOption(options.checkpoints) ?? defaultCheckpointsPath(),
            everyMs: minutes * 60_000,
            key: () => signingKeyMadeIfNone(),
            onFinalMissed: (why: string, refused: boolean) =>
              (finalMissed = refused ? why : `${why}. Signez-le dès que possible (cafsup traces checkpoint), ou au prochain démarrage`),
          };
    // Set by the server as it stops (a callback: TypeScript would take it for null still).
    let finalMissed = null as string | null;
    // Listened for from the start: a stop sent while the database had not answered yet ended the
    // process by the signal's default action, without a word (143: trial 26, L5); one sent as
    // soon as « écoute sur » is read, with no checkpoint (seen under load).
    const stop = stopAsked();
    const building = buildServer({
      database,
      // A path mistyped in a unit file must not start a server on a new, empty store that answers
      // ready: the file is made by demo or import, and token create already refuses a missing one.
      create: false,
      ...(checkpoints === undefined ? {} : { checkpoints }),
      ...(tlsCert === undefined || tlsKey === undefined ? {} : { tls: { cert: tlsCert, key: tlsKey } }),
      ...(trustProxy.length === 0 ? {} : { trustProxy }),
      stopped: stop,
    });
    // Its failure is the race's, below; once a stop has won it, nobody's.
    building.catch(() => undefined);
    // Said before the wait: a journal then shows a start held by its database, not a silent one.
    process.stderr.write(`cafsup serve : ouverture de la base ${escapeForTerminal(shownLocation(database))}…\n`);
    const app = await Promise.race([building, stop.then(() => null)]);
    if (app === null) {
      const stopped = { json: { stopped: true, address: null }, text: () => 'Serveur arrêté pendant son démarrage : il n’avait encore rien servi.' };
      // PostgreSQL's connections hold nothing that ending the process could harm. SQLite's
      // threads are closed, not ended (pool.ts): the stop gives their opening up at once.
      if (isPostgresUrl(database)) setTimeout(() => process.exit(0), 1000).unref();
      else await building.then((built) => built.close()).catch(() => undefined);
      return stopped;
    }
    let address: string;
    try {
      address = await app.listen({ host, port });
    } catch (error) {
      // The refusal is what the person must read, whatever closing the unused server says.
      await app.close().catch(() => undefined);
      throw listenRefusal(error, host, port);
    }
    process.stderr.write(
      `cafsup serve : écoute sur ${address} (base ${escapeForTerminal(shownLocation(database))}). SIGTERM ou Ctrl-C pour arrêter proprement.\n`,
    );
    // A stop finishes the requests in flight before the process ends.
    await stop;
    await app.close();
    // Stopped as asked, but the service manager is told (exit 6) that the trail's last stretch is not vouched for.
    const missed = finalMissed === null ? null : new CafsupError('UNAVAILABLE', `Serveur arrêté sans son point de contrôle final : ${finalMissed}.`);
    // Stopped: what the store's connections still wait for (a frozen database, its close given up)
    // must not keep the process, once what follows is said; with its own code, whenever it fires.
    setTimeout(() => process.exit(missed === null ? 0 : EXIT_CODE[missed.code]), 1000).unref();
    if (missed !== null) throw missed;
    return { json: { stopped: true, address }, text: () => 'Serveur arrêté.' };
  },
};

/** The address a token command was given, refused as the import refuses it, naming where (exit 2). */
function checkedEmail(email: string, where: string): string {
  if (!isEmail(email)) throw new UsageError(`${where} : ${emailRefusal(email)} (« ${email} »).`);
  return email;
}

/**
 * A server outlives the destination of its log: a terminal closed under a `setsid` server (EIO),
 * a pipe whose reader ended (EPIPE), a full disk. Its log's next line failed, unheard, and the
 * server ended with it (review 34, M1): every supervisor lost it for a line nobody could read.
 * It keeps answering and logs no more (the stream, failed, is closed); its stop is unchanged.
 */
function outliveTheLog(): void {
  process.stderr.on('error', () => undefined);
}

/**
 * Why the server could not listen where asked, as a usage error (the fix is in --host or
 * --port); other errors as they are.
 */
function listenRefusal(error: unknown, host: string, port: number): unknown {
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  switch ((error as { code?: unknown }).code) {
    case 'EADDRINUSE':
      return new UsageError(`Le port ${port} est déjà pris (${where}) : choisissez-en un autre avec --port, ou arrêtez le programme qui l’occupe.`);
    case 'EADDRNOTAVAIL':
      return new UsageError(
        `L’adresse ${host} n’est pas une adresse de cette machine (--host) : 127.0.0.1 pour elle seule, 0.0.0.0 pour toutes ses interfaces.`,
      );
    case 'EACCES':
      return new UsageError(
        `Écouter sur ${where} demande des droits que ce compte n’a pas (ports sous 1024) : choisissez un port à partir de 1024 avec --port.`,
      );
    default:
      return error;
  }
}

/**
 * The server's own file for a token command: found before anything is asked (a server named by
 * the environment is said first, not after the actor it would not need; trial 22, F9), then
 * opened for `use` and closed after it, whatever happens.
 */
async function serverStore(context: Context): Promise<<T>(use: (store: Store) => Promise<T>) => Promise<T>> {
  const database = await context.databasePath();
  return async (use) => {
    const store = await Store.open(database, { create: false });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  };
}

export const tokenCreateCommand: Command = {
  name: 'token create',
  summary: 'crée le jeton d’accès d’une personne (affiché une seule fois ; seule son empreinte est gardée)',
  usage: 'cafsup token create "PRÉNOM NOM" --email MÉL --role superviseur|auditeur --caf C… [--expires 90d] [--quiet]',
  example: 'cafsup token create "Camille Roux" --email camille.roux@caf78.fr --role superviseur --caf 78 --expires 90d --quiet > jeton.txt',
  positionals: { min: 1, max: 1, names: 'NOM' },
  options: {
    email: { type: 'string', value: 'MÉL', description: 'mél de la personne : chaque action faite avec ce jeton porte son nom' },
    role: { type: 'string', value: 'RÔLE', description: 'le superviseur lit et agit, l’auditeur lit seulement', choices: TOKEN_ROLE_LABELS },
    caf: { type: 'string', multiple: true, value: 'C', description: 'Caf dont le jeton voit les partenaires, répétable ; « * » pour toutes' },
    expires: { type: 'string', value: 'DURÉE', description: 'le jeton expire dans N jours (90d) ; sinon jamais' },
  },
  async run(context, { positionals, options }) {
    const withServerStore = await serverStore(context);
    const email = checkedEmail(requiredOption(options.email, 'email', tokenCreateCommand.usage), '--email');
    const role = requiredOption(options.role, 'role', tokenCreateCommand.usage) as keyof typeof TOKEN_ROLE_LABELS;
    const cafs = idsOf(options.caf);
    if (cafs.length === 0) throw new UsageError(`Il manque --caf (une ou plusieurs Caf, ou « ${ALL_CAFS} »). Usage : ${tokenCreateCommand.usage}`);
    const expires = stringOption(options.expires);
    const expiresAt = expires === undefined ? undefined : expiryOf(expires);
    const actor = await context.actor();
    const created = await withServerStore((store) =>
      store.tokens.create({ name: positionals[0]!.trim(), email }, role, cafs, actor, expiresAt === undefined ? {} : { expiresAt }),
    );
    return {
      json: { ...created, expiresAt: expiresAt ?? null },
      text: () =>
        `Jeton n° ${created.id} pour ${positionals[0]} <${email}> (${TOKEN_ROLE_LABELS[role]}, ${tokenCafsText(cafs)}${expiresAt === undefined ? '' : `, expire le ${frenchDateTime(expiresAt)}`}).\nNotez-le maintenant, il ne sera plus affiché :\n${created.token}`,
      quiet: created.token,
    };
  },
};

const TOKEN_ROWS: RowSpec<TokenView> = {
  key: 'tokens',
  sheet: 'Jetons',
  id: (t) => String(t.id),
  columns: [
    { field: 'id', header: 'N°', cell: (t) => t.id, table: { align: 'right' } },
    { field: 'owner', header: 'Titulaire', cell: (t) => t.owner.name, table: { grow: 1 } },
    { field: 'owner', header: 'Mél', cell: (t) => t.owner.email, table: { grow: 1 } },
    { field: 'role', header: 'Rôle', cell: (t) => TOKEN_ROLE_LABELS[t.role] },
    { field: 'cafs', header: 'Caf', cell: (t) => t.cafs.join(' ') },
    { field: 'createdAt', header: 'Créé le', cell: (t) => ({ at: t.createdAt }) },
    { field: 'expiresAt', header: 'Expire le', cell: (t) => (t.expiresAt === null ? null : { at: t.expiresAt }) },
    { field: 'lastUsedAt', header: 'Dernière utilisation', cell: (t) => (t.lastUsedAt === null ? null : { at: t.lastUsedAt }) },
    { field: 'revokedAt', header: 'Révoqué le', cell: (t) => (t.revokedAt === null ? null : { at: t.revokedAt }) },
    { field: 'ownerSuspended', header: 'Titulaire suspendu', cell: (t) => (t.ownerSuspended ? 'oui' : 'non') },
  ],
};

export const tokenListCommand: Command = {
  name: 'token list',
  summary: 'les jetons du serveur : titulaire, rôle, Caf, état (jamais le jeton lui-même)',
  usage: 'cafsup token list [--db FICHIER]',
  example: 'cafsup token list --json',
  rows: TOKEN_ROWS,
  async run(context) {
    const tokens = await (await serverStore(context))((store) => store.tokens.list());
    return { json: { tokens }, text: () => (tokens.length === 0 ? 'Aucun jeton.' : listTable(TOKEN_ROWS, tokens)), rows: tokens };
  },
};

export const tokenRevokeCommand: Command = {
  name: 'token revoke',
  summary: 'révoque un jeton : refusé dès la requête suivante',
  usage: 'cafsup token revoke N --reason MOTIF [--yes]',
  example: 'cafsup token revoke 1 --reason "Poste perdu" --yes',
  positionals: { min: 1, max: 1, names: 'N' },
  options: { reason: { type: 'string', value: 'MOTIF', description: 'motif (obligatoire)' } },
  async run(context, { positionals, options }) {
    const id = digitsOf(positionals[0]!);
    if (!(id >= 1)) throw new UsageError(`Numéro de jeton invalide : « ${escapeForTerminal(positionals[0]!)} ».`);
    const withServerStore = await serverStore(context);
    const reasonOf = await tokenReason(context, options.reason);
    const actor = await context.actor();
    await withServerStore(async (store) => {
      // Looked up first: an unknown or revoked token is refused before any question, and the
      // question names whose access it cuts.
      const token = await store.tokens.revocable(id);
      const reason = await reasonOf();
      // A write as any other: confirmed on a terminal, or by --yes (cli.md).
      await context.approve(
        `Révoquer le jeton n° ${id} de ${formatActor(token.owner)} (${TOKEN_ROLE_LABELS[token.role]}, ${tokenCafsText(token.cafs)}) au nom de ${formatActor(actor)} ?`,
      );
      await store.tokens.revoke(id, reason, actor);
    });
    return { json: { id, revoked: true }, text: () => `Jeton n° ${id} révoqué.` };
  },
};

function ownerCommand(suspend: boolean): Command {
  return {
    name: suspend ? 'token suspend-owner' : 'token reinstate-owner',
    summary: suspend ? 'suspend une personne : tous ses jetons sont refusés dès la requête suivante' : 'lève la suspension d’une personne',
    usage: `cafsup token ${suspend ? 'suspend-owner' : 'reinstate-owner'} MÉL --reason MOTIF [--yes]`,
    example: `cafsup token ${suspend ? 'suspend-owner' : 'reinstate-owner'} camille.roux@caf78.fr --reason "${suspend ? 'Départ du service' : 'Retour de congé'}" --yes`,
    positionals: { min: 1, max: 1, names: 'MÉL' },
    options: { reason: { type: 'string', value: 'MOTIF', description: 'motif (obligatoire)' } },
    async run(context, { positionals, options }) {
      const email = checkedEmail(positionals[0]!, 'MÉL');
      const withServerStore = await serverStore(context);
      const reasonOf = await tokenReason(context, options.reason);
      const actor = await context.actor();
      const reason = await reasonOf();
      await context.approve(`${suspend ? 'Suspendre' : 'Rétablir'} tous les jetons de ${escapeForTerminal(email)} au nom de ${formatActor(actor)} ?`);
      await withServerStore((store) => store.tokens.setOwnerSuspended(email, suspend, reason, actor));
      return { json: { email, suspended: suspend }, text: () => `${email} : ${suspend ? 'suspendu' : 'rétabli'}.` };
    },
  };
}

export const tokenSuspendOwnerCommand = ownerCommand(true);
export const tokenReinstateOwnerCommand = ownerCommand(false);

/** A saved profile as shown: a PostgreSQL URL's password, or a server address's, is kept in the settings, never printed. */
function shownProfile<P extends { database?: string; url?: string }>(profile: P): P {
  return {
    ...profile,
    ...(profile.database === undefined ? {} : { database: shownLocation(profile.database) }),
    ...(profile.url === undefined ? {} : { url: shownServer(profile.url) }),
  };
}

export const profileAddCommand: Command = {
  name: 'config profile add',
  summary: 'enregistre un profil : un serveur (--url) ou un fichier (--db)',
  usage: 'cafsup config profile add NOM (--url URL | --db FICHIER)',
  example: 'cafsup config profile add caf78 --url http://127.0.0.1:7878',
  positionals: { min: 1, max: 1, names: 'NOM' },
  options: { url: { type: 'string', value: 'URL', description: 'adresse du serveur cafsup serve' } },
  async run(context, { positionals, options }) {
    const name = positionals[0]!;
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UsageError('Nom de profil : lettres, chiffres, - et _ seulement.');
    const url = stringOption(options.url);
    // Read as the transport will read it (a port past 65535, a query, were saved, then every command refused them: trial 25).
    const problem = url === undefined ? null : serverUrlProblem(url);
    if (problem !== null) throw new UsageError(problem);
    if ((url === undefined) === (context.options.db === undefined)) throw new UsageError('Indiquez soit --url, soit --db.');
    // --db checked as every command checks it (a URL the driver cannot read: exit 2).
    const profile = url === undefined ? { database: await context.databasePath() } : { url };
    (await openConfig()).set(`profiles.${name}`, profile);
    return {
      json: { name, ...shownProfile(profile) },
      text: () => `Profil « ${name} » enregistré${url === undefined ? '' : ` ; connectez-vous avec « cafsup login --profile ${name} »`}.`,
    };
  },
};

export const profileUseCommand: Command = {
  name: 'config profile use',
  aliases: ['profile use'],
  summary: 'choisit le profil des commandes suivantes',
  usage: 'cafsup config profile use NOM',
  example: 'cafsup config profile use caf78',
  positionals: { min: 1, max: 1, names: 'NOM' },
  async run(_context, { positionals }) {
    const name = positionals[0]!;
    if (readSettings().profiles?.[name] === undefined) throw new UsageError(`Profil inconnu : « ${name} ».`);
    (await openConfig()).set('profile', name);
    return { json: { profile: name }, text: () => `Profil actif : ${name}.` };
  },
};

export const profileListCommand: Command = {
  name: 'config profile list',
  aliases: ['profile list'],
  summary: 'les profils enregistrés et celui qui est actif',
  usage: 'cafsup config profile list',
  example: 'cafsup config profile list --json',
  async run() {
    const settings = readSettings();
    const profiles = Object.entries(settings.profiles ?? {}).map(([name, profile]) => ({ name, ...shownProfile(profile), active: settings.profile === name }));
    return {
      json: { active: settings.profile ?? null, profiles },
      text: () =>
        profiles.length === 0
          ? 'Aucun profil : les commandes utilisent la base locale.'
          : profiles.map((p) => `${p.active ? '*' : ' '} ${p.name} : ${p.url ?? p.database}`).join('\n'),
    };
  },
};

/** The token comes from a hidden prompt or from stdin, never from the command line (ps would show it). */
async function readTokenInput(interactive: boolean): Promise<string> {
  if (interactive) {
    const { password } = await import('@inquirer/prompts');
    // Its help tip is English (« [input is masked] »): the message says it in French already.
    return whileAsking(() => password({ message: 'Jeton (il ne s’affiche pas) :', mask: false, theme: { style: { help: () => '' } } }));
  }
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'enregistre le jeton d’un profil serveur, après l’avoir vérifié auprès du serveur',
  usage: 'cafsup login [--profile NOM]   (jeton demandé, ou lu sur l’entrée standard)',
  example: 'cafsup login --profile caf78 < jeton.txt',
  async run(context) {
    const settings = readSettings();
    const name = context.options.profile ?? process.env.CAFSUP_PROFILE ?? settings.profile;
    const url = name === undefined ? undefined : settings.profiles?.[name]?.url;
    if (name === undefined || url === undefined)
      throw new UsageError('Indiquez un profil serveur : cafsup config profile add NOM --url URL, puis cafsup login --profile NOM.');
    const token = (await readTokenInput(context.interactive)).trim();
    if (token === '') throw new UsageError('Jeton vide.');
    const client = createClient({ baseUrl: url, token, insecure: context.options.insecure });
    try {
      const identity = await client.whoami();
      (await openTokens()).set(name, token);
      return {
        json: { profile: name, ...identity },
        text: () =>
          `Connecté à ${shownServer(url)} : ${identity.actor === null ? '—' : escapeForTerminal(formatActor(identity.actor))} (${TOKEN_ROLE_LABELS[identity.role]}, ${tokenCafsText(identity.cafs)}).`,
      };
    } finally {
      await client.close();
    }
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'oublie le jeton d’un profil',
  usage: 'cafsup logout [--profile NOM]',
  example: 'cafsup logout --profile caf78',
  async run(context) {
    const name = context.options.profile ?? process.env.CAFSUP_PROFILE ?? readSettings().profile;
    if (name === undefined) throw new UsageError('Indiquez le profil : --profile NOM.');
    (await openTokens()).delete(name);
    return { json: { profile: name, loggedOut: true }, text: () => `Jeton du profil « ${name} » effacé.` };
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'la personne au nom de qui une écriture serait faite, et d’où viennent les données (et quel réglage les a choisis)',
  usage: 'cafsup whoami [--profile NOM] [--db FICHIER] [--actor "NOM <MÉL>"]',
  example: 'cafsup whoami --profile caf78',
  async run(context) {
    const connection = await context.connection();
    const client = await context.client();
    const identity = await client.whoami();
    // Remotely the token's owner acts, whatever --actor says; locally the setting a write would read.
    const setting = connection.kind === 'http' ? null : await context.actorSetting();
    const actor = connection.kind === 'http' ? identity.actor : (setting?.actor ?? null);
    const actorChosenBy = connection.kind === 'http' ? 'jeton' : (setting?.chosenBy ?? null);
    const location = await context.source();
    const source = { kind: connection.kind, location, profile: connection.profile, chosenBy: connection.chosenBy };
    return {
      json: { source, ...identity, actor, actorChosenBy },
      text: () =>
        [
          `Personne qui agit : ${actor === null ? 'non définie (--actor, CAFSUP_ACTOR ou cafsup config set actor ; demandée à la première écriture sur un terminal)' : `${escapeForTerminal(formatActor(actor))} (${actorChosenBy})`}`,
          ...(connection.kind === 'http' && context.options.actor !== undefined
            ? ['  --actor est ignoré : sur un serveur, chaque écriture porte le nom du titulaire du jeton.']
            : []),
          `Rôle : ${TOKEN_ROLE_LABELS[identity.role]}, ${tokenCafsText(identity.cafs)}`,
          `Données : ${connection.kind === 'http' ? 'serveur' : isPostgresUrl(location) ? 'base PostgreSQL' : 'fichier'} ${escapeForTerminal(location)} (${connection.chosenBy}${connection.profile === null ? '' : `, profil « ${escapeForTerminal(connection.profile)} »`})`,
        ].join('\n'),
    };
  },
};
