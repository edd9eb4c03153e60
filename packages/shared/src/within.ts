/**
 * `work`'s value, or « late » once `ms` have passed; what it does after is no longer waited for
 * (a stop, a close that a silent database or a busy thread would hold).
 */
export function within<T>(ms: number, work: Promise<T>): Promise<T | 'late'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
