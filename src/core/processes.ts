/**
 * Whether process `pid` of this machine no longer exists. Only a definite "no such process" says so: a
 * process of another user (EPERM) exists.
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
