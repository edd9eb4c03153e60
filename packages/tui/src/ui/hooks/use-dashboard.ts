import { loadDashboard, type DashboardData } from '../dashboard-data.js';
import { useNavigation } from '../navigation.js';
import { useSession } from '../session.js';
import { useAsync, type AsyncState } from './use-async.js';

export function useDashboard(): AsyncState<DashboardData> {
  const { client, today, dashboardAhead } = useSession();
  const { asOf, revision } = useNavigation();
  return useAsync(() => {
    const day = asOf ?? today;
    return dashboardAhead?.take(day) ?? loadDashboard(client, day);
  }, [asOf, revision]);
}
