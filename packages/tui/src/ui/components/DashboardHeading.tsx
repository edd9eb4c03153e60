import type { ReactNode } from 'react';
import { Text } from 'ink';
import { frenchDate } from '../../format.js';

/** The dashboard's first line, with the state of its load; also the interface's first frame while the store opens. */
export function DashboardHeading({ asOf, children }: { asOf: string | undefined; children: ReactNode }) {
  return (
    <Text bold wrap="truncate">
      {`Tableau de bord${asOf === undefined ? '' : ` — au ${frenchDate(asOf)}`}  `}
      {children}
    </Text>
  );
}
