import { useMemo } from 'react';
import { loadDashboard, type DashboardOverview, type ReviewsDue } from '../dashboard-data.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { useAsync, type AsyncState } from './use-async.js';

/** The dashboard's two parts, each shown as soon as it is answered. */
export function useDashboard(): { overview: AsyncState<DashboardOverview>; reviews: AsyncState<ReviewsDue> } {
  const { client, today, dashboardAhead } = useSession();
  const { asOf, revision } = useNavigation();
  const loads = useMemo(
    () => {
      const day = asOf ?? today;
      return dashboardAhead?.take(day) ?? loadDashboard(client, day);
    },
    // Asked again for another date or when the data changed, as the other screens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [asOf, revision],
  );
  return { overview: useAsync(() => loads.overview, [loads]), reviews: useAsync(() => loads.reviews, [loads]) };
}
