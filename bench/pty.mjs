// The first frames of a full-screen program as a person sees them: the program runs in a
// pseudo-terminal (script(1)) of 80×24, and the time runs from the spawn until its output
// shows each of `markers`; then `q` is typed (and the program killed if it lingers).
import { spawn } from 'node:child_process';

/** Milliseconds from spawning `node ARGS…` in a pty until its output contains each of `markers`, in their order. */
export function frameTimes(args, env, markers) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const command = [process.execPath, ...args].map((word) => `'${word}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, COLUMNS: '80', LINES: '24' }, stdio: ['pipe', 'pipe', 'inherit'] });
    let seen = '';
    const elapsed = markers.map(() => null);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk) => {
      const finished = elapsed.every((ms) => ms !== null);
      seen += chunk.toString('utf8');
      markers.forEach((marker, index) => {
        if (elapsed[index] === null && seen.includes(marker)) elapsed[index] = performance.now() - started;
      });
      if (!finished && elapsed.every((ms) => ms !== null)) {
        child.stdin.write('q');
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      const missing = markers.filter((_, index) => elapsed[index] === null);
      if (missing.length > 0) reject(new Error(`pas d’écran avec « ${missing.join(' », « ')} » :\n${seen}`));
      else resolve(elapsed);
    });
  });
}

/** The interface's markers: its first frame (the dashboard's frame, data still loading), its first data, the whole dashboard. */
export const INTERFACE_MARKERS = ['Tableau de bord', 'Quotas dépassés', 'ou en retard ('];
