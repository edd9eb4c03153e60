// The first frame of a full-screen program as a person sees it: the program runs in a
// pseudo-terminal (script(1)) of 80×24, and the time runs from the spawn until its output
// shows `marker`; then `q` is typed (and the program killed if it lingers).
import { spawn } from 'node:child_process';

/** Milliseconds from spawning `node ARGS…` in a pty until its output contains `marker`. */
export function firstFrame(args, env, marker) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const command = [process.execPath, ...args].map((word) => `'${word}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, COLUMNS: '80', LINES: '24' }, stdio: ['pipe', 'pipe', 'inherit'] });
    let seen = '';
    let elapsed = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString('utf8');
      if (elapsed === null && seen.includes(marker)) {
        elapsed = performance.now() - started;
        child.stdin.write('q');
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      if (elapsed === null) reject(new Error(`pas de premier écran (« ${marker} ») :\n${seen}`));
      else resolve(elapsed);
    });
  });
}
