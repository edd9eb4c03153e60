import type { KeyObject } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CafsupError, canonicalJson, countOf, fileProblem, hardLinksRefused, isTimestamp, longFrenchInstant, type TraceHead } from '@cafsup/shared';
import { makeFolders } from './folders.js';
import { configDirectory } from './profiles.js';
import { sha256 } from './store/traces.js';

/** node:crypto, loaded when a checkpoint is made or checked: every command loads this module (the SDK's index), few sign. */
const nodeCrypto = () => process.getBuiltinModule('node:crypto');

// Signed checkpoints of the trail (operations.md, "Tamper evidence that does not trust the
// database file"): whoever can rewrite the file can recompute every hash, but not sign with a
// key kept elsewhere. A checkpoint is one JSON line appended to a file meant to be copied away.

/** One signed checkpoint: the head of one store's chain at one moment. */
export interface Checkpoint {
  v: 1;
  storeId: string;
  id: number;
  hash: string;
  /** The last trace of version 1 when signed: traces after it can never legitimately leave the file. */
  legacyUntil: number;
  at: string;
  /** SHA-256 of the raw public key, 16 hex digits: which key signed. */
  keyId: string;
  /** The raw Ed25519 public key, base64: lets anyone check the signature, not trust it. */
  publicKey: string;
  /** Ed25519 over the canonical JSON of every other field. */
  signature: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function defaultSigningKeyPath(): string {
  return join(configDirectory(), 'secrets', 'signing-key.pem');
}

export function defaultCheckpointsPath(): string {
  return join(configDirectory(), 'checkpoints.jsonl');
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  // The last 32 bytes of the SPKI encoding of an Ed25519 key are the key itself.
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
}

function keyIdOf(publicKey: KeyObject): string {
  return sha256(rawPublicKey(publicKey)).slice(0, 16);
}

function fromPrivate(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new CafsupError('VALIDATION', 'La clé de signature doit être une clé Ed25519.');
  const publicKey = nodeCrypto().createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/**
 * The signing key: `CAFSUP_SIGNING_KEY` (PEM), else the 0600 file of the config folder, made
 * on first use when `create` is true. It never goes into the database. `made`: called with the
 * file's path when this call made it (not when another process made it first).
 */
export function loadSigningKey(options: { path?: string; create?: boolean; made?: (path: string) => void; env?: NodeJS.ProcessEnv } = {}): SigningKey {
  const fromEnv = (options.env ?? process.env).CAFSUP_SIGNING_KEY;
  try {
    if (fromEnv !== undefined && fromEnv.trim() !== '') return fromPrivate(nodeCrypto().createPrivateKey(fromEnv));
  } catch (error) {
    if (error instanceof CafsupError) throw error;
    throw new CafsupError('VALIDATION', 'CAFSUP_SIGNING_KEY ne contient pas une clé privée PEM lisible.', {}, { cause: error });
  }
  const path = options.path ?? defaultSigningKeyPath();
  if (!existsSync(path)) {
    if (options.create !== true) {
      throw new CafsupError('NOT_FOUND', `Clé de signature introuvable : ${path}. « cafsup traces checkpoint » la crée au premier point de contrôle.`, {
        path,
      });
    }
    let made: boolean;
    try {
      made = makeSigningKey(path);
    } catch (error) {
      // Its folder not writable, a full disk, a path through a file: said, never « Erreur interne ».
      const problem = systemProblem(error);
      if (problem === undefined) throw error;
      throw new CafsupError('UNAVAILABLE', `Clé de signature impossible à créer : ${path} (${problem}) ; rien n’a été signé.`, { path }, { cause: error });
    }
    if (made) options.made?.(path);
  }
  return readSigningKey(path);
}

/** A file's system error in French, else its code; undefined for a failure that is no system error's. */
function systemProblem(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code !== 'string' ? undefined : (fileProblem(error) ?? `refusé par le système : ${code}`);
}

/** How long a key file still being written is read again before it is said unreadable. */
const UNFINISHED_KEY_WAIT_MS = 2000;

/**
 * A new key at `path`, unless another process makes one there first: then that one is kept, and
 * read by both. Two processes making the first key at once (two `cafsup serve` started together
 * on a fresh machine) must not sign with two keys, nor either read a key file still empty.
 * Returns whether this process's key is the one put in place.
 */
function makeSigningKey(path: string): boolean {
  makeFolders(dirname(path), 0o700);
  const { privateKey } = nodeCrypto().generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  // Written whole beside it, then linked into place: no reader ever sees it unfinished, and the
  // one linked second is EEXIST.
  const unfinished = `${path}.${process.pid}-${nodeCrypto().randomBytes(6).toString('hex')}`;
  try {
    writeNewFile(unfinished, pem);
    try {
      linkSync(unfinished, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      if (!hardLinksRefused(error)) throw error;
      // A file system without hard links (some network or FUSE mounts, vfat): made under its own
      // name exclusively, so that the first made is still the one kept (EEXIST: another's). Until
      // written and flushed, a process there reads an empty file or a PEM cut short, never a key
      // (no PEM parser takes one without its end line): `readSigningKey` waits for the end. One
      // killed in that moment leaves it so: unreadable, and said so, never taken for a key.
      try {
        writeNewFile(path, pem);
      } catch (made) {
        if ((made as NodeJS.ErrnoException).code !== 'EEXIST') throw made;
        return false;
      }
    }
    return true;
  } finally {
    rmSync(unfinished, { force: true });
  }
}

/**
 * `text` in a new 0600 file (EEXIST if there is one), flushed to disk: a power cut must not
 * leave the key's name on an empty file. Not left half written when the write fails (a full disk).
 */
function writeNewFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  let written = false;
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(path, { force: true });
  }
}

/**
 * The key in the file `path`. One still being written by another process (`makeSigningKey`
 * without hard links) has no PEM end yet: read again for a moment rather than refused.
 */
function readSigningKey(path: string): SigningKey {
  const deadline = Date.now() + UNFINISHED_KEY_WAIT_MS;
  for (;;) {
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
      return fromPrivate(nodeCrypto().createPrivateKey(text));
    } catch (error) {
      if (error instanceof CafsupError) throw error;
      if (text !== undefined && !text.includes('-----END') && Date.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw new CafsupError('VALIDATION', `Clé de signature illisible : ${path}.`, { path }, { cause: error });
    }
  }
}

/** A public key given as PEM or as the base64 raw key of a checkpoint line. */
export function readPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return nodeCrypto().createPublicKey(trimmed);
  const raw = Buffer.from(trimmed, 'base64');
  // SPKI header of an Ed25519 key, followed by its 32 bytes.
  return nodeCrypto().createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
}

function signedPart(checkpoint: Omit<Checkpoint, 'signature'>): Buffer {
  const { v, storeId, id, hash, legacyUntil, at, keyId, publicKey } = checkpoint;
  return Buffer.from(canonicalJson({ v, storeId, id, hash, legacyUntil, at, keyId, publicKey }), 'utf8');
}

export function signCheckpoint(head: TraceHead, at: string, key: SigningKey): Checkpoint {
  const unsigned = {
    v: 1 as const,
    storeId: head.storeId,
    id: head.id,
    hash: head.hash,
    legacyUntil: head.legacyUntil,
    at,
    keyId: key.keyId,
    publicKey: rawPublicKey(key.publicKey).toString('base64'),
  };
  return { ...unsigned, signature: nodeCrypto().sign(null, signedPart(unsigned), key.privateKey).toString('base64') };
}

/** The last byte of a file; undefined when it is empty. */
function lastByte(path: string): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined;
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, size - 1);
    return byte[0];
  } finally {
    closeSync(fd);
  }
}

/** A checkpoints file that cannot be read then appended to, said as the key's making is, never « Erreur interne ». */
function checkpointsUnwritable(path: string, error: unknown): unknown {
  const problem = systemProblem(error);
  if (problem === undefined) return error;
  return new CafsupError(
    'UNAVAILABLE',
    `Fichier de points de contrôle impossible à écrire : ${path} (${problem}) ; rien n’a été signé.`,
    { path },
    { cause: error },
  );
}

/**
 * Refuses a checkpoints file that could not be read then appended to (a folder, a path through
 * a file, a file or folder there that may not be written), before anything is made for it:
 * `traces checkpoint` makes its signing key only once its checkpoint can be written. For a file not
 * there yet, a file is made beside it, with the missing folders, then removed: asking whether a
 * folder may be written (access) says yes to root under /proc and on a read-only mount, where
 * writing fails.
 */
export function refuseUnwritableCheckpoints(path: string): void {
  try {
    closeSync(openSync(path, 'r+'));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw checkpointsUnwritable(path, error);
    const folder = dirname(resolve(path));
    let madeFolder: string | undefined;
    try {
      madeFolder = makeFolders(folder, 0o700);
      // A file of its own beside it, not the file itself: a server appending its first checkpoint
      // there meanwhile would have it removed with its line.
      const probe = join(folder, `.${basename(path)}.${process.pid}-${Date.now()}.essai`);
      closeSync(openSync(probe, 'wx', 0o600));
      rmSync(probe);
    } catch (refused) {
      throw checkpointsUnwritable(path, refused);
    } finally {
      // The folders made just now, each only while empty: another process may have begun writing there.
      for (let made = folder; madeFolder !== undefined; made = dirname(made)) {
        try {
          rmdirSync(made);
        } catch {
          break;
        }
        if (made === madeFolder) break;
      }
    }
  }
}

/** Appends a checkpoint as one JSON line (the file is only ever appended to). */
export function appendCheckpoint(path: string, checkpoint: Checkpoint): void {
  try {
    makeFolders(dirname(path), 0o700);
    // A last line cut short (a crash during an append, a copy cut in transfer) would swallow this one: it starts a line of its own.
    const cut = existsSync(path) && lastByte(path) !== 0x0a;
    appendFileSync(path, `${cut ? '\n' : ''}${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  } catch (error) {
    throw checkpointsUnwritable(path, error);
  }
}

/** Where a reading of a checkpoints file stopped: the file (its device and inode) and the byte after its last whole line. */
export interface FileMark {
  dev: number;
  ino: number;
  offset: number;
}

/**
 * What `contradictedBy` checked of a file, for a server's next checkpoint: where it stopped, and
 * the checkpoints of its key read before that which attest a trace past the head it checked (one
 * the command line or another server signed meanwhile), checked again then against the chain.
 */
export interface CheckedFile {
  mark: FileMark;
  later: Checkpoint[];
}

/**
 * A line of a checkpoint file as a checkpoint, or null: not JSON, or not of its shape. JSON is
 * not even tried on a line that is no object from end to end: V8 takes ~18 µs to throw on one.
 */
function asCheckpoint(text: string): Checkpoint | null {
  const line = text.trim();
  if (!line.startsWith('{') || !line.endsWith('}')) return null;
  let parsed: Checkpoint;
  try {
    parsed = JSON.parse(line) as Checkpoint;
  } catch {
    return null;
  }
  const valid =
    parsed.v === 1 &&
    typeof parsed.id === 'number' &&
    typeof parsed.hash === 'string' &&
    typeof parsed.signature === 'string' &&
    typeof parsed.storeId === 'string' &&
    typeof parsed.legacyUntil === 'number' &&
    typeof parsed.at === 'string' &&
    isTimestamp(parsed.at);
  return valid ? parsed : null;
}

/**
 * The checkpoints of a file, and its lines that are not checkpoints as runs of line numbers
 * (counted from where the reading started; blank lines neither count as one nor end a run: a
 * damaged or filled file of 5 M such lines was 5 M problems, 1.4 GB and 40 s, review 43).
 * `since`: only the lines after that mark, when it is one of this file and the file has not
 * shrunk (lines are only ever appended); else the whole file. `mark`: where this reading
 * stopped, before a last line not ended yet.
 */
export function readCheckpoints(
  path: string,
  since?: FileMark,
): { checkpoints: Checkpoint[]; notCheckpoints: { first: number; last: number }[]; mark: FileMark } {
  let text: string;
  let mark: FileMark;
  try {
    const fd = openSync(path, 'r');
    try {
      const { dev, ino, size } = fstatSync(fd);
      const start = since !== undefined && since.dev === dev && since.ino === ino && since.offset <= size ? since.offset : 0;
      const bytes = Buffer.alloc(size - start);
      for (let read = 0; read < bytes.length;) {
        const got = readSync(fd, bytes, read, bytes.length - read, start + read);
        if (got === 0) break;
        read += got;
      }
      text = bytes.toString('utf8');
      mark = { dev, ino, offset: start + bytes.lastIndexOf(0x0a) + 1 };
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // A file that is not there said as such, not « illisible » (review 41).
    const cause = fileProblem(error);
    const problem = (error as { code?: unknown }).code === 'ENOENT' ? 'introuvable' : `illisible${cause === undefined ? '' : ` (${cause})`}`;
    throw new CafsupError('NOT_FOUND', `Fichier de points de contrôle ${problem} : ${path}.`, { path }, { cause: error });
  }
  const checkpoints: Checkpoint[] = [];
  const notCheckpoints: { first: number; last: number }[] = [];
  let run: { first: number; last: number } | null = null;
  // Line by line rather than split: 5 M lines as strings at once weighed ~450 MB.
  for (let start = 0, number = 1; start < text.length; number++) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? text.length : end);
    start = end === -1 ? text.length : end + 1;
    if (line.trim() === '') continue;
    const checkpoint = asCheckpoint(line);
    if (checkpoint !== null) {
      checkpoints.push(checkpoint);
      run = null;
    } else if (run === null) notCheckpoints.push((run = { first: number, last: number }));
    else run.last = number;
  }
  return { checkpoints, notCheckpoints, mark };
}

/**
 * The checkpoints a trusted key signed, the others handed to `forged`. A few hundred at a time:
 * a server checking a year of them (0.1 ms each) goes on answering meanwhile (review 29, M2).
 */
async function signedOnly(checkpoints: readonly Checkpoint[], trusted: readonly KeyObject[], forged?: (checkpoint: Checkpoint) => void): Promise<Checkpoint[]> {
  const kept: Checkpoint[] = [];
  for (const [index, checkpoint] of checkpoints.entries()) {
    if (index % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
    if (signatureHolds(checkpoint, trusted)) kept.push(checkpoint);
    else forged?.(checkpoint);
  }
  return kept;
}

function signatureHolds(checkpoint: Checkpoint, trusted: readonly KeyObject[]): boolean {
  const signature = Buffer.from(checkpoint.signature, 'base64');
  return trusted.some((key) => {
    try {
      return nodeCrypto().verify(null, signedPart(checkpoint), key, signature);
    } catch {
      return false;
    }
  });
}

/** What the checkpoints say of a chain. */
export interface CheckpointReport {
  ok: boolean;
  /** Checkpoints of this chain whose signature holds and whose trace matches. */
  matched: number;
  /** The first trace that may differ from what a checkpoint signed; null when all match. */
  firstBrokenId: number | null;
  problems: string[];
  /**
   * Identifiers this store had before: stores of the file one of whose signed checkpoints
   * attests a trace of this chain, hash for hash. Their checkpoints are checked as this store's.
   */
  renamedFrom: string[];
  /** Checkpoints of this store whose signature fails: the first problems. */
  forged: number;
  /**
   * Checkpoints of other stores in the file, by identifier: passed over, as a file may serve
   * several databases, but said.
   */
  otherStores: { storeId: string; checkpoints: number; lastSigned: string | null }[];
}

/**
 * Checks a store's chain against signed checkpoints: each one of this chain, signed by a
 * trusted key, must find its trace with the hash it signed. A truncated chain (a checkpoint past
 * the head) or a rewritten one (a hash that differs) is named from the last checkpoint that
 * still matches. `hashesOf` reads the stored hashes (locally or over HTTP).
 *
 * The chain's checkpoints are those of the store's identifier, and those of any other identifier
 * with a signed checkpoint that attests one of its traces: the identifier lives in the database,
 * and changing it hid a rewritten tail behind checkpoints « of another store » (review 28b, N2).
 * A chain's hash at one number is its whole history up to there: two databases share one only
 * if one is the other (a copy keeps its identifier: `backup`, `migrate --to`). Not at n° 0,
 * which every empty chain shares.
 */
export async function checkAgainstCheckpoints(
  head: TraceHead,
  checkpoints: readonly Checkpoint[],
  trusted: readonly KeyObject[],
  hashesOf: (ids: number[]) => Promise<{ id: number; hash: string }[]>,
): Promise<CheckpointReport> {
  const problems: string[] = [];
  const byStore = new Map<string, Checkpoint[]>();
  for (const checkpoint of checkpoints) {
    const store = byStore.get(checkpoint.storeId);
    if (store === undefined) byStore.set(checkpoint.storeId, [checkpoint]);
    else store.push(checkpoint);
  }
  const ours = byStore.get(head.storeId) ?? [];
  byStore.delete(head.storeId);
  let forged = 0;
  const signed = await signedOnly(ours, trusted, (checkpoint) => {
    forged += 1;
    problems.push(`point de contrôle du ${longFrenchInstant(checkpoint.at)} (trace n° ${checkpoint.id}) : signature invalide ou clé inconnue`);
  });
  // Another store's checkpoints count only when a trusted key signed them: a line anyone could write must not accuse this chain.
  const othersSigned = new Map<string, Checkpoint[]>();
  for (const [storeId, theirs] of byStore) othersSigned.set(storeId, await signedOnly(theirs, trusted));
  const stored = new Map<number, string>();
  const wanted = [...signed, ...[...othersSigned.values()].flat()].map((checkpoint) => checkpoint.id).filter((id) => id > 0 && id <= head.id);
  const ids = [...new Set(wanted)];
  for (let index = 0; index < ids.length; index += 1000) {
    for (const row of await hashesOf(ids.slice(index, index + 1000))) stored.set(row.id, row.hash);
  }
  const renamedFrom: string[] = [];
  for (const [storeId, theirs] of othersSigned) {
    const attested = theirs.find((checkpoint) => checkpoint.id > 0 && stored.get(checkpoint.id) === checkpoint.hash);
    if (attested === undefined) continue;
    renamedFrom.push(storeId);
    byStore.delete(storeId);
    for (const checkpoint of theirs) signed.push(checkpoint);
    problems.push(
      `identifiant de la base changé (${storeId}, maintenant ${head.storeId}) : le point de contrôle du ${longFrenchInstant(attested.at)} signé sous l’ancien identifiant atteste la trace n° ${attested.id} de cette chaîne`,
    );
  }
  signed.sort((a, b) => a.id - b.id);
  if (signed.length === 0 && ours.length === 0) problems.push('aucun point de contrôle de cette base dans le fichier');
  // The moment of each one's last checkpoint a trusted key signed (null: none), which names it to a supervisor.
  const lastSigned = (storeId: string) =>
    (othersSigned.get(storeId) ?? []).reduce<string | null>((last, { at }) => (last === null || last < at ? at : last), null);
  const otherStores = [...byStore].map(([storeId, theirs]) => ({ storeId, checkpoints: theirs.length, lastSigned: lastSigned(storeId) }));
  let lastGood = 0;
  let firstBrokenId: number | null = null;
  let matched = 0;
  for (const checkpoint of signed) {
    if (checkpoint.id > head.id) {
      problems.push(
        `chaîne tronquée : elle s’arrête à la trace n° ${head.id}, mais le point de contrôle du ${longFrenchInstant(checkpoint.at)} atteste la trace n° ${checkpoint.id}`,
      );
      firstBrokenId ??= Math.min(lastGood, head.id) + 1;
      continue;
    }
    if (checkpoint.legacyUntil !== head.legacyUntil) {
      problems.push(
        `limite des traces anciennes modifiée depuis le point de contrôle du ${longFrenchInstant(checkpoint.at)} (n° ${checkpoint.legacyUntil}, maintenant n° ${head.legacyUntil})`,
      );
      firstBrokenId ??= Math.min(checkpoint.legacyUntil, head.legacyUntil) + 1;
      continue;
    }
    const hash = stored.get(checkpoint.id);
    if (hash === undefined) {
      // Only version-1 traces ever leave the file (a recorded purge); a later one missing was removed by hand.
      if (checkpoint.id <= head.legacyUntil) continue;
      problems.push(`trace n° ${checkpoint.id}, signée le ${longFrenchInstant(checkpoint.at)}, absente de la base`);
      firstBrokenId ??= lastGood + 1;
      continue;
    }
    if (hash !== checkpoint.hash) {
      problems.push(
        `trace n° ${checkpoint.id} différente de celle signée le ${longFrenchInstant(checkpoint.at)} : la chaîne a été réécrite à partir de la trace n° ${lastGood + 1}`,
      );
      firstBrokenId ??= lastGood + 1;
      continue;
    }
    if (firstBrokenId === null) lastGood = checkpoint.id;
    matched += 1;
  }
  // Checkpoints at n° 0, or of traces since purged, attest nothing: a chain taken under such a
  // store's identifier, or emptied, would pass (review 29c, H-A). An empty chain alone in its file has nothing to attest.
  const othersSignedAny = [...othersSigned.values()].some((theirs) => theirs.length > 0);
  if (matched === 0 && firstBrokenId === null && signed.length > 0 && (head.id > 0 || othersSignedAny))
    problems.push('aucun point de contrôle de cette base n’atteste une trace de sa chaîne (seulement le n° 0, ou des traces anciennes supprimées)');
  return { ok: problems.length === 0, matched, firstBrokenId, problems, renamedFrom, forged, otherStores };
}

/**
 * Why `head` must not be signed into `file`, in French; null when it may. A checkpoint never
 * vouches for a chain that the checkpoints signed before with the same key contradict: a tail
 * rewritten after them, a truncation, a changed identifier (review 28c, R3: a chain whose
 * identifier was changed, then its tail rewritten, was signed as a new store's). `from`: only
 * the checkpoints of that trace on (a server's next ones: the chain passes through the head it
 * signed last, checked with those before). Checkpoints of other keys are left to `traces
 * verify --checkpoints` with their key.
 *
 * Nor, unless `newStore`, a chain that no checkpoint of its identifier attests (a trace it
 * signed, hash for hash), in a file where the key signed other stores: its identifier may be a
 * changed one, over a chain rewritten or emptied from before its first checkpoint, or taken from
 * a store whose only checkpoints attest nothing (n° 0) (review 29, H1; review 29c, H-A); an
 * empty chain too. That it is a new database, only an operator can say, with `suggest`, the
 * command that says so.
 */
export async function contradictedBy(
  file: string,
  head: TraceHead,
  key: SigningKey,
  hashesOf: (ids: number[]) => Promise<{ id: number; hash: string }[]>,
  options: { from?: number; newStore?: boolean; suggest?: string; since?: CheckedFile } = {},
): Promise<{ refusal: string | null; checked: CheckedFile | null }> {
  if (!existsSync(file)) return { refusal: null, checked: null };
  // From `since` (what a server checked of the file at its last checkpoint), the lines added since
  // and those it must check again: the whole of a year's file, read and parsed at each checkpoint,
  // held a server 150–230 ms (review 29c).
  const { checkpoints, mark } = readCheckpoints(file, options.since?.mark);
  const mine = [...(options.since?.later ?? []), ...checkpoints].filter((checkpoint) => checkpoint.keyId === key.keyId);
  // A head past this one, signed since it was read (by the command line, another server, during
  // a walk of seconds), was taken for a chain cut short: one that the database holds, hash for
  // hash, is checked again once the head has passed it; one it does not hold is a refusal now.
  const beyond = mine.filter((checkpoint) => checkpoint.id > head.id);
  const stored = new Map((beyond.length === 0 ? [] : await hashesOf([...new Set(beyond.map((checkpoint) => checkpoint.id))])).map((row) => [row.id, row.hash]));
  const later = beyond.filter((checkpoint) => stored.get(checkpoint.id) === checkpoint.hash);
  const refusal = await contradiction(
    file,
    head,
    key,
    hashesOf,
    mine.filter((checkpoint) => !later.includes(checkpoint)),
    options,
  );
  // Refused, nothing is taken as checked: the next reading is whole, and finds the disagreement again.
  return { refusal, checked: refusal === null ? { mark, later } : null };
}

async function contradiction(
  file: string,
  head: TraceHead,
  key: SigningKey,
  hashesOf: (ids: number[]) => Promise<{ id: number; hash: string }[]>,
  mine: readonly Checkpoint[],
  options: { from?: number; newStore?: boolean; suggest?: string },
): Promise<string | null> {
  const from = options.from ?? 0;
  const report = await checkAgainstCheckpoints(
    head,
    mine.filter((checkpoint) => checkpoint.id >= from),
    [key.publicKey],
    hashesOf,
  );
  const verify = `« cafsup traces verify --checkpoints ${file} » en donne le détail`;
  const modified = 'la chaîne a été modifiée : gardez ce fichier et prévenez le responsable de la sécurité';
  if (report.firstBrokenId !== null || report.renamedFrom.length > 0) {
    // The first disagreement, not a line of the file whose signature fails (anyone may add one),
    // and a count: after a restore, a week of a server's checkpoints disagree (review 29, M3; 29c, M-C).
    const first = report.problems[report.forged] ?? report.problems[0]!;
    const others = report.problems.length - 1;
    const more = others === 0 ? '' : ` (et ${countOf(others, 'autre écart', 'autres écarts')})`;
    const then =
      report.renamedFrom.length > 0
        ? `${modified[0]!.toUpperCase()}${modified.slice(1)}`
        : `Si une sauvegarde vient d’être restaurée, mettez ce fichier de côté : les suivants s’écriront dans un nouveau ; sinon, ${modified}`;
    return `la chaîne ne concorde plus avec les points de contrôle signés dans ${file} : ${first}${more}. ${verify}. ${then}`;
  }
  if (options.newStore === true || report.matched > 0) return null;
  // Signed lines only: a line written into the file by hand must not bar a store.
  const others = report.otherStores.flatMap(({ storeId, lastSigned }) => (lastSigned === null ? [] : [{ storeId, lastSigned }]));
  if (others.length === 0) return null;
  const named = others
    .slice(0, 3)
    .map(({ storeId, lastSigned }) => `${storeId}, le dernier le ${longFrenchInstant(lastSigned)}`)
    .join(' ; ');
  const suggest = options.suggest ?? `cafsup traces checkpoint --new-store --file ${file}`;
  return `aucun point de contrôle de cette base (identifiant ${head.storeId}) n’atteste sa chaîne dans ${file}, qui contient ceux d’autres bases signés avec la même clé (${named}${others.length > 3 ? ' ; …' : ''}). Si c’est une nouvelle base, signez son premier point de contrôle : « ${suggest} » ; sinon, ${modified}`;
}
