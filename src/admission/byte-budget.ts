/**
 * A budget of bytes shared by requests, first come first served. A request that does not fit waits
 * (its body stays unread, so TCP holds the sender back); one larger than the whole budget runs when it
 * is alone. Memory then grows with the budget, not with the number of connections.
 */
export interface ByteBudget {
  /** Calls `start` once `bytes` fit. Answers a function that gives them back, or withdraws the wait (idempotent). */
  take(bytes: number, start: () => void): () => void;
  /** Takes `bytes` if they fit now and nobody waits: answers the function that gives them back, else undefined. */
  tryTake(bytes: number): (() => void) | undefined;
  /** Bytes taken and not given back. */
  readonly used: number;
  /** Requests waiting for room. */
  readonly waiting: number;
}

export function createByteBudget(capacity: number): ByteBudget {
  let used = 0;
  const queue: { bytes: number; start: () => void }[] = [];
  const fits = (bytes: number) => used === 0 || used + bytes <= capacity;
  const pump = () => {
    while (queue.length && fits(queue[0]!.bytes)) {
      const next = queue.shift()!;
      used += next.bytes;
      next.start();
    }
  };
  const budget: ByteBudget = {
    take(bytes, start) {
      const entry = { bytes, start };
      queue.push(entry);
      pump();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const i = queue.indexOf(entry);
        if (i !== -1) queue.splice(i, 1);
        else used -= bytes;
        pump();
      };
    },
    // Taken only when it would start at once, so the start has nothing to do.
    tryTake: (bytes) => (queue.length === 0 && fits(bytes) ? budget.take(bytes, () => {}) : undefined),
    get used() {
      return used;
    },
    get waiting() {
      return queue.length;
    },
  };
  return budget;
}
