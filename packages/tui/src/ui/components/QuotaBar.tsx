import { Box, Text } from 'ink';
import { profileLabel, type QuotaUsage } from '@cafsup/shared';
import { fit } from '../../format.js';
import { theme } from '../theme.js';

/**
 * One quota as a bar: filled to `assigned` out of `maxUsers`; an over quota says so in words
 * (« DÉPASSÉ +3 ») as well as in red.
 */
export function QuotaBar({ quota, width }: { quota: QuotaUsage; width: number }) {
  const label = fit(`${quota.service} ${quota.profile}`, 10);
  const figures = `${quota.assigned}/${quota.maxUsers} (actifs ${quota.active})`;
  const state = quota.over ? `DÉPASSÉ +${quota.assigned - quota.maxUsers}` : 'ok';
  const barWidth = Math.max(5, Math.min(30, width - label.length - figures.length - state.length - 6));
  const scale = Math.max(quota.maxUsers, quota.assigned, 1);
  const filled = Math.round((Math.min(quota.assigned, scale) / scale) * barWidth);
  const limit = Math.round((quota.maxUsers / scale) * barWidth);
  const bar = Array.from({ length: barWidth }, (_, index) => (index < filled ? (index >= limit ? '▓' : '█') : '░')).join('');
  const scope = quota.departements === null ? 'tous départements' : `dép. ${quota.departements.join(' ')}`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        {label} <Text color={quota.over ? theme.danger : theme.success}>{bar}</Text> {figures}{' '}
        <Text color={quota.over ? theme.danger : theme.success} bold={quota.over}>
          {state}
        </Text>
      </Text>
      <Text color={theme.muted} wrap="truncate">{`           ${profileLabel(quota.service, quota.profile) ?? ''} · ${scope}`}</Text>
    </Box>
  );
}
