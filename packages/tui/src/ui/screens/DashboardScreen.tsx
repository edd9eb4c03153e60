import { Box, Text } from 'ink';
import { SEVERITIES, SEVERITY_LABELS, countOf } from '@cafsup/shared';
import { count, fit, frenchDate } from '../../format.js';
import { nameAndId } from '../words.js';
import { DashboardHeading } from '../components/DashboardHeading.js';
import { LoadState } from '../components/Loading.js';
import type { ReviewsDue } from '../dashboard-data.js';
import type { AsyncState } from '../hooks/use-async.js';
import { useDashboard } from '../hooks/use-dashboard.js';
import { useKeys } from '../hooks/use-keys.js';
import { GLOBAL_BINDINGS, SCREEN_BINDINGS, commandOf, footerOf } from '../keys.js';
import { useNavigation } from '../navigation.js';
import { SEVERITY_COLOUR, SEVERITY_SYMBOL, theme } from '../theme.js';

const KEYS = SCREEN_BINDINGS.dashboard;

/** The reviews due, with their own spinner: on the national store they come seconds after the rest. */
function ReviewsDueList({ reviews, rows, width }: { reviews: AsyncState<ReviewsDue>; rows: number; width: number }) {
  const { data } = reviews;
  const title = 'Revues inverses dues d’ici 30 jours ou en retard';
  const nameWidth = Math.max(20, width - 36);
  return (
    <>
      <Text bold wrap="truncate">
        {data === undefined ? `${title}  ` : `${title} (${data.reviews.length})  `}
        <LoadState loading={reviews.loading} slow={reviews.slow} error={reviews.error} />
      </Text>
      {data?.reviews.length === 0 ? <Text color={theme.muted}> aucune</Text> : null}
      {data?.reviews.slice(0, rows).map((review) => (
        <Text key={review.partnerId} wrap="truncate">
          {`  ${nameAndId(data.names.get(review.partnerId), review.partnerId, nameWidth)} `}
          <Text color={review.late ? theme.warning : undefined}>
            {review.late ? `en retard depuis le ${frenchDate(review.dueAt)}` : `due le ${frenchDate(review.dueAt)}`}
          </Text>
        </Text>
      ))}
    </>
  );
}

/** Partners, habilitations held, flags by severity, the partners most over quota, reviews due. */
export function DashboardScreen({ width, height }: { width: number; height: number }) {
  const navigation = useNavigation();
  const { overview, reviews } = useDashboard();
  const { data } = overview;
  useKeys(
    (press) => {
      const command = commandOf(KEYS, press);
      if (command === null) return false;
      navigation.push({ screen: command });
    },
    { active: navigation.active },
  );
  const share = Math.max(1, Math.floor((height - 8) / 2));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <DashboardHeading asOf={data?.asOf}>
        <LoadState loading={overview.loading} slow={overview.slow} error={overview.error} />
      </DashboardHeading>
      {data === undefined ? null : (
        <>
          <Text wrap="truncate">{`Caf ${data.summary.cafCodes.join(', ') || '—'} · ${count(data.summary.partners)} partenaires · ${count(data.summary.users)} utilisateurs · ${count(data.summary.habilitationsHeld)} habilitations détenues`}</Text>
          <Text wrap="truncate">
            {'Alertes :'}
            {SEVERITIES.map((severity) => (
              <Text
                key={severity}
                color={SEVERITY_COLOUR[severity]}
              >{`  ${SEVERITY_SYMBOL[severity].trim()} ${countOf(data.flags[severity], SEVERITY_LABELS[severity])}`}</Text>
            ))}
          </Text>
          <Text> </Text>
          <Text bold>{`Quotas dépassés (${data.overQuotas.length})`}</Text>
          {data.overQuotas.length === 0 ? <Text color={theme.muted}> aucun</Text> : null}
          {data.overQuotas.slice(0, share).map((quota) => (
            <Text key={`${quota.partnerId}/${quota.service}/${quota.profile}`} wrap="truncate">
              {`  ${nameAndId(data.names.get(quota.partnerId), quota.partnerId, width - 34)} ${fit(`${quota.service} ${quota.profile}`, 9)} ${fit(`${quota.assigned}/${quota.maxUsers}`, 7, 'right')} `}
              <Text color={theme.danger}>{`DÉPASSÉ +${quota.assigned - quota.maxUsers}`}</Text>
            </Text>
          ))}
          <ReviewsDueList reviews={reviews} rows={share} width={width} />
          <Box flexGrow={1} />
          <Text
            color={theme.muted}
            wrap="truncate"
          >{`${footerOf(KEYS, ['partners', 'alerts', 'traces'], true)} · : commande · ${footerOf(GLOBAL_BINDINGS, ['help'], true)} · q quitter`}</Text>
        </>
      )}
    </Box>
  );
}
