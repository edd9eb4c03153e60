import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

/** The terminal's size, following resizes; 80×24 when the stream does not say. */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // read only reads the stdout it depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}

/** The height of the interface's frame: one row short of the terminal, since a frame as tall as the screen makes Ink clear it each time. */
export function frameHeight(rows: number): number {
  return Math.max(5, rows - 1);
}
