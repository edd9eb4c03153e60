import { useMemo, useRef, useState, type MutableRefObject } from 'react';
import { Box, Text } from 'ink';
import { REQUEST_KINDS, digitsOf, isAcceptedDate, toCafsupError, todayInParis, type RequestKind } from '@cafsup/shared';
import { frenchDate } from '../format.js';
import { DATE_EXPECTED } from '../request-form.js';
import { ActionDialog } from './components/ActionDialog.js';
import { DetailPanel } from './components/DetailPanel.js';
import { HelpOverlay, SCREEN_TITLES } from './components/HelpOverlay.js';
import { ScreenBoundary } from './components/ScreenBoundary.js';
import { StatusBar } from './components/StatusBar.js';
import { TextInput } from './components/TextInput.js';
import { useAction } from './hooks/use-action.js';
import type { Outcome } from './actions.js';
import { SlowLoadsContext } from './hooks/use-async.js';
import { useFreshness } from './hooks/use-freshness.js';
import type { KeyHandler } from './hooks/use-keys.js';
import { frameHeight, useTerminalSize } from './hooks/use-terminal-size.js';
import { GLOBAL_BINDINGS, WORKFLOW_COMMANDS, commandOf, type KeyPress, type WorkflowStep } from './keys.js';
import { NavigationContext, type ActionRequest, type DetailRequest, type Navigation, type Route } from './navigation.js';
import { AlertsScreen } from './screens/AlertsScreen.js';
import { DashboardScreen } from './screens/DashboardScreen.js';
import { PartnerScreen } from './screens/PartnerScreen.js';
import { PartnersScreen } from './screens/PartnersScreen.js';
import { SearchScreen } from './screens/SearchScreen.js';
import { WorkflowsScreen } from './screens/WorkflowsScreen.js';
import { TracesScreen } from './screens/TracesScreen.js';
import { SessionContext, type Session } from './session.js';
import { ShownListsContext, shownListFileName, shownLists, writeShownList } from './shown-list.js';
import { theme } from './theme.js';

type Overlay =
  { kind: 'help' } | { kind: 'command' } | { kind: 'export' } | { kind: 'action'; request: ActionRequest } | { kind: 'detail'; request: DetailRequest } | null;

/** A workflow step's `:` command (`:appliquer amp 1`) as the dialog it opens, or what is missing. */
function workflowCommand(step: WorkflowStep, words: string[]): { act: ActionRequest } | { error: string } {
  const [id, extra] = words;
  const { verb, argument } = WORKFLOW_COMMANDS[step];
  const usage = { error: `Usage : :${verb} ${argument}` };
  if (step === 'partnerCreate') return id === undefined ? { act: { kind: 'partnerCreate' } } : usage;
  if (id === undefined) return usage;
  const number = extra === undefined ? Number.NaN : digitsOf(extra);
  const numbered = Number.isInteger(number) && number > 0 ? [{ number, label: `n° ${number}` }] : null;
  switch (step) {
    case 'requestAdd': {
      if (extra === undefined) return { act: { kind: 'requestAdd', partnerId: id } };
      const requestKind = (REQUEST_KINDS as readonly string[]).includes(extra) ? (extra as RequestKind) : extra === 'suppression' ? 'deletion' : null;
      return requestKind === null ? usage : { act: { kind: 'requestAdd', partnerId: id, requestKind } };
    }
    case 'requestApply':
    case 'requestRefuse':
      return numbered === null
        ? usage
        : { act: { kind: 'requestDecision', partnerId: id, decision: step === 'requestApply' ? 'apply' : 'refuse', requests: numbered } };
    case 'questionAnswer':
      return numbered === null ? usage : { act: { kind: 'questionAnswer', partnerId: id, questions: numbered } };
    case 'review':
      return { act: { kind: 'review', partnerId: id } };
    case 'questionAdd':
      return { act: { kind: 'questionAdd', partnerId: id } };
    case 'breach':
    case 'unilateral':
      return { act: { kind: 'notice', partnerId: id, notice: step } };
    case 'remedy':
      return { act: { kind: 'remedy', partnerId: id } };
    case 'closeOut':
      return { act: { kind: 'closeOut', partnerId: id } };
    case 'personExtract':
      return { act: { kind: 'personExtract', userId: id } };
    case 'incident':
    case 'userCreate':
    case 'groupCreate':
    case 'habilitationCreate':
    case 'partnerEdit':
    case 'conventionEdit':
      return { act: { kind: step, partnerId: id } };
    case 'userEdit':
      return { act: { kind: 'userEdit', userId: id } };
    case 'groupEdit':
      return { act: { kind: 'groupEdit', groups: [{ id }] } };
  }
}

/** What `:` understands; null when the line means nothing. */
function commandRoute(line: string): Route | 'quit' | { date: string | undefined } | { act: ActionRequest } | { error: string } | null {
  const trimmed = line.trim();
  const [verb = '', argument] = trimmed.split(/\s+/, 2);
  const rest = trimmed.slice(verb.length).trim();
  if (['q', 'quit', 'quitter'].includes(verb)) return 'quit';
  const step = (Object.keys(WORKFLOW_COMMANDS) as WorkflowStep[]).find((name) => WORKFLOW_COMMANDS[name].verb === verb);
  if (step !== undefined)
    return workflowCommand(
      step,
      rest.split(/\s+/).filter((word) => word !== ''),
    );
  if (['partenaire', 'p'].includes(verb) && argument !== undefined) return { screen: 'partner', partnerId: argument, tab: 'synthese' };
  if (['cherche', 'chercher', 'c'].includes(verb) && rest !== '') return { screen: 'search', query: rest };
  if (['partenaires', 'partners'].includes(verb)) return { screen: 'partners' };
  if (['alertes', 'alerts', 'audit'].includes(verb)) return { screen: 'alerts' };
  if (verb === 'traces') return { screen: 'traces' };
  if (['suivi', 'workflows'].includes(verb) && argument !== undefined) return { screen: 'workflows', partnerId: argument };
  if (['tableau', 'dashboard'].includes(verb)) return { screen: 'dashboard' };
  if (verb === 'date') {
    // Typed with either apostrophe, or none.
    if (argument === undefined || /^aujourd['’]?hui$/.test(argument)) return { date: undefined };
    return isAcceptedDate(argument) ? { date: argument } : { error: `Date refusée « ${argument} » (${DATE_EXPECTED}, ou aujourd’hui)` };
  }
  return null;
}

function ActionOverlay({
  request,
  width,
  height,
  onClose,
  onDone,
}: {
  request: ActionRequest;
  width: number;
  height: number;
  onClose(): void;
  onDone(outcome: Outcome): void;
}) {
  const dialog = useAction(request, onDone, onClose);
  return <ActionDialog dialog={dialog} width={width} height={height} onClose={onClose} />;
}

function Screen({ route, width, height }: { route: Route; width: number; height: number }) {
  switch (route.screen) {
    case 'dashboard':
      return <DashboardScreen width={width} height={height} />;
    case 'partners':
      return <PartnersScreen width={width} height={height} />;
    case 'partner':
      return (
        <PartnerScreen
          key={route.partnerId}
          partnerId={route.partnerId}
          tab={route.tab}
          {...(route.focusId === undefined ? {} : { focusId: route.focusId })}
          width={width}
          height={height}
        />
      );
    case 'alerts':
      return <AlertsScreen width={width} height={height} />;
    case 'traces':
      return <TracesScreen width={width} height={height} />;
    case 'search':
      return <SearchScreen key={route.query} query={route.query} width={width} height={height} />;
    case 'workflows':
      return <WorkflowsScreen key={route.partnerId} partnerId={route.partnerId} width={width} height={height} />;
  }
}

export interface WorkspaceProps {
  session: Session;
  initialRoute?: Route;
  /** The evaluation date given with --as-of; `:date` changes it. */
  initialAsOf?: string;
  /** Where the workspace puts its handler of the keys no screen took. */
  global: MutableRefObject<KeyHandler>;
  quit(code: number): void;
}

/** A stack of screens, the overlays (help, `:`, dialogs, details) and the status bar. */
export default function Workspace({ session, initialRoute = { screen: 'dashboard' }, initialAsOf, global, quit }: WorkspaceProps) {
  const { columns, rows } = useTerminalSize();
  const [stack, setStack] = useState<Route[]>([initialRoute]);
  const [overlay, setOverlay] = useState<Overlay>(null);
  const [asOf, setAsOf] = useState<string | undefined>(initialAsOf);
  const [message, setMessage] = useState<{ text: string; tone: 'info' | 'error' } | null>(null);
  const [command, setCommand] = useState('');
  const [exportPath, setExportPath] = useState('');
  const lists = useMemo(shownLists, []);
  const clock = session.clock ?? (() => new Date());
  const freshness = useFreshness(session.client, clock, session.refreshEveryMs);
  const slowLoads = useRef(new Set<() => void>()).current;

  const route = stack[stack.length - 1]!;
  const navigation: Navigation = useMemo(
    () => ({
      push: (next) => {
        setMessage(null);
        setOverlay(null);
        setStack((current) => [...current, next]);
      },
      replace: (next) => setStack((current) => [...current.slice(0, -1), next]),
      back: () => setStack((current) => (current.length > 1 ? current.slice(0, -1) : current)),
      act: (request) => {
        // The previous action's « enregistrée » is no news beside this one's refusal or wait.
        setMessage(null);
        setOverlay({ kind: 'action', request });
      },
      detail: (request) => setOverlay({ kind: 'detail', request }),
      notify: (text, tone = 'info') => setMessage({ text, tone }),
      asOf,
      revision: freshness.revision,
      active: overlay === null,
    }),
    [asOf, freshness.revision, overlay],
  );

  /** The keys no screen took: help, `:`, reload, back and quit. */
  global.current = (press: KeyPress) => {
    switch (commandOf(GLOBAL_BINDINGS, press)) {
      case 'help':
        return setOverlay({ kind: 'help' });
      case 'command':
        setCommand('');
        return setOverlay({ kind: 'command' });
      case 'reload':
        setMessage(null);
        return freshness.reload();
      case 'export':
        if (lists.current() === null)
          return setMessage({ text: 'Pas de liste ici : e écrit celle qu’un écran affiche (alertes, partenaires, traces…)', tone: 'error' });
        setExportPath(shownListFileName(SCREEN_TITLES[route.screen], todayInParis(clock())));
        return setOverlay({ kind: 'export' });
      case 'back':
        if (press.name === 'escape' && slowLoads.size > 0) {
          for (const cancel of [...slowLoads]) cancel();
          slowLoads.clear();
          return setMessage({ text: 'Chargement annulé : les données affichées sont les précédentes (r pour réessayer)', tone: 'info' });
        }
        if (stack.length > 1) return navigation.back();
        if (press.name !== 'escape') return quit(0);
    }
  };

  const runCommand = (line: string) => {
    setOverlay(null);
    const target = commandRoute(line);
    if (target === null) setMessage({ text: `Commande inconnue : « ${line} » (? pour l’aide)`, tone: 'error' });
    else if (target === 'quit') quit(0);
    else if ('error' in target) setMessage({ text: target.error, tone: 'error' });
    else if ('act' in target) {
      if (session.canWrite) navigation.act(target.act);
      else setMessage({ text: 'Lecture seule : aucune action n’est possible.', tone: 'error' });
    } else if ('date' in target) {
      setAsOf(target.date);
      setMessage({ text: target.date === undefined ? 'Évaluation à la date du jour' : `Évaluation au ${frenchDate(target.date)}`, tone: 'info' });
    } else navigation.push(target);
  };

  const writeList = (path: string) => {
    setOverlay(null);
    const list = lists.current();
    if (list === null) return;
    writeShownList(list, path.trim(), SCREEN_TITLES[route.screen], session.client.info()).then(
      (done) => setMessage({ text: done, tone: 'info' }),
      (error: unknown) => setMessage({ text: toCafsupError(error).message, tone: 'error' }),
    );
  };

  const height = frameHeight(rows);
  const bodyHeight = height - 1;
  const prompting = overlay?.kind === 'command' || overlay?.kind === 'export';
  const screenHeight = prompting ? bodyHeight - 1 : bodyHeight;
  return (
    <SessionContext.Provider value={session}>
      <ShownListsContext.Provider value={lists}>
        <NavigationContext.Provider value={navigation}>
          <SlowLoadsContext.Provider value={slowLoads}>
            <Box flexDirection="column" width={columns} height={height}>
              <Box display={overlay === null || prompting ? 'flex' : 'none'} height={screenHeight} overflow="hidden">
                <ScreenBoundary resetKey={JSON.stringify(route)}>
                  <Screen route={route} width={columns} height={screenHeight} />
                </ScreenBoundary>
              </Box>
              {overlay?.kind === 'help' ? (
                <Box height={bodyHeight}>
                  <HelpOverlay screen={route.screen} canWrite={session.canWrite} width={columns} height={bodyHeight} onClose={() => setOverlay(null)} />
                </Box>
              ) : null}
              {overlay?.kind === 'detail' ? (
                <Box height={bodyHeight}>
                  <DetailPanel request={overlay.request} width={columns} height={bodyHeight} onClose={() => setOverlay(null)} />
                </Box>
              ) : null}
              {overlay?.kind === 'action' ? (
                <Box height={bodyHeight}>
                  <ActionOverlay
                    request={overlay.request}
                    width={columns}
                    height={bodyHeight}
                    onClose={() => setOverlay(null)}
                    onDone={(outcome) => {
                      freshness.reload();
                      // Another hand may have done it between the dry run and the write: then nothing
                      // was written, and no trace either (review 42b).
                      setMessage(
                        outcome.nothing
                          ? { text: 'Rien n’a été modifié (déjà fait entre-temps) : aucune trace', tone: 'info' }
                          : { text: 'Action enregistrée avec sa trace', tone: 'info' },
                      );
                    }}
                  />
                </Box>
              ) : null}
              {overlay?.kind === 'command' ? (
                <Text>
                  <Text color={theme.accent}>:</Text>
                  <TextInput value={command} onChange={setCommand} onSubmit={runCommand} onCancel={() => setOverlay(null)} />
                </Text>
              ) : null}
              {overlay?.kind === 'export' ? (
                <Text wrap="truncate">
                  <Text color={theme.accent}>Écrire la liste dans (.csv ou .xlsx ; Ctrl-U efface) : </Text>
                  <TextInput value={exportPath} onChange={setExportPath} onSubmit={writeList} onCancel={() => setOverlay(null)} />
                </Text>
              ) : null}
              <StatusBar
                source={session.source}
                actor={session.actor}
                canWrite={session.canWrite}
                asOf={asOf}
                readAt={freshness.readAt}
                message={message}
                width={columns}
              />
            </Box>
          </SlowLoadsContext.Provider>
        </NavigationContext.Provider>
      </ShownListsContext.Provider>
    </SessionContext.Provider>
  );
}
