/**
 * Failpoints for the crash suite: `RESTLAKE_FAILPOINT=batch.committing:3` makes the process kill itself with
 * SIGKILL the 3rd time it reaches `failpoint('batch.committing')`, so tests can crash a real process at an
 * exact moment (inside a commit, during a replace swap) and prove that a rerun recovers. Unset, a failpoint is
 * one comparison.
 */

export type FailpointName =
  /** A fresh database's migrations are committed; DuckDB has not checkpointed them out of its WAL yet. */
  | 'migrations.applied'
  /** A page has been fetched and parsed; its batch has not been committed. */
  | 'page.fetched'
  /** Inside a batch's transaction: rows written, checkpoint not yet, COMMIT not yet. */
  | 'batch.committing'
  /** A batch has committed; the control row does not mirror its checkpoint yet. */
  | 'batch.committed'
  /** Inside the replace swap's transaction: the old table is dropped, the new one not yet renamed. */
  | 'replace.swapping'
  /** The load's data is complete and committed; the control row is not SUCCESS yet. */
  | 'load.finished';

const [armedName, armedCount] = (process.env.RESTLAKE_FAILPOINT ?? '').split(':');
let hits = 0;

export function failpoint(name: FailpointName): void {
  if (armedName !== name) return;
  if (++hits >= Number(armedCount ?? 1)) process.kill(process.pid, 'SIGKILL');
}
