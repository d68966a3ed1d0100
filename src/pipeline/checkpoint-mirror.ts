/**
 * Copies each committed checkpoint into the load's control row, where operators see how far a load got,
 * without holding up the next batch: the batch's own transaction already made the checkpoint durable (that
 * is what a resume reads), so the copy runs beside the load, one write at a time, and checkpoints committed
 * while a write is in flight coalesce into the next one.
 */
export class CheckpointMirror {
  readonly #write: (checkpoint: string) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #latest: string | undefined;
  #draining: Promise<void> | undefined;

  constructor(write: (checkpoint: string) => Promise<void>, onError: (error: unknown) => void) {
    this.#write = write;
    this.#onError = onError;
  }

  record(checkpoint: string): void {
    this.#latest = checkpoint;
    this.#draining ??= this.#drain();
  }

  /** Resolves once the latest checkpoint recorded is written (or its write failed and was reported). */
  async flush(): Promise<void> {
    await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#latest !== undefined) {
      const checkpoint = this.#latest;
      this.#latest = undefined;
      try {
        await this.#write(checkpoint);
      } catch (error) {
        this.#onError(error);
      }
    }
    this.#draining = undefined;
  }
}
